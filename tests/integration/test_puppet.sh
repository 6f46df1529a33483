#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The Puppet class of contrib/puppet with Debian's puppet: `puppet apply` in a
# network namespace, backend nftables, made-up list (203.0.113.0/24,
# 2001:db8:cd::/48; allow_test_ranges), config and state in a throwaway root,
# Puppet's own dirs in the test's temp dir. First run: the config is written
# and the exec syncs; second run: idempotent (no exec, no change); a changed
# list is drift, so the third run syncs again, and so is a deleted [output:NAME]
# file (outputs parameter): the exec recreates it. Never touches the host's
# firewall, /etc or Puppet state.
set -uo pipefail
: "${CDNALLOW:?} ${TESTS_DIR:?}"
. "$TESTS_DIR/integration/lib/netns.sh"
netns_require
command -v puppet >/dev/null || netns_skip "needs puppet (apt-get install puppet)"
netns_init ops-pup
netns_new host
T=$NETNS_TMP
R=$T/root

mkdir -p "$T/modules" "$R/bin" "$T/puppet"
ln -s "$(cd "$TESTS_DIR/../contrib/puppet" && pwd)" "$T/modules/cdnallow"
ln -s "$CDNALLOW" "$R/bin/cdnallow"
printf '# made-up test list\n203.0.113.0/24\n2001:db8:cd::/48\n' >"$T/list.txt"

cat >"$T/site.pp" <<EOF
class { 'cdnallow':
  providers         => [],
  backend           => 'nftables',
  mode              => 'allow',
  allow_test_ranges => true,
  sources           => [{ 'name' => 'test', 'path' => '$T/list.txt', 'format' => 'text' }],
  config_file       => '$R/etc/cdnallow/cdnallow.conf',
  state_dir         => '$R/var/lib/cdnallow',
  manage_package    => false,
  scheduler         => 'none',
  path              => ['$R/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'],
  outputs           => { 'list' => { 'format' => 'text', 'path' => '$R/out/cdn.txt', 'mode' => '0640',
                                     'test' => 'grep -q 203.0.113.0/24 $R/out/cdn.txt' } },
}
EOF
# no built-in provider: only the local list (no network in the namespace)
mkdir -p "$R/etc" "$R/var/lib" "$R/out"

# apply: exit status of puppet apply --detailed-exitcodes (0 no change, 2 changes, 4/6 failures)
apply() {
	local d=$T/puppet
	netns_exec host puppet apply --detailed-exitcodes --color=false \
		--confdir "$d/conf" --vardir "$d/var" --codedir "$d/code" --logdir "$d/log" \
		--rundir "$d/run" --modulepath "$T/modules" "$T/site.pp" >"$T/out" 2>&1
}

apply
rc=$?
[ $rc = 2 ] || { cat "$T/out"; netns_fail "first apply: exit $rc, want 2 (changes)"; }
grep -q "Exec\[cdnallow sync\]/returns: executed successfully" "$T/out" ||
	{ cat "$T/out"; netns_fail "first apply did not run the sync"; }
# where the set lives is the nftables backend's choice (own table, or an admin's drop table)
netns_exec host nft list ruleset >"$T/ruleset"
grep -q '203\.0\.113\.0/24' "$T/ruleset" || {
	cat "$T/out" "$T/ruleset"
	netns_exec host "$CDNALLOW" -c "$R/etc/cdnallow/cdnallow.conf" status || true
	netns_fail "203.0.113.0/24 not in the kernel"
}
[ "$(stat -c %a "$R/var/lib/cdnallow")" = 700 ] || netns_fail "state dir is not 0700"
ok "first apply writes the config and syncs"

netns_exec host nft list ruleset >"$T/before"
apply
rc=$?
[ $rc = 0 ] || { cat "$T/out"; netns_fail "second apply: exit $rc, want 0 (no change)"; }
! grep -q "Exec\[cdnallow sync\]" "$T/out" || { cat "$T/out"; netns_fail "second apply ran the exec"; }
netns_exec host nft list ruleset >"$T/after"
diff -u "$T/before" "$T/after" || netns_fail "second apply changed the ruleset"
ok "second apply is idempotent (no exec)"

has -x '2001:db8:cd::/48' "$R/out/cdn.txt" || netns_fail "the output file lacks the list"
[ "$(stat -c %a "$R/out/cdn.txt")" = 640 ] || netns_fail "the output's mode is not 0640"
rm "$R/out/cdn.txt"
apply
rc=$?
[ $rc = 2 ] || { cat "$T/out"; netns_fail "apply after the output was deleted: exit $rc, want 2"; }
grep -q "Exec\[cdnallow sync\]/returns: executed successfully" "$T/out" ||
	{ cat "$T/out"; netns_fail "a missing output did not run the sync"; }
has -x '203.0.113.0/24' "$R/out/cdn.txt" || netns_fail "the sync did not recreate the output"
netns_exec host nft list ruleset >"$T/after"
diff -u "$T/before" "$T/after" || netns_fail "the output-only sync changed the ruleset"
ok "a deleted output is drift: the next apply syncs and recreates it, the ruleset unchanged"

printf '198.51.100.0/24\n' >>"$T/list.txt"
apply
rc=$?
[ $rc = 2 ] || { cat "$T/out"; netns_fail "drift apply: exit $rc, want 2"; }
netns_exec host nft list set inet cdnallow cdn4 | has '198\.51\.100\.0/24' ||
	netns_fail "the drifted prefix was not synced"
ok "a changed list is drift: the next apply syncs it"

# a new source without any usable list (never fetched, so no cached copy) is
# cdnallow's error: the run fails (4 or 6) and the firewall stays as it was
netns_exec host nft list ruleset >"$T/before"
sed -i -e "s|$T/list.txt|$T/never.txt|" -e "s|'name' => 'test'|'name' => 'never'|" "$T/site.pp"
apply
rc=$?
[ $rc = 4 ] || [ $rc = 6 ] || { cat "$T/out"; netns_fail "broken source: exit $rc, want 4/6"; }
grep -q "never.txt" "$T/out" || { cat "$T/out"; netns_fail "the failure does not name the source"; }
netns_exec host nft list ruleset >"$T/after"
diff -u "$T/before" "$T/after" || netns_fail "a failed run changed the ruleset"
ok "a broken source fails the run and changes nothing"

echo "PASS: $pass checks"
