#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot a 6.1 kernel in qemu with the SMAF modules and tests, in one of two
# lanes:
#   stock	Debian's own kernel (scripts/kver.sh) and the modules built
#		against its headers (make)
#   stock-2g	the same in a 2 GiB VM, all RAM below 4 GiB (as on most
#		boards), running only the suites whose answer could depend on
#		it: vgem, vivid, constraints
#   stock-bounce	the same booted with swiotlb=force (every DMA mapping
#		bounced, as on SEV/TDX guests), running only the bounce suite
#   debug	the debug kernel of scripts/debug-kernel.sh (KASAN, UBSAN,
#		lockdep, kmemleak, DMA-API debug, fault injection, CMA) and
#		the modules built against it in build/debug-modules
#		(make debug-modules)
#   debian	Debian's kernel booting a Debian 12 root filesystem with
#		SMAF's packages installed (make deb), systemd as init:
#		tests/vm/debian.sh (check mode only)
#   perf	the benchmark kernel of scripts/lane-kernel.sh perf (the debug
#		kernel's peers, no detectors) and the modules built against
#		it in build/perf-modules (make perf-modules)
#
#   tests/vm/run.sh [--lane L] check	every suite in tests/vm/suites.d, then
#				the leak, unload and reload checks; one line
#				per test, then "N passed, N failed" last
#   tests/vm/run.sh [--lane L] demo	the demo (tests/vm/demo.sh), quiet
#   tests/vm/run.sh [--lane L] report	re-read the logs of the last check
#   tests/vm/run.sh [--lane L] bench	make bench (default lane: perf): run
#				bench/bin/smaf-bench in the guest, then
#				build/bench/results.json, the table and a
#				PNG plot per workload (gnuplot) in build/bench
#   tests/vm/run.sh lanes [L...]	check in each lane (default: stock,
#				stock-2g, stock-bounce, then debug), then
#				one combined list of
#				results (named stock:<test>, debug:<test>),
#				a line per lane, the summary and "N passed,
#				N failed" over every lane
#
# Output: build/vm-console.log (the whole console: kernel messages and test
# output, also echoed here) and build/vm-results.log (the result lines the
# guest writes to its second serial port); build/vm-debug-console.log and
# build/vm-debug-results.log in the debug lane. Exit status 0 only if every
# test passed, the guest finished, and the console shows no kernel warning,
# BUG, oops, panic, hung task, KASAN, UBSAN, lockdep, DMA-API or kmemleak
# report or the like.
#
# Before the last line comes the summary of what the tests reported with
# "# REPORT key=value" lines (fuzz_ops, faults_injected, races_run,
# hostile_inputs, summed over every test and lane) and of the kernel
# reports found (which must be 0).
#
# Environment:
#   SMAF_VM_LANE	the lane when --lane is not given (default stock)
#   SMAF_VM_TIMEOUT	seconds before the VM is killed (stock lane default
#			1800; SMAF_VM_DEBUG_TIMEOUT, default 1800, in the
#			debug lane)
#   SMAF_VM_ONLY	run only suites whose file name matches this shell
#			pattern, e.g. '*core*'
#   SMAF_VM_VERBOSE=1	print every test binary's whole output
#   SMAF_VM_SUITES	directory of suites (default tests/vm/suites.d)
#   SMAF_VM_APPEND	extra kernel parameters
#   SMAF_VM_ACCEL	qemu accelerator (default tcg: KVM hangs this guest
#			on some hosts)
#   SMAF_VM_EXTRA	directory copied to /extra in the guest
#   SMAF_VM_KO_TOP	stock lanes: the tree whose built modules the VM loads
#			(default this one; another checkout's, to run these
#			tests against its modules)
#   SMAF_VM_CONSOLE, SMAF_VM_RESULTS	other log files (single-lane modes)
#   SMAF_VM_PERF_TIMEOUT	the perf lane's timeout (default 3600)
#   SMAF_BENCH_ARGS	more options for smaf-bench run in bench mode, e.g.
#			"--scale 0.2" or "--only cold,memory"
set -euo pipefail

TOP=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$TOP/build
LANE=${SMAF_VM_LANE:-}
MODE=
LANES=()

die() { echo "run.sh: $*" >&2; exit 1; }
usage() {
	die "usage: run.sh [--lane stock|stock-2g|stock-bounce|debug|debian|perf]" \
	    "check|demo|report|bench, or run.sh lanes [LANE]..."
}

