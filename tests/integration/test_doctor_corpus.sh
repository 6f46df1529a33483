#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The doctor against the corpus of real rulesets in tests/corpus/doctor/
# (Debian's nftables examples, what fail2ban's actions generate, …; see
# SOURCES.md there): each is loaded unedited into the origin of a three-host
# topology, the CDN host (inside the CDN ranges) and the outsider connect to
# ports 80 and 443 over IPv4 and IPv6, and `cdnallow doctor` must give the
# verdict the packets show and the one EXPECT records: "drops" (a firewall
# error) when a CDN connection fails, "passes" (no firewall error, no "may
# drop") when all succeed; a DNAT of a web port (Docker) must be reported, a
# ban list holding the CDN host (fail2ban, CrowdSec) must be named with it. A third EXPECT column holds doctor options (e.g.
# `--mode lockdown`); a lockdown ruleset must also keep the outsider out, or
# the packets say "leaks". Prints the corpus size and the agreement count.
set -euo pipefail
. "$TESTS_DIR/integration/lib/netns.sh"
netns_require python3 ss iptables-nft iptables-legacy ipset
netns_init dcorp
: "${CDNALLOW:?}"
W=$NETNS_TMP
C=$TESTS_DIR/corpus/doctor

printf '# made up CDN ranges\n203.0.113.0/24\n2001:db8:cd::/48\n' > "$W/cdn.txt"
printf '[guard]\nallow_test_ranges = true\n' > "$W/cdnallow.conf"
netns_topology
netns_listen origin 80 443
netns_new ctr
netns_exec origin sysctl -qw net.ipv4.ip_forward=1
netns_listen ctr 80 443

reset_fw() {
	netns_exec origin nft flush ruleset
	for t in iptables-legacy ip6tables-legacy; do
		netns_exec origin "$t" -F
		netns_exec origin "$t" -X
		netns_exec origin "$t" -t nat -F
		netns_exec origin "$t" -t nat -X
		netns_exec origin "$t" -P INPUT ACCEPT
		netns_exec origin "$t" -P FORWARD ACCEPT
	done
	ip -n "$(netns_name origin)" link del docker0 2>/dev/null || true
	netns_exec origin ipset destroy 2>/dev/null || true
}

# A Docker ruleset DNATs the published ports to 172.17.0.2 behind docker0:
# the "ctr" host plays that container, linked to the origin while it is loaded.
docker_link() {
	ip link add docker0 netns "$(netns_name origin)" type veth peer name eth0 \
		netns "$(netns_name ctr)" || netns_fail "docker0"
	ip -n "$(netns_name origin)" addr add 172.17.0.1/16 dev docker0
	ip -n "$(netns_name origin)" link set docker0 up
	ip -n "$(netns_name ctr)" addr add 172.17.0.2/16 dev eth0
	ip -n "$(netns_name ctr)" link set eth0 up
	ip -n "$(netns_name ctr)" route add default via 172.17.0.1
}

load() {
	local f=$1
	if has docker0 "$f"; then docker_link; fi
	case $f in
	*.nft) netns_exec origin nft -f "$f" ;;
	*.ipt)
		if [ -f "${f%.ipt}.ipset" ]; then netns_exec origin ipset restore < "${f%.ipt}.ipset"; fi
		netns_exec origin iptables-nft-restore < "$f"
		if [ -f "${f%.ipt}.ip6t" ]; then netns_exec origin ip6tables-nft-restore < "${f%.ipt}.ip6t"; fi
		;;
	*.legacy) netns_exec origin iptables-legacy-restore < "$f" ;;
	esac
}

# What the packets say: "passes" when the CDN host reaches 80 and 443 over
# both families (and, in lockdown, the outsider reaches none of them).
packets() {
	local a p
	for a in "$NETNS_ORIGIN4" "$NETNS_ORIGIN6"; do
		for p in 80 443; do
			netns_connect cdn "$a" "$p" || { echo drops; return; }
			if [[ $1 == *lockdown* ]] && netns_connect outsider "$a" "$p"; then
				echo leaks
				return
			fi
		done
	done
	echo passes
}

# What the doctor says, from its JSON: drops (firewall error), may-drop (warning), passes.
doctor_says() {
	local rc=0
	netns_exec origin "$CDNALLOW" -c "$W/cdnallow.conf" -s "$W/cdn.txt" --state-dir "$W/st" \
		$1 doctor --json > "$W/doctor.json" 2> "$W/doctor.err" || rc=$?
	python3 - "$W/doctor.json" "$rc" "$2" "$3" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
fw = [f for f in d["findings"] if f["check"] == "firewall"]
errors = [f for f in fw if f["severity"] == "error"]
assert (sys.argv[2] == "2") == (not d["healthy"]), "exit code and healthy disagree"
published = any(f["check"] == "docker" for f in d["findings"])
assert published == (sys.argv[3] == "dnat"), "a DNAT of a web port and the docker finding disagree"
if sys.argv[4] == "ban":
    assert any("203.0.113.10" in f["message"] for f in errors), "the ban of the CDN host is not named"
if errors:
    print("drops")
elif any("may drop" in f["message"] for f in fw):
    print("may-drop")
else:
    print("passes")
PY
}

total=0 agree=0 fail=0
while read -r name want opts; do
	case $name in '#'* | '') continue ;; esac
	f=$(ls "$C/$name".* | grep -Ev '\.(ipset|ip6t)$' | head -1)
	reset_fw
	load "$f" || netns_fail "$name: does not load"
	dnat=
	if has -- "-j DNAT" "$f"; then dnat=dnat; fi
	ban=
	if has -F "$NETNS_CDN4" "${f%.*}".*; then ban=ban; fi
	got=$(doctor_says "$opts" "$dnat" "$ban") || { cat "$W/doctor.json" "$W/doctor.err"; netns_fail "$name: doctor"; }
	pk=$(packets "$opts")
	total=$((total + 1))
	if [ "$got" = "$pk" ] && [ "$got" = "$want" ]; then
		agree=$((agree + 1))
		echo "ok - $name: doctor $got, packets $pk"
	else
		fail=$((fail + 1))
		echo "not ok - $name: doctor $got, packets $pk, expected $want"
		cat "$W/doctor.json"
	fi
done < "$C/EXPECT"
echo "corpus: $total rulesets, doctor and packets agree on $agree"
[ "$fail" = 0 ] || netns_fail "$fail ruleset(s) disagree"
