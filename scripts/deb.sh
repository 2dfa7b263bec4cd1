#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# SMAF's Debian packages (debian/): smaf-dkms, libsmaf1, libsmaf-dev and
# smaf-tools.
#   scripts/deb.sh build	copy the source tree (the files git knows, and
#				untracked ones it does not ignore) to
#				build/deb/smaf-VERSION, make the source package
#				from it (dpkg-source -b: smaf_VERSION.dsc, for
#				lintian's source checks), then run
#				dpkg-buildpackage -us -uc -b in it: the .deb
#				files and the .changes land in build/deb/
#				(dpkg-buildpackage writes beside the tree, never
#				above the repository); log in build/deb/build.log
#   scripts/deb.sh lintian	lintian on the source package and the .changes
#				of the last build: fails on any error or warning
#				(overrides, each with its reason, in
#				debian/*lintian-overrides)
#   scripts/deb.sh list		the .deb files of the last build, one a line
set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP"
VERSION=$(cat VERSION)
OUT=$TOP/build/deb
SRC=$OUT/smaf-$VERSION
ARCH=$(dpkg-architecture -qDEB_HOST_ARCH 2>/dev/null || echo amd64)
CHANGES=$OUT/smaf_${VERSION}_$ARCH.changes
PACKAGES="smaf-dkms libsmaf1 libsmaf-dev smaf-tools"

die() { echo "deb.sh: $*" >&2; exit 1; }

# The source files, NUL-separated: git's view when this is a git tree,
# else everything but build/ and the build products .gitignore names.
sources() {
	if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		git ls-files -z --cached --others --exclude-standard |
			while IFS= read -r -d '' f; do
				[ -e "$f" ] && printf '%s\0' "$f"
			done
	else
		find . -path ./build -prune -o -path ./.git -prune -o \
			\( -type f -o -type l \) ! -name '*.o' ! -name '*.ko' \
			! -name '*.a' ! -name '*.so*' ! -name '.*.cmd' \
			-printf '%P\0'
	fi
}

build() {
	local deb missing=""

	command -v dpkg-buildpackage >/dev/null ||
		die "dpkg-buildpackage missing; run 'make deps' as root"
	rm -rf "$OUT"
	mkdir -p "$SRC"
	sources | cpio -pdm --null --quiet "$SRC"
	if ! (cd "$OUT" && dpkg-source -b "${SRC##*/}") >"$OUT/source.log" 2>&1; then
		cat "$OUT/source.log" >&2
		die "dpkg-source -b failed"
	fi
	echo "deb.sh: dpkg-buildpackage -us -uc -b in ${SRC#"$TOP"/}"
	if ! (cd "$SRC" && dpkg-buildpackage -us -uc -b) >"$OUT/build.log" 2>&1; then
		tail -n 40 "$OUT/build.log" >&2
		die "dpkg-buildpackage failed (${OUT#"$TOP"/}/build.log)"
	fi
	for p in $PACKAGES; do
		deb=$(ls "$OUT/${p}_${VERSION}_"*.deb 2>/dev/null || true)
		[ -n "$deb" ] || missing="$missing $p"
	done
	[ -z "$missing" ] || die "dpkg-buildpackage built no package for:$missing"
	list | sed "s|^$OUT/|deb.sh: built |"
}

list() {
	local p
	for p in $PACKAGES; do
		ls "$OUT/${p}_${VERSION}_"*.deb
	done
}

run_lintian() {
	local out rc=0 n

	command -v lintian >/dev/null || die "lintian missing; run 'make deps' as root"
	[ -e "$CHANGES" ] || die "no ${CHANGES#"$TOP"/}: run scripts/deb.sh build"
	# As root, lintian refuses to unpack without --allow-root.
	out=$(lintian --allow-root --fail-on error,warning --show-overrides \
		"$OUT/smaf_$VERSION.dsc" "$CHANGES" 2>&1) || rc=$?
	[ -z "$out" ] || echo "$out"
	n=$(grep -c '^O: ' <<<"$out" || true)
	if [ "$rc" -ne 0 ]; then
		echo "deb: lintian: FAILED (errors or warnings above)"
		return 1
	fi
	echo "deb: lintian: OK (the source and 4 packages: no error, no warning; $n overridden)"
}

case "${1:-}" in
build) build ;;
lintian) run_lintian ;;
list) list ;;
*) echo "usage: scripts/deb.sh build|lintian|list" >&2; exit 2 ;;
esac