while [ $# -gt 0 ]; do
	case "$1" in
	--lane) [ $# -ge 2 ] || usage; LANE=$2; shift 2 ;;
	--lane=*) LANE=${1#--lane=}; shift ;;
	check | demo | report | bench) MODE=$1; shift ;;
	lanes)
		MODE=lanes
		shift
		LANES=("$@")
		[ "${#LANES[@]}" -gt 0 ] || LANES=(stock stock-2g stock-bounce debug)
		break
		;;
	*) usage ;;
	esac
done
[ -n "$MODE" ] || MODE=check
if [ -z "$LANE" ]; then
	LANE=stock
	[ "$MODE" = bench ] && LANE=perf
fi

# lane_setup LANE [logs]: the lane's kernel, modules, logs and boot
# parameters, in L_* variables. With "logs", only the log paths (for
# report). Returns 1 with the reason in L_ERR when the lane cannot run.
lane_setup() {
	local dir
	L_LANE=$1 L_ERR=
	case "$1" in
	stock)
		L_CONSOLE=$BUILD/vm-console.log
		L_RESULTS=$BUILD/vm-results.log
		;;
	stock-2g | stock-bounce)
		L_CONSOLE=$BUILD/vm-$1-console.log
		L_RESULTS=$BUILD/vm-$1-results.log
		;;
	debug)
		L_CONSOLE=$BUILD/vm-debug-console.log
		L_RESULTS=$BUILD/vm-debug-results.log
		;;
	debian)
		L_CONSOLE=$BUILD/vm-debian-console.log
		L_RESULTS=$BUILD/vm-debian-results.log
		;;
	perf)
		L_CONSOLE=$BUILD/vm-perf-console.log
		L_RESULTS=$BUILD/vm-perf-results.log
		;;
	*) die "unknown lane '$1' (stock, stock-2g, stock-bounce, debug, debian or perf)" ;;
	esac
	if [ "$MODE" != lanes ]; then
		L_CONSOLE=${SMAF_VM_CONSOLE:-$L_CONSOLE}
		L_RESULTS=${SMAF_VM_RESULTS:-$L_RESULTS}
	fi
	[ "${2:-}" = logs ] && return 0

	# Common to both lanes. TCG is slow and a busy CI host slower: no
	# false RCU stall reports.
	L_APPEND="console=ttyS0 panic=-1 oops=panic softlockup_panic=1"
	L_APPEND="$L_APPEND hung_task_panic=1 init_on_alloc=0"
	L_APPEND="$L_APPEND printk.time=1 rcupdate.rcu_cpu_stall_timeout=60"
	L_MEM=6G L_ONLY=
	case "$1" in
	stock | stock-2g | stock-bounce | debian)
		L_KVER=${KVER:-$("$TOP/scripts/kver.sh" || true)}
		if [ -z "$L_KVER" ]; then
			L_ERR="no Debian 6.1 kernel image + headers; run 'make deps' as root"
			return 1
		fi
		L_KERNEL=/boot/vmlinuz-$L_KVER
		L_MODROOT=
		L_KOTOP=${SMAF_VM_KO_TOP:-$TOP}
		L_INITRD=$BUILD/vm/initramfs.cpio
		L_TIMEOUT=${SMAF_VM_TIMEOUT:-1800}
		# Any WARN ends the run; Debian has page poisoning built in.
		L_APPEND="$L_APPEND slub_debug=FZPU panic_on_warn=1 page_poison=1"
		L_GUEST="lane=$1"
		case "$1" in
		stock-2g)
			L_MEM=2G
			L_ONLY="00-vm.sh,30-vgem.sh,40-vivid.sh,60-constraints.sh"
			;;
		stock-bounce)
			L_APPEND="$L_APPEND swiotlb=force"
			L_ONLY="00-vm.sh,45-bounce.sh"
			;;
		debian)
			L_GUEST="lane=stock"
			L_TIMEOUT=${SMAF_VM_DEBIAN_TIMEOUT:-1200}
			if [ ! -e "$TOP/build/deb/smaf-dkms_$(cat "$TOP/VERSION")_all.deb" ]; then
				L_ERR="the Debian packages are not built: run 'make deb'"
				return 1
			fi
			;;
		esac
		;;
	debug)
		if ! dir=$("$TOP/scripts/debug-kernel.sh" --check); then
			L_ERR="the debug kernel is not built: run 'make debug-modules' (scripts/debug-kernel.sh builds it once per machine)"
			return 1
		fi
		L_KVER=$(cat "$dir/release")
		L_KERNEL=$dir/build/arch/x86/boot/bzImage
		L_MODROOT=$dir/mods
		L_KOTOP=$BUILD/debug-modules
		if [ ! -e "$L_KOTOP/core/smaf.ko" ]; then
			L_ERR="no modules built against the debug kernel in ${L_KOTOP#"$TOP"/}: run 'make debug-modules'"
			return 1
		fi
		if [ "$(modinfo -F vermagic "$L_KOTOP/core/smaf.ko" | cut -d' ' -f1)" != "$L_KVER" ]; then
			L_ERR="${L_KOTOP#"$TOP"/} was not built against the debug kernel $L_KVER: run 'make debug-modules'"
			return 1
		fi
		L_INITRD=$BUILD/vm-debug/initramfs.cpio
		L_TIMEOUT=${SMAF_VM_DEBUG_TIMEOUT:-1800}
		# Every report is collected rather than the first one ending
		# the run (KASAN, UBSAN and WARN would panic with
		# panic_on_warn=1): the scan fails the run for each. kmemleak
		# scans only when /init asks (no automatic scan). CMA: the
		# kernel's default area, larger, below 4 GiB (smaf-cma serves
		# 32-bit devices), for smaf-cma's big buffers. The slab caches
		# SMAF's paths allocate from are failslab caches (A) for
		# test_faults: it fails those, not the detectors' own.
		L_APPEND="$L_APPEND panic_on_warn=0 kmemleak=on cma=256M@0-4G"
		L_APPEND="$L_APPEND slub_debug=FZPU;FZPUA,kmalloc-*,filp,dentry,vm_area_struct"
		L_GUEST="lane=debug timeout_scale=2"
		;;
	perf)
		if ! dir=$("$TOP/scripts/lane-kernel.sh" perf --check); then
			L_ERR="the perf kernel is not built: run 'make perf-modules' (scripts/lane-kernel.sh perf builds it once per machine, 11 to 15 minutes)"
			return 1
		fi
		L_KVER=$(cat "$dir/release")
		L_KERNEL=$dir/build/arch/x86/boot/bzImage
		L_MODROOT=$dir/mods
		L_KOTOP=$BUILD/perf-modules
		if [ ! -e "$L_KOTOP/core/smaf.ko" ] ||
		   [ "$(modinfo -F vermagic "$L_KOTOP/core/smaf.ko" | cut -d' ' -f1)" != "$L_KVER" ]; then
			L_ERR="no modules built against the perf kernel $L_KVER in ${L_KOTOP#"$TOP"/}: run 'make perf-modules'"
			return 1
		fi
		L_INITRD=$BUILD/vm-perf/initramfs.cpio
		L_TIMEOUT=${SMAF_VM_PERF_TIMEOUT:-3600}
		# No slab or page debugging: figures measure the allocators.
		# The CMA area below 4 GiB and large enough for the 256 MiB
		# buffers of the CMA heap and smaf-cma; udmabuf's 64 MiB cap
		# raised for its 256 MiB buffers.
		L_APPEND="$L_APPEND panic_on_warn=1 cma=768M@0-4G"
		L_APPEND="$L_APPEND udmabuf.size_limit_mb=1024"
		L_GUEST="lane=perf"
		;;
	esac
	if [ ! -r "$L_KERNEL" ]; then
		L_ERR="$L_KERNEL is not readable"
		return 1
	fi
	return 0
}

