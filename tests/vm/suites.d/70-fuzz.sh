#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The seeded SMAF fuzzer (tests/test_fuzz.c): two threads, every SMAF and
# dma-buf ioctl, mmap/munmap/mremap, the test device, vgem imports, dup,
# close and fork, valid and hostile arguments. It prints its seed; to
# replay a run, boot with the same seed:
#	SMAF_VM_APPEND='smaf_fuzz_seed=N' tests/vm/run.sh check
# (smaf_fuzz_ops=N and smaf_fuzz_threads=N likewise). Needs the default
# module set: smaf, the allocators, smaf-testdev, smaf-secure-dummy, vgem.
# shellcheck source=tests/vm/guest-lib.sh
. /lib/smaf/guest-lib.sh

if ! has_module smaf || ! has_module smaf_testdev; then
	echo /bin/test_fuzz >>"$SMAF_STATE/ran"
	tap_skip test_fuzz "smaf.ko or smaf-testdev.ko not built"
	exit 0
fi

# cmdline_val KEY: the value of KEY=... on the kernel command line.
cmdline_val() {
	tr ' ' '\n' </proc/cmdline | sed -n "s/^$1=//p" | tail -n 1
}

ops=$(cmdline_val smaf_fuzz_ops)
seed=$(cmdline_val smaf_fuzz_seed)
threads=$(cmdline_val smaf_fuzz_threads)
set -- --ops "${ops:-120000}" --threads "${threads:-2}"
[ -n "$seed" ] && set -- "$@" --seed "$seed"

SMAF_TEST_TIMEOUT=${SMAF_FUZZ_TIMEOUT:-1200}
export SMAF_TEST_TIMEOUT
run_test fuzz /bin/test_fuzz "$@"

if [ -n "$(stats_nonzero)" ]; then
	tap_fail counters-zero "$(stats_nonzero | tr '\n' ' ')"
fi
exit 0
