#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The trust boundary (issue 14), in fresh network namespaces: names the kernel
# hands back never become nft commands (a table named with a newline and a
# command holds a rule commented "cdnallow": flush refuses and inserts nothing).
set -u
. "$TESTS_DIR/integration/lib/netns.sh"
netns_require python3
. "$TESTS_DIR/integration/lib/nft.sh"
netns_init trust
T=$NETNS_TMP

# --- finding 8: a kernel name carrying a command
netns_new origin
netns_exec origin nft -f - <<'EOF' || netns_fail "admin ruleset"
table inet filter {
	chain input { type filter hook input priority 0; policy drop; iif lo accept; }
}
EOF
# The pasted command's first line must succeed for the injection to run: give it a rule to delete.
netns_exec origin nft add table inet x || netns_fail "table x"
netns_exec origin nft add chain inet x c || netns_fail "chain x c"
netns_exec origin nft add rule inet x c counter || netns_fail "rule in x c"
h=$(netns_exec origin nft -a list chain inet x c | sed -n 's/.*counter.*# handle \([0-9]*\).*/\1/p')
[ -n "$h" ] || netns_fail "handle of the rule in table x"
evil="x c handle $h\\ninsert rule inet filter input accept\\n#"
netns_exec origin nft -j -f - <<EOF || netns_fail "evil table"
{"nftables":[{"add":{"table":{"family":"inet","name":"$evil"}}},
{"add":{"chain":{"family":"inet","table":"$evil","name":"c"}}},
{"add":{"rule":{"family":"inet","table":"$evil","chain":"c","comment":"cdnallow","expr":[{"counter":null}]}}}]}
EOF
nft_conf "$T/lock.conf" lockdown
nft_list "$T/l1" 0 10
nft_sync origin "$T/lock.conf" "$T/l1" || netns_fail "sync"
netns_exec origin nft list table inet filter >"$T/filter.before"
rc=0
nft_cmd origin flush "$T/lock.conf" "$T/l1" 2>"$T/err" || rc=$?
diff -u "$T/filter.before" <(netns_exec origin nft list table inet filter) ||
	netns_fail "flush changed the admin's chain"
[ "$rc" = 1 ] || netns_fail "flush accepted an unsafe name (exit $rc)"
has 'not an nft identifier' "$T/err" || netns_fail "flush error: $(cat "$T/err")"
netns_exec origin nft list table inet cdnallow >/dev/null || netns_fail "flush removed part of it"
ok "flush refuses a kernel name holding a command and changes nothing"
netns_exec origin nft -j -f - <<EOF || netns_fail "remove evil table"
{"nftables":[{"delete":{"table":{"family":"inet","name":"$evil"}}}]}
EOF
nft_cmd origin flush "$T/lock.conf" "$T/l1" || netns_fail "flush once the name is gone"
! netns_exec origin nft list table inet cdnallow >/dev/null 2>&1 || netns_fail "table left"
ok "flush works again once the odd table is gone"

# --- finding 9: a state dir others can write is refused before anything is read or applied
netns_new st
nft_sync st "$T/lock.conf" "$T/l1" || netns_fail "sync st"
netns_exec st nft list ruleset >"$T/st.before"
for how in "chmod 0777" "chown 65534:65534"; do
	$how "$T/state-st"
	rc=0
	nft_sync st "$T/lock.conf" "$T/l1" --offline 2>"$T/err" || rc=$?
	[ "$rc" = 1 ] || netns_fail "$how state dir accepted (exit $rc)"
	has "state dir '$T/state-st' is owned by uid" "$T/err" || netns_fail "error: $(cat "$T/err")"
	has "fix: chown root:root" "$T/err" || netns_fail "no fix named: $(cat "$T/err")"
	diff -u "$T/st.before" <(netns_exec st nft list ruleset) || netns_fail "changed the firewall"
	chown 0:0 "$T/state-st"
	chmod 0700 "$T/state-st"
done
ok "a state dir writable by others or owned by another user is refused, firewall unchanged"
src=$(nft_src st "$T/l1")
chmod 0666 "$T/lock.conf" "$src"
netns_exec st "$CDNALLOW" sync -b nftables -c "$T/lock.conf" -s "$src" \
	--state-dir "$T/state-st" 2>"$T/err" >/dev/null || netns_fail "sync with a world-writable config"
has "config file '$T/lock.conf' is writable by every user" "$T/err" ||
	netns_fail "no warning about the config: $(cat "$T/err")"
has "'$src' is writable by every user" "$T/err" ||
	netns_fail "no warning about the list: $(cat "$T/err")"
chmod 0644 "$T/lock.conf" "$src"
ok "a world-writable config file or list file is warned about"

# --- finding 10: control characters from the network never reach the terminal raw
python3 - "$FIXTURES_DIR/aws-ip-ranges.json" "$T/cf.json" <<'EOF' || netns_fail "hostile CloudFront JSON"
import json, sys
d = json.load(open(sys.argv[1]))
for k in ("prefixes", "ipv6_prefixes"):
    for p in d.get(k, []):
        p["service"] = "EVIL\x1b]0;pwned\x07X\u009b2J"
json.dump(d, open(sys.argv[2], "w"), ensure_ascii=False)
EOF
printf '[provider:cloudfront]\npath = %s\n' "$T/cf.json" >"$T/cf.conf"
for fmt in "" --json; do
	netns_exec origin "$CDNALLOW" fetch $fmt -c "$T/cf.conf" -p cloudfront \
		--state-dir "$T/state-cf" >"$T/out" 2>"$T/err"
	has -a 'EVIL\\x1b\]0;pwned\\x07X\\xc2\\x9b2J' "$T/err" || netns_fail "escaped name: $(cat -v "$T/err")"
	! LC_ALL=C grep -aP '[\x00-\x08\x0b-\x1f\x7f]|\xc2[\x80-\x9f]' "$T/out" "$T/err" >/dev/null ||
		netns_fail "a control character reached the output: $(cat -v "$T/out" "$T/err")"
done
ok "a service name with ESC]0;...BEL and a C1 CSI is printed escaped (text and JSON)"

rc=0
netns_exec origin "$CDNALLOW" doctor -b nftables --domain 'a@host:8443' -c "$T/lock.conf" \
	--state-dir "$T/state-doc" >"$T/out" 2>"$T/err" || rc=$?
[ "$rc" = 1 ] || netns_fail "doctor took a@host:8443 (exit $rc): $(cat "$T/err")"
has "not a host name" "$T/err" || netns_fail "doctor --domain error: $(cat "$T/err")"
ok "doctor --domain refuses a@host:8443"

echo "PASS: $pass checks"
