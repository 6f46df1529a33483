#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The ufw backend in rules mode through the real binary, against a real ufw
# 0.36 in a network namespace with a private /etc/ufw: sync from nothing (one
# rule per prefix, tagged, IPv4 and IPv6), a pre-existing admin rule for one
# prefix reported and not duplicated, no-op re-sync running ufw not once,
# incremental update running ufw exactly once, audit warnings, flush; the
# admin's rules stay byte-identical throughout. Packets: the cdn host reaches
# 80/443 over IPv4 and IPv6 after sync, the outsider never does.
set -uo pipefail
. "$(dirname "$0")/lib/netns.sh"
. "$(dirname "$0")/lib/ufw.sh"
ufw_test_begin

printf '[guard]\nallow_test_ranges = true\n' >"$T/conf"
sync() { ufw_sync sync -b ufw -c "$T/conf" --state-dir "$T/state" "$@"; }

# the admin's own rules, one of them for a prefix of the list
ufw_exec ufw allow 22/tcp >/dev/null
ufw_exec ufw deny from 192.0.2.99 >/dev/null
ufw_exec ufw allow proto tcp from 192.0.2.128/26 to any port 80,443 >/dev/null
ufw_exec ufw allow proto udp from 2001:db8:aa::/48 to any port 53 comment 'dns' >/dev/null
before=$(ufw_user_rules_minus_ours)
before_rules=$(ufw_exec cat /etc/ufw/before.rules /etc/ufw/before6.rules /etc/ufw/before.init)

netns_listen origin 80 443
netns_expect_closed cdn "$NETNS_ORIGIN4" 443
ok "default deny incoming closes 443 before any sync"

printf '203.0.113.0/24\n192.0.2.128/26\n198.51.100.128/26\n198.51.100.224/27\n2001:db8:cd::/48\n2001:db8:ce::/48\n' >"$T/l1"
out=$(sync -s "$T/l1" 2>&1) || netns_fail "sync from nothing: $out"
[ "$(ufw_ours_prefixes | tr '\n' ' ')" = "198.51.100.128/26 198.51.100.224/27 2001:db8:cd::/48 2001:db8:ce::/48 203.0.113.0/24 " ] ||
	netns_fail "our rules: $(ufw_ours_prefixes | tr '\n' ' ')"
[ "$(ufw_calls)" = 5 ] || netns_fail "sync from nothing made $(ufw_calls) ufw calls, want 5"
echo "$out" | has "not made by cdnallow already allow" || netns_fail "no warning about the admin's rule: $out"
ufw_exec grep -q '^### tuple ### allow tcp 80,443 0.0.0.0/0 any 203.0.113.0/24 in comment=63646e616c6c6f773a' \
	/etc/ufw/user.rules || netns_fail "rule format: $(ufw_exec grep tuple /etc/ufw/user.rules)"
[ "$(ufw_user_rules_minus_ours)" = "$before" ] || netns_fail "admin rules changed"
ok "sync from nothing: 5 rules with 5 ufw calls, the admin's 192.0.2.128/26 kept and not duplicated"

netns_expect_open cdn "$NETNS_ORIGIN4" 80
netns_expect_open cdn "$NETNS_ORIGIN4" 443
netns_expect_open cdn "$NETNS_ORIGIN6" 443
netns_expect_closed outsider "$NETNS_ORIGIN4" 443
netns_expect_closed outsider "$NETNS_ORIGIN6" 80
ok "packets: cdn reaches 80/443 over IPv4 and IPv6, outsider does not"

ufw_calls_reset
t0=$(date +%s%N)
out=$(sync -s "$T/l1" 2>&1) || netns_fail "no-op sync: $out"
t1=$(date +%s%N)
[ "$(ufw_calls)" = 0 ] || netns_fail "no-op sync ran ufw: $(cat "$UFW_CALLS")"
ok "no-op sync runs ufw not once ($(((t1 - t0) / 1000000)) ms)"

out=$(ufw_sync plan -b ufw -c "$T/conf" --state-dir "$T/state" -s "$T/l1" 2>&1)
[ $? = 0 ] || netns_fail "plan after sync reports drift: $out"
ok "plan: in sync"

grep -v '198.51.100.224/27' "$T/l1" >"$T/l2"
ufw_calls_reset
out=$(sync -s "$T/l2" 2>&1) || netns_fail "incremental sync: $out"
[ "$(ufw_calls)" = 1 ] || netns_fail "incremental sync made $(ufw_calls) ufw calls: $(cat "$UFW_CALLS")"
grep -q '^ufw delete allow proto tcp from 198.51.100.224/27 to any port 80,443$' "$UFW_CALLS" ||
	netns_fail "wrong call: $(cat "$UFW_CALLS")"
