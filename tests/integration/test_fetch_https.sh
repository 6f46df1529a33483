#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# `cdnallow fetch` against a loopback HTTPS server (lib/https_server.py) and
# a test CA made for this run: fresh, 304, every failure mode falling back to the cached
# copy or the built-in snapshot, TLS and redirect refusals, retries only for
# transient errors, and the done-condition of the sources issue: four
# providers at once give exactly the aggregated union of the fixtures
# (computed independently with python ipaddress). Needs neither root nor
# network; it must never contact anything but 127.0.0.1.
set -u

: "${CDNALLOW:?}" "${FIXTURES_DIR:?}" "${TESTS_DIR:?}"
. "$TESTS_DIR/integration/lib/https_server.sh"
[ -n "$PY" ] || { echo "SKIP: python3 missing"; exit 77; }
command -v openssl >/dev/null || { echo "SKIP: openssl missing"; exit 77; }
[ -x "$CDNALLOW" ] || { echo "SKIP: $CDNALLOW not built"; exit 77; }

# a test CA and certificates (good, wrong name, untrusted CA) in $T
https_server_start "$FIXTURES_DIR" || { echo "FAIL: test server did not start"; exit 1; }
U_WRONGNAME="https://127.0.0.1:$(cat "$T/port-wrongname")"
U_UNTRUSTED="https://127.0.0.1:$(cat "$T/port-untrusted")"
U_HTTP="http://127.0.0.1:$(cat "$T/port-http")"
export CDNALLOW_TEST_FAST_RETRY=1
CF4=cloudflare-ips-v4.txt
CF6=cloudflare-ips-v6.txt

cat >"$T/check.py" <<'PY'
import argparse, ipaddress, json, os, sys

ap = argparse.ArgumentParser()
ap.add_argument("--case"); ap.add_argument("--out"); ap.add_argument("--err")
ap.add_argument("--rc", type=int); ap.add_argument("--want-rc", type=int, default=0)
ap.add_argument("--status", action="append", default=[])
ap.add_argument("--expect", default="")
ap.add_argument("--contains", action="append", default=[])
ap.add_argument("--stderr", action="append", default=[])
ap.add_argument("--log"); ap.add_argument("--log-from", type=int, default=0)
ap.add_argument("--log-count", action="append", default=[])
ap.add_argument("--log-inm", action="append", default=[])
ap.add_argument("--log-none", action="store_true")
a = ap.parse_args()
fx = os.environ["FIXTURES_DIR"]
bad = []

def load(name):
    with open(os.path.join(fx, name)) as f:
        return f.read()

def text(name):
    return [l.strip() for l in load(name).splitlines() if l.strip()]

def expected(providers):
    nets = []
    for p in providers:
        if p == "cloudflare":
            nets += text("cloudflare-ips-v4.txt") + text("cloudflare-ips-v6.txt")
        elif p == "fastly":
            j = json.loads(load("fastly.json"))
            nets += j["addresses"] + j["ipv6_addresses"]
        elif p == "gcore":
            j = json.loads(load("gcore.json"))
            nets += j["addresses"] + j["addresses_v6"]
        elif p == "cloudfront":
            j = json.loads(load("aws-ip-ranges.json"))
            svc = "CLOUDFRONT_ORIGIN_FACING"
            nets += [r["ip_prefix"] for r in j["prefixes"] if r["service"] == svc]
            nets += [r["ipv6_prefix"] for r in j["ipv6_prefixes"] if r["service"] == svc]
        else:
            raise SystemExit("unknown provider " + p)
    nets = [ipaddress.ip_network(n) for n in nets]
    out = {}
    for v in (4, 6):
        agg = ipaddress.collapse_addresses([n for n in nets if n.version == v])
        out[v] = [str(n) for n in sorted(agg, key=lambda n: (int(n.network_address), n.prefixlen))]
    return out

err = open(a.err).read()
if a.rc != a.want_rc:
    bad.append("exit %d, expected %d" % (a.rc, a.want_rc))
doc = None
if a.want_rc == 0:
    try:
        doc = json.load(open(a.out))
    except Exception as e:
        bad.append("stdout is not JSON: %s" % e)
