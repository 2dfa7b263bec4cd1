#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# `make demo`, inside the VM: load SMAF, then let /bin/smaf-demo show what
# it does. Exits non-zero if the demo failed.
# shellcheck source=tests/vm/guest-lib.sh
. /lib/smaf/guest-lib.sh

say ""
say "SMAF demo: a Debian $(uname -r) kernel is running in a virtual machine"
say "with $(nproc) CPUs and" \
    "$(awk '/MemTotal/ { print int($2 / 1048576 + 0.5) }' /proc/meminfo)" \
    "GiB of memory."
say ""

say "Loading vgem, a virtual GPU that can import and use SMAF buffers..."
if ! load_vgem; then
	say "Could not load vgem: the demo cannot run."
	exit 1
fi

# allocators=1: vivid's buffers are DMA buffers (videobuf2-dma-contig), so a
# capture into an SMAF buffer goes through SMAF's device mapping.
say "Loading vivid, a virtual camera that can capture into SMAF buffers..."
if ! load_vivid allocators=1; then
	say "Could not load vivid: the demo cannot run."
	exit 1
fi

if [ ! -s /lib/smaf/modules.list ]; then
	say "No SMAF kernel module is built: run 'make' first."
	exit 1
fi
say "Loading the SMAF kernel modules:"
while read -r ko; do
	say "    ${ko##*/}"
done </lib/smaf/modules.list
if ! load_smaf; then
	say "An SMAF module failed to load: the demo cannot run."
	exit 1
fi
if [ -c /dev/smaf ]; then
	say "SMAF is ready: programs ask /dev/smaf for buffers."
else
	say "SMAF is loaded, but /dev/smaf did not appear."
	exit 1
fi
say ""

rc=0
if [ -x /bin/smaf-demo ]; then
	/bin/smaf-demo
	rc=$?
	say ""
	if [ "$rc" -eq 0 ]; then
		say "The demo program finished successfully."
	else
		say "The demo program failed (exit status $rc)."
	fi
else
	say "(This build has no demo program, /bin/smaf-demo, yet.)"
fi

if [ -r "$SMAF_STATS" ]; then
	say ""
	say "SMAF's own counters now (all zero: nothing was leaked):"
	sed 's/^/    /' "$SMAF_STATS"
	if [ -n "$(stats_nonzero)" ]; then
		say "Some counters are not zero: memory was leaked."
		rc=1
	fi
fi

say ""
say "Unloading the modules..."
if ! unload_all; then
	say "A module did not unload."
	rc=1
fi
exit "$rc"
