#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# mode = sets with packets: cdnallow keeps only the sets and installs no rule;
# the admin's own rule (`ip saddr @cdnallow4 tcp dport 443 accept` in nftables,
# `-m set --match-set cdnallow4 src` in iptables) decides. Every sync — a
# replace of the whole list, mode switches sets ↔ allow ↔ lockdown — keeps the
# admin's rule; the cdn host passes on 443 (the admin's port), not on 80 (no
# rule of cdnallow's opens it), the outsider on neither. ufw refuses the mode.
set -u
. "$TESTS_DIR/integration/lib/netns.sh"
netns_require python3 ss timeout ipset iptables-nft
netns_init sets
T=$NETNS_TMP
O4=$NETNS_ORIGIN4
O6=$NETNS_ORIGIN6

list() { # FILE N: the cdn ranges plus 5.N.0.0/24 .. 5.N.9.0/24
	{
		printf '203.0.113.0/24\n2001:db8:cd::/48\n'
		for i in $(seq 0 9); do echo "5.$2.$i.0/24"; done
	} >"$1"
}
list "$T/a" 1
list "$T/b" 2
cp "$T/a" "$T/src.txt"
printf '[cdnallow]\nmode = sets\nports = 80, 443\n[guard]\nallow_test_ranges = true\n' >"$T/conf"
printf '[nftables]\ntable = inet web\nchain = input\n' >>"$T/conf"

cda() { # COMMAND [ARGS...]: output in $T/out, exit status in $rc
	netns_exec origin "$CDNALLOW" "$1" -b "$B" -c "$T/conf" -s "$T/src.txt" \
		--state-dir "$T/state" "${@:2}" >"$T/out" 2>&1
	rc=$?
}

# the admin's policy: 443 from the sets only; nothing cdnallow-made may open 80
expect_admin_policy() {
	netns_expect_open cdn "$O4" 443
	netns_expect_open cdn "$O6" 443
	netns_expect_closed cdn "$O4" 80
	netns_expect_closed outsider "$O4" 443
	netns_expect_closed outsider "$O6" 443
}

netns_topology
netns_listen origin 80 443

# --- nftables: cdnallow creates table inet web with the sets, the admin adds the chain
B=nftables
cda sync
[ $rc = 0 ] || netns_fail "nft: sets sync: $(cat "$T/out")"
netns_exec origin nft list table inet web >"$T/web" || netns_fail "no table inet web"
has 'set cdnallow4' "$T/web" || netns_fail "no set cdnallow4: $(cat "$T/web")"
! has 'chain' "$T/web" || netns_fail "cdnallow made a chain: $(cat "$T/web")"
! netns_exec origin nft list table inet cdnallow >/dev/null 2>&1 || netns_fail "own table made"
netns_exec origin nft -f - <<'EOF' || netns_fail "admin ruleset"
table inet web {
	chain input {
		type filter hook input priority 0; policy drop;
		ct state established,related accept
		iif lo accept
		meta l4proto ipv6-icmp accept
		ip saddr @cdnallow4 tcp dport 443 accept
		ip6 saddr @cdnallow6 tcp dport 443 accept
	}
}
EOF
netns_exec origin nft list chain inet web input >"$T/admin.rules"
expect_admin_policy
cda status --json
[ $rc = 0 ] || netns_fail "nft: status: $(cat "$T/out")"
has '"mode": "sets"' "$T/out" || netns_fail "status does not say mode sets: $(cat "$T/out")"
ok "nftables: sets in the admin's table, no rule; the admin's rule lets the cdn in on 443 only"

cp "$T/b" "$T/src.txt"
cda sync
[ $rc = 0 ] || netns_fail "nft: replace sync: $(cat "$T/out")"
netns_exec origin nft list set inet web cdnallow4 >"$T/set"
has -F ' 5.2.0.0/21' "$T/set" && ! has -F '5.1.' "$T/set" || netns_fail "set not replaced: $(cat "$T/set")"
netns_exec origin nft list chain inet web input | diff - "$T/admin.rules" || netns_fail "admin chain changed"
expect_admin_policy
ok "nftables: a replace of the whole list keeps the admin's rule byte-identical"

cda doctor
has -i 'mode sets' "$T/out" || netns_fail "nft: doctor says nothing of mode sets: $(cat "$T/out")"
has '2 rules' "$T/out" || netns_fail "nft: doctor does not count the admin's rules: $(cat "$T/out")"
ok "nftables: doctor names the sets mode and counts the admin's rules that use them"

