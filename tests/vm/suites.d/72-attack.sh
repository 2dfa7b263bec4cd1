#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Hostile userspace (tests/test_attack.c): faulting copies for every ioctl,
# foreign fds, wrong directions, mapping tricks, exhaustion of
# max_total_size and of fds, SIGKILL during a 256 MiB allocation and a
# device write, and an unprivileged user. The limits it changes are put
# back afterwards whatever happened.
# shellcheck source=tests/vm/guest-lib.sh
. /lib/smaf/guest-lib.sh

if ! has_module smaf || ! has_module smaf_testdev; then
	echo /bin/test_attack >>"$SMAF_STATE/ran"
	tap_skip test_attack "smaf.ko or smaf-testdev.ko not built"
	exit 0
fi
is_loaded vgem || load_vgem || tap_fail load-vgem "insmod of the vgem stack failed"

params=/sys/module/smaf/parameters
saved_total=$(cat "$params/max_total_size" 2>/dev/null)
saved_buffer=$(cat "$params/max_buffer_size" 2>/dev/null)
SMAF_MODULE_DIR=/lib/smaf/modules
export SMAF_MODULE_DIR
SMAF_TEST_TIMEOUT=${SMAF_ATTACK_TIMEOUT:-900}
export SMAF_TEST_TIMEOUT
run_test attack /bin/test_attack

for p in max_total_size:$saved_total max_buffer_size:$saved_buffer; do
	name=${p%%:*} val=${p#*:}
	[ -n "$val" ] || continue
	if [ "$(cat "$params/$name")" != "$val" ]; then
		tap_fail "$name-restored" "test_attack left $name at $(cat "$params/$name")"
		echo "$val" >"$params/$name"
	fi
done
if [ -n "$(stats_nonzero)" ]; then
	tap_fail counters-zero "$(stats_nonzero | tr '\n' ' ')"
fi
exit 0
