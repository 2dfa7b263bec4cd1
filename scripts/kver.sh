#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Print the newest installed Debian 6.1 kernel release that has both its
# headers (/lib/modules/<kver>/build) and its image (/boot/vmlinuz-<kver>).
# Never `uname -r`: the build machine may run another kernel.
for d in $(ls -1d /lib/modules/6.1.*-amd64 2>/dev/null | sort -V -r); do
	k=${d##*/}
	if [ -e "$d/build/Makefile" ] && [ -e "/boot/vmlinuz-$k" ]; then
		echo "$k"
		exit 0
	fi
done
exit 1
