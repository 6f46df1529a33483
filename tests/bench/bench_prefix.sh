#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Benchmarks the prefix core (parse + aggregate) against `iprange --optimize`
# and Python's ipaddress.collapse_addresses on the same seeded random lists,
# and prints a Markdown table for docs/benchmarks.md. Not a test: it only
# measures, and never needs root or the network.
#
#   tests/bench/bench_prefix.sh [BUILD_DIR] [N]      (defaults: ../build, 1000000)
#
# Python gets PY_TIMEOUT seconds (default 180) per list; when it does not
# finish it is rerun on the first 100000 lines and the table says so.
set -euo pipefail

build=${1:-$(dirname "$0")/../../../build}
n=${2:-1000000}
seed=${SEED:-42}
py_timeout=${PY_TIMEOUT:-180}
repeat=${REPEAT:-5}
bin=$build/tests/bench_prefix
[ -x "$bin" ] || { echo "bench_prefix.sh: $bin not built (cmake --build $build --target bench_prefix)" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$bin" gen "$n" "$seed" "$tmp/v4.txt" "$tmp/v6.txt"

cat >"$tmp/collapse.py" <<'EOF'
import ipaddress, resource, sys, time
with open(sys.argv[1]) as f:
    data = f.read()
t0 = time.perf_counter()
nets = [ipaddress.ip_network(line) for line in data.split()]
out = list(ipaddress.collapse_addresses(nets))
t1 = time.perf_counter()
print("in=%d out=%d total_ms=%.1f peak_rss_kib=%d" % (len(nets), len(out), (t1 - t0) * 1e3,
      resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))
EOF

# field NAME from a "k=v k=v" line
field() { tr ' ' '\n' <<<"$2" | sed -n "s/^$1=//p"; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
# best wall-clock ms of $repeat runs of a command
best_wall() {
	local best=999999999 t0 t1 k
	for ((k = 0; k < repeat; k++)); do
		t0=$(now_ms)
		"$@" >/dev/null
		t1=$(now_ms)
		if ((t1 - t0 < best)); then best=$((t1 - t0)); fi
	done
	echo "$best"
}
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

rows=()
row() { rows+=("| $1 | $2 | $3 | $4 | $5 | $6 | $7 |"); }

declare -A ours_ms ours_out ours_proc
for fam in v4 v6; do
	f=$tmp/$fam.txt
	ours_proc[$fam]=$(best_wall "$bin" run "$f" 1)
	# in-process figure: best of $repeat (one process, so peak RSS is still one set)
	line=$("$bin" run "$f" "$repeat")
	ours_ms[$fam]=$(field total_ms "$line")
	ours_out[$fam]=$(field out "$line")
	row "cdnallow prefix core" "$fam" "$(field in "$line")" "$(field out "$line")" \
		"${ours_ms[$fam]} (parse $(field parse_ms "$line") + aggregate $(field aggregate_ms "$line")); process ${ours_proc[$fam]}" \
		"$(mib "$(field peak_rss_kib "$line")") ($(field set_bytes_per_prefix "$line") B/prefix for the set)" "1"
done

if command -v iprange >/dev/null; then
	/usr/bin/time -f "%M" -o "$tmp/ipr.rss" iprange --optimize "$tmp/v4.txt" >"$tmp/ipr.out"
	ms=$(best_wall iprange --optimize "$tmp/v4.txt")
	out=$(wc -l <"$tmp/ipr.out")
	agree=""
	[ "$out" = "${ours_out[v4]}" ] || agree=" (DIFFERENT OUTPUT COUNT)"
	# process against process: both read the file and start up
	row "iprange --optimize (whole process)" v4 "$n" "$out$agree" "$ms" "$(mib "$(cat "$tmp/ipr.rss")")" \
		"$(awk -v a="$ms" -v b="${ours_proc[v4]}" 'BEGIN { printf "%.1f", a / b }') (process vs process)"
else
	row "iprange --optimize" v4 - - "not installed" - -
fi

for fam in v4 v6; do
	f=$tmp/$fam.txt
	note=""
	if ! line=$(timeout "$py_timeout" python3 "$tmp/collapse.py" "$f"); then
		head -n 100000 "$f" >"$tmp/$fam-100k.txt"
		line=$(python3 "$tmp/collapse.py" "$tmp/$fam-100k.txt")
		note=" **on the first 100k lines only** (1M did not finish in ${py_timeout} s)"
	fi
	ms=$(field total_ms "$line")
	in=$(field in "$line")
	# compare per prefix when Python ran on fewer lines
	ratio=$(awk -v a="$ms" -v na="$in" -v b="${ours_ms[$fam]}" -v nb="$n" \
		'BEGIN { printf "%.0f", (a / na) / (b / nb) }')
	agree=""
	[ -n "$note" ] || [ "$(field out "$line")" = "${ours_out[$fam]}" ] || agree=" (DIFFERENT OUTPUT COUNT)"
	row "python3 ipaddress.collapse_addresses$note" "$fam" "$in" "$(field out "$line")$agree" \
		"$ms" "$(mib "$(field peak_rss_kib "$line")")" "$ratio"
done

echo "Random prefixes, seed $seed: IPv4 uniform addresses /24../32, IPv6 in 2000::/3 /32../128."
echo "Times in ms. cdnallow (best of $repeat) and Python (one run) are timed in-process, file already in memory;"
echo "iprange is timed as a whole process (best of $repeat) and compared with the whole cdnallow"
echo "bench process doing the same (\"process\", best of $repeat)."
echo "Slowdown is time per prefix relative to cdnallow."
echo
echo "| implementation | family | prefixes in | prefixes out | time (ms) | peak RSS (MiB) | slowdown vs cdnallow |"
echo "|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
