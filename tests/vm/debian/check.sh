#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The debian VM lane's checks, run by systemd (smaf-vm-check.service) on the
# Debian 12 system that tests/vm/debian.sh made, SMAF's packages installed.
# Writes "RESULT PASS|FAIL|SKIP pkg/<test>[ # reason]" lines to the results
# port, /dev/ttyS1, as the initramfs lanes' /init does, and what it does on
# the console; then "SMAF-VM-FINISHED check" and powers off.
#
# /etc/smaf-vm/env gives SMAF_VERSION (VERSION) and SMAF_USER (a user in
# the group video, without other privileges).
set -u

RESULTS=/dev/ttyS1
SRC=/usr/local/share/smaf-vm/alloc-test.c
PACKAGES=(smaf-dkms smaf-tools libsmaf-dev libsmaf1)
MODULES="smaf smaf-system smaf-cma smaf-firewall"
# shellcheck source=/dev/null
. /etc/smaf-vm/env

stty -F "$RESULTS" raw -echo 2>/dev/null
exec 3>"$RESULTS"

say() { echo "smaf-vm: $*" >/dev/console 2>/dev/null || true; }
result() {
	local st=$1 name=$2
	shift 2
	echo "RESULT $st pkg/$name${*:+ # $*}" >&3
	say "$st pkg/$name${*:+ ($*)}"
}
ok() { result PASS "$@"; }
bad() { result FAIL "$@"; }
# check NAME CMD...: PASS when CMD succeeds, FAIL with its output otherwise.
check() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then
		ok "$name"
	else
		bad "$name" "$(tr '\n' ' ' <<<"$out" | cut -c1-300)"
	fi
}
# As the unprivileged user, in its home.
as_user() { runuser -u "$SMAF_USER" -- sh -c "cd && $1"; }

echo "SMAF-VM-STARTED check" >&3
KVER=$(uname -r)
say "Debian $(cat /etc/debian_version), kernel $KVER, init $(readlink /proc/1/exe)"

# --- the system is Debian's, booted by its own init
check systemd-init test "$(readlink /proc/1/exe)" = /usr/lib/systemd/systemd
udevadm settle -t 60

# --- modprobe loads the modules DKMS built
t_modprobe() {
	local m=$1 path ver
	modprobe "$m" || return 1
	path=$(modinfo -n "$m") || return 1
	case "$path" in
	"/lib/modules/$KVER/updates/dkms/"*) ;;
	*) echo "modprobe found $path, not DKMS's module"; return 1 ;;
	esac
	ver=$(cat "/sys/module/${m//-/_}/version") || return 1
	[ "$ver" = "$SMAF_VERSION" ] ||
		{ echo "/sys/module/${m//-/_}/version is $ver, not $SMAF_VERSION"; return 1; }
}
for m in $MODULES; do
	check "modprobe-$m" t_modprobe "$m"
done
udevadm settle -t 60

# --- the device nodes have the group and mode the installed udev rule sets
RULE=/usr/lib/udev/rules.d/60-smaf.rules
# rule_of MATCH: "GROUP MODE" of the rule line containing MATCH (MODE
# without its leading 0, as stat prints it).
rule_of() {
	grep -F "$1" "$RULE" | grep -v '^#' | head -n 1 |
		sed -n 's/.*GROUP="\([^"]*\)".*MODE="0*\([0-7]*\)".*/\1 \2/p'
}
t_node() {
	local st want
	want=$(rule_of "$2")
	[ -n "$want" ] || { echo "$RULE sets no GROUP and MODE for $2"; return 1; }
	st=$(stat -c '%G %a' "$1") || return 1
	[ "$st" = "$want" ] || { echo "$1 is '$st', not '$want' ($RULE)"; return 1; }
}
check udev-dev-smaf t_node /dev/smaf 'KERNEL=="smaf", SUBSYSTEM=="misc"'

for n in /dev/dma_heap/*; do
	[ -c "$n" ] || continue
	read -r maj min < <(stat -c '%t %T' "$n")
	sub=$(readlink -f "/sys/dev/char/$((16#$maj)):$((16#$min))/subsystem")
	[ "${sub##*/}" = smaf_heap ] || continue
	check "udev-dma_heap-${n##*/}" t_node "$n" 'SUBSYSTEM=="smaf_heap"'
done

# --- an unprivileged user of the group video builds and runs a program
t_user() {
	[ "$(id -u "$SMAF_USER")" -ne 0 ] || { echo "$SMAF_USER is root"; return 1; }
	id -nG "$SMAF_USER" | grep -qw video || { echo "$SMAF_USER is not in video"; return 1; }
}
check user-in-video t_user
t_pkgconfig() {
	local f
	f=$(pkg-config --cflags --libs libsmaf) || return 1
	case " $f " in
	*" -lsmaf "*) ;;
	*) echo "pkg-config gives '$f': no -lsmaf"; return 1 ;;
	esac
	[ "$(pkg-config --modversion libsmaf)" = "$SMAF_VERSION" ] ||
		{ echo "pkg-config --modversion: $(pkg-config --modversion libsmaf)"; return 1; }
}
check pkg-config t_pkgconfig
check user-compile as_user "cc -Wall -Werror -o alloc-test $SRC \$(pkg-config --cflags --libs libsmaf)"
t_run() {
	local out
	out=$(as_user ./alloc-test) || { echo "$out"; return 1; }
	say "$out"
	ldd "$(getent passwd "$SMAF_USER" | cut -d: -f6)/alloc-test" |
		grep -q 'libsmaf.so.1 => /lib/x86_64-linux-gnu/libsmaf.so.1\|libsmaf.so.1 => /usr/lib/x86_64-linux-gnu/libsmaf.so.1' ||
		{ echo "alloc-test is not linked with the installed libsmaf.so.1"; return 1; }
}
check user-alloc-map-read t_run

