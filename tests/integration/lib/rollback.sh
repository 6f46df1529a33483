# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Shared by test_rollback.sh (source it after netns.sh and netns_init): the
# checks every backend's failed first sync must pass.
#
#   rollback_expect WHAT SNAP BEFORE WORDS...
#
# The sync's exit status is in $rc and its output in $NETNS_TMP/out. The sync
# exited 1, printed every WORD, and SNAP (a function writing what the firewall
# holds to the file it is given) now writes exactly BEFORE. Each check fails
# the test on its own.
rollback_expect() {
	local what=$1 snap=$2 before=$3 w
	shift 3
	[ "$rc" = 1 ] || netns_fail "$what: exit $rc, expected 1: $(cat "$NETNS_TMP/out")"
	for w in "$@"; do
		has -F "$w" "$NETNS_TMP/out" ||
			netns_fail "$what: the output lacks '$w': $(cat "$NETNS_TMP/out")"
	done
	"$snap" "$NETNS_TMP/after"
	diff -u "$before" "$NETNS_TMP/after" >"$NETNS_TMP/diff" ||
		netns_fail "$what: the failed sync left something behind: $(cat "$NETNS_TMP/diff")"
}
