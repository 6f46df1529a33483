# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Fault family "statedir": the state dir is read-only, full (a small tmpfs
# filled up), or its state.json and cache files are corrupt. sync must never
# leave the firewall between two lists nor empty, never install a list the
# guard would refuse, report the cause (errno text) and exit 1 when it could
# not do its job; state.json must always stay parseable (atomic writes).

# sd_json_ok FILE: 0 when FILE (seen from the origin) is valid JSON or absent
sd_json_ok() {
	fb_exec sh -c '[ ! -e "$1" ] || '"$PY"' -c "import json,sys; json.load(open(sys.argv[1]))" "$1"' \
		sh "$1"
}

# sd_tmpfs DIR: a tmpfs on DIR (in the origin's mount namespace) holding a copy
# of the state dir, sized from what it copies plus room for a sync's new files
# (state.json, one cached list), so its size does not depend on what ran before
sd_tmpfs() {
	local kb
	kb=$(du -sk "$T/state" | cut -f1)
	mkdir -p "$1"
	fb_exec mount -t tmpfs -o size=$((2 * kb + 256))k tmpfs "$1"
	fb_exec cp -a "$T/state/." "$1/"
}

family_statedir() {
	local d f
	flt_list "$T/good2.txt" 3 40

	case_begin read-only-state-dir
	d=$T/sd-ro
	sd_tmpfs "$d" || bad "cannot copy the state dir to $d"
	fb_exec mount -o remount,ro "$d"
	cp "$T/good2.txt" "$T/fx/good.txt"
	flt_conf "$T/case.conf" "url = $U/ok/good.txt"
	STATE=$d flt_sync "$T/case.conf"
	expect_rc "$EXIT_ERROR"
	expect_msg "$d" "Read-only file system"
	expect_fw "$LAST_GOOD"
	fb_exec umount "$d"
	case_end

	case_begin full-state-dir
	d=$T/sd-full
	sd_tmpfs "$d" || bad "cannot copy the state dir to $d"
	cp "$LAST_GOOD" "$T/fx/good.txt"
	STATE=$d flt_sync "$T/case.conf" || bad "baseline sync on the small tmpfs failed: $RC"
	fb_exec dd if=/dev/zero of="$d/filler" bs=1k 2>/dev/null
	cp "$T/good2.txt" "$T/fx/good.txt"
	STATE=$d flt_sync "$T/case.conf"
	cp "$T/err" "$T/err.enospc"
	expect_msg "No space left on device"
	expect_fw "$LAST_GOOD" "$T/good2.txt"
	sd_json_ok "$d/state.json" || bad "state.json is torn after ENOSPC"
	# a sync that could not record what it did must say so with exit 1
	[ "$RC" = "$EXIT_ERROR" ] ||
		bad "exit $RC, expected $EXIT_ERROR, with stderr: $(tr '\n' ' ' <"$T/err.enospc")"
	fb_exec rm -f "$d/filler"
	STATE=$d flt_sync "$T/case.conf"
	[ "$RC" = "$EXIT_OK" ] || bad "sync after freeing space: exit $RC"
	expect_fw "$T/good2.txt"
	fb_exec "$CDNALLOW" status -b "$BACKEND" -c "$T/case.conf" --state-dir "$d" >/dev/null \
		2>"$T/err.status" || bad "status after recovery: exit $? ($(head -1 "$T/err.status"))"
	fb_exec umount "$d"
	case_end
	flt_good "$T/good.txt"

	case_begin corrupt-state-json
	printf '{"version": 1, "last_run": 17\x00\xff garbage' >"$T/state/state.json"
	flt_conf "$T/case.conf" "url = $U/ok/good.txt"
	flt_sync "$T/case.conf"
	expect_rc "$EXIT_OK"
	expect_msg "ignoring the previous state"
	expect_fw "$LAST_GOOD"
	sd_json_ok "$T/state/state.json" || bad "state.json was not rewritten"
	case_end

	# The shrink rule must still hold when state.json is lost: the kernel holds the last good set.
	case_begin corrupt-state-then-shrunk-list
	echo garbage >"$T/state/state.json"
	flt_conf "$T/case.conf" "url = $U/shrunk/good.txt"
	flt_sync "$T/case.conf"
	expect_msg "compared with what the firewall holds" "max_shrink" "no sync history"
	expect_fw "$LAST_GOOD"
	case_end
	flt_good "$T/good.txt"

	case_begin corrupt-cache-files
	for f in "$T"/state/cache/*; do
		[ -f "$f" ] || continue
		head -c 40 "$f" >"$f.tmp"
		printf '\xff\x00 torn' >>"$f.tmp"
		mv "$f.tmp" "$f"
	done
	flt_conf "$T/case.conf" "url = $U/500"
	flt_sync "$T/case.conf"
	expect_rc "$EXIT_ERROR"
	expect_msg "source 'cdn'" "HTTP 500" "the firewall was not changed"
	expect_fw "$LAST_GOOD"
	case_end

	case_begin recover-after-corrupt-cache
	flt_conf "$T/case.conf" "url = $U/ok/good.txt"
	flt_sync "$T/case.conf"
	expect_rc "$EXIT_OK"
	expect_fw "$LAST_GOOD"
	case_end
}