[ "$(ufw_ours_count)" = 4 ] || netns_fail "$(ufw_ours_count) rules after the update"
ufw_exec iptables -S ufw-user-input | has 198.51.100.224 && netns_fail "stale range still in the kernel"
[ "$(ufw_user_rules_minus_ours)" = "$before" ] || netns_fail "admin rules changed"
netns_expect_open cdn "$NETNS_ORIGIN4" 443
ok "incremental update: one ufw delete, stale range gone from file and kernel"

# ports change: every rule is replaced, additions first; the admin's rule for
# 80,443 is no rule for port 443 alone, so 192.0.2.128/26 gets one of ours
ufw_calls_reset
out=$(sync -s "$T/l2" --ports 443 2>&1) || netns_fail "ports change: $out"
[ "$(ufw_exec cat /etc/ufw/user.rules /etc/ufw/user6.rules | grep -c '^### tuple ### allow tcp 443 .*comment=63646e616c6c6f77')" = 5 ] ||
	netns_fail "rules after the ports change: $(ufw_exec grep tuple /etc/ufw/user.rules)"
[ "$(ufw_ours_count)" = 5 ] || netns_fail "old rules left: $(ufw_ours_count)"
head -1 "$UFW_CALLS" | has '^ufw allow' || netns_fail "deletion before addition: $(cat "$UFW_CALLS")"
[ "$(ufw_calls)" = 9 ] || netns_fail "ports change made $(ufw_calls) calls, want 5 adds + 4 deletes"
[ "$(ufw_user_rules_minus_ours)" = "$before" ] || netns_fail "admin rules changed"
out=$(sync -s "$T/l2" 2>&1) || netns_fail "ports back: $out"
[ "$(ufw_ours_count)" = 4 ] || netns_fail "ports back: $(ufw_ours_count) rules"
ok "ports change replaces the rules, additions first, and back"

# progress: a terminal (stderr a pty, made by script(1)) is told how far the
# per-rule apply is; without a terminal (logs, cron, JSON) nothing of it
{ cat "$T/l2"; printf '198.51.100.224/27\n2001:db8:e0::/48\n'; } >"$T/l3"
ufw_calls_reset
script -qec "$(printf '%q ' nsenter -t "$UFW_PID" -m -n -- env PATH="$UFW_DIR/bin:$PATH" \
	"$CDNALLOW" sync -b ufw -c "$T/conf" --state-dir "$T/state" -s "$T/l3")" /dev/null >"$T/tty.out" 2>&1 ||
	netns_fail "sync on a terminal: $(cat "$T/tty.out")"
[ "$(ufw_calls)" = 2 ] || netns_fail "2 additions made $(ufw_calls) ufw calls: $(cat "$UFW_CALLS")"
has -F 'ufw: 1/2 rules, 1 left' <"$T/tty.out" || netns_fail "no progress on the terminal: $(cat -v "$T/tty.out")"
has -F 'ufw: 2/2 rules, 0 left' <"$T/tty.out" || netns_fail "progress stops early: $(cat -v "$T/tty.out")"
{ cat "$T/l3"; printf '2001:db8:e4::/48\n2001:db8:e8::/48\n'; } >"$T/l4"
out=$(sync -s "$T/l4" 2>&1) || netns_fail "sync to l4: $out"
echo "$out" | has 'rules, [0-9]* left\|applying' && netns_fail "progress without a terminal: $out"
[ "$(ufw_ours_count)" = 8 ] || netns_fail "l4: $(ufw_ours_count) rules"
ok "progress: 1/2, 2/2 on a terminal, nothing when stderr is not one"

# audit: a rule open to everyone on 443 defeats the allowlist
ufw_exec ufw allow 443/tcp >/dev/null
out=$(ufw_sync doctor -b ufw -c "$T/conf" --state-dir "$T/state" -s "$T/l2" 2>&1)
echo "$out" | has "lets anyone reach port 443" || echo "note: doctor did not show the ufw audit: $out" >&2
ufw_exec ufw delete allow 443/tcp >/dev/null

ufw_calls_reset
out=$(ufw_sync flush -b ufw -c "$T/conf" --state-dir "$T/state" 2>&1) || netns_fail "flush: $out"
[ "$(ufw_ours_count)" = 0 ] || netns_fail "$(ufw_ours_count) rules left after flush"
[ "$(ufw_user_rules_minus_ours)" = "$before" ] || netns_fail "flush changed the admin rules"
[ "$(ufw_exec cat /etc/ufw/before.rules /etc/ufw/before6.rules /etc/ufw/before.init)" = "$before_rules" ] ||
	netns_fail "flush touched before.rules/before.init"
ufw_exec grep -q '192.0.2.128/26' /etc/ufw/user.rules || netns_fail "flush removed the admin's rule"
netns_expect_closed cdn "$NETNS_ORIGIN4" 443
ok "flush removes exactly our rules"

echo "PASS: $pass checks"
