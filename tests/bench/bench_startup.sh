#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# What a run costs before and around its work, in instructions (valgrind
# --tool=callgrind, so the figure does not depend on the load of a shared
# machine) and peak RSS: `cdnallow --version` (the dynamic linker and little
# else), and a 1 % update of N prefixes (default 100000) from a local file on
# nftables in a throw-away network namespace (the lists and config of
# bench_nft.sh). Compares builds: one row per binary given. Also prints the
# dynamic linker's share of the update (ld-linux's functions in the profile).
#
# usage: bench_startup.sh CDNALLOW_BINARY... (N=100000 to change the list size)
set -u
[ $# -gt 0 ] || { echo "usage: bench_startup.sh CDNALLOW_BINARY..." >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "needs root" >&2; exit 77; }
command -v valgrind >/dev/null && command -v callgrind_annotate >/dev/null ||
	{ echo "needs valgrind" >&2; exit 77; }
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 77; }
N=${N:-100000}
NS=cdna-startup-bench-$$
T=$(mktemp -d /tmp/cdna-startup-bench.XXXXXX)
trap 'ip netns del $NS 2>/dev/null; rm -rf "$T"' EXIT
ip netns add $NS

gen() { # N SHIFT: N /32s, every other address of 11.0.0.0/11 from SHIFT slots in
	python3 - "$1" "$2" <<'PY'
import sys
n, shift = int(sys.argv[1]), int(sys.argv[2])
for i in range(shift, n + shift):
    a = (11 << 24) + 2 * i
    sys.stdout.write("%d.%d.%d.%d/32\n" % (a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255))
PY
}
gen "$N" 0 >"$T/a.txt"
gen "$N" $((N / 200)) >"$T/b.txt"
printf '[cdnallow]\nmode = lockdown\nports = 80, 443\n[guard]\nmax_shrink = 50\n[fetch]\nmax_size = 64M\n' \
	>"$T/conf"

instr() { # OUT CMD...: instructions of CMD (in the namespace); the profile in OUT
	ip netns exec $NS valgrind --tool=callgrind --callgrind-out-file="$1" "${@:2}" >/dev/null 2>"$T/vg.err" ||
		{ echo "failed under callgrind: ${*:2}: $(tail -3 "$T/vg.err")" >&2; echo -; return; }
	sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$T/vg.err"
}
ld_share() { # PROFILE: instructions spent in ld-linux
	callgrind_annotate --threshold=100 "$1" 2>/dev/null |
		awk '/ld-linux/ { gsub(",", "", $1); s += $1 } END { print s + 0 }'
}
rss() { # CMD...: peak RSS in KiB
	/usr/bin/time -f %M -o "$T/rss" "$@" >/dev/null 2>&1
	cat "$T/rss"
}

echo "| binary | --version instructions | --version peak RSS (MB) | 1 % update of $N instructions | of which ld.so | update peak RSS (MB) |"
echo "|---|---:|---:|---:|---:|---:|"
for b in "$@"; do
	sync="$b sync -q -b nftables -c $T/conf -s $T/src.txt --state-dir $T/state"
	prep() {
		ip netns exec $NS nft delete table inet cdnallow 2>/dev/null
		rm -rf "$T/state"
		cp "$T/a.txt" "$T/src.txt"
		ip netns exec $NS $sync || echo "first sync failed: $b" >&2
		cp "$T/b.txt" "$T/src.txt"
	}
	vi=$(instr "$T/v.cg" "$b" --version)
	vr=$(rss "$b" --version)
	prep
	ui=$(instr "$T/u.cg" $sync)
	ul=$(ld_share "$T/u.cg")
	prep
	ur=$(rss ip netns exec $NS $sync)
	awk -v b="$b" -v vi="$vi" -v vr="$vr" -v ui="$ui" -v ul="$ul" -v ur="$ur" 'BEGIN {
		printf "| %s | %.1f M | %.1f | %.1f M | %.1f M | %.1f |\n",
			b, vi / 1e6, vr / 1024, ui / 1e6, ul / 1e6, ur / 1024 }'
done
