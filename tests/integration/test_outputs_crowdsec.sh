#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The crowdsec output read by the real CrowdSec (Debian 12's 1.4), offline, in
# a namespace: the generated whitelist sits in the config's
# parsers/s02-enrich, after the nginx access-log parser of the hub copy the
# package ships (no hub download, no central API). `crowdsec -t` is the
# output's test. crowdsec replays an nginx access log (-dsn file://...) into
# its local API (a crowdsec -no-cs daemon) with this test's one-hit ban
# scenario: before the sync the CDN's nodes are banned like anyone; after it
# their lines are whitelisted (the parser dump says so, with our reason) and
# only the outsider is banned (v4 and v6). An output whose test fails (an
# nginx file where CrowdSec loads parsers) gets its previous file back, exit 1.
set -u
. "$TESTS_DIR/integration/lib/netns.sh"
. "$TESTS_DIR/integration/lib/outputs.sh"
netns_require crowdsec cscli python3
HUB=/usr/share/crowdsec/hub # the offline hub of Debian's package
[ -f "$HUB/parsers/s01-parse/crowdsecurity/nginx-logs.yaml" ] || netns_skip "no packaged CrowdSec hub"
netns_init crowdsec
T=$NETNS_TMP
C=$T/crowdsec
netns_new origin
outputs_list

mkdir -p "$C"/parsers/{s00-raw,s01-parse,s02-enrich} "$C/scenarios" "$C/data" "$T/dump"
ln -s "$HUB/parsers/s00-raw/crowdsecurity/syslog-logs.yaml" "$C/parsers/s00-raw/"
ln -s "$HUB/parsers/s01-parse/crowdsecurity/nginx-logs.yaml" "$C/parsers/s01-parse/"
ln -s "$HUB/parsers/s02-enrich/crowdsecurity/dateparse-enrich.yaml" "$C/parsers/s02-enrich/"
ln -s /etc/crowdsec/patterns "$C/patterns"
cat >"$C/scenarios/any-hit.yaml" <<'EOF2'
# this test's own scenario: one logged request is enough for a ban
type: trigger
name: cdnallow-test/any-hit
description: "ban every address that reaches the parsed log"
filter: "evt.Meta.log_type == 'http_access-log'"
groupby: evt.Meta.source_ip
labels:
  remediation: true
EOF2
cat >"$C/acquis.yaml" <<EOF2
filenames:
  - $T/access.log
labels:
  type: nginx
EOF2
cat >"$C/config.yaml" <<EOF2
common:
  daemonize: false
  log_media: stdout
  log_level: warning
config_paths:
  config_dir: $C/
  data_dir: $C/data/
  hub_dir: $HUB/
  index_path: $HUB/.index.json
  simulation_path: $C/simulation.yaml
crowdsec_service:
  acquisition_path: $C/acquis.yaml
  parser_routines: 1
db_config:
  type: sqlite
  db_path: $C/data/crowdsec.db
  use_wal: false
api:
  client:
    credentials_path: $C/lapi.yaml
  server:
    listen_uri: 127.0.0.1:8080
    profiles_path: /etc/crowdsec/profiles.yaml
prometheus:
  enabled: false
EOF2
echo 'simulation: false' >"$C/simulation.yaml"
# lines of now: a replayed alert carries the log's time, and its ban must still be active
now=$(LC_ALL=C date -u '+%d/%b/%Y:%H:%M:%S +0000')
line() { # ADDR: one nginx "combined" line
	printf '%s - - [%s] "GET / HTTP/1.1" 200 5 "-" "curl/7.88.1"\n' "$1" "$now"
}
{
	line "$NETNS_CDN4"
	line "$NETNS_OUT4"
	line "$NETNS_CDN6"
	line "$NETNS_OUT6"
	line 203.0.113.77 # another node of the CDN's range
} >"$T/access.log"
netns_exec origin cscli -c "$C/config.yaml" machines add test --auto -f "$C/lapi.yaml" --force \
	>"$T/cscli.out" 2>&1 || {
	cat "$T/cscli.out"
	netns_fail "cscli cannot register the agent"
}

