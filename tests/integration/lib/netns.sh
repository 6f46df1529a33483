# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Shared helpers of the integration tests (source it): network namespaces that
# are always deleted on exit, the three-host topology of the end-to-end tests
# (origin, a "cdn" host inside the synced ranges, an "outsider" outside them,
# each joined to the origin by its own veth pair, no route anywhere else), a
# web listener and TCP connect probes. It never touches the host's own
# namespace: every firewall command of a test goes through netns_exec.
#
# Addresses (documentation ranges only):
#   origin   192.0.2.1       2001:db8:1::1       (on every veth towards a host)
#   cdn      203.0.113.10    2001:db8:cd::10     (sync lists contain 203.0.113.0/24, 2001:db8:cd::/48)
#   outsider 198.51.100.10   2001:db8:bad::10
#   backend  192.0.2.66                           (optional fourth host for DNAT tests)
#
# Usage:
#   . "$TESTS_DIR/integration/lib/netns.sh"
#   netns_init nft                 # prefix cdna-nft-$$-, installs the EXIT trap
#   netns_new origin               # or netns_topology for origin+cdn+outsider
#   netns_exec origin nft list ruleset
#   netns_listen origin 80 443     # python3 HTTP server on [::]:80 and [::]:443
#   netns_connect cdn 192.0.2.1 80 # exit 0 when a TCP connection is accepted within 1 s

NETNS_PREFIX=""
NETNS_LIST=()
NETNS_PIDS=()
NETNS_TMP=""

NETNS_ORIGIN4=192.0.2.1
NETNS_ORIGIN6=2001:db8:1::1
NETNS_CDN4=203.0.113.10
NETNS_CDN6=2001:db8:cd::10
NETNS_OUT4=198.51.100.10
NETNS_OUT6=2001:db8:bad::10
NETNS_BACKEND4=192.0.2.66

# shellcheck source=common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

netns_fail() {
	echo "FAIL: $*" >&2
	exit 1
}

netns_skip() {
	echo "SKIP: $*" >&2
	exit 77
}

# Skips (exit 77) unless root with ip, nft and the given extra tools.
netns_require() {
	[ "$(id -u)" = 0 ] || netns_skip "needs root"
	local t
	for t in ip nft "$@"; do
		command -v "$t" >/dev/null 2>&1 || netns_skip "needs $t"
	done
	ip netns add "cdna-probe-$$" 2>/dev/null || netns_skip "cannot create network namespaces"
	ip netns del "cdna-probe-$$"
}

netns_cleanup() {
	local p n
	for p in "${NETNS_PIDS[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	for p in "${NETNS_PIDS[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	for n in "${NETNS_LIST[@]}"; do
		ip netns pids "$n" 2>/dev/null | xargs -r kill 2>/dev/null || true
		ip netns del "$n" 2>/dev/null || true
	done
	if [ -n "$NETNS_TMP" ]; then rm -rf "$NETNS_TMP"; fi
	NETNS_LIST=()
	NETNS_PIDS=()
}

# netns_init AREA: unique prefix cdna-AREA-PID-, temp dir in $NETNS_TMP, cleanup on exit.
netns_init() {
	NETNS_PREFIX="cdna-${1:-test}-$$"
	NETNS_TMP=$(mktemp -d "/tmp/${NETNS_PREFIX}.XXXXXX")
	trap netns_cleanup EXIT
	trap 'exit 130' INT TERM
}

netns_name() {
	echo "$NETNS_PREFIX-$1"
}

netns_new() {
	local n
	n=$(netns_name "$1")
	ip netns add "$n" || netns_fail "ip netns add $n"
	NETNS_LIST+=("$n")
	ip -n "$n" link set lo up
}

netns_exec() {
	local n
	n=$(netns_name "$1")
	shift
	ip netns exec "$n" "$@"
}

# netns_link HOST ADDR4 ADDR6: veth pair origin<->HOST, /32 and /128 routes both ways.
netns_link() {
	local host=$1 a4=$2 a6=$3 o h
	o=$(netns_name origin)
	h=$(netns_name "$host")
	ip link add "o-$host" netns "$o" type veth peer name eth0 netns "$h" ||
		netns_fail "veth for $host"
	ip -n "$o" addr add "$NETNS_ORIGIN4/32" dev "o-$host"
	ip -n "$h" addr add "$a4/32" dev eth0
	ip -n "$o" link set "o-$host" up
	ip -n "$h" link set eth0 up
	ip -n "$o" route add "$a4/32" dev "o-$host"
	ip -n "$h" route add "$NETNS_ORIGIN4/32" dev eth0
	if [ -n "$a6" ]; then
		ip -n "$o" addr add "$NETNS_ORIGIN6/128" dev "o-$host" nodad
		ip -n "$h" addr add "$a6/128" dev eth0 nodad
		ip -n "$o" route add "$a6/128" dev "o-$host"
		ip -n "$h" route add "$NETNS_ORIGIN6/128" dev eth0
	fi
}

# origin + cdn + outsider, linked; no default route anywhere.
netns_topology() {
	netns_new origin
	netns_new cdn
	netns_new outsider
	netns_link cdn "$NETNS_CDN4" "$NETNS_CDN6"
	netns_link outsider "$NETNS_OUT4" "$NETNS_OUT6"
}

# A fourth host behind the origin for DNAT ("published container port") tests.
netns_backend() {
	netns_new backend
	netns_link backend "$NETNS_BACKEND4" ""
	netns_exec origin sysctl -qw net.ipv4.ip_forward=1
	netns_exec backend ip route add default via "$NETNS_ORIGIN4" dev eth0 onlink
}

# netns_listen HOST PORT...: one python3 HTTP server per port on [::] (IPv4 too),
# with a deep accept queue (lib/listen.py says why).
netns_listen() {
	local host=$1 port i
	shift
	for port in "$@"; do
		netns_exec "$host" python3 "$(dirname "${BASH_SOURCE[0]}")/listen.py" "$port" \
			>/dev/null 2>&1 &
		NETNS_PIDS+=($!)
	done
	for port in "$@"; do
		for i in $(seq 50); do
			netns_exec "$host" ss -Hltn "sport = :$port" | has . && break
			sleep 0.1
		done
		netns_exec "$host" ss -Hltn "sport = :$port" | has . ||
			netns_fail "no listener on port $port in $host"
	done
}

# netns_connect HOST ADDR PORT [TIMEOUT]: 0 when a TCP connection is accepted.
netns_connect() {
	local host=$1 addr=$2 port=$3 t=${4:-1}
	netns_exec "$host" timeout "$t" bash -c "exec 3<>/dev/tcp/$addr/$port" 2>/dev/null
}

netns_expect_open() {
	netns_connect "$@" || netns_fail "$1 cannot connect to $2 port $3"
}

netns_expect_closed() {
	! netns_connect "$@" || netns_fail "$1 connects to $2 port $3, but must not"
}
