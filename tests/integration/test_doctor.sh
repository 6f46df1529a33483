#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# `cdnallow doctor`, one network-namespace origin per cause of a CDN-to-origin
# failure: each scenario starts from a healthy origin (web listener on 80 and
# 443, an admin's default-drop nftables table with cdnallow synced into it),
# breaks exactly one thing and checks that doctor names that cause — and only
# that one — with its fix and exit code. The healthy origin must give exit 0
# and no finding at all (no false alarm). Addresses: documentation ranges.
set -euo pipefail
. "$TESTS_DIR/integration/lib/netns.sh"
netns_require python3 ss iptables-legacy
netns_init doc
: "${CDNALLOW:?}"
W=$NETNS_TMP
pass=0

printf '# made up CDN ranges\n203.0.113.0/24\n2001:db8:cd::/48\n' > "$W/cdn.txt"
printf '[guard]\nallow_test_ranges = true\n' > "$W/cdnallow.conf"

# A fresh healthy origin in namespace "o$1".
origin() {
	local o=$1
	netns_new "$o"
	netns_exec "$o" nft -f - <<'NFT'
table inet filter {
	chain input {
		type filter hook input priority filter; policy drop;
		iif lo accept
		ct state established,related accept
		tcp dport 22 accept
	}
}
NFT
	mkdir -p "$W/$o"
	netns_exec "$o" "$CDNALLOW" -q -c "$W/cdnallow.conf" -s "$W/cdn.txt" \
		--state-dir "$W/$o/state" sync || netns_fail "$o: sync"
}

# doctor in namespace $1 ($RUN: how to enter it); exit code into $rc, JSON into $W/$1/doctor.json
RUN=netns_exec
doctor() {
	local o=$1
	shift
	rc=0
	$RUN "$o" "$CDNALLOW" -c "$W/cdnallow.conf" -s "$W/cdn.txt" --state-dir "$W/$o/state" \
		doctor --json "$@" > "$W/$o/doctor.json" 2> "$W/$o/doctor.err" || rc=$?
}

# expect NS RC "check:severity ..." [message-regex]: exactly these findings.
expect() {
	local o=$1 want_rc=$2 want=$3 re=${4:-}
	local got
	got=$(python3 - "$W/$o/doctor.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["healthy"] == (not any(f["severity"] == "error" for f in d["findings"]))
for f in d["findings"]:
    assert f["message"] and f["fix"], f
print(" ".join(sorted(set(f["check"] + ":" + f["severity"] for f in d["findings"]))))
PY
	) || netns_fail "$o: doctor --json is not the documented shape"
	[ "$rc" = "$want_rc" ] || { cat "$W/$o/doctor.json" "$W/$o/doctor.err"; netns_fail "$o: exit $rc, want $want_rc"; }
	[ "$got" = "$want" ] || { cat "$W/$o/doctor.json"; netns_fail "$o: findings '$got', want '$want'"; }
	if [ -n "$re" ] && ! grep -Eq "$re" "$W/$o/doctor.json"; then
		cat "$W/$o/doctor.json"
		netns_fail "$o: no finding matches /$re/"
	fi
	pass=$((pass + 1))
	echo "ok - $o: ${want:-healthy}"
}

# healthy: no finding, exit 0
origin healthy
netns_listen healthy 80 443
doctor healthy
expect healthy 0 ""

# the web server is stopped: nothing listens
origin stopped
doctor stopped
expect stopped 2 "listen:error" "nothing listens on tcp port 80"

# bound to loopback only
origin loopback
for port in 80 443; do
	netns_exec loopback python3 -m http.server "$port" --bind 127.0.0.1 --directory / >/dev/null 2>&1 &
	NETNS_PIDS+=($!)
done
for i in $(seq 50); do
	[ "$(netns_exec loopback ss -Hltn | grep -c '127.0.0.1:')" -ge 2 ] && break
	sleep 0.1
done
doctor loopback
expect loopback 2 "bind:error" "listens on loopback only \\(127.0.0.1"

# 443 missing while 80 listens
origin no443
netns_listen no443 80
doctor no443
expect no443 2 "listen:error" "nothing listens on tcp port 443 while port 80 does"

# a second default-drop table the allowlist is not in: an accept in one table never overrides a drop in another
origin droptable
netns_listen droptable 80 443
netns_exec droptable nft -f - <<'NFT'
table ip admin2 {
	chain input {
		type filter hook input priority 10; policy drop;
		iif lo accept
		ct state established,related accept
	}
}
NFT
doctor droptable
expect droptable 2 "firewall:error" "table ip admin2 chain input .* drops tcp/80, tcp/443 from the CDN \\(IPv4, e.g.[^)]*\\): policy drop"