# the local API alone, as a daemon; each replay below is an agent pushing to it
netns_exec origin crowdsec -c "$C/config.yaml" -no-cs >"$T/lapi.out" 2>&1 &
NETNS_PIDS+=($!)
for _ in $(seq 100); do
	netns_exec origin ss -Hltn 'sport = :8080' | has . && break
	sleep 0.1
done
netns_exec origin ss -Hltn 'sport = :8080' | has . || {
	tail "$T/lapi.out"
	netns_fail "crowdsec's local API did not start"
}

# replay [ARGS]: crowdsec reads the log as an agent (with -dump-data it pushes nothing)
replay() {
	netns_exec origin crowdsec -c "$C/config.yaml" -dsn "file://$T/access.log" -type nginx \
		-no-api "$@" >"$T/crowdsec.out" 2>&1 || {
		tail "$T/crowdsec.out"
		netns_fail "crowdsec could not replay the log"
	}
}
# banned: the addresses the log's replay got banned
banned() {
	netns_exec origin cscli -c "$C/config.yaml" alerts delete --all >/dev/null 2>&1
	replay
	netns_exec origin cscli -c "$C/config.yaml" decisions list -o json >"$T/decisions.json" ||
		netns_fail "cscli decisions list failed"
	python3 -c 'import json, sys
for d in json.load(open(sys.argv[1])) or []:
    for x in d.get("decisions") or []:
        print(x["type"], x["value"])' "$T/decisions.json" | sort
}
want_bans() { # ADDR...: exactly these are banned
	local got want
	got=$(banned)
	want=$(printf 'ban %s\n' "$@" | sort)
	[ "$got" = "$want" ] || netns_fail "CrowdSec banned '$got', expected '$want'"
}

want_bans "$NETNS_CDN4" "$NETNS_OUT4" "$NETNS_CDN6" "$NETNS_OUT6" 203.0.113.77
ok "before the first sync CrowdSec bans the CDN's nodes like anyone (the scenario works)"

cat >"$T/conf" <<EOF2
[guard]
allow_test_ranges = true

[output:crowdsec]
format = crowdsec
path   = $C/parsers/s02-enrich/cdnallow.yaml
test   = crowdsec -c $C/config.yaml -t
EOF2
outputs_sync 0
want_bans "$NETNS_OUT4" "$NETNS_OUT6"
ok "after the sync CrowdSec bans the outsider only, no CDN node (v4 and v6)"
replay -dump-data "$T/dump"
python3 - "$T/dump/parser-dump.yaml" <<'EOF2' || netns_fail "the parser dump does not show the whitelist"
import sys, yaml
dump = yaml.safe_load(open(sys.argv[1]))
seen = {}
for stage in dump.values():
    for name, results in (stage or {}).items():
        if name != "cdnallow/cdn-whitelist":
            continue
        for r in results:
            e = r["evt"]
            seen[e["Meta"]["source_ip"]] = (e.get("Whitelisted", False), e.get("WhitelistReason"))
want = {"203.0.113.10": True, "2001:db8:cd::10": True, "203.0.113.77": True,
        "198.51.100.10": False, "2001:db8:bad::10": False}
for ip, w in want.items():
    got = seen.get(ip)
    assert got and got[0] == w, (ip, got)
    assert not w or "cdnallow" in got[1], got
EOF2
ok "crowdsec's parser dump: the CDN's lines whitelisted by the cdnallow parser, the outsider's not"

# --- the test fails: previous file back, exit 1
cp "$C/parsers/s02-enrich/cdnallow.yaml" "$T/whitelist.good"
sed -i 's/^format = crowdsec/format = nginx/' "$T/conf"
outputs_sync 1
has "output 'crowdsec'" "$T/sync.err" || netns_fail "the error does not name the output"
has 'test command failed' "$T/sync.err" || netns_fail "the error does not say the test failed"
cmp -s "$T/whitelist.good" "$C/parsers/s02-enrich/cdnallow.yaml" ||
	netns_fail "the previous file was not restored"
want_bans "$NETNS_OUT4" "$NETNS_OUT6"
ok "a failed test (crowdsec -t) restores the previous whitelist, which CrowdSec still applies, exit 1"
echo "PASS: $pass checks"
