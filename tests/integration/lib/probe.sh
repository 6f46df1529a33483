# SPDX-License-Identifier: GPL-2.0-or-later
# The connection prober of the end-to-end tests: the fault suite's probe.py in
# the CDN host's namespace (one process, no fork per probe, so a loaded machine
# does not turn a slow `timeout bash` into a failed connection) makes a
# connection every 20 ms until $PROBE_DIR/stop exists and counts "ok bad" in
# $PROBE_DIR/probe.count. The test sets PROBE_DIR and PROBE_FAIL (its fail
# function) and kills $PROBER in its cleanup.
PROBE_PY=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../faults" && pwd)/probe.py
PROBER=

probe_count() { # ok|bad
	local ok bad
	read -r ok bad 2>/dev/null <"$PROBE_DIR/probe.count" || { echo 0; return; }
	[ "$1" = ok ] && echo "${ok:-0}" || echo "${bad:-0}"
}

# probe_wait N: until the prober has N successful connections (not a sleep: it
# proves probes ran before, and after, what they watch)
probe_wait() {
	local _
	for _ in $(seq 400); do
		[ "$(probe_count ok)" -ge "$1" ] && return 0
		sleep 0.05
	done
	"$PROBE_FAIL" "the prober reached $(probe_count ok) of $1 connections in 20 s (bad: $(probe_count bad))"
}

probe_start() { # NETNS ADDR:PORT
	rm -f "$PROBE_DIR/stop" "$PROBE_DIR/probe.count" "$PROBE_DIR/probe.count.log"
	ip netns exec "$1" /usr/bin/python3 "$PROBE_PY" "$PROBE_DIR/probe.count" "$PROBE_DIR/stop" "$2" &
	PROBER=$!
	probe_wait 3
}

# probe_stop: after 3 more successful connections; the counts stay for probe_count
probe_stop() {
	probe_wait $(($(probe_count ok) + 3))
	touch "$PROBE_DIR/stop"
	wait "$PROBER"
	PROBER=
	[ ! -s "$PROBE_DIR/probe.count.log" ] || sed 's/^/    failed: /' "$PROBE_DIR/probe.count.log"
}

# probe_check PHASE: probe_stop, then fails unless every connection succeeded
probe_check() {
	probe_stop
	echo "$1: $(probe_count ok) connections ok, $(probe_count bad) failed"
	[ "$(probe_count ok)" -gt 0 ] || "$PROBE_FAIL" "$1: the prober made no connection"
	[ "$(probe_count bad)" -eq 0 ] ||
		"$PROBE_FAIL" "$1: $(probe_count bad) connections from the cdn host failed"
}
