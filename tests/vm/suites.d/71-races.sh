#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Lifetime races (tests/test_races.c), each for a bounded time: close
# against use, two first maps, detach against release, the secure flag
# against the first map, and unloading an allocator (smaf-system,
# smaf-cma) or the secure module (smaf-secure-dummy) against creating and
# mapping buffers. The kernel command line's smaf_race_seconds=N sets the
# time per race (default 2). The modules the races unload are loaded again
# afterwards, whatever happened.
# shellcheck source=tests/vm/guest-lib.sh
. /lib/smaf/guest-lib.sh

if ! has_module smaf || ! has_module smaf_testdev; then
	echo /bin/test_races >>"$SMAF_STATE/ran"
	tap_skip test_races "smaf.ko or smaf-testdev.ko not built"
	exit 0
fi

secs=$(tr ' ' '\n' </proc/cmdline | sed -n 's/^smaf_race_seconds=//p' | tail -n 1)
SMAF_MODULE_DIR=/lib/smaf/modules
export SMAF_MODULE_DIR
SMAF_TEST_TIMEOUT=${SMAF_RACES_TIMEOUT:-900}
export SMAF_TEST_TIMEOUT
run_test races /bin/test_races --seconds "${secs:-2}"

while read -r ko; do
	m=$(ko_name "$ko")
	case "$m" in smaf_cma | smaf_system | smaf_secure_dummy) ;; *) continue ;; esac
	if ! is_loaded "$m"; then
		tap_fail "$m-reloaded" "test_races left $m unloaded"
		insmod "$ko" || say "insmod $ko failed"
	fi
done </lib/smaf/modules.list
if [ -n "$(stats_nonzero)" ]; then
	tap_fail counters-zero "$(stats_nonzero | tr '\n' ' ')"
fi
exit 0
