#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The manual pages of man/, checked as scripts/lint.sh runs them (one line
# per check, findings above it; exit 1 on any finding):
#
#   mandoc -Tlint	every page, at every level (style included). mandoc
#			looks up the pages an .Xr names only in the system's
#			/usr/share/man, where ours are not before they are
#			installed: "referenced manual not found" for one of
#			man/'s own pages is not a finding, and neither is
#			its note that /usr/share/man has no up-to-date
#			mandoc.db (a file lookup then finds the page).
#   groff		what man(1) and lintian's groff check see: no troff
#			warning when rendering (a line that cannot be broken,
#			a bad escape...)
#   smafctl --help	the commands and options of 'smafctl --help' and of
#			each 'smafctl COMMAND --help' are exactly those of
#			man/smafctl.1, both ways:
#			- help: the commands are the "Commands:" lines, the
#			  global options the "Options:" lines; a command's
#			  options are the leading -x/--xyz of its option
#			  lines plus those of its "Usage:" lines, and its
#			  keywords the lower-case words of its "Usage:" lines
#			  (constraints' set, del, clear...; "dma-bits=N"
#			  counts as dma-bits);
#			- man page: the global options are the Fl of the
#			  OPTIONS section's .It lines; each command is an
#			  ".It Cm NAME" of the COMMANDS list, and its options
#			  and keywords are the Fl and Cm of the .It lines of
#			  its entry, nested lists included.
#
#   scripts/check-man.sh [SMAFCTL]	(default tools/bin/smafctl, built first
#					when missing)
set -uo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP" || exit 1
SMAFCTL=${1:-tools/bin/smafctl}
fail=0

mapfile -t pages < <(find man -maxdepth 1 -type f -name '*.[1-8]' | LC_ALL=C sort)
if [ "${#pages[@]}" -eq 0 ]; then
	echo "lint: mandoc -Tlint: FAILED (no manual pages in man/)"
	exit 1
fi

# --- mandoc -Tlint
if ! command -v mandoc >/dev/null; then
	echo "lint: mandoc -Tlint: FAILED (no mandoc; run 'make deps' as root)"
	fail=1
else
	own=$(for p in "${pages[@]}"; do
		b=${p##*/}
		printf '%s %s|' "${b%.*}" "${b##*.}"
	done)
	own=${own%|}
	out=$(mandoc -Tlint -Wstyle "${pages[@]}" 2>&1 |
		grep -Ev "STYLE: referenced manual not found: Xr ($own)( \(|$)" |
		grep -Ev '^mandoc: outdated mandoc.db lacks .* entry, run makewhatis /usr/share/man$')
	if [ -z "$out" ]; then
		echo "lint: mandoc -Tlint: OK (${#pages[@]} pages)"
	else
		echo "$out"
		echo "lint: mandoc -Tlint: FAILED"
		fail=1
	fi
fi

# --- groff, as man(1) renders the pages
if ! command -v man >/dev/null; then
	echo "lint: groff warnings: FAILED (no man; install man-db)"
	fail=1
else
	out=""
	for p in "${pages[@]}"; do
		w=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l \
			-Tutf8 -Z "$p" 2>&1 >/dev/null)
		[ -z "$w" ] || out="$out$p: $w"$'\n'
	done
	if [ -z "$out" ]; then
		echo "lint: groff warnings: OK (${#pages[@]} pages)"
	else
		printf '%s' "$out"
		echo "lint: groff warnings: FAILED"
		fail=1
	fi
fi

