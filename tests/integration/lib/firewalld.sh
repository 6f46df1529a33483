# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Shell helpers for the firewalld tests and benchmark: run a real firewalld
# inside a network namespace plus a private mount namespace with its own
# system D-Bus, so the host's firewall and bus are never touched. Source it;
# it never starts anything outside a namespace and never talks to the host bus.
#
# fwd_start NS DIR  starts dbus-daemon + firewalld in netns NS (must exist),
#                   state under DIR; sets FWD_PID (firewalld's pid);
#                   FWD_BACKEND=iptables picks firewalld's iptables backend;
#                   FWD_BUS_CONF=FILE runs the bus with that configuration
# fwd_exec CMD...   runs CMD in firewalld's network + mount namespace
# fwd_stop          stops firewalld, its bus and the holder process
# fwd_begin AREA [hosts]  netns.sh namespaces, firewalld in netns origin,
#                   everything stopped and deleted on exit (fwd_end); sets T
# fwd_test_begin AREA [hosts]  fwd_require (skips unless it can run), fwd_begin

FWD_PID=
FWD_HOLDER=
FWD_DIR=
FWD_LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

fwd_have_tools() {
	command -v firewalld >/dev/null && command -v firewall-cmd >/dev/null &&
		command -v dbus-daemon >/dev/null && command -v nsenter >/dev/null &&
		command -v unshare >/dev/null
}

fwd_exec() {
	nsenter -t "$FWD_PID" -m -n -- "$@"
}

# Waits up to $1 seconds (default 30) for firewalld to answer on its bus.
fwd_wait_ready() {
	local i max=$((${1:-30} * 10))
	for ((i = 0; i < max; i++)); do
		if [ -s "$FWD_DIR/firewalld.pid" ]; then
			FWD_PID=$(cat "$FWD_DIR/firewalld.pid")
			if [ "$(fwd_exec firewall-cmd --state 2>/dev/null)" = running ]; then
				return 0
			fi
		fi
		sleep 0.1
	done
	echo "firewalld did not become ready; log:" >&2
	tail -n 30 "$FWD_DIR/firewalld.log" >&2 2>/dev/null
	return 1
}

fwd_start() {
	local ns=$1
	FWD_DIR=$2
	mkdir -p "$FWD_DIR"
	rm -f "$FWD_DIR/firewalld.pid"
	# The pristine configuration is copied before the tmpfs hides it.
	rm -rf "$FWD_DIR/etc-firewalld"
	cp -a /etc/firewalld "$FWD_DIR/etc-firewalld"
	# FWD_BACKEND=iptables: firewalld's other backend, in the private copy only
	if [ -n "${FWD_BACKEND:-}" ]; then
		sed -i "s/^FirewallBackend=.*/FirewallBackend=$FWD_BACKEND/" \
			"$FWD_DIR/etc-firewalld/firewalld.conf"
	fi
	ip netns exec "$ns" unshare -m --propagation private sh -c '
		set -e
		dir=$1
		mount -t tmpfs tmpfs /run
		mkdir -p /run/dbus
		mount -t tmpfs tmpfs /etc/firewalld
		cp -a "$dir/etc-firewalld/." /etc/firewalld/
		mount -t tmpfs tmpfs /var/log
		if [ -n "$2" ]; then dbus-daemon --config-file="$2" --fork; else dbus-daemon --system --fork; fi
		firewalld --nofork --nopid --log-target file --log-file "$dir/firewalld.log" &
		echo $! > "$dir/firewalld.pid"
		wait
	' fwd-holder "$FWD_DIR" "${FWD_BUS_CONF:-}" >"$FWD_DIR/holder.log" 2>&1 &
	FWD_HOLDER=$!
	fwd_wait_ready 30
}

fwd_stop() {
	local dpid
	[ -n "$FWD_PID" ] || return 0
	if kill -0 "$FWD_PID" 2>/dev/null; then
		dpid=$(fwd_exec cat /run/dbus/pid 2>/dev/null)
		kill "$FWD_PID" 2>/dev/null || true
		for _ in $(seq 50); do kill -0 "$FWD_PID" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$FWD_PID" 2>/dev/null || true
		[ -z "$dpid" ] || kill "$dpid" 2>/dev/null || true
	fi
	[ -z "$FWD_HOLDER" ] || wait "$FWD_HOLDER" 2>/dev/null || true
	FWD_PID=
	FWD_HOLDER=
	return 0
}

# Every zone (cdnallow adds none and changes none), to prove they are left alone.
fwd_zones_but_ours() {
	fwd_exec firewall-cmd "$@" --list-all-zones
}

# Sorted entries of ipset $1, runtime or (with $2 = --permanent) permanent.
fwd_entries() {
	fwd_exec firewall-cmd ${2:-} --ipset="$1" --get-entries | sort
}

