#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Kernel vmap importers never reach a WARN (tests/test_vmap.c): two vivid
# instances in vmalloc mode (videobuf2-vmalloc imports with dma_buf_vmap()),
# fresh, populated and secure SMAF buffers, each reason an allocation can
# fail, and the queue-while-securing race. vivid is unloaded after.
# shellcheck source=tests/vm/guest-lib.sh
. /lib/smaf/guest-lib.sh

echo /bin/test_vmap >>"$SMAF_STATE/ran"
if ! has_module smaf || ! has_module smaf_testdev; then
	tap_skip test_vmap "smaf.ko or smaf-testdev.ko not built"
	exit 0
fi

SMAF_TEST_TIMEOUT=${SMAF_VMAP_TIMEOUT:-900}
export SMAF_TEST_TIMEOUT

if is_loaded vivid; then
	tap_fail vivid-preloaded "vivid already loaded by an earlier suite"
elif ! load_vivid n_devs=2 allocators=0,0; then
	tap_fail vivid-load "insmod vivid n_devs=2 allocators=0,0 failed"
	unload_vivid
	exit 0
fi
run_test vmap /bin/test_vmap
if ! unload_vivid; then
	tap_fail vivid-unload "vivid did not unload (a buffer still imported?)"
fi
exit 0
