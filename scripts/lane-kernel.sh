#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Print the directory of a built 6.1 lane kernel; build it first when it is
# not there yet (11 to 15 minutes on 2 cores). KIND names the config
# fragment ../shared/kernel/KIND.config:
#	debug	KASAN, UBSAN, lockdep, kmemleak, DMA-API debug, fault
#		injection, CMA, vgem, vivid (tests/vm/run.sh --lane debug)
#	perf	the same peers without the detectors (make bench)
#
#   scripts/lane-kernel.sh KIND		print DIR, building it if needed
#   scripts/lane-kernel.sh KIND --check	print DIR if built, else exit 1
#
# DIR is a cache directory outside the repository, one per machine,
# keyed by the version of Debian's linux-source-6.1 and the config
# fragment:
#	/var/cache/smaf/KIND-<source version>-<sha256 of fragment, 12>/
# It holds
#	build/			the kernel's output tree (make O=): external
#				modules build with make -C DIR/build M=...
#	build/arch/x86/boot/bzImage	the kernel image
#	mods/lib/modules/<release>/	its modules (modules_install), for
#				modprobe -d DIR/mods -S <release>
#	release			the kernel release string
#	build.log		the whole build's output
#	.complete		written last: everything above is usable
#
# The source is the unpacked linux-source-6.1 of scripts/kernel-source.sh,
# shared and never written to (all output goes to DIR/build). The fragment
# is ../shared/kernel/KIND.config beside the repository (CI clones the
# repository with shared/ next to it), or $SMAF_<KIND>_CONFIG (for example
# SMAF_DEBUG_CONFIG, SMAF_PERF_CONFIG). A lock keeps two runs from building
# the same kernel at the same time; the second waits and uses the first
# one's result. An interrupted build resumes where it stopped.
#
# Environment: SMAF_CACHE (default /var/cache/smaf), SMAF_<KIND>_CONFIG,
# SMAF_KERNEL_JOBS (default: number of CPUs + 1; for the debug kernel
# SMAF_DEBUG_JOBS too, as before).

set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${SMAF_CACHE:-/var/cache/smaf}
KIND=${1:-}
case "$KIND" in
''|-*|*[!a-z0-9]*)
	echo "usage: lane-kernel.sh KIND [--check]   (KIND: debug, perf)" >&2
	exit 2 ;;
esac
CHECK_ONLY=0
[ "${2:-}" = --check ] && CHECK_ONLY=1
ME=${SMAF_KERNEL_ME:-lane-kernel.sh $KIND}

die() { echo "$ME: $*" >&2; exit 1; }
say() { echo "$ME: $*" >&2; }

KVAR=SMAF_$(echo "$KIND" | tr a-z A-Z)_CONFIG
if [ -n "${!KVAR:-}" ]; then
	FRAG=${!KVAR}
else
	# The repository's top (a worktree copy has no .git: its parent then).
	top=$(git -C "$TOP" rev-parse --show-toplevel 2>/dev/null || echo "$TOP")
	FRAG=$top/../shared/kernel/$KIND.config
fi
[ -r "$FRAG" ] || die "config fragment $FRAG is missing: clone the" \
	"shared repository beside this one (../shared) or set $KVAR"
FRAG=$(cd "$(dirname "$FRAG")" && pwd)/$(basename "$FRAG")

command -v dpkg-query >/dev/null || die "not a Debian system"
ver=$(dpkg-query -W -f='${Version}' linux-source-6.1 2>/dev/null) ||
	die "linux-source-6.1 is not installed; run 'make deps' as root"
hash=$(sha256sum "$FRAG" | cut -c1-12)
DIR=$CACHE/$KIND-$ver-$hash

if [ -e "$DIR/.complete" ]; then
	echo "$DIR"
	exit 0
fi
[ "$CHECK_ONLY" = 1 ] && exit 1

for t in bc bison flex gcc make perl; do
	command -v "$t" >/dev/null ||
		die "$t is missing; run 'make deps' as root"
done
[ -e /usr/include/libelf.h ] || die "libelf-dev is missing; run 'make deps'"
[ -e /usr/include/openssl/ssl.h ] || die "libssl-dev is missing; run 'make deps'"
PATH=$PATH:/sbin:/usr/sbin	# depmod

SRC=$("$TOP/scripts/kernel-source.sh") || die "no kernel source"
mkdir -p "$CACHE"
exec 9>"$DIR.lock"
if ! flock -n 9; then
	say "another $KIND kernel build is running; waiting for it"
	flock 9
fi
if [ -e "$DIR/.complete" ]; then
	echo "$DIR"
	exit 0
fi

B=$DIR/build
mkdir -p "$B"
LOG=$DIR/build.log
JOBS=${SMAF_KERNEL_JOBS:-}
[ -z "$JOBS" ] && [ "$KIND" = debug ] && JOBS=${SMAF_DEBUG_JOBS:-}
JOBS=${JOBS:-$(($(nproc) + 1))}
start=$(date +%s)
say "building the $KIND kernel in $DIR ($JOBS jobs; log: $LOG)"
say "source $SRC, fragment $FRAG"
kmake() {
	make -C "$SRC" O="$B" "$@" >>"$LOG" 2>&1 || {
		tail -n 40 "$LOG" >&2
		die "make $* failed (whole log: $LOG)"
	}
}

# The configuration, once (a resumed build keeps it).
if [ ! -e "$B/.config-done" ]; then
	: >"$LOG"
	rm -f "$B/.config"
	kmake x86_64_defconfig
	kmake kvm_guest.config
	(cd "$B" && KCONFIG_CONFIG=.config \
		"$SRC/scripts/kconfig/merge_config.sh" -m -O "$B" .config "$FRAG") \
		>>"$LOG" 2>&1 || die "merge_config.sh failed (see $LOG)"
	kmake olddefconfig
	# Every option the fragment sets must have survived olddefconfig.
	lost=$(grep -E '^CONFIG_[A-Za-z0-9_]+=' "$FRAG" | while IFS= read -r l; do
		o=${l%%=*} v=${l#*=}
		case "$v" in
		n) grep -qx "$o=[ym]" "$B/.config" && echo "$l" ;;
		*) grep -qxF "$l" "$B/.config" || echo "$l" ;;
		esac
	done || true)
	if [ -n "$lost" ]; then
		die "options of $FRAG not in the final .config:" \
			"$(echo "$lost" | tr '\n' ' ')"
	fi
	cp "$FRAG" "$B/.fragment"
	touch "$B/.config-done"
fi

kmake -j"$JOBS" bzImage modules
rel=$(cat "$B/include/config/kernel.release")
rm -rf "$DIR/mods"
kmake INSTALL_MOD_PATH="$DIR/mods" INSTALL_MOD_STRIP=1 modules_install
[ -e "$DIR/mods/lib/modules/$rel/modules.dep" ] ||
	die "modules_install did not produce modules.dep"
echo "$rel" >"$DIR/release"
touch "$DIR/.complete"
say "$KIND kernel $rel built in $(($(date +%s) - start)) s"
echo "$DIR"
