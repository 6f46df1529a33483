# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Common part of the fault suite (sourced by tests/faults/run): the three-host
# topology of lib/netns.sh with web listeners on the origin, the failure HTTPS
# server of lib/https_server.py running inside the origin's namespace (on its
# own 127.0.0.1, which only cdnallow in that namespace can reach), a prober on
# the cdn host (every failed connection counts) and one on the outsider (every
# accepted connection counts), and the per-case bookkeeping: each case ends
# with one PASS/FAIL line in $FAULTS_MATRIX. It never touches the host's own
# namespaces: everything runs in namespaces made here and deleted on exit.

PY=$(command -v /usr/bin/python3 || command -v python3)
FAULTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# documented exit codes of sync (docs/architecture.md §3)
EXIT_OK=0
EXIT_ERROR=1

# --- lists -------------------------------------------------------------------

# flt_list FILE FIRST COUNT: the cdn ranges plus COUNT made-up 5.N.M.0/24 prefixes
# (every other /24, so nothing merges) starting at index FIRST.
flt_list() {
	"$PY" - "$@" <<'EOF'
import sys
f, first, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with open(f, "w") as o:
    o.write("# made-up fault-suite list\n203.0.113.0/24\n2001:db8:cd::/48\n")
    for i in range(first, first + count):
        a = (5 << 24) + (2 * i << 8)
        o.write("%d.%d.%d.0/24\n" % (a >> 24, (a >> 16) & 255, (a >> 8) & 255))
EOF
}

# flt_big FILE FIRST COUNT: the cdn ranges plus COUNT made-up /32s (every other
# address of 11.0.0.0/8 from index FIRST): big, non-mergeable lists.
flt_big() {
	"$PY" - "$@" <<'EOF'
import sys
f, first, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with open(f, "w") as o:
    o.write("203.0.113.0/24\n2001:db8:cd::/48\n")
    for i in range(first, first + count):
        a = (11 << 24) + 2 * i
        o.write("%d.%d.%d.%d/32\n" % (a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255))
EOF
}

# flt_norm: prefixes on stdin (any order, host routes with or without /32),
# canonical and sorted on stdout.
flt_norm() {
	awk '!/^#/ && NF { p = $1; if (p !~ /\//) p = p (p ~ /:/ ? "/128" : "/32"); print p }' |
		LC_ALL=C sort -u
}

# --- probers -------------------------------------------------------------------

flt_probers_start() {
	rm -f "$T/stop-probe"
	netns_exec cdn "$PY" "$FAULTS_DIR/probe.py" "$T/cdn.count" "$T/stop-probe" \
		"$NETNS_ORIGIN4:80" "[$NETNS_ORIGIN6]:443" "$NETNS_ORIGIN4:443" \
		"[$NETNS_ORIGIN6]:80" &
	NETNS_PIDS+=($!)
	netns_exec outsider "$PY" "$FAULTS_DIR/probe.py" "$T/out.count" "$T/stop-probe" \
		"$NETNS_ORIGIN4:443" "[$NETNS_ORIGIN6]:80" &
	NETNS_PIDS+=($!)
	for _ in $(seq 50); do
		[ -s "$T/cdn.count" ] && [ -s "$T/out.count" ] && return 0
		sleep 0.1
	done
	netns_fail "probers did not start"
}

# The witness: counters in the origin's kernel that tell a SYN of the cdn host
# dropped by a firewall from a connection that was merely slow. syn_in counts
# the cdn host's SYNs to the web ports before every firewall hook (prerouting
# -450: before iptables' raw table at -300, where lockdown drops too),
# syn_passed counts them after all of them (input +450: after the filter
# tables at 0 and firewalld's at +10). syn_in - syn_passed is what some
# firewall dropped or rejected; TcpExtListenDrops counts SYNs that got through
# the firewall and were dropped because the listener's accept queue was full.
flt_witness_start() {
	local m4="ip saddr $NETNS_CDN4" m6="ip6 saddr $NETNS_CDN6"
	local syn="tcp dport { 80, 443 } tcp flags & (syn | ack) == syn"
	netns_exec origin nft -f - <<-EOF || netns_fail "cannot load the witness table"
		table inet flt-witness {
			counter syn_in { }
			counter syn_passed { }
			chain pre { type filter hook prerouting priority -450; policy accept;
				$m4 $syn counter name syn_in
				$m6 $syn counter name syn_in
			}
			chain post { type filter hook input priority 450; policy accept;
				$m4 $syn counter name syn_passed
				$m6 $syn counter name syn_passed
			}
		}
	EOF
}

