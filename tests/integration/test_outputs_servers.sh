#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# [output:NAME] sections kept by `sync`, read by the real consumers, in
# namespaces: nginx (ngx_http_realip), Apache (mod_remoteip) and HAProxy (an
# ACL file) run in the origin and are reloaded by the outputs' reload
# commands; fail2ban's own config reader is the fail2ban output's test. After
# the first sync a request from the cdn host carrying the client-IP header is
# logged with the client's address and the same header from the outsider is
# ignored. A second sync with the same list rewrites nothing (inode and mtime
# kept) and reloads nothing; neither does a sync whose list is a challenge
# page (refused, the cached copy used). An output whose test fails (nginx -t refusing an
# Apache file) gets its previous file back, nginx keeps serving with it, the
# firewall stays synced and the run exits 1 naming the output.
set -u
. "$TESTS_DIR/integration/lib/netns.sh"
. "$TESTS_DIR/integration/lib/outputs.sh"
netns_require nginx apache2 haproxy curl fail2ban-client
netns_init outputs
T=$NETNS_TMP
O4=$NETNS_ORIGIN4
O6=$NETNS_ORIGIN6
CLIENT=$OUTPUTS_CLIENT
HDR=CF-Connecting-IP
netns_topology
mkdir -p "$T/nginx.d" "$T/apache.d" "$T/www"
cp -a /etc/fail2ban "$T/f2b"
printf '[sshd]\nenabled = true\nbackend = polling\nlogpath = %s/auth.log\n' "$T" \
	>"$T/f2b/jail.d/zz-test.local"
: >"$T/auth.log"

outputs_list
# conf NGINX_FORMAT: the configuration, with the nginx output's format
conf() {
	cat >"$T/conf" <<EOF
[guard]
allow_test_ranges = true

[output:nginx]
format = $1
path   = $T/nginx.d/realip.conf
header = $HDR
test   = nginx -q -t -c $T/nginx.conf
reload = sh -c 'echo >>$T/reloads.nginx && exec nginx -c $T/nginx.conf -s reload'

[output:apache]
format = apache
path   = $T/apache.d/remoteip.conf
header = $HDR
test   = apache2 -t -f $T/apache.conf
reload = sh -c 'echo >>$T/reloads.apache && exec apache2 -f $T/apache.conf -k graceful'

[output:haproxy]
format = haproxy
path   = $T/cdn.acl
mode   = 0640
test   = haproxy -q -c -f $T/haproxy.cfg
reload = sh -c 'echo >>$T/reloads.haproxy; p=\$(cat $T/haproxy.pid 2>/dev/null); exec haproxy -D -f $T/haproxy.cfg \${p:+-sf \$p}'

[output:fail2ban]
format = fail2ban
path   = $T/f2b/jail.d/zz-cdnallow.local
test   = fail2ban-client -c $T/f2b -d
EOF
}
sync() { outputs_sync "$@"; }
reloads() { outputs_reloads "$T/reloads.$1"; } # NAME: how often its reload command ran

