# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# Shared helpers of the iptables backend's integration tests and benchmark:
# throwaway network namespaces (named cdna-ipt-<pid>-<name>, deleted by the
# EXIT trap), veth links, TCP listeners and probes, and iptables-save dumps
# normalised for diffing. Never touches the host's own firewall: every
# firewall command runs inside one of these namespaces.

# shellcheck source=common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

IPT_NS_PREFIX="cdna-ipt-$$"
IPT_TMP=""
IPT_PIDS=()

ipt_fail() {
	echo "FAIL: $*" >&2
	exit 1
}

ipt_skip() {
	echo "SKIP: $*" >&2
	exit 77
}

ipt_cleanup() {
	local pid ns
	for pid in "${IPT_PIDS[@]}"; do
		kill "$pid" 2>/dev/null
	done
	wait 2>/dev/null
	for ns in $(ip netns list 2>/dev/null | awk '{print $1}'); do
		case "$ns" in "$IPT_NS_PREFIX"-*) ip netns del "$ns" 2>/dev/null ;; esac
	done
	[ -n "$IPT_TMP" ] && rm -rf "$IPT_TMP"
}

# Skips (exit 77) unless root, the tools and the binary are there; sets IPT_TMP, the trap, CONF.
ipt_setup() {
	local t
	[ "$(id -u)" = 0 ] || ipt_skip "needs root"
	[ -n "$CDNALLOW" ] && [ -x "$CDNALLOW" ] || ipt_skip "CDNALLOW is not set to the binary"
	for t in ip ipset iptables-legacy iptables-nft ip6tables-legacy ip6tables-nft timeout python3 strace; do
		command -v "$t" >/dev/null || ipt_skip "$t is not installed"
	done
	IPT_TMP=$(mktemp -d /tmp/cdna-ipt.XXXXXX)
	trap ipt_cleanup EXIT
	trap 'exit 1' INT TERM
	ip netns add "$IPT_NS_PREFIX-probe" 2>/dev/null || ipt_skip "cannot create network namespaces"
	ip netns exec "$IPT_NS_PREFIX-probe" ipset list -n >/dev/null 2>&1 || ipt_skip "no ipset in the kernel"
	ip netns del "$IPT_NS_PREFIX-probe"
	CONF="$IPT_TMP/cdnallow.conf"
	printf '[guard]\nallow_test_ranges = true\n' >"$CONF"
}

ipt_ns() {
	echo "$IPT_NS_PREFIX-$1"
}

# ipt_ns_add NAME: a fresh namespace with loopback up.
ipt_ns_add() {
	ip netns add "$(ipt_ns "$1")" || ipt_fail "cannot create namespace $1"
	ip -n "$(ipt_ns "$1")" link set lo up
}

# ipt_in NAME CMD...: runs CMD inside namespace NAME.
ipt_in() {
	local ns
	ns=$(ipt_ns "$1")
	shift
	ip netns exec "$ns" "$@"
}

# ipt_link A ADDR_A B ADDR_B [ADDR6_A ADDR6_B]: a veth pair between two namespaces.
ipt_link() {
	local a=$1 aa=$2 b=$3 ba=$4 a6=${5:-} b6=${6:-}
	local ia="v${RANDOM}a" ib="v${RANDOM}b"
	ip link add "$ia" netns "$(ipt_ns "$a")" type veth peer name "$ib" netns "$(ipt_ns "$b")" ||
		ipt_fail "veth $a-$b"
	ip -n "$(ipt_ns "$a")" addr add "$aa" dev "$ia"
	ip -n "$(ipt_ns "$b")" addr add "$ba" dev "$ib"
	if [ -n "$a6" ]; then
		ip -n "$(ipt_ns "$a")" addr add "$a6" dev "$ia" nodad
		ip -n "$(ipt_ns "$b")" addr add "$b6" dev "$ib" nodad
	fi
	ip -n "$(ipt_ns "$a")" link set "$ia" up
	ip -n "$(ipt_ns "$b")" link set "$ib" up
}

# ipt_listen NAME PORT...: a TCP server (IPv4 and IPv6) that accepts and closes, in the
# background; returns once every port listens.
ipt_listen() {
	local ns=$1 port i
	shift
	# not through ipt_in: $! must be the server itself for the cleanup to kill it
	ip netns exec "$(ipt_ns "$ns")" python3 -c '
import socket, sys, selectors
sel = selectors.DefaultSelector()
for port in sys.argv[1:]:
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(("::", int(port)))
    s.listen(512)
    sel.register(s, selectors.EVENT_READ)
while True:
    for key, _ in sel.select():
        c, _ = key.fileobj.accept()
        c.close()
' "$@" </dev/null >/dev/null 2>&1 &
	IPT_PIDS+=($!)
	for port in "$@"; do
		for i in $(seq 1 100); do
			ipt_in "$ns" ss -Hltn "sport = :$port" | has . && break
			sleep 0.05
		done
	done
}

# ipt_probe NAME ADDR PORT: succeeds when a TCP connection from NAME to ADDR:PORT completes within 1.5 s.
ipt_probe() {
	ipt_in "$1" timeout 1.5 bash -c "exec 3<>/dev/tcp/$2/$3" 2>/dev/null
}

ipt_expect_open() {
	ipt_probe "$@" || ipt_fail "$1 cannot connect to $2 port $3"
}

ipt_expect_closed() {
	! ipt_probe "$@" || ipt_fail "$1 connects to $2 port $3 but must not"
}

# ipt_save NAME VARIANT: both families' rules, without comments and counters (diffable).
ipt_save() {
	{
		ipt_in "$1" "iptables-$2-save"
		echo "# ip6"
		ipt_in "$1" "ip6tables-$2-save"
	} 2>/dev/null | grep -v '^# \(Generated\|Completed\|Warning\)' | sed 's/\[[0-9]*:[0-9]*\]//'
}

# ipt_sync NAME LIST [ARGS...]: cdnallow sync with the iptables backend inside namespace NAME.
ipt_sync() {
	local ns=$1 list=$2
	shift 2
	ipt_in "$ns" "$CDNALLOW" -q sync -b iptables -c "$CONF" -s "$list" \
		--state-dir "$IPT_TMP/state-$ns" "$@"
}

# ipt_set_header NAME SET: the header line of an ipset (its initval changes when a swap happens).
ipt_set_header() {
	ipt_in "$1" ipset list -t "$2" | sed -n 's/^Header: //p'
}

# ipt_set_entries NAME SET: the set's entries, one per line, sorted.
ipt_set_entries() {
	ipt_in "$1" ipset save "$2" | awk '$1 == "add" { print $3 }' | sort
}
