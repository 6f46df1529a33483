#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Lists beyond ipset's default maxelem of 65536 through the real binary: a
# small list first (live sets sized 65536), then 70000 IPv4 + 70000 IPv6
# non-mergeable prefixes (made up: every other /32 from 20.0.0.0, every other
# /64 of 2001:db8::/32), which only fit because the swapped-in set was created
# larger; then a no-op re-sync and a small update of the big sets.
set -uo pipefail
# shellcheck source=lib/iptables.sh
. "$(dirname "$0")/lib/iptables.sh"
ipt_setup

ns=big
ipt_ns_add "$ns"
ipt_in "$ns" iptables-nft -P INPUT DROP

printf '20.0.0.0/32\n2001:db8::/64\n' >"$IPT_TMP/small"
ipt_sync "$ns" "$IPT_TMP/small" || ipt_fail "small sync"
ipt_set_header "$ns" cdnallow4 | has 'maxelem 65536' || ipt_fail "small set not at 65536"

python3 - "$IPT_TMP/big" 70000 <<'EOF'
import ipaddress, sys
n = int(sys.argv[2])
base4 = int(ipaddress.IPv4Address("20.0.0.0"))
base6 = int(ipaddress.IPv6Address("2001:db8::"))
with open(sys.argv[1], "w") as f:
    for i in range(n):
        f.write(f"{ipaddress.IPv4Address(base4 + 2 * i)}/32\n")
    for i in range(n):
        f.write(f"{ipaddress.IPv6Address(base6 + ((2 * i) << 64))}/64\n")
EOF
start=$(date +%s.%N)
ipt_sync "$ns" "$IPT_TMP/big" || ipt_fail "70000-entry sync"
end=$(date +%s.%N)
echo "# 2x70000 entries applied in $(echo "$end - $start" | bc 2>/dev/null || echo "?") s"
[ "$(ipt_in "$ns" ipset list -t cdnallow4 | sed -n 's/^Number of entries: //p')" = 70000 ] ||
	ipt_fail "cdnallow4 does not hold 70000 entries"
[ "$(ipt_in "$ns" ipset list -t cdnallow6 | sed -n 's/^Number of entries: //p')" = 70000 ] ||
	ipt_fail "cdnallow6 does not hold 70000 entries"
ipt_set_header "$ns" cdnallow4 | has 'maxelem 262144' ||
	ipt_fail "big set header $(ipt_set_header "$ns" cdnallow4)"
ipt_in "$ns" ipset test cdnallow4 20.0.1.0 >/dev/null 2>&1 || ipt_fail "20.0.1.0 missing"
ipt_in "$ns" ipset test cdnallow4 20.0.1.1 >/dev/null 2>&1 && ipt_fail "20.0.1.1 present"
echo "ok - 70000 entries per family beyond the 65536 default"

h4=$(ipt_set_header "$ns" cdnallow4)
ipt_sync "$ns" "$IPT_TMP/big" || ipt_fail "big no-op re-sync"
[ "$(ipt_set_header "$ns" cdnallow4)" = "$h4" ] || ipt_fail "no-op re-sync swapped the big set"
echo "ok - no-op re-sync of the big list"

echo "20.200.0.0/24" >>"$IPT_TMP/big"
ipt_sync "$ns" "$IPT_TMP/big" || ipt_fail "big incremental sync"
[ "$(ipt_in "$ns" ipset list -t cdnallow4 | sed -n 's/^Number of entries: //p')" = 70001 ] ||
	ipt_fail "cdnallow4 does not hold 70001 entries"
echo "ok - one more prefix on the big list"
