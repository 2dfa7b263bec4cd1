#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# SMAF buffers as V4L2 DMABUF capture buffers of vivid (tests/test_vivid.c),
# once per vivid memory allocator:
#   allocators=1  videobuf2-dma-contig: dma_buf_map_attachment()
#   allocators=0  videobuf2-vmalloc (the default): dma_buf_vmap()
# shellcheck source=tests/vm/guest-lib.sh
. /lib/smaf/guest-lib.sh

echo /bin/test_vivid >>"$SMAF_STATE/ran"
if ! has_module smaf || ! has_module smaf_testdev; then
	tap_skip test_vivid "smaf.ko or smaf-testdev.ko not built"
	exit 0
fi

SMAF_TEST_TIMEOUT=${SMAF_VIVID_TIMEOUT:-1200}
export SMAF_TEST_TIMEOUT

for mode in 1 0; do
	case $mode in
	1) grp=vivid-dma-contig ;;
	0) grp=vivid-vmalloc ;;
	esac
	if ! load_vivid allocators=$mode; then
		tap_fail "$grp/load" "insmod vivid allocators=$mode failed"
		unload_vivid
		continue
	fi
	run_test "$grp" /bin/test_vivid allocators=$mode
	if ! unload_vivid; then
		tap_fail "$grp/unload" "vivid did not unload (a buffer still imported?)"
	fi
done
exit 0