# mode switches: each shows as drift, each sync keeps the admin's rule
for m in allow sets lockdown sets; do
	cda plan --mode $m
	[ $rc = 2 ] || netns_fail "nft: plan --mode $m: exit $rc, want 2 (drift): $(cat "$T/out")"
	cda sync --mode $m
	[ $rc = 0 ] || netns_fail "nft: sync --mode $m: $(cat "$T/out")"
	netns_exec origin nft list chain inet web input | grep -v 'comment "cdnallow"' |
		diff - "$T/admin.rules" || netns_fail "nft: admin chain changed by --mode $m"
	netns_expect_open cdn "$O4" 443
	netns_expect_closed outsider "$O4" 443
done
netns_exec origin nft list ruleset >"$T/rs"
! has 'comment "cdnallow"' "$T/rs" || netns_fail "nft: a rule of cdnallow's is left in mode sets"
! has 'table inet cdnallow' "$T/rs" || netns_fail "nft: lockdown table left in mode sets"
expect_admin_policy
ok "nftables: sets → allow → sets → lockdown → sets, drift each time, the admin's rule kept"

cda flush
[ $rc = 1 ] || netns_fail "nft: flush while the admin's rules use the sets: exit $rc"
netns_exec origin nft list set inet web cdnallow4 >/dev/null || netns_fail "nft: failed flush lost the set"
netns_exec origin nft delete chain inet web input
cda flush
[ $rc = 0 ] || netns_fail "nft: flush: $(cat "$T/out")"
! netns_exec origin nft list table inet web >/dev/null 2>&1 || netns_fail "nft: created table left"
ok "nftables: flush refuses while rules use the sets, then removes the table it created"

# --- iptables: ipsets only; the admin's rule references cdnallow4
rm -rf "$T/state"
cp "$T/a" "$T/src.txt"
B=iptables
ipt=iptables-nft
netns_exec origin $ipt -A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
cda sync
[ $rc = 0 ] || netns_fail "iptables: sets sync: $(cat "$T/out")"
netns_exec origin ipset list -n >"$T/sets"
has -x cdnallow4 "$T/sets" && has -x cdnallow6 "$T/sets" || netns_fail "ipsets: $(cat "$T/sets")"
netns_exec origin $ipt -A INPUT -p tcp --dport 443 -m set --match-set cdnallow4 src -j ACCEPT
netns_exec origin ip6tables-nft -A INPUT -p tcp --dport 443 -m set --match-set cdnallow6 src -j ACCEPT
netns_exec origin ip6tables-nft -A INPUT -p ipv6-icmp -j ACCEPT
netns_exec origin ip6tables-nft -A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
netns_exec origin $ipt -P INPUT DROP
netns_exec origin ip6tables-nft -P INPUT DROP
netns_exec origin $ipt-save | grep -c cdnallow >"$T/n" || true
[ "$(cat "$T/n")" = 1 ] || netns_fail "iptables: cdnallow installed rules: $(netns_exec origin $ipt-save)"
expect_admin_policy
cp "$T/b" "$T/src.txt"
cda sync
[ $rc = 0 ] || netns_fail "iptables: replace sync: $(cat "$T/out")"
netns_exec origin ipset list cdnallow4 >"$T/set"
has -x '5.2.0.0/21' "$T/set" && ! has -F '5.1.' "$T/set" || netns_fail "ipset not replaced"
netns_exec origin $ipt-save >"$T/save"
has -- '--match-set cdnallow4 src -j ACCEPT' "$T/save" || netns_fail "admin rule lost"
expect_admin_policy
cda doctor
has -i 'mode sets' "$T/out" && has '2 rules' "$T/out" ||
	netns_fail "iptables: doctor: $(cat "$T/out")"
for m in allow sets; do
	cda sync --mode $m
	[ $rc = 0 ] || netns_fail "iptables: sync --mode $m: $(cat "$T/out")"
	netns_exec origin $ipt-save >"$T/save"
	has -- '--match-set cdnallow4 src -j ACCEPT' "$T/save" || netns_fail "admin rule lost ($m)"
done
! has 'comment cdnallow' "$T/save" || netns_fail "iptables: rule left in mode sets: $(cat "$T/save")"
expect_admin_policy
ok "iptables: ipsets only, replaced under the admin's --match-set rule, kept through allow ↔ sets"

B=ufw
cda plan
[ $rc = 1 ] && has 'backend nftables' "$T/out" || netns_fail "ufw: mode sets not refused: $(cat "$T/out")"
ok "ufw refuses mode sets and names the backends that have it"

echo "all $pass sets-mode checks passed"
