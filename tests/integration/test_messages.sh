#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# What cdnallow says when it cannot do its job, on the real binary in a
# namespace: without root one line "needs root (CAP_NET_ADMIN)" and nothing
# about unreadable or corrupt files; a read-only state dir (bind-mounted
# read-only) leaves plan and status working; an empty local list names the file,
# not a URL; JSON given with -s points at [source:NAME]; a key in the wrong
# section names the right one; an unresolvable host costs one quick retry.
set -u
. "$TESTS_DIR/integration/lib/netns.sh"
netns_require setpriv unshare
netns_init msgs
T=$NETNS_TMP
netns_new origin
chmod 755 "$T"
printf '[guard]\nallow_test_ranges = true\n' >"$T/conf"
printf '203.0.113.0/24\n2001:db8:cd::/48\n' >"$T/list"
chmod 644 "$T/conf" "$T/list"

cda() { # ARGS...: as root in the origin; output $T/out, exit code $rc
	netns_exec origin "$CDNALLOW" "$@" >"$T/out" 2>&1
	rc=$?
}

cda sync -b nftables -c "$T/conf" -s "$T/list" --state-dir "$T/state"
[ $rc = 0 ] || netns_fail "sync: $(cat "$T/out")"

# a coverage build writes its counters at exit: as nobody it cannot write the
# build dir and says so on stderr, so its counters go to a dir nobody may write
gcov_nobody=$(mktemp -d /tmp/cdnallow-gcov-nobody.XXXXXX)
chmod 1777 "$gcov_nobody"
for c in plan sync status flush doctor; do
	netns_exec origin setpriv --reuid=65534 --regid=65534 --clear-groups \
		env GCOV_PREFIX="$gcov_nobody" "$CDNALLOW" "$c" -b nftables -c "$T/conf" -s "$T/list" --state-dir "$T/state" \
		>"$T/out" 2>&1
	rc=$?
	[ $rc = 1 ] || netns_fail "$c as nobody: exit $rc"
	[ "$(cat "$T/out")" = "cdnallow: error: cdnallow needs root (CAP_NET_ADMIN)" ] ||
		netns_fail "$c as nobody says: $(cat "$T/out")"
done
rm -rf "$gcov_nobody"
ok "without root: plan, sync, status, flush, doctor say 'needs root (CAP_NET_ADMIN)' once, nothing else"

netns_exec origin unshare -m sh -c '
	mount --bind "$1/state" "$1/state" && mount -o remount,bind,ro "$1/state" || exit 9
	"$2" plan -b nftables -c "$1/conf" -s "$1/list" --state-dir "$1/state" >"$1/plan.out" 2>&1
	echo $? >"$1/plan.rc"
	"$2" status -b nftables -c "$1/conf" -s "$1/list" --state-dir "$1/state" >"$1/status.out" 2>&1
	echo $? >"$1/status.rc"
' ro "$T" "$CDNALLOW"
[ "$(cat "$T/plan.rc")" = 0 ] || netns_fail "plan on a read-only state dir: $(cat "$T/plan.out")"
has "in sync: nothing to change" "$T/plan.out" || netns_fail "plan: $(cat "$T/plan.out")"
[ "$(cat "$T/status.rc")" = 0 ] || netns_fail "status on a read-only state dir: $(cat "$T/status.out")"
ok "read-only state dir: plan and status work without writing"

: >"$T/empty.txt"
cda fetch -c "$T/conf" -s "$T/empty.txt"
[ $rc = 1 ] || netns_fail "empty list accepted"
has "check the file's contents" "$T/out" || netns_fail "empty file: $(cat "$T/out")"
! has "check the URL" "$T/out" || netns_fail "an empty file is not a URL: $(cat "$T/out")"
ok "an empty local list names the file, not a URL"

printf '{"prefixes": [{"ip_prefix": "203.0.113.0/24"}]}\n' >"$T/r.json"
cda fetch -c "$T/conf" -s "$T/r.json"
[ $rc = 1 ] || netns_fail "JSON without json_path accepted"
has "\[source:NAME\] section of the config file" "$T/out" || netns_fail "json_path: $(cat "$T/out")"
ok "JSON with -s: the message says json_path is set in a [source:NAME] section"

printf '[cdnallow]\nmax_shrink = 10\n' >"$T/wrong.conf"
cda fetch -c "$T/wrong.conf" -s "$T/list"
[ $rc = 1 ] || netns_fail "misplaced key accepted"
has "key 'max_shrink' belongs in \[guard\], not in \[cdnallow\]" "$T/out" ||
	netns_fail "misplaced key: $(cat "$T/out")"
ok "a key in the wrong section names the section it belongs in"
# a name that cannot resolve (.invalid never does; the namespace has no route
# either): one quick retry, not the ~9 s backoff of 3 retries
t0=$(date +%s%N)
cda fetch -c "$T/conf" -s https://ranges.nonexistent.invalid/list.txt
t1=$(date +%s%N)
[ $rc = 1 ] || netns_fail "an unresolvable host gave exit $rc"
has "cannot resolve host" "$T/out" || netns_fail "DNS failure: $(cat "$T/out")"
has "after 2 attempts" "$T/out" || netns_fail "not exactly one retry: $(cat "$T/out")"
ms=$(((t1 - t0) / 1000000))
[ "$ms" -lt 3000 ] || netns_fail "an unresolvable host cost $ms ms"
ok "an unresolvable host fails after one quick retry ($ms ms)"
echo "all $pass message checks passed"
