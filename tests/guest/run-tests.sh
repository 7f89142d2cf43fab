#!/bin/sh
# In-guest tests for pvfbt, KTAP output (kselftest conventions).
#   sh /tests/run-tests.sh native|xen-pv|xen-domu
# Runs as root with pvfbt.ko not loaded; leaves it unloaded.  xen-domu: a
# PV domU (tests/vm/run --xen-domu), where pvfbt's environment is xen-pv.
expect_env=${1:?expected environment: native, xen-pv or xen-domu}
guest=$expect_env
[ "$guest" != xen-domu ] || expect_env=xen-pv
# getppid_exact: 2 * N records must fit one CPU's ring (65,536 by default)
# so that "0 dropped" holds however slowly the consumer runs (a busy host);
# the stress suite measures what the consumer sustains.
N=${GETPPID_N:-30000}
# PVFBT_FORCE_INT3=1: every load with force_int3=1 (every site by int3: the
# exactness tests' second cell, tests/check.sh).
INSMOD_ARGS=${PVFBT_FORCE_INT3:+force_int3=1}
T=/tmp/pvfbt-tests
mkdir -p $T
. /tests/lib.sh
# The sched_switch hook in place once and for all, before anything runs
# (make check does it from boot: see tests/check.sh), so that the trace
# events and function tracer of the coexistence tests never patch
# __schedule() while they run.
E=/sys/kernel/tracing/events/sched/sched_kthread_stop/enable
[ ! -w $E ] || [ "$(cat $E)" = 1 ] || echo 1 >$E

count_of() { awk -v p="$2" '$1 == p { print $2 }' "$1"; }

t_load() {
	insmod /pvfbt.ko $INSMOD_ARGS || fail "insmod"
	[ -c /dev/pvfbt ] || fail "no /dev/pvfbt"
	ls -l /dev/pvfbt | grep -q '^crw-------' || fail "/dev/pvfbt is not 0600: $(ls -l /dev/pvfbt)"
	grep -q '^pvfbt ' /proc/modules || fail "not in /proc/modules"
	# Ownership checks read kprobes' table once per batch (ksyms.c): the
	# fallback, a lookup per address, is for kernels laid out otherwise.
	if dmesg | grep -q "pvfbt: kprobes' table not found"; then
		fail "kprobes' table not found on this kernel"
	fi
}

t_environment() {
	pvfbt --status | tee $T/status
	grep -q "^environment: *$expect_env\$" $T/status || fail "expected $expect_env"
	grep -q "^abi version: *8\$" $T/status || fail "abi version"
	if [ "$expect_env" = xen-pv ]; then
		[ "$(cat /sys/hypervisor/type)" = xen ] || fail "/sys/hypervisor/type"
	else
		[ ! -e /sys/hypervisor/type ] || [ "$(cat /sys/hypervisor/type)" != xen ] || fail "native guest sees xen"
	fi
}

t_nonroot_refused() {
	if runas 65534 65534 pvfbt --status >$T/nr 2>&1; then fail "nobody got a status"; fi
	cat $T/nr
	grep -q "permission denied" $T/nr || fail "no clear message"
	# Without CAP_SYS_ADMIN even a world-writable node refuses the opener.
	chmod 666 /dev/pvfbt
	if runas 65534 65534 pvfbt --status >$T/nr2 2>&1; then chmod 600 /dev/pvfbt; fail "capability not checked"; fi
	chmod 600 /dev/pvfbt
	grep -q "permission denied" $T/nr2 || fail "no clear message (0666)"
}

t_bad_specs() {
	rc=0; pvfbt -n 'fbt:a:b:c:d' -d 1 >$T/b1 2>&1 || rc=$?
	cat $T/b1
	[ $rc = 2 ] || fail "malformed spec: exit $rc"
	rc=0; pvfbt -n 'fbt::no_such_function_pvfbt:' -d 1 >$T/b2 2>&1 || rc=$?
	cat $T/b2
	[ $rc = 1 ] && grep -q "no probes match" $T/b2 || fail "unmatched spec: exit $rc"
	rc=0; pvfbt -n 'fbt::sys_getppid:middle' -d 1 >$T/b3 2>&1 || rc=$?
	cat $T/b3
	[ $rc = 2 ] || fail "bad probe name: exit $rc"
	pvfbt --status | grep -q '^probes armed: *0$' || fail "something was armed"
}

t_getppid_exact() {
	# Exactly the user's command: no filter; -c runs the program directly.
	pvfbt --count -n 'fbt::sys_getppid:' -c "getppid-loop $N" >$T/g 2>&1
	cat $T/g
	e=$(count_of $T/g fbt:vmlinux:__x64_sys_getppid:entry)
	r=$(count_of $T/g fbt:vmlinux:__x64_sys_getppid:return)
	[ "$e" = "$N" ] || fail "entries $e, want $N"
	[ "$r" = "$N" ] || fail "returns $r, want $N"
	grep -q " 0 dropped," $T/g || fail "drops"
	no_missed_steps $T/g
	# How they came: every one by jump (the entry is a jump entry on both
	# lines: "push %rbx; call", the call pushed as the original one), or
	# every one by int3.
	if [ -n "$INSMOD_ARGS" ]; then
		grep -q ' jumped 0, called 0$' $T/g || fail "force_int3: some hits did not trap"
	else
		grep -q " jumped $((2 * N)), called 0\$" $T/g || fail "want $N entries and $N returns by jump"
	fi
}

# Return probes reached by a jump, no trap (arch/x86/jret.c): a 5-byte
# return site ("ret; int3 x4", or "jmp <return thunk>" in the return-thunk
# cell and in 6.1's fixture) is "jmp stub" while armed.  Every return counts
# with no trap (jumped = returns, nothing emulated, stepped or boosted), -l -v
# and --status say so, the text is the jump while armed and the original
# byte for byte after; with force_int3=1 the same runs trap and jump nothing.
jr_run() {	# jr_run TAG WANT_JUMPED: getppid N times, the fixture's three returns
	pvfbt --count -n 'fbt::sys_getppid:return' -c "getppid-loop $N" >$T/jr.$1 2>&1
	echo "for a in 0 1 2; do echo \"multiret \$a 500\" >$R; done" >$T/jr.sh
	pvfbt --count -n 'fbt:pvfbt_test:pvfbt_test_multiret:return' -c "sh $T/jr.sh" >$T/jr.$1.m 2>&1
	cat $T/jr.$1 $T/jr.$1.m
	[ "$(count_of $T/jr.$1 fbt:vmlinux:__x64_sys_getppid:return)" = "$N" ] || fail "$1: getppid returns"
	[ "$(count_of $T/jr.$1.m fbt:pvfbt_test:pvfbt_test_multiret:return)" = 1500 ] || fail "$1: multiret returns"
	for f in $T/jr.$1 $T/jr.$1.m; do
		grep -q " 0 dropped," $f || fail "$1: drops"
		no_missed_steps $f
	done
	[ "$(val $T/jr.$1 hits)" = "$N" ] || fail "$1: hits $(val $T/jr.$1 hits), want $N"
	[ "$(val $T/jr.$1.m hits)" = 1500 ] || fail "$1: hits $(val $T/jr.$1.m hits), want 1500"
	[ "$(($(val $T/jr.$1 jumped) + $(val $T/jr.$1.m jumped)))" = "$2" ] ||
		fail "$1: jumped $(val $T/jr.$1 jumped) + $(val $T/jr.$1.m jumped), want $2"
}
# Entry probes reached by ftrace's call, no trap (arch/x86/fcall.c): with
# getppid's entry and return armed, N calls give N entries by call and N
# returns by jump, nothing trapped; ftrace lists the function while armed
# (enabled_functions) and not after; -l -v and --status say so; the text is
# the original after.  fcall_max=0, or more entries in one enable than
# fcall_max: every entry by int3, with the same counts.
t_call_entries() {
	KT=/sys/kernel/tracing
	[ -r $KT/enabled_functions ] || mount -t tracefs nodev $KT 2>/dev/null || :
	M=/sys/module/pvfbt/parameters/fcall_max
	max0=$(cat $M)
	[ "$max0" = 0 ] || fail "fcall_max is $max0 by default, want 0 (fcall.c)"
	# Off by default: the entries of the whole test by a jump (jent.c; a
	# call entry only if asked for).
	pvfbt -l -v -n 'fbt::sys_getppid:entry' >$T/cl0 2>&1 || :
	grep -qE ' __x64_sys_getppid entry  *ok  via jump' $T/cl0 || fail "fcall_max=0: -l -v not via jump"
	echo 2048 >$M
	grep -q '^pvfbt_test ' /proc/modules || insmod /tests/pvfbt_test.ko || { echo 0 >$M; fail "insmod pvfbt_test"; }
	( ce_run ) || { echo 0 >$M; fail "call entries"; }
	echo 0 >$M
}
ce_run() {
	max0=2048
	g0=$(peek_sym __x64_sys_getppid 64) || fail "peek"
	pvfbt --count -n 'fbt::sys_getppid:' -c "getppid-loop $N" >$T/ce 2>&1
	cat $T/ce
	[ "$(count_of $T/ce fbt:vmlinux:__x64_sys_getppid:entry)" = "$N" ] || fail "entries"
	[ "$(count_of $T/ce fbt:vmlinux:__x64_sys_getppid:return)" = "$N" ] || fail "returns"
	grep -q " 0 dropped," $T/ce || fail "drops"
	grep -q "hits $((2 * N)), .* stepped 0, emulated 0, boosted 0, unstepped 0, jumped $N, called $N\$" $T/ce ||
		fail "not every entry by call and every return by jump"
	# While armed.
	pvfbt -q -n 'fbt::sys_getppid:entry' -d 600 >$T/cq 2>&1 &
	p=$!
	wait_armed 180 || { kill -INT $p; fail "never armed"; }
	pvfbt -l -v -n 'fbt::sys_getppid:entry' >$T/cl 2>&1 || :
	pvfbt --status >$T/cs
	cat $KT/enabled_functions >$T/cf 2>&1 || :
	kill -INT $p; wait $p || fail "the session failed: $(cat $T/cq)"
	cat $T/cl $T/cs
	grep -qE ' __x64_sys_getppid entry  *armed  via call' $T/cl || fail "-l -v: not armed via call"
	grep -qE '^mechanisms: +1 entries armed as a call' $T/cs || fail "--status: not 1 call entry"
	# (ftrace may name it by an alias at the same address: __do_sys_getppid)
	grep -qE '^[_a-z]*sys_getppid \(' $T/cf || fail "ftrace does not list __x64_sys_getppid: $(head -5 $T/cf)"
	! grep -qE '^[_a-z]*sys_getppid \(' $KT/enabled_functions || fail "still in ftrace after the session"
	pvfbt --status | grep -qE '^mechanisms: +0 entries' || fail "--status: call entries left"
	[ "$(peek_sym __x64_sys_getppid 64)" = "$g0" ] || fail "getppid's text changed"
	# More entries in one enable than fcall_max: none by call (getppid's
	# by its jump).
	echo 2 >$M
	pvfbt --count -n 'fbt::sys_getppid:entry' -n 'fbt::sys_getpid:entry' -n 'fbt::sys_gettid:entry' \
		-c "getppid-loop $N" >$T/ci 2>&1 || :
	echo "$max0" >$M
	cat $T/ci
	[ "$(count_of $T/ci fbt:vmlinux:__x64_sys_getppid:entry)" = "$N" ] || fail "fallback: entries"
	grep -q " jumped $N, called 0\$" $T/ci || fail "3 entries over fcall_max=2: not every getppid entry by its jump"
	[ "$(peek_sym __x64_sys_getppid 64)" = "$g0" ] || fail "getppid's text not restored (fallback)"
}

t_jump_returns() {
	grep -q '^pvfbt_test ' /proc/modules || insmod /tests/pvfbt_test.ko || fail "insmod pvfbt_test"
	R=/sys/kernel/debug/pvfbt_test/run
	F=/sys/module/pvfbt/parameters/force_int3
	[ "$(cat $F)" = N ] || fail "force_int3 is on by default"
	pvfbt -l -v -n 'fbt::sys_getppid:' -n 'fbt:pvfbt_test:pvfbt_test_multiret:' >$T/jl 2>&1
	cat $T/jl
	for p in '__x64_sys_getppid entry  *ok  via jump' '__x64_sys_getppid return  *ok  via jump' \
		 'pvfbt_test_multiret return  *ok  via jump'; do
		grep -qE " $p(  .*)?\$" $T/jl || fail "-l -v: not '$p'"
	done
	g0=$(peek_sym __x64_sys_getppid 64) && m0=$(peek_sym pvfbt_test_multiret 128) || fail "peek"
	jr_run jump $((N + 1500))
	for f in $T/jr.jump $T/jr.jump.m; do
		grep -q 'stepped 0, emulated 0, boosted 0, unstepped 0, jumped' $f || fail "a jump return trapped: $f"
	done
	[ "$(peek_sym __x64_sys_getppid 64)" = "$g0" ] || fail "getppid's text not restored"
	[ "$(peek_sym pvfbt_test_multiret 128)" = "$m0" ] || fail "multiret's text not restored"
	# While armed: the text is the jump, --status counts the sites.
	pvfbt -q -n 'fbt::sys_getppid:return' -n 'fbt:pvfbt_test:pvfbt_test_multiret:return' -d 600 >$T/jq 2>&1 &
	p=$!
	wait_armed 180 || { kill -INT $p; fail "never armed"; }
	pvfbt --status >$T/js; cat $T/js
	[ "$(peek_sym __x64_sys_getppid 64)" != "$g0" ] || { kill -INT $p; fail "getppid's text unchanged while armed"; }
	kill -INT $p; wait $p || fail "the session failed: $(cat $T/jq)"
	grep -qE '^mechanisms: .* 4 sites as a jump' $T/js || fail "--status: not 4 jump sites"
	pvfbt --status | grep -qE '^mechanisms: .* 0 sites as a jump' || fail "--status: jump sites left"
	# Forced int3: the same counts, by trap.
	echo 1 >$F
	pvfbt -l -v -n 'fbt::sys_getppid:return' >$T/jl1 2>&1 || :
	grep -qE ' __x64_sys_getppid return  *ok  via int3' $T/jl1 || { echo 0 >$F; fail "force_int3: -l -v not via int3"; }
	( jr_run int3 0 ) || { echo 0 >$F; fail "force_int3 run"; }
	echo 0 >$F
	[ "$(val $T/jr.int3 emulated)" = $N ] && [ "$(val $T/jr.int3.m emulated)" = 1500 ] ||
		fail "force_int3: not every return emulated"
	[ "$(peek_sym __x64_sys_getppid 64)" = "$g0" ] || fail "getppid's text not restored (int3)"
}