if doc is not None:
    if doc.get("format") != "cdnallow-ranges/1":
        bad.append("format is %r" % doc.get("format"))
    srcs = {s["name"]: s for s in doc.get("sources", [])}
    for st in a.status:
        name, want = st.split("=")
        got = srcs.get(name, {}).get("status")
        if got != want:
            bad.append("source %s: status %r, expected %r (error: %s)"
                       % (name, got, want, srcs.get(name, {}).get("error")))
    for c in a.contains:
        name, sub = c.split(":", 1)
        e = srcs.get(name, {}).get("error") or ""
        if sub not in e:
            bad.append("source %s: error %r lacks %r" % (name, e, sub))
    if a.expect:
        want = expected(a.expect.split(","))
        for v, key in ((4, "ipv4"), (6, "ipv6")):
            got = doc.get(key)
            if got != want[v]:
                gs, ws = set(got or []), set(want[v])
                bad.append("%s differs from the fixtures: %d vs %d prefixes, missing %s, extra %s"
                           % (key, len(got or []), len(want[v]), sorted(ws - gs)[:5],
                              sorted(gs - ws)[:5]))
        total = sum(s.get("count", 0) for s in doc["sources"])
        if len(a.expect.split(",")) == 1 and total != len(want[4]) + len(want[6]):
            bad.append("source count %d != %d" % (total, len(want[4]) + len(want[6])))
else:
    for c in a.contains:
        if c.split(":", 1)[1] not in err:
            bad.append("stderr lacks %r" % c.split(":", 1)[1])
for s in a.stderr:
    if s not in err:
        bad.append("stderr lacks %r" % s)
if a.log:
    recs = [json.loads(l) for l in open(a.log).read().splitlines()[a.log_from:]]
    if a.log_none and recs:
        bad.append("expected no request, got %s" % [r["path"] for r in recs])
    for lc in a.log_count:
        path, n = lc.rsplit("=", 1)
        got = sum(1 for r in recs if r["path"] == path)
        if got != int(n):
            bad.append("%s requested %d times, expected %s" % (path, got, n))
    for path in a.log_inm:
        rs = [r for r in recs if r["path"] == path]
        if not rs or any(not r["inm"] for r in rs) or any(r["status"] != 304 for r in rs):
            bad.append("%s: expected conditional requests answered 304: %s" % (path, rs))
    for r in recs:
        if not (r.get("ua") or "").startswith("cdnallow/"):
            bad.append("User-Agent %r" % r.get("ua"))
            break
if bad:
    print("FAIL %s:\n  %s" % (a.case, "\n  ".join(bad)))
    print("  --- stderr:\n" + err.rstrip())
    sys.exit(1)
print("ok   %s" % a.case)
PY

FAILS=0
# conf NAME RETRIES [EXTRA LINE...]: a config with the test CA and a short timeout
conf() {
	local name=$1 retries=$2
	shift 2
	{
		printf '[fetch]\nca_file = %s\ntimeout = 4\nretries = %s\n' "$T/ca.pem" "$retries"
		printf '%s\n' "$@"
	} >"$T/$name.conf"
}
cf_conf() { # NAME RETRIES URL_V4 URL_V6
	conf "$1" "$2" "[provider:cloudflare]" "url = $3, $4"
}
# run NAME STATE_DIR [CLI ARGS...]; then check CASE [check.py ARGS...]
run() {
	local name=$1 state=$2
	shift 2
	LOG_FROM=$(wc -l <"$T/requests.log" 2>/dev/null || echo 0)
	LAST_RUN=$name
	"$CDNALLOW" fetch -c "$T/$name.conf" --state-dir "$state" --json "$@" \
		>"$T/$name.out" 2>"$T/$name.err"
	echo $? >"$T/$name.rc"
}
check() { # CASE [check.py ARGS...], about the last run
	local name=$1 r=$T/$LAST_RUN
	shift
	touch "$T/requests.log"
	"$PY" "$T/check.py" --case "$name" --out "$r.out" --err "$r.err" \
		--rc "$(cat "$r.rc")" --log "$T/requests.log" --log-from "$LOG_FROM" "$@" ||
		FAILS=$((FAILS + 1))
}
seeded() { # a copy of the state dir whose cache holds the good cloudflare lists
	rm -rf "$T/st-$1"
	cp -a "$T/seed" "$T/st-$1"
	echo "$T/st-$1"
}
fresh_state() {
	rm -rf "$T/st-$1"
	mkdir -m 700 "$T/st-$1"
	echo "$T/st-$1"
}

