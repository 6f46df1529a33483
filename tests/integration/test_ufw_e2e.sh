#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# End to end through the ufw backend: a cdn host keeps opening TCP connections
# to the origin's port 443 while cdnallow applies a stream of list updates
# (one prefix added, then removed again), and not a single connection may
# fail; the outsider stays out. Rules mode: 25 updates, because each one is a
# ufw call of 0.5-1 s (100 would take minutes and prove no more: every update
# is the same single add or delete). Ipset mode: 100 updates (set swaps).
# Both mode switches run under the probe too.
set -uo pipefail
. "$(dirname "$0")/lib/netns.sh"
. "$(dirname "$0")/lib/ufw.sh"
ufw_test_begin
netns_listen origin 443

printf '[guard]\nallow_test_ranges = true\n' >"$T/rules.conf"
printf '[guard]\nallow_test_ranges = true\n[ufw]\nipset_threshold = 3\n' >"$T/ipset.conf"
printf '203.0.113.0/24\n192.0.2.128/26\n198.51.100.128/26\n198.51.100.224/27\n2001:db8:cd::/48\n2001:db8:ce::/48\n' >"$T/l1"
grep -v '198.51.100.224/27' "$T/l1" >"$T/l2"

# The fault suite's prober in the cdn host (one process, no fork per probe, so a
# loaded machine does not turn a slow `timeout bash` into a failed connection):
# a connection every 20 ms until $T/stop exists, counts "ok bad" in $T/probe.count.
probe_count() { # ok|bad
	local ok bad
	read -r ok bad 2>/dev/null <"$T/probe.count" || { echo 0; return; }
	[ "$1" = ok ] && echo "${ok:-0}" || echo "${bad:-0}"
}

# probe_wait N: until the prober has N successful connections (not a sleep:
# it proves probes ran before, and after, what they watch)
probe_wait() {
	local i
	for i in $(seq 300); do
		[ "$(probe_count ok)" -ge "$1" ] && return 0
		sleep 0.05
	done
	netns_fail "the prober reached $(probe_count ok) of $1 connections in 15 s (bad: $(probe_count bad))"
}

probe_start() {
	rm -f "$T/stop" "$T/probe.count" "$T/probe.count.log"
	netns_exec cdn python3 "$(dirname "$0")/../faults/probe.py" "$T/probe.count" "$T/stop" \
		"$NETNS_ORIGIN4:443" &
	PROBE=$!
	probe_wait 3
}

# probe_stop: after 3 more successful connections; writes probe.ok and probe.fail
probe_stop() {
	probe_wait $(($(probe_count ok) + 3))
	touch "$T/stop"
	wait "$PROBE"
	probe_count ok >"$T/probe.ok"
	probe_count bad >"$T/probe.fail"
	[ ! -s "$T/probe.count.log" ] || sed 's/^/    failed: /' "$T/probe.count.log"
}

run_mode() { # MODE COUNT
	local mode=$1 count=$2 i list out t0 t1
	out=$(ufw_sync sync -b ufw -c "$T/$mode.conf" --state-dir "$T/state" -s "$T/l1" 2>&1) ||
		netns_fail "$mode: first sync: $out"
	netns_expect_open cdn "$NETNS_ORIGIN4" 443
	probe_start
	t0=$(date +%s%N)
	for ((i = 0; i < count; i++)); do
		[ $((i % 2)) = 0 ] && list=$T/l2 || list=$T/l1
		out=$(ufw_sync sync -b ufw -c "$T/$mode.conf" --state-dir "$T/state" -s "$list" 2>&1) ||
			{ probe_stop; netns_fail "$mode: update $i: $out"; }
	done
	t1=$(date +%s%N)
	probe_stop
	echo "$mode: $count updates in $(((t1 - t0) / 1000000)) ms, $(cat "$T/probe.ok") connections ok, $(cat "$T/probe.fail") failed"
	[ "$(cat "$T/probe.fail")" = 0 ] || netns_fail "$mode: $(cat "$T/probe.fail") connections from the cdn host failed"
	[ "$(cat "$T/probe.ok")" -gt "$count" ] || netns_fail "$mode: too few probes ($(cat "$T/probe.ok"))"
	netns_expect_closed outsider "$NETNS_ORIGIN4" 443
	ok "$mode mode: $count updates, 0 failed connections from the cdn host"
}

switch_probed() { # CONF WHAT
	probe_start
	out=$(ufw_sync sync -b ufw -c "$T/$1.conf" --state-dir "$T/state" -s "$T/l1" 2>&1) ||
		{ probe_stop; netns_fail "$2: $out"; }
	probe_stop
	[ "$(cat "$T/probe.fail")" = 0 ] || netns_fail "$2: $(cat "$T/probe.fail") connections failed"
	ok "$2 under load: 0 failed connections"
}

run_mode rules 25
switch_probed ipset "switch rules -> ipset"
run_mode ipset 100
switch_probed rules "switch ipset -> rules"

echo "PASS: $pass checks"