# one dump of the two counters: "syn_in syn_passed"; a dump that raced a
# commit is retried. (nft 1.0.6 "list counters" caches every set element of
# the namespace: 30 s with 200000 of them; "list table" reads only this table.)
flt_witness_dump() {
	local c _
	for _ in 1 2 3 4 5; do
		c=$(netns_exec origin nft list table inet flt-witness 2>/dev/null |
			awk '$1 == "counter" { n = $2 } $1 == "packets" { v[n] = $2 }
				END { if ("syn_in" in v && "syn_passed" in v) print v["syn_in"], v["syn_passed"] }')
		[ -n "$c" ] && break
		sleep 0.1
	done
	[ -n "$c" ] || netns_fail "cannot read the witness counters"
	echo "$c"
}

# prints "syn_in syn_passed listen_drops". The prober never pauses, and the
# two counters are dumped one after the other: a SYN between the hooks, or one
# that passes both between the two reads, makes a dump off by one either way
# (seen as "dropped -1" on a loaded 2-CPU host). That lasts microseconds; a
# dropped SYN stays counted. Of three dumps, the median in-minus-passed is kept.
flt_witness() {
	local c
	c=$(for _ in 1 2 3; do
		flt_witness_dump
		sleep 0.02
	done | awk '{ print $1 - $2, $0 }' | sort -n | sed -n '2{s/^[-0-9]* //;p}')
	[ -n "$c" ] || netns_fail "cannot read the witness counters"
	echo "$c $(netns_exec origin nstat -asz TcpExtListenDrops |
		awk '$1 == "TcpExtListenDrops" { n = $2 } END { print n + 0 }')"
}

flt_counts() { # prints "cdn_ok cdn_bad out_ok out_bad"
	echo "$(cat "$T/cdn.count") $(cat "$T/out.count")"
}

# --- the https server ----------------------------------------------------------

# Serves the files of $T/fx (our lists and the HTML error page) with every
# failure mode; URLs in $U (good cert), $U_UNTRUSTED, $U_WRONGNAME, $U_HTTP.
flt_server_start() {
	mkdir -p "$T/srv" "$T/fx"
	cp "$FIXTURES_DIR/cloudflare-ips-v4-error-500.html" "$T/fx/"
	netns_exec origin "$PY" "$TESTS_DIR/integration/lib/https_server.py" --make-certs \
		--fixtures "$T/fx" --dir "$T/srv" >"$T/srv/server.out" 2>&1 &
	NETNS_PIDS+=($!)
	for _ in $(seq 150); do
		[ -s "$T/srv/port" ] && break
		sleep 0.1
	done
	[ -s "$T/srv/port" ] || netns_fail "https server did not start: $(cat "$T/srv/server.out")"
	U="https://127.0.0.1:$(cat "$T/srv/port")"
	U_UNTRUSTED="https://127.0.0.1:$(cat "$T/srv/port-untrusted")"
	U_WRONGNAME="https://127.0.0.1:$(cat "$T/srv/port-wrongname")"
	U_HTTP="http://127.0.0.1:$(cat "$T/srv/port-http")"
}

# --- configuration and runs ------------------------------------------------------

# flt_conf FILE 'url = …'|'path = …' [more lines of [source:cdn]]; env FLT_TIMEOUT, FLT_SHRINK,
# FLT_GROW ([guard] max_grow, percent; the product's default 100 unless a family needs more)
flt_conf() {
	local f=$1 where=$2
	shift 2
	{
		printf '[cdnallow]\nproviders =\nmode = lockdown\nports = 80, 443\n'
		printf '[guard]\nallow_test_ranges = true\nmax_shrink = %s\nmax_grow = %s\n' \
			"${FLT_SHRINK:-30}" "${FLT_GROW:-100}"
		printf '[fetch]\nca_file = %s\ntimeout = %s\nretries = 0\nmax_size = 16M\n' \
			"$T/srv/ca.pem" "${FLT_TIMEOUT:-4}"
		printf '[source:cdn]\n%s\n' "$where"
		printf '%s\n' "$@"
	} >"$f"
}

# flt_sync CONF [ARGS...]: cdnallow sync in the origin; rc in $RC, stderr in $T/err
flt_sync() {
	local conf=$1
	shift
	fb_exec "$CDNALLOW" sync -b "$BACKEND" -c "$conf" --state-dir "${STATE:-$T/state}" "$@" \
		>"$T/out" 2>"$T/err"
	RC=$?
	return $RC
}

# flt_good LIST: make LIST the installed state (serves it, syncs with --force).
flt_good() {
	cp "$1" "$T/fx/good.txt"
	flt_conf "$T/good.conf" "url = $U/ok/good.txt"
	flt_sync "$T/good.conf" --force || {
		cat "$T/err" >&2
		netns_fail "$BACKEND: resetting to a good list failed (exit $RC)"
	}
	LAST_GOOD=$1
}

