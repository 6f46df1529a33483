#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# `cdnallow export` read by the real consumers, in namespaces: nginx
# (ngx_http_realip), Apache (mod_remoteip) and HAProxy (an ACL file) run in
# the origin with the generated file; a request from the cdn host carrying
# the client-IP header is seen with the client's address, the same header
# from the outsider is ignored (its own address is seen), over IPv4 and IPv6.
# fail2ban's own config reader takes the ignoreip file (every CDN range, as
# its dump shows); the CrowdSec whitelist is checked as YAML here, and
# test_outputs_crowdsec.sh has the real CrowdSec apply it. No firewall is
# touched.
set -u
. "$TESTS_DIR/integration/lib/netns.sh"
. "$TESTS_DIR/integration/lib/outputs.sh"
netns_require nginx apache2 haproxy curl fail2ban-client python3
netns_init export
T=$NETNS_TMP
O4=$NETNS_ORIGIN4
O6=$NETNS_ORIGIN6
CLIENT=$OUTPUTS_CLIENT
netns_topology

outputs_list
printf '[guard]\nallow_test_ranges = true\n' >"$T/conf"
export_to() { # FORMAT OUT [ARGS...]
	"$CDNALLOW" -q -c "$T/conf" --state-dir "$T/state" -s "$T/cdn.txt" export --format "$1" \
		"${@:3}" >"$2" || netns_fail "export --format $1 failed"
}

# seen HOST URL EXPECTED: the address the server reports for a request carrying the header
seen() {
	local got
	got=$(netns_exec "$1" curl -sS -m 5 -H "$HDR: $CLIENT" "$2") || netns_fail "curl $2 from $1"
	[ "$got" = "$3" ] || netns_fail "$SERVER via $1 ($2) saw '$got', expected '$3'"
}
check_server() { # PORT
	SERVER=$1
	seen cdn "http://$O4:$2/" "$CLIENT"
	seen cdn "http://[$O6]:$2/" "$CLIENT"
	seen outsider "http://$O4:$2/" "$NETNS_OUT4"
	seen outsider "http://[$O6]:$2/" "$NETNS_OUT6"
	ok "$1: the header is trusted from the CDN only (v4 and v6)"
}
wait_port() {
	local i
	for i in $(seq 100); do
		netns_exec origin ss -Hltn "sport = :$1" | has . && return 0
		sleep 0.1
	done
	netns_fail "nothing listens on $1"
}

# --- nginx, with the provider-style header
HDR=CF-Connecting-IP
export_to nginx "$T/realip.conf" --header "$HDR"
has -c '^set_real_ip_from ' "$T/realip.conf"
cat >"$T/nginx.conf" <<EOF2
pid $T/nginx.pid;
error_log $T/nginx-error.log;
events {}
http {
	access_log $T/nginx-access.log;
	client_body_temp_path $T; proxy_temp_path $T; fastcgi_temp_path $T;
	uwsgi_temp_path $T; scgi_temp_path $T;
	include $T/realip.conf;
	server {
		listen 8080; listen [::]:8080;
		location / { default_type text/plain; return 200 "\$remote_addr"; }
	}
}
EOF2
netns_exec origin nginx -t -c "$T/nginx.conf" 2>"$T/nginx-t.log" || {
	cat "$T/nginx-t.log"
	netns_fail "nginx -t refuses the generated file"
}
netns_exec origin nginx -c "$T/nginx.conf" || netns_fail "nginx did not start"
wait_port 8080
check_server nginx 8080
has "^$CLIENT " "$T/nginx-access.log" || netns_fail "nginx did not log the client's address"
has "^$NETNS_OUT4 " "$T/nginx-access.log" || netns_fail "nginx did not log the outsider itself"
ok "nginx: the access log shows the client behind the CDN and the outsider as itself"
netns_exec origin nginx -c "$T/nginx.conf" -s stop

# --- nginx with X-Forwarded-For: recursive, the client is the last untrusted hop
HDR=X-Forwarded-For
export_to nginx "$T/realip.conf"
has '^real_ip_recursive on;$' "$T/realip.conf" || netns_fail "no real_ip_recursive for XFF"
netns_exec origin nginx -c "$T/nginx.conf" || netns_fail "nginx did not restart"
wait_port 8080
check_server nginx-xff 8080
netns_exec origin nginx -c "$T/nginx.conf" -s stop

