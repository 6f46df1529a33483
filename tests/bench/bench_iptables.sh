#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Benchmark of the iptables backend, all inside throwaway network namespaces:
#  1. update cost for N IPv4 prefixes (made up: every other /32 from 20.0.0.0,
#     so nothing aggregates): cdnallow sync from nothing, no-op re-sync and a
#     1% change, against the same ipset work by hand (one `ipset restore` that
#     fills a temporary set and swaps it in) and against loading a linear
#     chain of 10k `-s X -j ACCEPT` rules with iptables-restore; user+sys CPU of the first
#     sync and of the hand restore too;
#  2. per-packet cost over veth: `ping -f` round trips through an INPUT that
#     matches the sender with one set lookup (100k entries) versus 10k linear
#     rules with the sender's rule last, versus no rules.
# Usage: bench_iptables.sh CDNALLOW [N...]   (default N: 100000 1000000)
#   IPT_PACKETS=0   skip part 2 (tests/bench/run does: it plots part 1 only)
# Prints a markdown table per part on stdout.
set -uo pipefail
CDNALLOW=${1:?usage: bench_iptables.sh CDNALLOW [N...]}
shift
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(100000 1000000)
export CDNALLOW
# shellcheck source=../integration/lib/iptables.sh
. "$(dirname "$0")/../integration/lib/iptables.sh"
ipt_setup
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

now() { date +%s.%N; }
# user+sys seconds of every child this shell has waited for, into $cpu (the box is shared: wall
# time alone says little); `times` without a subshell, which would start from zero
cpu_mark() {
	times >"$IPT_TMP/times"
	cpu=$(awk 'NR == 2 { for (i = 1; i <= 2; i++) { split($i, a, /[ms]/); n += a[1] * 60 + a[2] } }
		END { printf "%.3f", n }' "$IPT_TMP/times")
}
secs() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.2f}')" "$1" "$2"; }

gen_list() { # FILE N [SHIFT]: N non-adjacent /32s; SHIFT replaces the first N/100 by others
	python3 - "$@" <<'EOF'
import ipaddress, sys
path, n = sys.argv[1], int(sys.argv[2])
shift = len(sys.argv) > 3
base = int(ipaddress.IPv4Address("20.0.0.0"))
with open(path, "w") as f:
    for i in range(n):
        k = i + n if shift and i < n // 100 else i
        f.write(f"{ipaddress.IPv4Address(base + 2 * k)}/32\n")
EOF
}

echo "## update cost (IPv4, iptables-nft, seconds, one run each on a shared 2-core box)"
echo
echo "| prefixes | cdnallow sync (create) | no-op re-sync | 1% change | ipset restore+swap by hand | 10k linear rules (iptables-restore) | create CPU | by hand CPU |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|"
python3 - "$IPT_TMP/linear.rules" <<'EOF'
import ipaddress, sys
base = int(ipaddress.IPv4Address("20.0.0.0"))
with open(sys.argv[1], "w") as f:
    f.write("*filter\n:CDNLIN - [0:0]\n")
    for i in range(10000):
        f.write(f"-A CDNLIN -s {ipaddress.IPv4Address(base + 2 * i)}/32 -p tcp -m multiport --dports 80,443 -j ACCEPT\n")
    f.write("COMMIT\n")
