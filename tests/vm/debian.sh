#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The debian VM lane: SMAF installed as Debian users install it, on a real
# Debian 12 system, checked there. tests/vm/run.sh runs it for
# '--lane debian check' (and 'lanes ... debian'), which reports its results
# and scans its console as for the other lanes.
#
#   tests/vm/debian.sh CONSOLE RESULTS APPEND TIMEOUT
#
# 1. The base root filesystem: scripts/debian-rootfs.sh (mmdebstrap from
#    Debian's archive, cached in /var/cache/smaf/, keyed by its package
#    list), unpacked into build/vm-debian/root.
# 2. On the host, in that tree (chroot, in a private mount namespace):
#    apt-get install ./ the four packages of build/deb (make deb) together
#    with the headers of the kernel the VM boots, offline. smaf-dkms's
#    postinst has DKMS build and install the modules: pkg/apt-install and
#    pkg/dkms-built fail if it did not. Then a user in the group video,
#    tests/vm/debian/check.sh run by systemd at boot, a few timers masked
#    (they would run man-db or apt at boot) and the gettys (a login prompt
#    on the console would only get in the way). Log:
#    build/vm-debian/install.log.
# 3. An ext4 image of the tree (mke2fs -d), a virtio disk.
# 4. qemu boots Debian's kernel and initrd (/boot/vmlinuz-KVER,
#    /boot/initrd.img-KVER of scripts/kver.sh) with it as root, TCG, and
#    systemd as init; check.sh writes its RESULT lines to the second serial
#    port and powers off. CONSOLE gets the console, RESULTS the host's
#    results then the guest's. APPEND: the kernel parameters of run.sh;
#    TIMEOUT: seconds before the VM is killed.
#
# Needs root (chroot, mmdebstrap).
set -euo pipefail

TOP=$(cd "$(dirname "$0")/../.." && pwd)
CONSOLE=${1:?usage: debian.sh CONSOLE RESULTS APPEND TIMEOUT}
RESULTS=${2:?usage: debian.sh CONSOLE RESULTS APPEND TIMEOUT}
APPEND=${3:-}
TIMEOUT=${4:-1200}
W=$TOP/build/vm-debian
ROOT=$W/root
IMG=$W/root.img
HOST_RESULTS=$W/host-results.log
GUEST_RESULTS=$W/guest-results.log
LOG=$W/install.log
VERSION=$(cat "$TOP/VERSION")
SMAF_USER=smafuser

# die MESSAGE: a failure before the VM boots, also as a result for run.sh.
die() {
	echo "debian.sh: $*" >&2
	{
		cat "$HOST_RESULTS" 2>/dev/null
		echo "SMAF-VM-STARTED check"
		echo "RESULT FAIL pkg/setup # $*"
		echo "SMAF-VM-FINISHED check"
	} >"$RESULTS.tmp" && mv "$RESULTS.tmp" "$RESULTS"
	: >"$CONSOLE"
	exit 1
}
say() { echo "debian.sh: $*"; }
result() {
	local st=$1 name=$2
	shift 2
	echo "RESULT $st pkg/$name${*:+ # $*}" >>"$HOST_RESULTS"
	say "$st pkg/$name${*:+ ($*)}"
}

# finish: the results file run.sh reads (host's, then guest's).
finish() {
	cat "$HOST_RESULTS" "$GUEST_RESULTS" >"$RESULTS" 2>/dev/null || true
}
# not_booted REASON: the host part failed; the VM is not booted, and the
# run ends with one skip for it rather than an unfinished guest.
not_booted() {
	{
		echo "SMAF-VM-STARTED check"
		echo "RESULT SKIP pkg/vm # not booted: $1"
		echo "SMAF-VM-FINISHED check"
	} >"$GUEST_RESULTS"
	: >"$CONSOLE"
	finish
	exit 0
}

[ "$(id -u)" -eq 0 ] || die "needs root (chroot, mmdebstrap)"
KVER=${KVER:-$("$TOP/scripts/kver.sh")} || die "no Debian 6.1 kernel"
KERNEL=/boot/vmlinuz-$KVER
INITRD=/boot/initrd.img-$KVER
if [ ! -r "$KERNEL" ] || [ ! -r "$INITRD" ]; then
	die "$KERNEL or $INITRD missing"
fi
mapfile -t debs < <("$TOP/scripts/deb.sh" list 2>/dev/null)
[ "${#debs[@]}" -eq 4 ] || die "the packages are not built: run 'make deb'"

mkdir -p "$W"
rm -f "$HOST_RESULTS" "$GUEST_RESULTS" "$RESULTS" "$IMG"
: >"$HOST_RESULTS"

# --- 1. the base root filesystem, unpacked
TAR=$("$TOP/scripts/debian-rootfs.sh") || die "no base root filesystem"
say "unpacking ${TAR}"
rm -rf "$ROOT"
mkdir -p "$ROOT"
(
	# A shared lock: debian-rootfs.sh removes an old one only unlocked.
	flock -s 9
	tar -C "$ROOT" -xpf "$TAR"
) 9>"${TAR%/root.tar}.lock"

