#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Regenerates the tool-made rulesets of tests/corpus/doctor/ by running the
# real tools (ufw, firewalld on both backends) in throw-away network and mount
# namespaces and dumping what they loaded into the kernel. Run as root from
# the source tree; never touches the host's firewall. fail2ban's files are made
# as SOURCES.md there describes. Arguments pick sections (default: all):
# ufw firewalld persistent docker crowdsec lockdown. persistent, docker and
# crowdsec need `tools/deps.sh corpus` (iptables-persistent removes ufw: run
# those sections and ufw's on a scratch machine, one after the other).
set -euo pipefail
TESTS_DIR=$(cd "$(dirname "$0")/../tests" && pwd)
OUT=$TESTS_DIR/corpus/doctor
. "$TESTS_DIR/integration/lib/netns.sh"
. "$TESTS_DIR/integration/lib/ufw.sh"
. "$TESTS_DIR/integration/lib/firewalld.sh"
netns_require iptables-nft-save
netns_init corpus
want=${*:-ufw firewalld persistent docker crowdsec lockdown}
wants() { [[ " $want " == *" $1 "* ]]; }

ufw_section() {
	# ufw enabled with its defaults (deny incoming), then with 80 and 443 allowed
	netns_new ufw
	ufw_start ufw
	ufw_exec iptables-nft-save > "$OUT/ufw-default.ipt"
	ufw_exec ip6tables-nft-save > "$OUT/ufw-default.ip6t"
	ufw_exec ufw allow 80,443/tcp > /dev/null
	ufw_exec iptables-nft-save > "$OUT/ufw-web.ipt"
	ufw_exec ip6tables-nft-save > "$OUT/ufw-web.ip6t"
}

firewalld_section() {
	# firewalld with its default zone (public), nftables backend, then http/https allowed
	netns_new fwd
	fwd_start "$(netns_name fwd)" "$NETNS_TMP/fwd"
	fwd_exec nft list ruleset > "$OUT/firewalld-public.nft"
	fwd_exec firewall-cmd -q --add-service=http --add-service=https
	fwd_exec nft list ruleset > "$OUT/firewalld-http-https.nft"
	fwd_stop

	# the same on firewalld's iptables backend
	netns_new fwdipt
	FWD_BACKEND=iptables fwd_start "$(netns_name fwdipt)" "$NETNS_TMP/fwdipt"
	fwd_exec iptables-save > "$OUT/firewalld-iptables.ipt"
	fwd_exec ip6tables-save > "$OUT/firewalld-iptables.ip6t"
	fwd_stop
}

# iptables-persistent: a typical server's rules typed with iptables/ip6tables,
# then `netfilter-persistent save` writing /etc/iptables/rules.v{4,6} in a
# private mount namespace (a tmpfs on /etc/iptables); $2 = "web" also opens 80/443.
persistent() {
	local name=$1 web=$2
	netns_new "$name"
	netns_exec "$name" unshare -m --propagation private sh -e -c '
		mount -t tmpfs tmpfs /etc/iptables
		for t in iptables ip6tables; do
			$t -A INPUT -i lo -j ACCEPT
			$t -A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
			$t -A INPUT -m conntrack --ctstate INVALID -j DROP
			$t -A INPUT -p tcp --dport 22 -m conntrack --ctstate NEW -j ACCEPT
			if [ "$2" = web ]; then
				$t -A INPUT -p tcp -m multiport --dports 80,443 -j ACCEPT
			fi
			$t -P INPUT DROP
			$t -P FORWARD DROP
		done
		iptables -A INPUT -p icmp --icmp-type echo-request -j ACCEPT
		ip6tables -A INPUT -p ipv6-icmp -j ACCEPT
		netfilter-persistent save >/dev/null 2>&1
		cat /etc/iptables/rules.v4 >"$1.ipt"
		cat /etc/iptables/rules.v6 >"$1.ip6t"
	' persistent "$OUT/$name" "$web"
}