cat >"$T/nginx.conf" <<EOF
pid $T/nginx.pid;
error_log $T/nginx-error.log;
events {}
http {
	access_log $T/nginx-access.log;
	client_body_temp_path $T; proxy_temp_path $T; fastcgi_temp_path $T;
	uwsgi_temp_path $T; scgi_temp_path $T;
	include $T/nginx.d/*.conf;
	server {
		listen 8080; listen [::]:8080;
		location / { default_type text/plain; return 200 "\$remote_addr"; }
	}
}
EOF
mods=/usr/lib/apache2/modules
cat >"$T/apache.conf" <<EOF
ServerRoot /etc/apache2
ServerName origin.test
DefaultRuntimeDir $T
PidFile $T/apache.pid
Mutex file:$T default
LoadModule mpm_event_module $mods/mod_mpm_event.so
LoadModule authz_core_module $mods/mod_authz_core.so
LoadModule remoteip_module $mods/mod_remoteip.so
LoadModule alias_module $mods/mod_alias.so
User www-data
Group www-data
Listen 8081
ErrorLog $T/apache-error.log
LogFormat "%a" remote
CustomLog $T/apache-access.log remote
IncludeOptional $T/apache.d/*.conf
DocumentRoot $T/www
<Location />
	Require all granted
</Location>
RedirectMatch 204 ^/
EOF
cat >"$T/haproxy.cfg" <<EOF
global
	pidfile $T/haproxy.pid
defaults
	mode http
	timeout connect 2s
	timeout client 5s
	timeout server 5s
frontend web
	bind :8082
	bind :::8082 v6only
	acl from_cdn src -f $T/cdn.acl
	http-request set-src req.hdr($HDR) if from_cdn { req.hdr($HDR) -m found }
	http-request return status 200 content-type text/plain lf-string "%[src]"
EOF

# nginx and Apache run before the first sync, trusting nobody yet
netns_exec origin nginx -c "$T/nginx.conf" || netns_fail "nginx did not start"
netns_exec origin apache2 -f "$T/apache.conf" -k start || netns_fail "apache did not start"

# Apache answers 204: what it saw is its access log line
outputs_fetch() {
	case $2 in
	*:8081/)
		netns_exec "$1" curl -sS -m 5 -o /dev/null -H "$HDR: $CLIENT" "$2" &&
			tail -n1 "$T/apache-access.log" ;;
	*) netns_exec "$1" curl -sS -m 5 -H "$HDR: $CLIENT" "$2" ;;
	esac
}
seen() { outputs_seen "the server" "$@"; }
check_server() { # NAME PORT
	seen cdn "http://$O4:$2/" "$CLIENT"
	seen cdn "http://[$O6]:$2/" "$CLIENT"
	seen outsider "http://$O4:$2/" "$NETNS_OUT4"
	seen outsider "http://[$O6]:$2/" "$NETNS_OUT6"
	ok "$1: after the sync the header is trusted from the CDN only (v4 and v6)"
}
seen cdn "http://$O4:8080/" "$NETNS_CDN4"
seen cdn "http://$O4:8081/" "$NETNS_CDN4"
ok "before the first sync nginx and Apache see the CDN node itself"

# --- first sync: every output written, tested, reloaded
conf nginx
sync 0
for f in nginx.d/realip.conf apache.d/remoteip.conf cdn.acl f2b/jail.d/zz-cdnallow.local; do
	has -F '203.0.113.0/24' "$T/$f" || netns_fail "$f lacks the CDN range"
done
[ "$(stat -c %a "$T/cdn.acl")" = 640 ] || netns_fail "cdn.acl mode is not 0640"
netns_exec origin nft list set inet cdnallow cdn4 | has -F 203.0.113.0/24 ||
	netns_fail "the firewall was not synced"
ok "sync wrote the four outputs (mode as configured) and the firewall"
check_server nginx 8080
has "^$CLIENT " "$T/nginx-access.log" || netns_fail "nginx did not log the client's address"
has "^$NETNS_OUT4 " "$T/nginx-access.log" || netns_fail "nginx did not log the outsider itself"
ok "nginx: the access log shows the client behind the CDN and the outsider as itself"
check_server Apache 8081
check_server HAProxy 8082
fail2ban-client -c "$T/f2b" -d >"$T/f2b.dump" 2>&1 || netns_fail "fail2ban cannot read its config"
for r in 203.0.113.0/24 2001:db8:cd::/48; do
	has -F "'$r'" "$T/f2b.dump" || netns_fail "fail2ban's dump lacks ignoreip $r"
done
ok "fail2ban: jail sshd ignores every CDN range (its own config dump)"
[ "$(reloads nginx)$(reloads apache)$(reloads haproxy)" = 111 ] ||
	netns_fail "reloads: nginx $(reloads nginx), apache $(reloads apache), haproxy $(reloads haproxy)"

# --- same list again: no rewrite, no reload, no drift
stamp() { stat -c '%i %y' "$T/nginx.d/realip.conf" "$T/apache.d/remoteip.conf" "$T/cdn.acl" \
	"$T/f2b/jail.d/zz-cdnallow.local"; }
before=$(stamp)
sync 0
[ "$(stamp)" = "$before" ] || netns_fail "a no-op sync rewrote an output"
[ "$(reloads nginx)$(reloads apache)$(reloads haproxy)" = 111 ] || netns_fail "a no-op sync reloaded"
netns_exec origin "$CDNALLOW" -q -c "$T/conf" --state-dir "$T/state" -s "$T/cdn.txt" \
	-b nftables plan || netns_fail "plan sees drift after a sync"
ok "a second sync with the same list rewrites nothing (inode, mtime) and reloads nothing"

# --- an output deleted behind cdnallow's back is drift, and the next sync restores it
rm "$T/cdn.acl"
rc=0
netns_exec origin "$CDNALLOW" -q -c "$T/conf" --state-dir "$T/state" -s "$T/cdn.txt" \
	-b nftables --json plan >"$T/plan.json" || rc=$?
[ "$rc" = 2 ] || netns_fail "plan with a missing output exited $rc, expected 2"
has '"status": "would-change"' "$T/plan.json" || netns_fail "plan --json: no would-change"
sync 0
[ -s "$T/cdn.acl" ] || netns_fail "the missing output was not recreated"
ok "a missing output is drift for plan (exit 2, would-change) and sync recreates it"

# --- a challenge page instead of the list: refused, the firewall and every output keep the last good list
cp "$T/cdn.txt" "$T/cdn.good"
printf '<!DOCTYPE html><html><title>Just a moment...</title></html>\n' >"$T/cdn.txt"
before=$(stamp)
counts=$(reloads nginx)$(reloads apache)$(reloads haproxy)
# the guard refuses the page and falls back to the cached copy (the last good list)
netns_exec origin "$CDNALLOW" -c "$T/conf" --state-dir "$T/state" -s "$T/cdn.txt" \
	-b nftables sync >/dev/null 2>"$T/sync.err" || netns_fail "the fallback sync failed"
has 'HTML page' "$T/sync.err" || netns_fail "no refusal of the page: $(cat "$T/sync.err")"
[ "$(stamp)" = "$before" ] || netns_fail "a refused list reached an output"
[ "$(reloads nginx)$(reloads apache)$(reloads haproxy)" = "$counts" ] ||
	netns_fail "a refused list reloaded a server"
! has -i 'html' "$T/nginx.d/realip.conf" || netns_fail "the challenge page is in nginx's config"
netns_exec origin nft list set inet cdnallow cdn4 | has -F 203.0.113.0/24 ||
	netns_fail "the firewall lost the last good list"
cp "$T/cdn.good" "$T/cdn.txt"
ok "a challenge page instead of the list never reaches an output (no write, no reload)"

# --- the nginx output's test fails: previous file back, nginx keeps serving, exit 1
cp "$T/nginx.d/realip.conf" "$T/realip.good"
conf apache # an Apache file where nginx reads its config: nginx -t refuses it
sync 1
has "output 'nginx'" "$T/sync.err" || netns_fail "the error does not name the output"
has 'test command failed' "$T/sync.err" || netns_fail "the error does not say the test failed"
cmp -s "$T/realip.good" "$T/nginx.d/realip.conf" || netns_fail "the previous file was not restored"
[ "$(reloads nginx)" = 1 ] || netns_fail "nginx was reloaded after its test failed"
netns_exec origin nginx -t -q -c "$T/nginx.conf" || netns_fail "nginx's config is broken"
check_server nginx-after-failed-test 8080
ok "a failed test restores the previous file, nginx keeps serving with it, exit 1 names the output"
echo "PASS: $pass checks"
