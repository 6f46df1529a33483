#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The Debian package: `dpkg-buildpackage -b` builds it (nocheck) from a git
# archive of HEAD unpacked in an empty temp dir (tools/build-deb from the work
# tree when this is no git checkout), then its contents are checked (binary, units, man pages, completions,
# conffile, state dir 0700), the maintainer scripts enable the timer and the
# boot unit and start only the timer, the extracted binary runs `providers`
# and accepts the packaged config; finally `dpkg -i` installs it for real into
# a container-like root (an overlay of / in a private mount namespace, with
# an empty /run and a policy-rc.d that forbids starting services), where the
# timer ends up enabled and `cdnallow providers` runs; postinst created the
# _cdnallow system user once (configuring again keeps it), a download child
# runs as it (its uid under gdb when libcurl starts), purge removes it. The host's dpkg
# database, systemd and files are never touched. Skips (77) without the build
# dependencies (debhelper, dpkg-dev, fakeroot and the libraries).
set -uo pipefail
. "${TESTS_DIR:-$(dirname "$0")/..}/integration/lib/common.sh"
: "${TESTS_DIR:?}"
REPO=$(cd "$TESTS_DIR/.." && pwd)
fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*" >&2; exit 77; }

for t in dpkg-buildpackage dpkg-deb dh fakeroot; do
	command -v "$t" >/dev/null || skip "needs $t (apt-get install debhelper dpkg-dev fakeroot)"
done
dpkg-checkbuilddeps -B "$REPO/packaging/debian/control" >/dev/null 2>&1 ||
	skip "build dependencies missing: $(dpkg-checkbuilddeps -B "$REPO/packaging/debian/control" 2>&1)"
[ "$(id -u)" = 0 ] || skip "needs root (install into an overlay root)"

T=$(mktemp -d /tmp/cdna-ops-deb.XXXXXX)
trap 'rm -rf "$T"' EXIT

# the package the ctest fixture "deb" built once for this test and
# test_system_boot (tests/integration/lib/deb_package.sh)
if [ -z "${CDNALLOW_DEB:-}" ] && [ -n "${CDNALLOW_DEB_DIR:-}" ]; then
	CDNALLOW_DEB=$(ls "$CDNALLOW_DEB_DIR"/cdnallow_*_*.deb 2>/dev/null | head -1)
fi
# CDNALLOW_DEB=FILE checks an already built package instead of building one
start=$(date +%s)
if [ -n "${CDNALLOW_DEB:-}" ]; then
	deb=$CDNALLOW_DEB
else
	# from a bare checkout: `git archive` of HEAD in an empty directory (nothing beside
	# it), built with plain dpkg-buildpackage through the top-level debian link
	if git -C "$REPO" rev-parse --verify -q HEAD >/dev/null 2>&1; then
		mkdir -p "$T/bare/src" "$T/deb"
		git -C "$REPO" archive HEAD | tar -C "$T/bare/src" -xf -
		(cd "$T/bare/src" && DEB_BUILD_OPTIONS="nocheck parallel=${JOBS:-2}" \
			dpkg-buildpackage -us -uc -b) >"$T/build.log" 2>&1 ||
			{ tail -40 "$T/build.log"; fail "dpkg-buildpackage -b in a git archive of HEAD"; }
		mv "$T"/bare/cdnallow_*.deb "$T/deb/"
	else
		"$REPO/tools/build-deb" --nocheck "$T/deb" >"$T/build.log" 2>&1 ||
			{ tail -40 "$T/build.log"; fail "tools/build-deb"; }
	fi
	deb=$(ls "$T"/deb/cdnallow_*_*.deb 2>/dev/null | head -1)
	echo "# built $(basename "$deb") in $(($(date +%s) - start)) s"
fi
[ -f "$deb" ] || fail "no cdnallow_*.deb"
ok "package ready: $(basename "$deb")"

