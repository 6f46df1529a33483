# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Fault family "crash": cdnallow is SIGKILLed at random points while it
# applies a large change (CRASH_N prefixes, half of them replaced), and
# SIGSTOPped in the middle for a few seconds. The firewall must hold exactly
# the old or the new list afterwards — never a mix, never nothing — the cdn
# host must never be refused, and the next sync must finish the job (exit 0,
# the new list). Timing instead of a test hook: the list is big enough that
# the apply takes seconds.

crash_conf() {
	# the big list is meant: 40 /24s grow to 200000 /32s (+1808% of the addresses)
	FLT_TIMEOUT=60 FLT_SHRINK=100 FLT_GROW=100000 flt_conf "$T/crash.conf" "path = $T/big.txt"
}

# crash_sync LIST: a full sync to LIST; seconds taken in $DT
crash_sync() {
	local t0
	cp "$1" "$T/big.txt"
	t0=$(date +%s%N)
	flt_sync "$T/crash.conf"
	DT=$(((($(date +%s%N) - t0) / 1000000)))
}

# A sync in the background whose $! is cdnallow itself (nsenter execs it), not
# a subshell: signals must reach the process that talks to the kernel.
crash_bg() {
	nsenter -t "$FB_PID" -m -n -- "$CDNALLOW" sync -b "$BACKEND" -c "$T/crash.conf" \
		--state-dir "$T/state" >"$T/out" 2>"$T/err" &
}

crash_is_cdnallow() { # PID
	[ "$(readlink "/proc/$1/exe" 2>/dev/null)" = "$(readlink -f "$CDNALLOW")" ]
}

# crash_running PID: 0 while PID is cdnallow, waiting out nsenter's exec (under
# load it may still be nsenter); 1 once it has ended.
crash_running() {
	local _
	for _ in $(seq 100); do
		crash_is_cdnallow "$1" && return 0
		[ "$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" = Z ] && return 1
		[ -e "/proc/$1" ] || return 1
		sleep 0.02
	done
	return 1
}

family_crash() {
	local i from to ms pid kill_ms rc landed stop_ms
	flt_big "$T/bigA.txt" 0 "$CRASH_N"
	flt_big "$T/bigB.txt" $((CRASH_N / 2)) "$CRASH_N"
	crash_conf

	case_begin "install-${CRASH_N}"
	crash_sync "$T/bigA.txt"
	ms=$DT
	expect_rc "$EXIT_OK"
	expect_fw "$T/bigA.txt"
	case_end
	case_begin "replace-half-of-${CRASH_N}"
	crash_sync "$T/bigB.txt"
	[ "$DT" -lt "$ms" ] && ms=$DT
	expect_rc "$EXIT_OK"
	expect_fw "$T/bigB.txt"
	case_end
	echo "     a sync replacing $CRASH_N prefixes takes ${ms} ms"

	from=$T/bigB.txt
	to=$T/bigA.txt
	landed=0
	for i in 1 2 3 4 5 6 7 8 9 10; do
		[ "$landed" -ge "${CRASH_KILLS:-3}" ] && break
		# uniform over 10..90% of the last full replace: fetch, plan, apply, state
		kill_ms=$((ms / 10 + RANDOM * ms * 8 / 10 / 32768))
		case_begin "sigkill-at-${kill_ms}ms-of-${ms}"
		cp "$to" "$T/big.txt"
		crash_bg
		pid=$!
		sleep "$(awk -v m="$kill_ms" 'BEGIN { printf "%.3f", m / 1000 }')"
		crash_is_cdnallow "$pid" || [ ! -e "/proc/$pid" ] || bad "pid $pid is not cdnallow"
		kill -KILL "$pid" 2>/dev/null
		{ wait "$pid"; } 2>/dev/null
		rc=$?
		if [ "$rc" = 137 ]; then
			landed=$((landed + 1))
		else
			# the machine is quicker now than when ms was measured: aim earlier
			echo "     (this sync ended with $rc before the kill: it counts as a plain run)"
			ms=$kill_ms
		fi
		expect_fw "$from" "$to"
		# the next run finishes the job
		crash_sync "$to"
		expect_rc "$EXIT_OK"
		expect_fw "$to"
		case_end
		from=$to
		[ "$to" = "$T/bigA.txt" ] && to=$T/bigB.txt || to=$T/bigA.txt
	done
	[ "$landed" -gt 0 ] || {
		case_begin sigkill-landed
		bad "no SIGKILL landed during a sync in 10 tries"
		case_end
	}

	case_begin sigstop-during-apply
	# a quarter of the last full replace in; a sync that is over by then (the
	# machine got quicker) counts as a plain run, and the next try aims earlier
	stop_ms=$((ms / 4))
	for _ in 1 2 3 4 5; do
		cp "$to" "$T/big.txt"
		crash_bg
		pid=$!
		sleep "$(awk -v m="$stop_ms" 'BEGIN { printf "%.3f", m / 1000 }')"
		crash_running "$pid" && kill -STOP "$pid" && break
		wait "$pid"
		RC=$?
		expect_rc "$EXIT_OK"
		expect_fw "$to"
		echo "     (this sync ended within ${stop_ms} ms, before the stop: it counts as a plain run)"
		stop_ms=$((stop_ms / 2))
		from=$to
		[ "$to" = "$T/bigA.txt" ] && to=$T/bigB.txt || to=$T/bigA.txt
	done
	crash_is_cdnallow "$pid" || bad "no sync was still running to be stopped in 5 tries"
	sleep 3
	expect_fw "$from" "$to"
	kill -CONT "$pid"
	wait "$pid"
	RC=$?
	expect_rc "$EXIT_OK"
	expect_fw "$to"
	case_end

	flt_good "$T/good.txt"
}
