#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Benchmarks the ufw backend against the common per-rule shell loop
# (`for p in ...; do ufw allow from $p to any port 443; done`), side by side,
# in a real ufw inside its own network + private mount namespace (never the
# host's firewall), on:
#   - Cloudflare's published list (fixtures, 22 prefixes): rules mode
#     (UFW_CF=0 skips it)
#   - N made-up, non-adjacent IPv4 /24s per size given (default 2000): ipset
#     mode (above the 500 threshold): first sync, no-op, a 1 % update (the
#     first N/100 dropped, as many new ones added)
# The Cloudflare list also gets a no-op (median of 5) and a 1-prefix change,
# and the number of ufw calls cdnallow made. The loop has no diff: its "no-op"
# and "update" rerun it over the whole list. It is run in full on LOOP_N
# (default 50) prefixes only; for bigger lists its time is extrapolated per
# call (which favours the loop: a ufw call gets slower as rules pile up) and
# the table says so: a full loop over 1000 prefixes takes far over 2 minutes.
# Prints a Markdown table for docs/benchmarks.md. Not a test; needs root.
#
#   tests/bench/bench_ufw.sh [CDNALLOW_BINARY] [N...]
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
CDNALLOW=${1:-${CDNALLOW:-$here/../../../build/cdnallow}}
shift
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(2000)
FIXTURES_DIR=${FIXTURES_DIR:-$here/../fixtures}
LOOP_N=${LOOP_N:-50}
[ -x "$CDNALLOW" ] || { echo "bench_ufw.sh: $CDNALLOW is not the cdnallow binary" >&2; exit 1; }
. "$here/../integration/lib/netns.sh"
. "$here/../integration/lib/ufw.sh"
# shellcheck source=lib.sh
. "$here/lib.sh"
netns_require
ufw_require
netns_init ufwbench
netns_new origin
ufw_start origin
T=$NETNS_TMP

{ cat "$FIXTURES_DIR/cloudflare-ips-v4.txt"; echo; cat "$FIXTURES_DIR/cloudflare-ips-v6.txt"; echo; } |
	grep . >"$T/cf"
gen() { # FIRST COUNT: every other /24 from 20.0.0.0, nothing merges
	awk -v a="$1" -v c="$2" 'BEGIN { for (i = a; i < a + c; i++) {
		k = 2 * i; printf "%d.%d.%d.0/24\n", 20 + int(k / 65536), int(k / 256) % 256, k % 256 } }'
}
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

loop_ms() { # LIST N: "ms kind" of the loop over N prefixes: run in full up to LOOP_N, else extrapolated
	local n=$2 t
	if [ "$n" -le "$LOOP_N" ]; then
		echo "$(ms loop "$1") m"
	else
		t=$(ms loop "$1" "$LOOP_N")
		echo "$((t * n / LOOP_N)) x"
	fi
}

ufw_clean() {
	ufw_exec ufw --force reset >/dev/null 2>&1
	ufw_exec ufw --force enable >/dev/null
}

secs() { awk -v ms="$1" 'BEGIN { printf "%.2f", ms / 1000 }'; }

bench_cf() { # NAME LIST: rules mode, with call counts
	local name=$1 list=$2 n first noop change calls_first calls_noop calls_change lfirst lnoop k
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
	read -r lfirst k < <(loop_ms "$list" "$n")
	read -r lnoop k < <(loop_ms "$list" "$n")
	ufw_clean
	row "$name" "first sync" "$first ms ($calls_first ufw calls)" "$lfirst ms ($n calls)" "$(ratio "$lfirst" "$first")"
	row "$name" "no-op sync (median of 5)" "$noop ms ($calls_noop ufw calls)" "$lnoop ms ($n calls)" "$(ratio "$lnoop" "$noop")"
	row "$name" "1-prefix change" "$change ms ($calls_change ufw calls)" "$lnoop ms ($n calls)" "$(ratio "$lnoop" "$change")"
}

bench_size() { # N: ipset mode, first sync / no-op / 1 % update, and the loop
	local n=$1 u first noop upd lfirst lnoop kind note="" lop
	u=$((n / 100))
	gen 0 "$n" >"$T/big"
	{ gen "$u" "$((n - u))"; gen "$n" "$u"; } >"$T/upd"
	first=$(ms sync "$T/big")
	noop=$(ms sync "$T/big")
	upd=$(ms sync "$T/upd")
	[ "$(ufw_exec ipset list -t cdnallow4 | sed -n 's/^Number of entries: //p')" = "$n" ] ||
		{ echo "bench_ufw.sh: the set does not hold $n entries" >&2; exit 1; }
	ms flush >/dev/null
	ufw_clean
	# the loop: extrapolated per call from its full run on LOOP_N prefixes
	lfirst=$((LOOP_FIRST_MS * n / LOOP_N))
	lnoop=$((LOOP_RERUN_MS * n / LOOP_N))
	kind=x
	note=" (loop: extrapolated ×$((n / LOOP_N)) from its $LOOP_N-prefix run)"
	bench_point ufw first "$n" "$(secs "$first")"
	bench_point ufw noop "$n" "$(secs "$noop")"
	bench_point ufw update "$n" "$(secs "$upd")"
	bench_point ufw-per-rule first "$n" "$(secs "$lfirst")" - "$kind"
	for lop in noop update; do bench_point ufw-per-rule $lop "$n" "$(secs "$lnoop")" - "$kind"; done
	row "$n /24s, ipset mode$note" "first sync" "$first ms" "$lfirst ms ($n calls)" "$(ratio "$lfirst" "$first")"
	row "$n /24s, ipset mode" "no-op sync" "$noop ms" "$lnoop ms ($n calls)" "$(ratio "$lnoop" "$noop")"
	row "$n /24s, ipset mode" "1 % update ($u + $u)" "$upd ms" "$lnoop ms ($n calls)" "$(ratio "$lnoop" "$upd")"
}

[ "${UFW_CF:-1}" = 1 ] && bench_cf "Cloudflare, $(wc -l <"$T/cf") prefixes, rules mode" "$T/cf"
# the loop itself, in full, on LOOP_N prefixes: the anchor's measured point
# (cdnallow would be in rules mode there, so it is not timed at that size)
loop_point() {
	local lfirst lnoop op
	gen 0 "$LOOP_N" >"$T/small"
	lfirst=$(ms loop "$T/small")
	lnoop=$(ms loop "$T/small")
	ufw_clean
	LOOP_FIRST_MS=$lfirst
	LOOP_RERUN_MS=$lnoop
	bench_point ufw-per-rule first "$LOOP_N" "$(secs "$lfirst")"
	for op in noop update; do bench_point ufw-per-rule $op "$LOOP_N" "$(secs "$lnoop")"; done
	row "$LOOP_N /24s, per-rule loop only" "first run / rerun" "-" "$lfirst ms / $lnoop ms ($LOOP_N calls)" "-"
}
loop_point
for n in "${sizes[@]}"; do bench_size "$n"; done

echo "| list | operation | cdnallow | per-rule loop | loop / cdnallow |"
echo "|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
echo
echo "ufw $(ufw version | head -1 | awk '{ print $2 }'), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%Y-%m-%d)"
