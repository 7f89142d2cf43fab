#!/bin/sh
# In-guest tests for pvfbt, KTAP output (kselftest conventions).
#   sh /tests/run-tests.sh native|xen-pv
# Runs as root with pvfbt.ko not loaded; leaves it unloaded.
expect_env=${1:?expected environment: native or xen-pv}
N=${GETPPID_N:-300000}
T=/tmp/pvfbt-tests
mkdir -p $T
. /tests/lib.sh

count_of() { awk -v p="$2" '$1 == p { print $2 }' "$1"; }

t_load() {
	insmod /pvfbt.ko || fail "insmod"
	[ -c /dev/pvfbt ] || fail "no /dev/pvfbt"
	ls -l /dev/pvfbt | grep -q '^crw-------' || fail "/dev/pvfbt is not 0600: $(ls -l /dev/pvfbt)"
	grep -q '^pvfbt ' /proc/modules || fail "not in /proc/modules"
}

t_environment() {
	pvfbt --status | tee $T/status
	grep -q "^environment: *$expect_env\$" $T/status || fail "expected $expect_env"
	grep -q "^abi version: *4\$" $T/status || fail "abi version"
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
}

t_read_args() {
	head -c 300 /dev/zero | tr '\0' x >$T/data
	pvfbt --comm readn -n 'fbt::ksys_read:' -c "readn $T/data 123" >$T/r 2>&1
	cat $T/r
	grep -q '^read=123$' $T/r || fail "readn did not read 123 bytes"
	# entry args: fd buf count -> the third is 123 (0x7b)
	grep -qE 'ksys_read:entry +0x[0-9a-f]+ 0x[0-9a-f]+ 0x7b ' $T/r || fail "no entry with arg2 = 0x7b"
	grep 'ksys_read:return' $T/r | grep -q '= 0x7b (123)' || fail "no return of 123"
	no_missed_steps $T/r
}

t_shapes() {
	insmod /tests/pvfbt_test.ko || fail "insmod pvfbt_test"
	R=/sys/kernel/debug/pvfbt_test/run
	cat >$T/shapes.sh <<-EOS
	for a in 0 1 2; do echo "multiret \$a 1000" >$R; cat $R; done
	for s in riprel call jcc jcc2; do
		for a in 0 5; do echo "\$s \$a 500" >$R; cat $R; done
	done
	EOS
	pvfbt --json -o $T/shapes.json -n 'fbt:pvfbt_test:pvfbt_test_*:' -c "sh $T/shapes.sh" >$T/s 2>&1
	cat $T/s
	! grep -q WRONG $T/s || fail "a probed shape returned a wrong value"
	[ "$(grep -c ' ok$' $T/s)" = 11 ] || fail "not every run reported ok"
	for p in multiret:entry:3000 multiret:return:3000 riprel:entry:1000 riprel:return:1000 \
		 call:entry:1000 call:return:1000 leaf:entry:1000 leaf:return:1000 \
		 jcc:entry:1000 jcc:return:1000 jcc2:entry:1000 jcc2:return:1000; do
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
}

