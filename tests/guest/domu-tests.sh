#!/bin/sh
# A PV domU's life while it is traced, KTAP output.  Runs in the domU of
# tests/vm/run --xen-domu (the dom0 runs xl for it: /tests/xl.sh).
#   sh /tests/domu-tests.sh [ok|fail]
# The argument says what xl migrate must do: succeed (a hypervisor with
# log-dirty mode, .cache/xen/4.17.5/xen.elf) or fail cleanly (Debian's
# current 4.17 build has shadow paging compiled out).  Default: from the
# hypervisor's version, 4.17.5 migrates, the others do not.
#
# Each test traces a loop of known length (getppid-loop in chunks of C
# calls, paced so that its records can never fill a ring whatever the
# host does) with fbt::sys_getppid: and a batch of other probes armed,
# while the dom0 saves and restores, pauses, removes and gives back a vCPU,
# or migrates the domU.  Then: the xl operation did what it should, the
# loop ran before, during and after it, every getppid call is one entry
# and one return (exact), every other function balances, nothing was
# dropped, no step was missed or late, and once the consumer has exited
# nothing is armed, no ring is left and the probed text is byte-identical
# to what it was before.
migrate=${1:-}
if [ -z "$migrate" ]; then
	case $(cat /sys/hypervisor/version/major).$(cat /sys/hypervisor/version/minor)$(cat /sys/hypervisor/version/extra) in
	4.17.5*) migrate=ok ;;
	*) migrate=fail ;;
	esac
fi
T=/tmp/pvfbt-domu
mkdir -p $T
. /tests/lib.sh
C=500
SPECS="-n fbt::sys_*: -n fbt::vfs_read: -n fbt::vfs_write: -n fbt::ksys_write:"
TEXT="__x64_sys_getppid __x64_sys_write vfs_read vfs_write ksys_write"

count_of() { awk -v p="$2" '$1 == p { print $2 }' "$1"; }
domid() { /usr/bin/xenstore-read domid 2>/dev/null; }
text() { for f in $TEXT; do peek_sym $f 256 || echo "$f: no peek"; done; }
ring_kib() { pvfbt --status | sed -n 's/^session memory: *\([0-9]*\) KiB (\([0-9]*\) rings)$/\1 \2/p'; }
export LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu:/lib/x86_64-linux-gnu

t_load() {
	[ -x /usr/bin/xenstore-read ] || fail "not a --xen-domu guest (no xenstore clients)"
	[ "$(cat /sys/hypervisor/guest_type)" = PV ] || fail "guest_type $(cat /sys/hypervisor/guest_type)"
	[ -n "$(domid)" ] && [ "$(domid)" != 0 ] || fail "domid '$(domid)'"
	insmod /pvfbt.ko || fail "insmod"
	insmod /tests/pvfbt_test.ko || fail "insmod pvfbt_test"
	pvfbt --status | grep -q '^environment: *xen-pv$' || fail "environment"
	echo "domU $(domid), Xen $(cat /sys/hypervisor/version/major).$(cat /sys/hypervisor/version/minor)$(cat /sys/hypervisor/version/extra), migration expected to: $migrate"
}

# The dom0 answers (no tracing): the channel the other tests use.
t_xl_channel() {
	sh /tests/xl.sh xl list >$T/list 2>&1 || { cat $T/list; fail "xl list"; }
	cat $T/list
	grep -q '^domu ' $T/list || fail "no domu in xl list"
}