# scan_console FILE: kernel messages that fail a run, as
#	KIND<TAB>LINE-NUMBER<TAB>LINE
# Only kernel lines count (printk.time=1 stamps them "[    1.234567] "), so a
# test printing "BUG:" is not a kernel bug. "Tainted:" alone is expected:
# our unsigned out-of-tree modules taint the kernel. The debug kernel's
# detectors: KASAN, UBSAN, lockdep (its reports start with "WARNING:
# possible ..." or similar, without a WARN), DMA-API debug (a WARN whose
# text starts "DMA-API:") and kmemleak turning itself off (its leak
# reports are /init's vm/kmemleak results: it forgets what the kernel's
# own boot leaked).
# While a test injects allocation failures (between the kernel lines
# "smaf-faults: fault injection on" and "... off" that test_faults writes
# to /dev/kmsg), the kernel's allocation-failure warning (warn_alloc: "page
# allocation failure", "vmalloc error") and its stack are expected: they
# are KIND "note", not a failure.
scan_console() {
	awk '
	{ sub(/\r$/, "") }
	!/\[ *[0-9]+\.[0-9]+\] / { next }
	/smaf-faults: fault injection on/ { inj = 1; next }
	/smaf-faults: fault injection off/ { inj = 0; allocwarn = 0; next }
	{
		k = ""
		if (inj && /page allocation failure: |vmalloc error: /) {
			allocwarn = 1
			k = "note"
		} else if (allocwarn && /Call Trace/) {
			allocwarn = 0
			k = "note"
		} else if (/KASAN/) k = "KASAN"
		else if (/UBSAN/) k = "UBSAN"
		else if (/WARNING: (possible|inconsistent lock|suspicious RCU|bad unlock|held lock freed|lock held|nested lock|Nested lock|circular locking)|possible recursive locking|possible circular locking|INFO: trying to register non-static key|BUG: (sleeping function called|scheduling while atomic|lock held when returning|workqueue leaked lock|held lock freed)|DEBUG_LOCKS_WARN_ON/) k = "lockdep"
		else if (/DMA-API: / && !/DMA-API: (preallocated [0-9]+ debug entries|debugging enabled by kernel config|dma_debug_entry pool grown)/) k = "DMA-API"
		else if (/kmemleak: / && /Memory pool empty|Cannot allocate|disabled/) k = "kmemleak"
		else if (/WARNING:/) k = "WARNING"
		else if (/Kernel panic/) k = "Kernel panic"
		else if (/general protection fault/) k = "general protection fault"
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

# Totals over the lanes reported so far.
T_PASS=0 T_FAIL=0 T_SKIP=0 T_KREPORTS=0
declare -A T_SUM=()

# report_lane PREFIX CONSOLE RESULTS: print one line per test of one run
# (names prefixed with PREFIX) and add it to the T_* totals. Sets R_PASS,
# R_FAIL, R_SKIP, R_KREPORTS for this run.
report_lane() {
	local pfx=$1 console=$2 results=$3
	local st name reason line finished=0 kinds k first=0 kv key val
	R_PASS=0 R_FAIL=0 R_SKIP=0 R_KREPORTS=0
	[ -e "$results" ] || : >"$results"
	[ -e "$console" ] || : >"$console"
	while IFS= read -r line; do
		line=${line%$'\r'}
		case "$line" in
		"SMAF-VM-FINISHED "*) finished=1 ;;
		"REPORT "*)
			# REPORT GROUP key=value...
			for kv in ${line#REPORT * }; do
				key=${kv%%=*} val=${kv#*=}
				case "$key" in *[!a-z0-9_]* | "") continue ;; esac
				case "$val" in *[!0-9]* | "") continue ;; esac
				T_SUM[$key]=$((${T_SUM[$key]:-0} + val))
			done
			;;
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
			PASS) R_PASS=$((R_PASS + 1)) ;;
			SKIP) R_SKIP=$((R_SKIP + 1)) ;;
			*) st=FAIL; R_FAIL=$((R_FAIL + 1)) ;;
			esac
			printf '%-4s  %s%s%s\n' "$st" "$pfx" "$name" "${reason:+  ($reason)}"
			# kmemleak's report, which the guest printed on the
			# console with a "kmemleak| " prefix.
			case "$st:$name" in FAIL:vm/kmemleak*)
				R_KREPORTS=$((R_KREPORTS + 1))
				grep -a '^kmemleak| ' "$console" | tr -d '\r' |
					head -n 60 | sed 's/^kmemleak| /        /'
			esac
			;;
		esac
	done <"$results"

	kinds=$(scan_console "$console" | cut -f1 | awk '!seen[$0]++')
	while IFS= read -r k; do
		[ -n "$k" ] || continue
		if [ "$k" = note ]; then
			echo "note: the kernel warned of allocation failures that" \
			     "tests injected (not failures; ${console#"$TOP"/}):"
			scan_console "$console" | awk -F'\t' '
				$1 == "note" && $3 !~ /Call Trace/ && n++ < 4 {
					printf "        %s: %s\n", $2, $3 }'
			continue
		fi
		R_FAIL=$((R_FAIL + 1))
		R_KREPORTS=$((R_KREPORTS + 1))
		echo "FAIL  ${pfx}kernel/$k  (${console#"$TOP"/}:)"
		scan_console "$console" | awk -F'\t' -v k="$k" '
			$1 == k && n++ < 8 { printf "        %s: %s\n", $2, $3 }'
	done <<<"$kinds"
	# The first report in full: what the detectors print after their
	# first line (access, stacks, locks held) is what tells the bug.
	first=$(scan_console "$console" |
		awk -F'\t' '$1 != "note" { print $2; exit }')
	if [ -n "$first" ]; then
		echo "        first report, ${console#"$TOP"/} lines $first-$((first + 59)):"
		sed -n "${first},$((first + 59))p" "$console" | tr -d '\r' |
			sed 's/^/        | /'
	fi

	if [ "$finished" = 0 ]; then
		R_FAIL=$((R_FAIL + 1))
		echo "FAIL  ${pfx}vm/finished  (guest did not finish: crash, panic or timeout; last console lines:)"
		tail -n 15 "$console" | tr -d '\r' | sed 's/^/        /'
	fi
	T_PASS=$((T_PASS + R_PASS))
	T_FAIL=$((T_FAIL + R_FAIL))
	T_SKIP=$((T_SKIP + R_SKIP))
	T_KREPORTS=$((T_KREPORTS + R_KREPORTS))
}

