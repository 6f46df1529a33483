#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Packets end to end through a real firewalld (own netns + mount ns + private
# system D-Bus) whose default zone public rejects: after a sync the CDN host
# 203.0.113.10 (inside the made-up list) reaches port 80 and the outsider
# 198.51.100.10 does not; 100 updates (every tenth one large enough to swap
# the policy's rules to the twin ipset) and then swaps of 3000 changed
# prefixes (one shard: the list stays below 4000), while the CDN host keeps connecting, lose no connection and cause
# no Reloaded signal; an admin's firewall-cmd --reload keeps the allowlist.
# Lists are made up: documentation ranges plus 20.x.y.0/24s no packet goes to.
# Needs root; never the host's firewall.
set -u
. "${TESTS_DIR:-$(dirname "$0")/..}/integration/lib/netns.sh"
. "${TESTS_DIR:-$(dirname "$0")/..}/integration/lib/firewalld.sh"
. "${TESTS_DIR:-$(dirname "$0")/..}/integration/lib/probe.sh"
fwd_test_begin fwde2e hosts
netns_listen origin 80
[ "$(fwd_exec firewall-cmd --get-default-zone)" = public ] || netns_fail "default zone is not public"

printf '[guard]\nallow_test_ranges = true\nmax_shrink = 90\n' >"$T/conf"
# The CDN's /24, one /32 and a v6 range varying with $1, and a block of 40
# /24s that changes every tenth list (80 changes: more than an in-place update).
list() {
	printf '203.0.113.0/24\n192.0.2.%s/32\n2001:db8:%x::/48\n' "$1" "$1"
	fwd_gen $(($1 / 10 * 40)) 40
}
sync_list() {
	fwd_exec "$CDNALLOW" sync -b firewalld -c "$T/conf" -s "$1" --state-dir "$T/state" \
		>/dev/null 2>"$T/err"
}

# Before: the default zone rejects everyone on port 80.
netns_connect cdn "$NETNS_ORIGIN4" 80 2 && netns_fail "cdn host connects before any sync"
netns_connect outsider "$NETNS_ORIGIN4" 80 2 && netns_fail "outsider connects before any sync"

list 1 >"$T/list"
sync_list "$T/list" || { cat "$T/err"; netns_fail "first sync"; }
netns_connect cdn "$NETNS_ORIGIN4" 80 2 || netns_fail "cdn host cannot connect after sync"
netns_connect outsider "$NETNS_ORIGIN4" 80 2 && netns_fail "outsider connects after sync"

PROBE_DIR=$T PROBE_FAIL=netns_fail

# 100 updates while the CDN host connects in a loop; every failure is counted.
probe_start "$(netns_name cdn)" "$NETNS_ORIGIN4:80"
fwd_monitor_start "$T/mon"
failed_syncs=0 swaps=0 prev=$(fwd_active 4)
for i in $(seq 2 101); do
	list "$i" >"$T/list"
	sync_list "$T/list" || { failed_syncs=$((failed_syncs + 1)); cat "$T/err" >&2; }
	cur=$(fwd_active 4)
	[ "$cur" = "$prev" ] || swaps=$((swaps + 1))
	prev=$cur
done
fwd_monitor_stop
probe_check "100 updates ($swaps swaps, $failed_syncs failed syncs, $(fwd_reloads "$T/mon") reloads)"
[ "$failed_syncs" -eq 0 ] || netns_fail "$failed_syncs syncs failed"
[ "$(fwd_reloads "$T/mon")" -eq 0 ] || netns_fail "updates reloaded firewalld"
[ "$swaps" -ge 9 ] || netns_fail "only $swaps of the updates swapped the twin ipsets"
[ "$(fwd_active_entries 4)" = "$(list 101 | grep -v : | sort)" ] ||
	netns_fail "runtime entries after updates: $(fwd_active_entries 4)"
fwd_assert_rt_eq_perm || netns_fail "runtime and permanent differ after updates"

# 3000 prefixes replaced by 3000 others, and back: two swaps under traffic.
{ list 101; fwd_gen 10000 3000; } >"$T/big1"
{ list 101; fwd_gen 20000 3000; } >"$T/big2"
sync_list "$T/big1" || { cat "$T/err"; netns_fail "sync of 3000 more prefixes"; }
before=$(fwd_active 4)
probe_start "$(netns_name cdn)" "$NETNS_ORIGIN4:80"
fwd_monitor_start "$T/mon"
sync_list "$T/big2" || { cat "$T/err"; netns_fail "swap of 3000 prefixes"; }
[ "$(fwd_active 4)" != "$before" ] || netns_fail "3000 changes did not swap the twin ipsets"
sync_list "$T/big1" || { cat "$T/err"; netns_fail "swap back of 3000 prefixes"; }
[ "$(fwd_active 4)" = "$before" ] || netns_fail "3000 changes back did not swap again"
fwd_monitor_stop
probe_check "2 swaps of 3000 changed prefixes ($(fwd_reloads "$T/mon") reloads)"
[ "$(fwd_reloads "$T/mon")" -eq 0 ] || netns_fail "the swaps reloaded firewalld"
[ "$(fwd_active_entries 4)" = "$(grep -v : "$T/big1" | sort)" ] || netns_fail "entries after swaps"
fwd_assert_rt_eq_perm || netns_fail "runtime and permanent differ after the swaps"
netns_connect outsider "$NETNS_ORIGIN4" 80 2 && netns_fail "outsider connects after the swaps"

# An admin's reload rebuilds from the permanent configuration: still allowed.
fwd_exec firewall-cmd --reload >/dev/null || netns_fail "admin reload"
netns_connect cdn "$NETNS_ORIGIN4" 80 2 || netns_fail "cdn host cannot connect after firewall-cmd --reload"
netns_connect outsider "$NETNS_ORIGIN4" 80 2 && netns_fail "outsider connects after firewall-cmd --reload"
echo "ok: firewalld e2e: cdn allowed, outsider rejected, 100 updates and 3000-prefix swaps" \
	"without loss or reload"
