#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A first sync that fails after it has created objects takes them out again
# (issue 15 item 4): the real tool or the kernel refuses the rule step, and the
# ruleset and the ipsets afterwards are byte for byte what they were before.
#  - iptables-nft, allow and lockdown: an `ip6 filter` table whose INPUT chain
#    an nft script made at priority 10. ip6tables-nft-restore refuses it
#    ("CHAIN_ADD failed (Operation not supported)") after the ipsets, the IPv4
#    rules and, in lockdown, cdnallow's nftables drop table went in. Without
#    the rollback that drop table stayed with empty sets: every web client
#    dropped, the CDN included.
#  - nftables, lockdown: a table inet cdnallow that exists already, with a
#    chain lockdown another chain jumps to. The kernel refuses to replace a chain
#    in use (EBUSY) after the sets and their elements went in; the admin's
#    table and chains stay, the sets go.
#  - ufw, rules and ipset mode, with IPV6=no: the IPv6 step refused after the
#    IPv4 one went in; ufw's files, the ruleset and the ipsets stay as before.
#  - firewalld on its own bus, which refuses the runtime ipset setEntries
#    after the permanent objects and the reload: runtime and permanent
#    configuration read as before, the admin's runtime-only port kept.
# The warning is one for every backend (src/engine/undo.c); the checks after
# each failed sync are one helper (lib/rollback.sh).
# Once the obstacle is gone, the next sync installs (nothing was poisoned).
set -u
. "$TESTS_DIR/integration/lib/netns.sh"
netns_require nft ipset iptables-nft ip6tables-nft
. "$TESTS_DIR/integration/lib/nft.sh"
. "$TESTS_DIR/integration/lib/rollback.sh"
netns_init rollback
T=$NETNS_TMP
netns_new origin
nft_list "$T/list" 0 10

# snap FILE: what the origin's firewall holds (nft ruleset, ipset names)
snap() {
	{
		netns_exec origin nft -s list ruleset
		echo "-- ipsets:"
		netns_exec origin ipset list -n
	} >"$1" 2>&1
}

# sync BACKEND MODE: cdnallow sync in the origin, a fresh state dir; exit code in $rc
sync() {
	nft_conf "$T/$2.conf" "$2"
	rm -rf "$T/state"
	netns_exec origin "$CDNALLOW" sync -b "$1" -c "$T/$2.conf" -s "$T/list" \
		--state-dir "$T/state" >"$T/out" 2>&1
	rc=$?
}

# --- iptables-nft: the IPv6 rule step refused
ipt_obstacle() {
	netns_exec origin nft flush ruleset
	netns_exec origin iptables-nft -A INPUT -i lo -j ACCEPT
	netns_exec origin nft 'add table ip6 filter; add chain ip6 filter INPUT { type filter hook input priority 10; policy accept; }'
}
for mode in allow lockdown; do
	ipt_obstacle
	snap "$T/before"
	sync iptables $mode
	rollback_expect "iptables-nft $mode" snap "$T/before" "CHAIN_ADD failed" \
		"iptables: removed what this failed first sync had created"
	ok "iptables-nft $mode: exit 1, named the refusal, ruleset and ipsets as before"
done
netns_exec origin nft delete table ip6 filter
sync iptables lockdown
[ "$rc" = 0 ] || netns_fail "iptables lockdown after the obstacle went: exit $rc: $(cat "$T/out")"
netns_exec origin ipset list -n | has -x cdnallow4 || netns_fail "no ipset cdnallow4 after the sync"
netns_exec origin nft list table inet cdnallow >/dev/null ||
	netns_fail "no lockdown table after the sync"
ok "iptables-nft lockdown installs once the obstacle is gone"

# --- nftables: the lockdown chain refused
netns_exec origin nft flush ruleset
netns_exec origin ipset destroy
netns_exec origin nft 'add table inet cdnallow; add chain inet cdnallow lockdown; add chain inet cdnallow other; add rule inet cdnallow other jump lockdown'
snap "$T/before"
sync nftables lockdown
rollback_expect "nftables lockdown" snap "$T/before" "Device or resource busy" \
	"nftables: removed what this failed first sync had created"
ok "nftables lockdown: exit 1, named the refusal, ruleset and ipsets as before"
netns_exec origin nft delete table inet cdnallow
sync nftables lockdown
[ "$rc" = 0 ] || netns_fail "nftables lockdown after the obstacle went: exit $rc: $(cat "$T/out")"
has -F 'set cdn4 ' <(netns_exec origin nft list table inet cdnallow) ||
	netns_fail "no set cdn4 after the sync"
ok "nftables lockdown installs once the obstacle is gone"

