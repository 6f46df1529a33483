#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# firewalld, stock zone public, as an admin has it running: a runtime-only port
# (firewall-cmd --add-port=8443/tcp), a runtime-only rich rule banning the
# outsider from ssh and a runtime direct chain + rule banning it from 8443, as
# fail2ban's firewallcmd-rich-rules and firewallcmd-* actions add them. `plan` announces
# the one reload the first sync needs; the sync carries both across it; and
# the CDN host, over IPv4 and IPv6, gets port 80 and keeps everything zone
# public gives it (ssh, the runtime port) — a sync adds access and takes
# nothing away. Then an install by an earlier build (source-bound zone cdnallow,
# which took the CDN out of zone public) is migrated by a sync, the runtime
# port again carried across. Real packets between network namespaces;
# firewalld on its own D-Bus.
set -u
. "${TESTS_DIR:-$(dirname "$0")/..}/integration/lib/netns.sh"
. "${TESTS_DIR:-$(dirname "$0")/..}/integration/lib/firewalld.sh"
fwd_test_begin fwdco hosts
netns_listen origin 22 80 8443

O4=$NETNS_ORIGIN4 O6=$NETNS_ORIGIN6
BAN='rule family="ipv4" source address="198.51.100.10" service name="ssh" reject'
printf '[guard]\nallow_test_ranges = true\n' >"$T/conf"
printf '203.0.113.0/24\n2001:db8:cd::/48\n' >"$T/list"
run() { fwd_exec "$CDNALLOW" "$1" -b firewalld -c "$T/conf" -s "$T/list" --state-dir "$T/st" \
	"${@:2}"; }
# expect open|closed HOST PORT: over IPv4 and, for the cdn host, IPv6 too.
expect() {
	local a
	for a in $O4 $O6; do
		[ "$2" = outsider ] && [ "$a" = "$O6" ] && continue
		netns_expect_"$1" "$2" "$a" "$3"
	done
	ok "$2 port $3 $1"
}

# The admin's runtime-only configuration, as fail2ban and firewall-cmd leave it.
fwd_exec firewall-cmd --zone=public --add-port=8443/tcp >/dev/null || netns_fail "runtime port"
fwd_exec firewall-cmd --zone=public --add-rich-rule="$BAN" >/dev/null || netns_fail "runtime rich rule"
fwd_exec firewall-cmd --direct --add-chain ipv4 filter f2b-web >/dev/null || netns_fail "direct chain"
fwd_exec firewall-cmd --direct --add-rule ipv4 filter f2b-web 0 -s 198.51.100.10 -j REJECT \
	>/dev/null || netns_fail "direct rule"
fwd_exec firewall-cmd --direct --add-rule ipv4 filter INPUT_direct 0 -p tcp --dport 8443 \
	-j f2b-web >/dev/null || netns_fail "direct jump"
direct_before=$(fwd_exec firewall-cmd --direct --get-all-chains; fwd_exec firewall-cmd --direct --get-all-rules)
fwd_exec firewall-cmd --permanent --zone=public --list-ports | has 8443 && netns_fail "the port is permanent"
expect open cdn 22
expect closed cdn 80
expect open cdn 8443
expect closed outsider 22
expect closed outsider 8443

# plan says that the sync will reload (and that it carries the runtime settings)
run plan >"$T/out" 2>"$T/err"
[ $? -eq 2 ] || netns_fail "plan before the first sync: exit $?"
has "takes one firewalld reload" "$T/err" || netns_fail "plan did not announce the reload: $(cat "$T/err")"
has "restored after it" "$T/err" || netns_fail "plan did not say the runtime settings are kept"
ok "plan announces the reload"

fwd_monitor_start "$T/mon1"
run sync 2>"$T/err" >/dev/null || { cat "$T/err"; netns_fail "first sync"; }
fwd_monitor_stop
[ "$(fwd_reloads "$T/mon1")" -eq 1 ] || netns_fail "first sync: $(fwd_reloads "$T/mon1") reloads"
has "runtime-only settings were restored" "$T/err" || netns_fail "sync said: $(cat "$T/err")"
fwd_exec firewall-cmd --zone=public --list-ports | has -w 8443/tcp || netns_fail "runtime port lost by the sync"
fwd_exec firewall-cmd --zone=public --list-rich-rules | has -F "$BAN" || netns_fail "runtime rich rule lost"
fwd_exec firewall-cmd --permanent --zone=public --list-all | has 8443 && netns_fail "the sync made the port permanent"
fwd_exec firewall-cmd --permanent --zone=public --list-rich-rules | has . && netns_fail "the sync made the ban permanent"
[ "$(fwd_exec firewall-cmd --direct --get-all-chains; fwd_exec firewall-cmd --direct --get-all-rules)" = \
	"$direct_before" ] || netns_fail "runtime direct rules lost: $(fwd_exec firewall-cmd --direct --get-all-rules)"