EOF
for n in "${sizes[@]}"; do
	ns="u$n"
	ipt_ns_add "$ns"
	ipt_in "$ns" iptables-nft -P INPUT DROP
	gen_list "$IPT_TMP/a" "$n"
	gen_list "$IPT_TMP/b" "$n" shift
	t0=$(now)
	cpu_mark
	c0=$cpu
	ipt_sync "$ns" "$IPT_TMP/a" || ipt_fail "sync $n"
	cpu_mark
	c1=$cpu
	t1=$(now)
	ipt_sync "$ns" "$IPT_TMP/a" || ipt_fail "no-op sync $n"
	t2=$(now)
	ipt_sync "$ns" "$IPT_TMP/b" || ipt_fail "update sync $n"
	t3=$(now)
	{
		echo "create byhand-tmp hash:net family inet hashsize $((n / 4)) maxelem $((n * 4))"
		sed 's/^/add byhand-tmp /' "$IPT_TMP/a"
		echo "create byhand hash:net family inet maxelem $((n * 4))"
		echo "swap byhand-tmp byhand"
		echo "destroy byhand-tmp"
	} >"$IPT_TMP/byhand"
	t4=$(now)
	cpu_mark
	c4=$cpu
	ipt_in "$ns" ipset restore -f "$IPT_TMP/byhand" || ipt_fail "ipset restore by hand"
	cpu_mark
	c5=$cpu
	t5=$(now)
	ipt_in "$ns" iptables-nft-restore --noflush "$IPT_TMP/linear.rules" || ipt_fail "linear load"
	t6=$(now)
	echo "| $n | $(secs "$t0" "$t1") | $(secs "$t1" "$t2") | $(secs "$t2" "$t3") | $(secs "$t4" "$t5") | $(secs "$t5" "$t6") | $(secs "$c0" "$c1") | $(secs "$c4" "$c5") |"
	bench_point iptables first "$n" "$(secs "$t0" "$t1")"
	bench_point iptables noop "$n" "$(secs "$t1" "$t2")"
	bench_point iptables update "$n" "$(secs "$t2" "$t3")"
	# an admin without a diff reloads the whole set for every run
	for op in first noop update; do bench_point ipset-restore $op "$n" "$(secs "$t4" "$t5")"; done
	ip netns del "$(ipt_ns "$ns")"
done
echo

[ "${IPT_PACKETS:-1}" = 0 ] && exit 0
# part 2: per-packet cost
ping_rtt() { # NS ADDR: "avg-rtt-us total-ms" of a bounded flood ping
	ipt_in "$1" timeout 60 ping -q -f -c 20000 "$2" 2>/dev/null |
		awk -F'[ /=]+' '/transmitted/ { for (i = 1; i <= NF; i++) if ($i == "time") t = $(i + 1) }
			/rtt/ { avg = $7 } END { sub(/ms/, "", t); printf "%.0f %s\n", avg * 1000, t }'
}

echo "## per-packet cost (ping -f -c 20000 over veth; avg RTT in µs, total ms)"
echo
echo "| INPUT of the origin | iptables-nft RTT | total | iptables-legacy RTT | total |"
echo "|---|---:|---:|---:|---:|"
gen_list "$IPT_TMP/set100k" 100000
declare -A res
for v in nft legacy; do
	o="po-$v"
	c="pc-$v"
	ipt_ns_add "$o"
	ipt_ns_add "$c"
	ipt_link "$o" 203.0.113.1/24 "$c" 203.0.113.10/24
	res[none-$v]=$(ping_rtt "$c" 203.0.113.1)
	{
		echo "create pset hash:net family inet hashsize 32768 maxelem 262144"
		sed 's/^/add pset /' "$IPT_TMP/set100k"
		echo "add pset 203.0.113.10"
	} | ipt_in "$o" ipset restore
	ipt_in "$o" "iptables-$v" -A INPUT -p icmp -m set --match-set pset src -j ACCEPT
	ipt_in "$o" "iptables-$v" -P INPUT DROP
	res[set-$v]=$(ping_rtt "$c" 203.0.113.1)
	python3 - "$IPT_TMP/lin-$v" <<'EOF'
import ipaddress, sys
base = int(ipaddress.IPv4Address("20.0.0.0"))
with open(sys.argv[1], "w") as f:
    f.write("*filter\n:INPUT DROP [0:0]\n")
    for i in range(9999):
        f.write(f"-A INPUT -s {ipaddress.IPv4Address(base + 2 * i)}/32 -p icmp -j ACCEPT\n")
    f.write("-A INPUT -s 203.0.113.10/32 -p icmp -j ACCEPT\nCOMMIT\n")
EOF
	ipt_in "$o" "iptables-$v-restore" "$IPT_TMP/lin-$v" || ipt_fail "linear rules $v"
	res[lin-$v]=$(ping_rtt "$c" 203.0.113.1)
	ip netns del "$(ipt_ns "$o")"
	ip netns del "$(ipt_ns "$c")"
done
row() {
	local nft legacy
	read -r -a nft <<<"${res[$2-nft]}"
	read -r -a legacy <<<"${res[$2-legacy]}"
	echo "| $1 | ${nft[0]} | ${nft[1]} | ${legacy[0]} | ${legacy[1]} |"
}
row "no rules (policy ACCEPT)" none
row "1 rule, ipset of 100k entries" set
row "10k linear rules, sender last" lin
