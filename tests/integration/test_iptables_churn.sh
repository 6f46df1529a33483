#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# No connection is lost while the list changes: the "cdn" namespace connects
# to the origin (INPUT policy DROP, allow mode, iptables-nft) over IPv4 and
# IPv6 in a tight loop while 100 syncs alternate the prefix covering it
# (203.0.113.0/24 <-> 203.0.113.0/28 + 203.0.113.64/26, 2001:db8:1::/48 <->
# 2001:db8:1::/64) and rotate unrelated prefixes. Each sync removes the
# prefix the CDN host was admitted by; only an atomic swap keeps every attempt
# succeeding. Zero failed connections and zero packets reaching the origin's
# drop rule are allowed.
set -uo pipefail
# shellcheck source=lib/iptables.sh
. "$(dirname "$0")/lib/iptables.sh"
ipt_setup

o=origin
c=cdn
ipt_ns_add "$o"
ipt_ns_add "$c"
ipt_link "$o" 203.0.113.1/24 "$c" 203.0.113.10/24 2001:db8:1::1/64 2001:db8:1::10/64
ipt_listen "$o" 80
ipt_in "$o" ip6tables-nft -A INPUT -p ipv6-icmp -j ACCEPT
ipt_in "$o" iptables-nft -P INPUT DROP
ipt_in "$o" ip6tables-nft -P INPUT DROP
# counts every connection attempt the allowlist let fall through to the drop
ipt_in "$o" iptables-nft -A INPUT -p tcp --dport 80 -j DROP
ipt_in "$o" ip6tables-nft -A INPUT -p tcp --dport 80 -j DROP

write_list() { # N
	local i=$1 k
	{
		if [ $((i % 2)) = 0 ]; then
			printf '203.0.113.0/24\n2001:db8:1::/48\n'
		else
			printf '203.0.113.0/28\n203.0.113.64/26\n2001:db8:1::/64\n'
		fi
		for k in 0 1 2 3 4 5 6 7; do
			printf '192.0.2.%d/32\n2001:db8:9:%x::/64\n' $(((i + k * 3) % 250)) $(((i + k * 3) % 250))
		done
	} >"$IPT_TMP/list"
}

# The lists alternate between a /24 and a /28+/26 (and /48, /64) on purpose:
# each step grows or shrinks a family's addresses (IPv6 by 2^16) far beyond
# the guard's max_grow / max_shrink, which is not what this test is about:
# the syncs below pass --force.
write_list 0
ipt_sync "$o" "$IPT_TMP/list" || ipt_fail "first sync"
ipt_expect_open "$c" 203.0.113.1 80

# started directly (not through a function) so that $! is the client itself
ip netns exec "$(ipt_ns "$c")" python3 -c '
import os, socket, sys, time
stop, result = sys.argv[1], sys.argv[2]
ok = fail = 0
targets = [(socket.AF_INET, ("203.0.113.1", 80)), (socket.AF_INET6, ("2001:db8:1::1", 80))]
i = 0
while not os.path.exists(stop):
    fam, addr = targets[i % 2]
    i += 1
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(5)  # a loaded box can be slow; firewall drops are counted on the origin
    try:
        s.connect(addr)
        ok += 1
    except OSError:
        fail += 1
    finally:
        s.close()
    time.sleep(0.005)
with open(result, "w") as f:
    f.write(f"{ok} {fail}\n")
' "$IPT_TMP/stop" "$IPT_TMP/result" </dev/null >/dev/null 2>&1 &
client=$!
IPT_PIDS+=("$client")

start=$(date +%s)
for i in $(seq 1 100); do
	write_list "$i"
	ipt_sync "$o" "$IPT_TMP/list" --force || ipt_fail "sync $i"
done
end=$(date +%s)
touch "$IPT_TMP/stop"
wait "$client"
read -r okc failc <"$IPT_TMP/result"
echo "# 100 syncs in $((end - start)) s, $okc connections succeeded, $failc failed"
[ "$okc" -gt 100 ] || ipt_fail "too few connection attempts ($okc)"
drops=$(($(ipt_in "$o" iptables-nft -vxnL INPUT | awk '$3 == "DROP" && /dpt:80/ { print $1 }') +
	$(ipt_in "$o" ip6tables-nft -vxnL INPUT | awk '$3 == "DROP" && /dpt:80/ { print $1 }')))
echo "# $drops packets to :80 dropped by the origin"
[ "$drops" = 0 ] || ipt_fail "$drops packets from the CDN host dropped during the updates"
[ "$failc" = 0 ] || ipt_fail "$failc connections failed during the updates"
[ "$(ipt_set_entries "$o" cdnallow4 | head -1)" = "192.0.2.100/32" ] ||
	ipt_set_entries "$o" cdnallow4 | has -x 203.0.113.0/24 ||
	{ ipt_set_entries "$o" cdnallow4; ipt_fail "final set is not list 100"; }
echo "ok - 100 incremental updates, 0 failed connections"