# The shard-0 ipset(s) of family $1 (4 or 6) that the rich rules of policy
# cdnallow name, runtime or (with $2 = --permanent) permanent: cdnallow4 or its
# twin cdnallow4b (a list of up to 4000 prefixes has no other shard).
fwd_active() {
	fwd_exec firewall-cmd ${2:-} --policy=cdnallow --list-rich-rules |
		sed -n "s/.* source ipset=\"\(cdnallow$1b\{0,1\}\)\" .*/\1/p" | sort -u
}

# Sorted runtime entries of the ipset family $1 uses.
fwd_active_entries() {
	fwd_entries "$(fwd_active "$1")"
}

# fwd_state: firewalld's runtime and permanent view of cdnallow's zone and
# ipsets in one D-Bus connection (fwd_state.py: a firewall-cmd per item costs
# ~0.5 s of Python start-up each). The system Python: python3-dbus lives there.
fwd_state() {
	fwd_exec /usr/bin/python3 "$FWD_LIB/fwd_state.py"
}

# fwd_state_get STATE rt|perm NAME: the entries of ipset NAME, space-separated.
fwd_state_get() {
	awk -v k="$2" -v n="$3" '$1 == k && $2 == n { $1 = $2 = ""; sub(/^ +/, ""); print }' <<<"$1"
}

# fwd_state_active STATE rt|perm FAMILY: the ipset(s) of FAMILY that the rules
# of policy cdnallow name (cdnallow4, cdnallow4b, shards cdnallow4-N(b)).
fwd_state_active() {
	awk -v k="$2-sources" '$1 == k { for (i = 2; i <= NF; i++) print $i }' <<<"$1" |
		sed -n "s/^ipset:\(cdnallow$3\(-[1-9][0-9]*\)\{0,1\}b\{0,1\}\)\$/\1/p" | sort
}

# fwd_state_sets STATE: every cdnallow ipset that exists, runtime or permanent.
fwd_state_sets() {
	awk '$1 == "rt" || $1 == "perm" { print $2 }' <<<"$1" | sort -u
}

# fwd_allowed FAMILY: what the runtime rules of policy cdnallow accept from
# FAMILY (4 or 6), sorted: the entries of every ipset they name, shards included.
fwd_allowed() {
	local st s
	st=$(fwd_state) || return 1
	for s in $(fwd_state_active "$st" rt "$1"); do
		fwd_state_get "$st" rt "$s" | tr ' ' '\n'
	done | sed '/^$/d' | sort
}

# Runtime and permanent are identical: entries of every cdnallow ipset and the
# ipsets the policy's rules name; per family at least one ipset in use, never
# both twins of a shard, every ipset the rules do not name empty.
fwd_assert_rt_eq_perm() {
	local st s fam a p
	st=$(fwd_state) || {
		echo "FAIL: cannot read firewalld's state over D-Bus" >&2
		return 1
	}
	for s in $(fwd_state_sets "$st"); do
		if [ "$(fwd_state_get "$st" rt $s)" != "$(fwd_state_get "$st" perm $s)" ]; then
			echo "FAIL: runtime and permanent entries of $s differ" >&2
			diff <(fwd_state_get "$st" rt $s | tr ' ' '\n') \
				<(fwd_state_get "$st" perm $s | tr ' ' '\n') >&2
			return 1
		fi
	done
	for fam in 4 6; do
		a=$(fwd_state_active "$st" rt $fam)
		p=$(fwd_state_active "$st" perm $fam)
		if [ "$(wc -w <<<"$a")" -lt 1 ] || [ "$a" != "$p" ] ||
			[ -n "$(sed 's/b$//' <<<"$a" | uniq -d)" ]; then
			echo "FAIL: IPv$fam ipsets of policy cdnallow: runtime '$a', permanent '$p'" >&2
			return 1
		fi
	done
	for s in $(fwd_state_sets "$st"); do
		grep -qx "$s" <<<"$(fwd_state_active "$st" rt 4; fwd_state_active "$st" rt 6)" &&
			continue
		if [ -n "$(fwd_state_get "$st" rt $s)" ]; then
			echo "FAIL: unused ipset $s is not empty" >&2
			return 1
		fi
	done
}

