#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Static checks, all fatal: checkpatch --strict on every C file and header
# of the modules, the UAPI, libsmaf and the tools; then the modules built
# with W=1 (extra warnings and kernel-doc) and sparse on every file (C=2),
# warnings as errors; coccicheck's reports; the syzkaller description
# checked against the UAPI; one version everywhere; the manual pages (mandoc
# -Tlint, groff, smafctl --help against its page); then, as root, the DKMS
# package built by dkms.
# Prints one line per check; exits non-zero on any finding. Takes whatever
# exists: a missing or empty directory is no error.
set -uo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP" || exit 1
KVER=${KVER:-$(scripts/kver.sh)}
KDIR=${KDIR:-/lib/modules/$KVER/build}
fail=0

# Kernel-side and userspace-side sources, generated files excluded.
KERNEL_DIRS=(core alloc secure tests/testdev include)
USER_DIRS=(lib tools)
sources() {
	local d
	for d in "$@"; do
		[ -d "$d" ] || continue
		find "$d" -type f \( -name '*.c' -o -name '*.h' \) \
			! -name '*.mod.c' ! -path '*/bin/*'
	done | LC_ALL=C sort
}

# --- checkpatch, from Debian's linux-source-6.1 (with spelling.txt and
# const_structs.checkpatch beside it); options in .checkpatch.conf.
if ! KSRC=$(scripts/kernel-source.sh); then
	echo "lint: checkpatch: FAILED (no linux-source-6.1; run 'make deps' as root)"
	exit 1
fi
CHECKPATCH="perl $KSRC/scripts/checkpatch.pl --no-tree --strict --terse"
CHECKPATCH="$CHECKPATCH --max-line-length=80 --show-types"
# Userspace code (lib/, tools/) uses <stdint.h> types: u64 and friends do
# not exist there.
USER_IGNORES="--ignore PREFER_KERNEL_TYPES"

n=0
bad=0
run_checkpatch() {
	local f extra=$1
	shift
	for f in "$@"; do
		n=$((n + 1))
		# shellcheck disable=SC2086 # option lists
		$CHECKPATCH $extra -f "$f" | grep -v '^total: '
		[ "${PIPESTATUS[0]}" -eq 0 ] || bad=$((bad + 1))
	done
}
mapfile -t kfiles < <(sources "${KERNEL_DIRS[@]}")
mapfile -t ufiles < <(sources "${USER_DIRS[@]}")
run_checkpatch "" "${kfiles[@]}"
run_checkpatch "$USER_IGNORES" "${ufiles[@]}"
# checkpatch caches CamelCase names of include/ in the current directory.
rm -f .checkpatch-camelcase.*
if [ "$bad" -eq 0 ]; then
	echo "lint: checkpatch --strict: OK ($n files)"
else
	echo "lint: checkpatch --strict: FAILED ($bad of $n files)"
	fail=1
fi

# --- the modules with W=1 (kernel-doc included), sparse (C=2: every file,
# not only rebuilt ones) and -Werror, built from a copy of the sources in
# build/lint so that the normal build's objects stay as they are.
mapfile -t msrc < <(sources core alloc secure tests/testdev)
if [ "${#msrc[@]}" -eq 0 ] || [ ! -e Kbuild ]; then
	echo "lint: W=1 C=2 -Werror build: skipped (no module sources)"
elif [ ! -e "$KDIR/Makefile" ]; then
	echo "lint: W=1 C=2 -Werror build: FAILED (no headers in $KDIR;" \
	     "run 'make deps' as root)"
	fail=1
else
	LINT=$TOP/build/lint
	rm -rf "$LINT"
	mkdir -p "$LINT"
	find Kbuild VERSION core alloc secure tests/testdev include -type f \
		\( -name '*.[ch]' -o -name Kbuild -o -name Makefile \
		-o -name VERSION \) ! -name '*.mod.c' ! -path '*/bin/*' \
		-print0 2>/dev/null | cpio -pdm --null --quiet "$LINT"
	if KCFLAGS=-Werror KDOC_WERROR=1 make -s -C "$KDIR" M="$LINT" \
		W=1e C=2 CF=-Wsparse-error modules >"$LINT.log" 2>&1 &&
	   ! grep -q 'warning:\|error:' "$LINT.log"; then
		echo "lint: W=1 C=2 -Werror build: OK"
	else
		sed "s|$LINT/||g" "$LINT.log"
		echo "lint: W=1 C=2 -Werror build: FAILED (sparse, compiler" \
		     "or kernel-doc findings above)"
		fail=1
	fi
fi

# --- coccinelle: every semantic patch of 6.1's scripts/coccinelle that
# needs no OCaml scripting (70 of 72), in report mode, on a copy of the
# module sources in build/cocci (no generated files). Any report fails.
if ! command -v spatch >/dev/null; then
	echo "lint: coccicheck: FAILED (no spatch; run 'make deps' as root)"
	fail=1
else
	COCCI_DIR=$TOP/build/cocci
	rm -rf "$COCCI_DIR"
	mkdir -p "$COCCI_DIR"
	find core alloc secure tests/testdev include -type f \
		\( -name '*.[ch]' -o -name Kbuild \) ! -name '*.mod.c' \
		-print0 2>/dev/null | cpio -pdm --null --quiet "$COCCI_DIR"
	: >"$COCCI_DIR.log"
	ncocci=0
	cbad=0
	while IFS= read -r sp; do
		grep -q ':ocaml' "$sp" && continue
		ncocci=$((ncocci + 1))
		if ! make -s -C "$KSRC" coccicheck MODE=report M="$COCCI_DIR" \
			COCCI="$sp" >"$COCCI_DIR.out" 2>&1; then
			echo "${sp#"$KSRC"/}: spatch failed:"
			cat "$COCCI_DIR.out"
			cbad=1
		fi
		grep -E "^$COCCI_DIR/[^:]+:[0-9]+" "$COCCI_DIR.out" \
			>>"$COCCI_DIR.log"
	done < <(find "$KSRC/scripts/coccinelle" -name '*.cocci' | LC_ALL=C sort)
	if [ "$cbad" -eq 0 ] && [ ! -s "$COCCI_DIR.log" ]; then
		echo "lint: coccicheck: OK ($ncocci semantic patches)"
	else
		sed "s|$COCCI_DIR/||" "$COCCI_DIR.log"
		echo "lint: coccicheck: FAILED (reports above)"
		fail=1
	fi
fi

# --- the syzkaller description against the UAPI header.
if out=$(tests/syzkaller/check.sh 2>&1); then
	echo "lint: syzkaller description: OK ($out)"
else
	echo "$out"
	echo "lint: syzkaller description: FAILED"
	fail=1
fi

# --- one version (VERSION) everywhere it is carried.
scripts/check-version.sh || fail=1

# --- the manual pages: mandoc -Tlint, groff's warnings, and smafctl's
# --help against man/smafctl.1 (scripts/check-man.sh).
scripts/check-man.sh || fail=1

# --- the DKMS package (dkms.conf) built for the Debian headers in private
# dkms trees; dkms itself refuses to run without root.
if [ "$(id -u)" -ne 0 ]; then
	echo "lint: dkms build: skipped (dkms needs root)"
elif out=$(KVER=$KVER scripts/dkms.sh check 2>&1); then
	echo "lint: dkms build: OK ($out)"
else
	echo "$out"
	echo "lint: dkms build: FAILED"
	fail=1
fi

exit "$fail"
