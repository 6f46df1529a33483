# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Fault family "guard": the endpoint serves a list that downloads fine but
# must never be installed: the default route, a private range, a list shrunk
# by half. sync keeps the cached copy, names the source and the rule, exits 0
# and the firewall stays as it was; --force may override the shrink rule but
# never the default-route rule.

family_guard() {
	fetch_case default-route "$U/poison/good.txt" "$EXIT_OK" "prefix 0.0.0.0/0 refused (default route"
	fetch_case private-range "$U/private/good.txt" "$EXIT_OK" "refused (private-use 10.0.0.0/8)"
	fetch_case shrunk-50pct "$U/shrunk/good.txt" "$EXIT_OK" "max_shrink is 30%" \
		"shrank from"

	case_begin default-route-force
	flt_conf "$T/case.conf" "url = $U/poison/good.txt"
	flt_sync "$T/case.conf" --force
	expect_rc "$EXIT_OK"
	expect_msg "source 'cdn'" "0.0.0.0/0 refused"
	expect_fw "$LAST_GOOD"
	case_end
}
