#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The CLI contract of docs/architecture.md §3 without any firewall: help/version, exit
# codes, `fetch -s FILE` (text and cdnallow JSON) against python's ipaddress
# as an independent reference, and clear file:line errors for bad lists.
set -euo pipefail
. "${TESTS_DIR:-$(dirname "$0")/..}/integration/lib/common.sh"
: "${CDNALLOW:?} ${FIXTURES_DIR:?}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

expect_rc() { # expected-rc description cmd...
	local want=$1 what=$2 rc=0; shift 2
	"$@" >"$work/out" 2>"$work/err" || rc=$?
	[ "$rc" -eq "$want" ] || { cat "$work/err"; fail "$what: exit $rc, want $want"; }
}

collapse() { # reference aggregation with python3 ipaddress
	python3 - "$@" <<'PY'
import ipaddress, sys
nets = []
for path in sys.argv[1:]:
    for line in open(path, encoding="utf-8"):
        line = line.split("#")[0].strip()
        if line:
            nets.append(ipaddress.ip_network(line, strict=False))
v4 = ipaddress.collapse_addresses(n for n in nets if n.version == 4)
v6 = ipaddress.collapse_addresses(n for n in nets if n.version == 6)
for n in list(v4) + list(v6):
    print(n)
PY
}

S=(--state-dir "$work/state")

expect_rc 0 "--help" "$CDNALLOW" --help
grep -q "usage: cdnallow" "$work/out" || fail "--help prints usage"
ok "--help"
expect_rc 0 "--version" "$CDNALLOW" --version
grep -Eq '^cdnallow [0-9]+\.[0-9]+\.[0-9]+$' "$work/out" || fail "--version format"
ok "--version"
expect_rc 1 "unknown command" "$CDNALLOW" frobnicate
grep -q "unknown command 'frobnicate'" "$work/err" || fail "unknown command message"
ok "unknown command exits 1"
expect_rc 1 "unknown option" "$CDNALLOW" fetch --frob
ok "unknown option exits 1"
expect_rc 1 "missing config" "$CDNALLOW" -c "$work/nope.conf" fetch -s "$FIXTURES_DIR/cloudflare-ips-v4.txt"
grep -q "nope.conf" "$work/err" || fail "missing explicit config is named"
ok "explicit missing config is an error"

for f in cloudflare-ips-v4.txt cloudflare-ips-v6-trailing-newline.txt akamai-v4.txt akamai-v6.txt; do
	expect_rc 0 "fetch $f" "$CDNALLOW" "${S[@]}" fetch -s "$FIXTURES_DIR/$f"
	collapse "$FIXTURES_DIR/$f" > "$work/want"
	diff -u "$work/want" "$work/out" || fail "fetch $f differs from ipaddress.collapse_addresses"
	ok "fetch -s $f equals the python reference"
done

# several sources are united and aggregated
expect_rc 0 "fetch union" "$CDNALLOW" "${S[@]}" fetch -s "$FIXTURES_DIR/cloudflare-ips-v4.txt" \
	-s "$FIXTURES_DIR/cloudflare-ips-v6.txt" -s "$FIXTURES_DIR/akamai-v4.txt"
collapse "$FIXTURES_DIR/cloudflare-ips-v4.txt" "$FIXTURES_DIR/cloudflare-ips-v6.txt" \
	"$FIXTURES_DIR/akamai-v4.txt" > "$work/want"
diff -u "$work/want" "$work/out" || fail "union differs"
ok "fetch unites several -s sources"

# --json is cdnallow-ranges/1 and is itself accepted as a source
expect_rc 0 "fetch --json" "$CDNALLOW" "${S[@]}" fetch --json -s "$FIXTURES_DIR/cloudflare-ips-v4.txt" \
	-s "$FIXTURES_DIR/cloudflare-ips-v6.txt"
cp "$work/out" "$work/ranges.json"
python3 - "$work/ranges.json" <<'PY' || fail "fetch --json shape"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["format"] == "cdnallow-ranges/1", d
assert len(d["ipv4"]) == 15 and len(d["ipv6"]) == 7, (len(d["ipv4"]), len(d["ipv6"]))
assert d["generated"].endswith("Z")
assert all(s["status"] == "fresh" for s in d["sources"]), d["sources"]
PY
expect_rc 0 "fetch from cdnallow json" "$CDNALLOW" "${S[@]}" fetch -s "$work/ranges.json"
collapse "$FIXTURES_DIR/cloudflare-ips-v4.txt" "$FIXTURES_DIR/cloudflare-ips-v6.txt" > "$work/want"
diff -u "$work/want" "$work/out" || fail "round trip through cdnallow-ranges/1"
ok "fetch --json output round-trips as a source"

# host bits: masked, with a warning naming the entry
printf '# made up\n192.0.2.77/24\n' > "$work/hostbits.txt"
printf '[guard]\nallow_test_ranges = true\n' > "$work/test.conf"
expect_rc 0 "host bits" "$CDNALLOW" -c "$work/test.conf" "${S[@]}" fetch -s "$work/hostbits.txt"
[ "$(cat "$work/out")" = "192.0.2.0/24" ] || fail "host bits masked"
grep -q "192.0.2.77/24" "$work/err" || fail "host bits warning names the entry"
ok "host bits are masked with a warning"

