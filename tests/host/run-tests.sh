#!/bin/sh
# Run the pvfbt host tests and print KTAP (called by `make check`).
# Env: OUT (binaries), KCACHE (.cache/kernels/KVER), KVER, MODULES (0 = all).
set -u
here=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-$here/../../build/host-tests}
KVER=${KVER:-6.1.0-56-amd64}
KCACHE=${KCACHE:-$here/../../.cache/kernels/$KVER}
MODULES=${MODULES:-0}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

vmlinuz=$KCACHE/boot/vmlinuz-$KVER
vmlinux=$KCACHE/vmlinux
map=$KCACHE/System.map.kallsyms
moddir=$KCACHE/lib/modules/$KVER/kernel
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
have_kernel=0
skip_why="no cached kernel image $vmlinuz (run scripts/deps.sh)"

# prepare the image and its symbols (cached under .cache/kernels/KVER)
if [ -f "$vmlinuz" ]; then
	if [ ! -s "$vmlinux" ]; then
		"$here/extract-vmlinux.sh" "$vmlinuz" "$vmlinux.tmp" && mv "$vmlinux.tmp" "$vmlinux"
	fi
	sysmap=$KCACHE/boot/System.map-$KVER
	if [ -s "$vmlinux" ]; then
		# Debian ships a stub System.map: fall back to the image's own kallsyms
		if [ -f "$sysmap" ] && [ "$(wc -l < "$sysmap")" -gt 1000 ]; then
			map=$sysmap
		elif [ ! -s "$map" ] || [ "$map" -ot "$vmlinux" ]; then
			"$OUT/insn-oracle" kallsyms "$vmlinux" > "$map.tmp" && mv "$map.tmp" "$map"
		fi
		[ -s "$map" ] && have_kernel=1 || skip_why="could not recover symbols from $vmlinux"
	else
		skip_why="could not extract vmlinux from $vmlinuz"
	fi
fi

n=0 fails=0
tests="insn-unit insn-oracle insn-oracle-modules insn-fuzz"
echo "KTAP version 1"
echo "1..$(echo $tests | wc -w)"
for t in $tests; do
	n=$((n + 1))
	skip=""
	start=$(date +%s)
	case $t in
	insn-unit) "$OUT/insn-unit" > "$tmp/out" 2>&1 ;;
	insn-oracle)
		if [ $have_kernel = 1 ]; then "$OUT/insn-oracle" kernel "$vmlinux" "$map" > "$tmp/out" 2>&1
		else skip=$skip_why; : > "$tmp/out"; fi ;;
	insn-oracle-modules)
		if [ -d "$moddir" ]; then
			"$OUT/insn-oracle" modules "$moddir" "$MODULES" > "$tmp/out" 2>&1
		else skip="no modules under $moddir"; : > "$tmp/out"; fi ;;
	insn-fuzz)
		if [ $have_kernel = 1 ]; then "$OUT/insn-fuzz" "$vmlinux" > "$tmp/out" 2>&1
		else "$OUT/insn-fuzz" > "$tmp/out" 2>&1; fi ;;
	esac
	rc=$?
	sed 's/^# //; s/^/# /' "$tmp/out"
	echo "# ($t took $(( $(date +%s) - start )) s)"
	if [ -n "$skip" ]; then
		# make check fetches the kernel first: a missing one is a failure.
		echo "not ok $n $t # $skip (run make deps)"
		fails=$((fails + 1))
	elif [ $rc = 0 ]; then
		echo "ok $n $t"
	else
		echo "not ok $n $t"
		fails=$((fails + 1))
	fi
done
[ $fails = 0 ]
