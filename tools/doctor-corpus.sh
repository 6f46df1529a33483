#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Regenerates the tool-made rulesets of tests/corpus/doctor/ by running the
# real tools (ufw, firewalld on both backends) in throw-away network and mount
# namespaces and dumping what they loaded into the kernel. Run as root from
# the source tree; never touches the host's firewall. fail2ban's files are made
# as SOURCES.md there describes.
set -euo pipefail
TESTS_DIR=$(cd "$(dirname "$0")/../tests" && pwd)
OUT=$TESTS_DIR/corpus/doctor
. "$TESTS_DIR/integration/lib/netns.sh"
. "$TESTS_DIR/integration/lib/ufw.sh"
. "$TESTS_DIR/integration/lib/firewalld.sh"
netns_require ufw firewalld iptables-nft-save
netns_init corpus

# ufw enabled with its defaults (deny incoming), then with 80 and 443 allowed
netns_new ufw
ufw_start ufw
ufw_exec iptables-nft-save > "$OUT/ufw-default.ipt"
ufw_exec ip6tables-nft-save > "$OUT/ufw-default.ip6t"
ufw_exec ufw allow 80,443/tcp > /dev/null
ufw_exec iptables-nft-save > "$OUT/ufw-web.ipt"
ufw_exec ip6tables-nft-save > "$OUT/ufw-web.ip6t"

# firewalld with its default zone (public), nftables backend, then http/https allowed
netns_new fwd
fwd_start "$(netns_name fwd)" "$NETNS_TMP/fwd"
fwd_exec nft list ruleset > "$OUT/firewalld-public.nft"
fwd_exec firewall-cmd -q --add-service=http --add-service=https
fwd_exec nft list ruleset > "$OUT/firewalld-http-https.nft"
fwd_stop

# the same on firewalld's iptables backend
netns_new fwdipt
FWD_BACKEND=iptables fwd_start "$(netns_name fwdipt)" "$NETNS_TMP/fwdipt"
fwd_exec iptables-save > "$OUT/firewalld-iptables.ipt"
fwd_exec ip6tables-save > "$OUT/firewalld-iptables.ip6t"
fwd_stop
echo "rulesets written to $OUT"