# a bad list: file:line, what is wrong, exit 1, nothing printed on stdout
printf '# made up\n203.0.113.0/24\n\n  203.0.113.300/24\n' > "$work/bad.txt"
expect_rc 1 "bad list" "$CDNALLOW" -c "$work/test.conf" "${S[@]}" fetch -s "$work/bad.txt"
grep -q "bad.txt:4" "$work/err" || { cat "$work/err"; fail "bad list names file:line"; }
grep -q "203.0.113.300/24" "$work/err" || fail "bad list names the entry"
[ ! -s "$work/out" ] || fail "no result on stdout for a bad list"
ok "a bad list fails with file:line and the entry"

# HTML error body and an empty body are refused, never an empty result
for f in cloudflare-ips-v4-error-502.html fastly-error-empty.txt; do
	expect_rc 1 "refuse $f" "$CDNALLOW" "${S[@]}" fetch -s "$FIXTURES_DIR/$f"
	[ ! -s "$work/out" ] || fail "$f printed a result"
	grep -q "$f" "$work/err" || fail "$f: message names the source"
	ok "$f is refused with a message naming it"
done

# poisoned list: the default route is refused
printf '# made up\n0.0.0.0/0\n' > "$work/poison.txt"
expect_rc 1 "poison" "$CDNALLOW" "${S[@]}" fetch -s "$work/poison.txt"
grep -q "0.0.0.0/0" "$work/err" || fail "poison message names the prefix"
ok "0.0.0.0/0 is refused"

# every clean public /8 minus one /24: 3,440 prefixes, none broader than /9, 86 % of IPv4.
# Each prefix passes the prefix rules; the address budget of a generic source refuses it.
python3 - "$work/everything.txt" <<'PY'
import ipaddress, sys
out = []
special = (10, 100, 127, 169, 172, 192, 198, 203)  # /8s holding a special-purpose range
for a in range(1, 224):
    if a in special:
        continue
    n = ipaddress.ip_network(f"{a}.0.0.0/8")
    out += [str(p) for p in n.address_exclude(ipaddress.ip_network(f"{a}.0.0.0/24"))]
assert len(out) == 3440, len(out)
open(sys.argv[1], "w").write("\n".join(out) + "\n")
PY
expect_rc 1 "everything" "$CDNALLOW" "${S[@]}" fetch -s "$work/everything.txt"
[ ! -s "$work/out" ] || fail "the 3,440-prefix list printed a result"
has -F "source '$work/everything.txt' has no usable list: IPv4 list covers 3607046400 addresses, more than its budget of 268435456" "$work/err" ||
	fail "budget message names source, family, addresses and limit"
ok "a list opening 86 % of IPv4 is refused by the generic budget"
expect_rc 0 "everything --force" "$CDNALLOW" "${S[@]}" --force fetch -s "$work/everything.txt"
has -F "ACCEPTED ONLY BECAUSE OF --force" "$work/err" || fail "--force overrides the budget loudly"
ok "--force overrides the budget, with a warning"
printf '[source:office]\npath = %s\nmax_addresses = 4G, /20\n' "$work/everything.txt" >"$work/big.conf"
expect_rc 0 "max_addresses" "$CDNALLOW" -c "$work/big.conf" "${S[@]}" fetch
ok "max_addresses raises one source's budget"
printf '8.8.8.8/8\n' >"$work/hostbits.txt"
expect_rc 1 "host bits" "$CDNALLOW" "${S[@]}" fetch -s "$work/hostbits.txt"
has -F "'8.8.8.8/8' has host bits set and is broader than /24: refused" "$work/err" || fail "host bits message"
ok "8.8.8.8/8 is refused, not widened to 8.0.0.0/8"

expect_rc 0 "providers" "$CDNALLOW" providers
for p in cloudflare fastly cloudfront google google-all gcore akamai azure-frontdoor bunny imperva \
	cdn77 quic-cloud cloudflare-china arvancloud; do
	grep -q "^$p " "$work/out" || fail "providers lists $p"
done
expect_rc 0 "providers --json" "$CDNALLOW" providers --json
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert {p["name"] for p in d} >= {"cloudflare","fastly"}' "$work/out" || fail "providers --json"
# every provider with a snapshot in data/snapshot/MANIFEST shows its capture date and age in days
# (bunny: no verbatim payload of its endpoints is in the tree, so no snapshot)
python3 -c '
import json, re, sys
d = json.load(open(sys.argv[1]))
snap = {p["name"] for p in d if p["snapshot_captured"]}
assert snap == {"cloudflare", "fastly", "cloudfront", "google", "gcore", "akamai",
                "azure-frontdoor", "google-all", "imperva", "cdn77", "quic-cloud",
                "cloudflare-china", "arvancloud"}, snap
for p in d:
    if p["name"] not in snap:
        assert p["snapshot_age_days"] == -1 and p["snapshot_age_s"] == -1, p
        continue
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", p["snapshot_captured"] or ""), p
    assert p["snapshot_age_days"] == p["snapshot_age_s"] // 86400 >= 0, p
' "$work/out" || fail "providers --json: snapshot_captured/snapshot_age_days"
"$CDNALLOW" providers >"$work/out" || fail "providers"
has "snapshot captured 2025-07-25 ([0-9]* days old)" "$work/out" || fail "providers: snapshot date of cloudflare"
has "floor 20, snapshot captured 2026-10-09 ([0-9]* days old)" "$work/out" ||
	fail "providers: snapshot date of quic-cloud"
has "floor 40, snapshot captured 2026-08-10 ([0-9]* days old)" "$work/out" ||
	fail "providers: snapshot date of cloudflare-china"
ok "providers lists every built-in provider (text and JSON) with its snapshot date"

echo "$pass passed, 0 failed"