# Entry probes reached by a jump, no trap (arch/x86/jent.c): the first
# instructions after the fentry nop, at least 5 bytes of them (getppid's
# "push %rbx; call", the call pushed as the original one; vfs_read's
# pushes), run in a detour that a jump at the entry site leads to.  Armed
# by int3 first, the jump follows after a grace period of RCU-tasks and the
# consumer waits for it.  Every entry counts with no trap, vfs_read's
# arguments are the caller's, the text is "jmp" then int3 to the range's
# end while armed and the original byte for byte after; with force_int3=1
# the same counts by trap, each hit running the same detour (boosted).
je_hex() { echo "$1" | cut -c$((2 * $2 + 1))-$((2 * $2 + 2)); }	# je_hex HEX OFFSET: that byte
t_jump_entries() {
	grep -q '^pvfbt_test ' /proc/modules || insmod /tests/pvfbt_test.ko || fail "insmod pvfbt_test"
	F=/sys/module/pvfbt/parameters/force_int3
	pvfbt -l -v -n 'fbt::sys_getppid:entry' -n 'fbt::vfs_read:entry' >$T/el 2>&1
	cat $T/el
	for p in '__x64_sys_getppid entry  *ok  via jump' 'vfs_read entry  *ok  via jump'; do
		grep -qE " $p(  .*)?\$" $T/el || fail "-l -v: not '$p'"
	done
	eo=$(entry_off __x64_sys_getppid)
	g0=$(peek_sym __x64_sys_getppid 64) && v0=$(peek_sym vfs_read 64) || fail "peek"
	# While armed: the jump, int3 over the rest of the range, the rest as it was.
	pvfbt -q -n 'fbt::sys_getppid:entry' -n 'fbt::vfs_read:entry' -d 600 >$T/eq 2>&1 &
	p=$!
	wait_armed 180 || { kill -INT $p; fail "never armed"; }
	w=0
	while ! pvfbt --status | grep -qE '^jumps waiting: +0 ' && [ $w -lt 300 ]; do sleep 0.1; w=$((w + 1)); done
	pvfbt --status >$T/es
	g1=$(peek_sym __x64_sys_getppid 64)
	kill -INT $p; wait $p || fail "the session failed: $(cat $T/eq)"
	cat $T/es
	echo "# getppid: $g0"
	echo "# armed:   $g1"
	grep -qE '^mechanisms: .* 2 sites as a jump' $T/es || fail "--status: not 2 jump sites"
	[ "$(je_hex "$g1" $eo)" = e9 ] || fail "entry site byte $(je_hex "$g1" $eo) while armed, want e9"
	k=$((eo + 5)) cc=0
	while [ "$(je_hex "$g1" $k)" != "$(je_hex "$g0" $k)" ]; do
		[ "$(je_hex "$g1" $k)" = cc ] || fail "byte $k is $(je_hex "$g1" $k) while armed, want int3 or the original"
		k=$((k + 1)) cc=$((cc + 1))
	done
	[ $cc -le 11 ] || fail "$cc int3 after the jump: a range is at most 16 bytes"
	[ "$(echo "$g1" | cut -c$((2 * (eo + 16) + 1))-)" = "$(echo "$g0" | cut -c$((2 * (eo + 16) + 1))-)" ] ||
		fail "bytes past the range changed"
	pvfbt --status | grep -qE '^mechanisms: .* 0 sites as a jump' || fail "--status: jump sites left"
	[ "$(peek_sym __x64_sys_getppid 64)" = "$g0" ] || fail "getppid's text not restored"
	# Exact counts, no trap.
	pvfbt --count -n 'fbt::sys_getppid:' -c "getppid-loop $N" >$T/ej 2>&1
	cat $T/ej
	[ "$(count_of $T/ej fbt:vmlinux:__x64_sys_getppid:entry)" = "$N" ] || fail "entries"
	[ "$(count_of $T/ej fbt:vmlinux:__x64_sys_getppid:return)" = "$N" ] || fail "returns"
	grep -q "hits $((2 * N)), .* stepped 0, emulated 0, boosted 0, unstepped 0, jumped $((2 * N)), called 0\$" $T/ej ||
		fail "not every hit by jump"
	# The arguments, through the trampoline's registers.
	head -c 300 /dev/zero | tr '\0' x >$T/data
	PVFBT_BTF_DIR=/nonexistent pvfbt --comm readn -n 'fbt::vfs_read:entry' -c "readn $T/data 123" >$T/ea 2>&1
	cat $T/ea
	grep -qE 'vfs_read:entry +0x[0-9a-f]+ 0x[0-9a-f]+ 0x7b ' $T/ea || fail "no vfs_read entry with count = 0x7b"
	grep -q ' jumped 1, called 0$' $T/ea || fail "the readn entry not by jump"
	[ "$(peek_sym vfs_read 64)" = "$v0" ] || fail "vfs_read's text not restored"
	# Forced int3: the same counts by trap, each running the detour.
	echo 1 >$F
	pvfbt --count -n 'fbt::sys_getppid:' -c "getppid-loop $N" >$T/ei 2>&1 || :
	echo 0 >$F
	cat $T/ei
	[ "$(count_of $T/ei fbt:vmlinux:__x64_sys_getppid:entry)" = "$N" ] || fail "force_int3: entries"
	grep -q "stepped 0, emulated $N, boosted $N, unstepped 0, jumped 0, called 0\$" $T/ei ||
		fail "force_int3: want $N entries boosted through the detour, $N returns emulated"
	[ "$(peek_sym __x64_sys_getppid 64)" = "$g0" ] || fail "getppid's text not restored (int3)"
}

t_read_args() {
	head -c 300 /dev/zero | tr '\0' x >$T/data
	# The raw registers: as without kernel BTF (t_btf_args: typed).
	PVFBT_BTF_DIR=/nonexistent pvfbt --comm readn -n 'fbt::ksys_read:' -c "readn $T/data 123" >$T/r 2>&1
	cat $T/r
	grep -q '^read=123$' $T/r || fail "readn did not read 123 bytes"
	[ "$(grep -c 'no kernel BTF' $T/r)" = 1 ] || fail "no BTF not said once"
	# entry args: fd buf count -> the third is 123 (0x7b)
	grep -qE 'ksys_read:entry +0x[0-9a-f]+ 0x[0-9a-f]+ 0x7b ' $T/r || fail "no entry with arg2 = 0x7b"
	grep 'ksys_read:return' $T/r | grep -q '= 0x7b (123)' || fail "no return of 123"
	no_missed_steps $T/r
}

# Arguments named and typed from the kernel's BTF (/sys/kernel/btf/vmlinux):
# the one read(fd, buf, 832) of readn is vfs_read(..., count=832, ...) and
# returns 832; -l -v shows the C prototype.
t_btf_args() {
	[ -r /sys/kernel/btf/vmlinux ] || fail "no /sys/kernel/btf/vmlinux"
	head -c 2000 /dev/zero | tr '\0' x >$T/data
	pvfbt -n 'fbt::vfs_read:' -c "readn $T/data 832" >$T/ba 2>&1
	grep -E 'readn|pvfbt:' $T/ba
	grep -q '^read=832$' $T/ba || fail "readn did not read 832 bytes"
	! grep -q 'BTF' $T/ba || fail "no BTF used"
	c=$(grep -cE ' readn +fbt:vmlinux:vfs_read:entry  vfs_read\(file=0xff[0-9a-f]{14}, buf=0x[0-9a-f]+, count=832, pos=0xff[0-9a-f]{14}\)$' $T/ba || true)
	[ "$c" = 1 ] || fail "$c entries of readn with count=832, want 1"
	c=$(grep -cE ' readn +fbt:vmlinux:vfs_read:return  = 832$' $T/ba || true)
	[ "$c" = 1 ] || fail "$c returns of readn = 832, want 1"
	! grep -E ' readn +fbt:vmlinux:vfs_read:' $T/ba | grep -q ' 0x[0-9a-f]* 0x' || fail "raw registers printed"
	pvfbt --json -n 'fbt::vfs_read:' -c "readn $T/data 832" >$T/bj 2>&1
	c=$(grep '"comm":"readn","probe":"fbt:vmlinux:vfs_read:entry"' $T/bj | grep -cE '"args":\[[0-9]+,[0-9]+,832,[0-9]+,[0-9]+,[0-9]+\],"argv":\{"file":"0xff[0-9a-f]{14}","buf":"0x[0-9a-f]+","count":832,"pos":"0xff[0-9a-f]{14}"\}' || true)
	[ "$c" = 1 ] || { grep readn $T/bj; fail "$c JSON entries with argv.count 832, want 1"; }
	c=$(grep '"comm":"readn","probe":"fbt:vmlinux:vfs_read:return"' $T/bj | grep -c '"retval":832,"ret":832' || true)
	[ "$c" = 1 ] || { grep readn $T/bj; fail "$c JSON returns with ret 832, want 1"; }
	pvfbt -l -v -n fbt::vfs_read:entry >$T/bl 2>&1
	cat $T/bl
	grep -qE '^ +[0-9]+ +fbt +vmlinux +vfs_read +entry +ok  via (jump|int3)  ssize_t vfs_read\(struct file \*file, char \*buf, size_t count, loff_t \*pos\)$' $T/bl ||
		fail "no prototype of vfs_read in -l -v"
	[ "$(wc -l <$T/bl)" = 2 ] || fail "-l -v said more than the header and the probe"
}

# System calls print as strace prints them: arguments from the user's
# registers, strings copied by the module, errno names (issue 15).
# ret_after FILE STRING: what the first return after the first line holding
# STRING says ("= 3"); one thread runs there: the next return is its.
ret_after() {
	awk -v s="$2" 'index($0, s) { on = 1; next }
		on && /:return  / { sub(/.*:return  /, ""); print; exit }' "$1"
}