# summary_line: what the tests exercised (their REPORT counts: other keys,
# a seed for example, are not counts and are left out) and the kernel
# reports found.
summary_line() {
	echo "summary: fuzzed ${T_SUM[fuzz_ops]:-0} ops," \
	     "injected ${T_SUM[faults_injected]:-0} faults," \
	     "ran ${T_SUM[races_run]:-0} races," \
	     "tried ${T_SUM[hostile_inputs]:-0} hostile inputs," \
	     "$T_KREPORTS kernel reports"
}

# report: the results of one lane's run, then the totals line last.
report() {
	echo
	echo "=== results"
	report_lane "" "$L_CONSOLE" "$L_RESULTS"
	if [ "$T_SKIP" -gt 0 ]; then
		echo "($T_SKIP skipped)"
	fi
	summary_line
	echo "$T_PASS passed, $T_FAIL failed"
	[ "$T_FAIL" -eq 0 ]
}

# bench_commit: the commit the benchmark runs (with -dirty for local
# changes), for results.json.
bench_commit() {
	local c
	c=$(git -C "$TOP" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
	if ! git -C "$TOP" diff --quiet HEAD -- 2>/dev/null; then
		c=$c-dirty
	fi
	echo "$c"
}

# boot MODE: build the lane's initramfs and run the VM (lane_setup first).
boot() {
	local mode=$1 append qrc
	command -v qemu-system-x86_64 >/dev/null ||
		die "qemu-system-x86_64 missing; run 'make deps' as root"
	if [ "$L_LANE" = debian ]; then
		[ "$mode" = check ] || die "the debian lane has only check mode"
		L_START=$(date +%s)
		"$TOP/tests/vm/debian.sh" "$L_CONSOLE" "$L_RESULTS" \
			"$L_APPEND loglevel=7 ${SMAF_VM_APPEND:-}" "$L_TIMEOUT" ||
			echo "run.sh: tests/vm/debian.sh failed"
		L_SECONDS=$(($(date +%s) - L_START))
		echo "run.sh: the debian lane ran for ${L_SECONDS}s"
		return 0
	fi
	mkdir -p "$(dirname "$L_INITRD")"
	KVER=$L_KVER SMAF_VM_MODROOT=$L_MODROOT SMAF_VM_KO_TOP=$L_KOTOP \
		"$TOP/tests/vm/mkinitramfs.sh" "$L_INITRD"

	append="$L_APPEND"
	bench_serial=()
	if [ "$mode" = demo ]; then
		append="$append loglevel=3"
	elif [ "$mode" = bench ]; then
		# Warnings and worse still reach the console (and the scan).
		append="$append loglevel=5"
		append="$append bench_commit=$(bench_commit)"
		append="$append bench_vm=qemu,-accel,${SMAF_VM_ACCEL:-tcg},-m,6G,-smp,2"
		[ -n "${SMAF_BENCH_ARGS:-}" ] &&
			append="$append bench_args=$(echo "$SMAF_BENCH_ARGS" | tr ' ' ,)"
		mkdir -p "$BUILD/bench"
		rm -f "$BUILD/bench/guest.json"
		bench_serial=(-serial "file:$BUILD/bench/guest.json")
	else
		append="$append loglevel=7"
	fi
	append="$append ${SMAF_VM_APPEND:-} -- $mode $L_GUEST"
	[ "${SMAF_VM_VERBOSE:-0}" = 1 ] && append="$append verbose"
	if [ -n "${SMAF_VM_ONLY:-}" ]; then
		append="$append only=$SMAF_VM_ONLY"
	elif [ -n "$L_ONLY" ]; then
		append="$append only=$L_ONLY"
	fi

	mkdir -p "$(dirname "$L_CONSOLE")" "$(dirname "$L_RESULTS")"
	rm -f "$L_CONSOLE" "$L_RESULTS"
	: >"$L_RESULTS"
	echo "run.sh: booting $L_KERNEL ($mode, $L_LANE lane; console in ${L_CONSOLE#"$TOP"/})"
	L_START=$(date +%s)
	set +e
	# stdin is /dev/null: qemu must not take over (or stop on) the
	# terminal.
	timeout -k 10 "$L_TIMEOUT" qemu-system-x86_64 \
		-accel "${SMAF_VM_ACCEL:-tcg}" -m "$L_MEM" -smp 2 \
		-nodefaults -display none -no-reboot \
		-chardev "stdio,id=con,logfile=$L_CONSOLE,signal=off" \
		-serial chardev:con \
		-serial "file:$L_RESULTS" "${bench_serial[@]}" \
		-kernel "$L_KERNEL" -initrd "$L_INITRD" -append "$append" </dev/null
	qrc=$?
	set -e
	L_SECONDS=$(($(date +%s) - L_START))
	if [ "$qrc" -eq 124 ] || [ "$qrc" -eq 137 ]; then
		echo
		echo "run.sh: the VM was killed after ${L_TIMEOUT}s"
	elif [ "$qrc" -ne 0 ]; then
		echo
		echo "run.sh: qemu exited with status $qrc"
	fi
	echo "run.sh: the $L_LANE lane's VM ran for ${L_SECONDS}s"
}

case "$MODE" in
report)
	lane_setup "$LANE" logs
	report
	exit
	;;
