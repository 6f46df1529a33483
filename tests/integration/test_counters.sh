#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Counters with real packets: N connections from the cdn host raise the
# accepted counter by at least N (status --json, human status, the metrics
# file), an outsider's attempts in lockdown raise the dropped counter; on
# nftables (allow in the admin's table, lockdown in inet cdnallow) and iptables
# (INPUT accept, raw PREROUTING drop); uncounted rules of older builds are
# rebuilt. Mode sets has no rule: null, never 0.
set -u
. "$TESTS_DIR/integration/lib/netns.sh"
netns_require python3 ss timeout ipset iptables-nft
netns_init counters
T=$NETNS_TMP
O4=$NETNS_ORIGIN4
O6=$NETNS_ORIGIN6
N=7
printf '203.0.113.0/24\n2001:db8:cd::/48\n5.1.0.0/24\n' >"$T/list"

cda() { # COMMAND [ARGS...]: stdout in $T/out, exit status in $rc
	netns_exec origin "$CDNALLOW" "$1" -b "$B" -c "$T/conf" -s "$T/list" \
		--state-dir "$T/state" "${@:2}" >"$T/out" 2>"$T/err"
	rc=$?
}
conf() { # MODE [INI lines...]
	printf '[cdnallow]\nmode = %s\nports = 80, 443\n[guard]\nallow_test_ranges = true\n' "$1" >"$T/conf"
	printf '%s\n' "${@:2}" >>"$T/conf"
}
counter() { # JQ-PATH: from status --json
	cda status --json
	[ $rc = 0 ] || netns_fail "status: exit $rc: $(cat "$T/out" "$T/err")"
	python3 -c 'import json, sys
v = json.load(open(sys.argv[1]))["counters"]
for k in sys.argv[2].split("."):
    v = v[k]
print("null" if v is None else v)' "$T/out" "$1"
}
connect_n() { # HOST ADDR PORT
	local i
	for i in $(seq $N); do netns_expect_open "$@"; done
}

netns_topology
netns_listen origin 80 443

# --- nftables, allow mode in the admin's default-drop table
B=nftables
netns_exec origin nft -f - <<'EOF2' || netns_fail "admin ruleset"
table inet filter {
	chain input {
		type filter hook input priority 0; policy drop;
		ct state established,related accept
		iif lo accept
		meta l4proto ipv6-icmp accept
	}
}
EOF2
conf allow '[nftables]' 'table = inet filter' 'chain = input'
cda sync --metrics-file "$T/metrics"
[ $rc = 0 ] || netns_fail "nft allow sync: $(cat "$T/err")"
a4=$(counter accepted.ipv4)
a6=$(counter accepted.ipv6)
[ "$(counter lockdown_dropped.ipv4)" = null ] || netns_fail "allow mode reports a lockdown count"
connect_n cdn "$O4" 443
connect_n cdn "$O6" 80
b4=$(counter accepted.ipv4)
b6=$(counter accepted.ipv6)
[ $((b4 - a4)) -ge $N ] && [ $((b6 - a6)) -ge $N ] ||
	netns_fail "nft accepted: IPv4 $a4 → $b4, IPv6 $a6 → $b6 after $N connections each"
cda status
has -E "^packets accepted from the CDN: $b4 IPv4, $b6 IPv6" "$T/out" ||
	netns_fail "human status: $(cat "$T/out")"
cda sync --metrics-file "$T/metrics"
m4=$(sed -n 's/^cdnallow_accepted_packets_total{family="ipv4"} //p' "$T/metrics")
[ -n "$m4" ] && [ "$m4" -ge "$b4" ] || netns_fail "metrics: $(cat "$T/metrics")"
! has lockdown_dropped "$T/metrics" || netns_fail "metrics report a lockdown count in allow mode"
ok "nftables allow: $N connections per family → accepted +$((b4 - a4)) IPv4, +$((b6 - a6)) IPv6 packets (status, metrics)"

