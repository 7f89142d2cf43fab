#!/bin/sh
# Stress and robustness suite, in a guest, KTAP output.
#   sh /tests/stress.sh native|xen-pv HITS ROUNDS
# HITS: probe firings wanted from the mixed sys_* workload (1,000,000 in
# make check, 5,000,000 in make stress).  ROUNDS: repetitions of each
# lifetime fault.  Each phase ends with a line "STRESS-RESULT {json}".
mode=${1:?mode}
HITS=${2:-1000000}
ROUNDS=${3:-5}
T=/tmp/pvfbt-stress
mkdir -p $T
. /tests/lib.sh
events() { sed -n 's/^pvfbt: \([0-9]*\) events, \([0-9]*\) dropped, \([0-9]*\) probes.*/\1 \2 \3/p' "$1" | tail -n 1; }
# Per-CPU figures of a run made with --per-cpu: "cpu hits records drops filtered".
percpu() {
	sed -n 's/^pvfbt: cpu \([0-9]*\): hits \([0-9]*\), records \([0-9]*\), drops \([0-9]*\), .* filtered \([0-9]*\), .*/\1 \2 \3 \4 \5/p' "$1"
}
# result NAME LOG SECONDS: check the accounting of one run and print it.
# Exact whatever the host does: the consumer read every record the module
# wrote, every hit is a record, a drop or filtered (in all and on each CPU
# when the run printed --per-cpu), the drops the consumer reports are the
# module's, and its count table holds every record it read.
result() {
	set -- "$1" "$2" "$3" $(events "$2")
	h=$(val $2 hits) r=$(val $2 records) d=$(val $2 drops) f=$(val $2 filtered) m=$(val $2 "missed steps")
	echo "STRESS-RESULT {\"guest\":\"$mode\",\"phase\":\"$1\",\"hits\":$h,\"records\":$r,\"read\":$4,\"drops\":$d,\"filtered\":$f,\"missed_steps\":$m,\"probes\":$6,\"seconds\":$3}"
	[ "$4" = "$r" ] || fail "$1: consumer read $4 records, module wrote $r"
	[ "$h" = $((r + d + f)) ] || fail "$1: hits $h != records $r + drops $d + filtered $f"
	[ "$5" = "$d" ] || fail "$1: consumer reports $5 dropped, module counted $d"
	[ "$m" = 0 ] || fail "$1: $m missed steps"
	c=$(awk '$1 ~ /^fbt:/ { s += $2 } END { print s + 0 }' "$2")
	[ "$c" = "$4" ] || fail "$1: the count table sums to $c, the consumer read $4"
	[ -z "$(percpu $2)" ] || percpu $2 | awk -v h=$h -v r=$r -v d=$d -v f=$f '
		$2 != $3 + $4 + $5 { print "cpu " $1 ": hits " $2 " != records " $3 " + drops " $4 " + filtered " $5; bad = 1 }
		{ H += $2; R += $3; D += $4; F += $5 }
		END { if (H != h || R != r || D != d || F != f) {
			print "per-cpu sums " H, R, D, F " are not the totals " h, r, d, f; bad = 1 }
		      exit bad }' || fail "$1: per-cpu accounting"
}
# balance LOG: entries = returns for every function with both probes
# (wrappers that tail-call have no return site), except calls that do not
# come back, over a window where the workload starts after enabling and
# ends before disabling (--comm keeps only its hits).  A drop loses one
# entry or one return, so the differences add up to at most the drops:
# with no drop every function balances exactly.
balance() {
	awk -v drops="$(val $1 drops)" '
	     $1 ~ /^fbt:/ { split($1, a, ":"); c[a[3] ":" a[4]] = $2; f[a[3]] = 1 }
	     END { for (x in f) {
		if (x ~ /^__x64_sys_(exit|exit_group|execve|rt_sigreturn)$/) continue
		if (!((x ":return") in c) || !((x ":entry") in c)) continue
		e = c[x ":entry"]; r = c[x ":return"]
		if (e != r) { print "unbalanced " x, e, r; sum += e > r ? e - r : r - e }
		pairs++
	     }
	     print pairs " functions with both probes, entries and returns differ by " sum + 0 " in all, " drops " drops"
	     exit sum > drops || pairs < 3 }' $1 ||
		fail "entry and return counts differ by more than the drops"
}
# Records per CPU ring (the module's ring_pages; the consumer's --status).
ring_records() {
	x=$(pvfbt --status | sed -n 's/^ring: *\([0-9][0-9]*\) records .*/\1/p')
	[ "${x:-0}" -gt 0 ] || fail "no ring size in pvfbt --status" >&2
	echo $x
}
# rounds FIRINGS: rounds of the workload in each of 4 processes that make
# about FIRINGS probe firings of fbt::sys_*: (the firings of a round are
# measured once: not every system call's probes may be eligible; the
# measure counts start-up too, so the result errs low).
rounds() {
	[ -s $T/per ] || {
		pvfbt -q --count --comm workload -n 'fbt::sys_*:' -c "workload 1 100" >$T/mixed0 2>&1
		echo $(($(val $T/mixed0 hits) / 100)) >$T/per
	}
	[ "$(cat $T/per)" -gt 0 ] || fail "no hits in the calibration run" >&2
	echo $(($1 / $(cat $T/per) / 4 + 1))
}
uptime_s() { cut -d' ' -f1 /proc/uptime; }
alive() { echo alive >$T/alive && [ "$(cat $T/alive)" = alive ]; }
peek_syms="vfs_read vfs_write ksys_read __x64_sys_getppid __x64_sys_openat do_sys_openat2 __x64_sys_close"
snapshot() {
	for f in $peek_syms; do peek_sym $f 512; done >$1
}
# pvfbt's own holdings: sites and slots (kernel-wide memory is printed too,
# for the reader, but slab noise makes it no test).
mem() { pvfbt --status | awk '/^(slots|sites):/ { sub("/.*", "", $2); s = s $2 " " } END { print s }'; }
kmem() { awk '/^(Slab|VmallocUsed|Percpu):/ { s += $2 } END { print s " kB" }' /proc/meminfo; }