# in_root CMD...: CMD in the tree, with /proc, /sys and /dev, in a mount
# namespace of its own (nothing stays mounted), without network use.
in_root() {
	# shellcheck disable=SC2016 # expanded by the inner sh
	unshare --mount --propagation private -- sh -c '
		root=$1; shift
		mount -t proc proc "$root/proc" &&
		mount -t sysfs sysfs "$root/sys" &&
		mount --rbind /dev "$root/dev" &&
		mount -t tmpfs tmpfs "$root/run" &&
		exec chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
			HOME=/root LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"
	' sh "$ROOT" "$@"
}

# --- 2. the packages, as a Debian user installs them
mkdir -p "$ROOT/tmp/smaf-debs"
cp "${debs[@]}" "$ROOT/tmp/smaf-debs/"
in_debs=()
for d in "${debs[@]}"; do
	in_debs+=("/tmp/smaf-debs/${d##*/}")
done
say "apt-get install ./${debs[*]##*/} linux-headers-$KVER (log: ${LOG#"$TOP"/})"
if in_root apt-get install -y -q --no-install-recommends \
	-o Dpkg::Use-Pty=0 "${in_debs[@]}" "linux-headers-$KVER" \
	>"$LOG" 2>&1; then
	result PASS apt-install
else
	tail -n 30 "$LOG" | sed 's/^/        /'
	result FAIL apt-install "apt-get install failed; see ${LOG#"$TOP"/}"
	not_booted "the packages did not install"
fi
rm -rf "$ROOT/tmp/smaf-debs"

# DKMS must have built and installed every module during that install.
missing=""
for m in smaf smaf-system smaf-cma smaf-firewall; do
	[ -e "$ROOT/lib/modules/$KVER/updates/dkms/$m.ko" ] ||
		[ -e "$ROOT/lib/modules/$KVER/updates/dkms/$m.ko.xz" ] ||
		missing="$missing $m"
done
status=$(in_root dkms status -m smaf -v "$VERSION" -k "$KVER" 2>&1 || true)
if ! grep -q "Building initial module for $KVER" "$LOG"; then
	result FAIL dkms-built "the install log shows no DKMS build for $KVER"
elif [ -n "$missing" ]; then
	result FAIL dkms-built "no module built in updates/dkms for:$missing"
elif ! grep -q "^smaf/$VERSION, $KVER, x86_64: installed" <<<"$status"; then
	result FAIL dkms-built "dkms status: $status"
else
	result PASS dkms-built
fi

# The checks, run by systemd at boot; the unprivileged user.
install -D -m 0755 "$TOP/tests/vm/debian/check.sh" \
	"$ROOT/usr/local/lib/smaf-vm/check.sh"
install -D -m 0644 "$TOP/tests/vm/debian/alloc-test.c" \
	"$ROOT/usr/local/share/smaf-vm/alloc-test.c"
install -D -m 0644 "$TOP/tests/vm/debian/smaf-vm-check.service" \
	"$ROOT/etc/systemd/system/smaf-vm-check.service"
mkdir -p "$ROOT/etc/systemd/system/multi-user.target.wants" "$ROOT/etc/smaf-vm"
ln -sf ../smaf-vm-check.service \
	"$ROOT/etc/systemd/system/multi-user.target.wants/smaf-vm-check.service"
for t in apt-daily.timer apt-daily-upgrade.timer man-db.timer \
	e2scrub_all.timer fstrim.timer getty.target; do
	ln -sf /dev/null "$ROOT/etc/systemd/system/$t"
done
printf 'SMAF_VERSION=%s\nSMAF_USER=%s\n' "$VERSION" "$SMAF_USER" \
	>"$ROOT/etc/smaf-vm/env"
echo smaf-vm >"$ROOT/etc/hostname"
echo "/dev/vda / ext4 rw,errors=remount-ro 0 0" >"$ROOT/etc/fstab"
in_root useradd -m -s /bin/bash -G video "$SMAF_USER" >>"$LOG" 2>&1 ||
	not_booted "useradd failed"

# --- 3. the disk image
size=$(( $(du -sm "$ROOT" | cut -f1) * 5 / 4 + 512 ))
if ! mke2fs -q -F -t ext4 -L smaf-root -d "$ROOT" "$IMG" "${size}M" >>"$LOG" 2>&1; then
	not_booted "mke2fs -d failed; see ${LOG#"$TOP"/}"
fi
rm -rf "$ROOT"

# --- 4. boot it
say "booting $KERNEL with $INITRD and the Debian root filesystem (${size} MiB)"
: >"$GUEST_RESULTS"
set +e
timeout -k 10 "$TIMEOUT" qemu-system-x86_64 \
	-accel "${SMAF_VM_ACCEL:-tcg}" -m 2G -smp 2 \
	-nodefaults -display none -no-reboot \
	-chardev "stdio,id=con,logfile=$CONSOLE,signal=off" \
	-serial chardev:con \
	-serial "file:$GUEST_RESULTS" \
	-drive "file=$IMG,format=raw,if=virtio,cache=unsafe" \
	-kernel "$KERNEL" -initrd "$INITRD" \
	-append "root=/dev/vda rw $APPEND" </dev/null
qrc=$?
set -e
if [ "$qrc" -eq 124 ] || [ "$qrc" -eq 137 ]; then
	echo
	say "the VM was killed after ${TIMEOUT}s"
elif [ "$qrc" -ne 0 ]; then
	echo
	say "qemu exited with status $qrc"
fi
rm -f "$IMG"
finish
