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
[ "$(id -u)" -eq 0 ] || { echo "skip: needs root"; exit 77; }
. "${TESTS_DIR:-$(dirname "$0")/..}/integration/lib/firewalld.sh"
. "${TESTS_DIR:-$(dirname "$0")/..}/integration/lib/probe.sh"
fwd_have_tools || { echo "skip: firewalld, dbus-daemon or nsenter missing"; exit 77; }
[ -x "${CDNALLOW:-}" ] || { echo "skip: CDNALLOW not set"; exit 77; }
[ -x /usr/bin/python3 ] || { echo "skip: no /usr/bin/python3 for the web listener"; exit 77; }

ORIGIN=cdna-fwd-$$-origin
CDN=cdna-fwd-$$-cdn
OUT=cdna-fwd-$$-out
WORK=$(mktemp -d /tmp/cdna-fwd-e2e.XXXXXX)
cleanup() {
	[ -n "$PROBER" ] && kill "$PROBER" 2>/dev/null
	fwd_monitor_stop
	fwd_hosts_stop
	fwd_stop
	ip netns del "$CDN" 2>/dev/null
	ip netns del "$OUT" 2>/dev/null
	ip netns del "$ORIGIN" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*" >&2
	exit 1
}

ip netns add "$ORIGIN" || fail "cannot create netns"
fwd_start "$ORIGIN" "$WORK/fwd" || fail "firewalld did not start"
fwd_hosts "$ORIGIN" "$CDN" "$OUT" || fail "cannot build the hosts"
[ "$(fwd_exec firewall-cmd --get-default-zone)" = public ] || fail "default zone is not public"

printf '[guard]\nallow_test_ranges = true\nmax_shrink = 90\n' >"$WORK/conf"
gen() { # made-up /24s 20.x.y.0, every other one (none merge), from index $1, $2 of them
	awk -v a="$1" -v c="$2" 'BEGIN { for (i = 2 * a; i < 2 * (a + c); i += 2)
		printf "20.%d.%d.0/24\n", int(i / 256), i % 256 }'
}
# The CDN's /24, one /32 and a v6 range varying with $1, and a block of 40
# /24s that changes every tenth list (80 changes: more than an in-place update).
list() {
	printf '203.0.113.0/24\n192.0.2.%s/32\n2001:db8:%x::/48\n' "$1" "$1"
	gen $(($1 / 10 * 40)) 40
}
sync_list() {
	fwd_exec "$CDNALLOW" sync -b firewalld -c "$WORK/conf" -s "$1" --state-dir "$WORK/state" \
		>/dev/null 2>"$WORK/err"
}

# Before: the default zone rejects everyone on port 80.
fwd_probe "$CDN" 203.0.113.1 && fail "cdn host connects before any sync"
fwd_probe "$OUT" 198.51.100.1 && fail "outsider connects before any sync"

list 1 >"$WORK/list"
sync_list "$WORK/list" || { cat "$WORK/err"; fail "first sync"; }
fwd_probe "$CDN" 203.0.113.1 || fail "cdn host cannot connect after sync"
fwd_probe "$OUT" 198.51.100.1 && fail "outsider connects after sync"

PROBE_DIR=$WORK PROBE_FAIL=fail

# 100 updates while the CDN host connects in a loop; every failure is counted.
probe_start "$CDN" 203.0.113.1:80
fwd_monitor_start "$WORK/mon"
failed_syncs=0 swaps=0 prev=$(fwd_active 4)
for i in $(seq 2 101); do
	list "$i" >"$WORK/list"
	sync_list "$WORK/list" || { failed_syncs=$((failed_syncs + 1)); cat "$WORK/err" >&2; }
	cur=$(fwd_active 4)
	[ "$cur" = "$prev" ] || swaps=$((swaps + 1))
	prev=$cur
done
fwd_monitor_stop
probe_check "100 updates ($swaps swaps, $failed_syncs failed syncs, $(fwd_reloads "$WORK/mon") reloads)"
[ "$failed_syncs" -eq 0 ] || fail "$failed_syncs syncs failed"
[ "$(fwd_reloads "$WORK/mon")" -eq 0 ] || fail "updates reloaded firewalld"
[ "$swaps" -ge 9 ] || fail "only $swaps of the updates swapped the twin ipsets"
[ "$(fwd_active_entries 4)" = "$(list 101 | grep -v : | sort)" ] ||
	fail "runtime entries after updates: $(fwd_active_entries 4)"
fwd_assert_rt_eq_perm || fail "runtime and permanent differ after updates"

# 3000 prefixes replaced by 3000 others, and back: two swaps under traffic.
{ list 101; gen 10000 3000; } >"$WORK/big1"
{ list 101; gen 20000 3000; } >"$WORK/big2"
sync_list "$WORK/big1" || { cat "$WORK/err"; fail "sync of 3000 more prefixes"; }
before=$(fwd_active 4)
probe_start "$CDN" 203.0.113.1:80
fwd_monitor_start "$WORK/mon"
sync_list "$WORK/big2" || { cat "$WORK/err"; fail "swap of 3000 prefixes"; }
[ "$(fwd_active 4)" != "$before" ] || fail "3000 changes did not swap the twin ipsets"
sync_list "$WORK/big1" || { cat "$WORK/err"; fail "swap back of 3000 prefixes"; }
[ "$(fwd_active 4)" = "$before" ] || fail "3000 changes back did not swap again"
fwd_monitor_stop
probe_check "2 swaps of 3000 changed prefixes ($(fwd_reloads "$WORK/mon") reloads)"
[ "$(fwd_reloads "$WORK/mon")" -eq 0 ] || fail "the swaps reloaded firewalld"
[ "$(fwd_active_entries 4)" = "$(grep -v : "$WORK/big1" | sort)" ] || fail "entries after swaps"
fwd_assert_rt_eq_perm || fail "runtime and permanent differ after the swaps"
fwd_probe "$OUT" 198.51.100.1 && fail "outsider connects after the swaps"

# An admin's reload rebuilds from the permanent configuration: still allowed.
fwd_exec firewall-cmd --reload >/dev/null || fail "admin reload"
fwd_probe "$CDN" 203.0.113.1 || fail "cdn host cannot connect after firewall-cmd --reload"
fwd_probe "$OUT" 198.51.100.1 && fail "outsider connects after firewall-cmd --reload"
echo "ok: firewalld e2e: cdn allowed, outsider rejected, 100 updates and 3000-prefix swaps" \
	"without loss or reload"
