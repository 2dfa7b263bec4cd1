#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# SMAF_IOC_LIST_BUFFERS (tests/test_list.c): the records, paging, the
# refusals and who sees what.
# shellcheck source=tests/vm/guest-lib.sh
. /lib/smaf/guest-lib.sh

echo /bin/test_list >>"$SMAF_STATE/ran"
if ! has_module smaf || ! has_module smaf_testdev; then
	tap_skip test_list "smaf.ko or smaf-testdev.ko not built"
	exit 0
fi
run_test list /bin/test_list
exit 0
