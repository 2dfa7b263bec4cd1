#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Self-test of the VM harness (not part of `make check`; run it after
# changing tests/vm/): proves that passes, failures, skips, crashes of test
# programs, kernel warnings and panics, and a hung guest are all reported,
# and that the console scan ignores what it must ignore. Boots the VM four
# times (about a minute under TCG). Needs gcc and the kernel headers.
set -euo pipefail

TOP=$(cd "$(dirname "$0")/../.." && pwd)
ST=$TOP/build/vm-selftest
KVER=${KVER:-$("$TOP/scripts/kver.sh")}
KSRC=$("$TOP/scripts/kernel-source.sh")
export KVER SMAF_VM_CONSOLE=$ST/console.log SMAF_VM_RESULTS=$ST/results.log
RUN=$TOP/tests/vm/run.sh
bad=0

rm -rf "$ST"
mkdir -p "$ST/extra" "$ST/suites"

# expect OUTPUT-FILE TEXT...: each TEXT is a line of OUTPUT-FILE.
expect() {
	local f=$1 t
	shift
	for t in "$@"; do
		if grep -qxF -- "$t" "$f"; then
			echo "selftest: ok:      $t"
		else
			echo "selftest: MISSING: $t"
			bad=1
		fi
	done
}

# expect_re FILE REGEX WHAT: some line of FILE matches REGEX.
expect_re() {
	if grep -qE -- "$2" "$1"; then
		echo "selftest: ok:      $3"
	else
		echo "selftest: MISSING: $3"
		bad=1
	fi
}

# expect_rc WANT GOT WHAT
expect_rc() {
	if [ "$2" = "$1" ]; then
		echo "selftest: ok:      $3 exit status $2"
	else
		echo "selftest: WRONG:   $3 exit status $2, expected $1"
		bad=1
	fi
}

# last_line_is_summary FILE: the runner's contract with CI.
last_line_is_summary() {
	if tail -n 1 "$1" | grep -qE '^[0-9]+ passed, [0-9]+ failed$'; then
		echo "selftest: ok:      last line: $(tail -n 1 "$1")"
	else
		echo "selftest: WRONG:   last line: $(tail -n 1 "$1")"
		bad=1
	fi
}

# vm NAME: run the check VM on $ST/suites; output in $ST/NAME.out.
vm() {
	local rc=0
	echo "selftest: --- VM run: $1"
	SMAF_VM_SUITES=$ST/suites SMAF_VM_EXTRA=$ST/extra \
		"$RUN" check >"$ST/$1.out" 2>&1 || rc=$?
	sed -n '/^=== results$/,$p' "$ST/$1.out"
	return "$rc"
}

