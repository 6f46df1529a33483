#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The systemd units and the cron example of contrib/: `systemd-analyze verify`
# offline in a throwaway root (works without systemd as PID 1: the host's unit
# directory is copied in, the binary put at /usr/sbin), `systemctl --root
# enable` of the timer and boot unit, no ordering cycle with Docker-like
# firewall units at boot, the `systemd-analyze security` exposure score of both
# services (printed, at most 2.1; 2.3 for the online unit, see below), the reload drop-in on the firewall
# units, the D-Bus generator's decision per backend, and the cron file: field counts,
# and its command lines run (in a private mount namespace, with a stub
# cdnallow) exactly as cron would. Nothing is started; the host's systemd,
# /run and firewall are never touched.
set -uo pipefail
. "${TESTS_DIR:-$(dirname "$0")/..}/integration/lib/common.sh"
: "${CDNALLOW:?} ${TESTS_DIR:?}"
fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*" >&2; exit 77; }

command -v systemd-analyze >/dev/null || skip "needs systemd-analyze (package systemd)"
[ -d /usr/lib/systemd/system ] || skip "no /usr/lib/systemd/system to verify against"
UNITS=$(cd "$TESTS_DIR/../contrib/systemd" && pwd)
CRON=$(cd "$TESTS_DIR/../contrib/cron" && pwd)/cdnallow
T=$(mktemp -d /tmp/cdna-ops-units.XXXXXX)
trap 'rm -rf "$T"' EXIT
R=$T/root

mkdir -p "$R/usr/sbin" "$R/usr/lib/systemd" "$R/etc/systemd/system"
cp -a /usr/lib/systemd/system "$R/usr/lib/systemd/"
cp "$CDNALLOW" "$R/usr/sbin/cdnallow"
mkdir -p "$R/usr/bin"
cp /usr/bin/touch "$R/usr/bin/touch" # ExecStartPre= of both services
cp "$UNITS"/cdnallow.service "$UNITS"/cdnallow.timer "$UNITS"/cdnallow-boot.service \
	"$R/usr/lib/systemd/system/"

# verify ROOT UNIT...: fails on a non-zero exit or any message
verify() {
	local root=$1
	shift
	systemd-analyze verify --man=no --root="$root" "$@" >"$T/verify.out" 2>&1
	local rc=$?
	[ $rc = 0 ] && [ ! -s "$T/verify.out" ]
}

verify "$R" cdnallow.service cdnallow.timer cdnallow-boot.service ||
	{ cat "$T/verify.out"; fail "systemd-analyze verify of the three units"; }
ok "systemd-analyze verify: cdnallow.service, cdnallow.timer, cdnallow-boot.service"

# negative control: verify does look at ExecStart
mv "$R/usr/sbin/cdnallow" "$R/usr/sbin/cdnallow.away"
! verify "$R" cdnallow.service || fail "verify passes with /usr/sbin/cdnallow missing"
grep -q "not executable" "$T/verify.out" || { cat "$T/verify.out"; fail "unexpected verify message"; }
mv "$R/usr/sbin/cdnallow.away" "$R/usr/sbin/cdnallow"
ok "verify fails when the binary is missing (the check is real)"

# The firewall services the units order against, as their packages order them.
fake_unit() { # NAME "EXTRA [Unit] LINES"
	printf '[Unit]\nDescription=fake %s\n%b\n[Service]\nType=oneshot\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n' \
		"$1" "$2" >"$R/usr/lib/systemd/system/$1"
}
fake_unit docker.service 'Wants=network-online.target\nAfter=network-online.target firewalld.service'
fake_unit firewalld.service 'Before=network-pre.target\nWants=network-pre.target'
fake_unit nftables.service 'Before=network-pre.target\nWants=network-pre.target'
systemctl --root="$R" enable docker.service firewalld.service nftables.service >/dev/null 2>&1 ||
	fail "enabling the fake firewall units"
systemctl --root="$R" enable cdnallow.timer cdnallow-boot.service >"$T/enable.out" 2>&1 ||
	{ cat "$T/enable.out"; fail "systemctl --root enable"; }
[ -L "$R/etc/systemd/system/timers.target.wants/cdnallow.timer" ] || fail "timer not wanted by timers.target"
for t in multi-user.target docker.service nftables.service firewalld.service ufw.service; do
	[ -L "$R/etc/systemd/system/$t.wants/cdnallow-boot.service" ] ||
		fail "cdnallow-boot.service not wanted by $t"
