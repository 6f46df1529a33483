#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tools/update-snapshot without the network: it downloads from a loopback
# HTTPS server (lib/https_server.py, a test CA made for this run) serving real
# provider payloads in place of the live endpoints, and reads --from a folder.
# A new list replaces the files byte-exact, rewrites their capture dates in
# MANIFEST, logs the refresh in SOURCES.md and prints +/- prefixes per
# provider; an error page, an empty body or a failed download changes nothing.
# Works on copies of data/snapshot/; needs neither root nor network.
set -u

: "${CDNALLOW:?}" "${FIXTURES_DIR:?}" "${TESTS_DIR:?}" "${BUILD_DIR:?}"
. "$TESTS_DIR/integration/lib/https_server.sh"
. "$TESTS_DIR/integration/lib/common.sh"
[ -n "$PY" ] || { echo "SKIP: python3 missing"; exit 77; }
command -v openssl >/dev/null || { echo "SKIP: openssl missing"; exit 77; }
[ -x "$CDNALLOW" ] || { echo "SKIP: $CDNALLOW not built"; exit 77; }
top=$(cd "$TESTS_DIR/.." && pwd)
UPD=$top/tools/update-snapshot
SNAP=$top/data/snapshot
fail() {
	echo "FAIL: $*"
	[ ! -s "$T/err" ] || sed 's/^/    stderr: /' "$T/err"
	exit 1
}

