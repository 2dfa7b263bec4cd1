#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The UAPI matrix (tests/test_uapi.c), natively and as a 32-bit program
# (compat_ioctl), with the secure module /init registers
# (smaf-secure-dummy); then natively once more with no secure module, so
# that both the ENODEV and the EBUSY paths of SMAF_IOC_SET_SECURE_FLAG run.
# The dummy is loaded again at the end.
# shellcheck source=tests/vm/guest-lib.sh
. /lib/smaf/guest-lib.sh

if ! is_loaded smaf; then
	tap_skip all "smaf.ko not loaded"
	exit 0
fi

run_test uapi /bin/test_uapi
if [ -x /bin/test_uapi32 ]; then
	run_test uapi32 /bin/test_uapi32
else
	tap_fail uapi32-built "/bin/test_uapi32 missing (gcc-multilib?)"
fi

if is_loaded smaf_secure_dummy; then
	if mod_unload smaf_secure_dummy; then
		run_test uapi-no-secure /bin/test_uapi
	else
		tap_fail unload-secure-dummy "rmmod smaf_secure_dummy failed"
	fi
	# Loads what of modules.list is not loaded: the dummy.
	load_smaf || tap_fail reload-secure-dummy "insmod failed"
fi
exit 0
