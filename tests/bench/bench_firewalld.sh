#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Benchmarks the firewalld backend against firewall-cmd on N (default 100000)
# made-up, non-overlapping IPv4 /24s, in a real firewalld running in its own
# network + mount namespace with a private system D-Bus (never the host's):
#   - cdnallow first sync (creates policy + ipsets, one reload), no-op, a 1%
#     update (above the in-place limit: fills the idle twin ipset and swaps
#     the policy's rules) and a 10-prefix update (in place, per entry)
#   - firewall-cmd --add-entries-from-file, permanent + runtime, same lists
#     (runtime calls that outlive firewall-cmd's D-Bus timeout are timed until
#     firewalld answers again, and say so)
#   - per-entry firewall-cmd calls: SAMPLE (default 100) timed calls each way,
#     extrapolated (says so)
#   - firewall-cmd --reload with N entries (the drop-all window cdnallow avoids)
# Each cdnallow row notes firewalld's CPU time and the machine's load (1 min)
# before and after. ONLY_CDNALLOW=1 skips the firewall-cmd anchors (2., 3.).
# Prints a Markdown table for docs/benchmarks.md. Not a test; needs root.
#
#   [SAMPLE=10] [ONLY_CDNALLOW=1] tests/bench/bench_firewalld.sh [CDNALLOW_BINARY] [N]
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
bin=${1:-${CDNALLOW:-$here/../../../build/cdnallow}}
n=${2:-100000}
sample=${SAMPLE:-100}
[ -x "$bin" ] || { echo "bench_firewalld.sh: $bin is not the cdnallow binary" >&2; exit 1; }
. "$here/../integration/lib/netns.sh"
. "$here/../integration/lib/firewalld.sh"
# shellcheck source=lib.sh
. "$here/lib.sh"
fwd_require
fwd_begin fwdbench
tmp=$T

# Every other /24 from 20.0.0.0: nothing overlaps or merges. The update drops
# the first 1% and adds as many new /24s after the end.
upd=$((n / 100))
fwd_gen 0 "$n" >"$tmp/full"
{ fwd_gen "$upd" "$((n - upd))"; fwd_gen "$n" "$upd"; } >"$tmp/update"
fwd_gen 0 "$upd" >"$tmp/removed"
fwd_gen "$n" "$upd" >"$tmp/added"
{ fwd_gen "$((upd + 5))" "$((n - upd - 5))"; fwd_gen "$n" "$((upd + 5))"; } >"$tmp/small"
printf '[guard]\nallow_test_ranges = true\nmax_shrink = 90\n' >"$tmp/conf"

now_ms() { echo $(($(date +%s%N) / 1000000)); }
# firewalld's CPU time (user + system) in clock ticks
fwd_ticks() { awk '{ print $14 + $15 }' "/proc/$FWD_PID/stat"; }
load1() { cut -d' ' -f1 /proc/loadavg; }
rows=()
row() { rows+=("| $1 | $2 | $3 |"); }
timed() { # label note cmd...
	local label=$1 note=$2 t0 t1 c0 c1 l0
	shift 2
	c0=$(fwd_ticks) l0=$(load1)
	t0=$(now_ms)
	"$@" >/dev/null 2>"$tmp/err" || { echo "failed: $label" >&2; cat "$tmp/err" >&2; exit 1; }
	t1=$(now_ms)
	c1=$(fwd_ticks)
	note="$note; firewalld CPU $(awk -v t=$((c1 - c0)) -v hz="$(getconf CLK_TCK)" \
		'BEGIN { printf "%.1f", t / hz }') s, load $l0→$(load1)"
	last_s=$(awk -v ms=$((t1 - t0)) 'BEGIN { printf "%.2f", ms / 1000 }')
	row "$label" "$(awk -v ms=$((t1 - t0)) 'BEGIN { printf "%.1f", ms / 1000 }')" "$note"
	echo "$label: $((t1 - t0)) ms" >&2
}
fcmd() { fwd_exec firewall-cmd "$@"; }
# timed, for one firewall-cmd call that may outlive firewall-cmd's D-Bus
# timeout: then the time until firewalld answers again (it finishes the call).
timed_fcmd() { # label note args...
	local label=$1 note=$2 t0 t1
	shift 2
	t0=$(now_ms)
	if ! fcmd "$@" >/dev/null 2>"$tmp/err"; then
		grep -q "Did not receive a reply" "$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
		until fcmd --state >/dev/null 2>&1; do sleep 1; done
		note="$note; firewall-cmd itself failed (D-Bus timeout), firewalld finished at this time"
	fi
	t1=$(now_ms)
	last_s=$(awk -v ms=$((t1 - t0)) 'BEGIN { printf "%.2f", ms / 1000 }')
	row "$label" "$(awk -v ms=$((t1 - t0)) 'BEGIN { printf "%.1f", ms / 1000 }')" "$note"
	echo "$label: $((t1 - t0)) ms" >&2
}
sync_list() {
	fwd_exec "$bin" sync -b firewalld -c "$tmp/conf" -s "$1" --state-dir "$tmp/state"
}

