#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Deferred allocation and exporter behaviour with the test devices
# (tests/test_buffer.c). Its pin tests unload and reload smaf-cma and
# smaf-system through delete_module(2)/finit_module(2), finding the .ko
# files under SMAF_MODULE_DIR.
# shellcheck source=tests/vm/guest-lib.sh
. /lib/smaf/guest-lib.sh

if ! has_module smaf || ! has_module smaf_testdev; then
	echo /bin/test_buffer >>"$SMAF_STATE/ran"
	tap_skip test_buffer "smaf.ko or smaf-testdev.ko not built"
	exit 0
fi

# Zeroing 32 x 4 MiB and 400 allocation races take a while under TCG.
SMAF_TEST_TIMEOUT=${SMAF_BUFFER_TIMEOUT:-1500}
export SMAF_TEST_TIMEOUT
SMAF_MODULE_DIR=/lib/smaf/modules
export SMAF_MODULE_DIR

param=/sys/module/smaf/parameters/max_total_size
saved=
[ -r "$param" ] && saved=$(cat "$param")

run_test buffer /bin/test_buffer

# Whatever happened in there (a killed test skips its teardown): the limit
# as it was, and smaf-cma loaded again.
if [ -n "$saved" ] && [ "$(cat "$param" 2>/dev/null)" != "$saved" ]; then
	say "restoring max_total_size=$saved"
	echo "$saved" >"$param"
fi
while read -r ko; do
	m=$(ko_name "$ko")
	case "$m" in smaf_cma | smaf_system) ;; *) continue ;; esac
	if ! is_loaded "$m"; then
		tap_fail "$m-reloaded" "test_buffer left $m unloaded"
		insmod "$ko" || say "insmod $ko failed"
	fi
done </lib/smaf/modules.list
exit 0
