# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The mode and port switch cycle shared by test_mode_switch*.sh (source after
# netns.sh): on an origin whose input policy accepts, lockdown → allow → lockdown,
# then a port added, then a flush, each checked with plan's exit code and words,
# sync's words, status's exit code without --mode/--ports, and packets from the
# cdn and the outsider host. The caller defines `cda ARGS...`: the real binary
# with its backend, config, list and state dir, output in $T/out, code in $rc.

# expect_rc WANT WHAT: $rc is WANT, or fail with the output.
expect_rc() {
	[ "$rc" = "$1" ] || netns_fail "$2: exit $rc, want $1: $(cat "$T/out")"
}

expect_said() { # TEXT WHAT
	has -F -- "$1" "$T/out" || netns_fail "$2: no '$1' in: $(cat "$T/out")"
}

mode_switch_cycle() {
	local b=$1 O4=$NETNS_ORIGIN4 O6=$NETNS_ORIGIN6

	cda sync --mode lockdown
	expect_rc 0 "$b: lockdown sync"
	netns_expect_open cdn "$O4" 80
	netns_expect_closed outsider "$O4" 80
	netns_expect_closed outsider "$O6" 443
	cda status
	expect_rc 0 "$b: status of a lockdown install without --mode"
	ok "$b: lockdown installed; status without --mode judges it as lockdown"

	cda plan --mode allow
	expect_rc 2 "$b: plan lockdown → allow"
	expect_said "mode: lockdown → allow" "$b: plan lockdown → allow"
	cda sync --mode allow
	expect_rc 0 "$b: sync lockdown → allow"
	expect_said "switched mode: lockdown → allow" "$b: sync lockdown → allow"
	! has "in sync: nothing to change" "$T/out" || netns_fail "$b: the switch claims no change"
	netns_expect_open outsider "$O4" 80
	netns_expect_open outsider "$O6" 443
	netns_expect_open cdn "$O4" 80
	cda plan --mode allow
	expect_rc 0 "$b: plan after the switch to allow"
	cda status
	expect_rc 0 "$b: status after the switch to allow"
	ok "$b: lockdown → allow: plan exit 2 names it, sync removes the drop, then in sync"

	cda plan --mode lockdown
	expect_rc 2 "$b: plan allow → lockdown"
	expect_said "mode: allow → lockdown" "$b: plan allow → lockdown"
	cda sync --mode lockdown
	expect_rc 0 "$b: sync allow → lockdown"
	! has "in sync: nothing to change" "$T/out" || netns_fail "$b: the switch claims no change"
	netns_expect_closed outsider "$O4" 80
	netns_expect_closed outsider "$O6" 443
	netns_expect_open cdn "$O4" 443
	cda plan --mode lockdown
	expect_rc 0 "$b: plan after the switch to lockdown"
	ok "$b: allow → lockdown: plan exit 2 names it, sync installs the drop, then in sync"

	netns_expect_open outsider "$O4" 8443
	cda plan --mode lockdown --ports 80,443,8443
	expect_rc 2 "$b: plan with a port added"
	expect_said "ports: 80,443 → 80,443,8443" "$b: plan with a port added"
	cda sync --mode lockdown --ports 80,443,8443
	expect_rc 0 "$b: sync with a port added"
	netns_expect_closed outsider "$O4" 8443
	netns_expect_open cdn "$O4" 8443
	cda status
	expect_rc 0 "$b: status without --ports after the port change"
	cda plan --mode lockdown --ports 80,443,8443
	expect_rc 0 "$b: plan after the port change"
	ok "$b: ports 80,443 → 80,443,8443: plan exit 2 names it, sync closes 8443, status ok"

	cda flush
	expect_rc 0 "$b: flush"
	netns_expect_open outsider "$O4" 80
	cda status
	expect_rc 0 "$b: status after a flush"
	expect_said "flushed on " "$b: status after a flush"
	cda status || cda sync --offline
	netns_expect_open outsider "$O4" 80
	ok "$b: flush is recorded: status says so, exit 0, status || sync leaves it flushed"
}
