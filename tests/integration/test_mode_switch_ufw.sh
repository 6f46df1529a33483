#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Mode and port switches on a real ufw (its own default policy set to allow, so
# that lockdown is what closes the web ports): lockdown → allow → lockdown,
# ports 80,443 → 80,443,8443, flush (lib/modeswitch.sh), with packets.
set -uo pipefail
. "$(dirname "$0")/lib/netns.sh"
. "$(dirname "$0")/lib/ufw.sh"
. "$(dirname "$0")/lib/modeswitch.sh"
ufw_test_begin
netns_listen origin 80 443 8443
ufw_exec ufw default allow incoming >/dev/null || netns_fail "ufw default allow"
printf '203.0.113.0/24\n2001:db8:cd::/48\n5.1.0.0/24\n' >"$T/list"
printf '[guard]\nallow_test_ranges = true\n' >"$T/conf"

cda() {
	ufw_sync "$1" -b ufw -c "$T/conf" -s "$T/list" --state-dir "$T/state" "${@:2}" \
		>"$T/out" 2>&1
	rc=$?
}

mode_switch_cycle ufw
echo "all $pass ufw mode switch checks passed"
