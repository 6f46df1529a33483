#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The package under a real systemd: a debootstrapped Debian 12 root (from the
# mirror this machine's apt uses; cached as a tarball in the build dir) gets
# the .deb built from this tree and boots with systemd-nspawn -b
# --private-network (its own network namespace: the host's firewall is never
# touched). Checked inside, in this order:
#  1. dpkg -i runs one first sync; offline it falls back to the built-in
#     snapshot, and the journal has that warning (priority warning) and the
#     summary line exactly once (no syslog duplicate), with -q
#  2. a refused (shrunk) list is a warning in the journal
#  3. the sandbox: /run read-only but for the lock files, no systemd socket,
#     no system bus with the nftables backend, `systemd-analyze security` <= 2.1 (boot unit), 2.3 (online unit: setuid for privsep)
#  4. least privilege: cdnallow.timer fires cdnallow.service; during its
#     download from a slow HTTPS server on the container's loopback, the
#     process holding the connection is the postinst's _cdnallow user with
#     no capability and no_new_privs, its parent (the unit's main process) root
#  5. reboot: the allowlist is back (cdnallow-boot.service, from the cache)
#  6. nftables' first enable --now, its reload and its restart each end with
#     the allowlist back (negative control: with cdnallow-boot masked a
#     reload leaves it gone)
#  7. ufw: enable, restart; firewalld: enable --now, restart
#  8. upgrade: cdnallow-boot stays enabled, the allowlist stays
#  9. purge: no address left in the firewall; after firewalld's next reload
#     no set, rule, policy, file or unit of cdnallow remains
# Skips (77) without root, systemd-nspawn, debootstrap, the .deb build tools,
# or when the root cannot be built or booted here (says why).
set -uo pipefail
. "${TESTS_DIR:-$(dirname "$0")/..}/integration/lib/common.sh"
: "${TESTS_DIR:?}"
REPO=$(cd "$TESTS_DIR/.." && pwd)
fail() {
	echo "FAIL: $*" >&2
	# what the container's journal says about cdnallow, to see why
	[ -n "${LEADER:-}" ] && c journalctl -b --no-pager -n 60 -o short-monotonic \
		-u cdnallow.service -u cdnallow-boot.service >&2 2>&1
	exit 1
}
skip() { echo "SKIP: $*" >&2; exit 77; }

[ "$(id -u)" = 0 ] || skip "needs root"
for t in systemd-nspawn debootstrap nsenter ss python3 openssl; do
	command -v "$t" >/dev/null || skip "needs $t (tools/deps.sh installs systemd-container, debootstrap)"
done
for t in dpkg-buildpackage dpkg-deb dh fakeroot; do
	command -v "$t" >/dev/null || skip "needs $t (apt-get install debhelper dpkg-dev fakeroot)"
done

