# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Shell helpers of the ufw tests and benchmark (source after netns.sh): a real
# ufw inside the "origin" network namespace plus a private mount namespace in
# which /etc/ufw, /usr/lib/ufw and /etc/default are tmpfs copies, so `ufw
# enable`, every rule and every file ufw writes stay in the test. Nothing here
# runs ufw, ipset or iptables outside that namespace pair.
#
#   ufw_start HOST      mount namespace + `ufw --force enable` in netns HOST
#   ufw_exec CMD...     runs CMD in HOST's network and private mount namespace
#   ufw_sync ARGS...    runs $CDNALLOW ARGS there, with a ufw wrapper that logs
#                       every ufw call to $UFW_CALLS (ufw_calls counts them)
#   ufw_user_rules_minus_ours   user.rules + user6.rules without cdnallow's rules
#   ufw_ours_count      number of cdnallow rules (tuples with a cdnallow comment)

UFW_PID=
UFW_DIR=
UFW_CALLS=
# hex of "cdnallow", as ufw stores comments
UFW_OURS_HEX=63646e616c6c6f77

ufw_require() {
	local t
	for t in ufw ipset iptables nsenter unshare python3; do
		command -v "$t" >/dev/null 2>&1 || netns_skip "needs $t"
	done
}

ufw_exec() {
	nsenter -t "$UFW_PID" -m -n -- "$@"
}

ufw_start() {
	local host=$1 i
	UFW_DIR="$NETNS_TMP/ufw-$host"
	mkdir -p "$UFW_DIR/bin"
	# pristine copies, taken before the tmpfs mounts hide the originals
	cp -a /etc/ufw "$UFW_DIR/etc-ufw"
	cp -a /usr/lib/ufw "$UFW_DIR/lib-ufw"
	cp -a /etc/default "$UFW_DIR/etc-default"
	UFW_CALLS="$UFW_DIR/ufw-calls.log"
	: >"$UFW_CALLS"
	cat >"$UFW_DIR/bin/ufw" <<-WRAP
		#!/bin/sh
		echo "ufw \$*" >>"$UFW_CALLS"
		exec $(command -v ufw) "\$@"
	WRAP
	chmod +x "$UFW_DIR/bin/ufw"
	netns_exec "$host" unshare -m --propagation private sh -c '
		set -e
		d=$1
		mount -t tmpfs tmpfs /etc/ufw
		cp -a "$d/etc-ufw/." /etc/ufw/
		mount -t tmpfs tmpfs /usr/lib/ufw
		cp -a "$d/lib-ufw/." /usr/lib/ufw/
		mount -t tmpfs tmpfs /etc/default
		cp -a "$d/etc-default/." /etc/default/
		echo $$ >"$d/holder.pid"
		exec sleep infinity
	' ufw-holder "$UFW_DIR" >"$UFW_DIR/holder.log" 2>&1 &
	NETNS_PIDS+=($!)
	for i in $(seq 50); do
		[ -s "$UFW_DIR/holder.pid" ] && break
		sleep 0.1
	done
	UFW_PID=$(cat "$UFW_DIR/holder.pid" 2>/dev/null)
	[ -n "$UFW_PID" ] || netns_fail "ufw holder did not start: $(cat "$UFW_DIR/holder.log")"
	# the private copy must be what ufw sees, never the host's /etc/ufw
	ufw_exec sh -c 'grep -q "^tmpfs /etc/ufw " /proc/mounts' || netns_fail "/etc/ufw is not private"
	ufw_exec ufw --force enable >/dev/null || netns_fail "ufw enable"
	ufw_exec iptables -S ufw-user-input >/dev/null || netns_fail "ufw chains not loaded"
}

# ufw_sync ARGS...: the real binary in the origin's namespaces, ufw calls logged.
ufw_sync() {
	ufw_exec env PATH="$UFW_DIR/bin:$PATH" "$CDNALLOW" "$@"
}

ufw_calls() {
	wc -l <"$UFW_CALLS"
}

ufw_calls_reset() {
	: >"$UFW_CALLS"
}

# Each ufw rule is a blank line, its tuple line and its -A lines; ours go.
ufw_user_rules_minus_ours() {
	ufw_exec cat /etc/ufw/user.rules /etc/ufw/user6.rules | awk -v hex="comment=$UFW_OURS_HEX" '
		/^$/ { if (held) print ""; held = 1; skip = 0; next }
		/^### tuple ### / && index($0, hex) { held = 0; skip = 1; next }
		skip && /^-A / { next }
		{ if (held) print ""; held = 0; skip = 0; print }
		END { if (held) print "" }'
}

ufw_ours_count() {
	ufw_exec cat /etc/ufw/user.rules /etc/ufw/user6.rules | grep -c "^### tuple ### .*comment=$UFW_OURS_HEX"
}

# Prefixes of our rules, sorted, one per line.
ufw_ours_prefixes() {
	ufw_exec cat /etc/ufw/user.rules /etc/ufw/user6.rules |
		awk -v hex="comment=$UFW_OURS_HEX" '/^### tuple ### / && index($0, hex) { print $9 }' | sort
}

# ufw_set_entries NAME: the members of an ipset, sorted.
ufw_set_entries() {
	ufw_exec ipset save "$1" 2>/dev/null | awk '$1 == "add" { print $3 }' | sort
}

# ufw_test_begin: what every ufw test starts with: the three-host topology, a
# real ufw enabled in the origin's namespaces, the binary under test; sets T.
ufw_test_begin() {
	netns_require
	ufw_require
	[ -n "${CDNALLOW:-}" ] && [ -x "$CDNALLOW" ] || netns_skip "CDNALLOW not set"
	netns_init ufw
	netns_topology
	ufw_start origin
	T=$NETNS_TMP
}
