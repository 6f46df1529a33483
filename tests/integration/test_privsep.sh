#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Least privilege (issue 14, finding 6): run as root, cdnallow downloads in a
# child that dropped root. During a slow download from the loopback test
# server, the process holding the TCP connection has a non-zero uid, no
# effective (or permitted) capability and no_new_privs; the CA file lives in
# a directory only root can read and still verifies the server; the 304 no-op
# still works. No firewall is touched (fetch only).
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
puid=$(awk '/^Uid:/ { print $2 }' "/proc/$main/status")
[ "$puid" = 0 ] || fail "the parent is not root ($puid)"
ok "the connection is held by pid $holder, uid $(awk '/^Uid:/ { print $2 }' <<<"$status"), CapEff 0, no_new_privs; the parent stays root"
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
echo "PASS: $pass checks"