# has_list FILE: the ipsets the policy's rules name (shards, each the one twin
# in use) hold exactly FILE
has_list() {
	[ "$(fwd_allowed 4)" = "$(sort "$1")" ]
}

# 1. cdnallow
fwd_fresh
timed "cdnallow sync, first ($n entries)" \
	"creates policy + shard ipsets (2000 prefixes each, + a quarter spare), 1 reload while empty, runtime setEntries on each empty shard, permanent setEntries" \
	sync_list "$tmp/full"
bench_point firewalld first "$n" "$last_s"
has_list "$tmp/full" || { echo "first sync incomplete" >&2; exit 1; }
timed "cdnallow sync, no change" "reads runtime + permanent entries only" sync_list "$tmp/full"
bench_point firewalld noop "$n" "$last_s"
timed "cdnallow sync, 1% update ($upd added, $upd removed)" \
	"the dropped and the added range each in one shard: per changed shard above the in-place limit a swap (runtime setEntries on its idle twin), two setPolicySettings for all (new rules in, then old ones out), old twins emptied; permanent the same; no reload" \
	sync_list "$tmp/update"
bench_point firewalld update "$n" "$last_s"
has_list "$tmp/update" || { echo "update incomplete" >&2; exit 1; }
timed "cdnallow sync, 10-prefix update (5 added, 5 removed)" \
	"in place: 10 runtime addEntry/removeEntry (atomic each) + 1 permanent setEntries" \
	sync_list "$tmp/small"
has_list "$tmp/small" || { echo "small update incomplete" >&2; exit 1; }
# the worst case for shards: every 100th prefix dropped (every shard changes), as many added at the end
{ fwd_gen "$((upd + 5))" "$((n - upd - 5))" | awk 'NR % 100'; fwd_gen "$n" "$((upd + 5))"; fwd_gen "$((2 * n))" "$((n / 100))"; } >"$tmp/spread"
timed "cdnallow sync, 1% spread update (every 100th dropped, as many added at the end)" \
	"every shard changes: each swaps (or edits in place up to 6 changes)" \
	sync_list "$tmp/spread"
has_list "$tmp/spread" || { echo "spread update incomplete" >&2; exit 1; }
[ -n "${ONLY_CDNALLOW:-}" ] && { printf '%s\n' "${rows[@]}"; exit 0; }
timed_fcmd "firewall-cmd --reload with $n entries" "what an admin's reload costs; drop-all meanwhile" \
	--reload

# 2. firewall-cmd --add-entries-from-file on a fresh daemon with the same empty objects
fwd_fresh
fcmd --permanent --new-ipset=bench4 --type=hash:net --option=family=inet \
	--option=maxelem=4194304 >/dev/null
