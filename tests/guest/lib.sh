#!/bin/sh
# Shared by the in-guest suites (run-tests.sh, stress.sh): KTAP reporting,
# and the facts the tests read from pvfbt and the kernel.  Sourced; the
# caller sets T (a scratch directory).
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