# flt_baseline: what every family starts from, whatever ran before it: a fresh
# state dir (no caches or history of other families; the statedir family
# copies it) and the first good list installed and cached.
flt_baseline() {
	fb_exec rm -rf "$T/state"
	flt_good "$T/good.txt"
}

# --- cases -----------------------------------------------------------------------

CASE=
CASE_T0=
CASE_C0=
CASE_BAD=()
PASSES=0
FAILS=0

case_begin() {
	CASE=$1
	CASE_BAD=()
	CASE_T0=$(date +%s.%N)
	sleep 0.1
	CASE_C0=$(flt_counts)
	CASE_W0=$(flt_witness)
}

bad() {
	CASE_BAD+=("$*")
}

# A typo'd or missing helper must fail the case, not print a line and go on.
# bash runs this handler in a subshell: the name goes through a file that
# case_end reads.
command_not_found_handle() {
	echo "faults: command not found: $1" >&2
	echo "$1" >>"$T/not-found"
	return 127
}

expect_rc() { # WANT
	[ "$RC" = "$1" ] || bad "exit $RC, expected $1"
}

expect_msg() { # STRING...: each must appear in the last run's stderr
	local s
	for s in "$@"; do
		grep -qF -- "$s" "$T/err" || bad "stderr lacks '$s'"
	done
}

# flt_between GOT LIST...: GOT (normalised lines) holds every prefix of at
# least one LIST and nothing outside their union.
flt_between() {
	local got=$1 l
	shift
	[ -z "$(comm -13 <(cat "$@" | flt_norm) <(echo "$got"))" ] || return 1
	for l in "$@"; do
		[ -z "$(comm -23 <(flt_norm <"$l") <(echo "$got"))" ] && return 0
	done
	return 1
}

