#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The ufw backend's ipset mode and the switches between modes, through the
# real binary against a real ufw in a network namespace with a private
# /etc/ufw: above the threshold the prefixes live in ipsets cdnallow4/6 made
# by a block in before.init and matched by a block in before.rules/before6.rules
# (the running rule inserted with iptables where a reload puts it: no `ufw
# reload`, which drops connections); no-op and incremental syncs run ufw not
# once (set swap only); rules->ipset and ipset->rules switches keep the cdn host connected and
# leave no leftovers; flush restores ufw's files byte for byte.
set -uo pipefail
. "$(dirname "$0")/lib/netns.sh"
. "$(dirname "$0")/lib/ufw.sh"
ufw_test_begin

printf '[guard]\nallow_test_ranges = true\n[ufw]\nipset_threshold = 3\n' >"$T/ipset.conf"
printf '[guard]\nallow_test_ranges = true\n' >"$T/rules.conf"
sync() { # CONF LIST
	ufw_sync sync -b ufw -c "$T/$1.conf" --state-dir "$T/state" -s "$2"
}
files() { ufw_exec cat /etc/ufw/before.rules /etc/ufw/before6.rules /etc/ufw/before.init; }
blocks() { files | grep -c '^# BEGIN cdnallow$'; }

ufw_exec ufw allow 22/tcp >/dev/null
ufw_exec ufw deny from 192.0.2.99 >/dev/null
user_before=$(ufw_user_rules_minus_ours)
files_before=$(files)
init_mode=$(ufw_exec stat -c %a /etc/ufw/before.init)
netns_listen origin 80 443

printf '203.0.113.0/24\n192.0.2.128/26\n198.51.100.128/26\n198.51.100.224/27\n2001:db8:cd::/48\n2001:db8:ce::/48\n' >"$T/l1"
grep -v '198.51.100.224/27' "$T/l1" >"$T/l2"

out=$(sync ipset "$T/l1" 2>&1) || netns_fail "sync from nothing: $out"
[ "$(ufw_set_entries cdnallow4 | tr '\n' ' ')" = "192.0.2.128/26 198.51.100.128/26 198.51.100.224/27 203.0.113.0/24 " ] ||
	netns_fail "cdnallow4: $(ufw_set_entries cdnallow4 | tr '\n' ' ')"
[ "$(ufw_set_entries cdnallow6 | tr '\n' ' ')" = "2001:db8:cd::/48 2001:db8:ce::/48 " ] ||
	netns_fail "cdnallow6: $(ufw_set_entries cdnallow6 | tr '\n' ' ')"
[ "$(blocks)" = 3 ] || netns_fail "$(blocks) blocks"
[ "$(ufw_calls)" = 0 ] || netns_fail "ufw calls: $(cat "$UFW_CALLS")"
[ "$(ufw_ours_count)" = 0 ] || netns_fail "per-prefix rules in ipset mode"
ufw_exec iptables -S ufw-before-input | has -- '--dports 80,443 -m set --match-set cdnallow4 src -j ACCEPT' ||
	netns_fail "ipset rule not loaded: $(ufw_exec iptables -S ufw-before-input)"
ufw_exec ip6tables -S ufw6-before-input | has -- '--match-set cdnallow6 src -j ACCEPT' ||
	netns_fail "ipset rule (v6) not loaded"
ufw_exec test -x /etc/ufw/before.init || netns_fail "before.init not executable"
ufw_exec sh -c 'sed -n 2p /etc/ufw/before.init' | has -x '# BEGIN cdnallow' || netns_fail "init block not after #!"
# the summary says what the sync made, not what was there before it (issue 15 item 8)
has -F "ipsets cdnallow4, cdnallow6 with 4 + 2 members, matched by a rule in /etc/ufw/before.rules" <<<"$out" ||
	netns_fail "the summary does not name the ipsets: $out"
has -F "0 ufw rules" <<<"$out" && netns_fail "the summary claims 0 ufw rules: $out"
ok "ipset mode from nothing: sets filled, 3 blocks, no ufw call, rule live, summary names the sets"

netns_expect_open cdn "$NETNS_ORIGIN4" 80
netns_expect_open cdn "$NETNS_ORIGIN6" 443
netns_expect_closed outsider "$NETNS_ORIGIN4" 443
netns_expect_closed outsider "$NETNS_ORIGIN6" 443
ok "packets: cdn in, outsider out"

# ufw's own reload must find the sets (before.init), keep them and rebuild
# exactly the chains cdnallow made live without a reload
live4=$(ufw_exec iptables -S ufw-before-input)
live6=$(ufw_exec ip6tables -S ufw6-before-input)
ufw_exec ufw reload >/dev/null || netns_fail "ufw reload with our blocks"
[ "$(ufw_exec iptables -S ufw-before-input)" = "$live4" ] ||
	netns_fail "the live rule is not where a reload puts it: $live4"
