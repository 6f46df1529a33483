#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Benchmark of the nftables backend in a throw-away network namespace, against
# `nft -f` doing the same work. Synthetic lists of N non-overlapping,
# non-mergeable prefixes (every other address of 11.0.0.0/11 as /32; made up,
# never routed). Per N: full sync into an empty kernel vs `nft -f` loading the
# same set; a 1% incremental sync vs `nft -f` applying the same adds/deletes and
# vs a full `nft -f` reload; no-op sync (generation cache hit, and with the
# cache removed so the sets are dumped); peak RSS and CPU (user+sys) of each.
# Prints a Markdown table for docs/benchmarks.md; on a shared machine compare
# the CPU column, not the wall seconds.
#
# usage: bench_nft.sh CDNALLOW_BINARY [N...]   (default N: 10000 100000 1000000)
set -u
CDNALLOW=${1:?usage: bench_nft.sh CDNALLOW_BINARY [N...]}
shift
SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(10000 100000 1000000)
[ "$(id -u)" = 0 ] || { echo "needs root" >&2; exit 77; }
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 77; }
LIMIT=${BENCH_LIMIT:-300} # seconds per operation; nft -f deleting from a big interval set is slow
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
NS=cdna-nft-bench-$$
T=$(mktemp -d /tmp/cdna-nft-bench.XXXXXX)
trap 'ip netns del $NS 2>/dev/null; rm -rf "$T"' EXIT
ip netns add $NS

# gen N SHIFT: N /32s, every other address, starting SHIFT slots in (for the 1% change).
gen() {
	python3 - "$1" "$2" <<'EOF'
import sys
n, shift = int(sys.argv[1]), int(sys.argv[2])
base = 11 << 24
out = []
for i in range(shift, n + shift):
    a = base + 2 * i
    out.append("%d.%d.%d.%d/32" % (a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255))
sys.stdout.write("\n".join(out) + "\n")
EOF
}

nftfile() { # LISTFILE -> nft -f script creating table inet b with the set
	printf 'table inet b {\n set s { type ipv4_addr; flags interval;\n  elements = {\n'
	sed 's/$/,/' "$1"
	printf ' }\n }\n}\n'
}

# measure LABEL CMD...: appends "label seconds rss_kb cpu_seconds"
measure() {
	local label=$1
	shift
	# Every operation starts with no dirty pages: on ext4 (data=ordered) an
	# fsync commits the journal and so also writes out whatever this script
	# just generated (the lists, the nft scripts, the copied source), which
	# would be charged to whichever measured command fsyncs first.
	sync
	/usr/bin/time -f "%e %M %U %S" -o "$T/time" ip netns exec $NS timeout "$LIMIT" "$@" \
		>/dev/null 2>"$T/err" || {
		echo "$label failed or exceeded ${LIMIT}s: $(tail -3 "$T/err")" >&2
		echo "$label >$LIMIT - -" >>"$T/results"
		return 1
	}
	local e m u sy
	read -r e m u sy <"$T/time"
	echo "$label $e $m $(awk -v u="$u" -v s="$sy" 'BEGIN { printf "%.2f", u + s }')" >>"$T/results"
}

# point IMPL OP...: the last measured figure as a bench_point for each OP
point() {
	local impl=$1 n s kb op
	shift
	read -r n _ s kb _ < <(tail -1 "$T/results")
	for op in "$@"; do
		case $s in
		'>'*) bench_point "$impl" "$op" "$n" "$LIMIT" - t ;;
		*) bench_point "$impl" "$op" "$n" "$s" "$kb" ;;
		esac
	done
}

cat >"$T/conf" <<'EOF'
[cdnallow]
mode = lockdown
ports = 80, 443
[guard]
max_shrink = 50
[fetch]
max_size = 64M
EOF

: >"$T/results"
for n in "${SIZES[@]}"; do
	gen "$n" 0 >"$T/a.txt"
	# 1%: drop the first n/200 and add n/200 new ones at the end
	gen "$n" $((n / 200)) >"$T/b.txt"
	comm -23 <(sort "$T/a.txt") <(sort "$T/b.txt") >"$T/del.txt"
	comm -13 <(sort "$T/a.txt") <(sort "$T/b.txt") >"$T/add.txt"
	nftfile "$T/a.txt" >"$T/a.nft"
	{
		echo "flush set inet b s"
		printf 'add element inet b s {\n'
		sed 's/$/,/' "$T/b.txt"
		printf '}\n'
	} >"$T/reload.nft"
	{
		printf 'delete element inet b s {\n'
		sed 's/$/,/' "$T/del.txt"
		printf '}\nadd element inet b s {\n'
		sed 's/$/,/' "$T/add.txt"
		printf '}\n'
	} >"$T/incr.nft"

	# the anchor for every operation is the admin's full `nft -f` load; a
	# hand-written delta script is the lower bound for the update
	measure "$n nft-f-full" nft -f "$T/a.nft"
	point nft-f first
	measure "$n nft-f-incremental" nft -f "$T/incr.nft"
	point nft-f-delta update
	measure "$n nft-f-reload" nft -f "$T/reload.nft"
	point nft-f noop update
	ip netns exec $NS nft delete table inet b 2>/dev/null

	rm -rf "$T/state"
	cp "$T/a.txt" "$T/src.txt"
	sync="$CDNALLOW sync -q -b nftables -c $T/conf -s $T/src.txt --state-dir $T/state"
	measure "$n cdnallow-full" $sync
	point nftables first
	measure "$n cdnallow-noop-cached" $sync
	point nftables noop
	rm -f "$T/state/nft.genid"
	measure "$n cdnallow-noop-dump" $sync
	cp "$T/b.txt" "$T/src.txt"
	measure "$n cdnallow-incremental" $sync
	point nftables update
	got=$(ip netns exec $NS nft list set inet cdnallow cdn4 | grep -o '11\.[0-9.]*' | wc -l)
	[ "$got" = "$n" ] || echo "WARNING: kernel holds $got elements, expected $n" >&2
	ip netns exec $NS nft delete table inet cdnallow
done

echo "| prefixes | operation | seconds | CPU user+sys (s) | peak RSS (MB) |"
echo "|---:|---|---:|---:|---:|"
while read -r n op s kb cpu; do
	mb=-
	[ "$kb" != - ] && mb=$(awk -v k="$kb" 'BEGIN { printf "%.1f", k / 1024 }')
	echo "| $n | $op | $s | $cpu | $mb |"
done <"$T/results"