# --- ufw, rules and ipset mode: IPV6=no in /etc/default/ufw. ufw refuses the
# first IPv6 rule ("IPv6 support not enabled") after the IPv4 rules went in;
# in ipset mode ip6tables refuses the ufw6 chain after the sets, the blocks
# and the IPv4 running rule went in. The admin's rules and ufw's files,
# the ruleset and the ipsets afterwards are byte for byte as before.
ufw_part() {
	. "$TESTS_DIR/integration/lib/ufw.sh"
	netns_new ufwhost
	ufw_start ufwhost
	ufw_exec ufw allow 22/tcp >/dev/null
	ufw_exec ufw deny from 192.0.2.99 >/dev/null
	ufw_exec sed -i 's/^IPV6=yes/IPV6=no/' /etc/default/ufw
	ufw_exec ufw reload >/dev/null || netns_fail "ufw reload with IPV6=no"
	ufw_snap "$T/ufw-before"
	for mode in rules ipset; do
		printf '[guard]\nallow_test_ranges = true\n[ufw]\nipset_threshold = %s\n' \
			"$([ $mode = ipset ] && echo 3 || echo 100)" >"$T/ufw-$mode.conf"
		rm -rf "$T/state"
		ufw_sync sync -b ufw -c "$T/ufw-$mode.conf" -s "$T/list" --state-dir "$T/state" \
			>"$T/out" 2>&1
		rc=$?
		rollback_expect "ufw $mode" ufw_snap "$T/ufw-before" "$(words_$mode)" \
			"ufw: removed what this failed first sync had created"
		ok "ufw $mode: exit 1, rolled back, ufw's files, ruleset and ipsets as before"
	done
	ufw_exec sed -i 's/^IPV6=no/IPV6=yes/' /etc/default/ufw
	ufw_exec ufw reload >/dev/null || netns_fail "ufw reload with IPV6=yes"
	rm -rf "$T/state"
	ufw_sync sync -b ufw -c "$T/ufw-rules.conf" -s "$T/list" --state-dir "$T/state" >"$T/out" 2>&1 ||
		netns_fail "ufw after the obstacle went: $(cat "$T/out")"
	[ "$(ufw_ours_count)" = 8 ] || netns_fail "ufw: $(ufw_ours_count) rules of ours, expected 8"
	ok "ufw installs once IPv6 is back"
}

words_rules() { echo "ufw allow failed: ERROR: IPv6 support not enabled"; }
words_ipset() { echo "ip6tables failed: "; }

# ufw_snap FILE: ufw's files, the ruleset and the ipsets of the ufw host
ufw_snap() {
	{
		ufw_exec cat /etc/ufw/user.rules /etc/ufw/user6.rules /etc/ufw/before.rules \
			/etc/ufw/before6.rules /etc/ufw/before.init
		ufw_exec nft -s list ruleset
		echo "-- ipsets:"
		ufw_exec ipset list -n
	} >"$1" 2>&1
}

if command -v ufw >/dev/null; then
	ufw_part
else
	echo "SKIP: ufw part (ufw not installed)"
fi

# --- firewalld: the bus refuses cdnallow the runtime ipset setEntries (a
# mandatory deny in the bus policy of the test's own dbus-daemon, as a site
# policy may). The first sync has then created the permanent policy and
# ipsets and reloaded firewalld to get their runtime copies; the rollback
# removes the permanent objects and reloads once more, carrying the admin's
# runtime-only settings across. firewalld's runtime and permanent
# configuration and the ruleset afterwards read exactly as before.
fwd_part() {
	. "$TESTS_DIR/integration/lib/firewalld.sh"
	netns_new fwdhost
	cat >"$T/bus.conf" <<-'EOF'
		<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
		 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
		<busconfig>
		  <include>/usr/share/dbus-1/system.conf</include>
		  <policy context="mandatory">
		    <deny send_destination="org.fedoraproject.FirewallD1"
		          send_interface="org.fedoraproject.FirewallD1.ipset" send_member="setEntries"/>
		  </policy>
		</busconfig>
	EOF
	FWD_BUS_CONF=$T/bus.conf fwd_start "$(netns_name fwdhost)" "$T/fwd" ||
		netns_fail "firewalld did not start"
	# the admin's own: a permanent ipset with an entry, a runtime-only port
	fwd_exec firewall-cmd -q --permanent --new-ipset=admin4 --type=hash:net
	fwd_exec firewall-cmd -q --reload
	fwd_exec firewall-cmd -q --ipset=admin4 --add-entry=198.51.100.0/24
	fwd_exec firewall-cmd -q --permanent --ipset=admin4 --add-entry=198.51.100.0/24
	fwd_exec firewall-cmd -q --add-port=8080/tcp
	fwd_snap "$T/fwd-before"
	printf '[guard]\nallow_test_ranges = true\n' >"$T/fwd.conf"
	rm -rf "$T/state"
	fwd_exec "$CDNALLOW" sync -b firewalld -c "$T/fwd.conf" -s "$T/list" --state-dir "$T/state" \
		>"$T/out" 2>&1
	rc=$?
	rollback_expect firewalld fwd_snap "$T/fwd-before" "setEntries: Rejected send message" \
		"firewalld: removed what this failed first sync had created"
	has -x 8080/tcp <(fwd_exec firewall-cmd --list-ports | tr ' ' '\n') ||
		netns_fail "firewalld: the admin's runtime-only port 8080/tcp is gone"
	ok "firewalld: exit 1, rolled back, runtime and permanent configuration as before"
	fwd_stop
}

# fwd_snap FILE: firewalld's runtime and permanent configuration and the ruleset
fwd_snap() {
	local p
	{
		for p in "" --permanent; do
			echo "-- firewalld $p"
			fwd_exec firewall-cmd $p --get-ipsets
			fwd_exec firewall-cmd $p --get-policies
			fwd_exec firewall-cmd $p --list-all-zones
			fwd_exec firewall-cmd $p --list-all-policies
			fwd_exec firewall-cmd $p --info-ipset=admin4
		done
		# firewalld keeps a removed file as NAME.xml.old, which it never reads
		fwd_exec find /etc/firewalld -type f -name '*.xml' -newer "$T/fwd/etc-firewalld" \
			-printf '%p %s\n' | sort
		fwd_exec nft -s list ruleset
	} >"$1" 2>&1
}

if command -v firewalld >/dev/null && command -v firewall-cmd >/dev/null &&
	command -v dbus-daemon >/dev/null; then
	fwd_part
else
	echo "SKIP: firewalld part (firewalld or dbus-daemon not installed)"
fi

echo "PASS: $pass checks"