t_syscall_args() {
	O='fbt:vmlinux:__x64_sys_openat'
	pvfbt --comm cat -n 'fbt::sys_openat:' -c 'cat /etc/passwd' >$T/o 2>&1
	cat $T/o
	grep -q '^root:' $T/o || fail "cat printed no /etc/passwd"
	[ "$(grep -cE "$O:entry  openat\(dfd=AT_FDCWD, filename=\"/etc/passwd\", flags=O_RDONLY([|]O_LARGEFILE)?, mode=0\)$" $T/o)" = 1 ] ||
		fail "not one openat entry naming /etc/passwd"
	ret_after $T/o 'filename="/etc/passwd"' | grep -Eqx '= [3-9]' || fail "no descriptor returned"
	pvfbt --comm cat -n 'fbt::sys_openat:' -c 'cat /nonexistent' >$T/n 2>&1 || :
	cat $T/n
	grep -q 'filename="/nonexistent"' $T/n || fail "no /nonexistent"
	[ "$(ret_after $T/n 'filename="/nonexistent"')" = "= -2 ENOENT" ] || fail "no ENOENT return"
	# A path longer than the module keeps (256 bytes): cut and marked.
	x=$(printf '%0250d' 0 | tr 0 x)
	pvfbt --comm sysargs -n 'fbt::sys_openat:' -c 'sysargs long 300' >$T/l 2>&1
	cat $T/l
	grep -q '^errno=ENAMETOOLONG$' $T/l || fail "sysargs long"
	grep -q "filename=\"/tmp/${x}x\"\.\.\., flags=O_RDONLY|O_CLOEXEC" $T/l ||
		fail "long path not cut at 256 bytes with ..."
	[ "$(ret_after $T/l 'filename="/tmp/xxx')" = "= -36 ENAMETOOLONG" ] || fail "no ENAMETOOLONG return"
	# Unreadable: not mapped, and mapped but never touched (the copy
	# cannot fault the page in; the kernel's own copy does).
	pvfbt --comm sysargs -n 'fbt::sys_openat:' -c 'sysargs badptr' >$T/b 2>&1
	cat $T/b
	grep -q "filename=0x8 (unreadable: EFAULT)" $T/b || fail "bad pointer"
	[ "$(ret_after $T/b 'filename=0x8 ')" = "= -14 EFAULT" ] || fail "no EFAULT return"
	pvfbt --comm sysargs -n 'fbt::sys_openat:' -c 'sysargs untouched' >$T/u 2>&1
	cat $T/u
	grep -Eq "filename=0x[0-9a-f]+ \(unreadable: EFAULT\)" $T/u || fail "untouched page"
	[ "$(ret_after $T/u 'unreadable: EFAULT')" = "= -2 ENOENT" ] || fail "untouched: no ENOENT return"
	# JSON carries the same, typed.
	pvfbt --json --comm cat -n 'fbt::sys_openat:' -c 'cat /nonexistent' >$T/j 2>&1 || :
	grep -q '"syscall":"openat","argv":{"dfd":"AT_FDCWD","filename":"/nonexistent","flags":"O_RDONLY' $T/j ||
		{ cat $T/j; fail "JSON entry"; }
	grep -q '"retval":-2,"errno":"ENOENT"' $T/j || { cat $T/j; fail "JSON return"; }
	# A system call without strings: its own arguments, not the regs pointer.
	pvfbt --comm readn -n 'fbt::sys_read:entry' -c "readn /etc/passwd 77" >$T/r 2>&1
	grep -Eq "__x64_sys_read:entry  read\(fd=[0-9]+, buf=0x[0-9a-f]+, count=77\)$" $T/r ||
		{ cat $T/r; fail "read(count=77)"; }
	# Strings and a stack on one event: both read back, in order.
	pvfbt --stack --comm cat -n 'fbt::sys_openat:entry' -c 'cat /etc/passwd' >$T/s 2>&1
	awk 'index($0, "filename=\"/etc/passwd\"") { getline; print; exit }' $T/s |
		grep -Eq '^ +__x64_sys_openat\+0x[0-9a-f]+$' || { cat $T/s; fail "--stack after strings"; }
	! grep -q incomplete $T/s || { cat $T/s; fail "incomplete strings or stack"; }
	# Flags the module must refuse change nothing.
	sysargs badflags >$T/f 2>&1 || { cat $T/f; fail "badflags"; }
	grep -qx 'badflags ok' $T/f || { cat $T/f; fail "badflags"; }
	# Counting pays no copies: plain records, exact.
	pvfbt --count -n 'fbt::sys_getppid:entry' -c "getppid-loop 500" >$T/c 2>&1
	[ "$(count_of $T/c fbt:vmlinux:__x64_sys_getppid:entry)" = 500 ] || { cat $T/c; fail "count"; }
	no_missed_steps $T/o
}

t_shapes() {
	grep -q '^pvfbt_test ' /proc/modules || insmod /tests/pvfbt_test.ko || fail "insmod pvfbt_test"
	R=/sys/kernel/debug/pvfbt_test/run
	cat >$T/shapes.sh <<-EOS
	for a in 0 1 2; do echo "multiret \$a 1000" >$R; cat $R; done
	for s in riprel call jcc jcc2; do
		for a in 0 5; do echo "\$s \$a 500" >$R; cat $R; done
	done
	for a in 0 -3; do echo "jmpent \$a 500" >$R; cat $R; done
	EOS
	pvfbt --json -o $T/shapes.json -n 'fbt:pvfbt_test:pvfbt_test_*:' -c "sh $T/shapes.sh" >$T/s 2>&1
	cat $T/s
	! grep -q WRONG $T/s || fail "a probed shape returned a wrong value"
	[ "$(grep -c ' ok$' $T/s)" = 13 ] || fail "not every run reported ok"
	for p in multiret:entry:3000 multiret:return:3000 riprel:entry:1000 riprel:return:1000 \
		 call:entry:1000 call:return:1000 leaf:entry:1000 leaf:return:1000 \
		 jcc:entry:1000 jcc:return:1000 jcc2:entry:1000 jcc2:return:1000 \
		 jmpent:entry:1000 jmpent:return:1000; do
		f=${p%%:*}; rest=${p#*:}; k=${rest%%:*}; want=${rest#*:}
		got=$(grep -c "\"probe\":\"fbt:pvfbt_test:pvfbt_test_$f:$k\"" $T/shapes.json)
		[ "$got" = "$want" ] || fail "pvfbt_test_$f:$k fired $got times, want $want"
	done
	# Each of multiret's three return sites fired, 1000 times each.
	grep '"probe":"fbt:pvfbt_test:pvfbt_test_multiret:return"' $T/shapes.json |
		sed 's/.*"ip":\([0-9]*\).*/\1/' | sort | uniq -c >$T/sites
	cat $T/sites
	[ "$(wc -l <$T/sites)" = 3 ] || fail "multiret: return sites seen: $(wc -l <$T/sites)"
	[ "$(awk '$1 == 1000' $T/sites | wc -l)" = 3 ] || fail "multiret: not 1000 per site"
	no_missed_steps $T/s
	# A jcc or jmp in a jump entry's range moves into the detour, rebased
	# (jcc, jcc2 and jmpent above ran each way through it); a tail call in
	# the range is a return site, which keeps the entry an int3 site.
	[ -z "$INSMOD_ARGS" ] || return 0
	pvfbt -l -v -n 'fbt:pvfbt_test:pvfbt_test_*:entry' >$T/sl 2>&1
	for p in 'jcc entry  *ok  via jump' 'jcc2 entry  *ok  via jump' 'jmpent entry  *ok  via jump' \
		 'tail entry  *ok  via int3' 'ctail entry  *ok  via int3'; do
		grep -qE " pvfbt_test_$p(  .*)?\$" $T/sl || { cat $T/sl; fail "-l -v: not 'pvfbt_test_$p'"; }
	done
}

# A function whose first instruction returns has one site for both of its
# probes.  Made by the return probe first (in the block that holds a return
# probe's sites), then taken by the entry probe, it is freed once when its
# module goes (a wrong free is a slab report on the console, which fails
# the run), and made anew when the module comes back.
t_shared_site() {
	grep -q '^pvfbt_test ' /proc/modules || insmod /tests/pvfbt_test.ko || fail "insmod pvfbt_test"
	R=/sys/kernel/debug/pvfbt_test/run
	echo "echo 'justret 7 200' >$R; cat $R" >$T/ss.sh
	rmmod pvfbt && insmod /pvfbt.ko $INSMOD_ARGS
	for round in 1 2; do
		pvfbt --count -n 'fbt:pvfbt_test:pvfbt_test_justret:return' -c "sh $T/ss.sh" >$T/ss.r$round 2>&1
		cat $T/ss.r$round
		grep -q 'justret 7 200 7 ok' $T/ss.r$round || fail "round $round: justret returned a wrong value"
		[ "$(count_of $T/ss.r$round fbt:pvfbt_test:pvfbt_test_justret:return)" = 200 ] ||
			fail "round $round: return probe alone"
		pvfbt --count -n 'fbt:pvfbt_test:pvfbt_test_justret:' -c "sh $T/ss.sh" >$T/ss.b$round 2>&1
		cat $T/ss.b$round
		for k in entry return; do
			[ "$(count_of $T/ss.b$round fbt:pvfbt_test:pvfbt_test_justret:$k)" = 200 ] ||
				fail "round $round: $k with both probes"
		done
		rmmod pvfbt_test || fail "rmmod pvfbt_test ($round)"
		insmod /tests/pvfbt_test.ko || fail "insmod pvfbt_test ($round)"
	done
	pvfbt --status | grep -q '^probes armed: *0$' || fail "probes left armed"
}

# Return sites are "jmp <return thunk>" or "ret; int3", as the CPU's
# mitigations make the kernel patch them at boot.  make check's
# return-thunk cell boots a CPU model that keeps the thunk and says so
# (PVFBT_RETURN_FORM=thunk): there vmlinux's probed return must be a thunk
# jump, or the cell would test the "ret" form again.  (On 6.1 pvfbt_test's
# assembly shapes are not objtool's: nothing patches their "jmp
# __x86_return_thunk", in any cell.  6.12 runs objtool over the whole
# module and they are patched as vmlinux is.)  The records' addresses are
# those sites and the counts are exact, in any cell.
t_return_form() {
	grep -q '^pvfbt_test ' /proc/modules || insmod /tests/pvfbt_test.ko || fail "insmod pvfbt_test"
	V=/sys/devices/system/cpu/vulnerabilities
	echo "retbleed: $(cat $V/retbleed 2>&1); srso: $(cat $V/spec_rstack_overflow 2>&1)"
	return_jumps __x64_sys_getppid >$T/rf.g || fail "cannot read __x64_sys_getppid"
	return_jumps pvfbt_test_multiret >$T/rf.m || fail "cannot read pvfbt_test_multiret"
	echo "return thunk jumps:"; cat $T/rf.g $T/rf.m
	case ${PVFBT_RETURN_FORM:-} in
	thunk)
		[ -s $T/rf.g ] || fail "__x64_sys_getppid returns by ret: $(peek_sym __x64_sys_getppid 96)"
		[ "$(wc -l <$T/rf.m)" = 3 ] || fail "$(wc -l <$T/rf.m) of pvfbt_test_multiret's 3 returns jump to a thunk" ;;
	ret) [ ! -s $T/rf.g ] || fail "__x64_sys_getppid: a thunk jump where ret was expected" ;;
	'') ;;
	*) fail "PVFBT_RETURN_FORM='$PVFBT_RETURN_FORM': thunk or ret" ;;
	esac
	# The module's sites are all patched or none.
	case $(wc -l <$T/rf.m) in 0|3) ;; *) fail "$(wc -l <$T/rf.m) of pvfbt_test_multiret's 3 returns jump to a thunk" ;; esac
	pvfbt --count -n 'fbt::sys_getppid:' -c 'getppid-loop 20000' >$T/rf 2>&1
	cat $T/rf
	[ "$(count_of $T/rf fbt:vmlinux:__x64_sys_getppid:entry)" = 20000 ] || fail "getppid entries"
	[ "$(count_of $T/rf fbt:vmlinux:__x64_sys_getppid:return)" = 20000 ] || fail "getppid returns"
	no_missed_steps $T/rf
	# Where the returns were recorded: at the thunk jumps found above.
	pvfbt --json -o $T/rf.g.json -n 'fbt::sys_getppid:return' -c 'getppid-loop 700' >$T/rfj 2>&1
	cat $T/rfj
	R=/sys/kernel/debug/pvfbt_test/run
	echo "for a in 0 1 2; do echo \"multiret \$a 500\" >$R; done" >$T/rf.sh
	pvfbt --json -o $T/rf.m.json -n 'fbt:pvfbt_test:pvfbt_test_multiret:return' -c "sh $T/rf.sh" >$T/rfj 2>&1
	cat $T/rfj
	for f in g:__x64_sys_getppid:700 m:pvfbt_test_multiret:1500; do
		x=${f%%:*} want=${f##*:} fn=${f#*:}; fn=${fn%:*}
		grep "\"probe\":\"fbt:[a-z_]*:$fn:return\"" $T/rf.$x.json |
			sed 's/.*"ip":\([0-9]*\).*/\1/' | sort | uniq -c >$T/rf.ips
		[ "$(awk '{ n += $1 } END { print n + 0 }' $T/rf.ips)" = "$want" ] || fail "$fn: not $want returns"
		while read -r c ip; do
			h=$(printf '%x' "$ip")
			echo "$fn return at $h: $c"
			[ -z "$(cat $T/rf.$x)" ] || grep -q "^$h " $T/rf.$x ||
				fail "$fn: a return recorded at $h, not at a thunk jump"
		done <$T/rf.ips
	done
	[ "$(wc -l <$T/rf.ips)" = 3 ] || fail "multiret: $(wc -l <$T/rf.ips) return sites recorded, want 3"
}

# Every emulated entry form (push %reg) against single-step: the same shapes
# run with the site stepped (boost=0) and emulated (boost=1) must give the
# same results, each right, with the hits resumed the way the mode says.
t_emulation_matches_step() {
	R=/sys/kernel/debug/pvfbt_test/run
	for b in 0 1 j; do
		rmmod pvfbt
		# 0, 1: the int3 path (force_int3); j: the jump entries where
		# they can be, as loaded by default
		if [ $b = j ]; then insmod /pvfbt.ko $INSMOD_ARGS; else insmod /pvfbt.ko force_int3=1 boost=$b; fi
		pvfbt --per-cpu -q -n 'fbt:pvfbt_test:pvfbt_test_push_*:entry' -n 'fbt:pvfbt_test:pvfbt_test_multiret:entry' \
			-c "for s in push_rbx push_r12 push_r13 push_r14 push_r15 push_rbp multiret; do
				for a in 0 1 7 -5; do echo \"\$s \$a 200\" >$R; cat $R; done; done" >$T/em$b 2>&1
		cat $T/em$b
		grep -v '^pvfbt' $T/em$b >$T/em$b.res
		[ "$(grep -c ' ok$' $T/em$b.res)" = 28 ] || fail "boost=$b: not every shape right"
		grep -q ' hits 5600,' $T/em$b || fail "boost=$b: want 5600 hits"
	done
	cmp $T/em0.res $T/em1.res || fail "emulated and stepped results differ"
	cmp $T/em0.res $T/emj.res || fail "jump entries and stepped results differ"
	grep -q ' stepped 5600, emulated 0' $T/em0 || fail "boost=0 did not step every hit"
	grep -q ' stepped 0, emulated 5600' $T/em1 || fail "boost=1 did not emulate every hit"
	# Each of the 7 functions ran 800 times: those listed via jump, by jump.
	pvfbt -l -v -n 'fbt:pvfbt_test:pvfbt_test_push_*:entry' -n 'fbt:pvfbt_test:pvfbt_test_multiret:entry' >$T/eml 2>&1
	j=$(grep -c ' via jump' $T/eml || true)
	echo "# $j of 7 entries by jump"
	grep -q " jumped $((800 * j)), called 0\$" $T/emj || fail "want $((800 * j)) entries by jump"
	no_missed_steps $T/emj
}