# Mixed system calls from 4 processes on 2 CPUs, every sys_* probe (entry
# and return), at full speed, sized to HITS firings.  Whether the consumer
# keeps up depends on the host (a vCPU thread the host does not run leaves
# the other CPU filling its ring): the accounting must be exact and the
# drops reported, not absent.
p_mixed() {
	iters=$(($(rounds "$HITS") * 11 / 10))	# 10% margin
	echo "$(cat $T/per) probe firings per round, $iters rounds in each of 4 processes"
	t0=$(uptime_s)
	# The consumer runs at a better priority than the 4 busy processes.
	prio -10 pvfbt -q --count --per-cpu --comm workload -n 'fbt::sys_*:' -c "workload 4 $iters" >$T/mixed 2>&1
	t1=$(uptime_s)
	result mixed-sys $T/mixed "$(echo "$t0 $t1" | awk '{ printf "%.1f", $2 - $1 }')"
	h=$(val $T/mixed hits)
	[ "$h" -ge "$HITS" ] || fail "only $h hits, wanted $HITS"
	echo "drops: $(val $T/mixed drops) of $h hits"
	balance $T/mixed
}

# No drop where none is possible: the same workload sized so that all its
# records fit in one CPU's ring (half of it, with the calibration's error
# well inside), so no ring fills even if one CPU takes every hit and the
# consumer never ran.  Zero drops and every function balanced, exactly,
# whatever the host does.
p_mixed_fit() {
	cap=$(ring_records)
	iters=$(rounds $((cap / 2)))
	echo "ring: $cap records per CPU; $iters rounds in each of 4 processes"
	t0=$(uptime_s)
	pvfbt -q --count --per-cpu --comm workload -n 'fbt::sys_*:' -c "workload 4 $iters" >$T/fit 2>&1
	t1=$(uptime_s)
	result mixed-fit $T/fit "$(echo "$t0 $t1" | awk '{ printf "%.1f", $2 - $1 }')"
	h=$(val $T/fit hits) f=$(val $T/fit filtered)
	[ $((h - f)) -gt $((cap / 4)) ] || fail "only $((h - f)) records wanted: the run is too short to mean much"
	[ $((h - f)) -le "$cap" ] || fail "$((h - f)) records wanted, more than a ring's $cap: the sizing is wrong"
	[ "$(val $T/fit drops)" = 0 ] || fail "$(val $T/fit drops) drops, with every record fitting in one ring"
	balance $T/fit
}