# --- fresh, then 304 (the seed of every "cached" case below)
cf_conf fresh 2 "$U/ok/$CF4" "$U/ok/$CF6"
run fresh "$(fresh_state fresh)"
check fresh --status cloudflare=fresh --expect cloudflare

mkdir -m 700 "$T/seed"
cf_conf etag 2 "$U/etag/$CF4" "$U/etag/$CF6"
run etag "$T/seed"
check etag --status cloudflare=fresh --expect cloudflare --log-count "/etag/$CF4=1"
run etag "$T/seed"
check etag-304 --status cloudflare=not-modified --expect cloudflare \
	--log-inm "/etag/$CF4" --log-inm "/etag/$CF6"

# the parsed list kept for 304s is only an optimisation: without it, the same result
rm -f "$T"/seed/cache/cloudflare-*.64.*
run etag "$T/seed"
check etag-304-reparse --status cloudflare=not-modified --expect cloudflare
ls "$T"/seed/cache/cloudflare-*.64.body >/dev/null 2>&1 ||
	{ echo "FAIL etag-304-reparse: the parsed list was not stored again"; FAILS=$((FAILS + 1)); }

# one endpoint 304 (validators from the parsed-list cache), the other 200
cf_conf etag-mixed 2 "$U/etag/$CF4" "$U/ok/$CF6"
run etag-mixed "$(seeded etag-mixed)"
check etag-mixed --status cloudflare=fresh --expect cloudflare --log-inm "/etag/$CF4"

cf_conf redirect 2 "$U/redirect/$CF4" "$U/ok/$CF6"
run redirect "$(fresh_state redirect)"
check redirect --status cloudflare=fresh --expect cloudflare

# transient: 503 twice, then fine (retries = 2)
cf_conf flaky 2 "$U/flaky/2/$CF4" "$U/ok/$CF6"
run flaky "$(fresh_state flaky)"
check flaky --status cloudflare=fresh --expect cloudflare --log-count "/flaky/2/$CF4=3"

# --- failures with a good cache: the cached copy, and the message says why
fail_case() { # NAME RETRIES URL_V4 EXPECTED_SUBSTRING [check ARGS...]
	local name=$1 retries=$2 url=$3 why=$4
	shift 4
	cf_conf "$name" "$retries" "$url" "$U/ok/$CF6"
	run "$name" "$(seeded "$name")"
	check "$name" --status cloudflare=cached --expect cloudflare \
		--contains "cloudflare:source 'cloudflare'" --contains "cloudflare:$why" \
		--stderr "source 'cloudflare'" --stderr "$why" "$@"
}
fail_case http500 2 "$U/500" "HTTP 500 (after 3 attempts)" --log-count /500=3
fail_case http404 2 "$U/404" "HTTP 404" --log-count /404=1
fail_case http403 2 "$U/403" "HTTP 403" --log-count /403=1
fail_case slow 0 "$U/slow/$CF4" "transfer too slow"
fail_case hang 0 "$U/hang" "timeout"
fail_case truncated 1 "$U/truncated/$CF4" "truncated body" --log-count "/truncated/$CF4=2"
fail_case huge 2 "$U/huge" "body larger than the 16 MiB cap (max_size)" --log-count /huge=1
fail_case huge-stream 2 "$U/huge-stream" "body larger than the 16 MiB cap (max_size)"
fail_case garbage 2 "$U/garbage" "cannot be parsed"
fail_case empty 2 "$U/empty" "gave an empty list (0 prefixes)"
fail_case poison 2 "$U/poison/$CF4" "prefix 0.0.0.0/0 refused (default route"
fail_case private 2 "$U/private/$CF4" "refused (private-use 10.0.0.0/8)"
fail_case redirect-http 2 "$U/redirect-http/$CF4" "redirect to plain http refused"
fail_case redirect-loop 2 "$U/redirect-loop" "more than 3 redirects"
fail_case wrongname 2 "$U_WRONGNAME/ok/$CF4" "TLS certificate verify failed"
fail_case untrusted 2 "$U_UNTRUSTED/ok/$CF4" "TLS certificate verify failed"
fail_case plain-http 2 "$U_HTTP/ok/$CF4" "plain http URL '$U_HTTP/ok/$CF4' refused"