# --- 1. The console scan, on a synthetic log.
cat >"$ST/console.log" <<'EOF'
[    1.000000] smaf: loading out-of-tree module taints kernel.
[    1.000001] smaf: module verification failed: signature and/or required key missing - tainting kernel
[    1.000002] CPU: 0 PID: 1 Comm: sh Tainted: G           OE      6.1.0-56-amd64 #1  Debian 6.1.192-2
# test output, not the kernel: WARNING: BUG: Oops Call Trace
ok 1 BUG:_in_a_test_name
[    2.000000] WARNING: CPU: 1 PID: 77 at core/smaf-buffer.c:12 smaf_release+0x1/0x2 [smaf]
[    2.000001] Call Trace:
[    2.000002] BUG kmalloc-64 (Tainted: G    B      OE     ): Redzone overwritten
[    2.000003] list_add corruption. prev->next should be next (ffff8880), but was 0000000000000000.
[    2.000004] INFO: task test_race:88 blocked for more than 120 seconds.
[    2.000005] general protection fault, probably for non-canonical address 0xdead000000000100: 0000 [#1] PREEMPT SMP NOPTI
[    2.000006] UBSAN: shift-out-of-bounds in core/smaf-core.c:10:5
[    2.000007] BUG: unable to handle page fault for address: ffffffffc0000000
[    2.000008] Oops: 0000 [#2] PREEMPT SMP NOPTI
[    2.000009] kernel BUG at mm/usercopy.c:99!
[    2.000010] pagealloc: memory corruption
[    2.000011] Kernel panic - not syncing: panic_on_warn set ...
EOF
printf 'SMAF-VM-STARTED check\nRESULT PASS a/b\nSMAF-VM-FINISHED check\n' \
	>"$ST/results.log"
rc=0
"$RUN" report >"$ST/scan.out" 2>&1 || rc=$?
cat "$ST/scan.out"
expect_rc 1 "$rc" "synthetic console"
expect "$ST/scan.out" "PASS  a/b" \
	"FAIL  kernel/WARNING  (build/vm-selftest/console.log:)" \
	"FAIL  kernel/Call Trace  (build/vm-selftest/console.log:)" \
	"FAIL  kernel/BUG  (build/vm-selftest/console.log:)" \
	"FAIL  kernel/list corruption  (build/vm-selftest/console.log:)" \
	"FAIL  kernel/hung task  (build/vm-selftest/console.log:)" \
	"FAIL  kernel/general protection fault  (build/vm-selftest/console.log:)" \
	"FAIL  kernel/UBSAN  (build/vm-selftest/console.log:)" \
	"FAIL  kernel/Oops  (build/vm-selftest/console.log:)" \
	"FAIL  kernel/bad page  (build/vm-selftest/console.log:)" \
	"FAIL  kernel/Kernel panic  (build/vm-selftest/console.log:)" \
	"1 passed, 10 failed"
if grep -q 'Tainted: G  *OE  *6\|taints kernel\|BUG:_in_a_test' "$ST/scan.out"; then
	echo "selftest: WRONG:   taint or test output reported as a kernel bug"
	bad=1
fi

# --- 2. Results of test programs: a kselftest_harness.h binary and shell
# programs that print TAP, fail, crash or print nothing.
cat >"$ST/harness.c" <<'EOF'
#include <signal.h>
#include "kselftest_harness.h"

TEST(passes) { ASSERT_EQ(1, 1); }
TEST(fails) { TH_LOG("diagnostic of fails"); ASSERT_EQ(1, 2); }
TEST(skips) { SKIP(return, "no such device"); }
TEST(crashes) { raise(SIGSEGV); }
FIXTURE(fx) { int v; };
FIXTURE_SETUP(fx) { self->v = 1; }
FIXTURE_TEARDOWN(fx) { }
TEST_F(fx, in_fixture) { ASSERT_EQ(1, self->v); }
TEST_HARNESS_MAIN
EOF
gcc -static -O1 -I"$KSRC/tools/testing/selftests" -o "$ST/extra/test_harness" \
	"$ST/harness.c"
cat >"$ST/suites/10-results.sh" <<'EOF'
#!/bin/sh
. /lib/smaf/guest-lib.sh
run_test harness /extra/test_harness
run_test tap sh -c 'echo 1..3; echo ok 1 a; echo "ok 2 b # SKIP why"; echo not ok 3 c; exit 1'
run_test exit sh -c 'echo 1..1; echo ok 1 fine; exit 3'
run_test silent sh -c 'echo no tap here'
run_test signal sh -c 'echo 1..2; echo ok 1 first; kill -SEGV $$'
run_test short sh -c 'echo 1..3; echo ok 1 only'
run_test skipall sh -c 'echo "1..0 # SKIP no hardware"; exit 4'
tap_ok shell-pass
tap_fail shell-fail "a reason"
exit 2
EOF
rc=0
vm results || rc=$?
expect_rc 1 "$rc" "results run"
expect "$ST/results.out" \
	"PASS  harness/passes" "FAIL  harness/fails" \
	"SKIP  harness/skips  (no such device)" "FAIL  harness/crashes" \
	"PASS  harness/fx.in_fixture" \
	"PASS  tap/a" "SKIP  tap/b  (why)" "FAIL  tap/c" \
	"PASS  exit/fine" "FAIL  exit/exit-status  (exit 3: sh -c echo 1..1; echo ok 1 fine; exit 3)" \
	"FAIL  silent/no-tap-result  (exit 0, no TAP result: sh -c echo no tap here)" \
	"PASS  signal/first" \
	"FAIL  short/incomplete  (1 of 3 results: sh -c echo 1..3; echo ok 1 only)" \
	"SKIP  skipall  (no hardware)" \
	"PASS  results/shell-pass" "FAIL  results/shell-fail  (a reason)" \
	"FAIL  results/suite-script  (10-results.sh exited with 2)" \
	"PASS  vm/unload-all" "PASS  vm/kernel-taint"
expect_re "$ST/results.out" '^FAIL  signal/signal  \(killed by signal 11' "FAIL  signal/signal"
expect_re "$ST/results.out" 'diagnostic of fails' "diagnostics of a failed test on the console"
last_line_is_summary "$ST/results.out"

# --- 3. A kernel WARNING (a module that warns when loaded): with
# panic_on_warn the guest dies; the scan names the warning.
mkdir -p "$ST/warnmod"
cat >"$ST/warnmod/warnmod.c" <<'EOF'
// SPDX-License-Identifier: GPL-2.0
#include <linux/module.h>
static int __init warnmod_init(void)
{
	WARN(1, "smaf selftest warning");
	return 0;
}
module_init(warnmod_init);
MODULE_LICENSE("GPL");
EOF
echo 'obj-m := warnmod.o' >"$ST/warnmod/Kbuild"
make -s -C "/lib/modules/$KVER/build" M="$ST/warnmod" modules
cp "$ST/warnmod/warnmod.ko" "$ST/extra/"
rm -f "$ST/suites/"*
cat >"$ST/suites/10-warn.sh" <<'EOF'
#!/bin/sh
. /lib/smaf/guest-lib.sh
tap_ok before-warning
insmod /extra/warnmod.ko
tap_ok after-warning
EOF
rc=0
vm warn || rc=$?
expect_rc 1 "$rc" "warning run"
expect "$ST/warn.out" "PASS  warn/before-warning" \
	"FAIL  kernel/WARNING  (build/vm-selftest/console.log:)" \
	"FAIL  kernel/Kernel panic  (build/vm-selftest/console.log:)"
expect_re "$ST/warn.out" '^FAIL  vm/finished' "FAIL  vm/finished"
last_line_is_summary "$ST/warn.out"

# --- 4. A hung guest: killed by the overall timeout.
rm -f "$ST/suites/"*
printf '#!/bin/sh\n. /lib/smaf/guest-lib.sh\ntap_ok sleeping\nsleep 100000\n' \
	>"$ST/suites/10-hang.sh"
rc=0
SMAF_VM_TIMEOUT=45 vm hang || rc=$?
expect_rc 1 "$rc" "hung run"
expect "$ST/hang.out" "PASS  hang/sleeping" "run.sh: the VM was killed after 45s"
expect_re "$ST/hang.out" '^FAIL  vm/finished' "FAIL  vm/finished"
last_line_is_summary "$ST/hang.out"

# --- 5. A clean run passes.
rm -f "$ST/suites/"*
printf '#!/bin/sh\n. /lib/smaf/guest-lib.sh\ntap_ok fine\n' >"$ST/suites/10-ok.sh"
rc=0
vm clean || rc=$?
expect_rc 0 "$rc" "clean run"
expect "$ST/clean.out" "PASS  ok/fine"
last_line_is_summary "$ST/clean.out"

if [ "$bad" = 0 ]; then
	echo "selftest: the VM harness works"
else
	echo "selftest: FAILED"
fi
exit "$bad"