check | demo | bench)
	lane_setup "$LANE" || die "$L_ERR"
	boot "$MODE"
	;;
lanes)
	declare -A lane_line=()
	for l in "${LANES[@]}"; do
		echo "run.sh: === $l lane"
		if lane_setup "$l"; then
			boot check
			lane_line[$l]="${L_SECONDS}s"
		else
			echo "run.sh: the $l lane cannot run: $L_ERR"
			lane_line[$l]="not run: $L_ERR"
		fi
	done
	echo
	echo "=== results"
	for l in "${LANES[@]}"; do
		lane_setup "$l" logs
		case "${lane_line[$l]}" in
		"not run: "*)
			echo "FAIL  $l:vm/lane  (${lane_line[$l]#not run: })"
			T_FAIL=$((T_FAIL + 1))
			lane_line[$l]="0 passed, 1 failed (${lane_line[$l]})"
			;;
		*)
			report_lane "$l:" "$L_CONSOLE" "$L_RESULTS"
			lane_line[$l]="$R_PASS passed, $R_FAIL failed, $R_SKIP skipped, $R_KREPORTS kernel reports (VM: ${lane_line[$l]})"
			;;
		esac
	done
	for l in "${LANES[@]}"; do
		echo "$l: ${lane_line[$l]}"
	done
	summary_line
	echo "$T_PASS passed, $T_FAIL failed"
	[ "$T_FAIL" -eq 0 ]
	exit
	;;
esac

if [ "$MODE" = bench ]; then
	rc=0
	report || rc=1
	json=$BUILD/bench/guest.json
	bench=$TOP/bench/bin/smaf-bench
	if [ -s "$json" ] && "$bench" check "$json" --allow-errors --require smaf; then
		cp "$json" "$BUILD/bench/results.json"
		"$bench" report "$BUILD/bench/results.json" "$BUILD/bench" || rc=1
		echo "bench: build/bench/results.json, plots in build/bench/*.png"
	else
		echo "bench: no usable results from the guest (${json#"$TOP"/})"
		rc=1
	fi
	exit "$rc"
fi

if [ "$MODE" = demo ]; then
	rc=$(sed -n 's/^DEMO-RESULT \([0-9]*\).*/\1/p' "$L_RESULTS" | tail -n 1)
	if ! grep -q '^SMAF-VM-FINISHED' "$L_RESULTS"; then
		echo "demo: the VM did not finish (see ${L_CONSOLE#"$TOP"/})"
		exit 1
	elif [ "${rc:-1}" != 0 ]; then
		echo "demo: FAILED (exit status ${rc:-unknown})"
		exit 1
	fi
	echo "demo: finished successfully"
	exit 0
fi

report
