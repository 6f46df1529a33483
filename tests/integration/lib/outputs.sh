# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Shared by the tests of [output:NAME] sections (source it after netns.sh and
# netns_init): the made-up CDN list every one of them syncs, one sync in the
# origin namespace whose exit status must be the expected one, how often an
# output's reload command ran, and a server's answer polled for.
#
#   outputs_list                 # $NETNS_TMP/cdn.txt: 203.0.113.0/24, 2001:db8:cd::/48
#   outputs_sync 0               # sync with $NETNS_TMP/conf; stderr in $NETNS_TMP/sync.err
#   outputs_reloads FILE         # lines in FILE (a reload command appends one), 0 if none
#   outputs_seen WHO HOST URL EXPECTED
#                                # polls outputs_fetch HOST URL until it prints EXPECTED

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

# outputs_reloads FILE: how often a reload command that appends a line to FILE ran
outputs_reloads() {
	if [ -f "$1" ]; then wc -l <"$1"; else echo 0; fi
}

# outputs_fetch HOST URL: the body of a request from HOST carrying the client-IP
# header $HDR with $OUTPUTS_CLIENT; a test redefines it where a server answers
# elsewhere (Apache: its access log)
outputs_fetch() {
	netns_exec "$1" curl -sS -m 5 -H "$HDR: $OUTPUTS_CLIENT" "$2"
}

# outputs_seen WHO HOST URL EXPECTED: polls while a reload (asynchronous in
# every server) takes effect; fails naming WHO and what it saw last
outputs_seen() {
	local got=
	for _ in $(seq 50); do
		got=$(outputs_fetch "$2" "$3" 2>/dev/null) && [ "$got" = "$4" ] && return 0
		sleep 0.1
	done
	netns_fail "via $2 ($3) $1 saw '$got', expected '$4'"
}
