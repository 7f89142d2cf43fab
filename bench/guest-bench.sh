#!/bin/sh
# In-guest benchmark of pvfbt against kprobes, ftrace and BPF (issue 6, 13).
#   sh guest-bench.sh [N_GETPPID N_READ REPS [PARTS [MAX_REPS [BUDGET_S [TIGHT [INNER [PAIRED]]]]]]]
# Runs as root with pvfbt.ko not loaded (it loads and unloads it).  PARTS is
# a list of hit,arm,drain (default all three).  Results are lines
#   BENCH <kind> ...
# on stdout, parsed by bench/run.sh; everything else is commentary.  Every
# figure of one run comes from this one boot.
# The per-hit part runs at least REPS interleaved rounds per function and
# then more, up to MAX_REPS, until every ratio's spread is tight (estimate.awk
# check=TIGHT: interquartile range of the per-round ratios at most TIGHT of
# the median) or the function has used BUDGET_S seconds.  In a round, each
# configuration runs INNER timed loops of N calls (after one warm-up) and
# its figure is the fastest of them: a loop that the host's load slowed
# down (an emulator thread descheduled) does not count.
# PAIRED=1: every loop is timed against getpid(2) in pairs a few ms apart
# (callbench ... paired) and its figure is in thousandths of a getpid call,
# not in ns: a host whose speed swings from second to second (Xen PV under
# TCG with other guests) swings both halves of a pair alike.
N_GETPPID=${1:-100000}
N_READ=${2:-100000}
REPS=${3:-5}
PARTS=${4:-hit,arm,drain}
MAX_REPS=${5:-$((REPS * 3))}
BUDGET_S=${6:-300}
TIGHT=${7:-0.10}
INNER=${8:-3}
PAIRED=${9:-0}
T=/tmp/pvfbt-bench
TR=/sys/kernel/tracing
KP=/sys/kernel/debug/kprobes
mkdir -p $T
# The bench programs: next to this script, in /extra (tests/vm/run --add)
# or in /bench (the initramfs' copy of bench/).
here=$(cd "$(dirname "$0")" && pwd)
for d in "$here" /extra /bench /bench/progs; do
	[ -x "$d/callbench" ] && PATH=$d:$PATH
done
EST=
for d in "$here" /extra /bench; do
	[ -f "$d/estimate.awk" ] && { EST=$d/estimate.awk; break; }
done
export PATH
for p in callbench pvfbt-arm nsnow cpurun pvfbt bpfpeer; do
	command -v $p >/dev/null || { echo "guest-bench: no $p in PATH" >&2; exit 1; }
done

say() { echo "# $*"; }
part() { case ",$PARTS," in *,$1,*) return 0 ;; esac; return 1; }
# The value of "name N" in pvfbt's summary line.
summary() { sed -n "s/.*[ ,]$2 \([0-9][0-9]*\).*/\1/p" "$1" | tail -n 1; }
load() {	# load [PARAM=VALUE]...
	grep -q '^pvfbt ' /proc/modules && rmmod pvfbt
	insmod /pvfbt.ko "$@" || { echo "guest-bench: insmod $* failed" >&2; exit 1; }
}

# Enabling a trace event (a kprobe event here) also starts recording the
# comms of scheduled tasks: it hooks sched_switch and sched_wakeup, which
# patches jump labels and static calls inside __schedule() each time a
# kprobe configuration starts or stops.  Under QEMU's multi-threaded TCG
# that patching can leave a vCPU a stale translation of the int3 that
# text_poke_bp() put there: the vCPU, in __schedule() with interrupts off,
# traps on it for ever and the other one waits for it in the next sync
# (seen under Xen in about half of the runs, with pvfbt never armed in
# __schedule(): the kernel's own patching, old pvfbt code or new).  No
# configuration needs the comms: off, for all of them alike.
[ -w $TR/options/record-cmd ] && echo 0 >$TR/options/record-cmd