# iptables-legacy DROP for 443
origin legacy
netns_listen legacy 80 443
netns_exec legacy iptables-legacy -A INPUT -p tcp --dport 443 -j DROP
doctor legacy
expect legacy 2 "firewall:error" "iptables-legacy table filter chain INPUT drops tcp/443"

# a DNAT-published port bypasses INPUT (Docker-style)
origin dnat
netns_listen dnat 80 443
netns_exec dnat nft -f - <<'NFT'
table ip dockerish {
	chain prerouting {
		type nat hook prerouting priority dstnat;
		tcp dport 8080 dnat to 192.0.2.66:80
	}
}
NFT
doctor dnat
expect dnat 0 "docker:warning" "tcp/8080 is published by DNAT to 192.0.2.66:80"

# Docker on iptables-nft publishes 443 with an xt DNAT target (rules as dockerd
# 20.10 writes them, made with the real iptables-nft): reported, and covered
# once lockdown is installed
origin dockernft
netns_listen dockernft 80 443
netns_exec dockernft iptables-nft -t nat -N DOCKER
netns_exec dockernft iptables-nft -t nat -A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER
netns_exec dockernft iptables-nft -t nat -A DOCKER ! -i docker0 -p tcp -m tcp --dport 443 \
	-j DNAT --to-destination 172.17.0.2:443
doctor dockernft
expect dockernft 0 "docker:warning" "tcp/443 is published by DNAT to 172.17.0.2:443 \\(iptables-nft table nat chain DOCKER\\)"
netns_exec dockernft "$CDNALLOW" -q -c "$W/cdnallow.conf" -s "$W/cdn.txt" \
	--state-dir "$W/dockernft/state" --mode lockdown sync || netns_fail "dockernft: lockdown sync"
doctor dockernft --mode lockdown
expect dockernft 0 ""

# a rate limit on the web ports: the one thing the evaluator cannot decide is
# a warning that quotes the rule whole (over 200 characters) as `nft -a list
# ruleset` prints it
origin ratelimit
netns_listen ratelimit 80 443
netns_exec ratelimit nft -f - <<'NFT'
table inet web {
	chain input {
		type filter hook input priority filter; policy accept;
		ip saddr != { 192.0.2.0/24, 198.51.100.0/24 } tcp dport { 80, 443 } ct state new limit rate over 20/second burst 50 packets counter drop comment "flood guard: new web connections from outside the office"
	}
}
NFT
doctor ratelimit
expect ratelimit 0 "firewall:warning" "may drop tcp/80, tcp/443 .*chain input rule .ip saddr != \\{ 192.0.2.0/24, 198.51.100.0/24 \\} tcp dport \\{ 80, 443 \\} ct state new limit rate over 20/second burst 50 packets counter packets [0-9]+ bytes [0-9]+ drop comment ..flood guard: new web connections from outside the office... \\(cannot tell a rate limit or quota\\)"

# the kernel lost what the last sync applied (reboot, firewall reload)
origin stale
netns_listen stale 80 443
netns_exec stale nft flush set inet filter cdnallow4
doctor stale
# the lost set is also a firewall drop: both name the same cause
expect stale 2 "firewall:error freshness:error" "no longer holds what the last sync applied"

# an admin's ufw deny ahead of cdnallow's rules (ufw in a private mount namespace)
if command -v ufw >/dev/null && command -v nsenter >/dev/null; then
	. "$TESTS_DIR/integration/lib/ufw.sh"
	netns_new ufwdeny
	ufw_start ufwdeny
	netns_listen ufwdeny 80 443
	mkdir -p "$W/ufwdeny"
	ufw_sync -q -c "$W/cdnallow.conf" -s "$W/cdn.txt" --state-dir "$W/ufwdeny/state" -b ufw sync ||
		netns_fail "ufwdeny: sync"
	ufw_in() { shift; ufw_exec "$@"; }
	RUN=ufw_in
	doctor ufwdeny
	expect ufwdeny 0 ""
	ufw_exec ufw insert 1 deny proto tcp from any to any port 443 >/dev/null
	doctor ufwdeny
	expect ufwdeny 2 "firewall:error" "iptables-nft table filter chain INPUT drops tcp/443 .*ufw-user-input .*DROP"
	RUN=netns_exec
else
	echo "skip - ufw deny: ufw not installed"
fi

echo "$pass passed, 0 failed"
