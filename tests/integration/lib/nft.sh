# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Helpers of the nftables backend tests (source after netns.sh): run the real
# binary inside a namespace, list a set's elements, record `nft monitor` around
# a command, and print the ruleset without cdnallow's own table so the tests can
# prove every other table is left byte-identical. Made-up lists: 5.1.N.0/24
# prefixes are never routed anywhere, 203.0.113.0/24 holds the "cdn" host.

: "${CDNALLOW:?CDNALLOW must point at the cdnallow binary}"

# nft_conf FILE MODE [extra INI lines...]
nft_conf() {
	local f=$1 mode=$2
	shift 2
	{
		printf '[cdnallow]\nmode = %s\nports = 80, 443\n[guard]\nallow_test_ranges = true\n' "$mode"
		printf '%s\n' "$@"
	} >"$f"
}

# nft_list FILE FIRST LAST [STEP]: 5.1.N.0/24 for N in FIRST..LAST plus the cdn ranges.
nft_list() {
	local f=$1 i
	{
		echo "# made-up test list"
		echo "203.0.113.0/24"
		echo "2001:db8:cd::/48"
		for i in $(seq "$2" "${4:-2}" "$3"); do
			echo "5.1.$i.0/24"
		done
	} >"$f"
}

# nft_src HOST LIST: copies LIST to the one path HOST syncs from, so that the
# source keeps its name (the guard's shrink rule compares by source name).
nft_src() {
	cp "$2" "$NETNS_TMP/src-$1.txt"
	echo "$NETNS_TMP/src-$1.txt"
}

# nft_sync HOST CONF LIST [ARGS...]: cdnallow sync with the nftables backend.
nft_sync() {
	nft_cmd "$1" sync "$2" "$3" "${@:4}"
}

nft_cmd() { # HOST COMMAND CONF LIST [ARGS...]
	local host=$1 cmd=$2 conf=$3 src
	src=$(nft_src "$host" "$4")
	shift 4
	netns_exec "$host" "$CDNALLOW" "$cmd" -q -b nftables -c "$conf" -s "$src" \
		--state-dir "$NETNS_TMP/state-$host" "$@"
}

# nft_elems HOST FAMILY TABLE SET: the set's elements, one a line, sorted.
nft_elems() {
	netns_exec "$1" nft list set "$2" "$3" "$4" |
		sed -n '/elements = {/,/}/p' | tr -d ' \t{}' | sed 's/elements=//' | tr ',' '\n' |
		sed '/^$/d' | sort
}

# nft_list_elems LIST FAMILY(4|6): the prefixes of a list file, sorted.
nft_list_elems() {
	if [ "$2" = 4 ]; then
		grep -E '^[0-9.]+/' "$1" | sort
	else
		grep -E '^[0-9a-f:]+/' "$1" | sort
	fi
}

# nft_others HOST: the ruleset without table inet cdnallow.
nft_others() {
	netns_exec "$1" nft list ruleset | awk '
		/^table inet cdnallow \{/ { skip = 1; next }
		skip && /^}/ { skip = 0; next }
		!skip'
}

# nft_marker HOST OUT N: commits a throwaway table in HOST and waits (up to 10 s)
# until `nft monitor` has written its deletion to OUT: from then on the monitor
# is subscribed, and every event committed before the marker is in OUT.
nft_marker() {
	local host=$1 out=$2 t="ip nft_monitor_marker_$3" i
	for i in $(seq 100); do
		netns_exec "$host" nft "add table $t; delete table $t" || return 1
		has -F "delete table $t" "$out" && return 0
		sleep 0.1
	done
	return 1
}

# nft_monitored HOST OUT CMD...: runs CMD with `nft monitor` recording into OUT
# exactly the events CMD committed: markers before and after, no sleeps.
nft_monitored() {
	local host=$1 out=$2 pid rc
	shift 2
	netns_exec "$host" nft monitor >"$out.raw" 2>&1 &
	pid=$!
	nft_marker "$host" "$out.raw" start ||
		netns_fail "nft monitor did not start: $(cat "$out.raw")"
	"$@"
	rc=$?
	nft_marker "$host" "$out.raw" end || netns_fail "nft monitor missed the end marker"
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	# drop the markers' transactions (their lines and the generation comment after them)
	awk '/nft_monitor_marker_/ { gen = /^delete table/; next }
		gen && /^# new generation/ { gen = 0; next } { gen = 0; print }' "$out.raw" >"$out"
	rm -f "$out.raw"
	return $rc
}
