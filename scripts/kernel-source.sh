#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Print the directory of Debian's linux-source-6.1 tree, unpacked once per
# machine under /var/cache/smaf/src-<package version>/ (checkpatch, the
# kselftest harness and the debug kernel all come from it).
set -e
CACHE=${SMAF_CACHE:-/var/cache/smaf}
tarball=$(ls -1 /usr/src/linux-source-6.1.tar.xz 2>/dev/null || true)
if [ -z "$tarball" ]; then
	echo "kernel-source.sh: /usr/src/linux-source-6.1.tar.xz is missing;" \
	     "run scripts/install-deps.sh (apt-get install linux-source-6.1)" >&2
	exit 1
fi
ver=$(dpkg-query -W -f='${Version}' linux-source-6.1)
dir=$CACHE/src-$ver
if [ ! -e "$dir/.unpacked" ]; then
	mkdir -p "$dir"
	lock="$dir.lock"
	(
		flock 9
		if [ ! -e "$dir/.unpacked" ]; then
			echo "kernel-source.sh: unpacking $tarball into $dir" >&2
			tar -xJf "$tarball" -C "$dir"
			touch "$dir/.unpacked"
		fi
	) 9>"$lock"
fi
echo "$dir/linux-source-6.1"