# fwd_monitor_start FILE [MATCH...]: watches the bus messages MATCH rules pick
# (default firewalld's Reloaded signal) into FILE until fwd_monitor_stop.
FWD_RELOADED="type='signal',interface='org.fedoraproject.FirewallD1',member='Reloaded'"
FWD_MON=
fwd_monitor_start() {
	local f=$1
	shift
	[ $# -gt 0 ] || set -- "$FWD_RELOADED"
	fwd_exec dbus-monitor --system "$@" >"$f" 2>&1 &
	FWD_MON=$!
	# dbus-monitor prints the bus's NameLost for itself once it has become a
	# monitor: from then on no Reloaded signal can be missed
	for _ in $(seq 100); do
		grep -F 'member=NameLost' "$f" >/dev/null && return 0
		sleep 0.1
	done
	netns_fail "dbus-monitor did not start: $(cat "$f")"
}

fwd_monitor_stop() {
	[ -z "$FWD_MON" ] || { kill "$FWD_MON" 2>/dev/null; wait "$FWD_MON" 2>/dev/null; } || true
	FWD_MON=
	return 0
}

# Number of Reloaded signals seen in monitor file $1.
fwd_reloads() {
	grep -c 'member=Reloaded' "$1"
}

# fwd_gen FIRST COUNT: COUNT made-up /24s from 20.0.0.0 on, every other one so
# that none merge, numbered from FIRST: the large lists of the tests and benches.
fwd_gen() {
	awk -v a="$1" -v c="$2" 'BEGIN { for (i = a; i < a + c; i++) {
		k = 2 * i; printf "%d.%d.%d.0/24\n", 20 + int(k / 65536), int(k / 256) % 256, k % 256 } }'
}

# fwd_one_set_layout V4FILE [V6ENTRY]: the permanent objects builds before the
# range shards made (an ipset and its twin per family, policy cdnallow naming
# cdnallow4 and cdnallow6 for ports 80 and 443), cdnallow4 filled from V4FILE,
# made with firewall-cmd for the upgrade test and bench; the caller reloads.
fwd_one_set_layout() {
	local s r p
	for s in cdnallow4:inet cdnallow4b:inet cdnallow6:inet6 cdnallow6b:inet6; do
		_fwd_fc --permanent --new-ipset="${s%%:*}" --type=hash:net --option=family="${s#*:}" \
			--option=maxelem=4194304 || return 1
	done
	_fwd_fc --permanent --new-policy=cdnallow &&
		_fwd_fc --permanent --policy=cdnallow --add-ingress-zone=ANY &&
		_fwd_fc --permanent --policy=cdnallow --add-egress-zone=HOST &&
		_fwd_fc --permanent --policy=cdnallow --set-priority=-1 || return 1
	for r in ipv4:cdnallow4 ipv6:cdnallow6; do
		for p in 80 443; do
			_fwd_fc --permanent --policy=cdnallow --add-rich-rule="rule family=\"${r%%:*}\" source ipset=\"${r#*:}\" port port=\"$p\" protocol=\"tcp\" accept" ||
				return 1
		done
	done
	_fwd_fc --permanent --ipset=cdnallow4 --add-entries-from-file="$1" || return 1
	[ -z "${2:-}" ] || _fwd_fc --permanent --ipset=cdnallow6 --add-entry="$2"
}
_fwd_fc() {
	fwd_exec firewall-cmd "$@" >/dev/null || { echo "firewall-cmd $* failed" >&2; return 1; }
}

# fwd_begin AREA [hosts]: namespaces from netns.sh (source it first) named after
# AREA, a real firewalld in netns origin and, with "hosts", the cdn and outsider
# hosts of netns_topology (the test starts its listeners); on exit
# fwd_end stops the prober, the bus monitor and firewalld, then deletes the
# namespaces and the work directory. Sets T, the work directory.
fwd_begin() {
	netns_init "$1"
	trap fwd_end EXIT
	T=$NETNS_TMP
	if [ "${2:-}" = hosts ]; then
		netns_topology
	else
		netns_new origin
	fi
	fwd_start "$(netns_name origin)" "$T/fwd" || netns_fail "firewalld did not start"
}

fwd_end() {
	[ -z "${PROBER:-}" ] || { kill "$PROBER" 2>/dev/null; wait "$PROBER" 2>/dev/null; } || true
	fwd_monitor_stop
	fwd_stop
	netns_cleanup
}

# fwd_fresh: firewalld started anew in a new netns origin, nothing left of before.
fwd_fresh() {
	fwd_stop
	ip netns del "$(netns_name origin)" 2>/dev/null || true
	ip netns add "$(netns_name origin)" || netns_fail "cannot create netns origin"
	ip -n "$(netns_name origin)" link set lo up
	fwd_start "$(netns_name origin)" "$T/fwd" || netns_fail "firewalld did not start"
}

# fwd_require: skips (77) unless root with namespaces, firewalld and its tools.
fwd_require() {
	netns_require
	fwd_have_tools || netns_skip "firewalld, dbus-daemon, nsenter or unshare missing"
	[ -x /usr/bin/python3 ] || netns_skip "no /usr/bin/python3 (fwd_state.py, web listener)"
}

# fwd_test_begin AREA [hosts]: what every firewalld test starts with: fwd_require,
# the binary under test in $CDNALLOW, fwd_begin.
fwd_test_begin() {
	fwd_require
	[ -n "${CDNALLOW:-}" ] && [ -x "$CDNALLOW" ] || netns_skip "CDNALLOW not set"
	fwd_begin "$@"
}
