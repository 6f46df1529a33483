# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Fault family "fetch": the source endpoint fails in every way a provider has
# failed (HTTP 500/404, hang, slow drip, truncated, empty, huge or garbage
# body, TLS failures, plain http). Each time sync must keep the last good list
# (the cached copy of source 'cdn'), say why naming the source, exit 0, and
# leave the firewall exactly as it was; without a cache it must exit 1 and
# change nothing. Ends with a real update to prove the suite is not stuck.

fetch_case() { # NAME URL EXIT CAUSE...
	local name=$1 url=$2 want=$3
	shift 3
	case_begin "$name"
	flt_conf "$T/case.conf" "url = $url"
	flt_sync "$T/case.conf"
	expect_rc "$want"
	expect_msg "source 'cdn'" "$@"
	[ "$want" = "$EXIT_OK" ] && expect_msg "using the last good cached copy"
	expect_fw "$LAST_GOOD"
	case_end
}

family_fetch() {
	fetch_case http-500 "$U/500" "$EXIT_OK" "HTTP 500"
	# Failed downloads never reach the backend: slow backends (FETCH_QUICK=1,
	# firewalld: ~15 s a case) run one case per kind, nftables and iptables all.
	if [ "${FETCH_QUICK:-0}" = 1 ]; then
		fetch_case timeout "$U/hang" "$EXIT_OK" "timeout"
		fetch_case garbage-body "$U/garbage" "$EXIT_OK" "cannot be parsed"
		fetch_case tls-untrusted-ca "$U_UNTRUSTED/ok/good.txt" "$EXIT_OK" \
			"TLS certificate verify failed"
		fetch_case redirect-to-http "$U/redirect-http/good.txt" "$EXIT_OK" \
			"redirect to plain http refused"
	else
		family_fetch_all
	fi
	fetch_tail
}

family_fetch_all() {
	fetch_case http-404 "$U/404" "$EXIT_OK" "HTTP 404"
	fetch_case timeout "$U/hang" "$EXIT_OK" "timeout"
	fetch_case slow-drip "$U/slow/good.txt" "$EXIT_OK" "too slow"
	fetch_case truncated "$U/truncated/good.txt" "$EXIT_OK" "truncated body"
	fetch_case empty-body "$U/empty" "$EXIT_OK" "list is empty (0 prefixes)"
	fetch_case huge-body "$U/huge" "$EXIT_OK" "body larger than the 16 MiB cap"
	fetch_case garbage-body "$U/garbage" "$EXIT_OK" "cannot be parsed"
	fetch_case tls-untrusted-ca "$U_UNTRUSTED/ok/good.txt" "$EXIT_OK" \
		"TLS certificate verify failed"
	fetch_case tls-wrong-name "$U_WRONGNAME/ok/good.txt" "$EXIT_OK" \
		"TLS certificate verify failed"
	fetch_case redirect-to-http "$U/redirect-http/good.txt" "$EXIT_OK" \
		"redirect to plain http refused"
	fetch_case plain-http "$U_HTTP/ok/good.txt" "$EXIT_OK" "plain http URL"
}

fetch_tail() {
	# no cached copy (fresh state dir) and no built-in snapshot for this source
	fb_exec rm -rf "$T/state-nocache"
	STATE=$T/state-nocache fetch_case http-500-no-cache "$U/500" "$EXIT_ERROR" \
		"has no usable list" "HTTP 500" "the firewall was not changed"

	# the new good state after all that
	case_begin update-after-faults
	flt_list "$T/good2.txt" 3 40
	cp "$T/good2.txt" "$T/fx/good.txt"
	flt_conf "$T/case.conf" "url = $U/ok/good.txt"
	flt_sync "$T/case.conf"
	expect_rc "$EXIT_OK"
	expect_fw "$T/good2.txt"
	case_end
	flt_good "$T/good.txt"
}
