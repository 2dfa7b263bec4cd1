#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# `make demo`, inside the VM: load SMAF, then let /bin/smaf-demo show what
# it does: the tour, then (with smaf-firewall in place of the permissive
# smaf-secure-dummy) a secure video path. Exits non-zero if the demo failed.
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
say "Loading the SMAF kernel modules:" \
    "$(sed 's,.*/,,' /lib/smaf/modules.list | tr '\n' ' ' | sed 's/ *$//')"
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

# run_demo [ARGS...]: run /bin/smaf-demo; rc becomes non-zero on failure.
rc=0
run_demo() {
	/bin/smaf-demo "$@"
	_drc=$?
	if [ "$_drc" -ne 0 ]; then
		say ""
		say "The demo program failed (exit status $_drc)."
		rc=1
	fi
}

if [ ! -x /bin/smaf-demo ]; then
	say "(This build has no demo program, /bin/smaf-demo, yet.)"
	exit 1
fi
run_demo

# The secure video path needs smaf-firewall, and only one secure module
# registers at a time: swap it in for the dummy, then swap them back.
say ""
if ! has_module smaf_firewall; then
	say "smaf-firewall is not built: no secure video path."
	rc=1
elif ! mod_unload smaf_secure_dummy; then
	say "smaf-secure-dummy did not unload: no secure video path."
	rc=1
elif ! load_module smaf_firewall allowlist=smaf-testdev.0,smaf-testdev.3; then
	say "smaf-firewall did not load: no secure video path."
	rc=1
	load_smaf || rc=1
else
	say "Secure modules swapped: out goes smaf-secure-dummy, which lets anyone in;"
	say "in comes smaf-firewall.ko allowlist=smaf-testdev.0,smaf-testdev.3."
	run_demo secure
	if ! unload_module smaf_firewall; then
		say "smaf-firewall did not unload."
		rc=1
	elif ! load_smaf; then
		say "smaf-secure-dummy did not load again."
		rc=1
	fi
fi

say ""
if [ "$rc" -eq 0 ]; then
	say "The demo program finished successfully."
fi
if [ -r "$SMAF_STATS" ]; then
	if [ -n "$(stats_nonzero)" ]; then
		say "SMAF's counters are not zero: memory was leaked:"
		sed 's/^/    /' "$SMAF_STATS"
		rc=1
	else
		say "SMAF's own counters (debugfs smaf/stats) are all zero:" \
		    "nothing was leaked."
	fi
fi

say ""
say "Unloading the modules..."
if ! unload_all; then
	say "A module did not unload."
	rc=1
fi
exit "$rc"
