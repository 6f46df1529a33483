#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A local list file rewritten while cdnallow parses it (src/sources/local_read.c):
# under gdb, the first chunk fed to the parser (source_stream_feed) stops the
# run and the file is rewritten in place; the read is refused ("changed while it
# was read"), the source falls back to its last good list (exit 0) and the
# kernel set keeps exactly the list of the previous sync. Three rewrites: one of
# the same size (only the mtime and the bytes tell), one that truncates to less
# than the chunk already read and one that appends (the size tells). A plain sync afterwards installs what the file holds then.
set -u
. "$TESTS_DIR/integration/lib/netns.sh"
netns_require gdb
. "$TESTS_DIR/integration/lib/nft.sh"
netns_init race
T=$NETNS_TMP
netns_new origin

# race_list FILE A B: 203.0.113.0/24, 2001:db8:cd::/48 and 10000 made-up,
# non-mergeable /32s (every other address): 11.A.I.J for I < 40, 11.B.I.J
# from I = 40 (past the first 64 KiB chunk: a mixed parse would differ).
race_list() {
	{
		echo "# made-up test list"
		echo "203.0.113.0/24"
		echo "2001:db8:cd::/48"
		awk -v a="$2" -v b="$3" 'BEGIN { for (i = 0; i < 80; i++) for (j = 0; j < 250; j += 2)
			printf "11.%d.%d.%d/32\n", i < 40 ? a : b, i, j }'
	} >"$1"
}
# race_elems FILE: the IPv4 elements nft lists for the list FILE (a /32 without its length)
race_elems() {
	nft_list_elems "$1" 4 | sed 's#/32$##' | sort -u
}
race_list "$T/l1" 0 0
race_list "$T/l2" 1 1
race_list "$T/l3" 1 2
[ "$(stat -c %s "$T/l2")" = "$(stat -c %s "$T/l3")" ] || netns_fail "l2 and l3 differ in size"
[ "$(stat -c %s "$T/l1")" -gt 131072 ] || netns_fail "the list is not three chunks long"
nft_conf "$T/conf" lockdown
SRC=$T/src-origin.txt

nft_sync origin "$T/conf" "$T/l1" || netns_fail "first sync"
[ "$(nft_elems origin inet cdnallow cdn4)" = "$(race_elems "$T/l1")" ] ||
	netns_fail "cdn4 differs from the list"
nft_elems origin inet cdnallow cdn4 >"$T/set1"
ok "first sync: cdn4 holds the $(wc -l <"$T/set1") IPv4 prefixes of the list"

# race NAME SHELL-CMD: puts l2 in place (a change: the run parses it) and syncs
# under gdb; at the first chunk fed to the parser, SHELL-CMD rewrites the file.
race() {
	local name=$1 cmd=$2 rc
	cp "$T/l2" "$SRC"
	cat >"$T/$name.gdb" <<EOF
set pagination off
set confirm off
tbreak source_stream_feed
commands
silent
printf "RACE hit\n"
bt 3
shell $cmd
continue
end
run
printf "RACE exit %d\n", \$_exitcode
EOF
	# LeakSanitizer cannot run under ptrace: an ASan build aborts at exit
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" netns_exec origin \
		timeout 300 gdb -q -batch -x "$T/$name.gdb" --args "$CDNALLOW" sync --json \
		-b nftables -c "$T/conf" -s "$SRC" --state-dir "$NETNS_TMP/state-origin" \
		>"$T/$name.json" 2>"$T/$name.err"
	has -x 'RACE hit' "$T/$name.json" || netns_fail "$name: no chunk fed: $(tail "$T/$name.err")"
	has -E 'in (read_chunks|source_read_local) ' "$T/$name.json" ||
		netns_fail "$name: the stop is not in the local read: $(grep -A3 'RACE hit' "$T/$name.json")"
	rc=$(sed -n 's/^RACE exit \([0-9-]*\)$/\1/p' "$T/$name.json")
	[ "$rc" = 0 ] || netns_fail "$name: exit '$rc' (a source that falls back exits 0): $(cat "$T/$name.err")"
	has -F "'$SRC' changed while it was read; it is read again next run" "$T/$name.json" ||
		netns_fail "$name: no problem for the file: $(cat "$T/$name.json" "$T/$name.err")"
	has '"changed": false' "$T/$name.json" || netns_fail "$name: the sync changed the firewall"
	diff -u "$T/set1" <(nft_elems origin inet cdnallow cdn4) >"$T/$name.diff" ||
		netns_fail "$name: cdn4 is not the first list: $(head -20 "$T/$name.diff")"
	[ "$(nft_elems origin inet cdnallow cdn6)" = "2001:db8:cd::/48" ] || netns_fail "$name: cdn6"
	ok "$name: exit 0, '$(grep -o "changed while it was read[^\"]*" "$T/$name.json" | head -n1)', cdn4 still the first list"
}
race same-size "dd if=$T/l3 of=$SRC conv=notrunc status=none"
cp "$SRC" "$T/now"
cmp -s "$T/now" "$T/l3" || netns_fail "the file is not l3 after the rewrite"
race truncate "truncate -s $(head -n 3000 "$T/l2" | wc -c) $SRC"
race append "cat $T/l3 >>$SRC"

# the next plain run reads the file as it is now
cp "$SRC" "$T/now"
netns_exec origin "$CDNALLOW" sync -q -b nftables -c "$T/conf" -s "$SRC" \
	--state-dir "$NETNS_TMP/state-origin" 2>"$T/after.err" || netns_fail "sync after: $(cat "$T/after.err")"
[ "$(nft_elems origin inet cdnallow cdn4)" = "$(race_elems "$T/now")" ] ||
	netns_fail "cdn4 is not the file's content after the race"
ok "a plain sync afterwards installs the file's content"
echo "PASS: $pass checks"