# traced NAME COMMAND...: the loop traced across COMMAND (run in the domU
# once the loop has run a while); COMMAND's status is in $T/NAME.rc.
traced() {
	name=$1
	shift
	text >$T/$name.text0
	rm -f $T/stop $T/k
	echo 0 >$T/k
	echo 0 >$T/extra	# getppid calls COMMAND makes itself
	pvfbt --count --per-cpu --comm getppid-loop $SPECS >$T/$name 2>&1 &
	p=$!
	wait_armed 300 || { kill $p; wait $p; cat $T/$name; fail "never armed"; }
	# Chunks of C calls, 0.3 s apart: at most 2 records per call, 3,400
	# a second, so the consumer would have to be kept from running for
	# 19 s before one CPU's ring (65,536 records) could fill.
	(k=0; while [ ! -e $T/stop ]; do
		getppid-loop $C || { echo "getppid-loop failed" >$T/k; exit 1; }
		k=$((k + 1)); echo $k >$T/k
		sleep 0.3
	done) &
	l=$!
	until [ "$(cat $T/k)" -ge 3 ]; do sleep 0.2; done
	k0=$(cat $T/k) id0=$(domid)
	t0=$(cut -d' ' -f1 /proc/uptime)
	rc=0
	"$@" >$T/$name.out 2>&1 || rc=$?
	echo $rc >$T/$name.rc
	k1=$(cat $T/k) id1=$(domid)
	echo "$*: status $rc, domid $id0 -> $id1, $(cut -d' ' -f1 /proc/uptime) - $t0 s, chunks $k0 before, $k1 at the end"
	cat $T/$name.out
	# The loop goes on after it: three more chunks.
	w=0
	until [ "$(cat $T/k)" -ge $((k1 + 3)) ] || [ $w -ge 600 ]; do sleep 0.2; w=$((w + 1)); done
	touch $T/stop
	wait $l || { kill -INT $p; wait $p; fail "the loop failed: $(cat $T/k)"; }
	k=$(cat $T/k)
	[ "$k" -ge $((k1 + 3)) ] || fail "the loop stopped after the operation"
	kill -INT $p
	wait $p || { cat $T/$name; fail "the consumer failed"; }
	cat $T/$name
	n=$((k * C + $(cat $T/extra)))
	echo "$name: $k chunks of $C and $(cat $T/extra) more, $n getppid calls"
	e=$(count_of $T/$name fbt:vmlinux:__x64_sys_getppid:entry)
	r=$(count_of $T/$name fbt:vmlinux:__x64_sys_getppid:return)
	h=$(val $T/$name hits) rec=$(val $T/$name records) d=$(val $T/$name drops) f=$(val $T/$name filtered)
	# Shown whatever the outcome (lib.sh's run passes these lines on).
	echo "STRESS-RESULT {\"guest\":\"xen-domu\",\"phase\":\"$name\",\"op\":\"$*\",\"op_status\":$rc,\"domid\":\"$id0->$id1\",\"getppid_calls\":$n,\"getppid_entries\":${e:-0},\"getppid_returns\":${r:-0},\"hits\":$h,\"records\":$rec,\"drops\":$d,\"filtered\":$f,\"missed_steps\":$(val $T/$name 'missed steps'),\"late_steps\":$(val $T/$name 'late steps')}"
	[ "$e" = $n ] && [ "$r" = $n ] || fail "getppid: entries $e, returns $r, want $n each"
	[ "$d" = 0 ] || fail "$d records dropped"
	[ "$h" = $((rec + d + f)) ] || fail "hits $h != records $rec + drops $d + filtered $f"
	no_missed_steps $T/$name
	[ "$(val $T/$name 'late steps')" = 0 ] || fail "late steps: $(val $T/$name 'late steps')"
	c=$(awk '$1 ~ /^fbt:/ { s += $2 } END { print s + 0 }' $T/$name)
	[ "$c" = "$rec" ] || fail "the count table sums to $c, the module wrote $rec records"
	# Every other function the loop entered came back as often (execve
	# starts under another comm, exit_group does not return).
	awk '$1 ~ /^fbt:/ { split($1, a, ":"); c[a[3] ":" a[4]] = $2; f[a[3]] = 1 }
	     END { for (x in f) {
		if (x ~ /^__x64_sys_(exit|exit_group|execve|rt_sigreturn)$/) continue
		if (!((x ":return") in c) || !((x ":entry") in c)) continue
		if (c[x ":entry"] != c[x ":return"]) { print "unbalanced " x, c[x ":entry"], c[x ":return"]; bad = 1 }
		pairs++ }
	     print pairs " functions with both probes"
	     exit bad || pairs < 3 }' $T/$name || fail "entries and returns differ"
	[ "$(armed)" = 0 ] || fail "probes still armed"
	[ "$(ring_kib)" = "0 0" ] || fail "rings left: $(ring_kib)"
	text >$T/$name.text1
	cmp -s $T/$name.text0 $T/$name.text1 || fail "the probed text differs from before"
}

t_save_restore() {
	traced sr sh /tests/xl.sh save-restore
	[ "$(cat $T/sr.rc)" = 0 ] || fail "xl save/restore failed"
}

t_pause() {
	traced pause sh /tests/xl.sh pause 5
	[ "$(cat $T/pause.rc)" = 0 ] || fail "xl pause/unpause failed"
}

# xl vcpu-set takes cpu1 away (the domU's kernel offlines it on the
# xenstore request), then gives it back (present again; onlining is the
# guest's choice: done here), and the loop runs on it.
vcpu_cycle() {
	O=/sys/devices/system/cpu/cpu1/online
	sh /tests/xl.sh vcpu-set 1 || return 1
	w=0; while [ "$(cat $O 2>/dev/null)" = 1 ] && [ $w -lt 300 ]; do sleep 0.2; w=$((w + 1)); done
	[ "$(cat $O 2>/dev/null)" != 1 ] || { echo "cpu1 still online"; return 1; }
	echo "cpu1 offline: $(cat /sys/devices/system/cpu/online) online"
	sh /tests/xl.sh vcpu-set 2 || return 1
	w=0; while ! echo 1 >$O 2>/dev/null && [ $w -lt 300 ]; do sleep 0.2; w=$((w + 1)); done
	[ "$(cat $O)" = 1 ] || { echo "cpu1 did not come back"; return 1; }
	echo "cpu1 back: $(cat /sys/devices/system/cpu/online) online"
	taskset 2 getppid-loop 3000 || return 1
	echo 3000 >$T/extra
}

