#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A kernel refusal in the middle of the iptables backend's netlink writes
# leaves every live set as it was: with a rule holding on to a stale
# cdnallow6-tmp (so the kernel refuses to destroy it), a sync of a new list
# exits 1 naming the set and the kernel's reason, and cdnallow4 and cdnallow6
# keep the old list although the IPv4 twin was filled first (every twin is
# filled before any swap). Once the rule is gone the same sync goes through
# and leaves no twin behind.
set -uo pipefail
# shellcheck source=lib/iptables.sh
. "$(dirname "$0")/lib/iptables.sh"
ipt_setup

ns=refused
ipt_ns_add "$ns"
ipt_in "$ns" iptables-nft -P INPUT DROP
printf '203.0.113.0/24\n2001:db8:1::/48\n' >"$IPT_TMP/l1"
printf '198.51.100.0/24\n2001:db8:2::/48\n' >"$IPT_TMP/l2"
ipt_sync "$ns" "$IPT_TMP/l1" || ipt_fail "first sync"

ipt_in "$ns" ipset create cdnallow6-tmp hash:net family inet6
ipt_in "$ns" ip6tables-nft -A INPUT -m set --match-set cdnallow6-tmp src -j DROP
ipt_sync "$ns" "$IPT_TMP/l2" 2>"$IPT_TMP/err"
rc=$?
[ "$rc" = 1 ] || ipt_fail "sync with a busy twin exited $rc: $(cat "$IPT_TMP/err")"
grep -q "cdnallow6-tmp.*in use" "$IPT_TMP/err" ||
	ipt_fail "the message does not name the set and the reason: $(cat "$IPT_TMP/err")"
[ "$(ipt_set_entries "$ns" cdnallow4)" = 203.0.113.0/24 ] ||
	ipt_fail "cdnallow4 changed on a refused sync: $(ipt_set_entries "$ns" cdnallow4)"
[ "$(ipt_set_entries "$ns" cdnallow6)" = 2001:db8:1::/48 ] ||
	ipt_fail "cdnallow6 changed on a refused sync: $(ipt_set_entries "$ns" cdnallow6)"
echo "ok - a refusal mid-write leaves both live sets as they were"

ipt_in "$ns" ip6tables-nft -D INPUT -m set --match-set cdnallow6-tmp src -j DROP
ipt_sync "$ns" "$IPT_TMP/l2" || ipt_fail "sync once the twin is free"
[ "$(ipt_set_entries "$ns" cdnallow4)" = 198.51.100.0/24 ] || ipt_fail "cdnallow4 not updated"
[ "$(ipt_set_entries "$ns" cdnallow6)" = 2001:db8:2::/48 ] || ipt_fail "cdnallow6 not updated"
ipt_in "$ns" ipset list -n | grep -q -- -tmp && ipt_fail "a twin was left behind"
echo "ok - the same sync goes through once the twin is free"