# --- smafctl --help against man/smafctl.1
# help_items: "COMMAND KIND NAME" lines (COMMAND "-" for the global level,
# KIND command, option or keyword) of what smafctl's help says.
help_items() {
	local cmd
	"$SMAFCTL" --help | awk '
		/^Commands:/ { b = "c"; next }
		/^Options:/ { b = "o"; next }
		/^$/ { b = ""; next }
		b == "c" && /^  [a-z]/ { print "- command " $1 }
		b == "o" && /^  -/ {
			n = split($0, f, /  +/)
			m = split(f[2], t, /[ ,]+/)
			for (i = 1; i <= m; i++)
				if (t[i] ~ /^-/) print "- option " t[i]
		}'
	for cmd in $("$SMAFCTL" --help | awk '/^Commands:/ { b = 1; next }
			/^$/ { b = 0 } b && /^  [a-z]/ { print $1 }'); do
		"$SMAFCTL" "$cmd" --help | awk -v cmd="$cmd" '
			/^Usage:/ { u = 1 }
			/^$/ { u = 0 }
			u {
				line = $0
				sub(/^Usage:/, "", line)
				gsub(/[][|.]/, " ", line)
				m = split(line, t, /[ \t]+/)
				for (i = 1; i <= m; i++) {
					w = t[i]
					if (w == "" || w == "smafctl" || w == cmd || w == "--")
						continue
					if (w ~ /^-/) {
						print cmd " option " w
					} else if (w ~ /^[a-z][a-z-]*(=.*)?$/) {
						sub(/=.*/, "", w)
						print cmd " keyword " w
					}
				}
				next
			}
			/^  +-/ {
				n = split($0, f, /  +/)
				m = split(f[2], t, /[ ,]+/)
				for (i = 1; i <= m; i++)
					if (t[i] ~ /^-/) print cmd " option " t[i]
			}'
	done
}

# man_items: the same from the mdoc source of man/smafctl.1.
man_items() {
	awk '
		/^\.Sh / { sec = substr($0, 5); depth = 0; next }
		sec != "OPTIONS" && sec != "COMMANDS" { next }
		/^\.Bl/ { depth++; next }
		/^\.El/ { depth--; next }
		!/^\.It / { next }
		{
			n = split($0, t, /[ \t]+/)
			if (sec == "COMMANDS" && depth == 1) {
				if (t[2] != "Cm") {
					print "BAD " NR ": a COMMANDS entry must start with .It Cm NAME"
					next
				}
				cmd = t[3]
				print "- command " cmd
				start = 4
			} else {
				start = 2
			}
			who = sec == "OPTIONS" ? "-" : cmd
			for (i = start; i < n; i++) {
				if (t[i] == "Fl" && t[i + 1] != "-")
					print who " option -" t[i + 1]
				else if (t[i] == "Cm" && sec == "COMMANDS")
					print who " keyword " t[i + 1]
			}
		}' man/smafctl.1
}

if [ ! -x "$SMAFCTL" ] && [ $# -eq 0 ]; then
	make -s -C tools bin/smafctl >/dev/null 2>&1
fi
if [ ! -x "$SMAFCTL" ]; then
	echo "lint: smafctl --help vs man/smafctl.1: FAILED ($SMAFCTL is not built; run make)"
	fail=1
elif [ ! -e man/smafctl.1 ]; then
	echo "lint: smafctl --help vs man/smafctl.1: FAILED (no man/smafctl.1)"
	fail=1
else
	h=$(help_items | LC_ALL=C sort -u)
	m=$(man_items | LC_ALL=C sort -u)
	bad=$(grep '^BAD ' <<<"$m" || true)
	only_help=$(LC_ALL=C comm -23 <(echo "$h") <(echo "$m" | grep -v '^BAD '))
	only_man=$(LC_ALL=C comm -13 <(echo "$h") <(echo "$m" | grep -v '^BAD '))
	if [ -z "$h" ]; then
		echo "lint: smafctl --help vs man/smafctl.1: FAILED ($SMAFCTL --help lists nothing)"
		fail=1
	elif [ -z "$bad$only_help$only_man" ]; then
		echo "lint: smafctl --help vs man/smafctl.1: OK ($(wc -l <<<"$h") commands, options and keywords)"
	else
		[ -z "$bad" ] || sed 's/^BAD /man\/smafctl.1:/' <<<"$bad"
		[ -z "$only_help" ] || sed 's/^- /(global) /; s/^/in smafctl --help, not in man\/smafctl.1: /' <<<"$only_help"
		[ -z "$only_man" ] || sed 's/^- /(global) /; s/^/in man\/smafctl.1, not in smafctl --help: /' <<<"$only_man"
		echo "lint: smafctl --help vs man/smafctl.1: FAILED"
		fail=1
	fi
fi

exit "$fail"