# Every boosted entry form against single-step and against no probe at all:
# the registers, arithmetic flags, stack move, stack top and the memory the
# form may write must be the same unprobed, stepped (boost=0) and boosted
# (boost=1); each mode must resume the hits the way it says.
FORMS="load load32 subrsp movrr test xor riprel movimm cmp lea movzx and store
	add shl sete cmov imul inc neg movsxd cltq xchg sbb mul"
t_boost_matches_step() {
	F=/sys/kernel/debug/pvfbt_test/form
	echo "for f in $(echo $FORMS); do for x in 0 1 3 -7 255; do echo \"\$f \$x 100\" >$F; cat $F; done; done" >$T/forms.sh
	sh $T/forms.sh >$T/fo.none
	[ "$(wc -l <$T/fo.none)" = 125 ] || fail "unprobed: $(wc -l <$T/fo.none) states, want 125"
	! grep -q INCONSISTENT $T/fo.none || fail "a form is not deterministic unprobed"
	for b in 0 1 j; do
		rmmod pvfbt
		# 0, 1: the int3 path (force_int3); j: the jump entries where
		# they can be, each form moved into a detour
		if [ $b = j ]; then insmod /pvfbt.ko $INSMOD_ARGS; else insmod /pvfbt.ko force_int3=1 boost=$b; fi
		pvfbt -q -n 'fbt:pvfbt_test:pvfbt_test_f_*:entry' -c "sh $T/forms.sh" >$T/fo$b 2>&1
		grep '^pvfbt' $T/fo$b
		grep -v '^pvfbt' $T/fo$b >$T/fo$b.res
		grep -q ' hits 12500,' $T/fo$b || fail "boost=$b: want 12500 hits"
		cmp -s $T/fo.none $T/fo$b.res ||
			{ diff $T/fo.none $T/fo$b.res | head -n 8; fail "boost=$b: state differs from unprobed"; }
	done
	head -n 2 $T/fo.none
	grep -q ' stepped 12500, emulated 0, boosted 0' $T/fo0 || fail "boost=0 did not step every hit"
	# mul is not on the boost list: its 500 hits are stepped.
	grep -q ' stepped 500, emulated 0, boosted 12000' $T/fo1 || fail "boost=1: want 500 stepped, 12000 boosted"
	no_missed_steps $T/fo0
	no_missed_steps $T/fo1
	# Each form ran 500 times: those listed via jump, by jump.
	pvfbt -l -v -n 'fbt:pvfbt_test:pvfbt_test_f_*:entry' >$T/fol 2>&1
	j=$(grep -c ' via jump' $T/fol || true)
	echo "# $j of 25 forms by jump: $(grep ' via jump' $T/fol | awk '{ print $4 }' | sed 's/pvfbt_test_f_//' | tr '\n' ' ')"
	grep -q " jumped $((500 * j)), called 0\$" $T/foj || fail "want $((500 * j)) entries by jump"
	no_missed_steps $T/foj
}