env=$(pvfbt --status 2>/dev/null | sed -n 's/^environment: *//p')
[ -n "$env" ] || { load; env=$(pvfbt --status | sed -n 's/^environment: *//p'); }
echo "BENCH meta env $env"
echo "BENCH meta kernel $(uname -r)"
echo "BENCH meta cpus $(nproc)"
echo "BENCH meta n_getppid $N_GETPPID"
echo "BENCH meta n_read $N_READ"
echo "BENCH meta reps $REPS"
echo "BENCH meta max_reps $MAX_REPS"
echo "BENCH meta budget_s $BUDGET_S"
echo "BENCH meta tight $TIGHT"
echo "BENCH meta inner $INNER"
if [ "$PAIRED" = 1 ]; then
	PAIRARG=paired
	echo "BENCH meta unit milli-getpid"
else
	PAIRARG=
	echo "BENCH meta unit ns"
fi
load

# ---------------------------------------------------------------- 1. hits
# One line per configuration: BENCH hit FN CFG NS NS ... (one per repetition)
# and BENCH note FN CFG TEXT for what the configuration looked like.
kp_clear() {
	[ -d $TR/events/kprobes ] && echo 0 >$TR/events/kprobes/enable
	echo >$TR/kprobe_events
	echo nop >$TR/current_tracer
	echo >$TR/set_ftrace_filter
	echo >$TR/trace
}
# one FN CFG CMD...: run CMD (which runs callbench for one repetition) and
# append its figure to $T/v.FN.CFG ("x" when it failed).
one() {
	fn=$1 cfg=$2
	shift 2
	"$@" >$T/out 2>$T/err
	rc=$?
	v=$(awk '$1 == "callbench" && (m == "" || $4 + 0 < m + 0) { m = $4 } END { printf "%s", m }' $T/out)
	if [ $rc != 0 ] || [ -z "$v" ]; then
		say "$fn $cfg failed (status $rc):"
		sed 's/^/#   /' $T/out $T/err | tail -n 20
		v=x
	fi
	printf '%s ' "$v" >>$T/v.$fn.$cfg
	[ $rc = 0 ]
}
kp_note() {	# what the kernel made of probe pvb: [OPTIMIZED], [FTRACE]...
	l=$(grep -m1 -E ' (k|r) ' $KP/list 2>/dev/null | sed 's/^[0-9a-f]* *//')
	h=$(awk '$1 == "pvb" { print "hits " $2 ", misses " $3 }' $TR/kprobe_profile)
	echo "$l; $h" >$T/n.$1.$2
}
# The BPF peers (bench/progs/bpfpeer, a static libbpf loader): fentry,
# fexit, kprobe (at +0: through ftrace) and kretprobe, each counting hits
# only or writing a pvfbt-sized record into a BPF ring buffer it drains.
BPFCFGS="bpf-fentry-count bpf-fexit-count bpf-kprobe-count bpf-kretprobe-count bpf-fentry-record bpf-fexit-record bpf-kprobe-record bpf-kretprobe-record"
# pvfbt-{entry,return}-{reach,count}: the same probe with pvfbt's bench
# parameter hit_stop (trap.c) at 1, the handler returns on arrival, or 2,
# it counts and records nothing: a hit's cost broken into reaching pvfbt,
# pvfbt's accounting, and the record (the full pvfbt-entry/-return).
BREAKDOWN="pvfbt-entry-reach pvfbt-entry-count pvfbt-return-reach pvfbt-return-count"
CFGS="baseline pvfbt-entry pvfbt-return pvfbt-both $BREAKDOWN kprobe-int3 kprobe-opt kretprobe kprobe-ftrace ftrace-function baseline-mid $BPFCFGS baseline2"

