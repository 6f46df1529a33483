#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# What stream parsing of big list bodies changed, for two builds side by side:
# `cdnallow sync` (nftables, in a throw-away network namespace) from a local
# text file of N made-up /32s (11.0.0.0/11, every other address, as
# bench_nft.sh makes them) — a first sync, a no-op (the file unchanged) and a
# 1 % update — with peak RSS and CPU (/usr/bin/time) or, with MODE=cg,
# callgrind's instruction count; then `cdnallow fetch` of the same list from a
# loopback HTTPS server (lib/https_server.py): peak RSS of the larger of
# parent and downloader child (/usr/bin/time) and the child's VmHWM sampled
# every 5 ms. On a shared machine compare CPU or instructions, not seconds.
#
# usage: bench_stream.sh [MODE=time|cg] BINARY... (N from $SIZES, default "100000 1000000")
set -u
MODE=time
case ${1:-} in MODE=*) MODE=${1#MODE=}; shift ;; esac
[ $# -gt 0 ] || { echo "usage: bench_stream.sh [MODE=time|cg] BINARY..." >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "needs root" >&2; exit 77; }
TESTS_DIR=$(cd "$(dirname "$0")/.." && pwd)
W=$(mktemp -d /tmp/cdna-stream-bench.XXXXXX)
NS=cdna-stream-bench-$$
ip netns add $NS
cleanup() { ip netns del $NS 2>/dev/null; rm -rf "$W"; }
trap cleanup EXIT

gen() { # N SHIFT
	python3 - "$1" "$2" <<'PY'
import sys
n, shift = int(sys.argv[1]), int(sys.argv[2])
base = 11 << 24
sys.stdout.write("".join("%d.%d.%d.%d/32\n" % (a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255)
                         for a in (base + 2 * i for i in range(shift, n + shift))))
PY
}

printf '[cdnallow]\nmode = lockdown\nports = 80, 443\n[guard]\nmax_shrink = 50\n[fetch]\nmax_size = 64M\n' >"$W/conf"

op() { # BIN N OP
	local bin=$1 n=$2 what=$3 m u s
	sync
	if [ "$MODE" = cg ]; then
		ip netns exec $NS valgrind --tool=callgrind --callgrind-out-file="$W/cg" "$bin" sync -q \
			-b nftables -c "$W/conf" -s "$W/src.txt" --state-dir "$W/state" >/dev/null 2>&1
		echo "$bin $n $what Ir=$(awk '/^summary:/ { print $2 }' "$W/cg")"
	else
		/usr/bin/time -f "%M %U %S" -o "$W/t" ip netns exec $NS "$bin" sync -q -b nftables \
			-c "$W/conf" -s "$W/src.txt" --state-dir "$W/state" >/dev/null 2>"$W/err" ||
			echo "$bin $n $what failed: $(tail -1 "$W/err")"
		read -r m u s <"$W/t"
		echo "$bin $n $what rss_kb=$m cpu_s=$(awk -v u="$u" -v s="$s" 'BEGIN { print u + s }')"
	fi
}

for n in ${SIZES:-100000 1000000}; do
	gen "$n" 0 >"$W/a.txt"
	gen "$n" $((n / 200)) >"$W/b.txt"
	for bin in "$@"; do
		rm -rf "$W/state"
		cp "$W/a.txt" "$W/src.txt"
		op "$bin" "$n" first
		op "$bin" "$n" noop
		cp "$W/b.txt" "$W/src.txt"
		op "$bin" "$n" update
		ip netns exec $NS nft delete table inet cdnallow 2>/dev/null
	done
done

[ "$MODE" = time ] || exit 0
. "$TESTS_DIR/integration/lib/https_server.sh"
mkdir -p "$W/fix"
mv "$W/a.txt" "$W/fix/list.txt"
https_server_start "$W/fix" || exit 1
trap 'https_server_stop; cleanup' EXIT
printf '[fetch]\nca_file = %s\nmax_size = 64M\ntimeout = 120\n' "$T/ca.pem" >"$W/fconf"
for bin in "$@"; do
	: >"$W/hwm"
	# the downloader child: a cdnallow whose parent is a cdnallow
	(while :; do
		for p in $(pgrep -x cdnallow); do
			pp=$(awk '/^PPid/ { print $2 }' /proc/"$p"/status 2>/dev/null)
			[ "$(cat /proc/"$pp"/comm 2>/dev/null)" = cdnallow ] &&
				awk '/VmHWM/ { print $2 }' /proc/"$p"/status >>"$W/hwm" 2>/dev/null
		done
		sleep 0.005
	done) &
	poll=$!
	/usr/bin/time -f "%M %U %S" -o "$W/t" "$bin" fetch -q -c "$W/fconf" -s "$U/ok/list.txt" \
		--state-dir "$W/fstate" >/dev/null 2>"$W/err" || echo "$bin fetch failed: $(tail -1 "$W/err")"
	kill $poll
	wait $poll 2>/dev/null
	rm -rf "$W/fstate"
	read -r m u s <"$W/t"
	echo "$bin download $(wc -l <"$W/fix/list.txt") lines: max(parent,child) rss_kb=$m" \
		"child_vmhwm_kb(sampled)=$(sort -n "$W/hwm" | tail -1) cpu_s=$(awk -v u="$u" -v s="$s" 'BEGIN { print u + s }')"
done
