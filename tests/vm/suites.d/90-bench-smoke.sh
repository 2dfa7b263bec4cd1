#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The benchmark program (bench/, `make bench`) in its smoke mode: tiny
# counts and sizes, so that it cannot rot. It checks that the program ran
# and that its output parses and is complete, never a speed. On Debian's
# kernel (stock lane) the mainline peers do not exist and must be reported
# absent; on the debug kernel they exist and must have figures.
# shellcheck source=tests/vm/guest-lib.sh
. /lib/smaf/guest-lib.sh

B=/bin/smaf-bench
OUT=/tmp/bench-smoke.json
LOG=/tmp/bench-smoke.log

if [ ! -x "$B" ]; then
	tap_fail run "$B is not built (make bench-prog)"
	exit 0
fi
if ! has_module smaf || ! has_module smaf_testdev; then
	tap_skip run "smaf.ko or smaf-testdev.ko not built"
	exit 0
fi
is_loaded vgem || load_vgem || tap_fail load-vgem "insmod of the vgem stack failed"

to=$((120 * SMAF_TIMEOUT_SCALE))
start=$(date +%s)
timeout -s KILL "$to" "$B" run --smoke --out "$OUT" --commit smoke \
	--vm "$SMAF_LANE lane" --no-table >"$LOG" 2>&1 </dev/null
rc=$?
say "smaf-bench --smoke: exit $rc after $(($(date +%s) - start)) s"
if [ "$rc" -eq 0 ]; then
	tap_ok run
else
	sed 's/^/    /' "$LOG"
	tap_fail run "smaf-bench run --smoke exited with $rc"
fi
[ "$SMAF_VERBOSE" = 1 ] && sed 's/^/    /' "$LOG"

# Parses, has every workload and column, no error, figures for SMAF.
if "$B" check "$OUT" --require smaf >"$LOG" 2>&1; then
	tap_ok json
else
	sed 's/^/    /' "$LOG"
	tap_fail json "the results do not parse or are incomplete"
fi

# A peer whose device exists has figures; one that does not is absent.
bad=
for p in system-heap:/dev/dma_heap/system cma-heap: udmabuf:/dev/udmabuf; do
	name=${p%%:*}
	node=${p#*:}
	if [ "$name" = cma-heap ]; then
		node=$(ls -d /dev/dma_heap/* 2>/dev/null | grep -v '/system$' | head -n 1)
	fi
	if [ -n "$node" ] && [ -e "$node" ]; then
		"$B" check "$OUT" --require "$name" >"$LOG" 2>&1 ||
			bad="$bad $name(no figures)"
	else
		grep -q "\"name\":\"$name\",\"smaf\":false,\"present\":false" "$OUT" ||
			bad="$bad $name(not reported absent)"
	fi
done
if [ -z "$bad" ]; then
	tap_ok peers
else
	tap_fail peers "$bad"
fi

# The table renders (in the guest there are no plots).
if "$B" report "$OUT" >"$LOG" 2>&1 && grep -q '^targets: ' "$LOG"; then
	tap_ok report
	[ "$SMAF_VERBOSE" = 1 ] && cat "$LOG"
else
	sed 's/^/    /' "$LOG"
	tap_fail report "smaf-bench report failed"
fi
exit 0