[ "$(ufw_exec ip6tables -S ufw6-before-input)" = "$live6" ] || netns_fail "v6 live rule misplaced"
netns_expect_open cdn "$NETNS_ORIGIN4" 443
ok "a manual ufw reload keeps working and rebuilds the same chains"

ufw_calls_reset
out=$(sync ipset "$T/l1" 2>&1) || netns_fail "no-op: $out"
[ "$(ufw_calls)" = 0 ] || netns_fail "no-op ran ufw: $(cat "$UFW_CALLS")"
out=$(sync ipset "$T/l2" 2>&1) || netns_fail "incremental: $out"
[ "$(ufw_calls)" = 0 ] || netns_fail "incremental ran ufw: $(cat "$UFW_CALLS")"
ufw_set_entries cdnallow4 | has 198.51.100.224 && netns_fail "stale range still in the set"
[ "$(ufw_set_entries cdnallow4 | wc -l)" = 3 ] || netns_fail "cdnallow4 after the update: $(ufw_set_entries cdnallow4)"
netns_expect_open cdn "$NETNS_ORIGIN4" 443
ok "no-op and incremental syncs run ufw not once (set swap)"

# ipset -> rules: rules first, then blocks out, one reload, sets destroyed
ufw_calls_reset
out=$(sync rules "$T/l2" 2>&1) || netns_fail "switch to rules: $out"
[ "$(ufw_ours_count)" = 5 ] || netns_fail "$(ufw_ours_count) rules after the switch"
has -F "5 ufw rules in /etc/ufw/user.rules, user6.rules (3 IPv4, 2 IPv6)" <<<"$out" ||
	netns_fail "the summary does not count the rules made: $out"
[ "$(blocks)" = 0 ] || netns_fail "blocks left after the switch"
ufw_exec ipset list -n 2>/dev/null | has cdnallow && netns_fail "sets left: $(ufw_exec ipset list -n)"
[ "$(grep -c '^ufw allow ' "$UFW_CALLS")" = 5 ] && [ "$(ufw_calls)" = 5 ] ||
	netns_fail "switch calls: $(cat "$UFW_CALLS")"
ufw_exec iptables -S ufw-before-input | has cdnallow && netns_fail "ipset rule left in the kernel"
[ "$(files)" = "$files_before" ] || netns_fail "ufw's files differ after leaving ipset mode"
netns_expect_open cdn "$NETNS_ORIGIN4" 443
ok "switch ipset -> rules: rules added first, blocks removed, sets destroyed, files restored"

# rules -> ipset: sets and blocks live (reload) before the rules go
ufw_calls_reset
out=$(sync ipset "$T/l1" 2>&1) || netns_fail "switch to ipset: $out"
[ "$(ufw_ours_count)" = 0 ] || netns_fail "rules left after the switch"
[ "$(blocks)" = 3 ] || netns_fail "blocks after the switch: $(blocks)"
[ "$(grep -c '^ufw delete ' "$UFW_CALLS")" = 5 ] && [ "$(ufw_calls)" = 5 ] ||
	netns_fail "switch calls: $(cat "$UFW_CALLS")"
ufw_exec iptables -S ufw-before-input | has -- '--match-set cdnallow4 src -j ACCEPT' ||
	netns_fail "ipset rule not live after the switch"
[ "$(ufw_set_entries cdnallow4 | wc -l)" = 4 ] || netns_fail "cdnallow4 after the switch"
netns_expect_open cdn "$NETNS_ORIGIN4" 443
ok "switch rules -> ipset: sets and live rule, then the 5 rules deleted"

[ "$(ufw_user_rules_minus_ours)" = "$user_before" ] || netns_fail "admin rules changed"
ok "admin rules untouched"

out=$(ufw_sync flush -b ufw -c "$T/ipset.conf" --state-dir "$T/state" 2>&1) || netns_fail "flush: $out"
[ "$(files)" = "$files_before" ] || netns_fail "flush did not restore ufw's files"
ufw_exec ipset list -n 2>/dev/null | has cdnallow && netns_fail "sets left after flush"
ufw_exec iptables -S ufw-before-input | has cdnallow && netns_fail "rule left in the kernel"
[ "$(ufw_user_rules_minus_ours)" = "$user_before" ] || netns_fail "flush changed admin rules"
netns_expect_closed cdn "$NETNS_ORIGIN4" 443
echo "note: before.init mode was $init_mode, now $(ufw_exec stat -c %a /etc/ufw/before.init)"
ok "flush: blocks, sets and kernel rule gone"

echo "PASS: $pass checks"
