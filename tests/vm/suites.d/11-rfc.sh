#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The SMAF RFC's libsmaf test program (tests/test_rfc.c) against libsmaf,
# once per secure module set-up, so that its secure cases run:
#   rfc			the secure module /init registers, smaf-secure-dummy
#			(allows everything, as the RFC's test module did):
#			mmap of a secure buffer succeeds
#   rfc-firewall-cpu	smaf-firewall allow_cpu=1: mmap succeeds
#   rfc-firewall	smaf-firewall allow_cpu=0: mmap fails with EACCES
#			(what the RFC's OP-TEE branch expected)
# Only one secure module registers at a time: the dummy is unloaded for the
# firewall runs and loaded again at the end.
# shellcheck source=tests/vm/guest-lib.sh
. /lib/smaf/guest-lib.sh

if ! is_loaded smaf; then
	tap_skip all "smaf.ko not loaded"
	exit 0
fi

run_test rfc /bin/test_rfc

if has_module smaf_firewall; then
	if is_loaded smaf_secure_dummy && ! mod_unload smaf_secure_dummy; then
		tap_fail unload-secure-dummy "rmmod smaf_secure_dummy failed"
	else
		for cpu in 1 0; do
			if ! load_module smaf_firewall allow_cpu=$cpu; then
				tap_fail "load-firewall-cpu$cpu" "insmod failed"
				continue
			fi
			if [ "$cpu" = 1 ]; then
				run_test rfc-firewall-cpu /bin/test_rfc
			else
				run_test rfc-firewall /bin/test_rfc
			fi
			unload_module smaf_firewall ||
				tap_fail unload-firewall "rmmod smaf_firewall failed"
		done
	fi
	load_smaf || tap_fail reload-secure-dummy "insmod failed"
fi
exit 0