# cfg FN CFG: set CFG up, run one repetition of FN, tear it down.
cfg() {
	fn=$1 c=$2
	run="callbench $fn $n $INNER $PAIRARG"
	case $c in
	baseline|baseline-mid|baseline2)
		one $fn $c $run ;;
	pvfbt-*-reach|pvfbt-*-count)
		k=${c#pvfbt-}; stop=${k#*-}; k=${k%-*}
		[ $stop = reach ] && stop=1 || stop=2
		echo $stop >/sys/module/pvfbt/parameters/hit_stop &&
			one $fn $c pvfbt -q -n fbt:vmlinux:$sym:$k -c "$run"
		echo 0 >/sys/module/pvfbt/parameters/hit_stop ;;
	pvfbt-entry|pvfbt-return|pvfbt-both)
		k=${c#pvfbt-}
		spec=fbt:vmlinux:$sym:$k
		[ $k = both ] && spec=fbt:vmlinux:$sym:
		one $fn $c pvfbt -q -n $spec -c "$run" &&
			grep '^pvfbt: hits' $T/err >$T/n.$fn.$c ;;
	bpf-*)
		# bpfpeer attaches, runs the loop, detaches, prints its counter.
		h=${c#bpf-}
		one $fn $c bpfpeer ${h%-*} ${h#*-} $sym -- $run &&
			grep '^bpfpeer: .*hits' $T/err >$T/n.$fn.$c ;;
	kprobe-int3)
		# A kprobe at the entry instruction, on the int3 path.
		echo 0 >/proc/sys/debug/kprobes-optimization
		echo "p:kprobes/pvb $sym+$off $args" >>$TR/kprobe_events &&
		echo 1 >$TR/events/kprobes/pvb/enable && sleep 1 &&
		one $fn $c $run && kp_note $fn $c
		kp_clear ;;
	kprobe-opt)
		# The same kprobe as the kernel places it: optimized when it can be.
		echo 1 >/proc/sys/debug/kprobes-optimization
		echo "p:kprobes/pvb $sym+$off $args" >>$TR/kprobe_events &&
		echo 1 >$TR/events/kprobes/pvb/enable && {
			i=0
			while [ $i -lt 10 ] && ! grep -q OPTIMIZED $KP/list; do sleep 0.5; i=$((i + 1)); done
			one $fn $c $run && kp_note $fn $c
		}
		kp_clear ;;
	kretprobe)
		# A kretprobe (its entry half is a kprobe at +0, on ftrace).
		echo "r:kprobes/pvb $sym ret=\$retval" >>$TR/kprobe_events &&
		echo 1 >$TR/events/kprobes/pvb/enable &&
		one $fn $c $run && kp_note $fn $c
		kp_clear ;;
	kprobe-ftrace)
		# A kprobe at function+0: the fentry site, through ftrace.
		echo "p:kprobes/pvb $sym $args" >>$TR/kprobe_events &&
		echo 1 >$TR/events/kprobes/pvb/enable &&
		one $fn $c $run && kp_note $fn $c
		kp_clear ;;
	ftrace-function)
		# The function tracer, filtered to that one function (by the name
		# ftrace knows it by: __x64_sys_getppid is an alias of
		# __do_sys_getppid).  Reading the trace file is slow under TCG:
		# count the ring's entries from per_cpu/*/stats instead.
		fsym=
		for s in $sym __do_sys_${sym#__x64_sys_}; do
			grep -qx "$s" $TR/available_filter_functions && { fsym=$s; break; }
		done
		if [ -n "$fsym" ] && echo $fsym >$TR/set_ftrace_filter && echo function >$TR/current_tracer; then
			one $fn $c $run &&
			echo "$fsym; $(cat $TR/per_cpu/cpu*/stats |
				awk '/^entries:/ { e += $2 } /^overrun:/ { o += $2 } END { print "ring entries " e ", overrun " o }')" >$T/n.$fn.$c
		else
			printf 'x ' >>$T/v.$fn.$c
			echo "$sym is not in available_filter_functions" >$T/n.$fn.$c
		fi
		kp_clear ;;
	esac
}