# shrink against the count last applied (state.json as sync writes it)
S=$(seeded shrunk)
"$PY" - "$S" <<'PY'
import json, sys, time
now = int(time.time())
json.dump({"version": 1, "last_run": now, "last_success": now, "result": 0,
           "backend": "nftables", "mode": "allow", "count": {"ipv4": 15, "ipv6": 7},
           "sources": [{"name": "cloudflare", "status": "fresh", "count": 22,
                        "data_time": now}]}, open(sys.argv[1] + "/state.json", "w"))
PY
cf_conf shrunk 2 "$U/shrunk/$CF4" "$U/shrunk/$CF6"
run shrunk "$S"
check shrunk --status cloudflare=cached --expect cloudflare \
	--contains "cloudflare:shrank from 22 to" --contains "cloudflare:max_shrink is 30%"
run shrunk "$S" --force
check shrunk-force --status cloudflare=fresh --stderr="--force" --stderr="shrank from 22 to"

# plain http is fine for a source marked insecure
conf insecure 2 "[provider:cloudflare]" "url = $U_HTTP/ok/$CF4, $U_HTTP/ok/$CF6" "insecure = true"
run insecure "$(fresh_state insecure)"
check insecure --status cloudflare=fresh --expect cloudflare

# offline: no request at all, the cache
cf_conf offline 2 "$U/ok/$CF4" "$U/ok/$CF6"
run offline "$(seeded offline)" --offline
check offline --status cloudflare=cached --expect cloudflare --contains "cloudflare:offline" \
	--log-none

# --- no cache: the built-in snapshot (same fixtures), with its age
cf_conf snapshot 2 "$U/500" "$U/ok/$CF6"
run snapshot "$(fresh_state snapshot)"
check snapshot --status cloudflare=snapshot --expect cloudflare \
	--contains "cloudflare:HTTP 500" --stderr "days old"
cf_conf snapshot-tls 0 "$U_UNTRUSTED/ok/$CF4" "$U_UNTRUSTED/ok/$CF6"
run snapshot-tls "$(fresh_state snapshot-tls)"
check snapshot-tls --status cloudflare=snapshot --expect cloudflare \
	--contains "cloudflare:TLS certificate verify failed"
conf snapshot-empty 0 "[provider:fastly]" "url = $U/empty"
run snapshot-empty "$(fresh_state snapshot-empty)" -p fastly
check snapshot-empty --status fastly=snapshot --expect fastly \
	--contains "fastly:list is empty (0 prefixes)"

# --- nothing usable: refused, loudly, exit 1
conf refused 0
run refused "$(fresh_state refused)" -s "$U/404"
check refused --want-rc 1 --stderr "source '$U/404'" --stderr "HTTP 404"

# --- the done-condition: four providers at once, exactly the union of the fixtures
conf union 2 \
	"[provider:cloudflare]" "url = $U/ok/$CF4, $U/ok/$CF6" \
	"[provider:fastly]" "url = $U/ok/fastly.json" \
	"[provider:cloudfront]" "url = $U/ok/aws-ip-ranges.json" \
	"[provider:gcore]" "url = $U/ok/gcore.json"
run union "$(fresh_state union)" -p cloudflare,fastly,cloudfront,gcore
check union --status cloudflare=fresh --status fastly=fresh --status cloudfront=fresh \
	--status gcore=fresh --expect cloudflare,fastly,cloudfront,gcore

if [ "$FAILS" -gt 0 ]; then
	echo "$FAILS case(s) failed"
	exit 1
fi
echo "all fetch cases passed"
