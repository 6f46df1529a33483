#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The RPM from a bare checkout: `git archive` of HEAD unpacked in an empty temp
# dir (no .git, nothing beside it), its own tools/build-rpm (rpmbuild with the
# spec's fallbacks for Fedora-only macros), then `rpm -qlp` must list exactly
# the packaged files, the state dir must be 0700, the scriptlets must not
# start the boot unit, and the extracted binary must carry the built-in
# snapshot, the _cdnallow user comes from %pre and a sysusers.d file that
# systemd-sysusers accepts (run on a scratch root). Never installs anything. Skips (77) without rpmbuild (Debian
# package rpm) or outside a git checkout.
set -uo pipefail
. "${TESTS_DIR:-$(dirname "$0")/..}/integration/lib/common.sh"
: "${TESTS_DIR:?}"
REPO=$(cd "$TESTS_DIR/.." && pwd)
fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*" >&2; exit 77; }
for t in rpmbuild rpm rpm2cpio cpio; do
	command -v "$t" >/dev/null || skip "needs $t (apt-get install rpm cpio)"
done
git -C "$REPO" rev-parse --verify -q HEAD >/dev/null 2>&1 || skip "not a git checkout"

T=$(mktemp -d /tmp/cdna-rpm.XXXXXX)
trap 'rm -rf "$T"' EXIT
mkdir -p "$T/bare/src"
git -C "$REPO" archive HEAD | tar -C "$T/bare/src" -xf -
start=$(date +%s)
"$T/bare/src/tools/build-rpm" --nocheck "$T/out" >"$T/build.log" 2>&1 ||
	{ tail -40 "$T/build.log"; fail "tools/build-rpm in a git archive of HEAD"; }
rpmf=$(ls "$T"/out/cdnallow-*.rpm 2>/dev/null | head -1)
[ -f "$rpmf" ] || fail "no cdnallow-*.rpm"
ok "built $(basename "$rpmf") from a git archive of HEAD in $(($(date +%s) - start)) s"

rpm -qlp "$rpmf" 2>/dev/null | grep -v '^/usr/lib/\.build-id' >"$T/list"
for f in /usr/sbin/cdnallow /etc/cdnallow/cdnallow.conf /var/lib/cdnallow \
	/usr/lib/systemd/system/cdnallow.service /usr/lib/systemd/system/cdnallow.timer \
	/usr/lib/systemd/system/cdnallow-boot.service \
	/usr/lib/systemd/system/nftables.service.d/cdnallow.conf \
	/usr/lib/systemd/system/firewalld.service.d/cdnallow.conf \
	/usr/lib/systemd/system/docker.service.d/cdnallow.conf \
	/usr/lib/systemd/system-generators/cdnallow-dbus-generator \
	/usr/lib/systemd/system-preset/50-cdnallow.preset \
	/usr/share/bash-completion/completions/cdnallow /usr/share/zsh/site-functions/_cdnallow \
	/usr/lib/sysusers.d/cdnallow.conf; do
	grep -qxF "$f" "$T/list" || { cat "$T/list"; fail "rpm -qlp lacks $f"; }
done
grep -q '^/usr/share/man/man8/cdnallow\.8' "$T/list" || fail "rpm -qlp lacks the man page"
rpm -qp --qf '[%{FILEMODES:perms} %{FILENAMES}\n]' "$rpmf" >"$T/modes" 2>/dev/null
has -x 'drwx------ /var/lib/cdnallow' "$T/modes" || fail "state dir not 0700: $(grep lib/cdnallow "$T/modes")"
has -x -- '-rwxr-xr-x /usr/sbin/cdnallow' "$T/modes" || fail "binary mode"
rpm -qp --configfiles "$rpmf" 2>/dev/null >"$T/conf"
has -x /etc/cdnallow/cdnallow.conf "$T/conf" || fail "cdnallow.conf is not a %config file"
ok "rpm -qlp: binary, units, preset, config (%config), completions, man page, state dir 0700"

# libcurl is dlopen()ed: rpm's automatic dependencies cannot see it, the spec names it
rpm -qp --requires "$rpmf" 2>/dev/null >"$T/requires"
has -E '^libcurl(\([^)]*\))? >= 7\.85\.0$' "$T/requires" ||
	fail "the package does not require libcurl: $(tr '\n' ' ' <"$T/requires")"
ok "Requires: libcurl >= 7.85.0"

rpm -qp --scripts "$rpmf" >"$T/scripts" 2>/dev/null
has 'systemctl start cdnallow.timer' "$T/scripts" || fail "%post does not start the timer"
! has 'start cdnallow-boot' "$T/scripts" || fail "%post starts the boot unit"
has 'systemctl start cdnallow.service' "$T/scripts" || fail "%post runs no first sync"
has 'cdnallow -q flush' "$T/scripts" || fail "%preun does not flush on erase"
has 'rm -rf /var/lib/cdnallow' "$T/scripts" || fail "%postun keeps the state dir on erase"
has 'useradd -r -g _cdnallow -d /nonexistent -M' "$T/scripts" || fail "%pre does not create _cdnallow"
mkdir -p "$T/x"
(cd "$T/x" && rpm2cpio "$rpmf" | cpio -idm --quiet) 2>/dev/null || fail "rpm2cpio"
has -x 'u _cdnallow - "cdnallow download child" /nonexistent /usr/sbin/nologin' \
	"$T/x/usr/lib/sysusers.d/cdnallow.conf" || fail "sysusers.d: $(cat "$T/x/usr/lib/sysusers.d/cdnallow.conf")"
# the file is what systemd-sysusers reads: it must accept it and create the user
if command -v systemd-sysusers >/dev/null; then
	mkdir -p "$T/sysroot/etc" && touch "$T/sysroot/etc/passwd" "$T/sysroot/etc/group"
	systemd-sysusers --root="$T/sysroot" - <"$T/x/usr/lib/sysusers.d/cdnallow.conf" >/dev/null 2>"$T/sysusers.err" ||
		fail "systemd-sysusers: $(cat "$T/sysusers.err")"
	has '^_cdnallow:x:[0-9]*:[0-9]*:cdnallow download child:/nonexistent:/usr/sbin/nologin$' \
		"$T/sysroot/etc/passwd" || fail "systemd-sysusers made: $(cat "$T/sysroot/etc/passwd")"
fi
for u in cdnallow.service cdnallow.timer cdnallow-boot.service; do
	cmp -s "$T/x/usr/lib/systemd/system/$u" "$REPO/contrib/systemd/$u" || fail "$u differs"
done
"$T/x/usr/sbin/cdnallow" providers >"$T/providers" 2>&1 || fail "providers: $(cat "$T/providers")"
[ "$(grep -c 'snapshot captured' "$T/providers")" = \
	"$(awk -F'\t' '!/^#/ && NF { print $1 }' "$REPO/data/snapshot/MANIFEST" | sort -u | wc -l)" ] ||
	fail "the packaged binary lacks (part of) the built-in snapshot"
ok "scriptlets: timer started, first sync, flush on erase, boot unit never started, _cdnallow created (%pre, sysusers.d); units as in contrib/systemd; binary has its snapshot"
echo "PASS: $pass checks"
