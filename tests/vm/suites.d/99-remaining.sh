#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Every test binary (/bin/test_*, from tests/test_*.c) that no earlier suite
# ran, without arguments, as group <name> (test_buffer: buffer/...). A test
# that needs set-up (vivid parameters, arguments) gets its own suite with a
# lower number; this one then leaves it alone.
# shellcheck source=tests/vm/guest-lib.sh
. /lib/smaf/guest-lib.sh

for b in /bin/test_*; do
	[ -x "$b" ] || continue
	grep -qxF "$b" "$SMAF_STATE/ran" 2>/dev/null && continue
	n=${b##*/}
	run_test "${n#test_}" "$b"
done