done
ok "systemctl enable: timer in timers.target, boot unit in multi-user and every firewall service"

systemd-analyze verify --man=no --root="$R" multi-user.target timers.target >"$T/boot.out" 2>&1
if grep -E -i 'cycle|cdnallow' "$T/boot.out"; then
	fail "booting multi-user.target with the units enabled reports the lines above"
fi
ok "no ordering cycle or complaint at boot, Docker and firewalld enabled"

# security: the exposure score of each service (0 best, 10 worst). The online
# service may set its uid (0.2 + 0.3 of the score) so that its download child
# drops root (privsep.c): at most 2.3; the offline boot unit downloads nothing.
max_exposure() { [ "$1" = cdnallow.service ] && echo 2.3 || echo 2.1; }
for u in cdnallow.service cdnallow-boot.service; do
	systemd-analyze security --offline=true --root="$R" "$u" >"$T/sec.out" 2>&1 ||
		{ cat "$T/sec.out"; fail "systemd-analyze security $u"; }
	score=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' "$T/sec.out")
	[ -n "$score" ] || { cat "$T/sec.out"; fail "no exposure score for $u"; }
	echo "# systemd-analyze security $u: $score"
	max=$(max_exposure "$u")
	awk -v s="$score" -v m="$max" 'BEGIN { exit !(s <= m) }' || fail "$u exposure $score > $max"
done
ok "systemd-analyze security: boot unit at most 2.1, online unit (setuid for privsep) at most 2.3"

# the reload drop-in, on the fake firewall units: verify, and its ExecReload
# comes after the service's own (systemd appends drop-in Exec lines)
[ -e "$R/bin" ] || ln -s usr/bin "$R/bin"
cp /usr/bin/true "$R/usr/bin/true"
for s in nftables firewalld docker; do
	mkdir -p "$R/usr/lib/systemd/system/$s.service.d"
	cp "$UNITS/dropin/cdnallow.conf" "$R/usr/lib/systemd/system/$s.service.d/cdnallow.conf"
	printf '[Service]\nExecReload=/bin/true\n' >"$R/usr/lib/systemd/system/$s.service.d/00-own.conf"
done
verify "$R" nftables.service firewalld.service docker.service ||
	{ cat "$T/verify.out"; fail "systemd-analyze verify of the firewall units with the drop-in"; }
grep -qx 'ExecReload=-systemctl --no-block start cdnallow-boot.service' "$UNITS/dropin/cdnallow.conf" ||
	fail "the drop-in does not start cdnallow-boot after a reload"
grep -qx 'RemainAfterExit=no' "$UNITS/cdnallow-boot.service" ||
	fail "cdnallow-boot must be inactive after each run, or a later start does nothing"
! grep -q '^PartOf=' "$UNITS/cdnallow-boot.service" || fail "PartOf= is not needed any more"
ok "reload drop-in verifies on nftables, firewalld, docker; boot unit RemainAfterExit=no"

# the D-Bus generator: opens the bus only for backend firewalld, or auto with
# firewalld installed; never re-opens systemd's private socket
gen() { # CONF-TEXT FIREWALLD-UNIT-DIR -> lists what it wrote
	rm -rf "$T/gen" && mkdir -p "$T/gen"
	printf '%b' "$1" >"$T/gen.conf"
	CDNALLOW_CONF=$T/gen.conf CDNALLOW_UNIT_DIRS=$2 sh "$UNITS/cdnallow-dbus-generator" "$T/gen" ||
		fail "generator failed"
	(cd "$T/gen" && find . -type f | sort | tr '\n' ' ')
}
mkdir -p "$T/fw" "$T/nofw"
touch "$T/fw/firewalld.service"
want=" ./cdnallow-boot.service.d/50-cdnallow-dbus.conf ./cdnallow.service.d/50-cdnallow-dbus.conf "
[ " $(gen '[cdnallow]\nbackend = firewalld ; comment\n' "$T/nofw")" = "$want" ] || fail "backend firewalld: bus not opened"
[ -z "$(gen '[cdnallow]\nbackend = nftables\n' "$T/fw")" ] || fail "backend nftables: bus opened"
[ -z "$(gen '[cdnallow]\nbackend=ufw\n[ufw]\nbackend = firewalld\n' "$T/fw")" ] || fail "key of another section used"
[ " $(gen '[cdnallow]\nproviders = fastly\n' "$T/fw")" = "$want" ] || fail "auto with firewalld installed: bus not opened"
[ -z "$(gen '[cdnallow]\nbackend = auto\n' "$T/nofw")" ] || fail "auto without firewalld: bus opened"
[ " $(gen '' "$T/fw")" = "$want" ] || fail "no config (auto) with firewalld: bus not opened"
gen '[cdnallow]\nbackend = firewalld\n' "$T/nofw" >/dev/null
grep -qx 'InaccessiblePaths=-/run/systemd/private' "$T/gen/cdnallow.service.d/50-cdnallow-dbus.conf" ||
	fail "the generator's drop-in must keep systemd's socket hidden"
