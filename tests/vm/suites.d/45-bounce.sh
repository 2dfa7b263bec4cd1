#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Forced bouncing (tests/test_bounce.c): secure maps refused, ordinary
# buffers correct through the swiotlb copies. Only meaningful in the VM
# booted with swiotlb=force (run.sh's stock-bounce lane); elsewhere the
# test skips itself.
# shellcheck source=tests/vm/guest-lib.sh
. /lib/smaf/guest-lib.sh

echo /bin/test_bounce >>"$SMAF_STATE/ran"
if ! has_module smaf || ! has_module smaf_testdev; then
	tap_skip test_bounce "smaf.ko or smaf-testdev.ko not built"
	exit 0
fi
run_test bounce /bin/test_bounce
exit 0
