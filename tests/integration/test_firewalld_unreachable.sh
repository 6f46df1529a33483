#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# `-b auto` with a real firewalld whose D-Bus cannot be reached (its socket
# moved away; firewalld and its table inet firewalld still loaded): an error naming
# firewalld and the bus, never a silent pick of nftables (whose accept
# firewalld's drop would override). With firewalld gone altogether, auto picks
# another backend again.
set -u
. "${TESTS_DIR:-$(dirname "$0")/..}/integration/lib/netns.sh"
. "${TESTS_DIR:-$(dirname "$0")/..}/integration/lib/firewalld.sh"
fwd_test_begin fwdunr
printf '[guard]\nallow_test_ranges = true\n' >"$T/conf"
printf '203.0.113.0/24\n2001:db8:cd::/48\n' >"$T/list"
plan_auto() {
	fwd_exec "$CDNALLOW" plan -c "$T/conf" -s "$T/list" --state-dir "$T/state" \
		>"$T/out" 2>&1
	rc=$?
}

plan_auto
[ $rc = 2 ] || netns_fail "plan with firewalld reachable: exit $rc: $(cat "$T/out")"
has "^backend firewalld" "$T/out" || netns_fail "auto did not pick firewalld: $(cat "$T/out")"
ok "auto picks a reachable firewalld"

# firewalld keeps running but nobody can reach it: its bus socket is gone
fwd_exec mv /run/dbus/system_bus_socket /run/dbus/hidden_socket || netns_fail "cannot hide the bus"
kill -0 "$FWD_PID" || netns_fail "firewalld stopped"
fwd_exec nft list table inet firewalld >/dev/null || netns_fail "firewalld's table is gone"
plan_auto
[ $rc = 1 ] || netns_fail "plan with firewalld's bus gone: exit $rc (want 1): $(cat "$T/out")"
has "table inet firewalld is loaded but firewalld does not answer on the system D-Bus" \
	"$T/out" || netns_fail "message: $(cat "$T/out")"
! has "^backend nftables" "$T/out" || netns_fail "fell back to nftables"
ok "firewalld loaded but its D-Bus unreachable: auto is an error naming firewalld and the bus"

# firewalld stopped for good (its table removed): nothing of it left, auto goes on
fwd_exec mv /run/dbus/hidden_socket /run/dbus/system_bus_socket
fwd_stop
netns_exec origin nft list table inet firewalld >/dev/null 2>&1 &&
	netns_fail "firewalld left its table behind when stopped"
netns_exec origin "$CDNALLOW" plan -c "$T/conf" -s "$T/list" --state-dir "$T/state" \
	>"$T/out" 2>&1
rc=$?
[ $rc = 2 ] || netns_fail "plan without firewalld: exit $rc: $(cat "$T/out")"
! has "firewalld" "$T/out" || netns_fail "still speaks of firewalld: $(cat "$T/out")"
ok "no firewalld at all: auto picks another backend"
echo "all $pass firewalld-unreachable checks passed"
