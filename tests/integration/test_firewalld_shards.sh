#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# firewalld shards against a real firewalld (own netns + mount ns + private
# system D-Bus), with a shard size of 50 (CDNALLOW_FWD_SHARD_SIZE, a test-only
# knob) so that ~500 prefixes need ten shards: the one-set layout of earlier
# builds (made here with firewall-cmd as they left it: policy cdnallow naming
# cdnallow4/cdnallow6) gets its shards made permanently without a reload (a
# reload drops every packet), and after the admin's next reload the list is
# migrated into them while the CDN host keeps connecting; a no-op calls no setter
# and plan agrees, a prefix removed from one shard behind cdnallow's back is
# drift that plan reports and sync repairs; a clustered update touches one shard and
# no other (every ipset call watched on the bus); a spread update touches
# many; a shard outgrowing its size splits into the spare shards the migration
# made, without a reload; flush leaves nothing permanent. The CDN host
# 203.0.113.10 sits in the last shard, which the updates change and split.
# Lists are made up: documentation ranges and 20.x.y.0/24s no packet goes to.
# Needs root; never the host's firewall.
set -u
. "${TESTS_DIR:-$(dirname "$0")/..}/integration/lib/netns.sh"
. "${TESTS_DIR:-$(dirname "$0")/..}/integration/lib/firewalld.sh"
. "${TESTS_DIR:-$(dirname "$0")/..}/integration/lib/probe.sh"
fwd_test_begin fwdsh hosts
netns_listen origin 80

printf '[guard]\nallow_test_ranges = true\nmax_shrink = 90\n' >"$T/conf"
head_list() { printf '203.0.113.0/24\n192.0.2.0/25\n2001:db8:1::/48\n'; }
v4() { grep -v : "$1" | sort; }
sync_list() {
	fwd_exec env CDNALLOW_FWD_SHARD_SIZE=50 "$CDNALLOW" sync -b firewalld -c "$T/conf" \
		-s "$1" --state-dir "$T/state" >/dev/null 2>"$T/err"
}

# Every runtime ipset setter and policy change on the bus, and reloads, into $1.
calls_start() {
	fwd_monitor_start "$1" \
		"type='method_call',interface='org.fedoraproject.FirewallD1.ipset'" \
		"type='method_call',interface='org.fedoraproject.FirewallD1.policy'" "$FWD_RELOADED"
}
# calls FILE: "member first-string-argument" of each ipset/policy setter call.
calls() {
	awk '/member=(setEntries|addEntry|removeEntry|setPolicySettings|Reloaded)/ {
		m = $0; sub(/.*member=/, "", m); want = 1; if (m == "Reloaded") print m; next }
	     want && /string "/ { s = $0; sub(/^[^"]*"/, "", s); sub(/".*/, "", s)
		print m, s; want = 0 }' "$1"
}
# shards FILE: the shards whose ipsets the calls changed ("cdnallow4-3", both twins as one).
shards() {
	calls "$1" | awk '$1 ~ /Entr/ { print $2 }' | sed 's/b$//' | sort -u
}

PROBE_DIR=$T PROBE_FAIL=netns_fail

# 1. the one-set layout of earlier builds, as they created it (an ipset and its
#    twin per family, policy cdnallow naming cdnallow4/cdnallow6), holding 502 prefixes
{ head_list; fwd_gen 0 500; } | v4 /dev/stdin >"$T/l0.v4"
fc() { fwd_exec firewall-cmd "$@" >/dev/null || netns_fail "firewall-cmd $*"; }
fwd_one_set_layout "$T/l0.v4" 2001:db8:1::/48 || netns_fail "cannot build the one-set layout"
fc --reload
[ "$(fwd_allowed 4)" = "$(cat "$T/l0.v4")" ] || netns_fail "the one-set layout was not built"
netns_connect cdn "$NETNS_ORIGIN4" 80 2 || netns_fail "cdn host cannot connect through the one-set layout"
netns_connect outsider "$NETNS_ORIGIN4" 80 2 && netns_fail "outsider connects through the one-set layout"

