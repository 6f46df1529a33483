#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# firewalld backend against a real firewalld in its own network + mount
# namespace with a private system D-Bus: sync from nothing (one reload),
# no-op re-sync, incremental update without any Reloaded signal, runtime ==
# permanent, an admin's --reload keeps the allowlist, a manual overlapping
# entry fails clearly, large updates point the policy's rules at the other twin
# ipset (also without reload), an interrupted swap is repaired, zones
# untouched, flush without reload (runtime copies left empty), a sync after
# the flush needs no reload either. Lists are made up from documentation ranges and, for the
# large ones, 20.x.y.0/24s no packet goes to ([guard] allow_test_ranges = true).
set -u
. "${TESTS_DIR:-$(dirname "$0")/..}/integration/lib/netns.sh"
. "${TESTS_DIR:-$(dirname "$0")/..}/integration/lib/firewalld.sh"
fwd_test_begin fwdsync

printf '[guard]\nallow_test_ranges = true\nmax_shrink = 90\n' >"$T/conf"
printf '203.0.113.0/24\n192.0.2.0/25\n2001:db8:1::/48\n' >"$T/l1"
printf '203.0.113.0/24\n192.0.2.128/25\n2001:db8:2::/48\n' >"$T/l2"
sync_list() {
	fwd_exec "$CDNALLOW" sync -b firewalld -c "$T/conf" -s "$1" --state-dir "$T/state" \
		"${@:2}" 2>"$T/err"
}

zones_before=$(fwd_zones_but_ours)
zones_perm_before=$(fwd_zones_but_ours --permanent)

# 1. from nothing: objects created, exactly one reload, said so
fwd_monitor_start "$T/mon1"
sync_list "$T/l1" || { cat "$T/err"; netns_fail "first sync"; }
fwd_monitor_stop
grep -q "one reload was needed" "$T/err" || netns_fail "first sync did not say it reloaded"
[ "$(fwd_reloads "$T/mon1")" -eq 1 ] || netns_fail "first sync: expected 1 reload, saw $(fwd_reloads "$T/mon1")"
[ "$(fwd_entries cdnallow4)" = "$(printf '192.0.2.0/25\n203.0.113.0/24')" ] ||
	netns_fail "runtime cdnallow4: $(fwd_entries cdnallow4)"
[ "$(fwd_entries cdnallow6)" = "2001:db8:1::/48" ] || netns_fail "runtime cdnallow6"
fwd_assert_rt_eq_perm || netns_fail "after first sync"
rules=$(fwd_exec firewall-cmd --policy=cdnallow --list-rich-rules | sort)
want_rules=$(for f in ipv4:cdnallow4 ipv6:cdnallow6; do for p in 80 443; do
	echo "rule family=\"${f%%:*}\" source ipset=\"${f#*:}\" port port=\"$p\" protocol=\"tcp\" accept"
done; done | sort)
[ "$rules" = "$want_rules" ] || netns_fail "policy rules: $rules"
info=$(fwd_exec firewall-cmd --info-policy=cdnallow)
grep -q "ingress-zones: ANY" <<<"$info" && grep -q "egress-zones: HOST" <<<"$info" ||
	netns_fail "policy zones: $info"
fwd_exec firewall-cmd --get-zones | grep -qw cdnallow && netns_fail "a zone cdnallow was created"

# 2. no-op re-sync and 3. incremental update: no reload at all
fwd_monitor_start "$T/mon2"
sync_list "$T/l1" --json >"$T/out" || { cat "$T/err"; netns_fail "re-sync"; }
grep -q '"changed": *false' "$T/out" || netns_fail "re-sync changed something: $(cat "$T/out")"
sync_list "$T/l2" || { cat "$T/err"; netns_fail "update"; }
fwd_monitor_stop
[ "$(fwd_reloads "$T/mon2")" -eq 0 ] || netns_fail "an update reloaded firewalld"
[ "$(fwd_entries cdnallow4)" = "$(printf '192.0.2.128/25\n203.0.113.0/24')" ] ||
	netns_fail "runtime cdnallow4 after update: $(fwd_entries cdnallow4)"
