#!/usr/bin/env bash
# make check: build, host tests, then the in-guest tests in a native and a
# Xen PV guest.  Every suite prints KTAP; this script counts the top-level
# "ok"/"not ok" lines of each and ends with one line "N passed, N failed".
#   tests/check.sh [KVER]
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"
kver=${1:-$(default_kver)}
cd "$top"
out=$top/build/$kver/check
mkdir -p "$out"
passed=0 failed=0

# suite NAME COMMAND...: run it, show its output, count its KTAP results.
suite() {
	local name=$1 rc p f
	shift
	echo "=== $name: $*"
	"$@" 2>&1 | tee "$out/$name.log"
	rc=${PIPESTATUS[0]}
	p=$(grep -cE '^ok [0-9]+' "$out/$name.log")
	f=$(grep -cE '^not ok [0-9]+' "$out/$name.log")
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		echo "not ok - $name exited $rc without a failing test"
		f=1
	fi
	if [ "$p" = 0 ] && [ "$f" = 0 ]; then
		echo "not ok - $name ran no test"
		f=1
	fi
	echo "=== $name: $p passed, $f failed"
	passed=$((passed + p)) failed=$((failed + f))
}

t0=$SECONDS
if ! make -s all KVER="$kver"; then
	echo "build failed"
	echo "0 passed, 1 failed"
	exit 1
fi
suite host-decoder make -s -C tests/host check KVER="$kver"
suite host-consumer make -s -C tests/host/consumer check
suite guest-native tests/vm/run --native --kver "$kver" --timeout 1200 -- sh /tests/run-tests.sh native
suite guest-xen tests/vm/run --xen --kver "$kver" --timeout 1800 -- sh /tests/run-tests.sh xen-pv
# The stress suite, shorter than make stress: 1,000,000 hits, 3 rounds.
suite stress tests/stress.sh "$kver" 1000000 3
echo "=== make check ($kver) took $((SECONDS - t0)) s"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
