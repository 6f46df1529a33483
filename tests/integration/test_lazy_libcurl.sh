#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# libcurl is loaded only by the process that downloads (src/sources/curl_dl.c):
# the binary has no libcurl in DT_NEEDED; --version, and a sync, plan, status
# and fetch of a local-file source on nftables (in a network namespace) never
# load it, while the dynamic linker shows their own libraries (LD_DEBUG=files,
# so the probe is seen working); a download from the loopback HTTPS server
# loads it in the unprivileged child, never in the root process; doctor loads
# it only for --domain, whose TLS probe still reads the served certificate.
# With the library unloadable (an empty file bind-mounted over it in a private
# mount namespace) a download fails with the loader's message, the cached list
# is used, doctor --domain says its TLS check did not run, and a sync of a
# local file still works.
set -u
. "$TESTS_DIR/integration/lib/netns.sh"
netns_require python3 readelf unshare mount openssl
. "$TESTS_DIR/integration/lib/nft.sh"
netns_init lazycurl
L=$NETNS_TMP
. "$TESTS_DIR/integration/lib/https_server.sh"
https_server_start "$FIXTURES_DIR" || netns_fail "https server"
trap 'https_server_stop; netns_cleanup' EXIT
CF4=cloudflare-ips-v4.txt

readelf -d "$CDNALLOW" | awk '/\(NEEDED\)/ { gsub(/[][]/, "", $NF); print $NF }' >"$L/needed"
has -x 'libc.so.6' "$L/needed" || netns_fail "readelf shows no libc: $(cat "$L/needed")"
! has libcurl "$L/needed" || netns_fail "libcurl is in DT_NEEDED: $(tr '\n' ' ' <"$L/needed")"
ok "DT_NEEDED has no libcurl ($(wc -l <"$L/needed") libraries)"

# ld_files NAME CMD...: runs CMD with the dynamic linker's file log, and CMD's stderr, in
# $L/NAME.ld (not LD_DEBUG_OUTPUT: the download child puts its pipe on fd 3, the log's fd)
ld_files() {
	local name=$1
	shift
	LD_DEBUG=files "$@" 2>"$L/$name.ld"
}
# no_curl NAME: the run NAME loaded its own libraries, and not libcurl
no_curl() {
	has 'file=libnftnl' "$L/$1.ld" || netns_fail "$1: no loader log: $(head "$L/$1.ld")"
	! has 'file=libcurl' "$L/$1.ld" || netns_fail "$1 loaded libcurl: $(grep libcurl "$L/$1.ld")"
}

ld_files version "$CDNALLOW" --version >/dev/null || netns_fail "--version"
no_curl version

netns_new origin
nft_conf "$L/lock.conf" lockdown
nft_list "$L/l1" 0 40
nft_list "$L/l2" 2 44
for run in sync:l1 plan:l2 sync:l2 status:l2 fetch:l2; do
	cmd=${run%%:*}
	ld_files "$cmd-${run#*:}" nft_cmd origin "$cmd" "$L/lock.conf" "$L/${run#*:}" >/dev/null
	rc=$?
	[ "$rc" = 0 ] || [ "$cmd:$rc" = plan:2 ] || netns_fail "$cmd of ${run#*:} exited $rc"
	no_curl "$cmd-${run#*:}"
done
[ "$(nft_elems origin inet cdnallow cdn4)" = "$(nft_list_elems "$L/l2" 4)" ] ||
	netns_fail "cdn4 is not the second list"
ld_files doctor netns_exec origin "$CDNALLOW" doctor -b nftables -c "$L/lock.conf" \
	--state-dir "$L/state-origin" >/dev/null
no_curl doctor
ok "--version, doctor, and sync, plan, status and fetch of a local file on nftables never load libcurl"

# doctor --domain probes this host's 443 (a certificate for origin.test that expires in 3 days)
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$L/key.pem" -out "$L/cert.pem" -days 3 \
	-subj /CN=origin.test -addext subjectAltName=DNS:origin.test 2>/dev/null || netns_fail "openssl req"
netns_exec origin python3 - "$L/cert.pem" "$L/key.pem" >/dev/null 2>&1 <<'PY' &
import http.server, ssl, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_HEAD(self):
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *a):
        pass
s = http.server.ThreadingHTTPServer(("127.0.0.1", 443), H)
c = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
c.load_cert_chain(sys.argv[1], sys.argv[2])
s.socket = c.wrap_socket(s.socket, server_side=True)
s.serve_forever()
PY
NETNS_PIDS+=($!)
for _ in $(seq 50); do
	netns_exec origin ss -Hltn "sport = :443" | has . && break
	sleep 0.1
