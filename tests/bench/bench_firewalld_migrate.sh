#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Times the upgrade of a host of the one-set layout (policy cdnallow naming
# cdnallow4, made here with firewall-cmd as earlier builds left it) holding N
# made-up /24s to range shards, in a real firewalld in its own network + mount
# namespace with a private system D-Bus (never the host's): the first changed
# sync (shards made permanently, no reload, the update still in the one set),
# the admin's reload, and the sync that moves the list into the shards. Each
# row notes firewalld's CPU time. Not a test; needs root.
#
#   tests/bench/bench_firewalld_migrate.sh [CDNALLOW_BINARY] [N]   (N default 20000)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
bin=${1:-${CDNALLOW:-$here/../../../build/cdnallow}}
n=${2:-20000}
[ "$(id -u)" -eq 0 ] || { echo "bench_firewalld_migrate.sh: needs root" >&2; exit 1; }
. "$here/../integration/lib/netns.sh"
. "$here/../integration/lib/firewalld.sh"
fwd_require
fwd_begin fwdmigr
tmp=$T
fwd_gen 0 "$n" >"$tmp/full"
{ fwd_gen 0 "$n"; fwd_gen "$n" 1; } >"$tmp/next"
printf '[guard]\nallow_test_ranges = true\nmax_shrink = 90\n' >"$tmp/conf"
ticks() { awk '{ print $14 + $15 }' "/proc/$FWD_PID/stat"; }
timed() { # label cmd...
	local label=$1 t0 t1 c0 c1
	shift
	c0=$(ticks) t0=$(date +%s%N)
	"$@" >/dev/null 2>"$tmp/err" || { echo "failed: $label" >&2; cat "$tmp/err" >&2; exit 1; }
	t1=$(date +%s%N) c1=$(ticks)
	printf '| %s | %.1f | %.1f |\n' "$label" "$(((t1 - t0) / 1000000))e-3" \
		"$(awk -v t=$((c1 - c0)) -v hz="$(getconf CLK_TCK)" 'BEGIN { print t / hz }')"
}
# firewall-cmd --reload outlives firewall-cmd's D-Bus timeout at 100k: then the time until firewalld
# answers again (it finishes the reload)
reload() {
	fwd_exec firewall-cmd --reload >/dev/null 2>"$tmp/rerr" && return 0
	grep -q "Did not receive a reply" "$tmp/rerr" || { cat "$tmp/rerr" >&2; return 1; }
	until fwd_exec firewall-cmd --state >/dev/null 2>&1; do sleep 1; done
}
fwd_one_set_layout "$tmp/full"
sync_list() { fwd_exec "$bin" sync -b firewalld -c "$tmp/conf" -s "$1" --state-dir "$tmp/state"; }
echo "firewalld $(fwd_exec firewall-cmd --version), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%F), N=$n"
echo
echo "| step | seconds | firewalld CPU (s) |"
echo "|---|---:|---:|"
timed "firewall-cmd --reload: the one-set layout with $n entries" reload
timed "sync, 1 prefix added: shards made permanently, update in the one set" sync_list "$tmp/next"
timed "firewall-cmd --reload (the admin's next one): shards made at runtime" reload
timed "sync: the list moves into the shards, cdnallow4 emptied" sync_list "$tmp/next"
[ "$(fwd_allowed 4)" = "$(sort "$tmp/next")" ] || { echo "migration incomplete" >&2; exit 1; }
echo "shards in use: $(fwd_state_active "$(fwd_state)" rt 4 | wc -l), load $(cut -d' ' -f1-3 /proc/loadavg)"
