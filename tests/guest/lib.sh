#!/bin/sh
# Shared by the in-guest suites (run-tests.sh, domu-tests.sh, stress.sh):
# KTAP reporting, and the facts the tests read from pvfbt and the kernel.
# Sourced; the caller sets T (a scratch directory).
n=0
fails=0
ok() { n=$((n + 1)); echo "ok $n $1"; }
not_ok() { n=$((n + 1)); echo "not ok $n $1"; fails=$((fails + 1)); }
fail() { echo "FAIL: $*"; exit 1; }

# run NAME FUNCTION: a test is a shell function run under set -e in a
# subshell: any failing command (or fail) ends it as a failure.  Its
# STRESS-RESULT lines are passed on, its log shown when it fails, and its
# time reported.
run() {
	start=$(cut -d. -f1 /proc/uptime)
	(set -e; "$2") >$T/$1.log 2>&1
	rc=$?
	grep '^STRESS-RESULT' $T/$1.log
	if [ $rc = 0 ]; then
		ok "$1"
	else
		sed 's/^/# /' $T/$1.log | tail -n 40
		not_ok "$1"
	fi
	echo "# $1: $(($(cut -d. -f1 /proc/uptime) - start)) s"
}

# ktap_run LABEL TEST...: the KTAP header and plan, each test (its function
# t_TEST) in turn, the summary line; false if a test failed.
ktap_run() {
	label=$1
	shift
	echo "KTAP version 1"
	echo "1..$#"
	for t in "$@"; do run "$t" "t_$t"; done
	echo "# $label: $((n - fails)) passed, $fails failed"
	[ $fails = 0 ]
}

# The number after NAME in pvfbt's summary lines, e.g. "missed steps".
val() { sed -n "s/.*[ ,]$2 \([0-9][0-9]*\).*/\1/p" "$1" | tail -n 1; }
no_missed_steps() {
	m=$(val "$1" "missed steps")
	[ "$m" = 0 ] || fail "missed steps: '$m' in $1"
}
armed() { pvfbt --status | sed -n 's/^probes armed: *//p'; }
# wait_armed SECONDS: until some probe is armed (a consumer has started).
wait_armed() {
	w=0
	while [ "$(armed)" = 0 ] && [ $w -lt "$1" ]; do sleep 1; w=$((w + 1)); done
	[ "$(armed)" != 0 ]
}
# peek_sym SYMBOL [LEN]: kernel text bytes there, through the fixture's peek.
peek_sym() {
	a=$(awk -v s="$1" '$3 == s { print $1; exit }' /proc/kallsyms)
	[ -n "$a" ] || return 1
	echo "$a ${2:-256}" >/sys/kernel/debug/pvfbt_test/peek && cat /sys/kernel/debug/pvfbt_test/peek
}

# return_jumps SYMBOL: SYMBOL's "jmp <return thunk>" sites in live text (up
# to the next symbol, at most 4096 bytes), one "ADDRESS THUNK" a line
# (hex, as /proc/kallsyms).  Through the fixture's peek (pvfbt_test.ko
# loaded).  A return site is "jmp <thunk>" or, where the CPU needs no
# return thunk, "ret; int3" (no line).
return_jumps() {
	# (one read of /proc/kallsyms, then fixed-string greps: awk or a regex
	# over all of it takes seconds under TCG)
	cat /proc/kallsyms >$T/rj.ks
	ra=$(grep -F " $1" $T/rj.ks | grep -m1 -E " $1(\$|	)" | cut -d' ' -f1)
	[ -n "$ra" ] || return 1
	# The next symbol: among those in the same or the next 1 MiB.
	rb=$(printf '%x' $((0x$ra + 0x100000)))
	grep -F -e "${ra%?????}" -e "${rb%?????}" $T/rj.ks |
		awk -v a="$ra" '$1 > a && (!e || $1 < e) { e = $1 } END { print a, e }' >$T/rj.range
	read -r ra re <$T/rj.range || return 1
	len=$(( $(printf '%u' 0x$re) - $(printf '%u' 0x$ra) ))
	[ $len -gt 0 ] && [ $len -le 4096 ] || len=4096
	echo "$ra $len" >/sys/kernel/debug/pvfbt_test/peek || return 1
	grep -F -e ' __x86_return_thunk' -e ' srso_return_thunk' -e ' srso_alias_return_thunk' \
		-e ' retbleed_return_thunk' -e ' its_return_thunk' -e ' call_depth_return_thunk' $T/rj.ks |
		grep ' [tT] [a-z0-9_]*return_thunk$' | cut -d' ' -f1,3 >$T/rj.thunks
	awk -v a="$ra" -v b="$(cat /sys/kernel/debug/pvfbt_test/peek)" '
		function hx(h,   i, n) {
			n = 0
			for (i = 1; i <= length(h); i++)
				n = n * 16 + index("0123456789abcdef", substr(h, i, 1)) - 1
			return n
		}
		function byte(i) { return hx(substr(b, 2 * i + 1, 2)) }
		# Kernel text is in the top 2 GiB: the low 32 bits tell addresses apart.
		NR == FNR { thunk[hx(substr($1, 9))] = $2; next }
		END {
			lo = hx(substr(a, 9)); n = length(b) / 2
			for (i = 0; i + 5 <= n; i++) {
				if (byte(i) != 233) continue	# e9: jmp rel32
				r = byte(i + 1) + 256 * byte(i + 2) + 65536 * byte(i + 3) + 16777216 * byte(i + 4)
				if (r >= 2147483648) r -= 4294967296
				t = (lo + i + 5 + r + 4294967296) % 4294967296
				# (busybox awk prints no %x past 2^31: two halves)
				v = lo + i
				if (t in thunk) printf "%s%04x%04x %s\n", substr(a, 1, 8), int(v / 65536), v % 65536, thunk[t]
			}
		}' $T/rj.thunks /dev/null
}
