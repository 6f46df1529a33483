# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# Shared by the bench_*.sh scripts: one machine-readable line per measured
# figure, appended to $BENCH_POINTS when tests/bench/run set it (nothing
# otherwise), so that run can take the median over its repeats and draw the
# plots without scraping each script's Markdown. A line is
#   IMPL OP N SECONDS PEAK_RSS_KB LOAD1 KIND
# IMPL: nftables, nft-f, nft-f-delta, iptables, ipset-restore, ufw,
#   ufw-per-rule, firewalld, firewall-cmd-file, firewall-cmd-per-entry
# OP: first (sync into an empty firewall / full load), noop, update (1 %)
# PEAK_RSS_KB: "-" when not measured; LOAD1: the 1-minute load average when
# the figure was taken (the machine is shared); KIND: "m" measured, "x"
# extrapolated from sampled calls, "t" timed out (SECONDS is the limit).

bench_point() { # IMPL OP N SECONDS [RSS_KB] [KIND]
	[ -n "${BENCH_POINTS:-}" ] || return 0
	echo "$1 $2 $3 $4 ${5:--} $(cut -d' ' -f1 /proc/loadavg) ${6:-m}" >>"$BENCH_POINTS"
}
