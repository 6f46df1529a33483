#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# End to end with packets, once per iptables variant: namespaces as hosts over
# veth. "origin" listens on :80 and :8080 and publishes a "container" (another
# namespace) on :443 by DNAT with a DOCKER-USER chain as Docker does; "cdn"
# (203.0.113.10, 2001:db8:1::10) lies inside the synced list, "outsider"
# (198.51.100.10, 2001:db8:2::10) does not.
#  - allow mode, origin INPUT policy DROP and an admin drop in DOCKER-USER:
#    cdn connects to :80 and to the container, outsider to neither;
#  - lockdown mode, policy ACCEPT: cdn connects, outsider does not on :80/:443,
#    still does on :8080, loopback still does; with the raw-table rule and any
#    nftables lockdown table removed, the DOCKER-USER rule alone still keeps the
#    outsider from the container.
set -uo pipefail
# shellcheck source=lib/iptables.sh
. "$(dirname "$0")/lib/iptables.sh"
ipt_setup

flush() {
	ipt_in "$1" "$CDNALLOW" -q flush -b iptables -c "$CONF" --state-dir "$IPT_TMP/state-$1"
}

run_variant() {
	local v=$1 o="o-$1" c="c-$1" x="x-$1" k="k-$1"
	local ipt="iptables-$v"
	ipt_ns_add "$o"
	ipt_ns_add "$c"
	ipt_ns_add "$x"
	ipt_ns_add "$k"
	ipt_link "$o" 203.0.113.1/24 "$c" 203.0.113.10/24 2001:db8:1::1/64 2001:db8:1::10/64
	ipt_link "$o" 198.51.100.1/24 "$x" 198.51.100.10/24 2001:db8:2::1/64 2001:db8:2::10/64
	ipt_link "$o" 192.0.2.1/24 "$k" 192.0.2.2/24
	ipt_in "$k" ip route add default via 192.0.2.1
	ipt_in "$o" sysctl -qw net.ipv4.ip_forward=1
	ipt_listen "$o" 80 8080
	ipt_listen "$k" 8443

	# Docker's shape: DNAT in nat PREROUTING, FORWARD jumps to DOCKER-USER first
	ipt_in "$o" "$ipt" -t nat -A PREROUTING -p tcp --dport 443 -j DNAT --to-destination 192.0.2.2:8443
	ipt_in "$o" "$ipt" -N DOCKER-USER
	ipt_in "$o" "$ipt" -A FORWARD -j DOCKER-USER
	ipt_in "$o" "$ipt" -A DOCKER-USER -p tcp -m conntrack --ctorigdstport 443 --ctdir ORIGINAL -j DROP
	ipt_in "$o" "$ipt" -A DOCKER-USER -j RETURN
	ipt_in "$o" "$ipt" -A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
	ipt_in "$o" "$ipt" -P INPUT DROP
	# neighbour discovery is ICMPv6: every IPv6 firewall lets it in
	ipt_in "$o" "ip6tables-$v" -A INPUT -p ipv6-icmp -j ACCEPT
	ipt_in "$o" "ip6tables-$v" -P INPUT DROP

	ipt_expect_closed "$c" 203.0.113.1 80
	ipt_expect_closed "$c" 203.0.113.1 443
	printf '203.0.113.0/24\n2001:db8:1::/48\n' >"$IPT_TMP/list"
	ipt_sync "$o" "$IPT_TMP/list" || ipt_fail "$v: allow sync"
	ipt_expect_open "$c" 203.0.113.1 80
	ipt_expect_open "$c" 2001:db8:1::1 80
	ipt_expect_open "$c" 203.0.113.1 443
	ipt_expect_closed "$x" 198.51.100.1 80
	ipt_expect_closed "$x" 2001:db8:2::1 80
	ipt_expect_closed "$x" 198.51.100.1 443
	ipt_expect_closed "$c" 203.0.113.1 8080
	ok "$v: allow mode opens :80 and the published container to the CDN only"

	flush "$o" || ipt_fail "$v: flush"
	ipt_expect_closed "$c" 203.0.113.1 80
	ipt_in "$o" "$ipt" -P INPUT ACCEPT
	ipt_in "$o" "ip6tables-$v" -P INPUT ACCEPT
	ipt_in "$o" "$ipt" -D DOCKER-USER -p tcp -m conntrack --ctorigdstport 443 --ctdir ORIGINAL -j DROP
	ipt_expect_open "$x" 198.51.100.1 80
	ipt_expect_open "$x" 198.51.100.1 443
	ipt_sync "$o" "$IPT_TMP/list" --mode lockdown || ipt_fail "$v: lockdown sync"
	ipt_expect_open "$c" 203.0.113.1 80
	ipt_expect_open "$c" 2001:db8:1::1 80
	ipt_expect_open "$c" 203.0.113.1 443
	ipt_expect_closed "$x" 198.51.100.1 80
	ipt_expect_closed "$x" 2001:db8:2::1 80
	ipt_expect_closed "$x" 198.51.100.1 443
	ipt_expect_open "$x" 198.51.100.1 8080
	ipt_expect_open "$o" 127.0.0.1 80
	ipt_expect_open "$o" 198.51.100.1 80
	ok "$v: lockdown closes :80/:443 (published container included) to all but the CDN"

	# the DOCKER-USER rule on its own: no raw rule, no nftables lockdown table
	ipt_in "$o" nft delete table inet cdnallow 2>/dev/null
	ipt_in "$o" "$ipt" -t raw -D PREROUTING -p tcp -m multiport --dports 80,443 -m set \
		! --match-set cdnallow4 src -m addrtype --dst-type LOCAL -m comment --comment cdnallow -j DROP ||
		ipt_fail "$v: no raw lockdown rule"
	ipt_expect_open "$x" 198.51.100.1 80
	ipt_expect_closed "$x" 198.51.100.1 443
	ipt_expect_open "$c" 203.0.113.1 443
	ok "$v: DOCKER-USER alone keeps outsiders from the published container"

	ipt_sync "$o" "$IPT_TMP/list" --mode lockdown || ipt_fail "$v: repair sync"
	ipt_expect_closed "$x" 198.51.100.1 80
	flush "$o" || ipt_fail "$v: flush after lockdown"
	ipt_in "$o" "$ipt-save" | has -- '--comment cdnallow' && ipt_fail "$v: flush left rules"
	ipt_expect_open "$x" 198.51.100.1 80
	ipt_expect_open "$x" 198.51.100.1 443
	ok "$v: re-sync repairs the lockdown, flush reopens"
}

run_variant legacy
run_variant nft
echo "# $pass passed"
