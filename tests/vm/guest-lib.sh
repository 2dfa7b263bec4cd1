# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
#
# Guest-side library of the SMAF test VM (busybox sh), installed as
# /lib/smaf/guest-lib.sh. /init, /lib/smaf/demo.sh and every suite in
# /suites.d source it. A suite calls, for example:
#
#	. /lib/smaf/guest-lib.sh
#	run_test core /bin/test_core
#	load_vivid allocators=1 && run_test vivid /bin/test_vivid; unload_vivid
#
# Machine-readable results go to the second serial port (ttyS1, a file on
# the host), one line each:
#	RESULT PASS|FAIL|SKIP <group>/<test>[ # reason]
#	REPORT <group> key=value...	what a test exercised (see run_test)
# Everything else (kernel messages, test output) goes to the console, ttyS0.
#
# The lane (run.sh): SMAF_LANE is "stock" (Debian's kernel) or "debug" (the
# debug kernel: KASAN, lockdep, kmemleak, fault injection, CMA; much
# slower). A test may read it to run fewer iterations of a heavy loop.
# Every test program's timeout is multiplied by SMAF_TIMEOUT_SCALE (2 in
# the debug lane).

SMAF_RESULTS=${SMAF_RESULTS:-/dev/ttyS1}
SMAF_STATE=/run/smaf
SMAF_LOADED=$SMAF_STATE/loaded		# module names, in load order
SMAF_STATS=/sys/kernel/debug/smaf/stats
# Per test binary; the harness has its own 30 s per test.
SMAF_TEST_TIMEOUT=${SMAF_TEST_TIMEOUT:-900}
SMAF_LANE=${SMAF_LANE:-stock}
SMAF_TIMEOUT_SCALE=${SMAF_TIMEOUT_SCALE:-1}
export SMAF_LANE SMAF_TIMEOUT_SCALE

mkdir -p "$SMAF_STATE"
[ -e "$SMAF_LOADED" ] || : >"$SMAF_LOADED"

# say TEXT: a line for the human reading the console.
say() {
	printf '%s\n' "$*"
}

# result STATUS NAME [REASON]: report one test result.
result() {
	_st=$1 _nm=$2
	shift 2
	_rs=$*
	if [ -n "$_rs" ]; then
		printf 'RESULT %s %s # %s\n' "$_st" "$_nm" "$_rs" >"$SMAF_RESULTS"
		printf '%-4s  %s (%s)\n' "$_st" "$_nm" "$_rs"
	else
		printf 'RESULT %s %s\n' "$_st" "$_nm" >"$SMAF_RESULTS"
		printf '%-4s  %s\n' "$_st" "$_nm"
	fi
}