# Tail calls are returns: a jmp to another function fires the caller's
# return probe (flagged), a conditional one only when taken, an indirect
# one (jmp *%rax) only when it leaves the function, a jump into the
# function's own .cold part does not; latency pairs every call.
t_tail_calls() {
	R=/sys/kernel/debug/pvfbt_test/run
	cat >$T/tail.sh <<-EOS
	echo "tail 4 300" >$R; cat $R
	echo "ctail 0 200" >$R; cat $R
	echo "ctail 5 100" >$R; cat $R
	echo "hascold 7 50" >$R; cat $R
	echo "hascold 500 70" >$R; cat $R
	echo "itail 4 150" >$R; cat $R
	echo "igoto 6 80" >$R; cat $R
	echo "itail2 3 60" >$R; cat $R
	echo "igoto2 9 40" >$R; cat $R
	EOS
	P="-n fbt:pvfbt_test:pvfbt_test_tail: -n fbt:pvfbt_test:pvfbt_test_ctail:
	   -n fbt:pvfbt_test:pvfbt_test_hascold: -n fbt:pvfbt_test:pvfbt_test_leaf:
	   -n fbt:pvfbt_test:pvfbt_test_itail: -n fbt:pvfbt_test:pvfbt_test_igoto:
	   -n fbt:pvfbt_test:pvfbt_test_itail2: -n fbt:pvfbt_test:pvfbt_test_igoto2:"
	pvfbt --json -o $T/tail.json $P -c "sh $T/tail.sh" >$T/t 2>&1
	cat $T/t
	[ "$(grep -c ' ok$' $T/t)" = 9 ] || fail "a probed tail-call shape returned a wrong value"
	for p in tail:entry:300 tail:return:300 ctail:entry:300 ctail:return:300 \
		 leaf:entry:610 leaf:return:610 hascold:entry:120 hascold:return:120 \
		 itail:entry:150 itail:return:150 igoto:entry:80 igoto:return:80 \
		 itail2:entry:60 itail2:return:60 igoto2:entry:40 igoto2:return:40; do
		f=${p%%:*}; rest=${p#*:}; k=${rest%%:*}; want=${rest#*:}
		got=$(grep -c "\"probe\":\"fbt:pvfbt_test:pvfbt_test_$f:$k\"" $T/tail.json)
		[ "$got" = "$want" ] || fail "pvfbt_test_$f:$k fired $got times, want $want"
	done
	for p in tail:300 ctail:100 hascold:0 leaf:0 itail:150 igoto:0 itail2:60 igoto2:0; do
		f=${p%%:*}; want=${p#*:}
		got=$(grep "\"probe\":\"fbt:pvfbt_test:pvfbt_test_$f:return\"" $T/tail.json | grep -c '"tailcall":true' || true)
		[ "$got" = "$want" ] || fail "pvfbt_test_$f: $got tail-call returns, want $want"
	done
	# (stderr apart: its summary used to land inside a histogram's header)
	pvfbt --latency $P -c "sh $T/tail.sh" >$T/tl 2>$T/tle
	cat $T/tl $T/tle
	for p in tail:300 ctail:300 leaf:610 hascold:120 itail:150 igoto:80 itail2:60 igoto2:40; do
		f=${p%%:*}; want=${p#*:}
		got=$(awk -v h="fbt:pvfbt_test:pvfbt_test_$f (ns)" '$1 " " $2 == h { on = 1 }
			on && /^count / { sub(",", "", $2); print $2; exit }' $T/tl)
		[ "$got" = "$want" ] || fail "latency of pvfbt_test_$f: count $got, want $want"
	done
	cat $T/tl $T/tle | grep -q ' 0 returns unmatched, 0 entries without return' || fail "unpaired calls"
}

# Exact counts.  An entry site that a jump in its function targets would
# fire once per loop iteration: it is refused, and pvfbt -l -v says why
# (in the kernel too: hrtimer_active retries from its first instruction).
# A jump to the function's own start (its fentry nop) is a recursive tail
# call: a return and a new entry.  Returns in a function's .cold part (above
# or below it) are its returns: entries and returns balance whichever part a
# call returns from.
t_exact_counts() {
	R=/sys/kernel/debug/pvfbt_test/run
	grep -q '^pvfbt_test ' /proc/modules || insmod /tests/pvfbt_test.ko || fail "insmod pvfbt_test"
	pvfbt -l -v -n 'fbt:pvfbt_test:pvfbt_test_loopentry:' -n 'fbt::hrtimer_active:' \
		-n 'fbt::napi_schedule_prep:' -n 'fbt:pvfbt_test:pvfbt_test_coldret*:' \
		-n 'fbt:pvfbt_test:pvfbt_test_coldlow*:' -n 'fbt:pvfbt_test:pvfbt_test_selftail:' \
		>$T/cl 2>&1 || { cat $T/cl; fail "pvfbt -l -v"; }
	cat $T/cl
	# (6.12's napi_schedule_prep loops from its second instruction.  A
	# prototype from BTF may follow the state.)
	case $(uname -r) in
	6.1.*) grep -qE ' napi_schedule_prep entry  *excluded: entry-branch-target(  .*)?$' $T/cl ||
		fail "napi_schedule_prep's entry not refused" ;;
	esac
	for p in 'pvfbt_test_loopentry entry  *excluded: entry-branch-target' \
		 'pvfbt_test_loopentry return  *ok' \
		 'hrtimer_active entry  *excluded: entry-branch-target' \
		 'pvfbt_test_coldret entry  *ok' 'pvfbt_test_coldret return  *ok' \
		 'pvfbt_test_coldret.cold entry  *excluded: cold-part' \
		 'pvfbt_test_coldret.cold return  *excluded: cold-part' \
		 'pvfbt_test_coldlow entry  *ok' 'pvfbt_test_coldlow return  *ok' \
		 'pvfbt_test_selftail entry  *ok' 'pvfbt_test_selftail return  *ok'; do
		grep -qE " $p(  .*)?\$" $T/cl || fail "not listed: '$p'"
	done
	echo "# $(pvfbt -l -v | grep -c 'entry  *excluded: entry-branch-target') entry sites refused as branch targets"
	if pvfbt -n 'fbt:pvfbt_test:pvfbt_test_loopentry:entry' -c true >$T/ce 2>&1; then
		fail "the loop-target entry probe was enabled"
	fi
	cat $T/ce
	grep -q 'excluded' $T/ce || fail "no clear refusal"
	cat >$T/counts.sh <<-EOS
	echo "loopentry 5 100" >$R; cat $R
	echo "loopentry 0 30" >$R; cat $R
	echo "coldret 7 50" >$R; cat $R
	echo "coldret 500 70" >$R; cat $R
	echo "coldlow 7 40" >$R; cat $R
	echo "coldlow 300 60" >$R; cat $R
	echo "selftail 3 50" >$R; cat $R
	EOS
	P="-n fbt:pvfbt_test:pvfbt_test_loopentry: -n fbt:pvfbt_test:pvfbt_test_coldret:
	   -n fbt:pvfbt_test:pvfbt_test_coldlow: -n fbt:pvfbt_test:pvfbt_test_selftail:"
	pvfbt --json -o $T/counts.json $P -c "sh $T/counts.sh" >$T/c 2>&1
	cat $T/c
	[ "$(grep -c ' ok$' $T/c)" = 7 ] || fail "a probed shape returned a wrong value"
	for p in loopentry:entry:0 loopentry:return:130 coldret:entry:120 coldret:return:120 \
		 coldlow:entry:100 coldlow:return:100 selftail:entry:200 selftail:return:200; do
		f=${p%%:*}; rest=${p#*:}; k=${rest%%:*}; want=${rest#*:}
		got=$(grep -c "\"probe\":\"fbt:pvfbt_test:pvfbt_test_$f:$k\"" $T/counts.json || true)
		[ "$got" = "$want" ] || fail "pvfbt_test_$f:$k fired $got times, want $want"
	done
	got=$(grep '"probe":"fbt:pvfbt_test:pvfbt_test_selftail:return"' $T/counts.json | grep -c '"tailcall":true' || true)
	[ "$got" = 150 ] || fail "pvfbt_test_selftail: $got tail-call returns, want 150"
	! grep -v selftail $T/counts.json | grep -q '"tailcall":true' || fail "a .cold return flagged as a tail call"
	grep -q ' 0 dropped' $T/c || fail "drops"
	# vmlinux: on 6.1 hugetlbfs_get_tree returns -EINVAL (min_size above
	# size) only from its .cold part; a valid mount tail-calls get_tree_nodev.
	if ! grep -q hugetlbfs /proc/filesystems; then
		echo "# no hugetlbfs in this guest: vmlinux .cold return not checked"
		return 0
	fi
	mkdir -p $T/huge
	cat >$T/huge.sh <<-EOS
	for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
		! mount -t hugetlbfs -o size=2M,min_size=4M none $T/huge 2>/dev/null
	done
	mount -t hugetlbfs none $T/huge && umount $T/huge
	EOS
	pvfbt --json -o $T/huge.json -n 'fbt::hugetlbfs_get_tree:' -c "sh -e $T/huge.sh" >$T/h 2>&1 ||
		{ cat $T/h; fail "hugetlbfs mounts"; }
	cat $T/h
	for p in entry:21 return:21; do
		got=$(grep -c "\"probe\":\"fbt:vmlinux:hugetlbfs_get_tree:${p%:*}\"" $T/huge.json || true)
		[ "$got" = "${p#*:}" ] || fail "hugetlbfs_get_tree:${p%:*} fired $got times, want ${p#*:}"
	done
	got=$(grep '"probe":"fbt:vmlinux:hugetlbfs_get_tree:return"' $T/huge.json | grep -c '"tailcall":true' || true)
	[ "$got" = 1 ] || fail "hugetlbfs_get_tree: $got tail-call returns, want 1"
}

# --stack: every entry carries its kernel stack, innermost first: the probed
# function at its entry site, then its callers down to the system call.
t_stack() {
	head -c 64 /dev/zero >$T/data
	pvfbt --json --stack --comm readn -n 'fbt::ksys_read:entry' -c "readn $T/data 10" >$T/st 2>&1
	cat $T/st
	n=$(grep -c '"probe":"fbt:vmlinux:ksys_read:entry"' $T/st || true)
	[ "$n" -ge 1 ] || fail "no ksys_read entry"
	# (__x64_sys_read tail-calls ksys_read: it is not on the stack.)
	[ "$(grep -c '"stack":\["ksys_read+0x[0-9a-f]*",' $T/st)" = "$n" ] ||
		fail "not every event's stack starts at ksys_read"
	[ "$(grep '"stack":' $T/st | grep -c '"do_syscall_64+0x')" = "$n" ] || fail "do_syscall_64 missing from a stack"
	! grep -q stack_incomplete $T/st || fail "incomplete stack"
	# Records read = records written with stack records in the rings.
	[ "$(val $T/st records)" = "$n" ] || fail "records $(val $T/st records), events $n"
	# A 1-byte instruction at the site (getppid's entry is push %rbx):
	# the int3's ip is the next instruction, in another unwind state.
	pvfbt --json --stack -n 'fbt::sys_getppid:' -c 'getppid-loop 200' >$T/sg 2>&1
	for k in entry return; do
		g=$(grep -c "\"probe\":\"fbt:vmlinux:__x64_sys_getppid:$k\"" $T/sg || true)
		[ "$g" = 200 ] || { tail -5 $T/sg; fail "getppid $k: $g events"; }
		[ "$(grep "__x64_sys_getppid:$k" $T/sg | grep -c '"stack":\["__[a-z0-9]*_sys_getppid+0x[0-9a-f]*",.*"do_syscall_64+0x')" = 200 ] ||
			{ grep "__x64_sys_getppid:$k" $T/sg | head -3; fail "getppid $k: a stack without do_syscall_64"; }
	done
}

# Text is written through one writable alias of a batch's pages, or with
# poke_alias=0 by one text_poke() per write: the armed text must be the same
# byte for byte, the original must come back, counts must be exact, and the
# status must say which way the bytes went.
TEXT_FNS="vfs_read vfs_write ksys_read ksys_write __x64_sys_getppid"
t_text_writes() {
	for f in $TEXT_FNS; do peek_sym $f 512 >$T/tw.before.$f || fail "peek $f"; done
	for pa in 1 0; do
		rmmod pvfbt
		insmod /pvfbt.ko $INSMOD_ARGS poke_alias=$pa
		pvfbt --count -n 'fbt::vfs_*:' -n 'fbt::ksys_*:' -n 'fbt::sys_getppid:' -d 60 >$T/tw.$pa 2>&1 &
		p=$!
		# "N probes enabled" comes once the enable ioctl has returned.
		w=0
		while ! grep -q 'probes enabled' $T/tw.$pa && [ $w -lt 300 ]; do sleep 0.1; w=$((w + 1)); done
		grep -q 'probes enabled' $T/tw.$pa || { kill $p; fail "poke_alias=$pa: never enabled"; }
		for f in $TEXT_FNS; do peek_sym $f 512 >$T/tw.armed$pa.$f; done
		kill -INT $p
		wait $p || fail "poke_alias=$pa: the consumer failed"
		for f in $TEXT_FNS; do
			peek_sym $f 512 >$T/tw.after$pa.$f
			cmp -s $T/tw.before.$f $T/tw.after$pa.$f || fail "poke_alias=$pa: text of $f not restored"
		done
		pvfbt --count -n 'fbt::sys_getppid:' -c 'getppid-loop 20000' >$T/tw.g$pa 2>&1
		cat $T/tw.g$pa
		[ "$(count_of $T/tw.g$pa fbt:vmlinux:__x64_sys_getppid:entry)" = 20000 ] || fail "poke_alias=$pa: entries"
		[ "$(count_of $T/tw.g$pa fbt:vmlinux:__x64_sys_getppid:return)" = 20000 ] || fail "poke_alias=$pa: returns"
		pvfbt --status | grep '^text writes:' | tee $T/tw.st$pa
	done
	for f in $TEXT_FNS; do
		cmp -s $T/tw.armed1.$f $T/tw.armed0.$f || fail "armed text of $f differs between alias and text_poke()"
		if cmp -s $T/tw.before.$f $T/tw.armed1.$f; then fail "no int3 in the armed text of $f"; fi
	done
	grep -q '^text writes: *[1-9][0-9]* batches, [1-9][0-9]* pages through an alias, 0 text_poke() calls$' $T/tw.st1 ||
		fail "poke_alias=1: $(cat $T/tw.st1)"
	grep -q '^text writes: *[1-9][0-9]* batches, 0 pages through an alias, [1-9][0-9]* text_poke() calls$' $T/tw.st0 ||
		fail "poke_alias=0: $(cat $T/tw.st0)"
	rmmod pvfbt
	insmod /pvfbt.ko $INSMOD_ARGS
}

t_sigkill_restores_text() {
	for f in vfs_read vfs_write __x64_sys_getppid ksys_read; do peek_sym $f >$T/before.$f || fail "peek $f"; done
	(while :; do getppid-loop 2000; cat /proc/self/stat >/dev/null; done) &
	load=$!
	i=0
	while [ $i -lt 5 ]; do
		pvfbt -q -n 'fbt::vfs_*:' -n 'fbt::sys_*:' -n 'fbt::ksys_*:' -d 60 >$T/k.$i 2>&1 &
		p=$!
		sleep 1
		# Wait until its probes are armed, then kill it at once.
		wait_armed 180 || fail "never armed ($i)"
		kill -9 $p
		wait $p 2>/dev/null || true
		pvfbt --status | grep -q '^probes armed: *0$' || { kill $load; fail "probes left armed after SIGKILL ($i)"; }
		i=$((i + 1))
	done
	kill $load; wait $load 2>/dev/null || true
	for f in vfs_read vfs_write __x64_sys_getppid ksys_read; do
		peek_sym $f >$T/after.$f
		cmp -s $T/before.$f $T/after.$f || fail "text of $f differs after SIGKILL"
	done
}

t_module_unload_under_probes() {
	R=/sys/kernel/debug/pvfbt_test/run
	# (-d long enough for a slow guest: the session is ended by SIGINT)
	pvfbt -q -n 'fbt:pvfbt_test::' -d 300 >$T/m 2>&1 &
	p=$!
	wait_armed 180 || fail "never armed"
	echo "multiret 1 2000" >$R
	[ "$(armed)" != 0 ] || fail "the session ended before rmmod"
	rmmod pvfbt_test || { kill -INT $p; fail "rmmod pvfbt_test while probed"; }
	# Its entries went with it: nothing of it is listed.
	rc=0; pvfbt -l -v -n 'fbt:pvfbt_test::' >$T/ml 2>&1 || rc=$?
	kill -INT $p 2>/dev/null || true
	wait $p || true
	cat $T/m $T/ml
	[ $rc = 1 ] && grep -q 'no probes match' $T/ml || fail "an unloaded module is still listed (exit $rc)"
	grep -q ' 0 dropped' $T/m || fail "drops"
	! grep -q '^pvfbt_test ' /proc/modules || fail "pvfbt_test still loaded"
	# A module loaded after the consumer started brings no probe with it.
	# (armed before the module comes, and still armed when it is there,
	# however slow the guest: a domU arms more slowly than a dom0)
	pvfbt -q -n 'fbt::sys_getppid:' -d 300 >$T/m2 2>&1 &
	p=$!
	wait_armed 180 || { kill -INT $p; fail "never armed (2)"; }
	insmod /tests/pvfbt_test.ko || { kill -INT $p; fail "reinsmod"; }
	echo "multiret 0 100" >$R
	# Only sys_getppid's two probes were ever armed in that session.
	pvfbt --status | grep -q '^probes armed: *2$' || { kill -INT $p; fail "armed count changed when a module came"; }
	kill -INT $p
	wait $p
	pvfbt --status | grep -q '^probes armed: *0$' || fail "probes left armed"
	rmmod pvfbt_test
}

t_rmmod_while_firing() {
	(while :; do getppid-loop 5000; done) &
	load=$!
	pvfbt -q -n 'fbt::sys_getppid:' -d 30 >$T/rm 2>&1 &
	p=$!
	wait_armed 180 || fail "never armed"
	if rmmod pvfbt 2>$T/rmerr; then fail "rmmod succeeded while the consumer holds the device"; fi
	kill -9 $p; wait $p 2>/dev/null || true
	rmmod pvfbt || { kill $load; fail "rmmod after the consumer died"; }
	sleep 1
	kill $load; wait $load 2>/dev/null || true
	[ ! -e /dev/pvfbt ] || fail "device left behind"
	insmod /pvfbt.ko $INSMOD_ARGS || fail "insmod again"
}

# A module is catalogued once it is live: not while its init sleeps (its
# symbol table is then an init-time copy), once and with its names when it
# is; its entries go with it; a second load lists it again.
t_module_lifecycle() {
	S=/sys/kernel/debug/pvfbt_slowinit/run
	rmmod pvfbt && insmod /pvfbt.ko $INSMOD_ARGS
	# Its init waits for "release" (2 minutes at most): the test decides.
	insmod /tests/pvfbt_slowinit.ko sleep_ms=120000 &
	ins=$!
	sl_fail() { echo 1 >/sys/module/pvfbt_slowinit/parameters/release; wait $ins; fail "$@"; }
	w=0
	while ! grep -q '^pvfbt_slowinit .* Loading' /proc/modules && [ $w -lt 600 ]; do sleep 0.1; w=$((w + 1)); done
	grep -q '^pvfbt_slowinit .* Loading' /proc/modules || sl_fail "the module never showed as loading"
	# The first listing builds the catalogue while the module is COMING.
	rc=0; pvfbt -l -n 'fbt:pvfbt_slowinit::' >$T/ml.coming 2>&1 || rc=$?
	cat $T/ml.coming
	rc2=0; pvfbt -n 'fbt:pvfbt_slowinit::' -d 1 >$T/ml.arm 2>&1 || rc2=$?
	cat $T/ml.arm
	grep -q '^pvfbt_slowinit .* Loading' /proc/modules || sl_fail "init ended before the listing: test not valid"
	[ $rc = 1 ] && grep -q 'no probes match' $T/ml.coming || sl_fail "a module still in its init was listed (exit $rc)"
	[ $rc2 = 1 ] || sl_fail "probes of a module in its init were armed (exit $rc2)"
	echo 1 >/sys/module/pvfbt_slowinit/parameters/release
	wait $ins || fail "insmod pvfbt_slowinit"
	for life in 1 2; do
		pvfbt -l -n 'fbt:pvfbt_slowinit::' >$T/ml.live$life 2>&1
		cat $T/ml.live$life
		for f in slowinit_work slowinit_more; do
			for k in entry return; do
				c=$(awk -v f=$f -v k=$k '$4 == f && $5 == k' $T/ml.live$life | wc -l)
				[ "$c" = 1 ] || fail "life $life: $f $k listed $c times"
			done
		done
		[ "$(awk '$3 == "pvfbt_slowinit" && NF < 5' $T/ml.live$life | wc -l)" = 0 ] || fail "life $life: a function without a name"
		[ "$(awk '$3 == "pvfbt_slowinit" { print $4, $5 }' $T/ml.live$life | sort | uniq -d | wc -l)" = 0 ] ||
			fail "life $life: a probe listed twice"
		n=$((life * 300))
		pvfbt --count -n 'fbt:pvfbt_slowinit:slowinit_*:' -c "sh -c 'echo $n >$S'" >$T/ml.c$life 2>&1
		cat $T/ml.c$life
		for p in work:entry work:return more:entry more:return; do
			[ "$(count_of $T/ml.c$life fbt:pvfbt_slowinit:slowinit_$p)" = $n ] || fail "life $life: slowinit_$p not $n"
		done
		rmmod pvfbt_slowinit || fail "rmmod pvfbt_slowinit ($life)"
		rc=0; pvfbt -l -n 'fbt:pvfbt_slowinit::' >$T/ml.gone$life 2>&1 || rc=$?
		[ $rc = 1 ] || { cat $T/ml.gone$life; fail "life $life: an unloaded module is still listed"; }
		[ $life = 2 ] || insmod /tests/pvfbt_slowinit.ko sleep_ms=0 || fail "second insmod"
	done
	pvfbt --status | grep -q '^probes armed: *0$' || fail "probes left armed"
}

# kprobe helpers: the kernel's own kprobe events through tracefs.
KT=/sys/kernel/tracing
# Trace events and the function tracer record comms by hooking
# sched_switch, which patches __schedule() when the first of them starts
# and the last stops: the top of this file keeps one event on from the
# start, so that never happens while these tests run (turning record-cmd
# off would unhook it too).
kp_add() { echo "p:$1 $2" >>$KT/kprobe_events; }
kp_on() { echo 1 >$KT/events/kprobes/$1/enable; }
kp_del() { echo 0 >$KT/events/kprobes/$1/enable; echo "-:$1" >>$KT/kprobe_events; }
kp_hits() { awk -v n="$1" '$1 == n { print $2 }' $KT/kprobe_profile; }
kp_optimized() { grep "$1" /sys/kernel/debug/kprobes/list | grep -q OPTIMIZED; }
# opt_blocked FUNC: the kernel will not optimise a kprobe in FUNC because
# FUNC returns through a thunk that lies in [__indirect_thunk_start,
# __indirect_thunk_end): optprobes' can_optimize() takes a jump there for an
# indirect jump.  6.1 keeps its return thunks in that range, so with them in
# use (the return-thunk cell) no kprobe in such a function is optimised.
opt_blocked() {
	grep -q '^pvfbt_test ' /proc/modules || insmod /tests/pvfbt_test.ko || return 1
	return_jumps "$1" >$T/ob.j || return 1
	grep -F -e ' __indirect_thunk_start' -e ' __indirect_thunk_end' $T/rj.ks >$T/ob.r
	[ -s $T/ob.j ] && [ "$(wc -l <$T/ob.r)" = 2 ] || return 1
	# the range, the thunks FUNC jumps to, their addresses
	awk 'FILENAME ~ /ob.r$/ { if ($3 ~ /start/) s = $1; else e = $1; next }
		FILENAME ~ /ob.j$/ { used[$2] = 1; next }
		($2 in used) && $1 >= s && $1 < e { n++ } END { exit !n }' $T/ob.r $T/ob.j $T/rj.thunks
}
# The offset of a function's first instruction after the fentry site (and
# after endbr64 or its sealing nop).
entry_off() {
	b=$(peek_sym "$1" 4)
	case $b in f30f1efa|660f1f00) echo 9 ;; *) echo 5 ;; esac
}

# A kprobe on a return site of vfs_read (kprobe events need an ftrace
# site: not the fixture's assembly): the return probe is refused with a
# clear error, before pvfbt first lists and between its listing and its
# enabling, and listed as foreign-text; the entry probe counts exactly,
# nothing oopses, and it is still a jump entry (the kprobe is on no byte
# it moves); once the kprobe is gone the return probe counts exactly.
t_foreign_return() {
	grep -q '^pvfbt_test ' /proc/modules || insmod /tests/pvfbt_test.ko
	head -c 64 /dev/zero >$T/fr.data
	cx_find_return
	trap 'kp_del pvret 2>/dev/null || true' EXIT
	for when in before-list after-list; do
		rmmod pvfbt && insmod /pvfbt.ko $INSMOD_ARGS
		[ $when = before-list ] || pvfbt -l -n 'fbt::vfs_read:' >/dev/null
		kp_add pvret "vfs_read+$cx_r" || fail "$when: kprobe at vfs_read+$cx_r"
		echo 'comm == "readn"' >$KT/events/kprobes/pvret/filter
		kp_on pvret
		rc=0; pvfbt --count --comm readn -n 'fbt::vfs_read:return' -c "readn $T/fr.data 64 100" >$T/fr.$when 2>&1 || rc=$?
		cat $T/fr.$when
		[ $rc != 0 ] || fail "$when: a return probe under a kprobe was enabled"
		grep -q 'another tool' $T/fr.$when || grep -q 'excluded' $T/fr.$when || fail "$when: no clear error"
		pvfbt -l -v -n 'fbt::vfs_read:' >$T/fl.$when 2>&1
		cat $T/fl.$when
		grep -q ' return .*foreign-text' $T/fl.$when || fail "$when: return probe not listed as foreign-text"
		echo >$KT/trace
		pvfbt --count --comm readn -n 'fbt::vfs_read:' -c "readn $T/fr.data 64 100" >$T/fe.$when 2>&1
		cat $T/fe.$when
		[ "$(count_of $T/fe.$when fbt:vmlinux:vfs_read:entry)" = 100 ] || fail "$when: entry count"
		[ -z "$(count_of $T/fe.$when fbt:vmlinux:vfs_read:return)" ] || fail "$when: a return counted under the kprobe"
		grep -q 'vfs_read:return: not enabled: another tool' $T/fe.$when || fail "$when: the refused return not named"
		# The kprobe is on a return site only: the entry is still a jump entry.
		[ -n "$INSMOD_ARGS" ] || pvfbt -l -v -n 'fbt::vfs_read:entry' | grep -qE ' vfs_read entry  *ok  via jump' ||
			fail "$when: a kprobe on a return site made the entry an int3 site"
		[ "$(grep -c ' pvret: ' $KT/trace)" = 100 ] || fail "$when: kprobe hits $(grep -c ' pvret: ' $KT/trace), want 100"
		kp_del pvret
		pvfbt --count --comm readn -n 'fbt::vfs_read:' -c "readn $T/fr.data 64 100" >$T/fa.$when 2>&1
		cat $T/fa.$when
		[ "$(count_of $T/fa.$when fbt:vmlinux:vfs_read:return)" = 100 ] || fail "$when: return count after the kprobe left"
	done
	pvfbt --status | grep '^text refused'
}

# A kprobe inside a jump entry's range, on its second instruction, before
# pvfbt makes the site, registered but not enabled (the text is still the
# original): a jump would hide the int3 kprobes writes when it is enabled,
# so pvfbt makes an int3 site instead, which writes the first byte only.
# pvfbt counts exactly beside the disabled kprobe, both count exactly once
# the kprobe is enabled too, and the text is the original again once both
# are gone.  vfs_read's first instruction is
# shorter than 5 bytes on both lines; the second starts at the first
# offset past the site that kprobes accepts (it takes instruction
# boundaries only).
t_foreign_range() {
	grep -q '^pvfbt_test ' /proc/modules || insmod /tests/pvfbt_test.ko || fail "insmod pvfbt_test"
	P='fbt::vfs_read:entry'
	head -c 64 /dev/zero >$T/rg.data
	rmmod pvfbt && insmod /pvfbt.ko $INSMOD_ARGS
	pvfbt -l -v -n "$P" >$T/rg.l 2>&1
	cat $T/rg.l
	grep -qE ' vfs_read entry  *ok  via jump' $T/rg.l || fail "vfs_read's entry is not a jump entry"
	eo=$(entry_off vfs_read)
	v0=$(peek_sym vfs_read 64) || fail "peek"
	trap 'kp_del pvrange 2>/dev/null || true' EXIT
	k=1
	while [ $k -lt 5 ] && ! kp_add pvrange "vfs_read+$((eo + k))" 2>/dev/null; do k=$((k + 1)); done
	[ $k -lt 5 ] || fail "no instruction boundary in vfs_read's range after its site"
	echo "# kprobe at vfs_read+$((eo + k)), inside the range that starts at +$eo"
	echo 'comm == "readn"' >$KT/events/kprobes/pvrange/filter
	# The kprobe disabled: the site is made, an int3.
	pvfbt --count --comm readn -n "$P" -c "readn $T/rg.data 64 100" >$T/rg.k 2>&1 || fail "enable beside a disabled kprobe"
	cat $T/rg.k
	[ "$(count_of $T/rg.k fbt:vmlinux:vfs_read:entry)" = 100 ] || fail "entry count beside the disabled kprobe"
	grep -q ' jumped 0, called 0$' $T/rg.k || fail "the entry went by jump over a kprobe's bytes"
	pvfbt -l -v -n "$P" | grep -qE ' vfs_read entry  *ok  via int3' || fail "-l -v: the site is not an int3"
	[ "$(peek_sym vfs_read 64)" = "$v0" ] || fail "vfs_read's text not restored after pvfbt"
	# Both enabled, pvfbt second.
	kp_on pvrange
	echo >$KT/trace
	pvfbt --count --comm readn -n "$P" -c "readn $T/rg.data 64 100" >$T/rg.b 2>&1 || fail "enable beside an enabled kprobe"
	cat $T/rg.b
	[ "$(count_of $T/rg.b fbt:vmlinux:vfs_read:entry)" = 100 ] || fail "entry count beside the kprobe"
	[ "$(grep -c ' pvrange: ' $KT/trace)" = 100 ] || fail "kprobe hits $(grep -c ' pvrange: ' $KT/trace), want 100"
	kp_del pvrange
	trap - EXIT
	[ "$(peek_sym vfs_read 64)" = "$v0" ] || fail "vfs_read's text not the original after both"
	pvfbt --count --comm readn -n "$P" -c "readn $T/rg.data 64 100" >$T/rg.a 2>&1
	cat $T/rg.a
	[ "$(count_of $T/rg.a fbt:vmlinux:vfs_read:entry)" = 100 ] || fail "entry count after the kprobe left"
	[ "$(peek_sym vfs_read 64)" = "$v0" ] || fail "vfs_read's text not restored"
	# The site stays an int3 until pvfbt is loaded again (sites are made once).
	rmmod pvfbt && insmod /pvfbt.ko $INSMOD_ARGS || fail "reload"
	pvfbt -l -v -n "$P" | grep -qE ' vfs_read entry  *ok  via jump' || fail "-l -v: not a jump entry again"
}

# Other text writers on the function pvfbt probes, vfs_read:
#   P    pvfbt (entry and return)
#   K5o  a kprobe at pvfbt's entry site, optimised into a jmp
#   K5   the same with optimisation off (an int3)
#   KR   a kprobe on one of the function's return sites
#   F    the function tracer (ftrace, at the fentry site)
# Each scenario adds and removes them in its order, with a loop of reads (L)
# while all are in: every tool that was accepted counts exactly the reads
# of the loop's program (readn: pvfbt --comm, kprobe event filters, the
# function tracer's comm column), a refusal is clean, and the text is the
# original byte for byte at the end.
CX_N=300
cx_add() {
	case $1 in
	P)
		# (no stale file: the shell may look before the consumer opens it)
		rm -f $T/cx.p
		pvfbt --count --comm readn -n 'fbt::vfs_read:' -d 600 >$T/cx.p 2>&1 &
		cx_pp=$!
		w=0
		while ! grep -qs 'probes enabled' $T/cx.p && kill -0 $cx_pp 2>/dev/null && [ $w -lt 1800 ]; do
			sleep 0.1; w=$((w + 1))
		done
		if grep -qs 'probes enabled' $T/cx.p; then acc_P=1; else wait $cx_pp || true; acc_P=0; cat $T/cx.p; fi
		# What the consumer said it did not enable; the kernel agrees.
		pe=1; pr=1
		grep -q 'vfs_read:entry: not enabled' $T/cx.p && pe=0
		grep -q 'vfs_read:return: not enabled' $T/cx.p && pr=0
		[ $acc_P = 1 ] || { pe=0; pr=0; }
		[ "$(armed)" = $((pe + pr)) ] || { cat $T/cx.p; fail "$cx_s: $(armed) probes armed, want $((pe + pr))"; } ;;
	K5o|K5)
		[ $1 = K5o ] && o=1 || o=0
		echo $o >/proc/sys/debug/kprobes-optimization
		acc_K5=0
		if kp_add pvk5 "vfs_read+$cx_e" 2>/dev/null; then
			echo 'comm == "readn"' >$KT/events/kprobes/pvk5/filter
			kp_on pvk5; acc_K5=1
			# (on pvfbt's jump entry kprobes sees a plain jmp and
			# accepts it, but cannot optimise over the int3s that
			# fill the rest of pvfbt's range: an int3 kprobe)
			if [ $o = 1 ] && [ $cx_noopt = 0 ] && ! { [ $acc_P = 1 ] && [ $pe = 1 ] && [ $JUMP_ENTRIES = 1 ]; }; then
				w=0; while ! kp_optimized "vfs_read+0x$(printf %x $cx_e)" && [ $w -lt 50 ]; do sleep 0.1; w=$((w + 1)); done
				kp_optimized "vfs_read+0x$(printf %x $cx_e)" || { cat /sys/kernel/debug/kprobes/list; fail "$cx_s: the kprobe was not optimised"; }
			fi
		fi ;;
	KR)
		acc_KR=0
		if kp_add pvkr "vfs_read+$cx_r" 2>/dev/null; then
			echo 'comm == "readn"' >$KT/events/kprobes/pvkr/filter
			kp_on pvkr; acc_KR=1
		fi ;;
	F)
		echo vfs_read >$KT/set_ftrace_filter
		echo function >$KT/current_tracer
		acc_F=1 ;;
	esac
	echo "# $cx_s: +$1 accepted: P=$acc_P K5=$acc_K5 KR=$acc_KR F=$acc_F"
}
cx_del() {
	case $1 in
	P)
		[ $acc_P = 1 ] || return 0
		kill -INT $cx_pp; wait $cx_pp || fail "$cx_s: pvfbt failed"
		cat $T/cx.p
		[ $pe = 0 ] || [ "$(count_of $T/cx.p fbt:vmlinux:vfs_read:entry)" = $CX_N ] || fail "$cx_s: pvfbt entries"
		[ $pr = 0 ] || [ "$(count_of $T/cx.p fbt:vmlinux:vfs_read:return)" = $CX_N ] || fail "$cx_s: pvfbt returns"
		# A kprobe put on pvfbt's jump return (kprobes takes it for a
		# plain jmp): pvfbt cannot restore it and pins itself.
		if [ $acc_KR = 1 ] && [ $pr = 1 ] && [ "$JUMP_RETURNS" = 1 ]; then
			[ "$(cat /sys/module/pvfbt/refcnt)" = 1 ] || fail "$cx_s: pvfbt not pinned under the kprobe"
		fi
		# The same for a kprobe put on pvfbt's jump entry.
		if [ $acc_K5 = 1 ] && [ $pe = 1 ] && [ "$JUMP_ENTRIES" = 1 ]; then
			[ "$(cat /sys/module/pvfbt/refcnt)" = 1 ] || fail "$cx_s: pvfbt not pinned under the entry kprobe"
		fi
		acc_P=0 ;;
	K5o|K5) [ $acc_K5 = 0 ] || kp_del pvk5; acc_K5=0 ;;
	KR) [ $acc_KR = 0 ] || kp_del pvkr; acc_KR=0 ;;
	F) echo nop >$KT/current_tracer; echo >$KT/set_ftrace_filter; acc_F=0 ;;
	esac
}
cx_loop() {
	echo >$KT/trace
	readn $T/cx.data 64 $CX_N >/dev/null &
	rp=$!
	wait $rp
	cp $KT/trace $T/cx.trace
	if [ $acc_K5 = 1 ]; then
		k=$(grep -c ' pvk5: ' $T/cx.trace || true)
		[ "$k" = $CX_N ] || fail "$cx_s: kprobe at the entry site: $k hits"
	fi
	if [ $acc_KR = 1 ]; then
		k=$(grep -c ' pvkr: ' $T/cx.trace || true)
		[ "$k" = $CX_N ] || fail "$cx_s: kprobe on the return: $k hits"
	fi
	if [ $acc_F = 1 ]; then
		# (by pid: a comm the cache lost shows as <...>)
		f=$(grep -cE -- "-$rp +\[[0-9]+\].* vfs_read <-" $T/cx.trace || true)
		[ "$f" = $CX_N ] || fail "$cx_s: function tracer: $f hits"
	fi
}
# cx_r: the offset of a return site of vfs_read, as pvfbt reports it ("ip").
cx_find_return() {
	head -c 64 /dev/zero >$T/cx.data
	pvfbt --json --comm readn -n 'fbt::vfs_read:return' -c "readn $T/cx.data 64" >$T/cx.ret 2>&1
	ip=$(sed -n 's/.*"ip":\([0-9]*\).*/\1/p' $T/cx.ret | head -n 1)
	va=$(awk '$3 == "vfs_read" { print $1; exit }' /proc/kallsyms)
	[ -n "$ip" ] && [ -n "$va" ] || { cat $T/cx.ret; fail "no return site of vfs_read"; }
	cx_r=$((ip - 0x$va))
}
cx_cleanup() {
	[ "$acc_P" != 1 ] || { kill -9 $cx_pp; wait $cx_pp; }
	echo nop >$KT/current_tracer; echo >$KT/set_ftrace_filter
	kp_del pvk5 2>/dev/null || true
	kp_del pvkr 2>/dev/null || true
	echo 1 >/proc/sys/debug/kprobes-optimization
}
t_coexist() {
	grep -q '^pvfbt_test ' /proc/modules || insmod /tests/pvfbt_test.ko
	trap cx_cleanup EXIT
	echo 8192 >$KT/buffer_size_kb
	cx_e=$(entry_off vfs_read)
	cx_find_return
	echo "# vfs_read: entry site +$cx_e, a return site +$cx_r"
	cx_noopt=0
	! opt_blocked vfs_read || { cx_noopt=1; echo "# vfs_read returns through a thunk: this kernel optimises no kprobe there, K5o is an int3"; }
	peek_sym vfs_read 512 >$T/cx.before
	JUMP_RETURNS=1 CALL_ENTRIES=1 JUMP_ENTRIES=1
	[ "$(cat /sys/module/pvfbt/parameters/force_int3)" = N ] || JUMP_RETURNS=0 CALL_ENTRIES=0 JUMP_ENTRIES=0
	[ "$(cat /sys/module/pvfbt/parameters/fcall_max)" != 0 ] || CALL_ENTRIES=0
	[ $CALL_ENTRIES = 0 ] || JUMP_ENTRIES=0
	for cx_s in "+P +K5o L -P -K5o" "+P +K5 L -K5 -P" "+K5o +P L -P -K5o" "+K5 +P L -K5 -P" \
		    "+K5 +P L -P -K5" "+P +KR L -P -KR" "+KR +P L -KR -P" "+KR +P L -P -KR" \
		    "+P +F L -P -F" "+F +P L -F -P" "+F +K5o +P +KR L -P -KR -K5o -F" \
		    "+P +F +K5 +KR L -K5 -F -P -KR"; do
		acc_P=0 acc_K5=0 acc_KR=0 acc_F=0
		for op in $cx_s; do
			case $op in
			+*) cx_add ${op#+} ;;
			-*) cx_del ${op#-} ;;
			L) cx_loop ;;
			esac
			# pvfbt's own refusals, the ones the ownership rule makes
			[ "$op" = +P ] || continue
			case $cx_s in
			# (the return sites, from an earlier clean analysis, are
			# checked one by one: not covered by the jmp, they arm)
			# (an entry reached by ftrace's call writes no text: a
			# kprobe at the entry site is no reason to refuse it)
			*"+K5o +P"*) [ $pe = $CALL_ENTRIES ] || fail "$cx_s: pvfbt's entry armed: $pe, want $CALL_ENTRIES" ;;
			*"+K5 +P"*) [ $acc_P = 1 ] && [ $pe = $CALL_ENTRIES ] && [ $pr = 1 ] ||
				fail "$cx_s: want the entry $([ $CALL_ENTRIES = 1 ] && echo enabled || echo refused) and the return enabled" ;;
			*"+KR +P"*) [ $acc_P = 1 ] && [ $pe = 1 ] && [ $pr = 0 ] ||
				fail "$cx_s: want the return refused and the entry enabled" ;;
			esac
		done
		# A jump return that a kprobe sat on when pvfbt left is taken
		# back within a second of the kprobe going (jret.c).
		w=0
		while peek_sym vfs_read 512 >$T/cx.after && ! cmp -s $T/cx.before $T/cx.after &&
		      [ $w -lt 50 ]; do
			sleep 0.2; w=$((w + 1))
		done
		cmp -s $T/cx.before $T/cx.after || fail "$cx_s: text not restored"
		[ "$(cat /sys/module/pvfbt/refcnt)" = 0 ] || fail "$cx_s: pvfbt still pinned"
	done
	echo 1 >/proc/sys/debug/kprobes-optimization
	# pvfbt alone still counts exactly.
	pvfbt --count --comm readn -n 'fbt::vfs_read:' -c "readn $T/cx.data 64 1000" >$T/cx.end 2>&1
	cat $T/cx.end
	[ "$(count_of $T/cx.end fbt:vmlinux:vfs_read:entry)" = 1000 ] || fail "entries after the scenarios"
	[ "$(count_of $T/cx.end fbt:vmlinux:vfs_read:return)" = 1000 ] || fail "returns after the scenarios"
	pvfbt --status | grep '^text refused'
}

