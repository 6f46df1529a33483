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

# nft_monitored HOST OUT CMD...: runs CMD with `nft monitor` recording into OUT.
nft_monitored() {
	local host=$1 out=$2 pid rc
	shift 2
	netns_exec "$host" nft monitor >"$out" 2>&1 &
	pid=$!
	sleep 0.3
	"$@"
	rc=$?
	sleep 0.3
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return $rc
}
