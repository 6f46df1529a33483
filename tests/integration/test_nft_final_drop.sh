#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Allow mode finds where the host's input path ends in a drop for the web ports,
# on Debian's own, unedited rulesets, with packets from a CDN host: a final
# `counter drop` (examples/workstation.nft), a drop policy (examples/ct_helpers.nft),
# no drop at all (the stock /etc/nftables.conf), a verdict map it cannot judge
# (examples/sets_and_maps.nft, whose map is empty), a drop by input interface it
# cannot decide, and a jump and a goto into a chain that drops.
# A typo in [nftables] chain is an error before anything is created.
set -u
. "$TESTS_DIR/integration/lib/netns.sh"
netns_require python3 ss timeout
. "$TESTS_DIR/integration/lib/nft.sh"
netns_init nftdrop
T=$NETNS_TMP
O4=$NETNS_ORIGIN4
O6=$NETNS_ORIGIN6
EX=/usr/share/doc/nftables/examples
STOCK=/etc/nftables.conf
[ -r "$EX/workstation.nft" ] || netns_skip "needs Debian's nftables examples"

netns_topology
netns_listen origin 80 443
nft_list "$T/list" 0 10
nft_conf "$T/allow.conf" allow

# run CMD...: cdnallow in the origin; output in $T/out, exit code in $rc.
run() {
	local src
	src=$(nft_src origin "$T/list")
	netns_exec origin "$CDNALLOW" "$1" -b nftables -c "$T/allow.conf" -s "$src" \
		--state-dir "$T/state" "${@:2}" >"$T/out" 2>&1
	rc=$?
}

# fresh FILE: the origin's ruleset replaced by FILE, no cdnallow state.
fresh() {
	netns_exec origin nft flush ruleset
	rm -rf "$T/state"
	netns_exec origin nft -f "$1" || netns_fail "nft -f $1"
}

expect_cdn_only() {
	local p
	for p in 80 443; do
		netns_expect_open cdn "$O4" $p
		netns_expect_open cdn "$O6" $p
		netns_expect_closed outsider "$O4" $p
		netns_expect_closed outsider "$O6" $p
	done
}

# --- workstation.nft: policy accept, last rule `counter drop`
fresh "$EX/workstation.nft"
netns_exec origin nft -s list ruleset >"$T/admin"
netns_expect_closed cdn "$O4" 80
run sync
[ $rc = 0 ] || netns_fail "sync on workstation.nft: $(cat "$T/out")"
has "allowing the CDN in table inet filter chain input, which drops the web ports" "$T/out" ||
	netns_fail "no word about the chain chosen: $(cat "$T/out")"
! has "changes nothing" "$T/out" || netns_fail "claims allow mode changes nothing"
expect_cdn_only
netns_exec origin nft -a list chain inet filter input | sed -n '/hook input/{n;p;}' |
	has -E 'ip saddr @cdnallow4 counter .* accept comment "cdnallow"' ||
	netns_fail "the accept is not on top"
run plan
[ $rc = 0 ] || netns_fail "plan after the sync: exit $rc: $(cat "$T/out")"
run sync
! has "allowing the CDN" "$T/out" || netns_fail "the choice is repeated on every sync"
run status
! has "allowing the CDN" "$T/out" || netns_fail "the choice is repeated by status"
run flush
[ $rc = 0 ] || netns_fail "flush: $(cat "$T/out")"
diff -u "$T/admin" <(netns_exec origin nft -s list ruleset) || netns_fail "flush left something"
netns_expect_closed cdn "$O4" 80
ok "workstation.nft: the accept goes above the final counter drop; cdn in, outsider out; flush restores"

# --- ct_helpers.nft: policy drop (named helpers, unedited)
fresh "$EX/ct_helpers.nft"
run sync
[ $rc = 0 ] || netns_fail "sync on ct_helpers.nft: $(cat "$T/out")"
has "whose policy is drop" "$T/out" || netns_fail "policy drop not named: $(cat "$T/out")"
expect_cdn_only
ok "ct_helpers.nft: a drop policy still found"

