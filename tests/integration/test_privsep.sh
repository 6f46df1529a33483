#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Least privilege (issue 14, finding 6): run as root, cdnallow downloads in a
# child that dropped root. During a slow download from the loopback test
# server, the process holding the TCP connection has a non-zero uid, no
# effective (or permitted) capability, no_new_privs and a seccomp filter, and libcurl mapped
# (loaded there, after the drop: the root process never maps it); the CA file lives in
# a directory only root can read and still verifies the server; the 304 no-op
# still works. The parse of a downloaded body happens in that child: under a
# debugger, the parser entry point (source_parse) is never reached in the
# root process for a download (it is for a local file: the probe works), and
# is reached in the child with a non-zero uid; a parse error crosses the pipe
# as the source's error; the cache holds the parsed list, and --offline
# reads it back. No firewall is touched (fetch only).
set -u
. "$TESTS_DIR/integration/lib/common.sh"
. "$TESTS_DIR/integration/lib/https_server.sh"
fail() {
	echo "FAIL: $*" >&2
	exit 1
}
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root" >&2; exit 77; }
command -v ss >/dev/null || { echo "SKIP: needs ss" >&2; exit 77; }
https_server_start "$FIXTURES_DIR" || fail "https server"
CF4=cloudflare-ips-v4.txt
port=$(cat "$T/port")

# the CA file where only root can read it
mkdir -m 0700 "$T/private"
cp "$T/ca.pem" "$T/private/ca.pem"
# conf NAME URL_V4: cloudflare from the test server, the CA file only root can read
conf() {
	printf '[fetch]\nca_file = %s\ntimeout = 30\n[provider:cloudflare]\nurl = %s, %s\n' \
		"$T/private/ca.pem" "$2" "$U/ok/cloudflare-ips-v6.txt" >"$T/$1.conf"
}
conf slow "$U/slow/$CF4"
conf etag "$U/etag/$CF4"

"$CDNALLOW" fetch -c "$T/slow.conf" --state-dir "$T/state-slow" >"$T/out" 2>"$T/err" &
main=$!
holder=
for _ in $(seq 100); do
	holder=$(ss -tnpH state established "( dport = :$port )" |
		sed -n 's/.*"cdnallow",pid=\([0-9]*\),.*/\1/p' | head -n1)
	[ -n "$holder" ] && break
	sleep 0.1
done
[ -n "$holder" ] || fail "no cdnallow process holds a connection to port $port"
[ "$holder" != "$main" ] || fail "the root process $main itself holds the connection"
status=$(cat "/proc/$holder/status")
uid=$(awk '/^Uid:/ { print $2 $3 $4 $5 }' <<<"$status")
[ "$uid" != 0000 ] && ! grep -q '^Uid:.*\b0\b' <<<"$status" || fail "downloader uid: $(grep ^Uid <<<"$status")"
has '^CapEff:[[:space:]]*0000000000000000$' <<<"$status" || fail "$(grep ^Cap <<<"$status")"
has '^CapPrm:[[:space:]]*0000000000000000$' <<<"$status" || fail "$(grep ^Cap <<<"$status")"
has '^NoNewPrivs:[[:space:]]*1$' <<<"$status" || fail "no_new_privs not set"
has '^Groups:[[:space:]]*$' <<<"$status" || fail "supplementary groups kept: $(grep ^Groups <<<"$status")"
has '^Seccomp:[[:space:]]*2$' <<<"$status" || fail "no seccomp filter: $(grep ^Seccomp <<<"$status")"
puid=$(awk '/^Uid:/ { print $2 }' "/proc/$main/status")
[ "$puid" = 0 ] || fail "the parent is not root ($puid)"
# libcurl (and OpenSSL under it) is loaded by the child, after the drop: never in the root process
has '/libcurl[^/]*\.so' "/proc/$holder/maps" || fail "the downloader has no libcurl mapped"
! has '/libcurl[^/]*\.so' "/proc/$main/maps" || fail "the root process maps libcurl"
ok "the connection is held by pid $holder, uid $(awk '/^Uid:/ { print $2 }' <<<"$status"), CapEff 0, no_new_privs, seccomp filter, libcurl mapped; the parent stays root, without libcurl"
kill "$main" "$holder" 2>/dev/null
wait "$main" 2>/dev/null

# a whole download through the child: the root-only CA file verifies the server
"$CDNALLOW" fetch -c "$T/etag.conf" --state-dir "$T/state" >"$T/out" 2>"$T/err" ||
	fail "fetch: $(cat "$T/err")"
while read -r p; do
	has -Fx "$p" "$T/out" || fail "$p missing from the fetched ranges: $(head -3 "$T/out")"
