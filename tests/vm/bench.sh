#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# `make bench`, inside the VM (the perf lane's /init in bench mode): load
# vgem and SMAF, run /bin/smaf-bench (the table goes to the console), check
# its JSON and send it to the third serial port (build/bench/guest.json on
# the host), then unload. Kernel command-line words read here:
#	bench_commit=HASH	the commit the figures come from
#	bench_vm=A,B,...	the VM's shape (commas for spaces)
#	bench_args=A,B,...	more smaf-bench run options (commas for spaces)
# Results: RESULT lines bench/load, bench/run, bench/json, bench/counters-zero
# and bench/unload on the results port.
# shellcheck source=tests/vm/guest-lib.sh
. /lib/smaf/guest-lib.sh

commit=unknown
vmshape=unknown
args=
for w in $(cat /proc/cmdline); do
	case "$w" in
	bench_commit=*) commit=${w#bench_commit=} ;;
	bench_vm=*) vmshape=$(echo "${w#bench_vm=}" | tr , ' ') ;;
	bench_args=*) args=$(echo "${w#bench_args=}" | tr , ' ') ;;
	esac
done

say "=== SMAF benchmark: kernel $(uname -r), $(nproc) CPUs," \
    "$(awk '/MemTotal/ { print int($2 / 1024) " MiB" }' /proc/meminfo)"
if ! load_vgem || ! load_smaf; then
	result FAIL bench/load "a module did not load"
	exit 1
fi
result PASS bench/load
# SMAF's own cap (64 MiB by default) below the largest size measured.
echo $((512 << 20)) >/sys/module/smaf/parameters/max_buffer_size

rc=0
out=/tmp/smaf-bench.json
# shellcheck disable=SC2086 # $args is a list of options
if /bin/smaf-bench run --out "$out" --commit "$commit" --vm "$vmshape" $args; then
	result PASS bench/run
else
	result FAIL bench/run "smaf-bench exited with $?"
	rc=1
fi
if /bin/smaf-bench check "$out" --allow-errors --require smaf; then
	result PASS bench/json
	stty -F /dev/ttyS2 raw -echo 2>/dev/null
	cat "$out" >/dev/ttyS2
else
	result FAIL bench/json "the results do not parse or are incomplete"
	rc=1
fi
if [ -n "$(stats_nonzero)" ]; then
	result FAIL bench/counters-zero "$(stats_nonzero | tr '\n' ' ')"
	rc=1
else
	result PASS bench/counters-zero
fi
if unload_all; then
	result PASS bench/unload
else
	result FAIL bench/unload "some module did not unload"
	rc=1
fi
exit $rc
