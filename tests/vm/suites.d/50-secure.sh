#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Secure buffers with the reference secure module, smaf-firewall
# (tests/test_secure.c). Replaces the permissive smaf-secure-dummy that
# /init registers with smaf-firewall, allowlisting two of the four test
# devices (smaf-testdev.0 and .3, not .1) with the CPU refused; loads vivid
# with its default allocator (vmalloc: it imports with dma_buf_vmap()).
# test_secure rewrites allowlist and allow_cpu itself and reloads the
# firewall (nr_regions=2, or none at all) through delete_module(2) and
# finit_module(2), restoring what it changed. At the end the module set is
# as found: vivid and the firewall unloaded, the dummy loaded again.
# shellcheck source=tests/vm/guest-lib.sh
. /lib/smaf/guest-lib.sh

echo /bin/test_secure >>"$SMAF_STATE/ran"
if ! has_module smaf || ! has_module smaf_testdev ||
   ! has_module smaf_firewall; then
	tap_skip test_secure "smaf, smaf-testdev or smaf-firewall not built"
	exit 0
fi

SMAF_TEST_TIMEOUT=${SMAF_SECURE_TIMEOUT:-1200}
export SMAF_TEST_TIMEOUT
SMAF_MODULE_DIR=/lib/smaf/modules
export SMAF_MODULE_DIR

allowlist=smaf-testdev.0,smaf-testdev.3
params=/sys/module/smaf_firewall/parameters

had_dummy=0
if is_loaded smaf_secure_dummy; then
	had_dummy=1
	mod_unload smaf_secure_dummy ||
		tap_fail unload-secure-dummy "rmmod smaf_secure_dummy failed"
fi

if ! load_module smaf_firewall allowlist=$allowlist; then
	tap_fail load-firewall "insmod smaf_firewall allowlist=$allowlist failed"
else
	had_vivid=0
	is_loaded vivid && had_vivid=1
	if [ "$had_vivid" = 0 ] && ! load_vivid; then
		tap_fail load-vivid "insmod vivid failed"
	fi

	fw_params() {
		echo "allowlist=$(cat $params/allowlist) allow_cpu=$(cat $params/allow_cpu) nr_regions=$(cat $params/nr_regions)"
	}
	before=$(fw_params)
	say "smaf-firewall: $before"

	run_test secure /bin/test_secure

	# Whatever happened in there: the firewall as the suite loaded it.
	if ! is_loaded smaf_firewall; then
		tap_fail firewall-reloaded "test_secure left smaf_firewall unloaded"
	elif [ "$(fw_params)" != "$before" ]; then
		tap_fail firewall-params-restored "before: $before; after: $(fw_params)"
	fi
	c=/sys/kernel/debug/smaf-firewall/counters
	if [ -r $c ] && ! awk '$1 ~ /^(active_grants|regions_used|contexts)$/ &&
			    $2 != 0 { bad = 1 } END { exit bad }' $c; then
		tap_fail firewall-idle "$(tr '\n' ' ' <$c)"
	fi

	if [ "$had_vivid" = 0 ]; then
		unload_vivid ||
			tap_fail unload-vivid "vivid did not unload (a buffer still imported?)"
	fi
	unload_module smaf_firewall ||
		tap_fail unload-firewall "rmmod smaf_firewall failed (a secure buffer left?)"
fi

if [ "$had_dummy" = 1 ] && ! is_loaded smaf_secure_dummy; then
	# Loads what of modules.list is not loaded: the dummy.
	load_smaf || tap_fail reload-secure-dummy "insmod failed"
fi
exit 0
