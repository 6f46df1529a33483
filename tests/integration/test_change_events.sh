#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Change events with the real nftables backend in a fresh network namespace:
# a first sync and a changed list (prefixes added and removed) each run the
# [hooks] on_change script (a real script saving its stdin), which gets the
# change document with exactly those prefixes; a no-op sync runs nothing and
# records nothing; a hook that fails (exit 3) or hangs (killed at [hooks]
# timeout) leaves the sync successful; `cdnallow history` shows the events;
# the metrics file has cdnallow_ranges_changed_total; an [output:NAME] file
# rewritten alone is an event too.
set -u
. "$TESTS_DIR/integration/lib/netns.sh"
netns_require python3
. "$TESTS_DIR/integration/lib/nft.sh"
netns_init chg
T=$NETNS_TMP
netns_new origin

cat >"$T/hook.sh" <<EOF
#!/bin/sh
# saves each event as ev.N (N = events so far)
n=\$(ls "$T"/ev.* 2>/dev/null | wc -l)
cat >"$T/ev.\$n"
EOF
chmod 755 "$T/hook.sh"

conf() { # FILE ON_CHANGE [TIMEOUT]: one source, "office", and no built-in provider
	printf '[cdnallow]\nproviders =\nmode = lockdown\n[guard]\nallow_test_ranges = true\n' >"$1"
	printf '[source:office]\npath = %s\n[hooks]\non_change = %s\n' "$T/office.txt" "$2" >>"$1"
	[ -z "${3:-}" ] || printf 'timeout = %s\n' "$3" >>"$1"
}
run() { # CONF LIST [ARGS...]: sync, stderr in $T/err
	cp "$2" "$T/office.txt"
	netns_exec origin "$CDNALLOW" sync -b nftables -c "$1" --state-dir "$T/state" \
		--metrics-file "$T/metrics.prom" "${@:3}" >/dev/null 2>"$T/err"
}
events() { ls "$T"/ev.* 2>/dev/null | wc -l; }

conf "$T/c.conf" "$T/hook.sh"
nft_list "$T/l1" 0 20
run "$T/c.conf" "$T/l1" || netns_fail "first sync: $(cat "$T/err")"
[ "$(events)" = 1 ] || netns_fail "first sync: $(events) hook runs"
python3 - "$T/ev.0" "$T/l1" <<'EOF' || netns_fail "first event"
import json, sys
doc = json.load(open(sys.argv[1]))
want = [l.strip() for l in open(sys.argv[2]) if "/" in l and not l.startswith("#")]
src = doc["sources"]
assert [s["name"] for s in src] == ["office"], src
assert sorted(src[0]["ipv4"]["added"] + src[0]["ipv6"]["added"]) == sorted(want), src
assert doc["firewall"]["changed"] is True
EOF
ok "first sync: the hook gets every prefix as added"

# added: 5.1.44.0/24 and 2001:db8:ce::/48; removed: 5.1.0.0/24 and 5.1.2.0/24
grep -v -e '^5\.1\.0\.0/24' -e '^5\.1\.2\.0/24' "$T/l1" >"$T/l2"
printf '5.1.44.0/24\n2001:db8:ce::/48\n' >>"$T/l2"
run "$T/c.conf" "$T/l2" || netns_fail "changed list: $(cat "$T/err")"
[ "$(events)" = 2 ] || netns_fail "changed list: $(events) hook runs"
! has -i warning "$T/err" || netns_fail "changed list: $(cat "$T/err")"
python3 - "$T/ev.1" <<'EOF' || netns_fail "change event: $(cat "$T/ev.1")"
import json, re, sys
doc = json.load(open(sys.argv[1]))
assert doc["format"] == "cdnallow-change" and doc["version"] == 1, doc
assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", doc["time"]), doc["time"]
assert doc["backend"] == "nftables" and doc["mode"] == "lockdown", doc
d = {"ipv4": {"added": ["5.1.44.0/24"], "removed": ["5.1.0.0/24", "5.1.2.0/24"]},
     "ipv6": {"added": ["2001:db8:ce::/48"], "removed": []}}
assert doc["sources"] == [dict(name="office", **d)], doc["sources"]
fw = doc["firewall"]
assert fw["changed"] is True and fw["ipv4"] == d["ipv4"] and fw["ipv6"] == d["ipv6"], fw
EOF
[ "$(nft_elems origin inet cdnallow cdn4 | grep -c '^5\.1\.44\.0/24$')" = 1 ] ||
	netns_fail "5.1.44.0/24 not in the set"
ok "changed list: the hook gets exactly the added and removed prefixes"

