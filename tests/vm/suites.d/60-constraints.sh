#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Constraint-aware allocation (tests/test_constraints.c): allocator choice,
# ALLOCATOR_INFO, the run-time constraints table, late attach and migration,
# debugfs smaf/buffers, and vivid allocators=1 (videobuf2-dma-contig)
# capturing into buffers a 64-bit test device mapped first. Loads vivid
# with allocators=1 for the test and unloads it after; leaves the
# constraints table empty.
# shellcheck source=tests/vm/guest-lib.sh
. /lib/smaf/guest-lib.sh

echo /bin/test_constraints >>"$SMAF_STATE/ran"
if ! has_module smaf || ! has_module smaf_testdev; then
	tap_skip test_constraints "smaf.ko or smaf-testdev.ko not built"
	exit 0
fi

rules=/sys/class/misc/smaf/constraints
SMAF_TEST_TIMEOUT=${SMAF_CONSTRAINTS_TIMEOUT:-1500}
export SMAF_TEST_TIMEOUT

# The vivid fixture fails (rather than skips) when vivid is missing.
SMAF_CONSTRAINTS_VIVID=1
export SMAF_CONSTRAINTS_VIVID
if is_loaded vivid; then
	tap_fail vivid-preloaded "vivid already loaded by an earlier suite"
elif ! load_vivid allocators=1; then
	tap_fail vivid-load "insmod vivid allocators=1 failed"
	unload_vivid
fi

run_test constraints /bin/test_constraints
echo /bin/test_contig >>"$SMAF_STATE/ran"
SMAF_MODULE_DIR=/lib/smaf/modules
export SMAF_MODULE_DIR
run_test contig /bin/test_contig

if ! unload_vivid; then
	tap_fail vivid-unload "vivid did not unload (a buffer still imported?)"
fi
# Whatever the test did (a killed test skips its teardown): no rule left.
if [ -e "$rules" ]; then
	echo clear >"$rules" || tap_fail rules-clear "cannot clear $rules"
	if [ -n "$(cat "$rules")" ]; then
		tap_fail rules-clear "constraints table not empty: $(cat "$rules")"
	fi
fi
exit 0
