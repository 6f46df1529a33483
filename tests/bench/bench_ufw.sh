#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Benchmarks the ufw backend against the common per-rule shell loop
# (`for p in ...; do ufw allow from $p to any port 443; done`), side by side,
# in a real ufw inside its own network + private mount namespace (never the
# host's firewall), on two lists:
#   - Cloudflare's published list (fixtures, 22 prefixes): rules mode
#   - 2,000 made-up, non-adjacent IPv4 /24s: ipset mode (above the 500 threshold)
# For each: first sync, no-op sync (median of 5) and a 1-prefix change, plus
# the number of ufw calls cdnallow made. The loop has no diff: its "no-op" and
# "1-prefix change" both rerun it over the whole list. On 2,000 prefixes the
# loop is timed on its first LOOP_N (default 50) prefixes and extrapolated
# per call (which favours the loop: a ufw call gets slower as rules pile up);
# the table says so. Prints a Markdown table for docs/benchmarks.md. Not a
# test; needs root.
#
#   tests/bench/bench_ufw.sh [CDNALLOW_BINARY]
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
CDNALLOW=${1:-${CDNALLOW:-$here/../../../build/cdnallow}}
FIXTURES_DIR=${FIXTURES_DIR:-$here/../fixtures}
LOOP_N=${LOOP_N:-50}
[ -x "$CDNALLOW" ] || { echo "bench_ufw.sh: $CDNALLOW is not the cdnallow binary" >&2; exit 1; }
. "$here/../integration/lib/netns.sh"
. "$here/../integration/lib/ufw.sh"
netns_require
ufw_require
netns_init ufwbench
netns_new origin
ufw_start origin
T=$NETNS_TMP

{ cat "$FIXTURES_DIR/cloudflare-ips-v4.txt"; echo; cat "$FIXTURES_DIR/cloudflare-ips-v6.txt"; echo; } |
	grep . >"$T/cf"
awk 'BEGIN { for (i = 0; i < 2000; i++) { k = 2 * i; printf "20.%d.%d.0/24\n", int(k / 256), k % 256 } }' >"$T/big"
printf '[guard]\nallow_test_ranges = true\n' >"$T/conf"

now_ms() { echo $(($(date +%s%N) / 1000000)); }
ms() { # CMD...: wall time of CMD in ms on stdout, CMD's output to $T/last.log
	local t0 t1
	t0=$(now_ms)
	"$@" >"$T/last.log" 2>&1 || { echo "bench_ufw.sh: failed: $*" >&2; cat "$T/last.log" >&2; exit 1; }
	t1=$(now_ms)
	echo $((t1 - t0))
}
median5() { # CMD...
	local i v=()
	for i in 1 2 3 4 5; do v+=("$(ms "$@")"); done
	printf '%s\n' "${v[@]}" | sort -n | sed -n 3p
}
sync() { ufw_sync sync -b ufw -c "$T/conf" --state-dir "$T/state" -s "$1"; }
flush() { ufw_sync flush -b ufw -c "$T/conf" --state-dir "$T/state"; }
loop() { # LIST [N]
	ufw_exec bash -c 'for p in $(head -n "$2" "$1"); do ufw allow from "$p" to any port 443 >/dev/null || exit 1; done' \
		loop "$1" "${2:-1000000}"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b < 1) b = 1; r = a / b; printf (r < 10 ? "%.1f×" : "%.0f×"), r }'; }

rows=()
row() { rows+=("| $1 | $2 | $3 | $4 | $5 |"); }

bench_list() { # NAME LIST
	local name=$1 list=$2 n first noop change calls_first calls_noop calls_change lfirst lnoop extra=""
	n=$(wc -l <"$list")
	sed '$d' "$list" >"$T/minus1"
	ufw_calls_reset
	first=$(ms sync "$list")
	calls_first=$(ufw_calls)
	ufw_calls_reset
	noop=$(median5 sync "$list")
	calls_noop=$(ufw_calls)
	ufw_calls_reset
	change=$(ms sync "$T/minus1")
	calls_change=$(ufw_calls)
	ms flush >/dev/null
	if [ "$n" -le "$LOOP_N" ]; then
		lfirst=$(ms loop "$list")
		lnoop=$(ms loop "$list")
	else
		# per-call time on the first LOOP_N prefixes, times n
		lfirst=$(ms loop "$list" "$LOOP_N")
		lnoop=$(ms loop "$list" "$LOOP_N")
		lfirst=$((lfirst * n / LOOP_N))
		lnoop=$((lnoop * n / LOOP_N))
		extra=" (loop: $LOOP_N calls timed, ×$((n / LOOP_N)))"
	fi
	ufw_exec ufw --force reset >/dev/null 2>&1
	ufw_exec ufw --force enable >/dev/null
	row "$name$extra" "first sync" "$first ms ($calls_first ufw calls)" "$lfirst ms ($n calls)" "$(ratio "$lfirst" "$first")"
	row "$name" "no-op sync (median of 5)" "$noop ms ($calls_noop ufw calls)" "$lnoop ms ($n calls)" "$(ratio "$lnoop" "$noop")"
	row "$name" "1-prefix change" "$change ms ($calls_change ufw calls)" "$lnoop ms ($n calls)" "$(ratio "$lnoop" "$change")"
}

bench_list "Cloudflare, $(wc -l <"$T/cf") prefixes, rules mode" "$T/cf"
bench_list "2,000 /24s, ipset mode" "$T/big"

echo "| list | operation | cdnallow | per-rule loop | loop / cdnallow |"
echo "|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
echo
echo "ufw $(ufw version | head -1 | awk '{ print $2 }'), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%Y-%m-%d)"
