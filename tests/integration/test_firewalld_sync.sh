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
[ "$(id -u)" -eq 0 ] || { echo "skip: needs root"; exit 77; }
. "${TESTS_DIR:-$(dirname "$0")/..}/integration/lib/firewalld.sh"
fwd_have_tools || { echo "skip: firewalld, dbus-daemon or nsenter missing"; exit 77; }
[ -x "${CDNALLOW:-}" ] || { echo "skip: CDNALLOW not set"; exit 77; }

NS=cdna-fwd-$$-sync
WORK=$(mktemp -d /tmp/cdna-fwd-sync.XXXXXX)
cleanup() {
	fwd_monitor_stop
	fwd_stop
	ip netns del "$NS" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*" >&2
	exit 1
}

ip netns add "$NS" || fail "cannot create netns"
fwd_start "$NS" "$WORK/fwd" || fail "firewalld did not start"

printf '[guard]\nallow_test_ranges = true\nmax_shrink = 90\n' >"$WORK/conf"
printf '203.0.113.0/24\n192.0.2.0/25\n2001:db8:1::/48\n' >"$WORK/l1"
printf '203.0.113.0/24\n192.0.2.128/25\n2001:db8:2::/48\n' >"$WORK/l2"
sync_list() {
	fwd_exec "$CDNALLOW" sync -b firewalld -c "$WORK/conf" -s "$1" --state-dir "$WORK/state" \
		"${@:2}" 2>"$WORK/err"
}

zones_before=$(fwd_zones_but_ours)
zones_perm_before=$(fwd_zones_but_ours --permanent)

# 1. from nothing: objects created, exactly one reload, said so
fwd_monitor_start "$WORK/mon1"
sync_list "$WORK/l1" || { cat "$WORK/err"; fail "first sync"; }
fwd_monitor_stop
grep -q "one reload was needed" "$WORK/err" || fail "first sync did not say it reloaded"
[ "$(fwd_reloads "$WORK/mon1")" -eq 1 ] || fail "first sync: expected 1 reload, saw $(fwd_reloads "$WORK/mon1")"
[ "$(fwd_entries cdnallow4)" = "$(printf '192.0.2.0/25\n203.0.113.0/24')" ] ||
	fail "runtime cdnallow4: $(fwd_entries cdnallow4)"
[ "$(fwd_entries cdnallow6)" = "2001:db8:1::/48" ] || fail "runtime cdnallow6"
fwd_assert_rt_eq_perm || fail "after first sync"
rules=$(fwd_exec firewall-cmd --policy=cdnallow --list-rich-rules | sort)
want_rules=$(for f in ipv4:cdnallow4 ipv6:cdnallow6; do for p in 80 443; do
	echo "rule family=\"${f%%:*}\" source ipset=\"${f#*:}\" port port=\"$p\" protocol=\"tcp\" accept"
done; done | sort)
[ "$rules" = "$want_rules" ] || fail "policy rules: $rules"
info=$(fwd_exec firewall-cmd --info-policy=cdnallow)
grep -q "ingress-zones: ANY" <<<"$info" && grep -q "egress-zones: HOST" <<<"$info" ||
	fail "policy zones: $info"
fwd_exec firewall-cmd --get-zones | grep -qw cdnallow && fail "a zone cdnallow was created"

# 2. no-op re-sync and 3. incremental update: no reload at all
fwd_monitor_start "$WORK/mon2"
sync_list "$WORK/l1" --json >"$WORK/out" || { cat "$WORK/err"; fail "re-sync"; }
grep -q '"changed": *false' "$WORK/out" || fail "re-sync changed something: $(cat "$WORK/out")"
sync_list "$WORK/l2" || { cat "$WORK/err"; fail "update"; }
fwd_monitor_stop
[ "$(fwd_reloads "$WORK/mon2")" -eq 0 ] || fail "an update reloaded firewalld"
[ "$(fwd_entries cdnallow4)" = "$(printf '192.0.2.128/25\n203.0.113.0/24')" ] ||
	fail "runtime cdnallow4 after update: $(fwd_entries cdnallow4)"
[ "$(fwd_entries cdnallow6)" = "2001:db8:2::/48" ] || fail "runtime cdnallow6 after update"
fwd_assert_rt_eq_perm || fail "after update"
grep -q "reload" "$WORK/err" && fail "update mentioned a reload: $(cat "$WORK/err")"

