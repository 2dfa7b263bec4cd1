#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Install the Debian 12 packages that building SMAF, its static checks and
# the qemu test VM need. A no-op when everything is installed already; when
# something is missing it must run as root (CI does), and only Debian's own
# archive is used.
set -eu

PKGS="
	linux-image-amd64
	linux-headers-amd64
	linux-source-6.1
	qemu-system-x86
	busybox-static
	cpio
	kmod
	sparse
	gcc
	gcc-multilib
	libc6-dev-i386
	make
	libc6-dev
	pkg-config
	perl
	xz-utils
	binutils
	bc
	bison
	flex
	libelf-dev
	libssl-dev
	dkms
	coccinelle
	valgrind
	mandoc
	man-db
	debhelper
	dh-dkms
	dpkg-dev
	fakeroot
	lintian
	mmdebstrap
	e2fsprogs
	gnuplot-nox
"
# linux-image-amd64, linux-headers-amd64: the 6.1 kernel the VM boots and
#   the headers the modules build against (scripts/kver.sh picks them).
# linux-source-6.1: checkpatch.pl and kselftest_harness.h (unpacked by
#   scripts/kernel-source.sh, which needs xz-utils).
# qemu-system-x86, busybox-static, cpio, kmod: the test VM and its
#   initramfs (modprobe --show-depends lists vgem's and vivid's modules).
# sparse, perl: scripts/lint.sh. gcc-multilib, libc6-dev-i386: the static
#   32-bit compat tests.
# dkms: scripts/dkms.sh (the DKMS package, built by scripts/lint.sh).
# coccinelle: spatch, for coccicheck in scripts/lint.sh.
# valgrind: smafctl's host checks (make -C tools valgrind).
# mandoc, man-db: make lint's manual page checks (mandoc -Tlint; man's
#   groff warnings, as lintian sees them).
# debhelper, dh-dkms, dpkg-dev, fakeroot: make deb, the Debian packages
#   (dpkg-buildpackage -us -uc -b; dh-dkms is dh_dkms).
# lintian: make deb-check, the packages' lint.
# mmdebstrap: the Debian 12 root filesystem of the debian VM lane
#   (scripts/debian-rootfs.sh); e2fsprogs: its disk image (mke2fs -d).
# binutils: readelf, to refuse dynamic binaries in the initramfs.
# bc, bison, flex, libelf-dev, libssl-dev: building the debug kernel from
#   linux-source-6.1 (scripts/debug-kernel.sh; gcc, make, perl and kmod's
#   depmod as above); the perf kernel of make bench too.
# gnuplot-nox: make bench's PNG plots (bench/bin/smaf-bench report).

missing=""
for p in $PKGS; do
	st=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
	case "$st" in
	ii*) ;;
	*) missing="$missing $p" ;;
	esac
done

if [ -z "$missing" ]; then
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps.sh: missing Debian packages:$missing" >&2
	echo "install-deps.sh: run 'make deps' (or this script) as root," \
	     "or: apt-get install --no-install-recommends$missing" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
APT="apt-get -y -q --no-install-recommends -o Dpkg::Use-Pty=0"
APT="$APT -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold"

echo "install-deps.sh: installing:$missing"
# Without package lists (a fresh container) or with stale ones, the install
# fails: refresh the lists once and retry.
# shellcheck disable=SC2086 # word splitting of $APT and $missing is wanted
if ! $APT install $missing; then
	echo "install-deps.sh: apt-get install failed; running apt-get update"
	apt-get -q update
	# shellcheck disable=SC2086
	$APT install $missing
fi

# Unpack linux-source once now, so the first build does not pay for it.
"$(dirname "$0")/kernel-source.sh" >/dev/null