[ "$(fwd_entries cdnallow6)" = "2001:db8:2::/48" ] || netns_fail "runtime cdnallow6 after update"
fwd_assert_rt_eq_perm || netns_fail "after update"
grep -q "reload" "$T/err" && netns_fail "update mentioned a reload: $(cat "$T/err")"

# 4. the monitor sees reloads (so zero above means zero), and an admin's reload keeps the list
fwd_monitor_start "$T/mon3"
fwd_exec firewall-cmd --reload >/dev/null || netns_fail "admin reload"
fwd_monitor_stop
[ "$(fwd_reloads "$T/mon3")" -ge 1 ] || netns_fail "dbus-monitor did not see an admin reload"
[ "$(fwd_entries cdnallow4)" = "$(printf '192.0.2.128/25\n203.0.113.0/24')" ] ||
	netns_fail "allowlist lost by firewall-cmd --reload"
sync_list "$T/l2" --json >"$T/out" || netns_fail "re-sync after reload"
grep -q '"changed": *false' "$T/out" || netns_fail "drift after admin reload"

# 5. an entry added by hand that overlaps a wanted prefix: clear error, nothing lost
fwd_exec firewall-cmd --ipset=cdnallow4 --add-entry=192.0.2.7 >/dev/null || netns_fail "manual add"
sync_list "$T/l1" && netns_fail "sync over an overlapping manual entry succeeded"
grep -q "overlaps entry 192.0.2.7" "$T/err" || netns_fail "unclear overlap error: $(cat "$T/err")"
grep -q -- "--remove-entry=192.0.2.7" "$T/err" || netns_fail "overlap error gives no fix"
echo "overlap refused as expected: $(grep -m1 overlaps "$T/err")"
fwd_entries cdnallow4 | grep -qx 203.0.113.0/24 || netns_fail "failed sync lost a prefix"
fwd_exec firewall-cmd --ipset=cdnallow4 --remove-entry=192.0.2.7 >/dev/null
sync_list "$T/l1" || { cat "$T/err"; netns_fail "sync after removing the manual entry"; }
fwd_assert_rt_eq_perm || netns_fail "after repair"

# 6. a runtime-only drift (admin removed a prefix without --permanent) is repaired
fwd_exec firewall-cmd --ipset=cdnallow4 --remove-entry=203.0.113.0/24 >/dev/null
sync_list "$T/l1" || { cat "$T/err"; netns_fail "repair sync"; }
fwd_entries cdnallow4 | grep -qx 203.0.113.0/24 || netns_fail "drift not repaired"

# 7. large updates: the idle twin is filled and is what the policy's rules name, the
#    old one is emptied; IPv6 (unchanged) stays in place; never a reload
{ cat "$T/l1"; fwd_gen 0 300; } >"$T/big1"
{ cat "$T/l1"; fwd_gen 300 300; } >"$T/big2"
v4() { grep -v : "$1" | sort; }
fwd_monitor_start "$T/mon4"
sync_list "$T/big1" || { cat "$T/err"; netns_fail "large update 1"; }
[ "$(fwd_active 4)" = cdnallow4b ] || netns_fail "large update did not swap to cdnallow4b: $(fwd_active 4)"
[ "$(fwd_active 6)" = cdnallow6 ] || netns_fail "unchanged IPv6 was swapped: $(fwd_active 6)"
[ "$(fwd_entries cdnallow4b)" = "$(v4 "$T/big1")" ] || netns_fail "cdnallow4b after swap"
fwd_assert_rt_eq_perm || netns_fail "after swap to b"
sync_list "$T/big2" || { cat "$T/err"; netns_fail "large update 2"; }
[ "$(fwd_active 4)" = cdnallow4 ] || netns_fail "second large update did not swap back: $(fwd_active 4)"
[ "$(fwd_entries cdnallow4)" = "$(v4 "$T/big2")" ] || netns_fail "cdnallow4 after swap back"
fwd_assert_rt_eq_perm || netns_fail "after swap back to a"
fwd_monitor_stop
[ "$(fwd_reloads "$T/mon4")" -eq 0 ] || netns_fail "a swap reloaded firewalld"
grep -q "reload" "$T/err" && netns_fail "a swap mentioned a reload: $(cat "$T/err")"
fwd_exec firewall-cmd --reload >/dev/null || netns_fail "admin reload after swaps"
[ "$(fwd_active_entries 4)" = "$(v4 "$T/big2")" ] || netns_fail "reload after swaps lost the list"