# --- Debian's stock /etc/nftables.conf: nothing drops, allow changes nothing (and says so)
if [ -r "$STOCK" ] && has "hook input priority filter;" "$STOCK"; then
	fresh "$STOCK"
	run sync
	[ $rc = 0 ] || netns_fail "sync on the stock nftables.conf: $(cat "$T/out")"
	has "no input chain drops the web ports" "$T/out" || netns_fail "no explanation: $(cat "$T/out")"
	netns_expect_open outsider "$O4" 80
	ok "stock /etc/nftables.conf: nothing drops, the message says allow mode changes nothing"
fi

# --- sets_and_maps.nft: a verdict map, empty as the file leaves it: read, not guessed
netns_exec origin nft flush ruleset
for i in 0 1 2 3; do netns_exec origin ip link add "eth$i" type veth peer name "peer$i"; done
rm -rf "$T/state"
netns_exec origin nft add table ip filter
netns_exec origin nft -f "$EX/sets_and_maps.nft" || netns_fail "sets_and_maps.nft"
run plan
has "no input chain drops the web ports" "$T/out" ||
	netns_fail "the empty verdict map is misjudged: $(cat "$T/out")"
ok "sets_and_maps.nft: its (empty) verdict map is evaluated, nothing drops"

# --- a drop that depends on the input interface, on a host with several: undecidable
netns_exec origin nft flush ruleset
rm -rf "$T/state"
netns_exec origin nft -f - <<'EOF' || netns_fail "iifname ruleset"
table inet filter {
	chain input {
		type filter hook input priority filter; policy accept;
		ct state established,related accept
		iifname "peer0" drop
	}
}
EOF
run plan
has "cannot tell whether table inet filter chain input drops the web ports" "$T/out" ||
	netns_fail "the undecidable chain is not named: $(cat "$T/out")"
has "set \\[nftables\\] table/chain" "$T/out" || netns_fail "no hint at [nftables] table/chain"
! has "changes nothing" "$T/out" || netns_fail "claims allow mode changes nothing"
ok "a drop by input interface is undecidable, said with the chain and the keys to set"

# --- a jump and a goto into a chain that drops (policy accept everywhere)
for verb in jump goto; do
	netns_exec origin nft flush ruleset
	rm -rf "$T/state"
	netns_exec origin nft -f - <<EOF || netns_fail "$verb ruleset"
table inet filter {
	chain deny { counter drop; }
	chain input {
		type filter hook input priority filter; policy accept;
		iif lo accept
		ct state established,related accept
		tcp dport 22 accept
		$verb deny
	}
}
EOF
	netns_expect_closed cdn "$O4" 443
	run sync
	[ $rc = 0 ] || netns_fail "sync with a $verb: $(cat "$T/out")"
	expect_cdn_only
	ok "a $verb into a chain that drops: the accept goes before it"
done

# --- [nftables] chain = inptu: an error before anything exists
netns_exec origin nft flush ruleset
rm -rf "$T/state"
netns_exec origin nft -f "$EX/workstation.nft"
netns_exec origin nft -s list ruleset >"$T/admin"
nft_conf "$T/allow.conf" allow '[nftables]' 'table = inet filter' 'chain = inptu'
run plan
[ $rc = 1 ] || netns_fail "plan with a missing chain: exit $rc (want 1): $(cat "$T/out")"
has "chain 'inptu' does not exist in table inet filter (its input chains: 'input')" "$T/out" ||
	netns_fail "plan's message: $(cat "$T/out")"
run sync
[ $rc = 1 ] || netns_fail "sync with a missing chain: exit $rc"
diff -u "$T/admin" <(netns_exec origin nft -s list ruleset) || netns_fail "the failed sync left objects"
run status
! has "installed: [1-9]" "$T/out" || netns_fail "status claims an install: $(cat "$T/out")"
ok "[nftables] chain typo: plan and sync exit 1 naming the table's input chains, nothing created"

echo "all $pass nftables final-drop checks passed"