# A stepped site reached from #DB context: a hardware breakpoint's perf
# overflow handler calls a probed function (boost=0: its entry is stepped).
# Natively the handler runs on the #DB IST stack, where a step's #DB would
# start again over the frame in use: pvfbt must not step there (it runs the
# slot to its guard: "unstepped").  Under Xen PV there is no IST and the
# step is taken.  Exact counts, right values, the guest alive.
t_db_context() {
	grep -q '^pvfbt_test ' /proc/modules || insmod /tests/pvfbt_test.ko || fail "insmod pvfbt_test"
	D=/sys/kernel/debug/pvfbt_test/dbctx
	echo 300 >$D || fail "no hardware breakpoint (register_wide_hw_breakpoint)"
	cat $D
	[ "$(cat $D)" = "dbctx 300 300 ok" ] || fail "unprobed: the breakpoint did not fire 300 times"
	# The return by a jump, in #DB context (the entry, in assembly with no
	# ftrace site, by int3): the same exact counts.
	pvfbt --count -n 'fbt:pvfbt_test:pvfbt_test_dbcall:' -c "sh -c 'echo 500 >$D; cat $D'" >$T/dbj 2>&1
	cat $T/dbj
	grep -q '^dbctx 500 500 ok$' $T/dbj || fail "probed (jump): wrong hits or values"
	[ "$(count_of $T/dbj fbt:pvfbt_test:pvfbt_test_dbcall:entry)" = 500 ] &&
		[ "$(count_of $T/dbj fbt:pvfbt_test:pvfbt_test_dbcall:return)" = 500 ] || fail "jump: counts"
	grep -q ' jumped 500, called 0$' $T/dbj || fail "jump: not 500 returns by jump"
	no_missed_steps $T/dbj
	# The int3 path (force_int3: what this test is about).
	rmmod pvfbt
	insmod /pvfbt.ko boost=0 force_int3=1
	pvfbt --count -n 'fbt:pvfbt_test:pvfbt_test_dbcall:' -c "sh -c 'echo 500 >$D; cat $D'" >$T/db 2>&1
	cat $T/db
	grep -q '^dbctx 500 500 ok$' $T/db || fail "probed: wrong hits or values"
	e=$(count_of $T/db fbt:pvfbt_test:pvfbt_test_dbcall:entry)
	r=$(count_of $T/db fbt:pvfbt_test:pvfbt_test_dbcall:return)
	[ "$e" = 500 ] && [ "$r" = 500 ] || fail "entries $e, returns $r, want 500"
	no_missed_steps $T/db
	if [ "$expect_env" = native ]; then
		grep -q ' stepped 0, emulated 500, boosted 0, unstepped 500' $T/db || fail "native: want 500 unstepped, 0 stepped"
	else
		grep -q ' stepped 500, emulated 500, boosted 0, unstepped 0' $T/db || fail "xen-pv: want 500 stepped"
	fi
	echo 100 >$D && [ "$(cat $D)" = "dbctx 100 100 ok" ] || fail "after: breakpoint broken"
	rmmod pvfbt
	insmod /pvfbt.ko $INSMOD_ARGS
}