# 2. upgrade: a changed list made into shards (ten at 50 per shard) gets them
#    made permanently, without a reload (a reload drops every packet); the
#    admin's next reload brings them, and the sync after it moves the list
#    into them, every prefix allowed all along, cdnallow4 emptied as shard 0's
#    idle twin
{ head_list; fwd_gen 0 500; fwd_gen 1000 1; } >"$T/l0"
probe_start "$(netns_name cdn)" "$NETNS_ORIGIN4:80"
calls_start "$T/c0"
sync_list "$T/l0" || { cat "$T/err"; netns_fail "update of the one-set layout"; }
fwd_monitor_stop
probe_check "update of the one-set layout"
calls "$T/c0" | grep -q Reloaded && netns_fail "the update of the one-set layout reloaded firewalld"
grep -q "take effect at firewalld's next reload" "$T/err" ||
	netns_fail "the update did not say the shards wait for a reload: $(cat "$T/err")"
[ "$(fwd_allowed 4)" = "$(v4 "$T/l0")" ] || netns_fail "entries after the update"
[ "$(fwd_exec firewall-cmd --permanent --get-ipsets | wc -w)" -ge 20 ] ||
	netns_fail "shards not made permanently: $(fwd_exec firewall-cmd --permanent --get-ipsets)"
fwd_assert_rt_eq_perm || netns_fail "after the update of the one-set layout"
fc --reload
probe_start "$(netns_name cdn)" "$NETNS_ORIGIN4:80"
calls_start "$T/c1"
sync_list "$T/l0" || { cat "$T/err"; netns_fail "migration sync"; }
fwd_monitor_stop
probe_check "migration"
n=$(fwd_state_active "$(fwd_state)" rt 4 | wc -l)
[ "$n" -ge 10 ] || netns_fail "migration made $n IPv4 shards, want 10 or more"
[ "$(fwd_allowed 4)" = "$(v4 "$T/l0")" ] || netns_fail "entries after the migration"
[ -z "$(fwd_entries cdnallow4)" ] || netns_fail "the old cdnallow4 was not emptied"
fwd_assert_rt_eq_perm || netns_fail "after the migration"
calls "$T/c1" | grep -q Reloaded && netns_fail "the migration reloaded firewalld"

# 3. no-op: reads only
calls_start "$T/c2"
sync_list "$T/l0" || { cat "$T/err"; netns_fail "no-op sync"; }
fwd_monitor_stop
[ -z "$(calls "$T/c2")" ] || netns_fail "no-op changed something: $(calls "$T/c2")"
plan_list() {
	fwd_exec env CDNALLOW_FWD_SHARD_SIZE=50 "$CDNALLOW" plan -b firewalld -c "$T/conf" \
		-s "$1" --state-dir "$T/state" >"$T/plan" 2>&1
}
plan_list "$T/l0" || netns_fail "plan after the no-op: exit $?: $(cat "$T/plan")"
# a prefix taken out of one shard behind cdnallow's back (runtime only) is drift, and repaired
s=$(fwd_state_active "$(fwd_state)" rt 4 | sed -n 3p)
e=$(fwd_entries "$s" | sort -V | sed -n 3p) # not its lowest: that one sets where the shard starts
fc --ipset="$s" --remove-entry="$e"
plan_list "$T/l0"
[ $? -eq 2 ] || netns_fail "plan did not report the drift in $s: $(cat "$T/plan")"
sync_list "$T/l0" || { cat "$T/err"; netns_fail "repair sync"; }
fwd_entries "$s" | grep -qx "$e" || netns_fail "drift in $s not repaired"
[ "$(fwd_allowed 4)" = "$(v4 "$T/l0")" ] || netns_fail "entries after the repair"
fwd_assert_rt_eq_perm || netns_fail "after the repair"

