# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Fault family "lock": two cdnallow runs at once on the same state dir. The
# first holds the lock (stopped with SIGSTOP while its source hangs); the
# second must give up after its wait with exit 1 and a message naming the lock and the holder, and
# change nothing; the first then falls back to the cached copy (exit 0).

family_lock() {
	local pid rc1
	case_begin concurrent-runs
	# the first run takes the lock, then stops (SIGSTOP) while it fetches
	FLT_TIMEOUT=8 flt_conf "$T/hang.conf" "url = $U/hang"
	nsenter -t "$FB_PID" -m -n -- "$CDNALLOW" sync -b "$BACKEND" -c "$T/hang.conf" \
		--state-dir "$T/state" >"$T/out1" 2>"$T/err1" &
	pid=$!
	for _ in $(seq 50); do
		[ "$(cat "$T/state/lock" 2>/dev/null)" = "$pid" ] && break
		sleep 0.1
	done
	[ "$(cat "$T/state/lock" 2>/dev/null)" = "$pid" ] || bad "the first run did not take the lock"
	kill -STOP "$pid"
	flt_conf "$T/case.conf" "url = $U/ok/good.txt"
	flt_sync "$T/case.conf"
	expect_rc "$EXIT_ERROR"
	expect_msg "another cdnallow run holds the lock" "$T/state/lock" "$pid"
	expect_fw "$LAST_GOOD"
	kill -CONT "$pid"
	wait "$pid"
	rc1=$?
	[ "$rc1" = "$EXIT_OK" ] || bad "the first run exited $rc1, expected $EXIT_OK"
	grep -qF "using the last good cached copy" "$T/err1" || bad "the first run did not use its cache"
	expect_fw "$LAST_GOOD"
	case_end

	# the lock is free again: a normal run works
	case_begin after-concurrent-runs
	flt_sync "$T/case.conf"
	expect_rc "$EXIT_OK"
	expect_fw "$LAST_GOOD"
	case_end
}