dpkg-deb -c "$deb" | awk '{ sub(/^\.\//, "", $6); print $1, $6 }' >"$T/list"
want() { # MODE PATH
	grep -qxF -- "$1 $2" "$T/list" || { grep -F -- " $2" "$T/list"; fail "want $2 with mode $1"; }
}
want -rwxr-xr-x usr/sbin/cdnallow
for u in cdnallow.service cdnallow.timer cdnallow-boot.service; do
	want -rw-r--r-- "lib/systemd/system/$u"
	cmp -s <(dpkg-deb --fsys-tarfile "$deb" | tar -xOf - "./lib/systemd/system/$u") \
		"$REPO/contrib/systemd/$u" || fail "$u differs from contrib/systemd"
done
want -rw-r--r-- usr/share/man/man8/cdnallow.8.gz
want -rw-r--r-- usr/share/man/man5/cdnallow.conf.5.gz
want -rw-r--r-- usr/share/bash-completion/completions/cdnallow
want -rw-r--r-- usr/share/zsh/vendor-completions/_cdnallow
want -rw-r--r-- etc/cdnallow/cdnallow.conf
want drwx------ var/lib/cdnallow/
ok "contents: binary, units, man pages, completions, config, state dir 0700"

dpkg-deb -e "$deb" "$T/control"
grep -qx /etc/cdnallow/cdnallow.conf "$T/control/conffiles" || fail "the config is not a conffile"
grep -q "deb-systemd-helper enable 'cdnallow.timer'" "$T/control/postinst" || fail "timer not enabled"
grep -q "deb-systemd-helper enable 'cdnallow-boot.service'" "$T/control/postinst" ||
	fail "boot unit not enabled"
grep -q "deb-systemd-invoke .*'cdnallow.timer'" "$T/control/postinst" || fail "timer not started"
! grep -q "deb-systemd-invoke .*cdnallow-boot" "$T/control/postinst" ||
	fail "the boot unit must not be started at install time"
grep -q "^	if \[ ! -d /run/systemd/system \] || ! allowed cdnallow.service; then" "$T/control/postinst" ||
	fail "the first sync must be guarded by a running systemd and policy-rc.d"
grep -q "systemctl start cdnallow.service" "$T/control/postinst" || fail "no first sync at install"
grep -q "cdnallow -q flush" "$T/control/prerm" || fail "prerm remove does not flush"
grep -q "rm -rf /var/lib/cdnallow" "$T/control/postrm" || fail "postrm purge keeps the state dir"
grep -q "adduser --system --group --no-create-home --home /nonexistent --quiet _cdnallow" \
	"$T/control/postinst" || fail "postinst does not create the _cdnallow system user"
grep -q "deluser --quiet --system _cdnallow" "$T/control/postrm" || fail "postrm purge keeps _cdnallow"
dpkg-deb -f "$deb" Depends | grep -qw adduser || fail "the package does not depend on adduser"
# libcurl is dlopen()ed: dpkg-shlibdeps cannot see it, control names it
dpkg-deb -f "$deb" Depends | grep -qE '(^|, )libcurl4 \(>= 7\.85\.0\) \| libcurl4t64 \(>= 7\.85\.0\)' ||
	fail "the package does not depend on libcurl4: $(dpkg-deb -f "$deb" Depends)"
grep -q "dh_installsystemd.*--no-stop-on-upgrade.*cdnallow-boot" "$REPO/packaging/debian/rules" ||
	fail "an upgrade would stop cdnallow-boot"
ok "maintainer scripts: timer enabled + started, boot unit enabled only, first sync, flush, purge, _cdnallow user; Depends: libcurl4"

dpkg-deb -x "$deb" "$T/x"
bin=$T/x/usr/sbin/cdnallow
readelf -d "$bin" | grep -q 'NEEDED.*\[libc\.so' || fail "readelf shows no DT_NEEDED of the binary"
! readelf -d "$bin" | grep -q 'NEEDED.*libcurl' || fail "the packaged binary links libcurl"
"$bin" providers >"$T/providers" 2>&1 || { cat "$T/providers"; fail "cdnallow providers"; }
grep -q '^cloudflare ' "$T/providers" || fail "providers does not list cloudflare"
# the snapshot of data/snapshot/ is built in: a capture date for each provider of MANIFEST
[ "$(grep -c 'snapshot captured [0-9-]* ([0-9]* days\{0,1\} old)' "$T/providers")" = \
	"$(awk -F'\t' '!/^#/ && NF { print $1 }' "$REPO/data/snapshot/MANIFEST" | sort -u | wc -l)" ] ||
	fail "the packaged binary lacks (part of) the built-in snapshot"
