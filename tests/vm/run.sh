#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot Debian's 6.1 kernel in qemu with the SMAF modules and tests.
#
#   tests/vm/run.sh check	every suite in tests/vm/suites.d, then the leak,
#				unload and reload checks; one line per test,
#				then "N passed, N failed" as the last line
#   tests/vm/run.sh demo	the demo (tests/vm/demo.sh), quiet console
#   tests/vm/run.sh report	re-read the logs of the last check run
#
# Output: build/vm-console.log (the whole console: kernel messages and test
# output, also echoed here) and build/vm-results.log (the result lines the
# guest writes to its second serial port). Exit status 0 only if every test
# passed, the guest finished, and the console shows no kernel warning,
# BUG, oops, panic, hung task or the like.
#
# Environment:
#   SMAF_VM_TIMEOUT	seconds before the VM is killed (default 1800)
#   SMAF_VM_ONLY	run only suites whose file name matches this shell
#			pattern, e.g. '*core*'
#   SMAF_VM_VERBOSE=1	print every test binary's whole output
#   SMAF_VM_SUITES	directory of suites (default tests/vm/suites.d)
#   SMAF_VM_APPEND	extra kernel parameters
#   SMAF_VM_ACCEL	qemu accelerator (default tcg: KVM hangs this guest
#			on some hosts)
#   SMAF_VM_EXTRA	directory copied to /extra in the guest
#   SMAF_VM_CONSOLE, SMAF_VM_RESULTS	other log files (for report)
set -euo pipefail

TOP=$(cd "$(dirname "$0")/../.." && pwd)
MODE=${1:-check}
BUILD=$TOP/build
CONSOLE=${SMAF_VM_CONSOLE:-$BUILD/vm-console.log}
RESULTS=${SMAF_VM_RESULTS:-$BUILD/vm-results.log}
INITRD=$BUILD/vm/initramfs.cpio
TIMEOUT=${SMAF_VM_TIMEOUT:-1800}

die() { echo "run.sh: $*" >&2; exit 1; }

# scan_console FILE: kernel messages that fail a run, as
#	KIND<TAB>LINE-NUMBER<TAB>LINE
# Only kernel lines count (printk.time=1 stamps them "[    1.234567] "), so a
# test printing "BUG:" is not a kernel bug. "Tainted:" alone is expected:
# our unsigned out-of-tree modules taint the kernel.
scan_console() {
	awk '
	{ sub(/\r$/, "") }
	!/\[ *[0-9]+\.[0-9]+\] / { next }
	{
		k = ""
		if (/WARNING:/) k = "WARNING"
		else if (/Kernel panic/) k = "Kernel panic"
		else if (/general protection fault/) k = "general protection fault"
		else if (/KASAN/) k = "KASAN"
		else if (/UBSAN/) k = "UBSAN"
		else if (/list_(add|del) corruption/) k = "list corruption"
		else if (/hung task|blocked for more than/) k = "hung task"
		else if (/Oops/) k = "Oops"
		else if (/BUG:|kernel BUG at|\] BUG [^ ]+ \(/) k = "BUG"
		else if (/Bad page (state|map)|pagealloc: (memory corruption|single bit error)/) k = "bad page"
		else if (/usercopy: Kernel memory/) k = "usercopy"
		else if (/rcu.*detected stall|rcu.*self-detected stall/) k = "RCU stall"
		else if (/Call Trace/) k = "Call Trace"
		if (k != "") print k "\t" NR "\t" $0
	}' "$1"
}

