#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs smafctl's help, usage-error and no-/dev/smaf paths under valgrind on
# the host (make -C tools valgrind): every run must exit with the status
# expected and valgrind must report no error and no leak. The paths that
# need SMAF loaded are tested in the VM (tests/test_smafctl.c).
set -u
B=${1:-"$(dirname "$0")/build/smafctl"}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
fails=0 n=0

# t STATUS ARGS...: smafctl ARGS exits with STATUS, valgrind-clean.
t() {
	local want=$1 got
	shift
	n=$((n + 1))
	valgrind -q --leak-check=full --show-leak-kinds=all \
		--errors-for-leak-kinds=all --error-exitcode=99 \
		"$B" "$@" >"$OUT/out" 2>"$OUT/err"
	got=$?
	if [ "$got" != "$want" ]; then
		fails=$((fails + 1))
		echo "FAIL: smafctl $* exited $got, expected $want"
		sed 's/^/    /' "$OUT/err"
	fi
}

[ -x "$B" ] || { echo "no $B: make -C tools dynamic" >&2; exit 1; }
command -v valgrind >/dev/null || { echo "valgrind missing" >&2; exit 1; }
t 0 --help; t 0 -h; t 0 --version; t 0 help; t 2 help bogus; t 2
t 2 bogus; t 2 --bogus; t 2 -x
for c in allocators buffers constraints create info quarantine help; do
	t 0 "$c" --help; t 0 "$c" -h; t 2 "$c" --bogus; t 0 help "$c"
done
t 2 allocators extra
t 2 constraints set; t 2 constraints set platform:x bogus
t 2 constraints set platform:x dma-bits=7
t 2 constraints set platform:x dma-bits=65
t 2 constraints set platform:x dma-bits=32x
t 2 constraints set platform:x contiguous contiguous
t 2 constraints del; t 2 constraints del a b; t 2 constraints clear x
t 2 constraints frob; t 2 constraints --json set x
t 2 quarantine bogus; t 2 quarantine scrub now; t 2 --json quarantine scrub
t 2 create; t 2 create --size; t 2 create --size 0; t 2 create --size abc
t 2 create --size -1; t 2 create --size 1X; t 2 create --size 1MB
t 2 create --size 1.5M; t 2 create --size 99999999999999999999
t 2 create --size 17179869184G; t 2 create --size 16777216T
t 2 create --size " 1"
t 2 create --size 1M --name 0123456789012345678901234567890123
t 2 create --size 1M --allocator ""
t 2 info abc; t 2 info -1; t 2 info 1 2; t 2 info 99999999999
SMAF_FD=x t 2 info
t 1 create --size 1M --consumer /dev/null
t 1 create --size 1M --consumer /nonexistent
t 1 create --size 1M --consumer /tmp
t 1 constraints set /dev/null; t 1 constraints del /nonexistent
# Without SMAF on the host these are operational errors (exit 1).
if [ ! -e /dev/smaf ]; then
	t 1 allocators; t 1 --json allocators; t 1 create --size 4K
	t 1 create --size 1M --consumer platform:foo.0 -- true
	t 1 info 3; t 1 constraints; t 1 constraints clear
fi
[ -r /sys/kernel/debug/smaf/buffers ] || t 1 buffers --json
if [ ! -e /sys/kernel/debug/smaf/quarantine ]; then
	t 1 quarantine; t 1 --json quarantine show; t 1 quarantine scrub
fi
echo "smafctl valgrind: $((n - fails)) passed, $fails failed"
[ "$fails" -eq 0 ]
