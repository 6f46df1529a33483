#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# nftables backend end to end, with packets: an origin (web listener on 80 and
# 443), a "cdn" host inside the synced ranges (203.0.113.10, 2001:db8:cd::10)
# and an "outsider" outside them, over veth pairs. Allow mode inside the
# origin's default-drop `inet filter`; lockdown on an origin without a drop
# policy, including a DNAT-published "container" port; continuity: the cdn host
# connects in a tight loop during 100 incremental syncs and never fails.
set -u
. "$TESTS_DIR/integration/lib/netns.sh"
netns_require python3 ss timeout
. "$TESTS_DIR/integration/lib/nft.sh"
netns_init nft
T=$NETNS_TMP
O4=$NETNS_ORIGIN4
O6=$NETNS_ORIGIN6

netns_topology
netns_listen origin 80 443 8080
netns_expect_open cdn "$O4" 80
netns_expect_open outsider "$O4" 80
netns_expect_open outsider "$O6" 443
ok "topology: everyone connects before any firewall"

nft_list "$T/list" 0 40
# --- allow mode inside the admin's default-drop table
netns_exec origin nft -f - <<'EOF' || netns_fail "admin ruleset"
table inet filter {
	chain input {
		type filter hook input priority 0; policy drop;
		ct state established,related accept
		iif lo accept
		meta l4proto ipv6-icmp accept
	}
}
EOF
netns_expect_closed cdn "$O4" 80
nft_conf "$T/allow.conf" allow '[nftables]' 'table = inet filter' 'chain = input'
nft_sync origin "$T/allow.conf" "$T/list" || netns_fail "allow sync"
for p in 80 443; do
	netns_expect_open cdn "$O4" $p
	netns_expect_open cdn "$O6" $p
	netns_expect_closed outsider "$O4" $p
	netns_expect_closed outsider "$O6" $p
done
netns_expect_closed cdn "$O4" 8080
ok "allow mode: cdn connects on 80/443 (v4, v6), outsider does not"
nft_cmd origin flush "$T/allow.conf" "$T/list" || netns_fail "flush"
netns_expect_closed cdn "$O4" 80
netns_exec origin nft delete table inet filter
rm -rf "$T/state-origin"

# --- lockdown on an origin without a drop policy
nft_conf "$T/lock.conf" lockdown
nft_sync origin "$T/lock.conf" "$T/list" || netns_fail "lockdown sync"
for p in 80 443; do
	netns_expect_open cdn "$O4" $p
	netns_expect_open cdn "$O6" $p
	netns_expect_closed outsider "$O4" $p
	netns_expect_closed outsider "$O6" $p
done
netns_expect_open outsider "$O4" 8080
netns_exec origin bash -c "exec 3<>/dev/tcp/127.0.0.1/80" || netns_fail "loopback blocked"
ok "lockdown: cdn connects, outsider dropped on 80/443 only, loopback untouched"

# A published "container" port: DNAT at priority -100 comes after the lockdown chain (-150).
netns_backend
netns_listen backend 8080
netns_exec origin nft -f - <<EOF || netns_fail "dnat ruleset"
table ip docker-like {
	chain pre { type nat hook prerouting priority dstnat; policy accept;
		tcp dport 8443 dnat to $NETNS_BACKEND4:8080; }
}
EOF
netns_expect_open outsider "$O4" 8443
nft_conf "$T/lock2.conf" lockdown
sed -i 's/^ports = .*/ports = 80, 443, 8443/' "$T/lock2.conf"
nft_sync origin "$T/lock2.conf" "$T/list" || netns_fail "lockdown sync with 8443"
netns_expect_open cdn "$O4" 8443
netns_expect_closed outsider "$O4" 8443
ok "lockdown covers a DNAT-published port"
nft_sync origin "$T/lock.conf" "$T/list" || netns_fail "back to 80/443"

# --- continuity: 100 incremental syncs while the cdn host connects in a loop
cat >"$T/loop.sh" <<EOF
ok=0 bad=0
while [ ! -e "$T/stop" ]; do
	if timeout 1 bash -c 'exec 3<>/dev/tcp/$O4/443' 2>/dev/null; then
		ok=\$((ok + 1))
	else
		bad=\$((bad + 1))
	fi
done
echo "\$ok \$bad" >"$T/counts"
EOF
netns_exec cdn bash "$T/loop.sh" &
loop=$!
NETNS_PIDS+=("$loop")
nft_list "$T/a" 0 40
nft_list "$T/b" 2 42
for i in $(seq 100); do
	if [ $((i % 2)) = 1 ]; then l=$T/b; else l=$T/a; fi
	nft_sync origin "$T/lock.conf" "$l" || netns_fail "sync $i"
done
touch "$T/stop"
wait "$loop"
read -r good bad <"$T/counts"
[ "$bad" = 0 ] || netns_fail "$bad of $((good + bad)) connections failed during the syncs"
[ "$good" -gt 0 ] || netns_fail "no connection made during the syncs"
[ "$(nft_elems origin inet cdnallow cdn4)" = "$(nft_list_elems "$T/a" 4)" ] || netns_fail "final set"
ok "continuity: $good connections, 0 failed during 100 incremental syncs"

echo "all $pass nftables end-to-end checks passed"