# --- Apache with mod_remoteip
HDR=CF-Connecting-IP
export_to apache "$T/remoteip.conf" --header "$HDR"
mods=/usr/lib/apache2/modules
mkdir -p "$T/www"
cat >"$T/apache.conf" <<EOF2
ServerRoot /etc/apache2
ServerName origin.test
DefaultRuntimeDir $T
PidFile $T/apache.pid
Mutex file:$T default
LoadModule mpm_event_module $mods/mod_mpm_event.so
LoadModule authz_core_module $mods/mod_authz_core.so
LoadModule remoteip_module $mods/mod_remoteip.so
LoadModule headers_module $mods/mod_headers.so
LoadModule alias_module $mods/mod_alias.so
User www-data
Group www-data
Listen 8081
ErrorLog $T/apache-error.log
LogFormat "%a %h" remote
CustomLog $T/apache-access.log remote
Include $T/remoteip.conf
DocumentRoot $T/www
<Location />
	Require all granted
</Location>
RedirectMatch 204 ^/
Header always set X-Seen "%{REMOTE_ADDR}e"
EOF2
seen_apache() { # HOST URL EXPECTED: Apache's log line of the request
	netns_exec "$1" curl -sS -m 5 -o /dev/null -H "$HDR: $CLIENT" "$2" ||
		netns_fail "curl $2 from $1"
	tail -n1 "$T/apache-access.log" | has "^$3 " || {
		tail -n3 "$T/apache-access.log"
		netns_fail "Apache via $1 ($2) did not log $3"
	}
}
netns_exec origin apache2 -t -f "$T/apache.conf" 2>"$T/apache-t.log" || {
	cat "$T/apache-t.log"
	netns_fail "apache2 -t refuses the generated file"
}
netns_exec origin apache2 -f "$T/apache.conf" -k start || netns_fail "apache did not start"
wait_port 8081
seen_apache cdn "http://$O4:8081/" "$CLIENT"
seen_apache cdn "http://[$O6]:8081/" "$CLIENT"
seen_apache outsider "http://$O4:8081/" "$NETNS_OUT4"
seen_apache outsider "http://[$O6]:8081/" "$NETNS_OUT6"
ok "Apache: the log shows the client behind the CDN and the outsider as itself (v4 and v6)"
netns_exec origin apache2 -f "$T/apache.conf" -k stop

# --- HAProxy with the ACL file
export_to haproxy "$T/cdn.acl"
cat >"$T/haproxy.cfg" <<EOF2
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
EOF2
netns_exec origin haproxy -c -f "$T/haproxy.cfg" >"$T/haproxy-c.log" 2>&1 || {
	cat "$T/haproxy-c.log"
	netns_fail "haproxy -c refuses the generated file"
}
netns_exec origin haproxy -D -f "$T/haproxy.cfg" || netns_fail "haproxy did not start"
wait_port 8082
check_server haproxy 8082
kill "$(cat "$T/haproxy.pid")" 2>/dev/null

# --- fail2ban: its own reader takes every CDN range into ignoreip
cp -a /etc/fail2ban "$T/f2b"
export_to fail2ban "$T/f2b/jail.d/zz-cdnallow.local"
printf '[sshd]\nenabled = true\nbackend = polling\nlogpath = %s/auth.log\n' "$T" \
	>"$T/f2b/jail.d/zz-test.local"
: >"$T/auth.log"
fail2ban-client -c "$T/f2b" -d >"$T/f2b.dump" 2>&1 || {
	tail "$T/f2b.dump"
	netns_fail "fail2ban cannot read the generated file"
}
for r in 203.0.113.0/24 2001:db8:cd::/48 127.0.0.1/8; do
	has -F "'addignoreip', '$r'" "$T/f2b.dump" || has -F "'$r'" "$T/f2b.dump" ||
		netns_fail "fail2ban's dump lacks ignoreip $r"
done
has -F "'sshd', 'addignoreip'" "$T/f2b.dump" || netns_fail "no ignoreip for jail sshd"
ok "fail2ban: jail sshd ignores every CDN range (its own config dump)"

# --- CrowdSec whitelist: valid YAML with every range
export_to crowdsec "$T/cdn-whitelist.yaml"
python3 - "$T/cdn-whitelist.yaml" <<'EOF2' || netns_fail "crowdsec whitelist is not what CrowdSec expects"
import sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
assert doc["name"] and doc["whitelist"]["reason"], doc
assert doc["whitelist"]["cidr"] == ["203.0.113.0/24", "2001:db8:cd::/48"], doc
EOF2
ok "CrowdSec: the whitelist parser file lists every range"

# --- a header that would break out of its line is refused, nothing written
if "$CDNALLOW" -q -c "$T/conf" --state-dir "$T/state" -s "$T/cdn.txt" export --format nginx \
	--header 'X;include /etc/passwd' >"$T/bad.conf" 2>"$T/bad.err"; then
	netns_fail "a bad header was accepted"
fi
[ ! -s "$T/bad.conf" ] || netns_fail "a refused export wrote output"
has 'not an HTTP header name' "$T/bad.err" || netns_fail "unclear message: $(cat "$T/bad.err")"
ok "a header that is not an HTTP token is refused, nothing written"
echo "PASS: $pass checks"