"$bin" --offline --state-dir "$T/state" fetch -p cloudflare,fastly >"$T/fetch" 2>"$T/fetch.err" ||
	{ cat "$T/fetch.err"; fail "--offline fetch -p cloudflare,fastly"; }
[ "$(grep -vc '^#' "$T/fetch")" -ge 40 ] || fail "--offline fetch -p cloudflare,fastly is too short"
ver=$(dpkg-deb -f "$deb" Version)
[ "$("$bin" --version)" = "cdnallow ${ver%-*}" ] || fail "--version '$("$bin" --version)' vs package $ver"
"$bin" -c "$T/x/etc/cdnallow/cdnallow.conf" --state-dir "$T/state" --offline fetch >"$T/fetch" \
	2>"$T/fetch.err" || { cat "$T/fetch.err"; fail "the binary rejects the packaged config"; }
[ "$(wc -l <"$T/fetch")" -ge 10 ] || fail "offline fetch with the packaged config is too short"
for m in cdnallow.8 cdnallow.conf.5; do
	s=${m##*.}
	MANWIDTH=80 man -l "$T/x/usr/share/man/man$s/$m.gz" >"$T/man.out" 2>&1 || fail "man $m"
	grep -q cdnallow "$T/man.out" || fail "man $m renders nothing"
done
ok "extracted: providers, --version $ver, packaged config accepted offline, man pages render"

# A real `dpkg -i` into an overlay of / (writes go to a tmpfs upper layer).
if ! unshare -m true 2>/dev/null; then
	echo "# no mount namespaces: dpkg -i into a throwaway root skipped"
	echo "PASS: $pass checks"
	exit 0
fi
cp "$deb" "$T/cdnallow.deb"
mkdir -p "$T/ov"
unshare -m --propagation private bash -c '
	set -e
	ov=$1 deb=$2 res=$3
	mount -t tmpfs tmpfs "$ov"
	mkdir -p "$ov/upper" "$ov/work" "$ov/root"
	mount -t overlay overlay -o "lowerdir=/,upperdir=$ov/upper,workdir=$ov/work" "$ov/root"
	r=$ov/root
	# Its own /dev: a bind of the host /dev would let a maintainer script
	# that replaces /dev/null in the chroot replace the host one.
	mount -t tmpfs -o mode=755 tmpfs "$r/dev"
	for d in null:1:3 zero:1:5 full:1:7 random:1:8 urandom:1:9 tty:5:0; do
		IFS=: read -r n ma mi <<<"$d"
		mknod -m 666 "$r/dev/$n" c "$ma" "$mi"
	done
	mkdir "$r/dev/pts" "$r/dev/shm"
	ln -s /proc/self/fd "$r/dev/fd"
	mount -t proc proc "$r/proc"
	mount -t tmpfs tmpfs "$r/run"
	mount -t tmpfs tmpfs "$r/tmp"
	printf "#!/bin/sh\nexit 101\n" >"$r/usr/sbin/policy-rc.d"
	chmod 755 "$r/usr/sbin/policy-rc.d"
	cp "$deb" "$r/tmp/cdnallow.deb"
	chroot "$r" dpkg --force-confdef --force-confold -i /tmp/cdnallow.deb >"$res/dpkg.log" 2>&1 || {
		echo "dpkg-failed" >"$res/status"; exit 0; }
	chroot "$r" dpkg-query -W -f "\${Status}\n" cdnallow >"$res/status"
	chroot "$r" cdnallow providers >"$res/providers" 2>&1 || echo "providers-failed" >>"$res/status"
	chroot "$r" stat -c %a /var/lib/cdnallow >"$res/statedir"
	# the system user, created once: configuring again changes nothing
	chroot "$r" getent passwd _cdnallow >"$res/user" || echo "no-user" >>"$res/status"
	chroot "$r" getent group _cdnallow >"$res/group" || echo "no-group" >>"$res/status"
	chroot "$r" /var/lib/dpkg/info/cdnallow.postinst configure 0.0 >>"$res/dpkg.log" 2>&1 ||
		echo "reconfigure-failed" >>"$res/status"
	chroot "$r" getent passwd _cdnallow >"$res/user2" || true
	# the download child of a run as root drops to it: its uid when libcurl starts
	printf "set pagination off\nset breakpoint pending on\nset follow-fork-mode child\nbreak curl_multi_perform\nrun\npython import gdb; print(\"CHILD uid=\" + open(\"/proc/%%d/status\" %% gdb.selected_inferior().pid).read().split(\"Uid:\")[1].split()[0])\nkill\n" >"$r/tmp/gdb.cmd"
	chroot "$r" timeout 120 gdb -q -batch -x /tmp/gdb.cmd --args cdnallow --state-dir /tmp/st \
		fetch -s https://192.0.2.1/list.txt >"$res/gdb.out" 2>&1 || true
	ls -l "$r/etc/systemd/system/timers.target.wants/" "$r/etc/systemd/system/multi-user.target.wants/" \
		>"$res/wants" 2>&1 || true
	chroot "$r" dpkg --purge cdnallow >>"$res/dpkg.log" 2>&1 || echo "purge-failed" >>"$res/status"
	[ ! -e "$r/etc/cdnallow/cdnallow.conf" ] || echo "conffile-left" >>"$res/status"
	[ ! -e "$r/var/lib/cdnallow" ] || echo "statedir-left" >>"$res/status"
	! chroot "$r" getent passwd _cdnallow >/dev/null || echo "user-left" >>"$res/status"
	! chroot "$r" getent group _cdnallow >/dev/null || echo "group-left" >>"$res/status"
' deb-root "$T/ov" "$T/cdnallow.deb" "$T" || fail "setting up the overlay root"
[ "$(cat "$T/status")" = "install ok installed" ] || { cat "$T/dpkg.log" "$T/status"; fail "dpkg -i into the overlay root"; }
grep -q '^cloudflare ' "$T/providers" || { cat "$T/providers"; fail "installed cdnallow providers"; }
# no systemd in the chroot: the first sync is not run, and the output says what to do
grep -q "cdnallow: not starting services here: run 'cdnallow sync' once" "$T/dpkg.log" ||
	{ cat "$T/dpkg.log"; fail "postinst does not say that no first sync ran"; }
[ "$(cat "$T/statedir")" = 700 ] || fail "installed state dir mode $(cat "$T/statedir")"
grep -q 'cdnallow.timer -> /lib/systemd/system/cdnallow.timer' "$T/wants" ||
	{ cat "$T/wants"; fail "the package did not enable cdnallow.timer"; }
grep -q 'cdnallow-boot.service -> /lib/systemd/system/cdnallow-boot.service' "$T/wants" ||
	{ cat "$T/wants"; fail "the package did not enable cdnallow-boot.service"; }
IFS=: read -r _ _ uid gid _ home shell <"$T/user"
[ "$uid" -gt 0 ] && [ "$uid" -lt 1000 ] && [ "$home" = /nonexistent ] ||
	fail "_cdnallow is not a system user without home: $(cat "$T/user")"
[ "$(cut -d: -f3 "$T/group")" = "$gid" ] || fail "_cdnallow's group: $(cat "$T/group") vs gid $gid"
cmp -s "$T/user" "$T/user2" || fail "configuring again changed the user: $(cat "$T/user" "$T/user2")"
has -x "CHILD uid=$uid" "$T/gdb.out" ||
	{ tail -20 "$T/gdb.out"; fail "the download child does not run as _cdnallow ($uid)"; }
ok "the _cdnallow system user (uid $uid, home $home, shell $shell): created once, the download child runs as it, purge removes it"
ok "dpkg -i in a throwaway root: installed, timer + boot unit enabled, providers runs, purge clean"

echo "PASS: $pass checks"
