#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# What the core enforces on allocator and secure plugins
# (tests/test_plugins.c: a short table, smaf-cma's size, a refused protect,
# a grant refused on a later range) and who may change protection and what
# each access is granted (tests/test_secure_access.c), with the permissive
# smaf-secure-dummy /init registers. test_plugins loads and unloads
# smaf-test-scatter itself (SMAF_MODULE_DIR).
# shellcheck source=tests/vm/guest-lib.sh
. /lib/smaf/guest-lib.sh

for t in test_plugins test_secure_access; do
	echo "/bin/$t" >>"$SMAF_STATE/ran"
done
if ! has_module smaf || ! has_module smaf_testdev ||
   ! has_module smaf_secure_dummy; then
	tap_skip plugins "smaf, smaf-testdev or smaf-secure-dummy not built"
	exit 0
fi
if ! is_loaded smaf_secure_dummy; then
	tap_fail secure-dummy-loaded "smaf_secure_dummy is not loaded"
	exit 0
fi

SMAF_MODULE_DIR=/lib/smaf/modules
export SMAF_MODULE_DIR
run_test plugins /bin/test_plugins
run_test secure-access /bin/test_secure_access
if is_loaded smaf_test_scatter; then
	tap_fail scatter-unloaded "test_plugins left smaf_test_scatter loaded"
	rmmod smaf_test_scatter
fi
exit 0