# --- smafctl from smaf-tools
t_smafctl_path() {
	[ "$(command -v smafctl)" = /usr/bin/smafctl ] &&
		dpkg -S /usr/bin/smafctl | grep -q '^smaf-tools:'
}
check smafctl-installed t_smafctl_path
check smafctl-version test "$(smafctl --version)" = "smafctl $SMAF_VERSION"
t_allocators() {
	local out
	out=$(as_user "smafctl allocators") || { echo "$out"; return 1; }
	printf '%s\n' "$out" >/dev/console
	if ! grep -q smaf-system <<<"$out" || ! grep -q smaf-cma <<<"$out"; then
		echo "smafctl allocators does not list smaf-system and smaf-cma"
		return 1
	fi
}
check smafctl-allocators t_allocators
t_buffers() {
	local out
	out=$(smafctl create --size 1M --name vm-check -- smafctl buffers) ||
		{ echo "$out"; return 1; }
	printf '%s\n' "$out" >/dev/console
	grep -q vm-check <<<"$out" || { echo "smafctl buffers does not list the buffer"; return 1; }
	out=$(smafctl buffers) || { echo "$out"; return 1; }
	[ "$out" = "no SMAF buffers" ] || { echo "left: $out"; return 1; }
}
check smafctl-buffers t_buffers
t_man() {
	local page out
	for page in "1 smafctl" "3 libsmaf" "4 smaf"; do
		# shellcheck disable=SC2086 # section and name
		out=$(MANPAGER=cat MANWIDTH=80 man $page 2>&1) || { echo "man $page: $out"; return 1; }
		grep -q '^SYNOPSIS' <<<"$out" || { echo "man $page has no SYNOPSIS"; return 1; }
	done
	MANPAGER=cat MANWIDTH=80 man smafctl | head -n 12 >/dev/console
}
check man-pages t_man

# --- unload, then remove the packages: nothing of them is left
t_unload() {
	modprobe -r smaf-firewall smaf-cma smaf-system smaf || return 1
	! grep -q '^smaf' /proc/modules || { grep '^smaf' /proc/modules; return 1; }
}
check modprobe-r t_unload
files=$(dpkg -L "${PACKAGES[@]}" | sort -u | while read -r f; do
	[ -d "$f" ] || echo "$f"
done)
nfiles=$(wc -l <<<"$files")
t_listed() {
	local f missing=0
	[ "$nfiles" -gt 20 ] || { echo "dpkg -L lists only $nfiles files"; return 1; }
	for f in /usr/bin/smafctl /usr/lib/udev/rules.d/60-smaf.rules \
		"/usr/src/smaf-$SMAF_VERSION/dkms.conf" /usr/include/libsmaf.h; do
		grep -qx "$f" <<<"$files" || { echo "dpkg -L lacks $f"; missing=1; }
	done
	return "$missing"
}
check dpkg-L t_listed
t_purge() {
	local f left="" ko st
	DEBIAN_FRONTEND=noninteractive apt-get purge -y -q "${PACKAGES[@]}" >/tmp/purge.log 2>&1 ||
		{ cat /tmp/purge.log; return 1; }
	sed 's/^/purge| /' /tmp/purge.log >/dev/console 2>/dev/null
	while read -r f; do
		if [ -e "$f" ] || [ -L "$f" ]; then
			left="$left $f"
		fi
	done <<<"$files"
	[ -z "$left" ] || { echo "left after purge:$left"; return 1; }
	for ko in /lib/modules/*/updates/dkms/smaf*.ko*; do
		if [ -e "$ko" ]; then
			echo "left after purge: $ko"
			return 1
		fi
	done
	[ ! -e /var/lib/dkms/smaf ] || { echo "left after purge: /var/lib/dkms/smaf"; return 1; }
	# stdout only: dkms 3.0.10's own "/proc mounted?" probe, echo into
	# <(...), sometimes says "write error: Broken pipe" on stderr.
	st=$(dkms status smaf 2>/dev/null)
	[ -z "$st" ] || { echo "dkms status smaf: $st"; return 1; }
	if modinfo smaf >/dev/null 2>&1; then
		echo "modinfo still finds smaf: $(modinfo -n smaf 2>&1)"
		return 1
	fi
	# Purged: unknown to dpkg (an error on stderr), or "not installed".
	st=$(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' "${PACKAGES[@]}" \
		2>/dev/null | grep -v '^.n ' || true)
	[ -z "$st" ] || { echo "dpkg still has: $st"; return 1; }
	say "removed: $nfiles files, the DKMS-built modules and DKMS's tree"
}
check purge-leaves-nothing t_purge

# --- the kernel: no taint but O (out of tree) and E (unsigned)
t_taint() {
	local t
	t=$(cat /proc/sys/kernel/tainted)
	[ $((t & ~((1 << 12) | (1 << 13)))) -eq 0 ] ||
		{ echo "tainted=$t"; return 1; }
}
check kernel-taint t_taint

echo "SMAF-VM-FINISHED check" >&3
exec 3>&-
sync
say "finished; powering off"
systemctl --no-block poweroff