# Single-step bookkeeping.  A fixture steps pvfbt_test_tftarget with TF set
# by itself (its own die notifier, below pvfbt's, takes every step): probed,
# it must see the very steps it sees unprobed, at the same addresses (pvfbt
# keeps the code's TF and passes the step on at site + length; the return,
# emulated, resumes through the pad), for a stepped (boost=0) and a boosted
# (boost=1) entry.  Then a step that never came (the fixture runs into a
# guard with TF set, as a lost step does) must not make pvfbt claim the
# fixture's later steps.
t_foreign_step() {
	grep -q '^pvfbt_test ' /proc/modules || insmod /tests/pvfbt_test.ko || fail "insmod pvfbt_test"
	S=/sys/kernel/debug/pvfbt_test/tfstep
	G=/sys/kernel/debug/pvfbt_test/tfguard
	echo 200 >$S; cat $S >$T/tf.ref
	cat $T/tf.ref
	grep -q ' ok$' $T/tf.ref || fail "unprobed run not ok"
	for b in 0 1; do
		rmmod pvfbt
		# (int3 sites: a step through a call or a jump sees
		# ftrace's or pvfbt's trampoline, as with any tracer's)
		insmod /pvfbt.ko boost=$b force_int3=1
		pvfbt -q -n 'fbt:pvfbt_test:pvfbt_test_tftarget:' -c "sh -c 'echo 200 >$S; cat $S'" >$T/tf$b 2>&1
		cat $T/tf$b
		grep '^tfstep' $T/tf$b >$T/tf$b.res || true
		cmp -s $T/tf.ref $T/tf$b.res || fail "boost=$b: the fixture's steps differ from unprobed"
		grep -q ' hits 400,' $T/tf$b || fail "boost=$b: want 400 hits"
		grep -q ' stepped 200, emulated 200, boosted 0' $T/tf$b || fail "boost=$b: want 200 stepped, 200 emulated"
		no_missed_steps $T/tf$b
	done
	rmmod pvfbt
	insmod /pvfbt.ko boost=0 force_int3=1
	area=$(awk '$3 == "pvfbt_slot_area" { print $1; exit }' /proc/kallsyms)
	[ -n "$area" ] || fail "no pvfbt_slot_area in /proc/kallsyms"
	pvfbt -q -n 'fbt:pvfbt_test:pvfbt_test_tfguardsite:entry' \
		-c "sh -c 'echo 3 $area >$G; cat $G; echo 200 >$S; cat $S'" >$T/tfg 2>&1
	cat $T/tfg
	grep -q '^tfguard 3 1 ok$' $T/tfg || fail "guard runs"
	grep '^tfstep' $T/tfg >$T/tfg.res || true
	cmp -s $T/tf.ref $T/tfg.res || fail "after 3 missed steps, the fixture's steps differ from unprobed"
	[ "$(val $T/tfg 'missed steps')" = 3 ] || fail "want 3 missed steps"
	[ "$(val $T/tfg 'late steps')" = 0 ] || fail "want 0 late steps"
	rmmod pvfbt
	insmod /pvfbt.ko $INSMOD_ARGS
}