# what the server serves: today's payloads, AWS's ip-ranges.json replaced by the
# real CloudFront edge list (a format the cloudfront provider reads, with other
# prefixes: a real diff)
served=$(mktemp -d /tmp/cdna-upd-XXXXXX)
cp -L "$SNAP"/* "$served/"
cp "$FIXTURES_DIR/aws-cloudfront-list.json" "$served/aws-ip-ranges.json"
https_server_start "$served" || fail "test server did not start"
trap 'https_server_stop; rm -rf "$served"' EXIT

# run NAME ARGS...: update-snapshot on a fresh copy of data/snapshot in $T/NAME
run() {
	local name=$1
	shift
	rm -rf "${T:?}/$name"
	cp -a "$SNAP" "$T/$name"
	"$UPD" --build "$BUILD_DIR" --snapshot-dir "$T/$name" "$@" >"$T/out" 2>"$T/err"
	RC=$?
}

# 1. a refresh over HTTPS with a real change
run https --base-url "$U/ok" --cacert "$T/ca.pem"
[ "$RC" = 0 ] || fail "refresh over https: exit $RC"
for f in cloudflare-ips-v4.txt cloudflare-ips-v6.txt fastly.json aws-ip-ranges.json \
	google-goog.json google-cloud.json gcore.json cdn77.json quic-cloud-ips.html \
	cloudflare-jdcloud.json arvancloud-ips.txt; do
	cmp -s "$served/$f" "$T/https/$f" || fail "$f is not the served body byte for byte"
done
for f in akamai-v4.txt akamai-v6.txt azure-servicetags-public.json imperva.json; do
	cmp -s "$SNAP/$f" "$T/https/$f" || fail "$f (no public endpoint) was changed"
done
ok "the downloaded bodies replace the files byte-exact; hand-refreshed ones are kept"

"$PY" - "$SNAP/MANIFEST" "$T/https/MANIFEST" "$FIXTURES_DIR" "$T/out" <<'EOF' || fail "diff/dates"
import ipaddress, json, re, sys, time
old, new, fixtures, out = sys.argv[1:]
rows = lambda p: [l.rstrip("\n").split("\t") for l in open(p) if l.strip() and l[0] != "#"]
now = time.strftime("%Y-%m-%d", time.gmtime())
for o, n in zip(rows(old), rows(new)):
    assert o[0] == n[0] and o[2:] == n[2:], (o, n)
    if o[3] == "-":
        assert n[1] == o[1], n          # refreshed by hand: date kept
    else:
        assert n[1].startswith(now) and re.fullmatch(r"\S+T\S+Z", n[1]), n
# cloudfront's +/- lines: its origin-facing ranges before, the whole edge list after
def collapse(nets):
    return {str(x) for v in (4, 6) for x in ipaddress.collapse_addresses([n for n in nets if n.version == v])}
aws = json.load(open(fixtures + "/aws-ip-ranges.json"))
a = collapse([ipaddress.ip_network(p["ip_prefix"]) for p in aws["prefixes"] if p["service"] == "CLOUDFRONT_ORIGIN_FACING"] +
             [ipaddress.ip_network(p["ipv6_prefix"]) for p in aws["ipv6_prefixes"] if p["service"] == "CLOUDFRONT_ORIGIN_FACING"])
edge = json.load(open(fixtures + "/aws-cloudfront-list.json"))
b = collapse([ipaddress.ip_network(x) for k in edge for x in edge[k]])
text = open(out).read()
sect = text.split("cloudfront: ")[1].split("\ngoogle: ")[0]
plus = {l[4:] for l in sect.splitlines() if l.startswith("  + ")}
minus = {l[4:] for l in sect.splitlines() if l.startswith("  - ")}
assert plus == b - a and minus == a - b and plus and minus, (len(plus), len(minus))
assert sect.startswith("+%d -%d " % (len(plus), len(minus))), sect[:40]
assert re.search(r"^google: \+0 -0 ", text, re.M), text
assert re.search(r"^cloudflare: \+0 -0 ", text, re.M), text[:200]
EOF
ok "capture dates of the fetched files are today's; cloudfront's +/- lines are the real difference"

has -c '^| [0-9-]*T[0-9:]*Z | aws-ip-ranges.json | https://127.0.0.1' "$T/https/SOURCES.md" ||
	fail "SOURCES.md does not log the refresh"
"$BUILD_DIR/gen_snapshot" "$T/https" "$T/snap.c" || fail "gen_snapshot refuses the result"
has -F '"google"' "$T/snap.c" || fail "no google snapshot generated"
has -F '"cloudfront"' "$T/snap.c" || fail "no cloudfront snapshot generated"
ok "SOURCES.md logs the refresh and the build's generator accepts the result"

# 2. --dry-run: the same checks and report, nothing written
run dry --base-url "$U/ok" --cacert "$T/ca.pem" --dry-run
[ "$RC" = 0 ] || fail "dry run: exit $RC"
has '^cloudfront: +[1-9]' "$T/out" || fail "dry run does not report the change"
diff -r "$SNAP" "$T/dry" >/dev/null || fail "dry run changed the snapshot folder"
ok "--dry-run reports and writes nothing"

# 3. bad bodies (real error payloads scraped from these endpoints) and a failed
# download: exit 1, the provider named, the folder exactly as it was
bad_case() { # NAME FILE-IN-SNAPSHOT PAYLOAD WANT-IN-STDERR
	rm -rf "${T:?}/from"
	cp -a "$served" "$T/from"
	if [ -n "$3" ]; then cp "$FIXTURES_DIR/$3" "$T/from/$2"; else rm "$T/from/$2"; fi
	run "$1" --from "$T/from"
	[ "$RC" = 1 ] || fail "$1: exit $RC, expected 1"
	has -F "$4" "$T/err" || fail "$1: stderr lacks '$4'"
	diff -r "$SNAP" "$T/$1" >/dev/null || fail "$1: the snapshot folder was changed"
	ok "$1: refused ($4), nothing changed"
}
bad_case html-error cloudflare-ips-v4.txt cloudflare-ips-v4-error-500.html "cloudflare:"
bad_case empty-body fastly.json fastly-error-empty.txt "fastly:"
bad_case missing-body gcore.json "" "gcore.json: not in"
rm -f "$served/gcore.json"
run download --base-url "$U/ok" --cacert "$T/ca.pem"
[ "$RC" = 1 ] || fail "failed download: exit $RC"
has -F "gcore.json: download of $U/ok/gcore.json failed" "$T/err" || fail "download message"
diff -r "$SNAP" "$T/download" >/dev/null || fail "failed download changed the folder"
ok "a failed download (HTTP 404) changes nothing"
echo "PASS: $pass checks"
