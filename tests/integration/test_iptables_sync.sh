#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The iptables backend through the real binary, once per variant
# (iptables-legacy, iptables-nft), IPv4 and IPv6, each in a fresh network
# namespace holding some admin rules: sync from nothing, no-op re-sync (no
# ipset swap: the sets' initval stays), incremental update (exact add/remove,
# swap), repair of a moved/duplicated/deleted rule, flush; the admin's rules
# and the other variant's tables stay byte-identical throughout.
set -uo pipefail
# shellcheck source=lib/iptables.sh
. "$(dirname "$0")/lib/iptables.sh"
ipt_setup

# our rules out, so what remains must equal the admin's ruleset
strip_ours() {
	grep -v -- '--comment cdnallow'
}

json_field() { # FILE PYTHON-EXPR over d
	python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"
}

run_variant() {
	local v=$1 other ns="h-$1" before other_before after h4 h6 out
	[ "$v" = legacy ] && other=nft || other=legacy
	ipt_ns_add "$ns"
	ipt_in "$ns" "iptables-$v" -A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
	ipt_in "$ns" "iptables-$v" -A INPUT -p tcp --dport 22 -j ACCEPT
	ipt_in "$ns" "iptables-$v" -N ADMIN
	ipt_in "$ns" "iptables-$v" -A ADMIN -s 192.0.2.0/24 -j RETURN
	ipt_in "$ns" "iptables-$v" -P INPUT DROP
	ipt_in "$ns" "ip6tables-$v" -A INPUT -p tcp --dport 22 -j ACCEPT
	ipt_in "$ns" "ip6tables-$v" -P INPUT DROP
	before=$(ipt_save "$ns" "$v")
	other_before=$(ipt_save "$ns" "$other")

	printf '203.0.113.0/24\n198.51.100.0/25\n2001:db8:1::/48\n2001:db8:2::/64\n' >"$IPT_TMP/l1"
	ipt_sync "$ns" "$IPT_TMP/l1" || ipt_fail "$v: sync from nothing"
	[ "$(ipt_set_entries "$ns" cdnallow4 | tr '\n' ' ')" = "198.51.100.0/25 203.0.113.0/24 " ] ||
		ipt_fail "$v: cdnallow4 holds $(ipt_set_entries "$ns" cdnallow4)"
	[ "$(ipt_set_entries "$ns" cdnallow6 | tr '\n' ' ')" = "2001:db8:1::/48 2001:db8:2::/64 " ] ||
		ipt_fail "$v: cdnallow6 holds $(ipt_set_entries "$ns" cdnallow6)"
	ipt_set_header "$ns" cdnallow4 | has 'family inet .*maxelem 65536' ||
		ipt_fail "$v: cdnallow4 header $(ipt_set_header "$ns" cdnallow4)"
	[ "$(ipt_in "$ns" "iptables-$v" -S INPUT | sed -n 2p)" = \
		"-A INPUT -p tcp -m multiport --dports 80,443 -m set --match-set cdnallow4 src -m comment --comment cdnallow -j ACCEPT" ] ||
		ipt_fail "$v: INPUT does not start with the cdnallow rule: $(ipt_in "$ns" "iptables-$v" -S INPUT)"
	[ "$(ipt_in "$ns" "ip6tables-$v" -S INPUT | sed -n 2p)" = \
		"-A INPUT -p tcp -m multiport --dports 80,443 -m set --match-set cdnallow6 src -m comment --comment cdnallow -j ACCEPT" ] ||
		ipt_fail "$v: IPv6 INPUT does not start with the cdnallow rule"
	[ "$(ipt_save "$ns" "$v" | grep -c -- '--comment cdnallow')" = 2 ] || ipt_fail "$v: not exactly 2 rules"
	[ "$(ipt_save "$ns" "$v" | strip_ours)" = "$before" ] || ipt_fail "$v: admin rules changed"
	[ "$(ipt_save "$ns" "$other")" = "$other_before" ] || ipt_fail "$v: $other was touched"
	ok "$v: sync from nothing"

	h4=$(ipt_set_header "$ns" cdnallow4)
	h6=$(ipt_set_header "$ns" cdnallow6)
	after=$(ipt_save "$ns" "$v")
	ipt_sync "$ns" "$IPT_TMP/l1" --json >"$IPT_TMP/out.json" || ipt_fail "$v: no-op re-sync"
	[ "$(json_field "$IPT_TMP/out.json" 'd["changed"]')" = False ] || ipt_fail "$v: re-sync changed"
	[ "$(ipt_set_header "$ns" cdnallow4)" = "$h4" ] || ipt_fail "$v: re-sync swapped cdnallow4"
	[ "$(ipt_set_header "$ns" cdnallow6)" = "$h6" ] || ipt_fail "$v: re-sync swapped cdnallow6"
	[ "$(ipt_save "$ns" "$v")" = "$after" ] || ipt_fail "$v: re-sync changed rules"
	ok "$v: no-op re-sync swaps nothing"

	printf '203.0.113.0/24\n192.0.2.0/24\n2001:db8:1::/48\n2001:db8:3::/64\n' >"$IPT_TMP/l2"
	ipt_sync "$ns" "$IPT_TMP/l2" --json >"$IPT_TMP/out.json" || ipt_fail "$v: incremental sync"
	out=$(json_field "$IPT_TMP/out.json" \
		'd["ipv4"]["add"], d["ipv4"]["remove"], d["ipv6"]["add"], d["ipv6"]["remove"]')
	[ "$out" = "['192.0.2.0/24'] ['198.51.100.0/25'] ['2001:db8:3::/64'] ['2001:db8:2::/64']" ] ||
		ipt_fail "$v: incremental plan $out"
	[ "$(ipt_set_entries "$ns" cdnallow4 | tr '\n' ' ')" = "192.0.2.0/24 203.0.113.0/24 " ] ||
		ipt_fail "$v: cdnallow4 after update holds $(ipt_set_entries "$ns" cdnallow4)"
	[ "$(ipt_set_entries "$ns" cdnallow6 | tr '\n' ' ')" = "2001:db8:1::/48 2001:db8:3::/64 " ] ||
		ipt_fail "$v: cdnallow6 after update"
	[ "$(ipt_set_header "$ns" cdnallow4)" != "$h4" ] || ipt_fail "$v: update did not swap"
	[ "$(ipt_save "$ns" "$v")" = "$after" ] || ipt_fail "$v: a set update touched the rules"
	ipt_in "$ns" ipset list -n | has tmp && ipt_fail "$v: a temporary set was left behind"
	ok "$v: incremental update swaps the sets, rules untouched"

	ipt_in "$ns" "iptables-$v" -I INPUT 1 -p icmp -j ACCEPT
	ipt_in "$ns" "iptables-$v" -A INPUT -p tcp -m multiport --dports 80,443 -m set \
		--match-set cdnallow4 src -m comment --comment cdnallow -j ACCEPT
	ipt_in "$ns" "ip6tables-$v" -D INPUT 1
	ipt_sync "$ns" "$IPT_TMP/l2" || ipt_fail "$v: repair sync"
	[ "$(ipt_in "$ns" "iptables-$v" -S INPUT | sed -n 2p)" = \
		"-A INPUT -p tcp -m multiport --dports 80,443 -m set --match-set cdnallow4 src -m comment --comment cdnallow -j ACCEPT" ] ||
		ipt_fail "$v: repair did not move the rule to the top"
	ipt_in "$ns" "iptables-$v" -C INPUT -p icmp -j ACCEPT || ipt_fail "$v: repair removed an admin rule"
	ipt_in "$ns" "iptables-$v" -D INPUT -p icmp -j ACCEPT
	[ "$(ipt_save "$ns" "$v")" = "$after" ] || ipt_fail "$v: repair left $(ipt_save "$ns" "$v")"
	ok "$v: moved, duplicated and deleted rules repaired"

	ipt_in "$ns" "$CDNALLOW" -q flush -b iptables -c "$CONF" --state-dir "$IPT_TMP/state-$ns" ||
		ipt_fail "$v: flush"
	[ -z "$(ipt_in "$ns" ipset list -n)" ] || ipt_fail "$v: flush left sets $(ipt_in "$ns" ipset list -n)"
	[ "$(ipt_save "$ns" "$v")" = "$before" ] || {
		diff <(echo "$before") <(ipt_save "$ns" "$v")
		ipt_fail "$v: flush did not restore the ruleset"
	}
	[ "$(ipt_save "$ns" "$other")" = "$other_before" ] || ipt_fail "$v: $other was touched"
	ok "$v: flush leaves the ruleset as it was"
}

run_variant legacy
run_variant nft
echo "# $pass passed"