# Issue 12 item 4: a list whose copy to the user waits (a userfaultfd
# buffer) holds no pvfbt lock: module load and unload (the module notifier
# takes the provider's lock) complete while it waits; then the list does.
t_list_uffd() {
	# (earlier tests may have left the fixture loaded: this one loads it)
	! grep -q '^pvfbt_test ' /proc/modules || rmmod pvfbt_test
	rm -f $T/ub $T/ur $T/ug
	uffd-list $T/ub $T/ur $T/ug >$T/ul 2>&1 &
	p=$!
	w=0
	while [ ! -e $T/ub ] && [ $w -lt 600 ] && kill -0 $p 2>/dev/null; do sleep 0.1; w=$((w + 1)); done
	[ -e $T/ub ] || { cat $T/ul; touch $T/ug; fail "the list never blocked on its buffer"; }
	insmod /tests/pvfbt_test.ko || { touch $T/ug; fail "insmod pvfbt_test"; }
	rmmod pvfbt_test || { touch $T/ug; fail "rmmod pvfbt_test"; }
	# The list was still held when they returned: they did not wait for it.
	[ ! -e $T/ur ] || { touch $T/ug; wait $p; cat $T/ul; fail "insmod/rmmod waited for the blocked list"; }
	touch $T/ug
	wait $p || { cat $T/ul; fail "the list did not complete"; }
	cat $T/ul
	grep -q 'functions listed' $T/ul || fail "no list"
}

# Issue 12 item 8: rings exist only during a session, one per CPU online.
ring_kib() { pvfbt --status | sed -n 's/^session memory: *\([0-9]*\) KiB (\([0-9]*\) rings)$/\1 \2/p'; }
pvfbt_vmalloc() { awk '/\[pvfbt\]/ { s += $2 } END { print s + 0 }' /proc/vmallocinfo; }
t_footprint() {
	pvfbt --status | tee $T/fs
	ring=$(sed -n 's/^ring:.*(\([0-9]*\) bytes mapped)$/\1/p' $T/fs)
	[ -n "$ring" ] || fail "no ring size in --status"
	# What the module really holds in vmalloc at rest: less than one ring.
	v=$(pvfbt_vmalloc)
	echo "vmalloc of pvfbt at rest: $v bytes; one ring: $ring bytes"
	[ "$v" -lt "$ring" ] || fail "at rest pvfbt holds $v bytes of vmalloc, one ring is $ring"
	grep -q '^memory at rest: *[0-9]* KiB' $T/fs || fail "no memory at rest in --status"
	[ "$(ring_kib)" = "0 0" ] || fail "rings at rest: $(ring_kib)"
	online=$(grep -c '^processor' /proc/cpuinfo)
	pvfbt -q -n 'fbt::sys_getppid:' -d 30 >$T/fp 2>&1 &
	p=$!
	fp_fail() { kill $p 2>/dev/null; wait $p; fail "$@"; }
	wait_armed 180 || fp_fail "never armed"
	set -- $(ring_kib)
	echo "in a session: $1 KiB, $2 rings, $online cpus online"
	[ "$2" = "$online" ] || fp_fail "$2 rings for $online online cpus"
	[ "$1" -ge $((online * ring / 1024)) ] || fp_fail "$1 KiB for $2 rings of $ring bytes"
	[ "$(pvfbt_vmalloc)" -ge $((v + online * ring)) ] || fp_fail "rings not in vmalloc"
	kill -INT $p; wait $p || fail "consumer failed"
	[ "$(ring_kib)" = "0 0" ] || fail "rings left after the session: $(ring_kib)"
	[ "$(pvfbt_vmalloc)" = "$v" ] || fail "vmalloc after the session: $(pvfbt_vmalloc), before $v"
}

# A CPU that comes online during a session gets a ring, its hits are
# recorded and read (exact count); going offline it keeps the ring until
# the session ends.
t_cpu_hotplug() {
	C=/sys/devices/system/cpu/cpu1/online
	[ -e $C ] || fail "no $C (cpu1 cannot be hot-unplugged)"
	echo 0 >$C || fail "cpu1 offline"
	pvfbt --count --per-cpu --comm getppid-loop -n 'fbt::sys_getppid:entry' -d 120 >$T/hp 2>&1 &
	p=$!
	# A failure leaves no consumer and no offline CPU behind.
	hp_fail() { echo 1 >$C; kill $p 2>/dev/null; wait $p; cat $T/hp; fail "$@"; }
	wait_armed 180 || hp_fail "never armed"
	set -- $(ring_kib)
	[ "$2" = 1 ] || hp_fail "'$2' rings with cpu1 offline"
	echo 1 >$C || hp_fail "cpu1 online"
	set -- $(ring_kib)
	[ "$2" = 2 ] || hp_fail "'$2' rings after cpu1 came online"
	taskset 2 getppid-loop 20000 || hp_fail "getppid-loop on cpu1"
	echo 0 >$C || hp_fail "cpu1 offline again"
	set -- $(ring_kib)
	[ "$2" = 2 ] || hp_fail "cpu1's ring went with it: '$2' rings"
	taskset 1 getppid-loop 1000
	kill -INT $p; wait $p || hp_fail "consumer failed"
	echo 1 >$C
	cat $T/hp
	[ "$(count_of $T/hp fbt:vmlinux:__x64_sys_getppid:entry)" = 21000 ] || fail "count"
	grep -Eq 'cpu 1: hits [0-9]+, records 20000, drops 0,' $T/hp || fail "cpu1's hits"
	grep -Eq 'cpu 0: hits [0-9]+, records 1000, drops 0,' $T/hp || fail "cpu0's hits"
	[ "$(ring_kib)" = "0 0" ] || fail "rings left after the session"
}

# Issue 12 item 9: a consumer in a pid namespace.  --pid takes a pid of its
# namespace; it excludes itself from what it records.
t_pidns() {
	# In the namespace: inner.sh (a pid of the namespace) starts a consumer
	# that keeps only its own hits (--pid) until it exits (-p), waits until
	# the probes are armed, then becomes getppid-loop.  Started before the
	# consumer, the shell's own getppid at startup is not traced.
	cat >$T/inner.sh <<-EOS
	pvfbt --count -n 'fbt::sys_getppid:entry' --pid \$\$ -p \$\$ >$T/ns1 2>&1 &
	w=0; while [ "\$(pvfbt --status | sed -n 's/^probes armed: *//p')" = 0 ] && [ \$w -lt 30 ]; do sleep 1; w=\$((w + 1)); done
	echo "in the namespace: pid \$\$"
	exec getppid-loop 3000
	EOS
	cat >$T/ns.sh <<-EOS
	sh $T/inner.sh
	w=0; while pvfbt --status | grep -q '^session owner: *pid' && [ \$w -lt 300 ]; do sleep 0.1; w=\$((w + 1)); done
	# Self-exclusion: the consumer's own poll(2) calls are not recorded.
	pvfbt -n 'fbt::do_sys_poll:entry' -d 3 -o $T/ns2 >$T/ns2.err 2>&1
	echo "consumer exit \$?" >>$T/ns2.err
	EOS
	unshare -p -f --mount-proc sh $T/ns.sh || fail "unshare"
	cat $T/ns1 $T/ns2.err
	grep -q 'consumer exit 0' $T/ns2.err || fail "consumer 2"
	[ "$(count_of $T/ns1 fbt:vmlinux:__x64_sys_getppid:entry)" = 3000 ] || fail "--pid in a namespace: not 3000"
	! grep -q ' pvfbt ' $T/ns2 || { grep ' pvfbt ' $T/ns2 | head -3; fail "the consumer recorded itself"; }
}

t_unload() {
	rmmod pvfbt || fail "rmmod"
	[ ! -e /dev/pvfbt ] || fail "/dev/pvfbt left behind"
	! grep -q '^pvfbt ' /proc/modules || fail "still in /proc/modules"
	# Reload and unload once more: nothing was left that breaks a second life.
	insmod /pvfbt.ko && rmmod pvfbt || fail "second load/unload"
}

# --count --stack --folded: folded stacks (flame-graph input), one line per
# distinct stack "root;...;caller;leaf COUNT", the leaf the probe; exactly
# one hit per getppid call.
t_folded() {
	M=3000
	pvfbt --count --stack --folded --comm getppid-loop -n 'fbt::sys_getppid:entry' \
		-c "getppid-loop $M" >$T/fo 2>$T/fo.err
	cat $T/fo $T/fo.err
	[ -s $T/fo ] || fail "no output"
	bad=$(grep -cvE '^[^ ;]+(;[^ ;]+)* [0-9]+$' $T/fo || true)
	[ "$bad" = 0 ] || fail "$bad lines are not folded stacks"
	[ "$(awk '{ s += $NF } END { print s }' $T/fo)" = $M ] || fail "total is not $M"
	lines=$(wc -l <$T/fo)
	[ "$(grep -cE '(^|;)__x64_sys_getppid:entry [0-9]+$' $T/fo)" = "$lines" ] ||
		fail "not every stack ends in the probe"
	[ "$(grep -c 'do_syscall_64;' $T/fo)" = "$lines" ] || fail "a stack not through do_syscall_64"
	! grep -q '^\[incomplete\]' $T/fo || fail "incomplete stack"
	[ "$(sort $T/fo | cut -d' ' -f1 | uniq -d | wc -l)" = 0 ] || fail "a stack on two lines"
	grep -q " 0 dropped," $T/fo.err || fail "drops"
}

# --count --by comm|arg2|retval: exact counts per key
t_count_by() {
	pvfbt --count --by comm -n 'fbt::sys_getppid:' -c 'getppid-loop 2000' >$T/bc 2>&1
	cat $T/bc
	grep -Eq '^PROBE +COMM +COUNT$' $T/bc || fail "header"
	grep -Eq '^fbt:vmlinux:__x64_sys_getppid:entry +getppid-loop +2000$' $T/bc || fail "entries of getppid-loop"
	grep -Eq '^fbt:vmlinux:__x64_sys_getppid:return +getppid-loop +2000$' $T/bc || fail "returns of getppid-loop"
	head -c 300 /dev/zero >$T/data
	# readn: one read and 49 preads of 123 bytes, each a vfs_read(.., count = 123, ..)
	pvfbt --count --by arg2 --comm readn -n 'fbt::vfs_read:entry' -c "readn $T/data 123 50" >$T/ba 2>&1
	cat $T/ba
	grep -Eq '^fbt:vmlinux:vfs_read:entry +123 +50$' $T/ba || fail "arg2 = 123: not 50 calls"
	pvfbt --count --by retval --comm readn -n 'fbt::vfs_read:return' -c "readn $T/data 123 50" >$T/br 2>&1
	cat $T/br
	grep -Eq '^fbt:vmlinux:vfs_read:return +123 +50$' $T/br || fail "retval = 123: not 50 returns"
}

# --format=chrome: a trace-event timeline, one complete event ("X") per
# call.  Checked line by line here (busybox); the host tests load such a
# file with Chrome DevTools' trace engine.
t_timeline() {
	M=2000
	pvfbt --format=chrome -o $T/tl.json --comm getppid-loop -n 'fbt::sys_getppid:' \
		-c "getppid-loop $M" >$T/tl 2>&1
	cat $T/tl
	head -c 600 $T/tl.json; echo; tail -n 2 $T/tl.json
	[ "$(head -n 1 $T/tl.json)" = '{"displayTimeUnit":"ns","traceEvents":[' ] || fail "head"
	tail -n 1 $T/tl.json | grep -q '^],"otherData":{"source":"pvfbt","slices":'"$M"',"instants":0}}$' || fail "tail"
	x=$(grep -c '^{"ph":"X","name":"__x64_sys_getppid","cat":"vmlinux","ts":[0-9]*\.[0-9]\{3\},"dur":[0-9]*\.[0-9]\{3\},"pid":[0-9]*,"tid":[0-9]*,"args":{"arg0":"0x[0-9a-f]*",.*"retval":[0-9-]*}},$' $T/tl.json || true)
	last=$(tail -n 2 $T/tl.json | head -n 1)
	case $last in '{"ph":"X",'*'}}') x=$((x + 1)) ;; esac
	[ "$x" = $M ] || fail "$x slices, want $M"
	[ "$(grep -c '"ph":"X"' $T/tl.json)" = $M ] || fail "other slices"
	! grep -q '"ph":"i"' $T/tl.json || fail "unpaired entries or returns"
	[ "$(grep -c '"ph":"M","name":"thread_name"' $T/tl.json)" = 1 ] || fail "thread names"
	[ "$(wc -l <$T/tl.json)" = $((M + 3)) ] || fail "lines"
	grep -q "timeline: $M slices, 0 instants" $T/tl || fail "summary"
	grep -q " 0 dropped," $T/tl || fail "drops"
}

tests="load environment nonroot_refused bad_specs getppid_exact read_args syscall_args btf_args shapes shared_site return_form jump_returns jump_entries call_entries
	emulation_matches_step boost_matches_step tail_calls exact_counts stack text_writes sigkill_restores_text module_unload_under_probes rmmod_while_firing
	module_lifecycle foreign_return foreign_range coexist db_context foreign_step
	list_uffd footprint cpu_hotplug pidns folded count_by timeline unload"
# PVFBT_TESTS="load NAME... unload" runs only those (development).
tests=${PVFBT_TESTS:-$tests}
ktap_run "pvfbt guest tests ($guest)" $tests
