#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the test VM's initramfs: busybox-static, the guest scripts, the
# vgem and vivid module stacks of the Debian kernel, whatever SMAF modules
# are built and the static test binaries.
#
#   tests/vm/mkinitramfs.sh OUTPUT.cpio
#
# Environment: KVER (default: scripts/kver.sh), SMAF_VM_MODROOT (the root
# the kernel's modules are installed under, as modprobe -d takes it; default
# /: Debian's), SMAF_VM_KO_TOP (the tree holding our built core/, alloc/,
# secure/ and tests/testdev/ modules; default the repository, the debug lane
# uses build/debug-modules), SMAF_VM_SUITES (directory of suites, default
# tests/vm/suites.d), SMAF_VM_EXTRA (a directory copied to /extra in the
# guest; for the harness self-test).
set -euo pipefail

TOP=$(cd "$(dirname "$0")/../.." && pwd)
VM=$TOP/tests/vm
OUT=${1:?usage: mkinitramfs.sh OUTPUT.cpio}
KVER=${KVER:-$("$TOP/scripts/kver.sh")}
SUITES=${SMAF_VM_SUITES:-$VM/suites.d}
MODROOT=${SMAF_VM_MODROOT:-}
MODROOT=${MODROOT%/}
KO_TOP=${SMAF_VM_KO_TOP:-$TOP}
BUSYBOX=/bin/busybox	# from busybox-static; /usr/bin/busybox is dynamic

die() { echo "mkinitramfs.sh: $*" >&2; exit 1; }

[ -n "$KVER" ] || die "no Debian 6.1 kernel found (run 'make deps' as root)"
[ -x "$BUSYBOX" ] || die "$BUSYBOX missing (apt-get install busybox-static)"
command -v modprobe >/dev/null || PATH=$PATH:/sbin:/usr/sbin

STAGE=$(dirname "$OUT")/initramfs
rm -rf "$STAGE"
mkdir -p "$STAGE"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,run,etc}
mkdir -p "$STAGE"/lib/smaf/modules "$STAGE"/suites.d

cp "$BUSYBOX" "$STAGE/bin/busybox"
install -m 0755 "$VM/init" "$STAGE/init"
install -m 0644 "$VM/guest-lib.sh" "$STAGE/lib/smaf/guest-lib.sh"
install -m 0755 "$VM/demo.sh" "$STAGE/lib/smaf/demo.sh"
install -m 0755 "$VM/bench.sh" "$STAGE/lib/smaf/bench.sh"
for s in "$SUITES"/*.sh; do
	[ -e "$s" ] || continue
	install -m 0755 "$s" "$STAGE/suites.d/"
done
if [ -n "${SMAF_VM_EXTRA:-}" ]; then
	cp -a "$SMAF_VM_EXTRA" "$STAGE/extra"
fi
# Without root there is no mknod; /init then redirects to /dev/console
# itself once devtmpfs is mounted.
mknod -m 0600 "$STAGE/dev/console" c 5 1 2>/dev/null || true

# Copy one kernel module into the same path in the guest (under /lib/modules,
# without MODROOT), uncompressed.
copy_kmod() {
	local src=$1 dst
	dst=$STAGE${src#"$MODROOT"}
	dst=${dst%.xz}
	dst=${dst%.zst}
	mkdir -p "$(dirname "$dst")"
	case "$src" in
	*.xz) xz -dc "$src" >"$dst" ;;
	*.zst) zstd -qdc "$src" >"$dst" ;;
	*) cp "$src" "$dst" ;;
	esac
	echo "${dst#"$STAGE"}"
}

# One module stack: its .ko files in load order, one path a line.
stack() {
	local name=$1 list=$STAGE/lib/smaf/$1.list line
	modprobe ${MODROOT:+-d "$MODROOT"} -S "$KVER" --show-depends "$name" \
		>"$list.tmp" ||
		die "modprobe ${MODROOT:+-d $MODROOT }-S $KVER --show-depends $name failed"
	: >"$list"
	while read -r line; do
		case "$line" in
		insmod\ *)
			line=${line#insmod }
			copy_kmod "${line%% *}" >>"$list"
			;;
		builtin\ *) ;;
		*) die "unexpected modprobe output: $line" ;;
		esac
	done <"$list.tmp"
	rm -f "$list.tmp"
}
stack vgem
stack vivid

# SMAF modules, each after the modules it depends on (modinfo's "depends").
# modules.list, loaded by /init for every suite: core/, alloc/ and the test
# modules of tests/testdev/ (smaf-secure-dummy included). optional.list:
# secure/ (smaf-firewall: it excludes smaf-secure-dummy and refuses access
# by policy) and the test allocators tests/testdev/smaf-test-* (they would
# change every other test's choice of allocator), loaded by the suites or
# tests that want them (load_module, module_load()).
found_ko() {
	local d
	for d in "$@"; do
		[ -d "$KO_TOP/$d" ] || continue
		find "$KO_TOP/$d" -name '*.ko' -type f | LC_ALL=C sort
	done
}
declare -A ko_of=() deps_of=() done_=()
order=()
while read -r ko; do
	[ -f "$ko" ] || continue
	name=$(basename "$ko" .ko | tr - _)
	[ -z "${ko_of[$name]:-}" ] || continue
	ko_of[$name]=$ko
	deps_of[$name]=$(modinfo -F depends "$ko" | tr , ' ')
	order+=("$name")
done < <(echo "$KO_TOP/core/smaf.ko"; found_ko core alloc secure tests/testdev)
: >"$STAGE/lib/smaf/modules.list"
: >"$STAGE/lib/smaf/optional.list"
: >"$STAGE/lib/smaf/modules.deps"
while [ "${#done_[@]}" -lt "${#order[@]}" ]; do
	progress=0
	for name in "${order[@]}"; do
		[ -z "${done_[$name]:-}" ] || continue
		ours=
		for d in ${deps_of[$name]}; do
			[ -n "${ko_of[$d]:-}" ] || continue
			[ -n "${done_[$d]:-}" ] || continue 2
			ours="$ours $d"
		done
		ko=${ko_of[$name]}
		cp "$ko" "$STAGE/lib/smaf/modules/"
		case "${ko#"$KO_TOP"/}" in
		secure/* | tests/testdev/smaf-test-*) list=optional ;;
		*) list=modules ;;
		esac
		echo "/lib/smaf/modules/${ko##*/}" >>"$STAGE/lib/smaf/$list.list"
		echo "$name$ours" >>"$STAGE/lib/smaf/modules.deps"
		done_[$name]=1
		progress=1
	done
	[ "$progress" = 1 ] || die "circular dependencies between: ${order[*]}"
done

# Static userspace binaries: the tests, the tools, demo/smaf-demo and
# bench/bin/smaf-bench.
for f in "$TOP"/tests/bin/* "$TOP"/tools/bin/* "$TOP"/tools/* "$TOP"/demo/* \
	"$TOP"/bench/bin/*; do
	if [ ! -f "$f" ] || [ ! -x "$f" ]; then
		continue
	fi
	case "$f" in *.sh | *.o | *.a) continue ;; esac
	head -c 4 "$f" | grep -q 'ELF' || continue
	if readelf -l "$f" 2>/dev/null | grep -q 'program interpreter'; then
		echo "mkinitramfs.sh: warning: $f is not static; not copied" >&2
		continue
	fi
	cp "$f" "$STAGE/bin/"
done

echo "$KVER" >"$STAGE/etc/smaf-kver"
(cd "$STAGE" && find . -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc -R 0:0 --quiet) >"$OUT.tmp"
mv "$OUT.tmp" "$OUT"