# Drops are reported: the consumer stopped (SIGSTOP) while the workload
# makes three times more records than all rings hold.  Every ring fills
# and then drops: per CPU, no more records than the ring holds, and a CPU
# that dropped wrote exactly a full ring; the accounting stays exact.
p_overflow() {
	cap=$(ring_records)
	cpus=$(pvfbt --status | sed -n 's/^cpus: *//p')
	iters=$(rounds $((3 * cpus * cap)))
	echo "ring: $cap records per CPU, $cpus CPUs; $iters rounds in each of 4 processes"
	pvfbt -q --count --per-cpu --comm workload -n 'fbt::sys_*:' -d 3000 >$T/over 2>&1 &
	p=$!
	wait_armed 60 || fail "never armed"
	kill -STOP $p
	w=0
	until [ "$(sed 's/.*) //' /proc/$p/stat | cut -d' ' -f1)" = T ]; do
		usleep 100000; w=$((w + 1))
		[ $w -lt 100 ] || { kill -9 $p; fail "consumer not stopped"; }
	done
	t0=$(uptime_s)
	workload 4 "$iters" >/dev/null
	t1=$(uptime_s)
	kill -CONT $p
	kill -INT $p
	wait $p || true
	result overflow $T/over "$(echo "$t0 $t1" | awk '{ printf "%.1f", $2 - $1 }')"
	h=$(val $T/over hits) f=$(val $T/over filtered) d=$(val $T/over drops)
	[ $((h - f)) -gt $((cpus * cap)) ] || fail "$((h - f)) records wanted, not more than the rings' $((cpus * cap)): the sizing is wrong"
	[ "$d" -gt 0 ] || fail "no drop reported"
	percpu $T/over | awk -v cap=$cap '
		{ print "cpu " $1 ": " $2 " hits, " $3 " records, " $4 " drops" }
		$3 > cap { print "cpu " $1 ": " $3 " records, more than the ring holds (" cap ")"; bad = 1 }
		$4 > 0 && $3 != cap { print "cpu " $1 ": dropped with " $3 " records, the ring holds " cap; bad = 1 }
		END { exit bad }' || fail "ring capacity"
	balance $T/over
}

# Every eligible entry probe at once, then every return probe.
p_all() {
	t0=$(uptime_s)
	pvfbt -q --count -n "fbt:::$1" -c 'workload 2 300' >$T/all-$1 2>&1
	t1=$(uptime_s)
	result "all-$1" $T/all-$1 "$(echo "$t0 $t1" | awk '{ printf "%.1f", $2 - $1 }')"
	p=$(events $T/all-$1 | cut -d' ' -f3)
	echo "probes armed at once: $p"
	[ "$p" -gt 20000 ] || fail "only $p probes"
	alive || fail "guest not responsive"
	[ "$(armed)" = 0 ] || fail "probes left armed"
}
p_all_entry() { p_all entry; }
p_all_return() { p_all return; }

# Enable/disable loops racing with hits on both CPUs.
p_enable_disable() {
	(while :; do workload 2 2000 >/dev/null; done) &
	load=$!
	i=0
	while [ $i -lt $((ROUNDS * 4)) ]; do
		pvfbt -q -n 'fbt::sys_*:' -n 'fbt::vfs_*:' -d 0.3 >$T/ed 2>&1 || { kill $load; fail "run $i: $(cat $T/ed)"; }
		[ "$(val $T/ed 'missed steps')" = 0 ] || { kill $load; fail "missed steps"; }
		i=$((i + 1))
	done
	kill $load; wait $load || true
	[ "$(armed)" = 0 ] || fail "probes left armed"
}

# The consumer killed with SIGKILL at random moments: text restored byte
# for byte, nothing armed, no memory kept.
p_sigkill() {
	snapshot $T/text0
	m0=$(mem)
	(while :; do workload 2 2000 >/dev/null; done) &
	load=$!
	i=0
	while [ $i -lt $ROUNDS ]; do
		pvfbt -q -n 'fbt::sys_*:' -n 'fbt::vfs_*:' -n 'fbt::do_sys_*:' -d 60 >/dev/null 2>&1 &
		p=$!
		wait_armed 60 || { kill $load; fail "never armed"; }
		usleep $((RANDOM % 1500000))
		kill -9 $p; wait $p || true
		[ "$(armed)" = 0 ] || { kill $load; fail "armed after SIGKILL $i"; }
		i=$((i + 1))
	done
	kill $load; wait $load || true
	snapshot $T/text1
	cmp $T/text0 $T/text1 || fail "kernel text differs after SIGKILLs"
	# Sites persist once made (reused by the next session); the same
	# probes killed again must not make more.
	m1=$(mem)
	echo "slots sites: $m0 before, $m1 after"
}