run "$T/c.conf" "$T/l2" || netns_fail "no-op sync: $(cat "$T/err")"
[ "$(events)" = 2 ] || netns_fail "no-op sync ran the hook"
[ "$(wc -l <"$T/state/history.jsonl")" = 2 ] || netns_fail "no-op sync recorded an event: $(wc -l <"$T/state/history.jsonl") $(cut -c1-300 "$T/state/history.jsonl")"
ok "no-op sync: no hook, no history line"

netns_exec origin "$CDNALLOW" history -n 2 --json -c "$T/c.conf" --state-dir "$T/state" >"$T/h.json" ||
	netns_fail "history --json"
python3 - "$T/h.json" "$T/ev.0" "$T/ev.1" <<'EOF' || netns_fail "history: $(cat "$T/h.json")"
import json, sys
ev = json.load(open(sys.argv[1]))["events"]
assert ev == [json.load(open(sys.argv[2])), json.load(open(sys.argv[3]))], ev
EOF
netns_exec origin "$CDNALLOW" history -n 1 -v -c "$T/c.conf" --state-dir "$T/state" >"$T/h.txt" ||
	netns_fail "history"
has -E '^[0-9T:-]+Z  office +\+1/-2 IPv4  \+1/-0 IPv6$' "$T/h.txt" ||
	netns_fail "history text: $(cat "$T/h.txt")"
has -x '    +5.1.44.0/24' "$T/h.txt" && has -x '    -5.1.2.0/24' "$T/h.txt" ||
	netns_fail "history -v: $(cat "$T/h.txt")"
ok "history shows both events (--json: the hook's documents) and the counts"

# 13 prefixes added on the first sync (11 made-up + the two cdn ranges), 4 changes on the second
has -x 'cdnallow_ranges_changed_total{source="office"} 17' "$T/metrics.prom" ||
	netns_fail "metric: $(grep ranges_changed "$T/metrics.prom")"
has -x '# TYPE cdnallow_ranges_changed_total counter' "$T/metrics.prom" || netns_fail "type"
ok "metric cdnallow_ranges_changed_total counts every change"

conf "$T/fail.conf" "/bin/sh -c 'cat >/dev/null; echo hook broke >&2; exit 3'"
printf '5.1.46.0/24\n' >>"$T/l2"
run "$T/fail.conf" "$T/l2" || netns_fail "failing hook failed the sync: $(cat "$T/err")"
has 'on_change hook failed: exit status 3: hook broke' "$T/err" ||
	netns_fail "failing hook not reported: $(cat "$T/err")"
nft_elems origin inet cdnallow cdn4 | has -x '5.1.46.0/24' || netns_fail "not applied"
ok "a failing hook is a warning, the sync applies"

conf "$T/hang.conf" "sleep 30" 1
printf '5.1.48.0/24\n' >>"$T/l2"
start=$SECONDS
run "$T/hang.conf" "$T/l2" || netns_fail "hanging hook failed the sync: $(cat "$T/err")"
[ $((SECONDS - start)) -lt 20 ] || netns_fail "the hook was not killed at its timeout"
has 'on_change hook timed out after 1 s' "$T/err" || netns_fail "timeout: $(cat "$T/err")"
nft_elems origin inet cdnallow cdn4 | has -x '5.1.48.0/24' || netns_fail "not applied"
[ "$(wc -l <"$T/state/history.jsonl")" = 4 ] || netns_fail "history lines"
ok "a hanging hook is killed at [hooks] timeout, the sync applies"

# an output rewritten while the firewall stays as it is: an event naming only the output
conf "$T/o.conf" "$T/hook.sh"
printf '[output:plain]\nformat = text\npath = %s\n' "$T/plain.txt" >>"$T/o.conf"
n=$(events)
run "$T/o.conf" "$T/l2" || netns_fail "sync with an output: $(cat "$T/err")"
[ -s "$T/plain.txt" ] || netns_fail "output not written"
[ "$(events)" = $((n + 1)) ] || netns_fail "output change: no hook run"
python3 - "$T/ev.$n" <<'EOF' || netns_fail "output event: $(cat "$T/ev.$n")"
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["outputs"] == ["plain"] and doc["sources"] == [], doc
assert doc["firewall"]["changed"] is False, doc
EOF
run "$T/o.conf" "$T/l2" || netns_fail "no-op sync with an output: $(cat "$T/err")"
[ "$(events)" = $((n + 1)) ] || netns_fail "unchanged output ran the hook"
ok "an output rewritten alone is an event; unchanged, it is none"

echo "PASS: $pass checks"