if part hit; then
	# Repetitions are interleaved: round r runs every configuration once,
	# so a change in the host's load during the run weighs on all of them
	# alike instead of on whichever configuration was running then.
	for fn in getppid read; do
		if [ $fn = getppid ]; then sym=__x64_sys_getppid n=$N_GETPPID; else sym=vfs_read n=$N_READ; fi
		off=$(pvfbt-arm list | awk -v s=$sym '$4 == s && $3 == "vmlinux" { print $2; exit }')
		[ -n "$off" ] || { say "$sym has no usable pvfbt entry probe"; off=5; }
		echo "BENCH note $fn site $sym+$off"
		args='a0=%di a1=%si a2=%dx a3=%cx a4=%r8 a5=%r9'
		kp_clear
		rm -f $T/v.$fn.* $T/n.$fn.*
		r=1 t0=$(date +%s)
		while :; do
			for c in $CFGS; do cfg $fn $c; done
			el=$(($(date +%s) - t0))
			# Enough rounds?  At least REPS; then until the spreads are
			# tight, MAX_REPS rounds or BUDGET_S seconds.
			if [ $r -ge $REPS ]; then
				for c in $CFGS; do echo "BENCH hit $fn $c $(cat $T/v.$fn.$c)"; done >$T/sofar
				st=$([ -n "$EST" ] && awk -f $EST -v check=$TIGHT $T/sofar)
				say "$fn: round $r done after $el s: ${st:-no estimate.awk}"
				case $st in tight*) break ;; esac
				[ -n "$EST" ] || break
				[ $r -ge $MAX_REPS ] && break
				# Another round must fit the budget.
				[ $((el + el / r)) -gt $BUDGET_S ] && break
			fi
			r=$((r + 1))
		done
		echo "BENCH meta rounds_$fn $r"
		echo "BENCH meta seconds_$fn $el"
		echo "BENCH meta stop_$fn ${st%% *}"
		# A failed repetition stays an "x": the rounds stay paired.
		for c in $CFGS; do
			echo "BENCH hit $fn $c $(cat $T/v.$fn.$c)"
			[ -f $T/n.$fn.$c ] && echo "BENCH note $fn $c $(cat $T/n.$fn.$c)"
		done
	done
fi

