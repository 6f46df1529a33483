#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Packets end to end through a real firewalld (own netns + mount ns + private
# system D-Bus) whose default zone public rejects: after a sync the CDN host
# 203.0.113.10 (inside the made-up list) reaches port 80 and the outsider
# 198.51.100.10 does not; 100 incremental updates while the CDN host keeps
# connecting lose no connection and cause no Reloaded signal; an admin's
# firewall-cmd --reload keeps the allowlist. Needs root; never the host's firewall.
set -u
[ "$(id -u)" -eq 0 ] || { echo "skip: needs root"; exit 77; }
. "${TESTS_DIR:-$(dirname "$0")/..}/integration/lib/firewalld.sh"
fwd_have_tools || { echo "skip: firewalld, dbus-daemon or nsenter missing"; exit 77; }
[ -x "${CDNALLOW:-}" ] || { echo "skip: CDNALLOW not set"; exit 77; }
[ -x /usr/bin/python3 ] || { echo "skip: no /usr/bin/python3 for the web listener"; exit 77; }

ORIGIN=cdna-fwd-$$-origin
CDN=cdna-fwd-$$-cdn
OUT=cdna-fwd-$$-out
WORK=$(mktemp -d /tmp/cdna-fwd-e2e.XXXXXX)
PROBER=
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
list() { # the CDN's /24 plus one varying /32 (made up) and a v6 range
	printf '203.0.113.0/24\n192.0.2.%s/32\n2001:db8:%x::/48\n' "$1" "$1"
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

# 100 updates while the CDN host connects in a loop; every failure is counted.
(
	ok=0 bad=0
	while [ ! -e "$WORK/stop" ]; do
		if fwd_probe "$CDN" 203.0.113.1; then ok=$((ok + 1)); else bad=$((bad + 1)); fi
	done
	echo "$ok $bad" >"$WORK/probes"
) &
PROBER=$!
fwd_monitor_start "$WORK/mon"
failed_syncs=0
for i in $(seq 2 101); do
	list "$i" >"$WORK/list"
	sync_list "$WORK/list" || { failed_syncs=$((failed_syncs + 1)); cat "$WORK/err" >&2; }
done
touch "$WORK/stop"
wait "$PROBER"
PROBER=
fwd_monitor_stop
read -r ok bad <"$WORK/probes"
echo "100 updates: $ok connections ok, $bad failed, $failed_syncs failed syncs," \
	"$(fwd_reloads "$WORK/mon") reloads"
[ "$failed_syncs" -eq 0 ] || fail "$failed_syncs syncs failed"
[ "$ok" -gt 0 ] || fail "the prober made no connection"
[ "$bad" -eq 0 ] || fail "$bad connections from the cdn host failed during updates"
[ "$(fwd_reloads "$WORK/mon")" -eq 0 ] || fail "updates reloaded firewalld"
[ "$(fwd_entries cdnallow4)" = "$(printf '192.0.2.101/32\n203.0.113.0/24')" ] ||
	fail "runtime entries after updates: $(fwd_entries cdnallow4)"
fwd_assert_rt_eq_perm || fail "runtime and permanent differ after updates"

# An admin's reload rebuilds from the permanent configuration: still allowed.
fwd_exec firewall-cmd --reload >/dev/null || fail "admin reload"
fwd_probe "$CDN" 203.0.113.1 || fail "cdn host cannot connect after firewall-cmd --reload"
fwd_probe "$OUT" 198.51.100.1 && fail "outsider connects after firewall-cmd --reload"
echo "ok: firewalld e2e: cdn allowed, outsider rejected, 100 updates without loss or reload"