# Docker 20.10 (docker.io): a real dockerd with --iptables=true in a network
# namespace and a private mount namespace (tmpfs on /etc/docker and /run;
# data-root and exec-root in the temp dir). $2 = legacy puts
# iptables-legacy first in its PATH. Dumped idle (the chains dockerd makes at
# start), then with a container publishing 80 and 443: its image is imported
# from a local tar (symlinks into a read-only bind mount of /usr), so no
# registry is needed and the DNAT is the one docker itself writes.
docker_section() {
	local name=$1 flavour=$2 d=$NETNS_TMP/$1 i save=iptables-nft-save ext=ipt
	netns_new "$name"
	mkdir -p "$d/bin" "$d/root/usr" "$d/root/proc" "$d/root/sys" "$d/root/dev" "$d/root/etc"
	for i in bin lib lib64 sbin; do ln -s "usr/$i" "$d/root/$i"; done
	if [ "$flavour" = legacy ]; then
		for i in iptables iptables-save iptables-restore ip6tables ip6tables-save ip6tables-restore; do
			ln -s "$(command -v "${i/tables/tables-legacy}")" "$d/bin/$i"
		done
		save=iptables-legacy-save ext=legacy
	fi
	nsenter --net="/run/netns/$(netns_name "$name")" unshare -m --propagation private sh -c '
		mount -t tmpfs tmpfs /etc/docker
		mount -t tmpfs tmpfs /run
		d=$1
		exec env PATH="$d/bin:$PATH" dockerd --iptables=true --data-root "$d/data" \
			--exec-root "$d/exec" --pidfile "$d/docker.pid" -H "unix://$d/docker.sock"
	' dockerd "$d" >"$d/log" 2>&1 &
	for i in $(seq 120); do
		has "API listen" "$d/log" && break
		has "failed to start" "$d/log" && break
		sleep 0.5
	done
	has "API listen" "$d/log" || netns_fail "dockerd did not start: $(tail -3 "$d/log")"
	netns_exec "$name" "$save" >"$OUT/$name-idle.$ext"
	tar -C "$d/root" -c . | docker -H "unix://$d/docker.sock" import - cdna-host:1 >/dev/null
	docker -H "unix://$d/docker.sock" run -d --name web -p 80:80 -p 443:443 -v /usr:/usr:ro \
		cdna-host:1 /usr/bin/python3 -m http.server 80 >/dev/null
	netns_exec "$name" "$save" >"$OUT/$name-web.$ext"
	docker -H "unix://$d/docker.sock" rm -f web >/dev/null
	kill "$(cat "$d/docker.pid")"
	for i in $(seq 60); do
		[ -e "$d/docker.pid" ] || break
		sleep 0.5
	done
}