probe_start "$(netns_name cdn)" "$NETNS_ORIGIN4:80"
# 4. a clustered update (30 /24s added after the last ones: more than an
#    in-place edit) swaps the one shard holding that range, and no other
{ head_list; fwd_gen 0 530; fwd_gen 1000 1; } >"$T/l1"
calls_start "$T/c3"
sync_list "$T/l1" || { cat "$T/err"; netns_fail "clustered update"; }
fwd_monitor_stop
[ "$(shards "$T/c3" | wc -l)" -eq 1 ] || netns_fail "clustered update touched $(shards "$T/c3")"
[ "$(calls "$T/c3" | grep -c setPolicySettings)" -eq 2 ] ||
	netns_fail "clustered swap: not two policy changes: $(calls "$T/c3")"
[ "$(fwd_allowed 4)" = "$(v4 "$T/l1")" ] || netns_fail "entries after the clustered update"
fwd_assert_rt_eq_perm || netns_fail "after the clustered update"

# 5. a spread update (every twentieth /24 dropped) edits many shards in place
{ head_list; fwd_gen 0 530 | awk 'NR % 20'; fwd_gen 1000 1; } >"$T/l2"
calls_start "$T/c4"
sync_list "$T/l2" || { cat "$T/err"; netns_fail "spread update"; }
fwd_monitor_stop
[ "$(shards "$T/c4" | wc -l)" -ge 8 ] || netns_fail "spread update touched only $(shards "$T/c4")"
calls "$T/c4" | grep -q setEntries && netns_fail "spread update refilled a set: $(calls "$T/c4")"
[ "$(fwd_allowed 4)" = "$(v4 "$T/l2")" ] || netns_fail "entries after the spread update"
fwd_assert_rt_eq_perm || netns_fail "after the spread update"

# 6. the last shard grows past twice the shard size: it splits into spare
#    shards the migration created, without a reload
{ head_list; fwd_gen 0 530 | awk 'NR % 20'; fwd_gen 530 100; fwd_gen 1000 1; } >"$T/l3"
before=$(fwd_state_active "$(fwd_state)" rt 4 | wc -l)
calls_start "$T/c5"
sync_list "$T/l3" || { cat "$T/err"; netns_fail "split"; }
fwd_monitor_stop
after=$(fwd_state_active "$(fwd_state)" rt 4 | wc -l)
[ "$after" -gt "$before" ] || netns_fail "no split: $before shards before, $after after"
calls "$T/c5" | grep -q Reloaded && netns_fail "the split reloaded firewalld"
grep -q reload "$T/err" && netns_fail "the split mentioned a reload: $(cat "$T/err")"
[ "$(fwd_allowed 4)" = "$(v4 "$T/l3")" ] || netns_fail "entries after the split"
fwd_assert_rt_eq_perm || netns_fail "after the split"

probe_check "updates and split"
netns_connect outsider "$NETNS_ORIGIN4" 80 2 && netns_fail "outsider connects after the updates"

# 7. an admin's reload keeps every shard; flush leaves nothing permanent
fwd_exec firewall-cmd --reload >/dev/null || netns_fail "admin reload"
[ "$(fwd_allowed 4)" = "$(v4 "$T/l3")" ] || netns_fail "entries after an admin's reload"
fwd_exec "$CDNALLOW" flush -b firewalld -c "$T/conf" --state-dir "$T/state" 2>"$T/err" ||
	{ cat "$T/err"; netns_fail "flush"; }
[ -z "$(fwd_exec firewall-cmd --permanent --get-ipsets)" ] || netns_fail "permanent ipsets left"
for s in $(fwd_exec firewall-cmd --get-ipsets); do
	[ -z "$(fwd_entries "$s")" ] || netns_fail "runtime entries of $s left after flush"
done
echo "ok: firewalld shards: migration without a refused connection, no-op, clustered" \
	"update in one shard, spread update, split into spares without reload, flush"
