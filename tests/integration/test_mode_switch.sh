#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Mode and port switches take effect and show as drift, on iptables (legacy and
# nft) and nftables: lockdown → allow → lockdown, ports 80,443 → 80,443,8443,
# flush (lib/modeswitch.sh), with packets from a cdn and an outsider host.
set -u
. "$TESTS_DIR/integration/lib/netns.sh"
netns_require python3 ss timeout ipset iptables-legacy iptables-nft
. "$TESTS_DIR/integration/lib/modeswitch.sh"
netns_init modesw
T=$NETNS_TMP
printf '203.0.113.0/24\n2001:db8:cd::/48\n5.1.0.0/24\n' >"$T/list"
printf '[guard]\nallow_test_ranges = true\n' >"$T/conf"

cda() {
	netns_exec origin "$CDNALLOW" "$1" -b "$B" -c "$T/conf" -s "$T/list" \
		--state-dir "$T/state" "${@:2}" >"$T/out" 2>&1
	rc=$?
}

reset_origin() {
	local t
	netns_exec origin nft flush ruleset
	for t in filter raw mangle nat; do
		netns_exec origin iptables-legacy -t $t -F 2>/dev/null
		netns_exec origin iptables-legacy -t $t -X 2>/dev/null
		netns_exec origin ip6tables-legacy -t $t -F 2>/dev/null
		netns_exec origin ip6tables-legacy -t $t -X 2>/dev/null
	done
	netns_exec origin ipset destroy 2>/dev/null
	rm -rf "$T/state"
}

netns_topology
netns_listen origin 80 443 8443

for v in legacy nft; do
	reset_origin
	# the host's own rule tells cdnallow which iptables holds the rules
	netns_exec origin "iptables-$v" -A INPUT -p tcp --dport 22 -j ACCEPT
	B=iptables
	mode_switch_cycle "iptables-$v"
done

# iptables-nft made table ip/ip6 raw with chain PREROUTING for the lockdown rule;
# the cycle's flush must have removed them (reset_origin had left no table at all).
netns_exec origin nft list tables >"$T/tables"
for t in "ip raw" "ip6 raw"; do
	! has -x "table $t" "$T/tables" || netns_fail "flush left table $t: $(cat "$T/tables")"
done
netns_exec origin nft list ruleset >"$T/rules"
! has -i "PREROUTING" "$T/rules" || netns_fail "flush left a PREROUTING chain: $(cat "$T/rules")"
ok "iptables-nft: flush removed the raw tables and PREROUTING chains it created"

# the same, but the admin had table ip raw with chain PREROUTING first: they stay, empty
reset_origin
netns_exec origin iptables-nft -A INPUT -p tcp --dport 22 -j ACCEPT
netns_exec origin iptables-nft -t raw -A PREROUTING -p udp --dport 9 -j ACCEPT
netns_exec origin iptables-nft -t raw -D PREROUTING -p udp --dport 9 -j ACCEPT
netns_exec origin nft -s list ruleset >"$T/before"
B=iptables
cda sync --mode lockdown
expect_rc 0 "iptables-nft: lockdown over an existing raw table"
netns_exec origin nft list table ip6 raw >/dev/null 2>&1 || netns_fail "no ip6 raw after the sync"
cda flush
expect_rc 0 "iptables-nft: flush"
diff -u "$T/before" <(netns_exec origin nft -s list ruleset) ||
	netns_fail "flush did not leave the ruleset as it found it"
netns_exec origin nft list chain ip raw PREROUTING >/dev/null || netns_fail "the admin's PREROUTING went"
! netns_exec origin nft list table ip6 raw >/dev/null 2>&1 || netns_fail "our ip6 raw stayed"
ok "iptables-nft: the admin's own table ip raw/PREROUTING stays; what cdnallow made (ip6 raw, ip6 filter) goes"

reset_origin
B=nftables
mode_switch_cycle nftables

echo "all $pass mode switch checks passed"
