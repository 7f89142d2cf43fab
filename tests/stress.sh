#!/usr/bin/env bash
# The stress and robustness suite in both guests, with a report.
#   tests/stress.sh KVER [HITS] [ROUNDS]
# make stress: 5,000,000 hits, 10 rounds of each lifetime fault.
# make check runs it shorter (1,000,000 hits, 3 rounds).
# Prints KTAP per guest, then one table of the figures, also written as
# JSON to build/KVER/stress.json.  Drops in the full-speed runs (mixed-sys,
# all-*) are figures, not failures: the phases assert exact accounting and
# zero drops only where no ring can fill (Documentation/testbench.md).
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"
kver=${1:-$(default_kver)} hits=${2:-5000000} rounds=${3:-10}
out=$top/build/$kver
mkdir -p "$out"
rc=0
for mode in native xen; do
	env=$([ $mode = xen ] && echo xen-pv || echo native)
	"$top/tests/vm/run" --$mode --kver "$kver" --timeout 3000 -- \
		sh /tests/stress.sh "$env" "$hits" "$rounds" | tee "$out/stress-$mode.log"
	((PIPESTATUS[0] == 0)) || rc=1
done
grep -h '^STRESS-RESULT ' "$out"/stress-native.log "$out"/stress-xen.log |
	sed 's/^STRESS-RESULT //' | awk 'BEGIN { print "[" } NR > 1 { print "," } { print } END { print "]" }' \
	>"$out/stress.json"
echo "# stress report ($kver): $out/stress.json"
printf '# %-8s %-12s %10s %10s %10s %8s %7s %7s %8s\n' guest phase hits records drops filtered missed probes seconds
grep -h '^STRESS-RESULT ' "$out"/stress-native.log "$out"/stress-xen.log | sed 's/^STRESS-RESULT //' |
	sed 's/[{}"]//g; s/,/ /g' | awk '{
		for (i = 1; i <= NF; i++) { split($i, kv, ":"); v[kv[1]] = kv[2] }
		printf "# %-8s %-12s %10s %10s %10s %8s %7s %7s %8s\n", v["guest"], v["phase"], v["hits"],
			v["records"], v["drops"], v["filtered"], v["missed_steps"], v["probes"], v["seconds"] }'
exit $rc