# The debootstrapped root is cached as a tarball (minutes to make from the
# mirror: most of this test on a cold cache). tools/test keeps it outside the
# build dir, in /var/cache, so a fresh clone does not make it again; it is
# made anew when the package list changes or it is older than
# CDNALLOW_SYSTEST_MAX_AGE days (default 7: bookworm's point releases).
CACHE=${CDNALLOW_SYSTEST_CACHE:-${BUILD_DIR:-$REPO/build}/systest}
PKGS=systemd,systemd-sysv,dbus,libpam-systemd,nftables,ufw,firewalld,iptables,ipset,libcurl4,libnftnl11,libmnl0,libjansson4,libinih1,libnftables1,libsystemd0,ca-certificates
TARBALL=$CACHE/bookworm-root.tar
mkdir -p "$CACHE"
RUNS=${BUILD_DIR:-$REPO/build}/systest-run
mkdir -p "$RUNS"
T=$(mktemp -d "$RUNS/run.XXXXXX")
NSPAWN=
SRV_PID=
cleanup() {
	[ -n "$SRV_PID" ] && kill "$SRV_PID" 2>/dev/null && wait "$SRV_PID" 2>/dev/null
	[ -n "$NSPAWN" ] && kill "$NSPAWN" 2>/dev/null && wait "$NSPAWN" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

# The Debian mirror apt uses: deb822 "URIs:" or a one-line "deb URL bookworm".
mirror() {
	local f u
	for f in /etc/apt/sources.list.d/*.sources /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -r "$f" ] || continue
		u=$(awk '/^URIs:/ && $2 !~ /security/ { print $2; exit }
			/^deb[ \t]/ && / bookworm([ \t]|$)/ && $0 !~ /security/ { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' "$f")
		[ -n "$u" ] && { echo "$u"; return; }
	done
	echo http://deb.debian.org/debian
}

start=$(date +%s)
# one debootstrap at a time into a cache shared by several runs (fd 9 until exit)
exec 9>"$CACHE/lock"
flock 9 || fail "cannot lock $CACHE/lock"
if [ ! -f "$TARBALL" ] || [ "$(cat "$CACHE/bookworm-root.pkgs" 2>/dev/null)" != "$PKGS" ] ||
	[ -n "$(find "$TARBALL" -mtime +"${CDNALLOW_SYSTEST_MAX_AGE:-7}")" ]; then
	m=$(mirror)
	rm -rf "$CACHE/root.new"
	debootstrap --variant=minbase --include="$PKGS" bookworm "$CACHE/root.new" "$m" \
		>"$CACHE/debootstrap.log" 2>&1 ||
		{ tail -5 "$CACHE/debootstrap.log"; rm -rf "$CACHE/root.new"; skip "debootstrap from $m failed (no mirror reachable?)"; }
	tar -C "$CACHE/root.new" -cf "$TARBALL.new" . && mv "$TARBALL.new" "$TARBALL" &&
		echo "$PKGS" >"$CACHE/bookworm-root.pkgs" || fail "packing the root"
	rm -rf "$CACHE/root.new"
	echo "# debootstrap from $m: $(($(date +%s) - start)) s (cached in $TARBALL)"
fi
# a later replacement is a rename: the tarball read below stays whole
exec 9>&-

# the package the ctest fixture "deb" built once for test_deb and this test (tests/integration/lib/deb_package.sh)
if [ -z "${CDNALLOW_DEB:-}" ] && [ -n "${CDNALLOW_DEB_DIR:-}" ]; then
	CDNALLOW_DEB=$(ls "$CDNALLOW_DEB_DIR"/cdnallow_*_*.deb 2>/dev/null | head -1)
fi
# the package from this tree, and the same package one version later (upgrade)
if [ -n "${CDNALLOW_DEB:-}" ]; then
	deb=$CDNALLOW_DEB
else
	"$REPO/tools/build-deb" --nocheck "$T/deb" >"$T/build.log" 2>&1 ||
		{ tail -30 "$T/build.log"; fail "tools/build-deb"; }
	deb=$(ls "$T"/deb/cdnallow_*_*.deb | head -1)
fi
[ -f "$deb" ] || fail "no .deb"
dpkg-deb -R "$deb" "$T/up" || fail "unpacking the .deb"
ver=$(dpkg-deb -f "$deb" Version)
sed -i "s/^Version: .*/Version: $ver+systest1/" "$T/up/DEBIAN/control"
dpkg-deb -b "$T/up" "$T/cdnallow-up.deb" >/dev/null || fail "repacking the upgrade .deb"
ok "packages: $(basename "$deb") and $ver+systest1 ($(($(date +%s) - start)) s so far)"

R=$T/root
mkdir -p "$R"
tar -C "$R" -xf "$TARBALL" || fail "unpacking the root"
echo systest >"$R/etc/hostname"
# start with no firewall service enabled: each phase enables the one it tests
rm -f "$R"/etc/systemd/system/*.wants/{firewalld,ufw,nftables}.service \
	"$R/etc/systemd/system/dbus-org.fedoraproject.FirewallD1.service"
cp "$deb" "$R/root/cdnallow.deb"
cp "$T/cdnallow-up.deb" "$R/root/cdnallow-up.deb"
# Cloudflare's real lists (the files end without a newline), and one cut to 15
sed '$a\' "$TESTS_DIR/fixtures/cloudflare-ips-v4.txt" "$TESTS_DIR/fixtures/cloudflare-ips-v6.txt" >"$R/root/cf-full.txt"
[ "$(wc -l <"$R/root/cf-full.txt")" = 22 ] || fail "fixture lists: want 22 lines"
head -15 "$R/root/cf-full.txt" | sed 8,14d >"$R/root/cf-shrunk.txt"
sed -n '16,22p' "$R/root/cf-full.txt" >>"$R/root/cf-shrunk.txt"
# what cdnallow.service may and may not do, run as its ExecStart (step 3);
# each line prints what broke
cat >"$R/usr/local/sbin/cdnallow-probe" <<'EOF'
#!/bin/sh
r=0
no() { echo "probe: $*" >&2; r=1; }
test -w /run/xtables.lock || no "/run/xtables.lock not writable"
test -w /run/ufw.lock || no "/run/ufw.lock not writable"
touch /run/probe 2>/dev/null && no "/run is writable"
mkdir /run/systemd/system/probe.service.d 2>/dev/null && no "/run/systemd/system is writable"
# sockets hidden by InaccessiblePaths= still exist: try to talk through them
busctl --system call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus GetId \
	>/dev/null 2>&1 && no "the system bus answers"
systemctl start cdnallow-boot.service 2>/dev/null && no "systemctl start works from inside"
systemctl show -p Version >/dev/null 2>&1 && no "systemd answers"
test -w /var/lib/cdnallow || no "the state dir is not writable"
touch /etc/probe 2>/dev/null && no "/etc is writable"
test -w /proc/sys/net/ipv4/ip_forward && no "/proc/sys is writable"
exit $r
EOF
chmod 755 "$R/usr/local/sbin/cdnallow-probe"

LEADER=
boot() {
	systemd-nspawn -D "$R" -b --private-network --register=no --keep-unit -q </dev/null \
		>>"$T/console.log" 2>&1 &
	NSPAWN=$!
	LEADER=
	for _ in $(seq 300); do
		LEADER=$(pgrep -P "$NSPAWN" | head -1)
		[ -n "$LEADER" ] && [ "$(cat "/proc/$LEADER/comm" 2>/dev/null)" = systemd ] && break
		LEADER=
		kill -0 "$NSPAWN" 2>/dev/null || break
		sleep 0.1
	done
	[ -n "$LEADER" ] || { tail -20 "$T/console.log"; skip "systemd-nspawn -b cannot boot a container here"; }
	# systemctl needs the manager's socket, which PID 1 makes early in boot
	for _ in $(seq 300); do
		c test -S /run/systemd/private && break
		sleep 0.1
	done
	c systemctl is-system-running --wait >"$T/running" 2>&1
	grep -qxE 'running|degraded' "$T/running" || { cat "$T/running"; fail "boot did not finish"; }
	c systemctl --failed --no-legend >"$T/failed"
	[ ! -s "$T/failed" ] || { cat "$T/failed"; fail "units failed at boot"; }
}
halt() {
	c systemctl poweroff >/dev/null 2>&1
	wait "$NSPAWN"
	NSPAWN=
}
# run a command inside the container
c() { nsenter -t "$LEADER" -a -- env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"; }
# wait until systemd has no job queued (a --no-block restore after a reload)
settle() {
	for _ in $(seq 600); do
		c systemctl list-jobs --no-legend >"$T/jobs" 2>&1 || true
		[ -s "$T/jobs" ] || return 0
		sleep 0.1
	done
	cat "$T/jobs"
	fail "systemd jobs still queued after 60 s"
}
# how many times cdnallow-boot.service has run to completion (its summary line)
restores() { c journalctl -b -u cdnallow-boot.service -o cat | grep -c '^sync \(applied\|unchanged\):'; }
# cdnallow status exit code inside (0: the firewall holds the allowlist)
cstatus() { c cdnallow status >"$T/status.out" 2>&1; echo $?; }
# CMD...: run, settle, then the allowlist must be back by a new restore
restored_after() {
	local before after st
	before=$(restores)
	c "$@" >"$T/cmd.out" 2>&1 || { cat "$T/cmd.out"; fail "$*"; }
	settle
	after=$(restores)
	st=$(cstatus)
	[ "$after" -gt "$before" ] || fail "$*: cdnallow-boot did not run (restores $before -> $after)"
	[ "$st" = 0 ] || { cat "$T/status.out"; fail "$*: cdnallow status $st afterwards"; }
}
setconf() { # BACKEND
	printf '[cdnallow]\nproviders = cloudflare\nbackend = %s\n[guard]\nmax_age = 3650d\n[provider:cloudflare]\npath = /etc/cdnallow/cf.txt\nfloor = 10\n' \
		"$1" >"$R/etc/cdnallow/cdnallow.conf"
	c systemctl daemon-reload
}

boot
ok "booted Debian 12 in systemd-nspawn ($(($(date +%s) - start)) s so far)"

# 1. install: one first sync, offline (private network) from the snapshot.
# The snapshot is older than the default max_age (90d), which would refuse
# to add it to an empty firewall: the admin's config, there before the
# package, allows it (dpkg keeps it: --force-confold).
mkdir -p "$R/etc/cdnallow"
printf '[cdnallow]\nproviders = cloudflare\n[guard]\nmax_age = 3650d\n' >"$R/etc/cdnallow/cdnallow.conf"
c dpkg --force-confold -i /root/cdnallow.deb >"$T/dpkg.log" 2>&1 || { cat "$T/dpkg.log"; fail "dpkg -i"; }
has -F -e "cdnallow: running a first sync now" "$T/dpkg.log" || { cat "$T/dpkg.log"; fail "postinst says nothing of a first sync"; }
[ "$(cstatus)" = 0 ] || { cat "$T/status.out"; fail "no allowlist after install"; }
c journalctl -u cdnallow.service -p warning -o cat >"$T/warn.log"
has -F -e "source 'cloudflare': using the built-in snapshot" "$T/warn.log" ||
	{ c journalctl -u cdnallow.service -o short-precise; fail "no snapshot fallback warning in the journal"; }
! has -F -e "cannot drop root" "$T/warn.log" ||
	{ cat "$T/warn.log"; fail "the unit keeps the download child from dropping root"; }
c journalctl -u cdnallow.service -o cat >"$T/all.log"
[ "$(grep -c '^sync applied: nftables holds' "$T/all.log")" = 1 ] ||
	{ cat "$T/all.log"; fail "the summary line is not in the journal exactly once"; }
! grep -q '^cdnallow: ' "$T/all.log" || { cat "$T/all.log"; fail "journal lines carry a cdnallow: prefix (stderr not detected as the journal)"; }
c journalctl -u cdnallow.service -p info -o json >"$T/all.json"
has -F -e '"PRIORITY":"6"' "$T/all.json" || fail "the summary line is not at priority info"
c systemctl is-enabled cdnallow.timer cdnallow-boot.service >"$T/en" 2>&1
[ "$(tr '\n' ' ' <"$T/en")" = "enabled enabled " ] || { cat "$T/en"; fail "units not enabled"; }
ok "install: first sync from the built-in snapshot, warning + one summary line in the journal (-q)"

# 2. a refused list: from 22 prefixes to 11 is beyond max_shrink
cp "$R/root/cf-full.txt" "$R/etc/cdnallow/cf.txt"
setconf nftables
c systemctl start cdnallow.service || fail "sync of the full list"
cp "$R/root/cf-shrunk.txt" "$R/etc/cdnallow/cf.txt"
c systemctl start cdnallow.service || fail "a refused list must keep the last good state, exit 0"
c journalctl -u cdnallow.service -p warning -o cat >"$T/warn.log"
has -e "source .cloudflare.*shrank from" "$T/warn.log" || { cat "$T/warn.log"; fail "no refused-list warning in the journal"; }
[ "$(cstatus)" = 0 ] || { cat "$T/status.out"; fail "status after a refused list"; }
cp "$R/root/cf-full.txt" "$R/etc/cdnallow/cf.txt"
ok "refused list: warning in the journal, the last good list stays"

# 3. the sandbox, probed from inside the real unit (its ExecStart replaced)
c mkdir -p /run/systemd/system/cdnallow.service.d
printf '[Service]\nExecStart=\nExecStart=/usr/local/sbin/cdnallow-probe\n' \
	>"$R/root/probe.conf"
c cp /root/probe.conf /run/systemd/system/cdnallow.service.d/probe.conf
c systemctl daemon-reload
c systemctl start cdnallow.service || { c journalctl -u cdnallow.service -n 5 -o cat; fail "sandbox probe (nftables backend)"; }
c rm -r /run/systemd/system/cdnallow.service.d
c systemctl daemon-reload
for u in cdnallow.service cdnallow-boot.service; do
	c systemd-analyze security "$u" >"$T/sec" 2>&1
	score=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' "$T/sec")
	[ -n "$score" ] || { tail -3 "$T/sec"; fail "no exposure score for $u"; }
	max=2.1 # the online unit may setuid for its download child (privsep.c): 2.3
	[ "$u" = cdnallow.service ] && max=2.3
	awk -v s="$score" -v m="$max" 'BEGIN { exit !(s <= m) }' || fail "$u exposure $score > $max"
	echo "# $u: exposure $score"
done
ok "sandbox: /run read-only but the two locks, no systemd socket, no bus (nftables), exposure <= 2.1 (boot) / 2.3 (online)"

# 4. least privilege under the real units. The test server runs in the
# container's network namespace only (its loopback), from the host's python.
# A runtime drop-in moves the timer's first elapse to now (nothing else of
# the unit changes): the timer fires cdnallow.service, whose sync downloads
# from /slow/ (one byte each 0.5 s) and is caught in the middle.
SRV=$T/srv
mkdir -p "$SRV"
nsenter -t "$LEADER" -n -- "$(command -v /usr/bin/python3 || command -v python3)" \
	"$TESTS_DIR/integration/lib/https_server.py" --make-certs --fixtures "$TESTS_DIR/fixtures" \
	--dir "$SRV" >"$SRV/server.out" 2>&1 &
SRV_PID=$!
for _ in $(seq 150); do
	[ -s "$SRV/port" ] && break
	sleep 0.1
done
[ -s "$SRV/port" ] || { cat "$SRV/server.out"; fail "https test server in the container's namespace"; }
port=$(cat "$SRV/port")
cp "$SRV/ca.pem" "$R/etc/cdnallow/ca.pem"
printf '[cdnallow]\nproviders = cloudflare\nbackend = nftables\n[guard]\nmax_age = 3650d\n[fetch]\nca_file = /etc/cdnallow/ca.pem\n[provider:cloudflare]\nurl = https://127.0.0.1:%s/slow/cloudflare-ips-v4.txt, https://127.0.0.1:%s/ok/cloudflare-ips-v6.txt\n' \
	"$port" "$port" >"$R/etc/cdnallow/cdnallow.conf"
# the uid the postinst gave _cdnallow: the child must drop to it, not to nobody
cuid=$(awk -F: '$1 == "_cdnallow" { print $3 }' "$R/etc/passwd")
cgid=$(awk -F: '$1 == "_cdnallow" { print $4 }' "$R/etc/passwd")
[ -n "$cuid" ] && [ "$cuid" != 0 ] && [ -n "$cgid" ] && [ "$cgid" != 0 ] ||
	fail "the postinst created no _cdnallow user (uid '$cuid', gid '$cgid')"
trig0=$(c systemctl show -P LastTriggerUSecMonotonic cdnallow.timer)
c mkdir -p /run/systemd/system/cdnallow.timer.d
# an empty OnBootSec= resets every monotonic trigger of the unit
printf '[Timer]\nOnBootSec=\nOnActiveSec=1s\nRandomizedDelaySec=0\nAccuracySec=1ms\n' >"$R/root/now.conf"
c cp /root/now.conf /run/systemd/system/cdnallow.timer.d/now.conf
c systemctl daemon-reload
c systemctl restart cdnallow.timer || fail "restart of cdnallow.timer"
holder=
for _ in $(seq 300); do
	holder=$(nsenter -t "$LEADER" -n -- ss -tnpH state established "( dport = :$port )" |
		sed -n 's/.*"cdnallow",pid=\([0-9]*\),.*/\1/p' | head -n1)
	[ -n "$holder" ] && break
	sleep 0.1
done
[ -n "$holder" ] || { tail -3 "$SRV/requests.log"; fail "no cdnallow process holds a connection to the test server after the timer fired"; }
trig1=$(c systemctl show -P LastTriggerUSecMonotonic cdnallow.timer)
[ "$trig1" != "$trig0" ] && [ "$trig1" != 0 ] || fail "cdnallow.timer did not trigger (last trigger $trig0 -> $trig1)"
[ "$(c systemctl show -P ActiveState cdnallow.service)" = activating ] ||
	fail "cdnallow.service is not running its sync: $(c systemctl show -P ActiveState cdnallow.service)"
status=$(cat "/proc/$holder/status") || fail "pid $holder is gone"
has -E '/system\.slice/cdnallow\.service$' "/proc/$holder/cgroup" ||
	fail "the connection is not held from cdnallow.service: $(cat "/proc/$holder/cgroup")"
has -E "^Uid:[[:space:]]+$cuid[[:space:]]+$cuid[[:space:]]+$cuid[[:space:]]+$cuid\$" <<<"$status" ||
	fail "the downloader is not _cdnallow ($cuid): $(grep -E '^(Uid|Gid):' <<<"$status")"
has -E "^Gid:[[:space:]]+$cgid[[:space:]]+$cgid[[:space:]]+$cgid[[:space:]]+$cgid\$" <<<"$status" ||
	fail "the downloader's group is not _cdnallow's ($cgid): $(grep ^Gid <<<"$status")"
has '^CapEff:[[:space:]]*0000000000000000$' <<<"$status" || fail "downloader: $(grep ^Cap <<<"$status")"
has '^CapPrm:[[:space:]]*0000000000000000$' <<<"$status" || fail "downloader: $(grep ^Cap <<<"$status")"
has '^NoNewPrivs:[[:space:]]*1$' <<<"$status" || fail "downloader: no_new_privs not set"
parent=$(awk '/^PPid:/ { print $2 }' <<<"$status")
pstatus=$(cat "/proc/$parent/status") || fail "the downloader's parent $parent is gone"
main=$(c systemctl show -P MainPID cdnallow.service)
[ "$(awk '/^NSpid:/ { print $NF }' <<<"$pstatus")" = "$main" ] ||
	fail "the downloader's parent is not the unit's main process $main: $(grep -E '^(Name|NSpid):' <<<"$pstatus")"
has -E '^Uid:[[:space:]]+0[[:space:]]+0[[:space:]]+0[[:space:]]+0$' <<<"$pstatus" ||
	fail "the parent is not root: $(grep ^Uid <<<"$pstatus")"
# CAP_NET_ADMIN (bit 12): the parent keeps what it needs to apply
capeff=$(awk '/^CapEff:/ { print $2 }' <<<"$pstatus")
(((0x$capeff >> 12) & 1)) || fail "the parent lost CAP_NET_ADMIN: CapEff $capeff"
ok "timer -> cdnallow.service: the download (pid $holder) runs as _cdnallow (uid $cuid), CapEff 0, no_new_privs; its parent, the unit's main pid $main, is root with CapEff $capeff"
c systemctl stop cdnallow.timer
c systemctl stop cdnallow.service
c rm -r /run/systemd/system/cdnallow.timer.d
kill "$SRV_PID" 2>/dev/null
wait "$SRV_PID" 2>/dev/null
SRV_PID=
c rm /etc/cdnallow/ca.pem
setconf nftables
# the real timer back; its boot trigger may be past and fire once: let it end
c systemctl start cdnallow.timer || fail "start of cdnallow.timer"
settle
for _ in $(seq 300); do
	[ "$(c systemctl show -P ActiveState cdnallow.service)" = activating ] || break
	sleep 0.1
done
[ "$(cstatus)" = 0 ] || { cat "$T/status.out"; fail "status after the least-privilege check"; }

# 5. reboot: a new network namespace, empty; cdnallow-boot restores at boot
halt
boot
[ "$(cstatus)" = 0 ] || { cat "$T/status.out"; fail "no allowlist after reboot"; }
[ "$(restores)" = 1 ] || fail "cdnallow-boot did not run once at boot"
ok "reboot: allowlist restored at boot"

# 6. nftables: first enable (Debian ships it disabled), reload, restart
restored_after systemctl enable --now nftables.service
ok "systemctl enable --now nftables (flush ruleset): allowlist back"
restored_after systemctl reload nftables.service
ok "systemctl reload nftables: allowlist back"
restored_after systemctl restart nftables.service
ok "systemctl restart nftables: allowlist back"
c systemctl mask cdnallow-boot.service >/dev/null 2>&1
c systemctl reload nftables.service || fail "reload with cdnallow-boot masked"
settle
[ "$(cstatus)" != 0 ] || fail "negative control: a reload without the restore leaves the allowlist in place?"
c systemctl unmask cdnallow-boot.service >/dev/null 2>&1
restored_after systemctl restart nftables.service
ok "negative control: masked cdnallow-boot, a reload wipes the allowlist"

# 7. ufw, then firewalld
c systemctl disable --now nftables.service >/dev/null 2>&1
c cdnallow -q flush || fail "flush of the nftables objects"
setconf ufw
c ufw --force enable >"$T/ufw.out" 2>&1 || { cat "$T/ufw.out"; fail "ufw enable"; }
restored_after systemctl enable --now ufw.service
restored_after systemctl restart ufw.service
ok "ufw: enable, systemctl restart ufw: allowlist back"
c cdnallow -q flush || fail "flush of the ufw objects"
c ufw --force disable >/dev/null 2>&1
c systemctl disable --now ufw.service >/dev/null 2>&1
setconf firewalld
restored_after systemctl enable --now firewalld.service
restored_after systemctl restart firewalld.service
ok "firewalld: enable --now, systemctl restart firewalld: allowlist back"

# 8. upgrade
c dpkg -i /root/cdnallow-up.deb >"$T/dpkg-up.log" 2>&1 || { cat "$T/dpkg-up.log"; fail "upgrade"; }
settle
c systemctl is-enabled cdnallow.timer cdnallow-boot.service >"$T/en" 2>&1
[ "$(tr '\n' ' ' <"$T/en")" = "enabled enabled " ] || { cat "$T/en"; fail "units not enabled after upgrade"; }
c systemctl is-active cdnallow.timer >/dev/null || fail "timer not active after upgrade"
[ "$(cstatus)" = 0 ] || { cat "$T/status.out"; fail "status after upgrade"; }
restored_after systemctl restart firewalld.service
ok "upgrade to $ver+systest1: units enabled, timer active, allowlist kept and still restored"

# 9. purge: nothing of cdnallow remains (but files an admin put into
# /etc/cdnallow: dpkg keeps those, as for any package; the list is ours)
c rm /etc/cdnallow/cf.txt
c dpkg --purge cdnallow >"$T/purge.log" 2>&1 || { cat "$T/purge.log"; fail "purge"; }
has -F -e "cdnallow: removing the allowlist from the firewall" "$T/purge.log" || { cat "$T/purge.log"; fail "prerm said nothing"; }
# firewalld: flush empties the runtime policy and ipsets and removes the
# permanent ones, never reloading (a reload drops all traffic while it runs);
# they must hold no address now, and go at firewalld's next reload
c nft list ruleset >"$T/ruleset" || fail "nft list ruleset"
awk '/^\t*set cdnallow/ { inset = 1 } inset && /elements/ { bad = 1; print } inset && /^\t*}/ { inset = 0 }
	END { exit bad }' "$T/ruleset" || fail "addresses left in cdnallow's firewalld ipsets after purge"
c firewall-cmd --reload >/dev/null || fail "firewall-cmd --reload"
c nft list ruleset >"$T/ruleset" || fail "nft list ruleset"
! grep -qi cdnallow "$T/ruleset" || { grep -i cdnallow "$T/ruleset"; fail "cdnallow objects left in the ruleset"; }
c firewall-cmd --get-zones >"$T/zones" || fail "firewall-cmd --get-zones"
! grep -q cdnallow "$T/zones" || fail "firewalld zone left: $(cat "$T/zones")"
c firewall-cmd --permanent --get-ipsets >"$T/ipsets" || fail "firewall-cmd --get-ipsets"
! grep -q cdnallow "$T/ipsets" || fail "firewalld ipsets left: $(cat "$T/ipsets")"
left=$(c find /etc /var /usr /run -path '*cdnallow*' ! -path /usr/local/sbin/cdnallow-probe 2>/dev/null | head)
[ -z "$left" ] || fail "files left after purge: $left"
halt
ok "purge: no rule, set, zone, ipset, file or unit of cdnallow left ($(($(date +%s) - start)) s in all)"

echo "PASS: $pass checks"