# 8. an interrupted swap (both twins named, the new one full) is reported
#    incomplete and repaired: one source per family, the other twin empty
v4 "$T/big1" >"$T/big1.v4"
fwd_exec firewall-cmd --ipset=cdnallow4b --add-entries-from-file="$T/big1.v4" >/dev/null ||
	netns_fail "manual fill of cdnallow4b"
fwd_exec firewall-cmd --policy=cdnallow \
	--add-rich-rule='rule family="ipv4" source ipset="cdnallow4b" port port="80" protocol="tcp" accept' \
	>/dev/null || netns_fail "manual add-rich-rule"
[ "$(fwd_active 4 | wc -l)" -eq 2 ] || netns_fail "could not simulate the interrupted swap"
sync_list "$T/big1" >"$T/out" || { cat "$T/err"; netns_fail "repair of the interrupted swap"; }
grep -q "repaired" "$T/out" "$T/err" || netns_fail "interrupted swap not reported: $(cat "$T/out")"
[ "$(fwd_active 4)" = cdnallow4b ] || netns_fail "repair did not keep the full twin: $(fwd_active 4)"
[ "$(fwd_active_entries 4)" = "$(v4 "$T/big1")" ] || netns_fail "entries after repair"
fwd_assert_rt_eq_perm || netns_fail "after repairing the interrupted swap"

# 9. zones untouched, runtime and permanent
[ "$(fwd_zones_but_ours)" = "$zones_before" ] || netns_fail "runtime zones changed"
[ "$(fwd_zones_but_ours --permanent)" = "$zones_perm_before" ] || netns_fail "permanent zones changed"

# 10. flush without reload: nothing allowed any more, nothing permanent left;
#     the runtime policy and ipsets stay, empty, until firewalld's next reload
fwd_monitor_start "$T/mon5"
fwd_exec "$CDNALLOW" flush -b firewalld -c "$T/conf" --state-dir "$T/state" 2>"$T/err" ||
	{ cat "$T/err"; netns_fail "flush"; }
[ -z "$(fwd_exec firewall-cmd --policy=cdnallow --list-rich-rules)" ] || netns_fail "rules left after flush"
for s in cdnallow4 cdnallow4b cdnallow6 cdnallow6b; do
	[ -z "$(fwd_entries $s)" ] || netns_fail "runtime entries of $s left after flush"
done
fwd_exec firewall-cmd --permanent --get-policies | grep -qw cdnallow && netns_fail "permanent policy left"
[ -z "$(fwd_exec firewall-cmd --permanent --get-ipsets)" ] || netns_fail "permanent ipsets left"
[ "$(fwd_zones_but_ours)" = "$zones_before" ] || netns_fail "flush changed zones"
fwd_exec "$CDNALLOW" status -b firewalld -c "$T/conf" --state-dir "$T/state" >"$T/out" 2>&1
grep -q "installed: 0\|nothing installed\|flushed\|not installed" "$T/out" ||
	echo "note: status after flush: $(cat "$T/out")"

# 11. a sync after the flush recreates the permanent objects, still without reload
sync_list "$T/l1" || { cat "$T/err"; netns_fail "sync after flush"; }
fwd_assert_rt_eq_perm || netns_fail "after the sync that followed the flush"
fwd_exec "$CDNALLOW" flush -b firewalld -c "$T/conf" --state-dir "$T/state" 2>"$T/err" ||
	{ cat "$T/err"; netns_fail "second flush"; }
fwd_monitor_stop
[ "$(fwd_reloads "$T/mon5")" -eq 0 ] || netns_fail "flush or the sync after it reloaded firewalld"
fwd_exec firewall-cmd --reload >/dev/null || netns_fail "reload after flush"
fwd_exec firewall-cmd --get-policies | grep -qw cdnallow && netns_fail "runtime policy left after a reload"
[ -z "$(fwd_exec firewall-cmd --get-ipsets)" ] || netns_fail "runtime ipsets left after a reload"
echo "ok: firewalld sync, update without reload, reload survival, overlap error, swaps," \
	"interrupted swap repaired, flush and re-sync without reload"
