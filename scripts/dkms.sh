#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# SMAF's DKMS package (dkms.conf at the top of the tree).
#   scripts/dkms.sh stage [DIR]	copy what the package ships (dkms.conf with
#				its version filled in, Kbuild, VERSION, the
#				kernel sources and headers; no test modules)
#				to DIR (default build/dkms/smaf-VERSION, the
#				Debian package uses /usr/src/smaf-VERSION);
#				print DIR
#   scripts/dkms.sh check	as root: add and build the package for the
#				Debian headers ($KVER) in private dkms trees
#				under build/dkms, never touching /usr/src or
#				/var/lib/dkms; check that every module of
#				dkms.conf was built
#   scripts/dkms.sh install	as root: add, build and install the package
#				system-wide (then 'modprobe smaf')
set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP"
VERSION=$(cat VERSION)
STAGE=$TOP/build/dkms/smaf-$VERSION

# dkms.conf says PACKAGE_VERSION="#MODULE_VERSION#" (dh_dkms's placeholder).
grep -q '^PACKAGE_VERSION="#MODULE_VERSION#"$' dkms.conf || {
	echo "dkms.sh: dkms.conf must say PACKAGE_VERSION=\"#MODULE_VERSION#\"" \
	     "(the version is the file VERSION)" >&2
	exit 1
}

# stage [DIR]: the package's files in DIR (default $STAGE).
stage() {
	local dir=${1:-$STAGE}

	rm -rf "$dir"
	mkdir -p "$dir"
	find Kbuild VERSION core alloc secure include -type f \
		\( -name '*.[ch]' -o -name Kbuild -o -name VERSION \) \
		! -name '*.mod.c' -print0 |
		cpio -pdm --null --quiet "$dir"
	sed "s/#MODULE_VERSION#/$VERSION/" dkms.conf >"$dir/dkms.conf"
	chmod 0644 "$dir/dkms.conf"
	echo "$dir"
}

need_root() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "dkms.sh: $1 needs root (dkms refuses otherwise)" >&2
		exit 1
	fi
}

check() {
	local kver tree mods m n=0 missing=""

	need_root check
	kver=${KVER:-$(scripts/kver.sh)}
	tree=$TOP/build/dkms/trees
	stage >/dev/null
	rm -rf "$tree"
	mkdir -p "$tree/src" "$tree/var"
	dkms() {
		command dkms --sourcetree "$tree/src" --dkmstree "$tree/var" "$@"
	}
	if ! dkms add "$STAGE" >"$tree/add.log" 2>&1 ||
	   ! dkms build -m smaf -v "$VERSION" -k "$kver" \
		>"$tree/build.log" 2>&1; then
		cat "$tree/add.log" "$tree/build.log" >&2
		find "$tree/var" -name make.log -exec cat {} + >&2
		echo "dkms.sh: dkms build of smaf/$VERSION for $kver FAILED" >&2
		return 1
	fi
	mods=$(sed -n 's/^BUILT_MODULE_NAME\[[0-9]*\]="\(.*\)"$/\1/p' \
		dkms.conf)
	for m in $mods; do
		n=$((n + 1))
		[ -f "$tree/var/smaf/$VERSION/$kver/x86_64/module/$m.ko" ] ||
			[ -f "$tree/var/smaf/$VERSION/$kver/x86_64/module/$m.ko.xz" ] ||
			missing="$missing $m"
	done
	if [ -n "$missing" ]; then
		echo "dkms.sh: dkms built smaf/$VERSION for $kver without:$missing" >&2
		return 1
	fi
	echo "$n modules for $kver"
}

install() {
	need_root install
	stage >/dev/null
	dkms add "$STAGE"
	dkms install -m smaf -v "$VERSION"
}

case "${1:-}" in
stage) stage "${2:-}" ;;
check) check ;;
install) install ;;
*)
	echo "usage: scripts/dkms.sh stage [DIR]|check|install" >&2
	exit 2
	;;
esac
