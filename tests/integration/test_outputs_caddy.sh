#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The caddy output read by the real Caddy (Debian 12's 2.6), in namespaces:
# the site block imports the generated file, `caddy validate` is the output's
# test and `caddy reload` (admin API on a unix socket) its reload. After the
# sync a request from the cdn host carrying the client-IP header gets the
# client as {vars.client_ip} and the header reaches the proxied backend; the
# same header from the outsider is stripped and the outsider itself is the
# client (v4 and v6). A second sync rewrites and reloads nothing; an output
# whose test fails (an nginx file where Caddy imports) gets its previous file
# back, Caddy keeps serving with it and the run exits 1 naming the output.
set -u
. "$TESTS_DIR/integration/lib/netns.sh"
. "$TESTS_DIR/integration/lib/outputs.sh"
netns_require caddy curl
netns_init caddy
T=$NETNS_TMP
O4=$NETNS_ORIGIN4
O6=$NETNS_ORIGIN6
CLIENT=$OUTPUTS_CLIENT
HDR=CF-Connecting-IP
ADMIN=unix/$T/caddy-admin.sock
# caddy keeps its autosaved config and storage here, not in root's home
export HOME=$T XDG_CONFIG_HOME=$T/xdg-config XDG_DATA_HOME=$T/xdg-data
netns_topology
outputs_list
mkdir -p "$T/caddy.d"

conf() { # FORMAT of the caddy output
	cat >"$T/conf" <<EOF2
[guard]
allow_test_ranges = true

[output:caddy]
format = $1
path   = $T/caddy.d/cdnallow.caddy
header = $HDR
test   = caddy validate --config $T/Caddyfile --adapter caddyfile
reload = sh -c 'echo >>$T/reloads && exec caddy reload --config $T/Caddyfile --adapter caddyfile --address $ADMIN'
EOF2
}
reloads() { outputs_reloads "$T/reloads"; }

# The site answers "client|header": {vars.client_ip} and the client-IP header
# as Caddy passes it on; /app/ asks the backend what header it was given.
cat >"$T/Caddyfile" <<EOF2
{
	admin $ADMIN
	auto_https off
	storage file_system $T/caddy-storage
}
:8083 {
	import $T/caddy.d/*.caddy
	handle /app/* {
		reverse_proxy 127.0.0.1:8084
	}
	handle {
		respond "{vars.client_ip}|{http.request.header.$HDR}"
	}
}
http://:8084 {
	bind 127.0.0.1
	respond "{http.request.header.$HDR}"
}
EOF2
netns_exec origin caddy start --config "$T/Caddyfile" --adapter caddyfile >"$T/caddy.out" 2>&1 || {
	cat "$T/caddy.out"
	netns_fail "caddy did not start"
}

seen() { outputs_seen Caddy "$@"; }
check_caddy() { # WHAT
	seen cdn "http://$O4:8083/" "$CLIENT|$CLIENT"
	seen cdn "http://[$O6]:8083/" "$CLIENT|$CLIENT"
	seen outsider "http://$O4:8083/" "$NETNS_OUT4|"
	seen outsider "http://[$O6]:8083/" "$NETNS_OUT6|"
	seen cdn "http://$O4:8083/app/" "$CLIENT"
	seen outsider "http://$O4:8083/app/" ""
	ok "$1: the client is the header's from the CDN only, the backend gets it from the CDN only (v4 and v6)"
}
seen cdn "http://$O4:8083/" "|$CLIENT"
seen outsider "http://$O4:8083/app/" "$CLIENT"
ok "before the first sync Caddy passes anyone's header on (the spoofing the output prevents)"

# --- first sync: written, validated by caddy, reloaded
conf caddy
outputs_sync 0
has -F '203.0.113.0/24 2001:db8:cd::/48' "$T/caddy.d/cdnallow.caddy" ||
	netns_fail "the output lacks the CDN ranges"
[ "$(reloads)" = 1 ] || netns_fail "caddy reloaded $(reloads) times, expected 1"
check_caddy "caddy"

# --- same list again: no rewrite, no reload
before=$(stat -c '%i %y' "$T/caddy.d/cdnallow.caddy")
outputs_sync 0
[ "$(stat -c '%i %y' "$T/caddy.d/cdnallow.caddy")" = "$before" ] || netns_fail "a no-op sync rewrote the output"
[ "$(reloads)" = 1 ] || netns_fail "a no-op sync reloaded caddy"
ok "a second sync with the same list rewrites nothing and reloads nothing"

# --- the test fails: previous file back, Caddy keeps serving with it, exit 1
cp "$T/caddy.d/cdnallow.caddy" "$T/caddy.good"
conf nginx # set_real_ip_from where Caddy imports: caddy validate refuses it
outputs_sync 1
has "output 'caddy'" "$T/sync.err" || netns_fail "the error does not name the output"
has 'test command failed' "$T/sync.err" || netns_fail "the error does not say the test failed"
cmp -s "$T/caddy.good" "$T/caddy.d/cdnallow.caddy" || netns_fail "the previous file was not restored"
[ "$(reloads)" = 1 ] || netns_fail "caddy was reloaded after its test failed"
netns_exec origin caddy validate --config "$T/Caddyfile" --adapter caddyfile >/dev/null 2>&1 ||
	netns_fail "Caddy's config is broken"
check_caddy "caddy after a failed test"
ok "a failed test restores the previous file, Caddy keeps serving with it, exit 1 names the output"
netns_exec origin caddy stop --address "$ADMIN" >/dev/null 2>&1
echo "PASS: $pass checks"
