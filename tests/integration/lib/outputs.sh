# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Shared by the tests of [output:NAME] sections (source it after netns.sh and
# netns_init): the made-up CDN list every one of them syncs, and one sync in
# the origin namespace whose exit status must be the expected one.
#
#   outputs_list                 # $NETNS_TMP/cdn.txt: 203.0.113.0/24, 2001:db8:cd::/48
#   outputs_sync 0               # sync with $NETNS_TMP/conf; stderr in $NETNS_TMP/sync.err

# the visitor the CDN speaks for
OUTPUTS_CLIENT=192.0.2.200

outputs_list() {
	printf '# made-up CDN list\n203.0.113.0/24\n2001:db8:cd::/48\n' >"$NETNS_TMP/cdn.txt"
}

# outputs_sync EXPECTED_RC: nftables in the origin, the outputs of $NETNS_TMP/conf
outputs_sync() {
	local rc=0
	netns_exec origin "$CDNALLOW" -q -c "$NETNS_TMP/conf" --state-dir "$NETNS_TMP/state" \
		-s "$NETNS_TMP/cdn.txt" -b nftables sync 2>"$NETNS_TMP/sync.err" || rc=$?
	[ "$rc" = "$1" ] || {
		cat "$NETNS_TMP/sync.err"
		netns_fail "sync exited $rc, expected $1"
	}
}
