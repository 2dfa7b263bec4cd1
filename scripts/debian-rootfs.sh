#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Print the path of the debian VM lane's base root filesystem, a tarball
# made by mmdebstrap from Debian's archive; make it first when it is missing
# (a few minutes, once per machine).
#
#   scripts/debian-rootfs.sh		print TARBALL, making it if needed
#   scripts/debian-rootfs.sh --check	print TARBALL if made, else exit 1
#
# It is a Debian 12 minbase system with systemd, udev, the kernel the VM
# boots (scripts/kver.sh: its image, modules and headers, at the version
# installed on this machine, so that they match /boot/vmlinuz-KVER) and
# what SMAF's packages need, from tests/vm/debian/packages. It is cached
# outside the repository, keyed by that list (resolved for this kernel),
# the suite and mmdebstrap's options:
#	/var/cache/smaf/debian-rootfs-<sha256, 12>/root.tar
#	/var/cache/smaf/debian-rootfs-<sha256, 12>/packages	the resolved list
#	/var/cache/smaf/debian-rootfs-<sha256, 12>/build.log
#	/var/cache/smaf/debian-rootfs-<sha256, 12>/.complete	written last
# Older debian-rootfs-* directories are removed when a new one is complete.
# The archive is the Debian one apt is configured with on this machine
# (apt-get indextargets: bookworm, bookworm-updates, bookworm-security). A
# lock keeps two runs from building at the same time; the second waits and
# uses the first one's result. Needs root (mmdebstrap's root mode).
#
# Environment: SMAF_CACHE (default /var/cache/smaf), KVER.
set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${SMAF_CACHE:-/var/cache/smaf}
LIST=$TOP/tests/vm/debian/packages
SUITE=bookworm
CHECK_ONLY=0
[ "${1:-}" = --check ] && CHECK_ONLY=1

die() { echo "debian-rootfs.sh: $*" >&2; exit 1; }
say() { echo "debian-rootfs.sh: $*" >&2; }

KVER=${KVER:-$("$TOP/scripts/kver.sh" || true)}
[ -n "$KVER" ] || die "no Debian 6.1 kernel image + headers; run 'make deps' as root"
KVERSION=$(dpkg-query -W -f='${Version}' "linux-image-$KVER" 2>/dev/null) ||
	die "linux-image-$KVER is not installed; run 'make deps' as root"

# The package list, comments dropped, the kernel filled in.
packages=$(sed -e 's/#.*//' -e 's/[[:space:]]//g' -e '/^$/d' \
	-e "s/@KVER@/$KVER/g" -e "s/@KVERSION@/$KVERSION/g" "$LIST")
OPTS=(--variant=minbase --mode=root --format=tar
	--aptopt='APT::Install-Recommends "false"'
	--dpkgopt='force-unsafe-io')
hash=$(printf '%s\n' "$packages" "$SUITE" "${OPTS[@]}" |
	sha256sum | cut -c1-12)
DIR=$CACHE/debian-rootfs-$hash

if [ -e "$DIR/.complete" ]; then
	echo "$DIR/root.tar"
	exit 0
fi
[ "$CHECK_ONLY" = 1 ] && exit 1

[ "$(id -u)" -eq 0 ] || die "making the root filesystem needs root (mmdebstrap)"
command -v mmdebstrap >/dev/null || die "mmdebstrap missing; run 'make deps' as root"

mkdir -p "$CACHE"
exec 9>"$DIR.lock"
if ! flock -n 9; then
	say "another run is making the root filesystem; waiting for it"
	flock 9
fi
if [ -e "$DIR/.complete" ]; then
	echo "$DIR/root.tar"
	exit 0
fi

# Debian's archive as apt knows it here: one "deb URI SUITE main" a suite.
# apt lists only the targets it has downloaded: without lists (a fresh
# machine), apt-get update first.
archive() {
	# shellcheck disable=SC2016 # apt's own $(FIELD) placeholders
	apt-get indextargets --format '$(REPO_URI) $(RELEASE)' \
		'Created-By: Packages' 2>/dev/null |
		awk -v s="$SUITE" '$2 ~ "^" s "(-updates|-security)?$" {
			print "deb " $1 " " $2 " main" }' | LC_ALL=C sort -u
}
sources=$(archive)
if [ -z "$sources" ]; then
	say "apt has no package lists: apt-get update"
	apt-get -q update >&2 || die "apt-get update failed"
	sources=$(archive)
fi
[ -n "$sources" ] || die "apt knows no $SUITE archive on this machine"

rm -rf "$DIR"
mkdir -p "$DIR"
printf '%s\n' "$packages" >"$DIR/packages"
say "making the Debian $SUITE root filesystem in $DIR (once per machine;" \
    "log in $DIR/build.log)"
start=$(date +%s)
if ! mmdebstrap "${OPTS[@]}" \
	--include="$(paste -sd, "$DIR/packages")" \
	"$SUITE" "$DIR/root.tar.tmp" - <<<"$sources" >"$DIR/build.log" 2>&1; then
	tail -n 30 "$DIR/build.log" >&2
	die "mmdebstrap failed (see $DIR/build.log)"
fi
mv "$DIR/root.tar.tmp" "$DIR/root.tar"
touch "$DIR/.complete"
say "made in $(($(date +%s) - start)) s: $(du -h "$DIR/root.tar" | cut -f1)"

# Only the newest root filesystem is kept.
for old in "$CACHE"/debian-rootfs-*; do
	[ "$old" = "$DIR" ] || [ "$old" = "$DIR.lock" ] && continue
	case "$old" in *.lock) continue ;; esac
	[ -d "$old" ] || continue
	exec 8>"$old.lock"
	if flock -n 8; then
		rm -rf "$old"
		rm -f "$old.lock"
	fi
	exec 8>&-
done
echo "$DIR/root.tar"