t_vcpu_set() {
	[ -e /sys/devices/system/cpu/cpu1 ] || fail "the domU has one vCPU (run with --smp 2 or more)"
	traced vcpu vcpu_cycle
	[ "$(cat $T/vcpu.rc)" = 0 ] || fail "the vCPU cycle failed"
	# cpu1 came back and was traced: its 3,000 calls are there (at least
	# those; the loop's chunks may have run on it too).
	r1=$(sed -n 's/^pvfbt: cpu 1: hits [0-9]*, records \([0-9]*\),.*/\1/p' $T/vcpu)
	[ -n "$r1" ] && [ "$r1" -ge 6000 ] || fail "cpu1 wrote '$r1' records, want at least 6000"
}

t_migrate() {
	traced mig sh /tests/xl.sh migrate
	rc=$(cat $T/mig.rc)
	if [ $migrate = ok ]; then
		[ "$rc" = 0 ] || fail "xl migrate failed"
	else
		[ "$rc" != 0 ] || fail "xl migrate succeeded where it should not"
		grep -qi 'logdirty\|log-dirty\|log dirty' $T/mig.out || fail "xl migrate failed, but not for log-dirty mode"
		echo "xl migrate failed cleanly (exit $rc); the domU stayed and traced"
	fi
}

# pvfbt's memory in a small domU (make check runs this suite in a 256 MiB
# domU with maxvcpus=8 and 2 vCPUs): at rest, and in a session with every
# system call armed, where the rings are one per CPU online, not per
# possible CPU.  The figures are printed (STRESS-RESULT footprint).
meminfo() { awk -v k="$1:" '$1 == k { print $2 }' /proc/meminfo; }
t_footprint() {
	pvfbt -l -n 'fbt::sys_getppid:' >/dev/null	# the catalogue built
	pvfbt --status | tee $T/fs
	rest=$(sed -n 's/^memory at rest: *\([0-9]*\) KiB.*/\1/p' $T/fs)
	ring=$(sed -n 's/^ring:.*(\([0-9]*\) bytes mapped)$/\1/p' $T/fs)
	online=$(grep -c '^processor' /proc/cpuinfo)
	possible=$(cat /sys/devices/system/cpu/possible)
	total=$(meminfo MemTotal) avail0=$(meminfo MemAvailable)
	[ "$(ring_kib)" = "0 0" ] || fail "rings at rest: $(ring_kib)"
	pvfbt -q -n 'fbt::sys_*:' -d 600 >$T/fp 2>&1 &
	p=$!
	wait_armed 300 || { kill $p; wait $p; cat $T/fp; fail "never armed"; }
	set -- $(ring_kib)
	kib=$1 rings=$2 armed=$(armed) avail1=$(meminfo MemAvailable)
	getppid-loop 1000
	kill -INT $p
	wait $p || { cat $T/fp; fail "the consumer failed"; }
	avail2=$(meminfo MemAvailable)
	echo "STRESS-RESULT {\"guest\":\"xen-domu\",\"phase\":\"footprint\",\"mem_total_kib\":$total,\"cpus_possible\":\"$possible\",\"cpus_online\":$online,\"at_rest_kib\":$rest,\"probes_armed\":$armed,\"session_kib\":$kib,\"rings\":$rings,\"ring_bytes\":$ring,\"available_kib_before\":$avail0,\"available_kib_during\":$avail1,\"available_kib_after\":$avail2}"
	[ "$rings" = "$online" ] || fail "$rings rings for $online online cpus ($possible possible)"
	[ "$kib" -le $(((online * ring + 1048576) / 1024)) ] || fail "session memory $kib KiB for $online rings of $ring bytes"
	# Sensible in 256 MiB: under 16 MiB at rest (catalogue, sites, slots),
	# and a session leaves the domU most of its memory.
	[ "$rest" -lt 16384 ] || fail "memory at rest $rest KiB"
	[ "$avail1" -gt $((total / 4)) ] || fail "$avail1 KiB available during the session, of $total"
	[ "$(ring_kib)" = "0 0" ] || fail "rings left after the session: $(ring_kib)"
	[ $((avail0 - avail2)) -lt 8192 ] || fail "$((avail0 - avail2)) KiB less available after the session"
}

t_unload() {
	rmmod pvfbt_test || fail "rmmod pvfbt_test"
	rmmod pvfbt || fail "rmmod"
	[ ! -e /dev/pvfbt ] || fail "/dev/pvfbt left behind"
}

tests="load xl_channel footprint save_restore pause vcpu_set migrate unload"
tests=${PVFBT_TESTS:-$tests}
ktap_run "pvfbt domU tests (migration: $migrate)" $tests