fwd_exec firewall-cmd --permanent --direct --get-all-rules | has . && netns_fail "direct rules made permanent"
ok "runtime port, rich rule and direct rules carried across the reload, still runtime-only"
expect open cdn 80
expect open cdn 22
expect open cdn 8443
expect closed outsider 80
expect closed outsider 22
expect closed outsider 8443
fwd_exec firewall-cmd --get-active-zones | has -w cdnallow && netns_fail "a zone cdnallow is active"

# A second sync and status: in sync, nothing reloads.
fwd_monitor_start "$T/mon2"
run sync >/dev/null 2>"$T/err" || { cat "$T/err"; netns_fail "re-sync"; }
run status >/dev/null 2>&1 || netns_fail "status after sync: exit $?"
fwd_monitor_stop
[ "$(fwd_reloads "$T/mon2")" -eq 0 ] || netns_fail "re-sync reloaded"
has reload "$T/err" && netns_fail "re-sync mentioned a reload: $(cat "$T/err")"
ok "re-sync without reload"

# Migration: flush, then install what earlier builds made (source-bound zone
# cdnallow, ports 80 and 443) by hand, and sync.
run flush 2>/dev/null || netns_fail "flush"
fwd_exec firewall-cmd --reload >/dev/null || netns_fail "reload after flush"
fwd_exec firewall-cmd --zone=public --add-port=8443/tcp >/dev/null || netns_fail "runtime port again"
for f in 4:inet 6:inet6; do
	fwd_exec firewall-cmd --permanent --new-ipset="cdnallow${f%%:*}" --type=hash:net \
		--family="${f#*:}" >/dev/null || netns_fail "old ipset"
	fwd_exec firewall-cmd --permanent --new-ipset="cdnallow${f%%:*}b" --type=hash:net \
		--family="${f#*:}" >/dev/null || netns_fail "old twin"
done
fwd_exec firewall-cmd --permanent --new-zone=cdnallow >/dev/null || netns_fail "old zone"
for a in --add-source=ipset:cdnallow4 --add-source=ipset:cdnallow6 --add-port=80/tcp \
	--add-port=443/tcp; do
	fwd_exec firewall-cmd --permanent --zone=cdnallow "$a" >/dev/null || netns_fail "old zone $a"
done
fwd_exec firewall-cmd --permanent --ipset=cdnallow4 --add-entry=203.0.113.0/24 >/dev/null &&
	fwd_exec firewall-cmd --permanent --ipset=cdnallow6 --add-entry=2001:db8:cd::/48 \
		>/dev/null || netns_fail "old entries"
fwd_exec firewall-cmd --reload >/dev/null || netns_fail "reload of the old install"
fwd_exec firewall-cmd --zone=public --add-port=8443/tcp >/dev/null || netns_fail "runtime port after the old install"
expect open cdn 80
expect closed cdn 22
ok "the old zone takes ssh from the cdn host (the defect)"
run sync 2>"$T/err" >/dev/null || { cat "$T/err"; netns_fail "migrating sync"; }
fwd_exec firewall-cmd --permanent --get-zones | has -w cdnallow && netns_fail "old permanent zone left"
fwd_exec firewall-cmd --zone=cdnallow --list-sources 2>/dev/null | has . &&
	netns_fail "old runtime zone still has sources"
fwd_exec firewall-cmd --zone=public --list-ports | has -w 8443/tcp || netns_fail "runtime port lost by the migration"
expect open cdn 80
expect open cdn 22
expect open cdn 8443
expect closed outsider 80
fwd_assert_rt_eq_perm || netns_fail "after the migration"
ok "old zone migrated to the policy"
echo "PASS: $pass checks"
