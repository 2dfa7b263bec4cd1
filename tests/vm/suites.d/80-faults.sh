#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Fault injection (tests/test_faults.c): failslab and fail_page_alloc make
# SMAF's create, map, allocate, migrate, ADD_CONSUMER and secure grant
# paths fail at each of their allocations; every failure must be a clean
# errno. Then SMAF's counters must be zero and kmemleak must find nothing
# allocated by our modules. Only the debug kernel has fault injection
# (the debug lane): on Debian's kernel the suite skips, with the reason.
#
# test_faults runs twice when smaf-firewall is built: with the secure module
# /init loads (smaf-secure-dummy), and with smaf-firewall (allow_cpu=1 and
# the test devices allowlisted, so that grants succeed and its own
# allocations are failed too). Its cma_16m test checks, on a kernel with a
# CMA area, that smaf-cma serves a 16 MiB buffer.
# shellcheck source=tests/vm/guest-lib.sh
. /lib/smaf/guest-lib.sh

echo /bin/test_faults >>"$SMAF_STATE/ran"
if ! has_module smaf || ! has_module smaf_testdev; then
	tap_skip test_faults "smaf.ko or smaf-testdev.ko not built"
	exit 0
fi

SMAF_TEST_TIMEOUT=${SMAF_FAULTS_TIMEOUT:-1500}
export SMAF_TEST_TIMEOUT
CONSTRAINTS=/sys/class/misc/smaf/constraints

# Whatever a killed test left behind: no fault injection, no rule.
fi_reset() {
	for a in failslab fail_page_alloc; do
		d=/sys/kernel/debug/$a
		[ -d "$d" ] || continue
		echo 0 >"$d/probability"
	done
	if grep -q 'smaf-testdev\.3' "$CONSTRAINTS" 2>/dev/null; then
		echo "-platform:smaf-testdev.3" >"$CONSTRAINTS"
	fi
	echo "smaf-faults: fault injection off" >/dev/kmsg
}

run_test faults /bin/test_faults
fi_reset

if [ ! -d /sys/kernel/debug/failslab ]; then
	say "no fault injection in this kernel: the rest of the suite skips"
	exit 0
fi

if has_module smaf_firewall; then
	if is_loaded smaf_secure_dummy && ! mod_unload smaf_secure_dummy; then
		tap_fail unload-secure-dummy "rmmod smaf_secure_dummy failed"
	elif load_module smaf_firewall allow_cpu=1 \
			allowlist=smaf-testdev.0,smaf-testdev.1,smaf-testdev.3; then
		run_test faults-firewall /bin/test_faults
		fi_reset
		unload_module smaf_firewall ||
			tap_fail unload-firewall "rmmod smaf_firewall failed"
	else
		tap_fail load-firewall "insmod smaf_firewall failed"
	fi
	load_smaf || tap_fail reload-secure-dummy "insmod failed"
fi

# Nothing left: SMAF's counters, then kmemleak (two scans, objects older
# than 5 s), for objects allocated by our modules.
if [ -n "$(stats_nonzero)" ]; then
	tap_fail counters-zero "$(stats_nonzero | tr '\n' ' ')"
else
	tap_ok counters-zero
fi
kml=/sys/kernel/debug/kmemleak
if [ -w "$kml" ]; then
	sleep 5
	if echo scan >"$kml" && echo scan >"$kml" && cat "$kml" >/tmp/faults-kml; then
		n=$(grep -c '^unreferenced object' /tmp/faults-kml)
		ours=$(grep -c '\[smaf' /tmp/faults-kml)
		if [ "$ours" -gt 0 ]; then
			say "kmemleak after fault injection:"
			sed 's/^/kmemleak| /' /tmp/faults-kml | head -n 300
			tap_fail kmemleak "$n suspected leak(s), $ours backtrace lines in smaf*"
		else
			# Others' leaks, if any, fail vm/kmemleak at the end.
			tap_ok kmemleak
		fi
	else
		tap_fail kmemleak "kmemleak cannot scan (disabled?)"
	fi
else
	tap_skip kmemleak "no kmemleak in this kernel"
fi
exit 0
