#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# `-b auto` with a real firewalld whose D-Bus cannot be reached (its socket
# moved away; firewalld and its table inet firewalld still loaded): an error naming
# firewalld and the bus, never a silent pick of nftables (whose accept
# firewalld's drop would override). With firewalld gone altogether, auto picks
# another backend again.
set -u
[ "$(id -u)" -eq 0 ] || { echo "skip: needs root"; exit 77; }
. "${TESTS_DIR:-$(dirname "$0")/..}/integration/lib/firewalld.sh"
. "${TESTS_DIR:-$(dirname "$0")/..}/integration/lib/common.sh"
fwd_have_tools || { echo "skip: firewalld, dbus-daemon or nsenter missing"; exit 77; }
[ -x "${CDNALLOW:-}" ] || { echo "skip: CDNALLOW not set"; exit 77; }

NS=cdna-fwd-$$-unreach
WORK=$(mktemp -d /tmp/cdna-fwd-unreach.XXXXXX)
cleanup() {
	fwd_stop
	ip netns del "$NS" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*" >&2
	exit 1
}

ip netns add "$NS" || fail "cannot create netns"
fwd_start "$NS" "$WORK/fwd" || fail "firewalld did not start"
printf '[guard]\nallow_test_ranges = true\n' >"$WORK/conf"
printf '203.0.113.0/24\n2001:db8:cd::/48\n' >"$WORK/list"
plan_auto() {
	fwd_exec "$CDNALLOW" plan -c "$WORK/conf" -s "$WORK/list" --state-dir "$WORK/state" \
		>"$WORK/out" 2>&1
	rc=$?
}

plan_auto
[ $rc = 2 ] || fail "plan with firewalld reachable: exit $rc: $(cat "$WORK/out")"
has "^backend firewalld" "$WORK/out" || fail "auto did not pick firewalld: $(cat "$WORK/out")"
ok "auto picks a reachable firewalld"

# firewalld keeps running but nobody can reach it: its bus socket is gone
fwd_exec mv /run/dbus/system_bus_socket /run/dbus/hidden_socket || fail "cannot hide the bus"
kill -0 "$FWD_PID" || fail "firewalld stopped"
fwd_exec nft list table inet firewalld >/dev/null || fail "firewalld's table is gone"
plan_auto
[ $rc = 1 ] || fail "plan with firewalld's bus gone: exit $rc (want 1): $(cat "$WORK/out")"
has "table inet firewalld is loaded but firewalld does not answer on the system D-Bus" \
	"$WORK/out" || fail "message: $(cat "$WORK/out")"
! has "^backend nftables" "$WORK/out" || fail "fell back to nftables"
ok "firewalld loaded but its D-Bus unreachable: auto is an error naming firewalld and the bus"

# firewalld stopped for good (its table removed): nothing of it left, auto goes on
fwd_exec mv /run/dbus/hidden_socket /run/dbus/system_bus_socket
fwd_stop
ip netns exec "$NS" nft list table inet firewalld >/dev/null 2>&1 &&
	fail "firewalld left its table behind when stopped"
ip netns exec "$NS" "$CDNALLOW" plan -c "$WORK/conf" -s "$WORK/list" --state-dir "$WORK/state" \
	>"$WORK/out" 2>&1
rc=$?
[ $rc = 2 ] || fail "plan without firewalld: exit $rc: $(cat "$WORK/out")"
! has "firewalld" "$WORK/out" || fail "still speaks of firewalld: $(cat "$WORK/out")"
ok "no firewalld at all: auto picks another backend"
echo "all $pass firewalld-unreachable checks passed"