# ------------------------------------------------- 2. enable and disable
# BENCH arm TOOL SET N enable_ns E disable_ns D [more]
if part arm; then
	load
	# Candidates: vmlinux functions whose name is unique in kallsyms (a
	# kprobe_events symbol must be), spread evenly over the catalogue.
	pvfbt-arm list >$T/elig
	awk '{ print $3 }' /proc/kallsyms | sort | uniq -d >$T/dups
	awk 'NR == FNR { d[$1] = 1; next } $3 == "vmlinux" && !($4 in d)' $T/dups $T/elig >$T/cand
	nall=$(wc -l <$T/elig)
	ncand=$(wc -l <$T/cand)
	echo "BENCH meta eligible_entry_probes $nall"
	say "eligible: $nall entry probes, $ncand unique vmlinux names"
	# Keep the first 1000 (of 1100 spread out) that kprobe_events accepts.
	awk -v n=$ncand 'BEGIN { s = n / 1100; if (s < 1) s = 1 } NR % int(s) == 0' $T/cand | head -n 1100 >$T/try
	kp_clear
	echo 0 >/proc/sys/debug/kprobes-optimization
	: >$T/sel
	i=0
	while read fid off mod name; do
		echo "p:kprobes/pb$i $name+$off" >>$TR/kprobe_events 2>/dev/null &&
			echo "$fid $off $mod $name" >>$T/sel
		i=$((i + 1))
	done <$T/try
	echo >$TR/kprobe_events
	head -n 1000 $T/sel >$T/sel1000
	nsel=$(wc -l <$T/sel1000)
	say "kprobe_events accepted $(wc -l <$T/sel) of $(wc -l <$T/try) candidates; using $nsel"
	awk '{ printf "p:kprobes/pb%d %s+%s\n", NR, $4, $2 }' $T/sel1000 >$T/kdefs
	awk '{ printf "fbt:vmlinux:%s:entry\n", $4 }' $T/sel1000 >$T/specs

	# pvfbt, at the ioctl: one PVFBT_IOC_ENABLE and one PVFBT_IOC_DISABLE.
	for r in 1 2 3; do
		o=$(pvfbt-arm time $T/sel1000) && echo "BENCH arm pvfbt-ioctl 1000 $nsel ${o#pvfbt-arm: probes * }"
	done
	# pvfbt, the consumer: list, match, enable, trace 1 ms, disable, exit.
	# The same with one probe is the fixed cost.
	nspec=$(sed 's/^/-n /' $T/specs | tr '\n' ' ')
	for r in 1 2 3; do
		t0=$(nsnow); pvfbt -q -n fbt:vmlinux:__x64_sys_getppid:entry -d 0.001 2>$T/p1; t1=$(nsnow)
		echo "BENCH arm pvfbt-cli 1 1 total_ns $((t1 - t0))"
	done
	# Once only: each -n is matched against the whole catalogue (~1 min).
	t0=$(nsnow); pvfbt -q $nspec -d 0.001 2>$T/p1000; rc=$?; t1=$(nsnow)
	[ $rc = 0 ] || { say "pvfbt with 1000 specs failed:"; sed 's/^/#   /' $T/p1000; }
	echo "BENCH arm pvfbt-cli 1000 $(sed -n 's/.*, \([0-9]*\) probes$/\1/p' $T/p1000) total_ns $((t1 - t0))"

	# kprobes through tracefs, on the int3 path and with optimization on.
	for optz in 0 1; do
		if [ $optz = 1 ] && [ $(( (t5 - t0) / 1000000000 )) -gt ${KPROBE_SKIP_S:-150} ]; then
			echo "BENCH note arm kprobe-opt1 skipped: 1000 kprobes on the int3 path took $(( (t5 - t0) / 1000000000 )) s"
			continue
		fi
		echo $optz >/proc/sys/debug/kprobes-optimization
		kp_clear
		t0=$(nsnow); cat $T/kdefs >>$TR/kprobe_events; t1=$(nsnow)
		nreg=$(wc -l <$TR/kprobe_events)
		echo 1 >$TR/events/kprobes/enable; t2=$(nsnow)
		if [ $optz = 1 ]; then
			# The optimizer works in the background: wait for it.
			i=0 last=x
			while [ $i -lt 120 ] && [ "$(grep -c OPTIMIZED $KP/list)" != "$last" ]; do
				last=$(grep -c OPTIMIZED $KP/list); sleep 1; i=$((i + 1))
			done
		fi
		nopt=$(grep -c OPTIMIZED $KP/list)
		t3=$(nsnow)
		[ $optz = 1 ] && say "optimizer settled $(( (t3 - t2) / 1000000 )) ms after the enable"
		echo 0 >$TR/events/kprobes/enable; t4=$(nsnow)
		echo >$TR/kprobe_events; t5=$(nsnow)
		echo "BENCH arm kprobe-opt$optz 1000 $nreg define_ns $((t1 - t0)) enable_ns $((t2 - t1)) disable_ns $((t4 - t3)) remove_ns $((t5 - t4)) optimized $nopt"
	done
	echo 0 >/proc/sys/debug/kprobes-optimization

	# Every eligible entry probe: the first enable also creates the sites;
	# three more show an enable whose sites exist.
	o=$(pvfbt-arm time all) && echo "BENCH arm pvfbt-ioctl all ${o#pvfbt-arm: probes }"
	for r in 1 2 3; do
		o=$(pvfbt-arm time all) && echo "BENCH arm pvfbt-ioctl all-again ${o#pvfbt-arm: probes }"
	done
	# Every eligible return probe, the same way.
	o=$(pvfbt-arm time all-returns) && echo "BENCH arm pvfbt-ioctl all-returns ${o#pvfbt-arm: probes }"
	for r in 1 2 3; do
		o=$(pvfbt-arm time all-returns) && echo "BENCH arm pvfbt-ioctl all-returns-again ${o#pvfbt-arm: probes }"
	done
	pvfbt --status | sed -n 's/^text writes: */BENCH note arm text-writes /p'
	t0=$(nsnow); pvfbt -q -n 'fbt:::entry' -d 0.001 2>$T/pall; rc=$?; t1=$(nsnow)
	[ $rc = 0 ] || { say "pvfbt fbt:::entry failed:"; sed 's/^/#   /' $T/pall; }
	echo "BENCH arm pvfbt-cli all $(sed -n 's/.*, \([0-9]*\) probes$/\1/p' $T/pall) total_ns $((t1 - t0))"
	# kprobes for every eligible function: only if the 1000 took little.
	echo "BENCH note arm kprobe-all not measured: $ncand functions at the 1000-probe rate would take too long under TCG (see kprobe-opt0 1000)"
	echo 1 >/proc/sys/debug/kprobes-optimization
