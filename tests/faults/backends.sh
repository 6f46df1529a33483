# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Per-backend adapters of the fault suite: how to stand the firewall up in the
# origin namespace with a default-drop policy (so the cdn host gets in only
# through cdnallow's sets), how to run a command where cdnallow runs (the
# origin's network namespace plus a private mount namespace, so tmpfs state
# dirs and ufw/firewalld files stay in the test), what the backend holds now,
# how a concurrent admin disturbs it, and the list size that makes an apply
# long enough to be killed in the middle. It never runs anything outside the
# test namespaces.

FB_PID=

fb_exec() {
	nsenter -t "$FB_PID" -m -n -- "$@"
}

# A process holding the origin's network namespace and a private mount namespace.
fb_holder() {
	netns_exec origin unshare -m --propagation private sh -c \
		'echo $$ >"$1"; exec sleep infinity' holder "$T/holder.pid" &
	NETNS_PIDS+=($!)
	for _ in $(seq 50); do
		[ -s "$T/holder.pid" ] && break
		sleep 0.1
	done
	FB_PID=$(cat "$T/holder.pid" 2>/dev/null)
	[ -n "$FB_PID" ] || netns_fail "mount namespace holder did not start"
}

# nft_set_elems FAMILY TABLE SET: elements of a set as nft prints them, one a line.
nft_set_elems() {
	fb_exec nft list set "$1" "$2" "$3" 2>/dev/null |
		sed -n '/elements = {/,/}/p' | tr -d ' \t{}' | sed 's/elements=//' | tr ',' '\n' |
		sed '/^$/d'
}

fb_lockdown_installed() {
	nft_set_elems inet cdnallow cdn4
	nft_set_elems inet cdnallow cdn6
}

ipset_entries() {
	fb_exec ipset save "$1" 2>/dev/null | awk '$1 == "add" { print $3 }'
}

fb_available() { # BACKEND: 0 when its tools are here
	case $1 in
	nftables) command -v nft >/dev/null ;;
	iptables) command -v iptables >/dev/null && command -v ipset >/dev/null ;;
	ufw) command -v ufw >/dev/null && command -v ipset >/dev/null ;;
	firewalld) command -v firewalld >/dev/null && command -v firewall-cmd >/dev/null &&
		command -v dbus-daemon >/dev/null ;;
	*) return 1 ;;
	esac
}

fb_setup() {
	case $BACKEND in
	nftables)
		fb_holder
		CRASH_N=${CRASH_N:-200000}
		;;
	iptables)
		fb_holder
		local ipt
		for ipt in iptables ip6tables; do
			fb_exec "$ipt" -A INPUT -i lo -j ACCEPT
			fb_exec "$ipt" -A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
			fb_exec "$ipt" -P INPUT DROP
		done
		fb_exec ip6tables -I INPUT -p ipv6-icmp -j ACCEPT
		CRASH_N=${CRASH_N:-100000}
		;;
	ufw)
		# shellcheck source=../integration/lib/ufw.sh
		. "$TESTS_DIR/integration/lib/ufw.sh"
		ufw_require
		ufw_start origin
		FB_PID=$UFW_PID
		CRASH_N=${CRASH_N:-20000}
		;;
	firewalld)
		# shellcheck source=../integration/lib/firewalld.sh
		. "$TESTS_DIR/integration/lib/firewalld.sh"
		fwd_start "$(netns_name origin)" "$T/fwd" || netns_fail "firewalld did not start"
		FB_PID=$FWD_PID
		CRASH_N=${CRASH_N:-400}
		FETCH_QUICK=${FETCH_QUICK:-1}
		;;
	esac
}

fb_teardown() {
	[ "$BACKEND" = firewalld ] && fwd_stop
	return 0
}

# What the backend itself holds, one prefix a line (any order).
fb_installed() {
	case $BACKEND in
	nftables)
		fb_lockdown_installed
		;;
	iptables)
		ipset_entries cdnallow4
		ipset_entries cdnallow6
		;;
	ufw)
		ufw_ours_prefixes
		ipset_entries cdnallow4
		ipset_entries cdnallow6
		;;
	firewalld)
		fb_fwd_effective
		;;
	esac
}

# What policy cdnallow accepts (runtime, or permanent with $1 = --permanent): the
# entries of every ipset its rules name (cdnallow4 or its twin cdnallow4b,
# both while a swap is under way; the shards cdnallow4-N(b) of a long list).
fb_fwd_effective() {
	local st kind=rt src
	[ "${1:-}" = --permanent ] && kind=perm
	st=$(fwd_state 2>/dev/null)
	for src in $(fwd_state_active "$st" $kind 4) $(fwd_state_active "$st" $kind 6); do
		fwd_state_get "$st" $kind "$src" | tr ' ' '\n'
	done
}

# fb_partial_ok: firewalld 1.3 changes a runtime ipset one entry per call, so
# an interrupted update may stop between two lists. Additions go before
# deletions and the permanent configuration follows the runtime, so what is
# left is never less than one list and never more than their union.
fb_partial_ok() {
	[ "$BACKEND" = firewalld ]
}

# Extra invariants of a backend, checked with every expect_fw.
fb_check() {
	case $BACKEND in
	firewalld)
		fwd_assert_rt_eq_perm 2>/dev/null || bad "firewalld runtime and permanent ipsets differ"
		;;
	esac
}

# fb_disturb STOPFILE: what a busy admin or another daemon does to the firewall
# meanwhile, in a loop until STOPFILE exists.
fb_disturb() {
	local stop=$1
	case $BACKEND in
	nftables)
		while [ ! -e "$stop" ]; do
			fb_exec nft -f - <<-'EOF'
				table ip flt-other {
					chain input { type filter hook input priority 10; policy accept;
						tcp dport 9999 counter accept; }
				}
			EOF
			fb_exec nft add rule ip flt-other input tcp dport 9998 counter accept
			fb_exec nft delete table ip flt-other
		done
		;;
	iptables)
		while [ ! -e "$stop" ]; do
			fb_exec iptables -I INPUT 1 -s 192.0.2.99 -p tcp --dport 9999 -j ACCEPT
			fb_exec iptables -A INPUT -s 192.0.2.98 -j DROP
			fb_exec iptables -D INPUT -s 192.0.2.99 -p tcp --dport 9999 -j ACCEPT
			fb_exec iptables -D INPUT -s 192.0.2.98 -j DROP
		done
		;;
	ufw | firewalld)
		# The tool's own reload takes its rules out and puts them back, which
		# refuses connections whatever cdnallow does: its windows go to
		# $T/reload-windows so case_end can tell those failures apart.
		local t0
		while [ ! -e "$stop" ]; do
			t0=$(date +%s.%N)
			echo "$t0 open" >>"$T/reload-windows"
			if [ "$BACKEND" = ufw ]; then
				fb_exec ufw reload >/dev/null
			else
				fb_exec firewall-cmd --reload >/dev/null
			fi
			echo "$t0 $(date +%s.%N)" >>"$T/reload-windows"
			sleep 0.2
		done
		;;
	esac
}