# ko_name FILE: the kernel's name of a module file (smaf-cma.ko: smaf_cma).
ko_name() {
	_n=${1##*/}
	_n=${_n%.ko}
	echo "$_n" | tr - _
}

is_loaded() {
	[ -d "/sys/module/$1" ] && [ -e "/sys/module/$1/initstate" ]
}

# mod_load FILE [PARAMS...]: insmod and remember it for unload_all.
mod_load() {
	_f=$1
	shift
	if ! insmod "$_f" "$@"; then
		say "insmod $_f $* failed"
		return 1
	fi
	ko_name "$_f" >>"$SMAF_LOADED"
}

# mod_unload NAME: rmmod and forget.
mod_unload() {
	if ! rmmod "$1"; then
		say "rmmod $1 failed; loaded modules:"
		lsmod
		return 1
	fi
	grep -vxF "$1" "$SMAF_LOADED" >"$SMAF_LOADED.new" || true
	mv "$SMAF_LOADED.new" "$SMAF_LOADED"
}

# load_list LIST: load every module of /lib/smaf/LIST.list that is not
# loaded yet; records what it loaded in $SMAF_STATE/LIST.loaded.
load_list() {
	_list=/lib/smaf/$1.list
	_state=$SMAF_STATE/$1.loaded
	shift
	[ -e "$_state" ] || : >"$_state"
	_rc=0
	# The last module of a stack gets the parameters.
	_last=$(tail -n 1 "$_list")
	while read -r _ko; do
		[ -n "$_ko" ] || continue
		is_loaded "$(ko_name "$_ko")" && continue
		if [ "$_ko" = "$_last" ]; then
			mod_load "$_ko" "$@" || { _rc=1; break; }
		else
			mod_load "$_ko" || { _rc=1; break; }
		fi
		ko_name "$_ko" >>"$_state"
	done <"$_list"
	return $_rc
}

# unload_list LIST: unload, in reverse order, what load_list LIST loaded.
unload_list() {
	_state=$SMAF_STATE/$1.loaded
	[ -s "$_state" ] || return 0
	_rc=0
	while read -r _m; do
		[ -n "$_m" ] || continue
		is_loaded "$_m" || continue
		mod_unload "$_m" || _rc=1
	done <<EOF
$(sed '1!G;h;$!d' "$_state")
EOF
	: >"$_state"
	return $_rc
}

# load_vivid [PARAMS...]: load vivid and its stack (vivid gets PARAMS, for
# example allocators=1 for dma-contig buffers).
load_vivid() {
	load_list vivid "$@"
}

unload_vivid() {
	unload_list vivid
}

load_vgem() {
	load_list vgem
}

unload_vgem() {
	unload_list vgem
}

# load_smaf: insmod what /init loads for every suite: core/*.ko, alloc/*.ko
# and tests/testdev/*.ko (those built), in dependency order.
load_smaf() {
	load_list modules
}

# unload_smaf: rmmod those and any load_module'd module, newest first.
unload_smaf() {
	_r=0
	unload_list optional || _r=1
	unload_list modules || _r=1
	return $_r
}

# load_module NAME [PARAMS...]: load one of our optional modules (secure/),
# for example: load_module smaf_firewall allow_cpu=1 (unload smaf_secure_dummy
# first: only one secure module registers). Loads it after
# the SMAF modules it depends on. NAME as the kernel spells it (smaf_cma).
load_module() {
	local name=$1 ko dep
	shift
	is_loaded "$name" && return 0
	# shellcheck disable=SC2013 # module names, one word each
	for dep in $(awk -v n="$name" '$1 == n { $1 = ""; print }' \
			/lib/smaf/modules.deps); do
		load_module "$dep" || return 1
	done
	ko=
	for _k in /lib/smaf/modules/*.ko; do
		[ "$(ko_name "$_k")" = "$name" ] && ko=$_k
	done
	if [ -z "$ko" ]; then
		say "load_module: $name.ko is not built"
		return 1
	fi
	mod_load "$ko" "$@" || return 1
	echo "$name" >>"$SMAF_STATE/optional.loaded"
}

# unload_module NAME: rmmod a module loaded with load_module.
unload_module() {
	is_loaded "$1" || return 0
	mod_unload "$1" || return 1
	grep -vxF "$1" "$SMAF_STATE/optional.loaded" \
		>"$SMAF_STATE/optional.new" 2>/dev/null || true
	mv "$SMAF_STATE/optional.new" "$SMAF_STATE/optional.loaded"
}

# has_module NAME: is NAME (smaf, smaf_cma, smaf_firewall, ...) built?
has_module() {
	awk -v n="$1" '$1 == n { f = 1 } END { exit !f }' /lib/smaf/modules.deps
}

# unload_all: rmmod everything loaded through this library, newest first.
unload_all() {
	_rc=0
	while read -r _m; do
		[ -n "$_m" ] || continue
		is_loaded "$_m" || continue
		mod_unload "$_m" || _rc=1
	done <<EOF
$(sed '1!G;h;$!d' "$SMAF_LOADED")
EOF
	for _s in "$SMAF_STATE"/*.loaded; do
		[ -e "$_s" ] && : >"$_s"
	done
	return $_rc
}

# stats_nonzero: print SMAF's counters that are not zero. Keys that are
# limits or monotonic totals (max_*, *_max, peak_*, *_peak, *_limit,
# *_total) are not counters of live objects and are not checked.
stats_nonzero() {
	awk '$1 ~ /^(max|peak)_|_(max|peak|limit|total)$/ { next }
	     NF >= 2 && $2 != "0" { print }' "$SMAF_STATS"
}

# tap_parse GROUP OUTFILE: turn the TAP of one test binary into lines
#	R<TAB>STATUS<TAB>NAME<TAB>REASON	one per TAP result
#	D<TAB>LINE				diagnostics of a failed test
#	P<TAB>PLANNED<TAB>RESULTS<TAB>FAILS<TAB>SKIP-ALL-REASON
# kselftest_harness.h names a test in "#  RUN  fixture.test ..." and puts
# only the reason in its SKIP line ("ok 3 # SKIP reason").
tap_parse() {
	awk -v grp="$1" '
	function trim(s) { sub(/^[ \t]+/, "", s); sub(/[ \t\r]+$/, "", s); return s }
	BEGIN { plan = -1; n = 0; fails = 0; cur = ""; nd = 0; skipall = "" }
	{ sub(/\r$/, "") }
	/^1\.\.[0-9]+/ {
		plan = $0; sub(/^1\.\./, "", plan); sub(/[^0-9].*/, "", plan)
		plan += 0
		if ($0 ~ /#[ \t]*[Ss][Kk][Ii][Pp]/) {
			skipall = $0; sub(/^[^#]*#[ \t]*[Ss][Kk][Ii][Pp][ \t]*/, "", skipall)
			if (skipall == "") skipall = "skipped"
		}
		next
	}
	/^#[ \t]+RUN[ \t]/ {
		cur = $0; sub(/^#[ \t]+RUN[ \t]+/, "", cur); sub(/[ \t]*\.\.\.[ \t]*$/, "", cur)
		nd = 0
		d[nd++] = $0
		next
	}
	/^(not )?ok[ \t]/ {
		ok = ($0 !~ /^not /)
		rest = $0; sub(/^(not )?ok[ \t]+[0-9]*[ \t]*/, "", rest)
		dir = ""
		if (rest ~ /^#/) { dir = rest; desc = "" }
		else if (index(rest, " # ") > 0) {
			dir = substr(rest, index(rest, " # ") + 1)
			desc = substr(rest, 1, index(rest, " # ") - 1)
		} else desc = rest
		desc = trim(desc); sub(/^- /, "", desc)
		dir = trim(dir); sub(/^#[ \t]*/, "", dir)
		if (desc == "") desc = cur
		if (desc == "") desc = "test" (n + 1)
		sub(/^global\./, "", desc)
		gsub(/[ \t]+/, "_", desc)
		st = ok ? "PASS" : "FAIL"; reason = ""
		if (dir ~ /^[Ss][Kk][Ii][Pp]/) {
			reason = dir; sub(/^[Ss][Kk][Ii][Pp][ \t]*/, "", reason)
			if (ok) st = "SKIP"
		} else if (dir != "" && !ok) reason = dir
		n++
		if (st == "FAIL") {
			fails++
			for (i = 0; i < nd; i++) print "D\t" d[i]
		}
		print "R\t" st "\t" grp "/" desc "\t" reason
		nd = 0; cur = ""
		next
	}
	/^TAP version/ { next }
	# "# REPORT fuzz_ops=123 races_run=4" (also inside a TH_LOG line):
	# counts for the run summary.
	/^(#.*[#: \t])?REPORT[ \t]+[a-z_][a-z0-9_]*=[0-9]+/ {
		r = $0; sub(/^.*REPORT[ \t]+/, "", r); sub(/[ \t\r]+$/, "", r)
		kv = ""
		nkv = split(r, parts, /[ \t]+/)
		for (i = 1; i <= nkv; i++)
			if (parts[i] ~ /^[a-z_][a-z0-9_]*=[0-9]+$/) kv = kv " " parts[i]
		if (kv != "") print "M\t" kv
	}
	{ if (nd < 200) d[nd++] = $0 }
	END { print "P\t" plan "\t" n "\t" fails "\t" skipall }
	' "$2"
}

# report_count KEY VALUE: add VALUE to the run summary's KEY (fuzz_ops,
# faults_injected, races_run, hostile_inputs), for suites written in shell.
report_count() {
	printf 'REPORT %s %s=%s\n' "${SMAF_SUITE:-shell}" "$1" "$2" >"$SMAF_RESULTS"
}

# run_test GROUP COMMAND [ARGS...]: run one TAP-printing test program and
# report each of its TAP results as GROUP/<test>. Also a failure: a program
# that exits non-zero without a failed TAP result, is killed by a signal or
# the timeout (SMAF_TEST_TIMEOUT seconds times SMAF_TIMEOUT_SCALE), prints
# no TAP result, or fewer results than its plan. Lines "# REPORT key=value"
# of its output are passed on to the run summary.
run_test() {
	_grp=$1
	shift
	_out=/tmp/run_test.$$.out
	_cmd=$*
	_prog=$1
	echo "$1" >>"$SMAF_STATE/ran"
	say "--- $_grp: $*"
	_to=$((SMAF_TEST_TIMEOUT * SMAF_TIMEOUT_SCALE))
	timeout -s KILL "$_to" "$@" >"$_out" 2>&1 </dev/null
	_ec=$?
	[ "${SMAF_VERBOSE:-0}" = 1 ] && cat "$_out"
	_plan=-1 _n=0 _fails=0 _skipall=
	_tab=$(printf '\t')
	while IFS= read -r _l; do
		case "$_l" in
		"D$_tab"*)
			printf '    %s\n' "${_l#D?}"
			;;
		"M$_tab"*)
			printf 'REPORT %s%s\n' "$_grp" "${_l#M?}" >"$SMAF_RESULTS"
			;;
		"R$_tab"* | "P$_tab"*)
			_ifs=$IFS
			IFS=$_tab
			set -f
			# shellcheck disable=SC2086 # split on tabs
			set -- $_l
			set +f
			IFS=$_ifs
			if [ "$1" = R ]; then
				result "$2" "$3" "${4:-}"
			else
				_plan=$2 _n=$3 _fails=$4 _skipall=${5:-}
			fi
			;;
		esac
	done <<EOF
$(tap_parse "$_grp" "$_out")
EOF
	_tail=0
	if [ "$_ec" -eq 137 ]; then
		result FAIL "$_grp/killed" \
			"SIGKILL: timeout (${_to}s) or OOM: $_cmd"
		_tail=1
	elif [ "$_ec" -gt 128 ]; then
		result FAIL "$_grp/signal" "killed by signal $((_ec - 128)): $_cmd"
		_tail=1
	elif [ "$_n" -eq 0 ] && [ -n "$_skipall" ] &&
	     { [ "$_ec" -eq 0 ] || [ "$_ec" -eq 4 ]; }; then
		result SKIP "$_grp" "$_skipall"
	elif [ "$_n" -eq 0 ]; then
		result FAIL "$_grp/no-tap-result" "exit $_ec, no TAP result: $_cmd"
		_tail=1
	elif [ "$_ec" -ne 0 ] && [ "$_ec" -ne 4 ] && [ "$_fails" -eq 0 ]; then
		result FAIL "$_grp/exit-status" "exit $_ec: $_cmd"
		_tail=1
	fi
	if [ "$_plan" -gt 0 ] && [ "$_n" -lt "$_plan" ] && [ "$_ec" -le 128 ]; then
		result FAIL "$_grp/incomplete" "$_n of $_plan results: $_cmd"
		_tail=1
	fi
	if [ "$_tail" = 1 ] && [ "${SMAF_VERBOSE:-0}" != 1 ]; then
		say "    last output lines of $_prog:"
		tail -n 40 "$_out" | sed 's/^/    /'
	fi
	rm -f "$_out"
	return 0
}

# tap_ok NAME / tap_fail NAME [REASON] / tap_skip NAME REASON: results of
# tests written in shell, under the current suite's name.
tap_ok() { result PASS "${SMAF_SUITE:-shell}/$1"; }
tap_fail() { _t=$1; shift; result FAIL "${SMAF_SUITE:-shell}/$_t" "$@"; }
tap_skip() { _t=$1; shift; result SKIP "${SMAF_SUITE:-shell}/$_t" "$@"; }