# Every emulated entry form (push %reg) against single-step: the same shapes
# run with the site stepped (boost=0) and emulated (boost=1) must give the
# same results, each right, with the hits resumed the way the mode says.
t_emulation_matches_step() {
	R=/sys/kernel/debug/pvfbt_test/run
	for b in 0 1; do
		rmmod pvfbt
		insmod /pvfbt.ko boost=$b
		pvfbt --per-cpu -q -n 'fbt:pvfbt_test:pvfbt_test_push_*:entry' -n 'fbt:pvfbt_test:pvfbt_test_multiret:entry' \
			-c "for s in push_rbx push_r12 push_r13 push_r14 push_r15 push_rbp multiret; do
				for a in 0 1 7 -5; do echo \"\$s \$a 200\" >$R; cat $R; done; done" >$T/em$b 2>&1
		cat $T/em$b
		grep -v '^pvfbt' $T/em$b >$T/em$b.res
		[ "$(grep -c ' ok$' $T/em$b.res)" = 28 ] || fail "boost=$b: not every shape right"
		grep -q ' hits 5600,' $T/em$b || fail "boost=$b: want 5600 hits"
	done
	cmp $T/em0.res $T/em1.res || fail "emulated and stepped results differ"
	grep -q ' stepped 5600, emulated 0' $T/em0 || fail "boost=0 did not step every hit"
	grep -q ' stepped 0, emulated 5600' $T/em1 || fail "boost=1 did not emulate every hit"
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
	for b in 0 1; do
		rmmod pvfbt
		insmod /pvfbt.ko boost=$b
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
	# (6.12's napi_schedule_prep loops from its second instruction.)
	case $(uname -r) in
	6.1.*) grep -q ' napi_schedule_prep entry  *excluded: entry-branch-target$' $T/cl ||
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
		grep -q " $p\$" $T/cl || fail "not listed: '$p'"
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
		insmod /pvfbt.ko poke_alias=$pa
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
	insmod /pvfbt.ko
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
		wait_armed 30 || fail "never armed ($i)"
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
	pvfbt -q -n 'fbt:pvfbt_test::' -d 20 >$T/m 2>&1 &
	p=$!
	wait_armed 30 || fail "never armed"
	echo "multiret 1 2000" >$R
	rmmod pvfbt_test || fail "rmmod pvfbt_test while probed"
	pvfbt -l -v -n 'fbt:pvfbt_test::' >$T/ml 2>&1
	kill -INT $p; wait $p || true
	cat $T/m
	grep -q ' 0 dropped' $T/m || fail "drops"
	! grep -q '^pvfbt_test ' /proc/modules || fail "pvfbt_test still loaded"
	# A module loaded after the consumer started brings no probe with it.
	pvfbt -q -n 'fbt::sys_getppid:' -d 4 >$T/m2 2>&1 &
	p=$!
	sleep 2
	insmod /tests/pvfbt_test.ko || fail "reinsmod"
	echo "multiret 0 100" >$R
	# Only sys_getppid's two probes were ever armed in that session.
	pvfbt --status | grep -q '^probes armed: *2$' || fail "armed count changed when a module came"
	wait $p
	pvfbt --status | grep -q '^probes armed: *0$' || fail "probes left armed"
	rmmod pvfbt_test
}

t_rmmod_while_firing() {
	(while :; do getppid-loop 5000; done) &
	load=$!
	pvfbt -q -n 'fbt::sys_getppid:' -d 30 >$T/rm 2>&1 &
	p=$!
	wait_armed 30 || fail "never armed"
	if rmmod pvfbt 2>$T/rmerr; then fail "rmmod succeeded while the consumer holds the device"; fi
	kill -9 $p; wait $p 2>/dev/null || true
	rmmod pvfbt || { kill $load; fail "rmmod after the consumer died"; }
	sleep 1
	kill $load; wait $load 2>/dev/null || true
	[ ! -e /dev/pvfbt ] || fail "device left behind"
	insmod /pvfbt.ko || fail "insmod again"
}

t_unload() {
	rmmod pvfbt || fail "rmmod"
	[ ! -e /dev/pvfbt ] || fail "/dev/pvfbt left behind"
	! grep -q '^pvfbt ' /proc/modules || fail "still in /proc/modules"
	# Reload and unload once more: nothing was left that breaks a second life.
	insmod /pvfbt.ko && rmmod pvfbt || fail "second load/unload"
}

tests="load environment nonroot_refused bad_specs getppid_exact read_args shapes
	emulation_matches_step boost_matches_step tail_calls exact_counts stack text_writes sigkill_restores_text module_unload_under_probes rmmod_while_firing unload"
# PVFBT_TESTS="load NAME... unload" runs only those (development).
tests=${PVFBT_TESTS:-$tests}
echo "KTAP version 1"
echo "1..$(echo $tests | wc -w)"
for t in $tests; do run "$t" "t_$t"; done
echo "# pvfbt guest tests ($expect_env): $((n - fails)) passed, $fails failed"
[ $fails = 0 ]
