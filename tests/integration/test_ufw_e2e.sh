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
. "$(dirname "$0")/lib/probe.sh"
ufw_test_begin
netns_listen origin 443

printf '[guard]\nallow_test_ranges = true\n' >"$T/rules.conf"
printf '[guard]\nallow_test_ranges = true\n[ufw]\nipset_threshold = 3\n' >"$T/ipset.conf"
printf '203.0.113.0/24\n192.0.2.128/26\n198.51.100.128/26\n198.51.100.224/27\n2001:db8:cd::/48\n2001:db8:ce::/48\n' >"$T/l1"
grep -v '198.51.100.224/27' "$T/l1" >"$T/l2"

PROBE_DIR=$T PROBE_FAIL=netns_fail

run_mode() { # MODE COUNT
	local mode=$1 count=$2 i list out t0 t1
	out=$(ufw_sync sync -b ufw -c "$T/$mode.conf" --state-dir "$T/state" -s "$T/l1" 2>&1) ||
		netns_fail "$mode: first sync: $out"
	netns_expect_open cdn "$NETNS_ORIGIN4" 443
	probe_start "$(netns_name cdn)" "$NETNS_ORIGIN4:443"
	t0=$(date +%s%N)
	for ((i = 0; i < count; i++)); do
		[ $((i % 2)) = 0 ] && list=$T/l2 || list=$T/l1
		out=$(ufw_sync sync -b ufw -c "$T/$mode.conf" --state-dir "$T/state" -s "$list" 2>&1) ||
			{ probe_stop; netns_fail "$mode: update $i: $out"; }
	done
	t1=$(date +%s%N)
	probe_stop
	echo "$mode: $count updates in $(((t1 - t0) / 1000000)) ms, $(probe_count ok) connections ok, $(probe_count bad) failed"
	[ "$(probe_count bad)" = 0 ] || netns_fail "$mode: $(probe_count bad) connections from the cdn host failed"
	[ "$(probe_count ok)" -gt "$count" ] || netns_fail "$mode: too few probes ($(probe_count ok))"
	netns_expect_closed outsider "$NETNS_ORIGIN4" 443
	ok "$mode mode: $count updates, 0 failed connections from the cdn host"
}

switch_probed() { # CONF WHAT
	probe_start "$(netns_name cdn)" "$NETNS_ORIGIN4:443"
	out=$(ufw_sync sync -b ufw -c "$T/$1.conf" --state-dir "$T/state" -s "$T/l1" 2>&1) ||
		{ probe_stop; netns_fail "$2: $out"; }
	probe_stop
	[ "$(probe_count bad)" = 0 ] || netns_fail "$2: $(probe_count bad) connections failed"
	ok "$2 under load: 0 failed connections"
}

run_mode rules 25
switch_probed ipset "switch rules -> ipset"
run_mode ipset 100
switch_probed rules "switch ipset -> rules"

echo "PASS: $pass checks"