# report: print one line per test and the totals; exit status as above.
report() {
	local pass=0 fail=0 skip=0 st name reason line finished=0 kinds k
	[ -e "$RESULTS" ] || : >"$RESULTS"
	[ -e "$CONSOLE" ] || : >"$CONSOLE"
	echo
	echo "=== results"
	while IFS= read -r line; do
		line=${line%$'\r'}
		case "$line" in
		"SMAF-VM-FINISHED "*) finished=1 ;;
		"RESULT "*)
			line=${line#RESULT }
			st=${line%% *}
			name=${line#* }
			reason=
			case "$name" in *" # "*)
				reason=${name#* # }
				name=${name%% # *}
			esac
			case "$st" in
			PASS) pass=$((pass + 1)) ;;
			SKIP) skip=$((skip + 1)) ;;
			*) st=FAIL; fail=$((fail + 1)) ;;
			esac
			printf '%-4s  %s%s\n' "$st" "$name" "${reason:+  ($reason)}"
			;;
		esac
	done <"$RESULTS"

	kinds=$(scan_console "$CONSOLE" | cut -f1 | awk '!seen[$0]++')
	while IFS= read -r k; do
		[ -n "$k" ] || continue
		fail=$((fail + 1))
		echo "FAIL  kernel/$k  (${CONSOLE#"$TOP"/}:)"
		scan_console "$CONSOLE" | awk -F'\t' -v k="$k" '
			$1 == k && n++ < 8 { printf "        %s: %s\n", $2, $3 }'
	done <<<"$kinds"

	if [ "$finished" = 0 ]; then
		fail=$((fail + 1))
		echo "FAIL  vm/finished  (guest did not finish: crash, panic or timeout; last console lines:)"
		tail -n 15 "$CONSOLE" | tr -d '\r' | sed 's/^/        /'
	fi
	if [ "$skip" -gt 0 ]; then
		echo "($skip skipped)"
	fi
	echo "$pass passed, $fail failed"
	[ "$fail" -eq 0 ]
}

case "$MODE" in
check | demo) ;;
report) report; exit ;;
*) die "usage: run.sh check|demo|report" ;;
esac

KVER=${KVER:-$("$TOP/scripts/kver.sh" || true)}
[ -n "$KVER" ] || die "no Debian 6.1 kernel image + headers; run 'make deps' as root"
KERNEL=/boot/vmlinuz-$KVER
[ -r "$KERNEL" ] || die "$KERNEL is not readable"
command -v qemu-system-x86_64 >/dev/null ||
	die "qemu-system-x86_64 missing; run 'make deps' as root"

mkdir -p "$BUILD/vm"
KVER=$KVER "$TOP/tests/vm/mkinitramfs.sh" "$INITRD"

APPEND="console=ttyS0 panic=-1 oops=panic panic_on_warn=1 softlockup_panic=1"
APPEND="$APPEND hung_task_panic=1 init_on_alloc=0 slub_debug=FZPU page_poison=1"
# TCG is slow and a busy CI host slower: no false RCU stall reports.
APPEND="$APPEND printk.time=1 rcupdate.rcu_cpu_stall_timeout=60"
if [ "$MODE" = demo ]; then
	APPEND="$APPEND loglevel=3"
else
	APPEND="$APPEND loglevel=7"
fi
APPEND="$APPEND ${SMAF_VM_APPEND:-} -- $MODE"
[ "${SMAF_VM_VERBOSE:-0}" = 1 ] && APPEND="$APPEND verbose"
[ -n "${SMAF_VM_ONLY:-}" ] && APPEND="$APPEND only=$SMAF_VM_ONLY"

rm -f "$CONSOLE" "$RESULTS"
: >"$RESULTS"
echo "run.sh: booting $KERNEL ($MODE; console in ${CONSOLE#"$TOP"/})"
set +e
# stdin is /dev/null: qemu must not take over (or stop on) the terminal.
timeout -k 10 "$TIMEOUT" qemu-system-x86_64 \
	-accel "${SMAF_VM_ACCEL:-tcg}" -m 6G -smp 2 \
	-nodefaults -display none -no-reboot \
	-chardev "stdio,id=con,logfile=$CONSOLE,signal=off" \
	-serial chardev:con \
	-serial "file:$RESULTS" \
	-kernel "$KERNEL" -initrd "$INITRD" -append "$APPEND" </dev/null
qrc=$?
set -e
if [ "$qrc" -eq 124 ] || [ "$qrc" -eq 137 ]; then
	echo
	echo "run.sh: the VM was killed after ${TIMEOUT}s"
elif [ "$qrc" -ne 0 ]; then
	echo
	echo "run.sh: qemu exited with status $qrc"
fi

if [ "$MODE" = demo ]; then
	rc=$(sed -n 's/^DEMO-RESULT \([0-9]*\).*/\1/p' "$RESULTS" | tail -n 1)
	if ! grep -q '^SMAF-VM-FINISHED' "$RESULTS"; then
		echo "demo: the VM did not finish (see ${CONSOLE#"$TOP"/})"
		exit 1
	elif [ "${rc:-1}" != 0 ]; then
		echo "demo: FAILED (exit status ${rc:-unknown})"
		exit 1
	fi
	echo "demo: finished successfully"
	exit 0
fi

report