# 4. the monitor sees reloads (so zero above means zero), and an admin's reload keeps the list
fwd_monitor_start "$WORK/mon3"
fwd_exec firewall-cmd --reload >/dev/null || fail "admin reload"
fwd_monitor_stop
[ "$(fwd_reloads "$WORK/mon3")" -ge 1 ] || fail "dbus-monitor did not see an admin reload"
[ "$(fwd_entries cdnallow4)" = "$(printf '192.0.2.128/25\n203.0.113.0/24')" ] ||
	fail "allowlist lost by firewall-cmd --reload"
sync_list "$WORK/l2" --json >"$WORK/out" || fail "re-sync after reload"
grep -q '"changed": *false' "$WORK/out" || fail "drift after admin reload"

# 5. an entry added by hand that overlaps a wanted prefix: clear error, nothing lost
fwd_exec firewall-cmd --ipset=cdnallow4 --add-entry=192.0.2.7 >/dev/null || fail "manual add"
sync_list "$WORK/l1" && fail "sync over an overlapping manual entry succeeded"
grep -q "overlaps entry 192.0.2.7" "$WORK/err" || fail "unclear overlap error: $(cat "$WORK/err")"
grep -q -- "--remove-entry=192.0.2.7" "$WORK/err" || fail "overlap error gives no fix"
echo "overlap refused as expected: $(grep -m1 overlaps "$WORK/err")"
fwd_entries cdnallow4 | grep -qx 203.0.113.0/24 || fail "failed sync lost a prefix"
fwd_exec firewall-cmd --ipset=cdnallow4 --remove-entry=192.0.2.7 >/dev/null
sync_list "$WORK/l1" || { cat "$WORK/err"; fail "sync after removing the manual entry"; }
fwd_assert_rt_eq_perm || fail "after repair"

# 6. a runtime-only drift (admin removed a prefix without --permanent) is repaired
fwd_exec firewall-cmd --ipset=cdnallow4 --remove-entry=203.0.113.0/24 >/dev/null
sync_list "$WORK/l1" || { cat "$WORK/err"; fail "repair sync"; }
fwd_entries cdnallow4 | grep -qx 203.0.113.0/24 || fail "drift not repaired"

# 7. large updates: the idle twin is filled and is what the policy's rules name, the
#    old one is emptied; IPv6 (unchanged) stays in place; never a reload
gen() { # made-up /24s 20.x.y.0, every other one (none merge), from index $1, $2 of them
	awk -v a="$1" -v c="$2" 'BEGIN { for (i = 2 * a; i < 2 * (a + c); i += 2)
		printf "20.%d.%d.0/24\n", int(i / 256), i % 256 }'
}
{ cat "$WORK/l1"; gen 0 300; } >"$WORK/big1"
{ cat "$WORK/l1"; gen 300 300; } >"$WORK/big2"
v4() { grep -v : "$1" | sort; }
fwd_monitor_start "$WORK/mon4"
sync_list "$WORK/big1" || { cat "$WORK/err"; fail "large update 1"; }
[ "$(fwd_active 4)" = cdnallow4b ] || fail "large update did not swap to cdnallow4b: $(fwd_active 4)"
[ "$(fwd_active 6)" = cdnallow6 ] || fail "unchanged IPv6 was swapped: $(fwd_active 6)"
[ "$(fwd_entries cdnallow4b)" = "$(v4 "$WORK/big1")" ] || fail "cdnallow4b after swap"
fwd_assert_rt_eq_perm || fail "after swap to b"
sync_list "$WORK/big2" || { cat "$WORK/err"; fail "large update 2"; }
[ "$(fwd_active 4)" = cdnallow4 ] || fail "second large update did not swap back: $(fwd_active 4)"
[ "$(fwd_entries cdnallow4)" = "$(v4 "$WORK/big2")" ] || fail "cdnallow4 after swap back"
fwd_assert_rt_eq_perm || fail "after swap back to a"
fwd_monitor_stop
[ "$(fwd_reloads "$WORK/mon4")" -eq 0 ] || fail "a swap reloaded firewalld"
grep -q "reload" "$WORK/err" && fail "a swap mentioned a reload: $(cat "$WORK/err")"
fwd_exec firewall-cmd --reload >/dev/null || fail "admin reload after swaps"
[ "$(fwd_active_entries 4)" = "$(v4 "$WORK/big2")" ] || fail "reload after swaps lost the list"