# rmmod while probes fire: refused while the consumer holds the device,
# then right after it is killed, with the workload still running.
p_rmmod() {
	(while :; do workload 2 2000 >/dev/null; done) &
	load=$!
	i=0
	while [ $i -lt $ROUNDS ]; do
		pvfbt -q -n 'fbt::sys_*:' -d 60 >/dev/null 2>&1 &
		p=$!
		wait_armed 60 || { kill $load; fail "never armed"; }
		if rmmod pvfbt 2>/dev/null; then kill $load; fail "rmmod while in use"; fi
		kill -9 $p; wait $p || true
		rmmod pvfbt || { kill $load; fail "rmmod $i"; }
		insmod /pvfbt.ko || { kill $load; fail "insmod $i"; }
		i=$((i + 1))
	done
	kill $load; wait $load || true
	alive || fail "guest not responsive"
}

# A probed module unloaded under its probes; a module loaded after the
# consumer started brings no probe.
p_module_cycle() {
	R=/sys/kernel/debug/pvfbt_test/run
	k0=$(kmem)
	i=0
	while [ $i -lt $ROUNDS ]; do
		lsmod | grep -q '^pvfbt_test ' || insmod /tests/pvfbt_test.ko
		pvfbt -q -n 'fbt:pvfbt_test::' -n 'fbt::sys_getppid:' -d 60 >$T/mc 2>&1 &
		p=$!
		wait_armed 60 || fail "never armed"
		a=$(armed)
		echo "multiret 2 500" >$R
		grep -q ' ok$' $R || fail "shape wrong under probes"
		rmmod pvfbt_test || fail "rmmod pvfbt_test $i"
		insmod /tests/pvfbt_test.ko || fail "insmod pvfbt_test $i"
		echo "multiret 1 500" >$R
		[ "$(armed)" -lt "$a" ] || fail "probes of the unloaded module still armed ($(armed) of $a)"
		kill -INT $p; wait $p || true
		grep -q ' missed steps 0' $T/mc || fail "missed steps"
		# The unloaded module's sites and slots were all given back:
		# every round ends where the first one did.
		m=$(mem)
		echo "round $i: slots sites: $m"
		[ $i = 0 ] && m0=$m
		[ "$m" = "$m0" ] || fail "pvfbt holds more sites or slots after round $i: $m, was $m0"
		i=$((i + 1))
	done
	echo "slab+vmalloc+percpu: $k0 before, $(kmem) after"
}

# Bad input: the ioctl fuzzer (4 threads), malformed specs, bad mappings,
# a non-root opener.  Errors only; nothing armed afterwards.
p_bad_input() {
	snapshot $T/text2
	ioctl-fuzz $((ROUNDS * 2000)) 7 || fail "ioctl-fuzz"
	for s in 'fbt:a:b:c:d' 'fbt::vfs_read:middle' 'kprobe::vfs_read:entry' ':::::' \
		 'fbt::vfs_read:entry:' "$(head -c 600 /dev/zero | tr '\0' a)"; do
		rc=0; pvfbt -n "$s" -d 1 >$T/bs 2>&1 || rc=$?
		[ $rc != 0 ] || fail "spec '$s' accepted"
		head -n 1 $T/bs
	done
	badmmap || fail "badmmap"
	rc=0; runas 65534 65534 pvfbt --status >$T/nr 2>&1 || rc=$?
	[ $rc != 0 ] && grep -q 'permission denied' $T/nr || fail "non-root opener"
	[ "$(armed)" = 0 ] || fail "bad input left probes armed"
	snapshot $T/text3
	cmp $T/text2 $T/text3 || fail "bad input changed kernel text"
}

insmod /pvfbt.ko || { echo "Bail out! insmod failed"; exit 1; }
insmod /tests/pvfbt_test.ko || { echo "Bail out! insmod pvfbt_test failed"; exit 1; }
phases=${STRESS_PHASES:-"mixed mixed_fit overflow all_entry all_return enable_disable sigkill rmmod module_cycle bad_input"}
echo "KTAP version 1"
echo "1..$(($(echo $phases | wc -w) + 1))"
for p in $phases; do run $p p_$p; done
lsmod | grep -q '^pvfbt_test ' && rmmod pvfbt_test
if rmmod pvfbt && [ ! -e /dev/pvfbt ]; then ok unload; else not_ok unload; fi
echo "# pvfbt stress ($mode): $((n - fails)) passed, $fails failed"
[ $fails = 0 ]