done < <(grep -v '^#' "$FIXTURES_DIR/$CF4")
! has -i "downloading as root" "$T/err" || fail "fell back to root: $(cat "$T/err")"
ok "a download through the unprivileged child, verified with a CA file only root can read"
"$CDNALLOW" fetch -c "$T/etag.conf" --state-dir "$T/state" >"$T/out2" 2>"$T/err" ||
	fail "second fetch: $(cat "$T/err")"
cmp -s "$T/out" "$T/out2" || fail "the 304 answer changed the result"
has '"status": 304' "$T/requests.log" || fail "no 304: $(tail -2 "$T/requests.log")"
ok "the conditional re-fetch (304) goes through the child too"

# the cache of a download is the list the child parsed, not the payload
meta=$(grep -l '"index": 0' "$T"/state/cache/cloudflare-*.0.json)
has '"format": "prefixes"' "$meta" || fail "cache entry not marked as a parsed list: $(cat "$meta")"
body=${meta%.json}.body
while read -r p; do
	has -Fx "$p" "$body" || fail "$p missing from the cached list $body"
done < <(grep -v '^#' "$FIXTURES_DIR/$CF4")
"$CDNALLOW" fetch --offline -c "$T/etag.conf" --state-dir "$T/state" >"$T/out3" 2>"$T/err" ||
	fail "offline fetch: $(cat "$T/err")"
cmp -s "$T/out" "$T/out3" || fail "the offline result differs: $(diff "$T/out" "$T/out3")"
ok "the cache holds the parsed list (format prefixes); --offline reads it back"

# parse_probe MODE ARGS...: runs cdnallow under gdb following the parent or the child
# at fork, printing "PARSE uid=U" each time source_parse (a body parsed whole),
# source_read_local (a local file read in chunks) or text_stream_new (a text list parsed as it
# arrives) is entered in that process
parse_probe() {
	local mode=$1
	shift
	cat >"$T/gdb.cmd" <<EOF
set pagination off
set confirm off
set follow-fork-mode $mode
set detach-on-fork on
break source_parse
break source_read_local
break text_stream_new
commands 1-3
silent
python p = gdb.selected_inferior().pid; print("PARSE uid=" + open("/proc/%d/status" % p).read().split("Uid:")[1].split()[0])
continue
end
run
EOF
	# LeakSanitizer cannot run under ptrace: an ASan build aborts at exit
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		timeout 120 gdb -q -batch -x "$T/gdb.cmd" --args "$CDNALLOW" "$@" >"$T/gdb.out" 2>&1
}
command -v gdb >/dev/null || fail "gdb is missing (tools/deps.sh installs it)"
# the probe itself: a local file is parsed by the root process
parse_probe parent fetch -s "$FIXTURES_DIR/$CF4" --state-dir "$T/state-probe"
has -x 'PARSE uid=0' "$T/gdb.out" || fail "the probe saw no parse of a local file: $(tail "$T/gdb.out")"
# a download: never in the root process, and the result is still right
parse_probe parent fetch -c "$T/etag.conf" --state-dir "$T/state-gdb1"
! has '^PARSE' "$T/gdb.out" || fail "a download was parsed as root: $(grep ^PARSE "$T/gdb.out")"
has -Fx 173.245.48.0/20 "$T/gdb.out" || fail "no result under the debugger: $(tail "$T/gdb.out")"
parse_probe child fetch -c "$T/etag.conf" --state-dir "$T/state-gdb2"
[ "$(grep -c '^PARSE uid=' "$T/gdb.out")" = 2 ] ||
	fail "the child did not parse both bodies: $(grep ^PARSE "$T/gdb.out")"
! has -x 'PARSE uid=0' "$T/gdb.out" || fail "the child parsed as root: $(grep ^PARSE "$T/gdb.out")"
ok "downloads are parsed in the child ($(grep -m1 ^PARSE "$T/gdb.out")), never in the root process; a local file is parsed as root"

# a body the parser refuses: its message comes back over the pipe, the source falls back
conf bad "$U/ok/cloudflare-ips-v4-error-challenge.html"
"$CDNALLOW" fetch -c "$T/bad.conf" --state-dir "$T/state-bad" >"$T/out4" 2>"$T/err"
has "cloudflare-ips-v4-error-challenge.html' cannot be parsed" "$T/err" ||
	fail "no parse error from the child: $(cat "$T/err")"
has 'built-in snapshot' "$T/err" || fail "no fallback: $(cat "$T/err")"
ok "a parse error in the child is the source's error: $(grep -m1 -o "cannot be parsed[^;]*" "$T/err" | cut -c1-100)"
echo "PASS: $pass checks"
