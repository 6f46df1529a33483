#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# libcurl is loaded only by the process that downloads (src/sources/curl_dl.c):
# the binary has no libcurl in DT_NEEDED; --version, and a sync, plan, status
# and fetch of a local-file source on nftables (in a network namespace) never
# load it, while the dynamic linker shows their own libraries (LD_DEBUG=files,
# so the probe is seen working); a download from the loopback HTTPS server
# loads it in the unprivileged child, never in the root process. With the
# library unloadable (an empty file bind-mounted over it in a private mount
# namespace) a download fails with the loader's message, the cached list is
# used, and a sync of a local file still works.
set -u
. "$TESTS_DIR/integration/lib/netns.sh"
netns_require python3 readelf unshare mount
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
ok "--version, and sync, plan, status and fetch of a local file on nftables never load libcurl"

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

nft_list "$L/l3" 4 46
without_curl ip netns exec "$(netns_name origin)" "$CDNALLOW" sync -q -b nftables -c "$L/lock.conf" \
	-s "$(nft_src origin "$L/l3")" --state-dir "$L/state-origin" ||
	netns_fail "sync of a local file without libcurl"
[ "$(nft_elems origin inet cdnallow cdn4)" = "$(nft_list_elems "$L/l3" 4)" ] ||
	netns_fail "cdn4 is not the third list"
ok "a sync of a local file does not need libcurl at all"
echo "PASS: $pass checks"
