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
# result NAME LOG SECONDS: check the accounting of one run and print it.
result() {
	set -- "$1" "$2" "$3" $(events "$2")
	h=$(val $2 hits) r=$(val $2 records) d=$(val $2 drops) f=$(val $2 filtered) m=$(val $2 "missed steps")
	echo "STRESS-RESULT {\"guest\":\"$mode\",\"phase\":\"$1\",\"hits\":$h,\"records\":$r,\"read\":$4,\"drops\":$d,\"filtered\":$f,\"missed_steps\":$m,\"probes\":$6,\"seconds\":$3}"
	[ "$4" = "$r" ] || fail "$1: consumer read $4 records, module wrote $r"
	[ "$h" = $((r + d + f)) ] || fail "$1: hits $h != records $r + drops $d + filtered $f"
	[ "$m" = 0 ] || fail "$1: $m missed steps"
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
# and return): exact accounting, and entries = returns for every function
# that returns, over a window where the workload starts after enabling and
# ends before disabling (--comm keeps only its hits).
p_mixed() {
	# Measure the firings per round first (not every syscall's probes may
	# be eligible), then size the run to reach HITS.
	pvfbt -q --count --comm workload -n 'fbt::sys_*:' -c "workload 1 100" >$T/mixed0 2>&1
	per=$(($(val $T/mixed0 hits) / 100))
	[ "$per" -gt 0 ] || fail "no hits in the calibration run"
	iters=$((HITS / per / 4 * 11 / 10 + 1))	# 10% margin: calibration counts start-up too
	echo "$per probe firings per round, $iters rounds in each of 4 processes"
	t0=$(uptime_s)
	# The consumer runs at a better priority than the 4 busy processes.
	prio -10 pvfbt -q --count --comm workload -n 'fbt::sys_*:' -c "workload 4 $iters" >$T/mixed 2>&1
	t1=$(uptime_s)
	result mixed-sys $T/mixed "$(echo "$t0 $t1" | awk '{ printf "%.1f", $2 - $1 }')"
	h=$(val $T/mixed hits)
	[ "$h" -ge "$HITS" ] || fail "only $h hits, wanted $HITS"
	[ "$(val $T/mixed drops)" = 0 ] || fail "drops in the mixed run"
	# entries = returns for every function with both probes (wrappers that
	# tail-call have no return site), except calls that do not come back
	awk '$1 ~ /^fbt:/ { split($1, a, ":"); c[a[3] ":" a[4]] = $2; f[a[3]] = 1 }
	     END { for (x in f) {
		if (x ~ /^__x64_sys_(exit|exit_group|execve|rt_sigreturn)$/) continue
		if (!((x ":return") in c) || !((x ":entry") in c)) continue
		if (c[x ":entry"] != c[x ":return"]) { print "MISMATCH " x, c[x ":entry"], c[x ":return"]; bad = 1 }
		pairs++
	     } print pairs " functions with entries = returns"; exit bad || pairs < 3 }' $T/mixed ||
		fail "entry and return counts differ"
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
phases=${STRESS_PHASES:-"mixed all_entry all_return enable_disable sigkill rmmod module_cycle bad_input"}
echo "KTAP version 1"
echo "1..$(($(echo $phases | wc -w) + 1))"
for p in $phases; do run $p p_$p; done
lsmod | grep -q '^pvfbt_test ' && rmmod pvfbt_test
if rmmod pvfbt && [ ! -e /dev/pvfbt ]; then ok unload; else not_ok unload; fi
echo "# pvfbt stress ($mode): $((n - fails)) passed, $fails failed"
[ $fails = 0 ]