done
doctor_tls() { # CMD...: doctor --domain origin.test in origin, its output in $L/tls.out
	"$@" ip netns exec "$(netns_name origin)" "$CDNALLOW" doctor -b nftables -c "$L/lock.conf" \
		--state-dir "$L/state-origin" --domain origin.test >"$L/tls.out" 2>&1
}
doctor_tls env LD_DEBUG=files
has 'file=libcurl.so.* dynamically loaded' "$L/tls.out" || netns_fail "doctor --domain did not load libcurl"
has -F '[tls] the certificate served for origin.test expires in 2 days' "$L/tls.out" ||
	netns_fail "doctor --domain: no expiry from the certificate: $(grep -F '[tls]' "$L/tls.out")"
has -F '[tls] the certificate served for origin.test is not trusted' "$L/tls.out" ||
	netns_fail "doctor --domain: no trust finding: $(grep -F '[tls]' "$L/tls.out")"
ok "doctor --domain loads libcurl and reads the served certificate's expiry and trust"

printf '[fetch]\nca_file = %s\n[provider:cloudflare]\nurl = %s, %s\n' "$T/ca.pem" \
	"$U/etag/$CF4" "$U/ok/cloudflare-ips-v6.txt" >"$L/url.conf"
# a simple command, not ld_files: $! is then cdnallow itself, not a subshell
LD_DEBUG=files "$CDNALLOW" fetch -c "$L/url.conf" --state-dir "$L/st-url" >"$L/url.out" 2>"$L/url.ld" &
main=$!
wait $main || netns_fail "URL fetch: $(grep cdnallow: "$L/url.ld")"
! has '^cdnallow:' "$L/url.ld" || netns_fail "URL fetch: $(grep '^cdnallow:' "$L/url.ld")"
has -Fx 173.245.48.0/20 "$L/url.out" || netns_fail "URL fetch result: $(head -3 "$L/url.out")"
has "\"path\": \"/etag/$CF4\", \"status\": 200" "$T/requests.log" ||
	netns_fail "no download: $(cat "$T/requests.log")"
loaders=$(grep 'file=libcurl.so.* dynamically loaded' "$L/url.ld" | awk -F: '{ print $1 + 0 }' | sort -u)
[ -n "$loaders" ] || netns_fail "the download did not load libcurl: $(grep libcurl "$L/url.ld")"
for p in $loaders; do
	[ "$p" != "$main" ] || netns_fail "the root process $main loaded libcurl"
done
ok "a download loads libcurl with dlopen in the child ($loaders), not in the root process ($main)"

# the library as the loader found it, replaced by an empty file in a private mount namespace
lib=$(grep 'calling init: .*/libcurl\.so' "$L/url.ld" | head -n1 | sed 's/.*calling init: //')
lib=$(realpath "$lib")
[ -f "$lib" ] || netns_fail "libcurl's path not found in the loader log: '$lib'"
: >"$L/empty.so"
without_curl() {
	unshare -m --propagation private sh -c 'mount --bind "$0" "$1" && shift && exec "$@"' \
		"$L/empty.so" "$lib" "$@"
}
without_curl "$CDNALLOW" fetch -c "$L/url.conf" --state-dir "$L/st-url" >"$L/broken.out" \
	2>"$L/broken.err" || netns_fail "fetch without libcurl: $(cat "$L/broken.err")"
has -F "cannot load libcurl (libcurl.so.4): " "$L/broken.err" ||
	netns_fail "no loader message: $(cat "$L/broken.err")"
has -E "; install (the [^ ]+ package|libcurl)" "$L/broken.err" ||
	netns_fail "the message does not say what to install: $(cat "$L/broken.err")"
has "cached" "$L/broken.err" || netns_fail "no fallback to the cache: $(cat "$L/broken.err")"
cmp -s "$L/url.out" "$L/broken.out" || netns_fail "the cached list differs from the downloaded one"
ok "without a loadable libcurl a download fails with '$(grep -o 'cannot load libcurl[^;]*; install [a-z0-9 ]*' "$L/broken.err" | head -n1)' and the cached list is used"

doctor_tls without_curl
has -F "[tls] TLS on 443 for origin.test not checked: cannot load libcurl (libcurl.so.4): " "$L/tls.out" ||
	netns_fail "doctor --domain without libcurl: $(grep -F '[tls]' "$L/tls.out")"
ok "doctor --domain without a loadable libcurl says its TLS check did not run, and why"

nft_list "$L/l3" 4 46
without_curl ip netns exec "$(netns_name origin)" "$CDNALLOW" sync -q -b nftables -c "$L/lock.conf" \
	-s "$(nft_src origin "$L/l3")" --state-dir "$L/state-origin" ||
	netns_fail "sync of a local file without libcurl"
[ "$(nft_elems origin inet cdnallow cdn4)" = "$(nft_list_elems "$L/l3" 4)" ] ||
	netns_fail "cdn4 is not the third list"
ok "a sync of a local file does not need libcurl at all"
echo "PASS: $pass checks"
