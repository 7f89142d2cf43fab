#!/bin/sh
# In-guest test of the bench's BPF peer loader (bench/progs/bpfpeer):
# every hook and variant on __x64_sys_getppid counts exactly the calls made.
#   sh guest-bpfpeer-test.sh [N]
# callbench getppid N 1 makes N + N/10 + 1 (warm-up) getppid calls; nothing
# else in the guest calls getppid.  Prints "bpfpeer-test: PASS" or FAIL
# lines and exits non-zero on a failure.  About 10 s under TCG (Xen PV).
N=${1:-1000}
here=$(cd "$(dirname "$0")" && pwd)
for d in "$here" /extra /bench /bench/progs; do
	[ -x "$d/bpfpeer" ] && PATH=$d:$PATH
done
export PATH
want=$((N + N / 10 + 1))
fail=0
echo "bpfpeer-test: kernel $(uname -r), $(cat /sys/hypervisor/type 2>/dev/null || echo native)"
for h in fentry fexit kprobe kretprobe; do
	for v in count record; do
		bpfpeer $h $v __x64_sys_getppid -- callbench getppid $N 1 >/tmp/bp.out 2>/tmp/bp.err
		rc=$?
		l=$(grep '^bpfpeer: .*hits' /tmp/bp.err)
		hits=$(echo "$l" | sed -n 's/.*hits \([0-9]*\),.*/\1/p')
		recs=$(echo "$l" | sed -n 's/.*records \([0-9]*\),.*/\1/p')
		drops=$(echo "$l" | sed -n 's/.*drops \([0-9]*\)$/\1/p')
		ok=1
		[ $rc = 0 ] && [ "$hits" = $want ] || ok=0
		if [ $v = record ]; then [ "$recs" = $want ] && [ "$drops" = 0 ] || ok=0; fi
		if [ $ok = 1 ]; then
			echo "bpfpeer-test: ok $h $v: $l"
		else
			echo "bpfpeer-test: FAIL $h $v (status $rc, want $want hits): $l"
			sed 's/^/#   /' /tmp/bp.err | tail -n 20
			fail=1
		fi
	done
done
[ $fail = 0 ] && echo "bpfpeer-test: PASS" || echo "bpfpeer-test: FAIL"
exit $fail