# CrowdSec's firewall bouncer (crowdsec-firewall-bouncer) in a network and a
# private mount namespace, fed by tools/crowdsec-lapi.py with bans of the CDN
# test host (203.0.113.10, 2001:db8:cd::10) and one outsider; $1 = nftables
# or iptables (+ ipset). Dumped once its sets hold the bans.
crowdsec_section() {
	local mode=$1 name=crowdsec-$1 d=$NETNS_TMP/crowdsec-$1 i
	netns_new "$name"
	mkdir -p "$d"
	cat >"$d/bouncer.yaml" <<-YAML
		mode: $mode
		pid_dir: $d/
		update_frequency: 1s
		daemonize: false
		log_mode: stdout
		log_level: info
		api_url: http://127.0.0.1:8080/
		api_key: corpus
		disable_ipv6: false
		deny_action: DROP
		deny_log: false
		supported_decisions_types:
		  - ban
		blacklists_ipv4: crowdsec-blacklists
		blacklists_ipv6: crowdsec6-blacklists
		ipset_type: nethash
		iptables_chains:
		  - INPUT
		nftables:
		  ipv4:
		    enabled: true
		    set-only: false
		    table: crowdsec
		    chain: crowdsec-chain
		  ipv6:
		    enabled: true
		    set-only: false
		    table: crowdsec6
		    chain: crowdsec6-chain
		prometheus:
		  enabled: false
	YAML
	netns_exec "$name" python3 "$(dirname "$0")/crowdsec-lapi.py" 8080 \
		203.0.113.10 2001:db8:cd::10 198.51.100.20 >"$d/lapi.log" 2>&1 &
	NETNS_PIDS+=($!)
	for i in $(seq 40); do
		netns_exec "$name" ss -Hltn "sport = :8080" >"$d/ss"
		[ -s "$d/ss" ] && break
		sleep 0.25
	done
	netns_exec "$name" unshare -m --propagation private sh -c '
		mount -t tmpfs tmpfs /var/log
		exec crowdsec-firewall-bouncer -c "$1/bouncer.yaml"
	' bouncer "$d" >"$d/bouncer.log" 2>&1 &
	NETNS_PIDS+=($!)
	for i in $(seq 60); do
		if [ "$mode" = nftables ]; then
			netns_exec "$name" nft list ruleset >"$d/dump" 2>/dev/null || true
		else
			netns_exec "$name" ipset save >"$d/dump" 2>/dev/null || true
		fi
		has 2001:db8:cd::10 "$d/dump" && has 203.0.113.10 "$d/dump" && break
		sleep 0.5
	done
	has 2001:db8:cd::10 "$d/dump" || netns_fail "bouncer: no bans: $(tail -5 "$d/bouncer.log")"
	if [ "$mode" = nftables ]; then
		cp "$d/dump" "$OUT/$name.nft"
	else
		netns_exec "$name" iptables-save >"$OUT/$name.ipt"
		netns_exec "$name" ip6tables-save >"$OUT/$name.ip6t"
		netns_exec "$name" ipset save >"$OUT/$name.ipset"
	fi
}

# cdnallow's own lockdown on a stock ufw (deny incoming) and on firewalld's
# default zone (nftables backend): `cdnallow -b ufw|firewalld --mode lockdown
# sync` of the test CDN ranges, then the dumps. Needs $CDNALLOW.
lockdown_section() {
	local d=$NETNS_TMP/lockdown
	: "${CDNALLOW:?set CDNALLOW to the cdnallow binary}"
	mkdir -p "$d"
	printf '203.0.113.0/24\n2001:db8:cd::/48\n' >"$d/list"
	printf '[guard]\nallow_test_ranges = true\n' >"$d/conf"

	netns_new ufwlock
	ufw_start ufwlock
	ufw_sync -b ufw -c "$d/conf" -s "$d/list" --state-dir "$d/ufw" --offline \
		--mode lockdown sync >/dev/null
	ufw_exec iptables-nft-save >"$OUT/ufw-lockdown.ipt"
	ufw_exec ip6tables-nft-save >"$OUT/ufw-lockdown.ip6t"
	ufw_exec ipset save >"$d/ipset"
	if [ -s "$d/ipset" ]; then cp "$d/ipset" "$OUT/ufw-lockdown.ipset"; fi

	netns_new fwdlock
	fwd_start "$(netns_name fwdlock)" "$NETNS_TMP/fwdlock"
	fwd_exec "$CDNALLOW" -b firewalld -c "$d/conf" -s "$d/list" --state-dir "$d/fwd" \
		--offline --mode lockdown sync >/dev/null
	fwd_exec nft list ruleset >"$OUT/firewalld-lockdown.nft"
	fwd_stop
}

wants ufw && ufw_section
wants firewalld && firewalld_section
if wants persistent; then
	persistent iptables-persistent-ssh ssh
	persistent iptables-persistent-web web
fi
if wants docker; then
	docker_section docker-nft nft
	docker_section docker-legacy legacy
fi
if wants crowdsec; then
	crowdsec_section nftables
	crowdsec_section iptables
fi
wants lockdown && lockdown_section
echo "rulesets written to $OUT"