fcmd --reload >/dev/null
timed_fcmd "firewall-cmd --permanent --add-entries-from-file ($n)" "permanent only" \
	--permanent --ipset=bench4 --add-entries-from-file="$tmp/full"
timed_fcmd "firewall-cmd --add-entries-from-file ($n, runtime)" \
	"runtime setEntries: flushes the set, then refills it" \
	--ipset=bench4 --add-entries-from-file="$tmp/full"
bench_point firewall-cmd-file first "$n" "$last_s"
timed_fcmd "firewall-cmd 1% update, permanent: --add-entries-from-file" "permanent only" \
	--permanent --ipset=bench4 --add-entries-from-file="$tmp/added"
timed_fcmd "firewall-cmd 1% update, permanent: --remove-entries-from-file" "permanent only" \
	--permanent --ipset=bench4 --remove-entries-from-file="$tmp/removed"
timed_fcmd "firewall-cmd 1% update, runtime: --add-entries-from-file" \
	"runtime setEntries of the whole set (flush + refill)" \
	--ipset=bench4 --add-entries-from-file="$tmp/added"
upd_s=$last_s
timed_fcmd "firewall-cmd 1% update, runtime: --remove-entries-from-file" \
	"runtime setEntries of the whole set (flush + refill)" \
	--ipset=bench4 --remove-entries-from-file="$tmp/removed"
bench_point firewall-cmd-file update "$n" "$(awk -v a="$upd_s" -v b="$last_s" 'BEGIN { printf "%.2f", a + b }')"

# 3. per-entry firewall-cmd: $sample calls each way on the full set, extrapolated
fwd_gen "$((2 * n))" "$sample" >"$tmp/sample"
t0=$(now_ms)
while read -r e; do fcmd --ipset=bench4 --add-entry="$e" >/dev/null; done <"$tmp/sample"
t1=$(now_ms)
t2=$t1
while read -r e; do fcmd --permanent --ipset=bench4 --add-entry="$e" >/dev/null; done <"$tmp/sample"
t2=$(now_ms)
per_rt=$(((t1 - t0) / sample))
per_perm=$(((t2 - t1) / sample))
# the admin's loop reruns every entry each time (no diff): first and no-op alike
all_s=$(awk -v a=$per_rt -v b=$per_perm -v n="$n" 'BEGIN { printf "%.1f", (a + b) * n / 1000 }')
bench_point firewall-cmd-per-entry first "$n" "$all_s" - x
bench_point firewall-cmd-per-entry noop "$n" "$all_s" - x
bench_point firewall-cmd-per-entry update "$n" \
	"$(awk -v a=$per_rt -v b=$per_perm -v n=$((2 * upd)) 'BEGIN { printf "%.1f", (a + b) * n / 1000 }')" - x
row "firewall-cmd --add-entry, per entry (runtime / permanent)" \
	"$(awk -v a=$per_rt -v b=$per_perm 'BEGIN { printf "%.2f / %.2f", a / 1000, b / 1000 }')" \
	"measured: $sample calls each on a $n-entry set"
row "per-entry firewall-cmd, $n entries (runtime + permanent)" \
	"$(awk -v a=$per_rt -v b=$per_perm -v n="$n" 'BEGIN { printf "~%.0f", (a + b) * n / 1000 }')" \
	"extrapolated from the $sample sampled calls (cost grows with the set: an underestimate)"
row "per-entry firewall-cmd, 1% update ($((2 * upd)) calls x 2)" \
	"$(awk -v a=$per_rt -v b=$per_perm -v n=$((2 * upd)) 'BEGIN { printf "~%.0f", (a + b) * n / 1000 }')" \
	"extrapolated from the $sample sampled calls"

echo
echo "firewalld $(fcmd --version), backend $(fcmd --get-default-zone >/dev/null && \
	grep -h '^FirewallBackend' /etc/firewalld/firewalld.conf | cut -d= -f2), $(nproc) cores"
echo
echo "| operation | seconds | notes |"
echo "|---|---:|---|"
printf '%s\n' "${rows[@]}"