fi

# ------------------------------------------------------------ 3. drain
# Drain rate: a stopped consumer, a big ring filled by N getppid calls with
# both probes, then SIGCONT: the time until it has read everything and
# exited, less the same with 1 call.
#   BENCH drainrate CALLS records R drops D ns NS
# Drop onset: P getppid loops at full speed, both probes, consumer running.
#   BENCH drain RING_RECORDS P calls C wall_ns W hits H records R drops D
if part drain; then
	drain_fill() {	# drain_fill CALLS
		rm -f $T/pvpid $T/t0
		cat >$T/fill.sh <<-EOS
		i=0
		while { [ ! -s $T/pvpid ] || ! pvfbt --status | grep -q '^probes armed: *[1-9]'; } && [ \$i -lt 600 ]; do sleep 0.1; i=\$((i + 1)); done
		pv=\$(cat $T/pvpid)
		kill -STOP \$pv
		callbench getppid $1 1 >/dev/null
		nsnow >$T/t0
		kill -CONT \$pv
		EOS
		sh $T/fill.sh &
		w=$!
		pvfbt -q -n fbt:vmlinux:__x64_sys_getppid: -p $w 2>$T/dr &
		pv=$!
		echo $pv >$T/pvpid
		wait $pv
		t1=$(nsnow)
		wait $w
		echo "BENCH drainrate $1 records $(summary $T/dr records) drops $(summary $T/dr drops) ns $((t1 - $(cat $T/t0)))"
	}
	drain_run() {	# drain_run P
		p=$1
		cat >$T/work.sh <<-EOS
		i=0
		while ! pvfbt --status | grep -q '^probes armed: *[1-9]' && [ \$i -lt 600 ]; do sleep 0.1; i=\$((i + 1)); done
		t0=\$(nsnow)
		j=0
		while [ \$j -lt $p ]; do callbench getppid $N_GETPPID 1 >/dev/null & j=\$((j + 1)); done
		wait
		t1=\$(nsnow)
		echo "\$((t1 - t0))" >$T/wall
		EOS
		sh $T/work.sh &
		w=$!
		pvfbt -q -n fbt:vmlinux:__x64_sys_getppid: -p $w 2>$T/d
		wait $w
		echo "BENCH drain $(ring_records) $p calls $((p * N_GETPPID)) wall_ns $(cat $T/wall) hits $(summary $T/d hits) records $(summary $T/d records) drops $(summary $T/d drops)"
	}
	ring_records() { pvfbt --status | sed -n 's/^ring: *\([0-9]*\) records.*/\1/p'; }

	load ring_pages=4096
	echo "BENCH meta big_ring_records $(ring_records)"
	for c in 1 50000 1 50000; do drain_fill $c; done
	for pages in 256 16; do
		load ring_pages=$pages
		for p in 1 2 4; do drain_run $p; done
	done
	rmmod pvfbt
fi
echo "BENCH done"
