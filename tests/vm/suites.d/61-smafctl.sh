#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# smafctl (tools/smafctl/): tests/test_smafctl.c runs it as a separate
# program and checks its output against the kernel, with vivid loaded so
# that `create --consumer /dev/video0` resolves a real device node. Then a
# few shell-level checks, and the tables and JSON printed on the console.
# shellcheck source=tests/vm/guest-lib.sh
. /lib/smaf/guest-lib.sh

SMAF_SUITE=smafctl
export SMAF_SUITE
echo /bin/test_smafctl >>"$SMAF_STATE/ran"
if [ ! -x /bin/smafctl ] || [ ! -x /bin/test_smafctl ]; then
	tap_fail built "/bin/smafctl or /bin/test_smafctl missing (make tools tests)"
	exit 0
fi
if ! has_module smaf || ! has_module smaf_testdev; then
	tap_skip test_smafctl "smaf.ko or smaf-testdev.ko not built"
	exit 0
fi

vivid=0
if load_vivid; then
	vivid=1
else
	tap_fail vivid-load "insmod of the vivid stack failed"
fi
SMAF_EXPECT_VIVID=$vivid
SMAFCTL=/bin/smafctl
export SMAF_EXPECT_VIVID SMAFCTL
run_test smafctl /bin/test_smafctl
unset SMAF_EXPECT_VIVID

# expect_exit NAME STATUS CMD...: CMD exits with STATUS.
expect_exit() {
	_n=$1 _want=$2
	shift 2
	"$@" >/tmp/smafctl.out 2>/tmp/smafctl.err </dev/null
	_got=$?
	if [ "$_got" = "$_want" ]; then
		tap_ok "$_n"
	else
		tap_fail "$_n" "exit $_got, expected $_want: $* ($(head -n 1 /tmp/smafctl.err))"
	fi
}

# Shell-level: what a user types.
expect_exit sh-help 0 smafctl --help
expect_exit sh-usage 2 smafctl create --size 12Q
expect_exit sh-operror 1 smafctl create --size 1M --allocator nosuch
if grep -qx "smafctl: create: allocator 'nosuch' not found (ENOENT)" \
	/tmp/smafctl.err; then
	tap_ok sh-operror-message
else
	tap_fail sh-operror-message "$(cat /tmp/smafctl.err)"
fi
# shellcheck disable=SC2016 # expanded by the inner shell
expect_exit sh-create-status 3 smafctl create --size 1M -- sh -c \
	'smafctl info "$SMAF_FD" >/dev/null && exit 3'
rm -f /tmp/smafctl.out /tmp/smafctl.err

# Samples for the reader of the console.
say "--- smafctl samples"
smafctl create --size 1M --name demo -- sleep 3 &
sleep 1
smafctl allocators
smafctl --json allocators
smafctl buffers
smafctl --json buffers
if [ "$vivid" = 1 ]; then
	# shellcheck disable=SC2016 # expanded by the inner shell
	smafctl create --size 8M --consumer /dev/video0 --name cam -- \
		sh -c 'smafctl info; smafctl buffers'
fi
smafctl constraints set platform:smaf-testdev.0 contiguous
smafctl constraints set /sys/bus/platform/devices/smaf-testdev.1 dma-bits=32
smafctl constraints
smafctl --json constraints
smafctl constraints del platform:smaf-testdev.0
smafctl constraints del platform:smaf-testdev.1
wait
say "--- end of smafctl samples"

if [ "$vivid" = 1 ] && ! unload_vivid; then
	tap_fail vivid-unload "vivid did not unload (a buffer still imported?)"
fi
exit 0