# expect_fw LIST [LIST2...]: what the backend holds is exactly one of the LISTs.
# With another backend in lockdown mode, the lockdown table (inet cdnallow) is
# a second transaction that cdnallow grows to old ∪ new before the backend
# applies and shrinks after: it must hold everything the backend accepts (no
# CDN node dropped) and nothing outside the LISTs (nobody else let in).
expect_fw() {
	local got want l ok=0 lock miss extra partial
	got=$(fb_installed | flt_norm)
	[ -n "$got" ] || {
		bad "$BACKEND holds NO prefix at all"
		return
	}
	for l in "$@"; do
		want=$(flt_norm <"$l")
		if [ "$got" = "$want" ]; then
			ok=1
			break
		fi
	done
	partial=0
	if [ $# -gt 1 ] && fb_partial_ok; then
		partial=1
		if [ $ok = 0 ] && flt_between "$got" "$@"; then
			ok=1
			echo "     ($BACKEND stopped between the lists: $(echo "$got" | wc -l) prefixes)"
		fi
		[ $ok = 0 ] || flt_between "$(fb_fwd_effective --permanent | flt_norm)" "$@" ||
			bad "the permanent configuration is not between the lists"
	fi
	if [ $ok = 0 ]; then
		want=$(flt_norm <"$1")
		bad "$BACKEND holds $(echo "$got" | wc -l) prefixes, none of the expected lists" \
			"($(echo "$want" | wc -l) in $(basename "$1"));" \
			"missing: $(comm -13 <(echo "$got") <(echo "$want") | head -3 | tr '\n' ' ')" \
			"extra: $(comm -23 <(echo "$got") <(echo "$want") | head -3 | tr '\n' ' ')"
		return
	fi
	if [ "$BACKEND" != nftables ]; then
		lock=$(fb_lockdown_installed | flt_norm)
		miss=$(comm -23 <(echo "$got") <(echo "$lock"))
		extra=$(comm -13 <(cat "$@" | flt_norm) <(echo "$lock"))
		[ -z "$miss" ] || bad "the lockdown table (inet cdnallow) drops" \
			"$(echo "$miss" | wc -l) prefixes $BACKEND accepts: $(echo "$miss" | head -3 | tr '\n' ' ')"
		[ -z "$extra" ] || bad "the lockdown table (inet cdnallow) lets in" \
			"$(echo "$extra" | wc -l) prefixes of no good list: $(echo "$extra" | head -3 | tr '\n' ' ')"
		# at rest (one list expected) both hold exactly that list
		[ $# -gt 1 ] || [ "$lock" = "$got" ] || bad "the lockdown table holds" \
			"$(echo "$lock" | grep -c .) prefixes, not the $(echo "$got" | grep -c .) of $BACKEND"
	fi
	# runtime and permanent agree once an update has run to its end
	[ "$partial" = 1 ] || fb_check
}

# flt_in_reload FAILURES: how many of the prober's failures (lines "time addr
# error") began at most 1 s (the probe's timeout) before or during one of the
# firewall tool's own reloads (fb_disturb's $T/reload-windows).
flt_in_reload() {
	[ -s "$T/reload-windows" ] || {
		echo 0
		return
	}
	# a reload still running has only its "START open" line: it lasts until now
	awk 'NR == FNR { e[$1] = $2 == "open" ? 1e18 : $2; next }
		{ for (s in e) if ($1 >= s - 1.0 && $1 <= e[s] + 0.1) { c++; break } }
		END { print c + 0 }' "$T/reload-windows" "$1"
}

# flt_reload_overlap: 0 when one of the tool's own reloads ran during the case.
flt_reload_overlap() {
	[ -s "$T/reload-windows" ] &&
		awk -v t0="$CASE_T0" -v t1="$(date +%s.%N)" '{ e = $2 == "open" ? 1e18 : $2 }
			$1 <= t1 && e >= t0 { f = 1 } END { exit !f }' "$T/reload-windows"
}

# case_witness: the witness's verdict on the case. A cdn SYN that a firewall
# dropped or rejected fails the case, even when the retransmitted SYN got in.
# A prober timeout while every cdn SYN got past the firewall is lateness (a
# starved host, a full accept queue: listen drops), not a drop: it sets $late
# and is reported, not counted. ufw's and firewalld's own reloads drop SYNs by
# themselves: cases they overlap keep the time-based excuse only.
case_witness() {
	local in0 pass0 ld0 in1 pass1 ld1 drops timeouts
	read -r in0 pass0 ld0 <<<"$CASE_W0"
	read -r in1 pass1 ld1 <<<"$(flt_witness)"
	drops=$(((in1 - in0) - (pass1 - pass0)))
	if flt_reload_overlap; then
		[ "$drops" = 0 ] || echo "     ($drops cdn SYNs dropped while $BACKEND reloaded itself)"
		return
	fi
	[ "$drops" -le 0 ] || bad "a firewall dropped $drops of the cdn host's $((in1 - in0)) SYNs"
	timeouts=$(grep -c ' timed out$' "$T/case-failures")
	if [ "$drops" -le 0 ] && [ "$timeouts" -gt 0 ] && [ "$excused" = 0 ]; then
		late=$timeouts
		echo "     ($late cdn connections timed out with every cdn SYN past the firewall:" \
			"late, not dropped; listen drops +$((ld1 - ld0)))"
	fi
}

case_end() {
	local c1 dt detail failed excused late
	if [ -s "$T/not-found" ]; then
		bad "the suite called missing commands: $(sort -u "$T/not-found" | tr '\n' ' ')"
		rm -f "$T/not-found"
	fi
	sleep 0.3
	c1=$(flt_counts)
	read -r a_ok a_bad o_ok _ <<<"$CASE_C0"
	read -r b_ok b_bad p_ok _ <<<"$c1"
	failed=$((b_bad - a_bad))
	excused=0
	late=0
	: >"$T/case-failures"
	if [ "$failed" -gt 0 ]; then
		tail -n "$failed" "$T/cdn.count.log" >"$T/case-failures"
		excused=$(flt_in_reload "$T/case-failures")
	fi
	case_witness
	[ "$failed" = $((excused + late)) ] || bad "$((failed - excused - late)) failed cdn connections" \
		"($(awk -v t0="$CASE_T0" '{ e = $0; sub(/^[^ ]+ [^ ]+ /, "", e); printf "%s+%.1fs %s; ", $2, $1 - t0, e }' "$T/case-failures"))"
	[ $((b_ok - a_ok)) -gt 0 ] || bad "the cdn prober made no connection (is it alive?)"
	[ $((p_ok - o_ok)) = 0 ] || bad "$((p_ok - o_ok)) outsider connections accepted"
	dt=$(awk -v a="$CASE_T0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
	if [ ${#CASE_BAD[@]} = 0 ]; then
		PASSES=$((PASSES + 1))
		echo "ok   $BACKEND $FAMILY/$CASE (${dt}s, cdn +$((b_ok - a_ok)) ok$([ "$excused" = 0 ] ||
			echo ", $excused refused during $BACKEND's own reload"))"
		printf '%s\t%s\t%s\tPASS\t%s\t\n' "$BACKEND" "$FAMILY" "$CASE" "$dt" >>"$FAULTS_MATRIX"
	else
		FAILS=$((FAILS + 1))
		detail=$(printf '%s; ' "${CASE_BAD[@]}")
		echo "FAIL $BACKEND $FAMILY/$CASE (${dt}s): $detail"
		sed 's/^/    stderr: /' "$T/err" | head -8
		printf '%s\t%s\t%s\tFAIL\t%s\t%s\n' "$BACKEND" "$FAMILY" "$CASE" "$dt" "$detail" \
			>>"$FAULTS_MATRIX"
	fi
}
