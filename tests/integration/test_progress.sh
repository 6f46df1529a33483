#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Long applies tell a terminal how far they are (issue 19), the real binary
# under script(1) (stderr a pty) in network namespaces:
#  - ufw in rules mode, 60 prefixes, one ufw call each: the
#    progress line counts the rules done, the total and what is left
#    ("ufw: 120/400 rules, 280 left"), every count from 1 to the total, done
#    and left adding up to the total, and once two seconds have passed an
#    estimate of the time to go;
#  - nftables and iptables (ipset) loading a list above the 10000 changes that
#    make a single batch worth a line (20000: the lines are the same at 1M,
#    where they matter, and the ASan build takes minutes a sync there): a
#    phase line ("applying 20000 changes to nftables…") while it works, and
#    one while the change is recorded in the history (seconds at 1M).
# The same syncs with stderr a file (cron, a timer's journal) print none of
# it: no progress text, no carriage return, no escape sequence.
set -uo pipefail
. "$(dirname "$0")/lib/netns.sh"
. "$(dirname "$0")/lib/ufw.sh"
netns_require nft ipset iptables script python3
N=${PROGRESS_UFW_N:-60}
ufw_test_begin
printf '[guard]\nallow_test_ranges = true\n[ufw]\nipset_threshold = 100000\n' >"$T/conf"

# list FILE N FIRST: N made-up /24s, every other one from 5.FIRST.0.0 on so
# that none aggregate: one ufw rule each
list() {
	python3 -c 'import sys
n, f = int(sys.argv[1]), int(sys.argv[2])
for i in range(n):
    print("5.%d.%d.0/24" % (f + i // 128, 2 * (i % 128)))' "$2" "$3" >"$1"
}

# on_tty OUT CMD...: CMD with stdin, stdout and stderr a pty; all it wrote in OUT
on_tty() {
	local out=$1
	shift
	script -qec "$(printf '%q ' "$@")" "$out.typescript" </dev/null >"$out" 2>&1
}

# steps OUT: the progress lines of OUT as "done total left", one a line
steps() {
	tr '\r' '\n' <"$1" | sed -n 's/.*cdnallow: ufw: \([0-9]*\)\/\([0-9]*\) rules, \([0-9]*\) left.*/\1 \2 \3/p'
}

# --- ufw rules mode on a terminal
list "$T/l1" "$N" 1
ufw_calls_reset
on_tty "$T/tty.out" nsenter -t "$UFW_PID" -m -n -- env PATH="$UFW_DIR/bin:$PATH" \
	"$CDNALLOW" sync -b ufw -c "$T/conf" --state-dir "$T/state" -s "$T/l1" ||
	netns_fail "ufw sync on a terminal: $(tail -c 2000 "$T/tty.out" | cat -v)"
[ "$(ufw_calls)" = "$N" ] || netns_fail "$N prefixes made $(ufw_calls) ufw calls: $(tail -c 1500 "$T/tty.out" | cat -v)"
[ "$(ufw_ours_count)" = "$N" ] || netns_fail "$(ufw_ours_count) rules of ours, expected $N"
steps "$T/tty.out" >"$T/steps"
[ "$(wc -l <"$T/steps")" = "$N" ] || netns_fail "$(wc -l <"$T/steps") progress lines for $N rules"
awk -v n="$N" '$1 != NR || $2 != n || $1 + $3 != n { print "line " NR ": " $0; bad = 1 }
	END { exit bad }' "$T/steps" >"$T/bad" || netns_fail "progress counts wrong: $(head -3 "$T/bad")"
[ "$(tail -n1 "$T/steps")" = "$N $N 0" ] || netns_fail "the last progress line: $(tail -n1 "$T/steps")"
ok "ufw on a terminal: 1/$N … $N/$N rules, done + left = $N on each of $N lines"
tr '\r' '\n' <"$T/tty.out" | has -E "ufw: [0-9]+/$N rules, [0-9]+ left, about ([0-9]+m)?[0-9]+s to go" ||
	netns_fail "no time estimate: $(tr '\r' '\n' <"$T/tty.out" | grep -m3 'rules,' | cat -v)"
ok "ufw on a terminal: an estimate of the time to go once the rate is known"
tr '\r' '\n' <"$T/tty.out" | has -F "$(printf '\033[K')backend ufw" ||
	netns_fail "the progress line is not erased before the summary: $(tail -c 600 "$T/tty.out" | cat -v)"
ok "ufw on a terminal: the progress line is erased before the summary"

# --- the same kind of sync, stderr a file: not one byte of progress
list "$T/more" 40 200
cat "$T/l1" "$T/more" >"$T/l2"
ufw_calls_reset
ufw_sync sync -b ufw -c "$T/conf" --state-dir "$T/state" -s "$T/l2" >"$T/plain.out" 2>"$T/plain.err" ||
	netns_fail "ufw sync without a terminal: $(cat "$T/plain.err")"
[ "$(ufw_calls)" -ge 40 ] || netns_fail "the second list made only $(ufw_calls) ufw calls"
has -E 'rules, [0-9]+ left|applying' "$T/plain.err" "$T/plain.out" &&
	netns_fail "progress without a terminal: $(cat "$T/plain.err")"
has "$(printf '[\r\033]')" "$T/plain.err" "$T/plain.out" &&
	netns_fail "a carriage return or escape without a terminal: $(cat -v "$T/plain.err")"
ok "ufw without a terminal ($(ufw_calls) ufw calls): no progress, no control characters"

# --- 20000 prefixes, one batch: a phase line on a terminal, nothing in a log
python3 -c 'import sys
for i in range(20000):
    a = (11 << 24) + 2 * i
    print("%d.%d.%d.%d/32" % (a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255))' >"$T/big"
printf '[guard]\nallow_test_ranges = true\n' >"$T/bigconf"
for be in nftables iptables; do
	netns_new "tty-$be"
	netns_new "log-$be"
	on_tty "$T/$be.tty" ip netns exec "$(netns_name "tty-$be")" "$CDNALLOW" sync -b "$be" \
		-c "$T/bigconf" --state-dir "$T/state-tty-$be" -s "$T/big" ||
		netns_fail "$be 20000 on a terminal: $(head -c 2000 "$T/$be.tty" | cat -v)"
	tr '\r' '\n' <"$T/$be.tty" | has -F "cdnallow: applying 20000 changes to $be" ||
		netns_fail "$be 20000: no phase line: $(head -c 600 "$T/$be.tty" | cat -v)"
	tr '\r' '\n' <"$T/$be.tty" | has -F "cdnallow: recording 20000 changes in the history" ||
		netns_fail "$be 20000: no line while the change is recorded: $(head -c 600 "$T/$be.tty" | cat -v)"
	netns_exec "log-$be" "$CDNALLOW" sync -b "$be" -c "$T/bigconf" --state-dir "$T/state-log-$be" \
		-s "$T/big" >"$T/$be.out" 2>"$T/$be.err" || netns_fail "$be 20000 in a log: $(cat "$T/$be.err")"
	has -E 'applying|recording|left' "$T/$be.err" && netns_fail "$be 20000: progress in a log: $(cat "$T/$be.err")"
	has "$(printf '[\r\033]')" "$T/$be.err" && netns_fail "$be 20000: control characters in a log"
	ok "$be 20000 prefixes: 'applying …' and 'recording … in the history' on a terminal, nothing in a log"
done
echo "PASS: $pass checks"