# 8. an interrupted swap (both twins named, the new one full) is reported
#    incomplete and repaired: one source per family, the other twin empty
v4 "$WORK/big1" >"$WORK/big1.v4"
fwd_exec firewall-cmd --ipset=cdnallow4b --add-entries-from-file="$WORK/big1.v4" >/dev/null ||
	fail "manual fill of cdnallow4b"
fwd_exec firewall-cmd --policy=cdnallow \
	--add-rich-rule='rule family="ipv4" source ipset="cdnallow4b" port port="80" protocol="tcp" accept' \
	>/dev/null || fail "manual add-rich-rule"
[ "$(fwd_active 4 | wc -l)" -eq 2 ] || fail "could not simulate the interrupted swap"
sync_list "$WORK/big1" >"$WORK/out" || { cat "$WORK/err"; fail "repair of the interrupted swap"; }
grep -q "repaired" "$WORK/out" "$WORK/err" || fail "interrupted swap not reported: $(cat "$WORK/out")"
[ "$(fwd_active 4)" = cdnallow4b ] || fail "repair did not keep the full twin: $(fwd_active 4)"
[ "$(fwd_active_entries 4)" = "$(v4 "$WORK/big1")" ] || fail "entries after repair"
fwd_assert_rt_eq_perm || fail "after repairing the interrupted swap"

# 9. zones untouched, runtime and permanent
[ "$(fwd_zones_but_ours)" = "$zones_before" ] || fail "runtime zones changed"
[ "$(fwd_zones_but_ours --permanent)" = "$zones_perm_before" ] || fail "permanent zones changed"

# 10. flush without reload: nothing allowed any more, nothing permanent left;
#     the runtime policy and ipsets stay, empty, until firewalld's next reload
fwd_monitor_start "$WORK/mon5"
fwd_exec "$CDNALLOW" flush -b firewalld -c "$WORK/conf" --state-dir "$WORK/state" 2>"$WORK/err" ||
	{ cat "$WORK/err"; fail "flush"; }
[ -z "$(fwd_exec firewall-cmd --policy=cdnallow --list-rich-rules)" ] || fail "rules left after flush"
for s in cdnallow4 cdnallow4b cdnallow6 cdnallow6b; do
	[ -z "$(fwd_entries $s)" ] || fail "runtime entries of $s left after flush"
done
fwd_exec firewall-cmd --permanent --get-policies | grep -qw cdnallow && fail "permanent policy left"
[ -z "$(fwd_exec firewall-cmd --permanent --get-ipsets)" ] || fail "permanent ipsets left"
[ "$(fwd_zones_but_ours)" = "$zones_before" ] || fail "flush changed zones"
fwd_exec "$CDNALLOW" status -b firewalld -c "$WORK/conf" --state-dir "$WORK/state" >"$WORK/out" 2>&1
grep -q "installed: 0\|nothing installed\|flushed\|not installed" "$WORK/out" ||
	echo "note: status after flush: $(cat "$WORK/out")"

# 11. a sync after the flush recreates the permanent objects, still without reload
sync_list "$WORK/l1" || { cat "$WORK/err"; fail "sync after flush"; }
fwd_assert_rt_eq_perm || fail "after the sync that followed the flush"
fwd_exec "$CDNALLOW" flush -b firewalld -c "$WORK/conf" --state-dir "$WORK/state" 2>"$WORK/err" ||
	{ cat "$WORK/err"; fail "second flush"; }
fwd_monitor_stop
[ "$(fwd_reloads "$WORK/mon5")" -eq 0 ] || fail "flush or the sync after it reloaded firewalld"
fwd_exec firewall-cmd --reload >/dev/null || fail "reload after flush"
fwd_exec firewall-cmd --get-policies | grep -qw cdnallow && fail "runtime policy left after a reload"
[ -z "$(fwd_exec firewall-cmd --get-ipsets)" ] || fail "runtime ipsets left after a reload"
echo "ok: firewalld sync, update without reload, reload survival, overlap error, swaps," \
	"interrupted swap repaired, flush and re-sync without reload"
