#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The iptables backend's record of its ipsets (STATE_DIR/ipt.id, which refers to applied.rec):
# a first sync and a change run no `ipset` process at all (the headers are read
# over netlink, each block as `ipset list -t` prints it), a no-op re-sync reads
# no set back, and whatever an admin does to a set behind
# cdnallow's back (`ipset add`, `ipset del`) or to the record (a flipped byte)
# makes the next sync read that set back and repair it. The real ipset runs
# behind a logging wrapper first in PATH, in a fresh network namespace.
set -uo pipefail
# shellcheck source=lib/iptables.sh
. "$(dirname "$0")/lib/iptables.sh"
ipt_setup

real=$(command -v ipset)
mkdir -p "$IPT_TMP/bin"
calls=$IPT_TMP/ipset.calls
printf '#!/bin/sh\necho "$*" >>%q\nexec %q "$@"\n' "$calls" "$real" >"$IPT_TMP/bin/ipset"
chmod 755 "$IPT_TMP/bin/ipset"
ns=noop
st=$IPT_TMP/state-$ns

sync_logged() { # LIST: one sync with the wrapper, $calls holding only its ipset calls
	: >"$calls"
	ipt_in "$ns" env PATH="$IPT_TMP/bin:$PATH" "$CDNALLOW" -q sync -b iptables -c "$CONF" \
		-s "$1" --state-dir "$st"
}

ipt_ns_add "$ns"
ipt_in "$ns" iptables-nft -P INPUT DROP
python3 - "$IPT_TMP/list" <<'EOF'
import ipaddress, sys
base = int(ipaddress.IPv4Address("20.0.0.0"))
with open(sys.argv[1], "w") as f:
    for i in range(3000):
        f.write(f"{ipaddress.IPv4Address(base + 2 * i)}/32\n")
    f.write("2001:db8:1::/48\n2001:db8:2::/48\n")
EOF
want4=$(grep -c -v : "$IPT_TMP/list")

# the record holds each set's block exactly as ipset's own `list -t` prints it
record_is_ipset() {
	local f set
	for f in 4 6; do
		set=$(ipt_in "$ns" "$real" list -t "cdnallow$f" | tr '\n' '|' | sed 's/|$//')
		[ "$(sed -n "s/^set$f //p" "$st/ipt.id")" = "$set" ] ||
			ipt_fail "$1: the record of cdnallow$f is not ipset's header: $(cat "$st/ipt.id")"
	done
}

sync_logged "$IPT_TMP/list" || ipt_fail "first sync"
[ -s "$calls" ] && ipt_fail "first sync ran ipset: $(cat "$calls")"
[ -s "$st/ipt.id" ] && [ -s "$st/applied.rec" ] || ipt_fail "no record after the first sync"
[ -e "$st/ipt.applied" ] && ipt_fail "a second copy of the set beside applied.rec"
[ "$(ipt_set_entries "$ns" cdnallow4 | wc -l)" = "$want4" ] || ipt_fail "cdnallow4 is not the list"
record_is_ipset "first sync"
ok "first sync: no ipset process, the record is ipset's own header"

h4=$(ipt_set_header "$ns" cdnallow4)
sync_logged "$IPT_TMP/list" || ipt_fail "no-op sync"
[ -s "$calls" ] && ipt_fail "no-op sync ran ipset: $(cat "$calls")"
[ "$(ipt_set_header "$ns" cdnallow4)" = "$h4" ] || ipt_fail "no-op sync swapped cdnallow4"
ok "no-op: no ipset process, nothing read back, no swap"

# a change swaps the sets and keeps the rules: the headers come from the socket that swapped
sed 's/^20\.0\.0\.0\/32$/20.9.0.0\/32/' "$IPT_TMP/list" >"$IPT_TMP/list2"
sync_logged "$IPT_TMP/list2" || ipt_fail "sync of a change"
[ -s "$calls" ] && ipt_fail "a change ran ipset: $(cat "$calls")"
[ "$(ipt_set_header "$ns" cdnallow4)" = "$h4" ] && ipt_fail "the change did not swap cdnallow4"
record_is_ipset "change"
sync_logged "$IPT_TMP/list2" || ipt_fail "no-op after the change"
[ -s "$calls" ] && ipt_fail "no-op after the change ran ipset: $(cat "$calls")"
# a change reads applied.rec once, for the record: the set it holds is handed on (sources.rec's
# reference to it), not read again (LeakSanitizer cannot run under ptrace)
: >"$calls"
ipt_in "$ns" env PATH="$IPT_TMP/bin:$PATH" ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" strace -f -qq -e trace=open,openat -o "$IPT_TMP/opens" \
	"$CDNALLOW" -q sync -b iptables -c "$CONF" -s "$IPT_TMP/list" --state-dir "$st" ||
	ipt_fail "sync back to the first list"
[ -s "$calls" ] && ipt_fail "the change back ran ipset: $(cat "$calls")"
opens=$(grep -c 'applied\.rec"' "$IPT_TMP/opens")
[ "$opens" = 1 ] || ipt_fail "a change opened applied.rec $opens times, not once"
ok "a change: the record read after the swap matches the next run's listing, applied.rec read once"

ipt_in "$ns" "$real" add cdnallow4 192.0.2.77
sync_logged "$IPT_TMP/list" || ipt_fail "sync after an admin's ipset add"
has -x 'save cdnallow4' <"$calls" || ipt_fail "an admin's add went unseen: $(cat "$calls")"
has -x 'save cdnallow6' <"$calls" && ipt_fail "the untouched cdnallow6 was read back too"
ipt_in "$ns" "$real" test cdnallow4 192.0.2.77 2>/dev/null && ipt_fail "the admin's entry stayed"
[ "$(ipt_set_entries "$ns" cdnallow4 | wc -l)" = "$want4" ] || ipt_fail "cdnallow4 is not the list after the add"
ok "an admin's ipset add behind cdnallow's back: read back, removed"

ipt_in "$ns" "$real" del cdnallow6 2001:db8:2::/48
sync_logged "$IPT_TMP/list" || ipt_fail "sync after an admin's ipset del"
has -x 'save cdnallow6' <"$calls" || ipt_fail "an admin's del went unseen: $(cat "$calls")"
ipt_in "$ns" "$real" test cdnallow6 2001:db8:2::1 2>/dev/null || ipt_fail "the deleted entry is not back"
ok "an admin's ipset del: read back, restored"

sync_logged "$IPT_TMP/list" || ipt_fail "no-op after the repair"
[ -s "$calls" ] && ipt_fail "no-op after the repair ran ipset: $(cat "$calls")"
python3 - "$st/applied.rec" <<'EOF'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
b[32 + 5] ^= 0x40
open(p, "wb").write(b)
EOF
sync_logged "$IPT_TMP/list" || ipt_fail "sync with a damaged record"
has -x 'save cdnallow4' <"$calls" || ipt_fail "a damaged record was trusted: $(cat "$calls")"
[ "$(ipt_set_entries "$ns" cdnallow4 | wc -l)" = "$want4" ] || ipt_fail "cdnallow4 changed on a damaged record"
ok "a damaged record: read back, sets untouched"

ipt_in "$ns" "$CDNALLOW" -q flush -b iptables -c "$CONF" --state-dir "$st" || ipt_fail "flush"
[ -e "$st/ipt.id" ] && ipt_fail "flush kept the record"
ok "flush forgets the record"
