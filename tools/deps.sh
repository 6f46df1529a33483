#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Installs what cdnallow needs on Debian 12, as root. "demo": build + nftables;
# "test": everything the test suite drives (every firewall, sanitizers, fuzzing);
# "corpus": what regenerating the doctor corpus needs (see below).
# Firewall daemons are installed without being started, so the host's firewall
# is never touched: tests run them inside their own namespaces.
set -euo pipefail
what=${1:-test}

build_pkgs=(build-essential cmake pkg-config libcurl4-openssl-dev libnftnl-dev libmnl-dev
	libjansson-dev libinih-dev libnftables-dev libsystemd-dev libcmocka-dev
	ca-certificates nftables iproute2 python3 openssl)
test_pkgs=(clang libclang-rt-14-dev clang-format valgrind iptables ipset ufw firewalld dbus python3-dbus
	iprange time curl procps kmod man-db groff-base gcovr gdb iputils-ping gnuplot-nox strace
	ansible-core puppet debhelper dpkg-dev fakeroot rpm cpio bash-completion zsh systemd-container debootstrap
	nginx-light apache2 haproxy fail2ban python3-yaml caddy crowdsec)
# "corpus": what tools/doctor-corpus.sh runs to regenerate the doctor corpus.
# Not part of "test": iptables-persistent conflicts with ufw (installing one
# removes the other), and the corpus test replays the saved rulesets without
# these tools. Use a scratch machine for it; its sections ufw and lockdown
# need "test" (ufw) again afterwards.
corpus_pkgs=(iptables-persistent netfilter-persistent docker.io crowdsec-firewall-bouncer)

pkgs=("${build_pkgs[@]}")
[ "$what" = test ] && pkgs+=("${test_pkgs[@]}")
if [ "$what" = corpus ]; then
	for p in "${test_pkgs[@]}" "${corpus_pkgs[@]}"; do [ "$p" = ufw ] || pkgs+=("$p"); done
fi

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps: run as root to install: ${missing[*]}" >&2
	exit 1
fi

# Keep package scripts from starting firewalld/ufw on the host: a started
# firewalld would replace the host's ruleset.
own_policy=0
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
	chmod 755 /usr/sbin/policy-rc.d
	own_policy=1
fi
trap '[ $own_policy = 1 ] && rm -f /usr/sbin/policy-rc.d' EXIT
if [ -d /run/systemd/system ] && ! dpkg-query -W firewalld >/dev/null 2>&1; then
	systemctl mask firewalld.service >/dev/null 2>&1 || true
fi

# crowdsec's postinst registers with CrowdSec's central API unless this file
# exists with content (its README.Debian): without a network that
# registration fails and so would the install. The tests run crowdsec offline
# on its packaged hub.
if printf '%s\n' "${missing[@]}" | grep -qx crowdsec && [ ! -s /etc/crowdsec/online_api_credentials.yaml ]; then
	mkdir -p /etc/crowdsec
	echo '# no central API registration (cdnallow tools/deps.sh)' >/etc/crowdsec/online_api_credentials.yaml
fi

export DEBIAN_FRONTEND=noninteractive
# iptables-persistent must not save the host's rules at install time
printf 'iptables-persistent iptables-persistent/autosave_v4 boolean false\niptables-persistent iptables-persistent/autosave_v6 boolean false\n' |
	debconf-set-selections
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