# --- nftables, lockdown in inet cdnallow (no admin table)
cda flush
netns_exec origin nft delete table inet filter
rm -rf "$T/state"
conf lockdown
cda sync
[ $rc = 0 ] || netns_fail "nft lockdown sync: $(cat "$T/err")"
d0=$(counter lockdown_dropped.ipv4)
a0=$(counter accepted.ipv4)
netns_expect_closed outsider "$O4" 443
netns_expect_closed outsider "$O6" 443
connect_n cdn "$O4" 80
d1=$(counter lockdown_dropped.ipv4)
d6=$(counter lockdown_dropped.ipv6)
a1=$(counter accepted.ipv4)
[ "$d1" -gt "$d0" ] && [ "$d6" -gt 0 ] || netns_fail "nft dropped: IPv4 $d0 → $d1, IPv6 $d6"
[ $((a1 - a0)) -ge $N ] || netns_fail "nft lockdown pass count: $a0 → $a1"
ok "nftables lockdown: outsider → dropped $d0 → $d1 IPv4, $d6 IPv6; cdn passes counted (+$((a1 - a0)))"

# rules of a build before the counters: plan names the repair, sync rebuilds them counted
netns_exec origin nft -f - <<'EOF2' || netns_fail "old-style lockdown chain"
flush chain inet cdnallow lockdown
add rule inet cdnallow lockdown iif lo return comment "cdnallow"
add rule inet cdnallow lockdown meta nfproto ipv4 fib daddr type local tcp dport @ports ip saddr != @cdn4 drop comment "cdnallow"
add rule inet cdnallow lockdown meta nfproto ipv6 fib daddr type local tcp dport @ports ip6 saddr != @cdn6 drop comment "cdnallow"
EOF2
cda plan
[ $rc = 2 ] || netns_fail "plan over uncounted rules: exit $rc, want 2"
cda sync
[ $rc = 0 ] || netns_fail "repair sync: $(cat "$T/err")"
[ "$(netns_exec origin nft list chain inet cdnallow lockdown | grep -c 'counter packets')" = 4 ] ||
	netns_fail "rules not rebuilt with counters: $(netns_exec origin nft list chain inet cdnallow lockdown)"
ok "nftables: uncounted rules of an older build are drift, and sync rebuilds them counted"

# --- mode sets: no rule, so no counter: null, not 0
conf sets '[nftables]' 'table = inet web'
cda sync
[ $rc = 0 ] || netns_fail "sets sync: $(cat "$T/err")"
[ "$(counter accepted.ipv4)" = null ] && [ "$(counter lockdown_dropped.ipv6)" = null ] ||
	netns_fail "mode sets reports counters: $(cat "$T/out")"
ok "mode sets: counters reported as unavailable (null)"
cda flush

# --- iptables: INPUT accept, lockdown's raw PREROUTING drop
B=iptables
rm -rf "$T/state"
netns_exec origin iptables-nft -A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
netns_exec origin iptables-nft -P INPUT DROP
conf allow
cda sync
[ $rc = 0 ] || netns_fail "iptables allow sync: $(cat "$T/err")"
a4=$(counter accepted.ipv4)
connect_n cdn "$O4" 443
b4=$(counter accepted.ipv4)
[ $((b4 - a4)) -ge $N ] || netns_fail "iptables accepted: $a4 → $b4 after $N connections"
conf lockdown
netns_exec origin iptables-nft -P INPUT ACCEPT
cda sync
[ $rc = 0 ] || netns_fail "iptables lockdown sync: $(cat "$T/err")"
d0=$(counter lockdown_dropped.ipv4)
netns_expect_closed outsider "$O4" 443
d1=$(counter lockdown_dropped.ipv4)
[ "$d1" -gt "$d0" ] || netns_fail "iptables dropped: $d0 → $d1"
ok "iptables: accepted +$((b4 - a4)) after $N connections; lockdown dropped $d0 → $d1"

echo "all $pass counter checks passed"
