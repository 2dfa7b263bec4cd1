#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# SMAF buffers imported by vgem through DRM PRIME (tests/test_vgem.c);
# /init loads vgem for every suite.
# shellcheck source=tests/vm/guest-lib.sh
. /lib/smaf/guest-lib.sh

if ! has_module smaf || ! has_module smaf_testdev; then
	echo /bin/test_vgem >>"$SMAF_STATE/ran"
	tap_skip test_vgem "smaf.ko or smaf-testdev.ko not built"
	exit 0
fi
is_loaded vgem || load_vgem || tap_fail load-vgem "insmod of the vgem stack failed"

SMAF_TEST_TIMEOUT=${SMAF_VGEM_TIMEOUT:-1200}
export SMAF_TEST_TIMEOUT
run_test vgem /bin/test_vgem
exit 0
