#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The ctest fixture "deb" (tests/CMakeLists.txt): builds the Debian package
# once for test_deb and test_system_boot, which each built their own (a whole
# -O2 build of the tree: a minute of both CPUs). Like test_deb did: plain
# `dpkg-buildpackage -b` (nocheck) in a `git archive` of HEAD unpacked in an
# empty directory (tools/build-deb from the work tree when this is no git
# checkout). The .deb goes to $CDNALLOW_DEB_DIR, emptied first; without the
# build tools or root it builds nothing and exits 0: the two tests then skip
# or build for themselves. A failed build fails this fixture (exit 1), and
# ctest then runs neither test. Touches nothing outside $CDNALLOW_DEB_DIR and
# a temp dir.
set -uo pipefail
: "${TESTS_DIR:?}" "${CDNALLOW_DEB_DIR:?}"
REPO=$(cd "$TESTS_DIR/.." && pwd)
rm -rf "$CDNALLOW_DEB_DIR"
for t in dpkg-buildpackage dpkg-deb dh fakeroot; do
	command -v "$t" >/dev/null || { echo "no .deb: needs $t"; exit 0; }
done
dpkg-checkbuilddeps -B "$REPO/packaging/debian/control" >/dev/null 2>&1 ||
	{ echo "no .deb: build dependencies missing"; exit 0; }
[ "$(id -u)" = 0 ] || { echo "no .deb: the tests that use it need root"; exit 0; }

T=$(mktemp -d /tmp/cdna-deb-fixture.XXXXXX)
trap 'rm -rf "$T"' EXIT
start=$(date +%s)
mkdir -p "$T/deb"
if git -C "$REPO" rev-parse --verify -q HEAD >/dev/null 2>&1; then
	mkdir -p "$T/bare/src"
	git -C "$REPO" archive HEAD | tar -C "$T/bare/src" -xf -
	(cd "$T/bare/src" && DEB_BUILD_OPTIONS="nocheck parallel=${JOBS:-2}" \
		dpkg-buildpackage -us -uc -b) >"$T/build.log" 2>&1 ||
		{ tail -40 "$T/build.log"; echo "FAIL: dpkg-buildpackage -b in a git archive of HEAD"; exit 1; }
	mv "$T"/bare/cdnallow_*.deb "$T/deb/"
else
	"$REPO/tools/build-deb" --nocheck "$T/deb" >"$T/build.log" 2>&1 ||
		{ tail -40 "$T/build.log"; echo "FAIL: tools/build-deb"; exit 1; }
fi
deb=$(ls "$T"/deb/cdnallow_*_*.deb 2>/dev/null | head -1)
[ -f "$deb" ] || { echo "FAIL: no cdnallow_*.deb"; exit 1; }
mkdir -p "$CDNALLOW_DEB_DIR"
cp "$deb" "$CDNALLOW_DEB_DIR/"
echo "built $(basename "$deb") in $(($(date +%s) - start)) s, in $CDNALLOW_DEB_DIR"
