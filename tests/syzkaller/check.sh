#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Checks tests/syzkaller/dev_smaf.txt against include/uapi/linux/smaf.h
# without syzkaller: every struct of the description becomes static
# assertions on its C struct (each field's offset and size, the whole
# size), every ioctl one on its argument size (_IOC_SIZE of the command),
# and gcc compiles them against the header. Prints "N structs, N ioctls"
# or the assertions that fail.
set -euo pipefail

TOP=$(cd "$(dirname "$0")/../.." && pwd)
DESC=${1:-$TOP/tests/syzkaller/dev_smaf.txt}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

awk '
# The C size, as an expression, of a syzkaller type.
function tsize(t,    n, inner, i, depth, c, cut) {
	gsub(/^[ \t]+|[ \t]+$/, "", t)
	if (t ~ /^int(8|16|32|64)(\[[^]]*\])?$/) {
		match(t, /[0-9]+/)
		return substr(t, RSTART, RLENGTH) / 8
	}
	if (t ~ /^bool(8|16|32|64)$/)
		return substr(t, 5) / 8
	if (t ~ /^ptr64\[/)
		return 8
	if (t ~ /^(const|flags|len|bytesize)\[.*, *int(8|16|32|64)\]$/) {
		match(t, /int(8|16|32|64)\]$/)
		return substr(t, RSTART + 3, RLENGTH - 4) / 8
	}
	if (t ~ /^fd(_[a-z0-9_]+)?$/)
		return 4
	if (t ~ /^(string|array)\[/) {
		inner = t
		sub(/^[a-z]+\[/, "", inner)
		sub(/\]$/, "", inner)
		# The last comma outside brackets separates the length.
		depth = 0
		cut = 0
		for (i = 1; i <= length(inner); i++) {
			c = substr(inner, i, 1)
			if (c == "[") depth++
			else if (c == "]") depth--
			else if (c == "," && !depth) cut = i
		}
		if (!cut)
			return "UNSIZED(" t ")"
		n = substr(inner, cut + 1)
		gsub(/^[ \t]+|[ \t]+$/, "", n)
		if (t ~ /^string/)
			return "(" n ")"
		return "(" n ") * (" tsize(substr(inner, 1, cut - 1)) ")"
	}
	return "UNKNOWN_TYPE(" t ")"
}
BEGIN {
	print "#include <stddef.h>"
	print "#include <linux/ioctl.h>"
	print "#include <linux/smaf.h>"
	nstructs = nioctls = 0
}
/^# C: struct [a-z0-9_]+$/ { cname = $4; next }
/^[a-z0-9_]+ \{$/ {
	sname = $1
	if (!cname)
		cname = sname
	cstruct[sname] = cname
	off = "0"
	instruct = 1
	nstructs++
	next
}
instruct && /^\}/ {
	printf "_Static_assert(sizeof(struct %s) == %s, \"%s: size\");\n", cname, off, sname
	instruct = 0
	cname = ""
	next
}
instruct && NF {
	line = $0
	sub(/^[ \t]+/, "", line)
	fname = line
	sub(/[ \t].*/, "", fname)
	type = substr(line, length(fname) + 1)
	sub(/[ \t]*\((in|out|inout)\)[ \t]*$/, "", type)
	size = tsize(type)
	printf "_Static_assert(offsetof(struct %s, %s) == %s, \"%s.%s: offset\");\n", cname, fname, off, sname, fname
	printf "_Static_assert(sizeof(((struct %s *)0)->%s) == %s, \"%s.%s: size\");\n", cname, fname, size, sname, fname
	off = off " + " size
	next
}
/^ioctl\$/ {
	cmd = $0
	sub(/.*cmd const\[/, "", cmd)
	sub(/\].*/, "", cmd)
	arg = $0
	sub(/.*arg ptr\[[a-z]+, */, "", arg)
	sub(/\].*/, "", arg)
	ioctl_cmd[++nioctls] = cmd
	ioctl_arg[nioctls] = arg
}
END {
	for (i = 1; i <= nioctls; i++) {
		a = ioctl_arg[i]
		printf "_Static_assert(_IOC_SIZE(%s) == sizeof(struct %s), \"%s: argument size\");\n", ioctl_cmd[i], (a in cstruct) ? cstruct[a] : a, ioctl_cmd[i]
	}
	printf "/* %d structs, %d ioctls */\n", nstructs, nioctls
}
' "$DESC" >"$OUT/check.c"

if ! gcc -fsyntax-only -Wall -Werror -I"$TOP/include/uapi" "$OUT/check.c" \
	2>"$OUT/err"; then
	grep -o 'static assertion failed: "[^"]*"\|error: .*' "$OUT/err" | sort -u
	echo "check.sh: $(basename "$DESC") does not match include/uapi/linux/smaf.h"
	exit 1
fi
sed -n 's|^/\* \(.*\) \*/$|\1|p' "$OUT/check.c"
