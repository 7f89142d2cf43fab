#!/usr/bin/env bash
# make check: every test, for every kernel line (or the KVERs given).
#
#   tests/check.sh [KVER]...     (default: every row of scripts/kernels.tsv)
#
# 1. per kernel: set-up (scripts/deps.sh KVER) and build (make all KVER=...)
# 2. once: the host tests (the decoder, against the pinned kernel's image;
#    the consumer), and the DKMS build for the kernels (tests/host/dkms/check)
# 3. per kernel that built: the in-guest suite in a native and in a Xen PV
#    guest, then the short stress (1,000,000 hits, 3 rounds) in both
# 4. the int3 cells (the exactness tests with force_int3=1: default line
#    native, the other line Xen PV) and the return-thunk cell (-cpu EPYC,
#    native, default line: the tests of return sites)
# 5. per kernel that built: the in-guest suite's domU subset and a short
#    stress in a PV domU (--xen-domu); for
#    the default line the domU's life while traced (save/restore, pause,
#    vcpu-set, migration refused) and migration on the 4.17.5 hypervisor
#
# Every suite prints KTAP.  Its top-level results are shown (and kept in
# build/check/) with the suite's label put before the test's name, so that a
# result says where it ran: LINE/MODE/NAME for the guests (6.12/xen-pv/
# getppid_exact, 6.1/native/stress/mixed), host/decoder/..., host/consumer/...,
# dkms/...  A set-up or build that fails, or a suite that crashed, ran no
# test or fewer than its plan, counts as one failure ("not ok - LABEL ...").
# The last line is "N passed, N failed"; the exit status is 1 if anything
# failed.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"
cd "$top" || exit 1
if (($#)); then kvers=("$@"); else mapfile -t kvers < <(all_kvers); fi
out=$top/build/check
mkdir -p "$out" && rm -f "$out"/*.log
passed=0 failed=0 failures=()
trap 'exit 130' INT TERM

fail() {	# LABEL TEXT: one failure that is not a KTAP result of a suite
	echo "not ok - $1 $2"
	failures+=("$1 $2")
	failed=$((failed + 1))
}

# step LABEL COMMAND...: a set-up step; only its failure is counted.
step() {
	local label=$1 t=$SECONDS
	shift
	echo "=== $label: $*"
	if "$@"; then
		echo "=== $label: done ($((SECONDS - t)) s)"
	else
		fail "$label" "failed"
		return 1
	fi
}

# suite LABEL COMMAND...: run it, show its output with its top-level KTAP
# results labelled, count them.  The console excerpt tests/vm/run prints
# when a guest fails ("---- console ... ----" to "----") is not counted: it
# may repeat results.  Fewer results than the plan ("1..N") is a failure.
suite() {
	local label=$1 log rc p f plan why t=$SECONDS
	shift
	log=$out/${label//\//-}.log
	echo "=== $label: $*"
	"$@" 2>&1 | sed -u -E "s#^(not ok|ok) ([0-9]+) #\\1 \\2 $label/#" | tee "$log"
	rc=${PIPESTATUS[0]}
	{ read -r p f plan; mapfile -t -O "${#failures[@]}" failures; } < <(awk '
		/^---- console / { skip = 1; next }
		skip && /^----$/ { skip = 0; next }
		skip { next }
		/^ok [0-9]+ / { p++ }
		/^not ok [0-9]+ / { f++; sub(/^not ok [0-9]+ /, ""); names[f] = $0 }
		!plan && /^1\.\.[0-9]+$/ { plan = substr($0, 4) }
		END { print p + 0, f + 0, plan + 0; for (i = 1; i <= f; i++) print names[i] }' "$log")
	passed=$((passed + p)) failed=$((failed + f))
	why=$(sed -n 's/^pvfbt: FAIL: //p' "$log" | head -n 1)
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		fail "$label" "exited $rc without a failing test${why:+: $why}"; f=1
	elif [ "$p" = 0 ] && [ "$f" = 0 ]; then
		fail "$label" "ran no test"; f=1
	elif ((p + f < plan)); then
		fail "$label" "ran $((p + f)) of $plan planned tests (exit $rc)${why:+: $why}"; f=$((f + 1))
	fi
	echo "=== $label: $p passed, $f failed ($((SECONDS - t)) s)"
}

t0=$SECONDS
known=() ready=()
for kver in "${kvers[@]}"; do
	if ! line=$(kernel_line "$kver"); then
		fail "$kver" "is not a kernel of scripts/kernels.tsv"
		continue
	fi
	known+=("$kver")
	step "$line/deps" scripts/deps.sh "$kver" &&
		step "$line/build" make -s all KVER="$kver" &&
		ready+=("$kver")
done

if ((${#known[@]})); then
	# The decoder oracle reads every instruction of each line's image and
	# of its modules (deps fetches them).
	for kver in "${known[@]}"; do
		suite "host/decoder/$(kernel_line "$kver")" make -s -C tests/host check KVER="$kver"
	done
	# Kernel-independent: once.
	suite host/consumer make -s -C tests/host/consumer check
	# Which guest console lines fail a run (tests/vm/console-trouble).
	suite host/console tests/host/console/check
	# dkms.conf against each kernel's headers (deps has fetched them).
	suite dkms tests/host/dkms/check "${known[@]}"
fi

# The guests record comms from boot: the sched_switch hook that trace
# events and the function tracer need is then in place before any test,
# and starting or stopping them never patches __schedule() at run time.
# Under QEMU's multi-threaded TCG that patching can leave a vCPU a stale
# translation of text_poke_bp()'s int3 ("Oops: int3" in __schedule(),
# pvfbt nowhere near; bench/guest-bench.sh).  An event that never fires.
export PVFBT_VM_KARGS="${PVFBT_VM_KARGS:+$PVFBT_VM_KARGS }trace_event=sched:sched_kthread_stop"
for kver in ${ready[@]+"${ready[@]}"}; do
	line=$(kernel_line "$kver")
	for env in native xen-pv; do
		mode=--${env%-pv}
		limit=$([ "$env" = native ] && echo 1200 || echo 1800)
		suite "$line/$env" tests/vm/run "$mode" --kver "$kver" --timeout "$limit" -- \
			sh /tests/run-tests.sh "$env"
	done
	# The stress suite as make stress runs it (tests/stress.sh), shorter.
	for env in native xen-pv; do
		mode=--${env%-pv}
		suite "$line/$env/stress" tests/vm/run "$mode" --kver "$kver" --timeout 3000 -- \
			sh /tests/stress.sh "$env" 1000000 3
	done
done

# The int3 cells: the exactness tests again with every site armed by int3
# (force_int3=1; everywhere else entries come by ftrace's call and returns
# by a jump where the site allows): the default line natively, the other
# line as a Xen PV dom0.
int3_tests="load getppid_exact shapes tail_calls stack text_writes unload"
for kver in ${ready[@]+"${ready[@]}"}; do
	if [ "$kver" = "$(default_kver)" ]; then env=native; else env=xen-pv; fi
	suite "$(kernel_line "$kver")/$env-int3" tests/vm/run --${env%-pv} --kver "$kver" --timeout 1200 -- \
		env PVFBT_FORCE_INT3=1 PVFBT_TESTS="$int3_tests" sh /tests/run-tests.sh "$env"
done

# The return-thunk cell: the in-guest suite natively with a CPU model whose
# mitigations keep "jmp <return thunk>" return sites (TCG's default CPUs
# need none: the kernel patches every one to "ret; int3" at boot), for the
# default kernel line.  Its suite checks that it ran that form.
rethunk_cpu=EPYC
# (the tests that probe return sites or share their text; the rest do
# not depend on the return form and run in the other cells)
rethunk_tests="load environment getppid_exact shapes return_form jump_returns jump_entries tail_calls
	exact_counts stack text_writes module_unload_under_probes foreign_return coexist unload"
for kver in ${ready[@]+"${ready[@]}"}; do
	[ "$kver" = "$(default_kver)" ] || continue
	suite "$(kernel_line "$kver")/native-$rethunk_cpu" tests/vm/run --native --cpu "$rethunk_cpu" \
		--kver "$kver" --timeout 1200 -- env PVFBT_RETURN_FORM=thunk PVFBT_TESTS="$(echo $rethunk_tests)" \
		sh /tests/run-tests.sh native
done

# A PV domU that xl created in the Xen dom0 (tests/vm/run --xen-domu), for
# every line: the in-guest suite's subset domu_subset (the tests whose
# outcome depends on the guest being an unprivileged domU with vCPUs that
# come and go; the ones that exercise the same decoder, emulation and text
# code again run in the dom0 cell of the same line) and a short stress
# (default line 1,000,000 hits, the other 300,000, one round each); then,
# for the default line, the domU's life while traced (save/restore, pause,
# vCPU removed and given back, migration refused by the default
# hypervisor; in 256 MiB with maxvcpus=8, pvfbt's memory) and migration on
# the pinned 4.17.5 hypervisor that can migrate.  testbench.md has each
# cell's cost.
domu_subset="load environment nonroot_refused bad_specs getppid_exact jump_entries read_args shapes
	exact_counts sigkill_restores_text rmmod_while_firing db_context
	foreign_step footprint cpu_hotplug unload"
for kver in ${ready[@]+"${ready[@]}"}; do
	line=$(kernel_line "$kver")
	tests=$(echo $domu_subset)
	if [ "$kver" = "$(default_kver)" ]; then
		hits=1000000 rounds=1
	else
		hits=300000 rounds=1
	fi
	suite "$line/xen-domu" tests/vm/run --xen-domu --kver "$kver" --timeout 2400 -- \
		env PVFBT_TESTS="$tests" sh /tests/run-tests.sh xen-domu
	suite "$line/xen-domu/stress" tests/vm/run --xen-domu --kver "$kver" --timeout 3000 -- \
		sh /tests/stress.sh xen-domu $hits $rounds
	[ "$kver" = "$(default_kver)" ] || continue
	suite "$line/xen-domu/life" tests/vm/run --xen-domu --kver "$kver" --timeout 1800 \
		--domu-mem 256 --maxvcpus 8 -- \
		sh /tests/domu-tests.sh fail
	suite "$line/xen-domu/migrate" tests/vm/run --xen-domu --kver "$kver" --timeout 1800 \
		--domu-mem 256 --hypervisor "$top/.cache/xen/4.17.5/xen.elf" -- \
		env PVFBT_TESTS="load migrate unload" sh /tests/domu-tests.sh ok
done

if ((${#failures[@]})); then
	echo "=== failed:"
	printf '  %s\n' "${failures[@]}"
fi
echo "=== make check (${kvers[*]}) took $((SECONDS - t0)) s"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