grep -qx 'InaccessiblePaths=-/run/dbus' "$UNITS/cdnallow.service" || fail "the bus is not hidden by default"
cp -a "$T/gen/." "$R/etc/systemd/system/"
verify "$R" cdnallow.service cdnallow-boot.service ||
	{ cat "$T/verify.out"; fail "verify with the generator's drop-ins"; }
ok "D-Bus generator: bus only for firewalld (configured, or auto and installed), drop-ins verify"

# the timer's schedule as the issue asks: every 6 h, randomized, persistent
grep -qx 'OnUnitActiveSec=6h' "$UNITS/cdnallow.timer" && grep -q '^RandomizedDelaySec=' "$UNITS/cdnallow.timer" &&
	grep -qx 'Persistent=true' "$UNITS/cdnallow.timer" || fail "timer schedule"
grep -q '^ExecStart=/usr/sbin/cdnallow .*sync --offline$' "$UNITS/cdnallow-boot.service" ||
	fail "the boot unit must sync --offline"
ok "timer every 6 h (randomized, persistent); boot unit syncs offline"

# cron: VAR=value lines, @reboot USER CMD, or 5 time fields USER CMD; user root
awk '
	/^[ \t]*(#|$)/ { next }
	/^[A-Z_]+=/ { next }
	$1 ~ /^@(reboot|hourly|daily|weekly|monthly|yearly|annually|midnight)$/ {
		if (NF < 3 || $2 != "root") { print "bad @ line " NR ": " $0; bad = 1 }
		n++; next
	}
	{
		if (NF < 7 || $6 != "root") { print "bad line " NR ": " $0; bad = 1 }
		for (i = 1; i <= 5; i++)
			if ($i !~ /^[0-9*,\/-]+$/) { print "bad field " i " on line " NR; bad = 1 }
		n++
	}
	END { if (bad || n < 2) exit 1 }' "$CRON" || fail "cron file does not parse"
ok "cron file parses (time fields, user root)"

# run every cron command as cron would (sh -c, cron PATH), with a stub cdnallow
# recording its arguments, in a private mount namespace for the lock in /run
mkdir -p "$T/stub"
printf '#!/bin/sh\necho "$*" >>%s/calls\n' "$T" >"$T/stub/cdnallow"
chmod +x "$T/stub/cdnallow"
if command -v unshare >/dev/null && unshare -m true 2>/dev/null; then
	awk '/^[ \t]*(#|$)/ || /^[A-Z_]+=/ { next }
		$1 ~ /^@/ { $1 = $2 = ""; print; next }
		{ for (i = 1; i <= 6; i++) $i = ""; print }' "$CRON" >"$T/cmds"
	path=$(sed -n 's/^PATH=//p' "$CRON")
	while read -r cmd; do
		unshare -m --propagation private sh -c 'mount -t tmpfs tmpfs /run && PATH=$1:$2 exec sh -c "$3"' \
			cron "$T/stub" "$path" "$cmd" || fail "cron command fails: $cmd"
	done <"$T/cmds"
	grep -qx -- '-q sync' "$T/calls" || { cat "$T/calls"; fail "cron does not run 'cdnallow -q sync'"; }
	grep -qx -- '-q sync --offline' "$T/calls" || fail "cron does not restore offline at boot"
	ok "cron commands run: flock-guarded quiet sync, offline restore at boot"
else
	echo "# no mount namespaces here: cron commands not executed"
fi

echo "PASS: $pass checks"
