#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Sanity of the test VM itself: what every other suite relies on.
# shellcheck source=tests/vm/guest-lib.sh
. /lib/smaf/guest-lib.sh

# 32-bit DMA tests need memory above 4 GiB; the stock-2g lane is the
# machine shape with all of it below.
if [ "$SMAF_LANE" = stock-2g ]; then
	if awk '/MemTotal/ { exit !($2 < 2097152) }' /proc/meminfo; then
		tap_ok memory-below-4g
	else
		tap_fail memory-below-4g "$(grep MemTotal /proc/meminfo)"
	fi
elif awk '/MemTotal/ { exit !($2 > 4718592) }' /proc/meminfo; then
	tap_ok memory-above-4g
else
	tap_fail memory-above-4g "$(grep MemTotal /proc/meminfo)"
fi
# The stock-bounce lane: every mapping really goes through swiotlb.
if [ "$SMAF_LANE" = stock-bounce ]; then
	if grep -q swiotlb=force /proc/cmdline; then
		tap_ok swiotlb-forced
	else
		tap_fail swiotlb-forced "$(cat /proc/cmdline)"
	fi
fi

if [ -c /dev/dri/card0 ]; then
	tap_ok vgem-present
else
	tap_fail vgem-present "no /dev/dri/card0"
fi

if [ -d /sys/module/smaf ]; then
	if [ -c /dev/smaf ]; then
		tap_ok dev-smaf
	else
		tap_fail dev-smaf "smaf is loaded but /dev/smaf is missing"
	fi
else
	tap_skip dev-smaf "smaf.ko not built"
fi

# vivid loads with parameters and unloads cleanly, twice.
ok=1
for params in "" "allocators=1"; do
	# shellcheck disable=SC2086 # no parameter at all when empty
	if ! load_vivid $params; then
		ok=0
		break
	fi
	if [ ! -c /dev/video0 ]; then
		say "vivid $params: no /dev/video0"
		ok=0
	fi
	unload_vivid || ok=0
	if [ -d /sys/module/vivid ]; then
		say "vivid still loaded after unload_vivid"
		ok=0
	fi
done
if [ "$ok" = 1 ]; then
	tap_ok vivid-load-unload
else
	tap_fail vivid-load-unload
fi
