#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# End-to-end runs of the consumer against the in-process fake device
# (pvfbt-fakedev, see fakedev.c).  Prints "ok NAME" / "not ok NAME" lines
# and "# ..." diagnostics, unnumbered: run-tests.sh numbers them.
P=${P:-./pvfbt-fakedev}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export FAKEDEV_CALLS=1000
# No kernel BTF unless a test gives one (the host's own /sys/kernel/btf
# would type the fake's vfs_read): the raw output of the tests below.
export PVFBT_BTF_DIR="$T/nobtf"
BTF=$(pwd)/fakebtf
abi=$(awk '$2 == "PVFBT_ABI_VERSION" { print $3 }' ../../../include/uapi/pvfbt.h)

pass() { echo "ok $1"; }
fail() { echo "# $2"; sed 's/^/#   /' "$T/out" "$T/err" 2>/dev/null | head -40; echo "not ok $1"; }
run() { "$@" >"$T/out" 2>"$T/err"; echo $? >"$T/rc"; }
rc() { cat "$T/rc"; }

# --status
run $P --status
if [ "$(rc)" = 0 ] && grep -q '^environment: *xen-pv$' "$T/out" &&
   grep -q "^abi version: *$abi\$" "$T/out" && grep -q '^cpus: *2$' "$T/out" &&
   grep -qx 'memory at rest: 3072 KiB (catalogue, sites, slots)' "$T/out" &&
   grep -qx 'session memory: 0 KiB (0 rings)' "$T/out" &&
   grep -q '^kernel release: *6.1.0-fake$' "$T/out" &&
   grep -q '^probes armed: *0$' "$T/out" &&
   grep -qx 'text writes:    3 batches, 2841 pages through an alias, 7 text_poke() calls' "$T/out"; then pass status; else fail status "status output"; fi

# open errors and ABI mismatch
run env FAKEDEV_ERRNO=2 $P --status
if [ "$(rc)" = 1 ] && grep -qx 'pvfbt: /dev/pvfbt not found: is pvfbt.ko loaded? (insmod pvfbt.ko)' "$T/err"
then pass open_enoent; else fail open_enoent "ENOENT message"; fi
run env FAKEDEV_ERRNO=13 $P -n sys_getppid -c true
if [ "$(rc)" = 1 ] && grep -qx 'pvfbt: permission denied: pvfbt needs root (CAP_SYS_ADMIN)' "$T/err"
then pass open_eacces; else fail open_eacces "EACCES message"; fi
run env FAKEDEV_ABI=99 $P -n sys_getppid -d 0.1
if [ "$(rc)" = 1 ] && grep -qx "pvfbt: module ABI 99, consumer ABI $abi: rebuild" "$T/err"
then pass abi_mismatch; else fail abi_mismatch "ABI message"; fi

# -l, -l -v, -l -n with the sys_ alias
run $P -l
if [ "$(rc)" = 0 ] && [ "$(grep -c ' fbt ' "$T/out")" = 13 ] &&
   ! grep -q do_int3 "$T/out" && ! grep -q 'vfs_write *return' "$T/out" &&
   grep -Eq '^ +11 +fbt +ext4 +ext4_file_read_iter +return$' "$T/out"
then pass list; else fail list "list of usable probes"; fi
run $P -l -v
if [ "$(rc)" = 0 ] && [ "$(grep -c ' fbt ' "$T/out")" = 16 ] &&
   grep -Eq 'do_int3 +entry +excluded: trap-path' "$T/out" &&
   grep -Eq 'vfs_write +return +excluded: no-return-site' "$T/out" &&
   grep -Eq ' vfs_read +entry +ok +via int3$' "$T/out" &&
   grep -Eq ' vfs_read +return +ok +via jump$' "$T/out" &&
   grep -Eq ' ext4_file_read_iter +return +ok +via jump\+int3$' "$T/out"
then pass list_verbose; else fail list_verbose "excluded probes with -v"; fi
run $P -l -n sys_getppid -n 'fbt::sys_*:entry'
if [ "$(rc)" = 0 ] && [ "$(grep -c ' fbt ' "$T/out")" = 3 ] &&
   grep -Eq '^ +0 +fbt +vmlinux +__x64_sys_getppid +entry$' "$T/out" &&
   grep -Eq '^ +8 +fbt +vmlinux +__x64_sys_read +entry$' "$T/out"
then pass list_alias; else fail list_alias "sys_ alias in -l"; fi

# specs that match nothing, malformed specs
run $P -n 'fbt::nosuch*:' -n sys_getppid -c true
if [ "$(rc)" = 1 ] && grep -qx "pvfbt: no probes match 'fbt::nosuch\*:'" "$T/err"
then pass no_match; else fail no_match "no match"; fi
run $P -n fbt::do_int3: -d 1
if [ "$(rc)" = 1 ] && grep -q "^pvfbt: no probes match 'fbt::do_int3:'" "$T/err"
then pass only_excluded; else fail only_excluded "excluded only"; fi
run $P -n a:b:c:d:e -c true
if [ "$(rc)" = 2 ] && grep -q "invalid probe description 'a:b:c:d:e'" "$T/err"
then pass malformed_fields; else fail malformed_fields "5 fields"; fi
run $P -n fbt::vfs_read:exit -c true
if [ "$(rc)" = 2 ] && grep -q "entry' or 'return'" "$T/err"
then pass malformed_name; else fail malformed_name "bad name"; fi
run $P -n sys_getppid --count --json -c true
if [ "$(rc)" = 2 ]; then pass exclusive_modes; else fail exclusive_modes "--count --json"; fi

# --count with -c: the command starts after ENABLE and its status is ours
rm -f "$T/en" "$T/done"
run env FAKEDEV_ENABLE_MARK="$T/en" FAKEDEV_DONE_MARK="$T/done" \
	$P -n sys_getppid:entry --count \
	-c "test -e $T/en || exit 9; while [ ! -e $T/done ]; do sleep 0.02; done; exit 3"
if [ "$(rc)" = 3 ] &&
   grep -Eq '^fbt:vmlinux:__x64_sys_getppid:entry +1000$' "$T/out" &&
   grep -qx 'pvfbt: 1000 events, 0 dropped, 1 probes' "$T/err" &&
   grep -qx 'pvfbt: hits 1000, records 1000, drops 0, missed steps 1, late steps 0, filtered 0, stepped 0, emulated 0, boosted 1000, unstepped 0, jumped 0, called 0' "$T/err"
then pass count_cmd; else fail count_cmd "--count -c"; fi

# --count --by-pid, -o, --per-cpu, drops from STATS
rm -f "$T/done"
run env FAKEDEV_DONE_MARK="$T/done" FAKEDEV_DROPS=5 \
	$P -n fbt::vfs_read: --count --by-pid --per-cpu -o "$T/o" -q \
	-c "while [ ! -e $T/done ]; do sleep 0.02; done"
if [ "$(rc)" = 0 ] && [ ! -s "$T/out" ] &&
   grep -Eq '^fbt:vmlinux:vfs_read:entry +4242 +1000$' "$T/o" &&
   grep -Eq '^fbt:vmlinux:vfs_read:return +4242 +1000$' "$T/o" &&
   grep -qx 'pvfbt: 2000 events, 10 dropped, 2 probes' "$T/err" &&
   grep -qx 'pvfbt: cpu 0: hits 1000, records 1000, drops 5, missed steps 0, late steps 0, filtered 0, stepped 0, emulated 0, nested 0, boosted 1000, unstepped 0, jumped 0, called 0' "$T/err" &&
   grep -qx 'pvfbt: cpu 1: hits 1000, records 1000, drops 5, missed steps 1, late steps 0, filtered 0, stepped 0, emulated 0, nested 0, boosted 1000, unstepped 0, jumped 0, called 0' "$T/err" &&
   grep -qx 'pvfbt: hits 2000, records 2000, drops 10, missed steps 1, late steps 0, filtered 0, stepped 0, emulated 0, boosted 2000, unstepped 0, jumped 0, called 0' "$T/err"
then pass count_bypid_percpu; else cp "$T/o" "$T/out" 2>/dev/null; fail count_bypid_percpu "--by-pid --per-cpu -o"; fi

# A CPU that comes online during the session (FAKEDEV_LATE_CPU): its ring
# is mapped when it appears and its records (every return) are counted.
rm -f "$T/done"
run timeout 60 env FAKEDEV_DONE_MARK="$T/done" FAKEDEV_LATE_CPU=1 \
	$P -n fbt::vfs_read: --count --per-cpu \
	-c "while [ ! -e $T/done ]; do sleep 0.02; done"
if [ "$(rc)" = 0 ] &&
   grep -Eq '^fbt:vmlinux:vfs_read:entry +1000$' "$T/out" &&
   grep -Eq '^fbt:vmlinux:vfs_read:return +1000$' "$T/out" &&
   grep -qx 'pvfbt: 2000 events, 0 dropped, 2 probes' "$T/err"
then pass late_cpu_ring; else fail late_cpu_ring "a ring that came during the session"; fi

# --latency: counts equal calls, vfs_read latency is 2 us - 1 ns
rm -f "$T/done"
run env FAKEDEV_DONE_MARK="$T/done" $P -n fbt::vfs_read: -n sys_getppid --latency \
	-c "while [ ! -e $T/done ]; do sleep 0.02; done"
if [ "$(rc)" = 0 ] && grep -qx '  fbt:vmlinux:vfs_read (ns)' "$T/out" &&
   grep -qx 'count 1000, min 1999, mean 1999, max 1999 (ns)' "$T/out" &&
   grep -qx 'count 1000, min 999, mean 999, max 999 (ns)' "$T/out" &&
   grep -Eq '^ +1024 \|@{40} 1000$' "$T/out" &&
   grep -q 'latency: 2000 calls paired (0 through tail calls), 0 returns unmatched, 0 entries without return' "$T/err"
then pass latency; else fail latency "--latency histogram"; fi
run $P -n fbt::vfs_write: --latency -c true
if [ "$(rc)" = 2 ] && grep -q 'latency needs the entry and return' "$T/err"
then pass latency_needs_pair; else fail latency_needs_pair "vfs_write has no return"; fi

# System calls (ABI 6): decoded from the real 6.1 formats in ./tracefs
# (copied from a guest's /sys/kernel/tracing).  30 calls: filename
# "/etc/passwd" 18, cut 6, unreadable 6; returns 3 x 20, -2 ENOENT x 10.
rm -f "$T/done"
FAKEDEV_CALLS=30 run env FAKEDEV_SYSCALL=1 PVFBT_TRACEFS=./tracefs FAKEDEV_DONE_MARK="$T/done" \
	$P -n 'fbt::sys_openat:' -n sys_getppid:entry -c "while [ ! -e $T/done ]; do sleep 0.02; done"
ys=$(printf '%0255d' 0 | tr 0 y)
O=fbt:vmlinux:__x64_sys_openat
if [ "$(rc)" = 0 ] &&
   [ "$(grep -c "$O:entry  openat(dfd=AT_FDCWD, filename=\"/etc/passwd\", flags=O_RDONLY|O_CLOEXEC, mode=0)$" "$T/out")" = 18 ] &&
   [ "$(grep -c "$O:entry  openat(dfd=AT_FDCWD, filename=\"/$ys\"\.\.\., flags=O_RDONLY|O_CLOEXEC, mode=0)$" "$T/out")" = 6 ] &&
   [ "$(grep -Ec "$O:entry  openat\(dfd=AT_FDCWD, filename=0x7ffd00[0-9a-f]{2} \(unreadable: EFAULT\), flags" "$T/out")" = 6 ] &&
   [ "$(grep -c "$O:return  = 3$" "$T/out")" = 20 ] &&
   [ "$(grep -c "$O:return  = -2 ENOENT$" "$T/out")" = 10 ] &&
   [ "$(grep -c "__x64_sys_getppid:entry  getppid()$" "$T/out")" = 30 ] &&
   ! grep -q 'incomplete' "$T/out"
then pass syscall_text; else fail syscall_text "system calls as text"; fi

rm -f "$T/done"
FAKEDEV_CALLS=30 run env FAKEDEV_SYSCALL=1 PVFBT_TRACEFS=./tracefs FAKEDEV_DONE_MARK="$T/done" \
	$P -n 'fbt::sys_openat:' --json -c "while [ ! -e $T/done ]; do sleep 0.02; done"
if [ "$(rc)" = 0 ] && python3 - "$T/out" <<'EOF2'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
ent = [e for e in ev if e["probe"].endswith(":entry")]
ret = [e for e in ev if e["probe"].endswith(":return")]
assert len(ent) == 30 and len(ret) == 30, (len(ent), len(ret))
assert all(e["syscall"] == "openat" and e["argv"]["dfd"] == "AT_FDCWD" and
           e["argv"]["flags"] == "O_RDONLY|O_CLOEXEC" and e["argv"]["mode"] == "0"
           for e in ent)
assert sum(e["argv"]["filename"] == "/etc/passwd" for e in ent) == 18
cut = [e for e in ent if e.get("argv_notes", {}).get("filename") == "truncated"]
assert len(cut) == 6 and all(e["argv"]["filename"] == "/" + "y" * 255 for e in cut)
bad = [e for e in ent if e.get("argv_notes", {}).get("filename") == "unreadable: EFAULT"]
assert len(bad) == 6 and all(e["argv"]["filename"].startswith("0x7ffd00") for e in bad)
assert sum(e["retval"] == -2 and e["errno"] == "ENOENT" for e in ret) == 10
assert sum(e["retval"] == 3 and e["errno"] is None for e in ret) == 20
EOF2
then pass syscall_json; else fail syscall_json "system calls in JSON"; fi

# Without tracefs: raw arguments, said once; the module is not asked for
# system call records (the fake refuses nothing, but prints raw).
rm -f "$T/done"
FAKEDEV_CALLS=5 run env FAKEDEV_SYSCALL=1 PVFBT_TRACEFS=/nonexistent FAKEDEV_DONE_MARK="$T/done" \
	$P -n 'fbt::sys_openat:entry' -c "while [ ! -e $T/done ]; do sleep 0.02; done"
if [ "$(rc)" = 0 ] && [ "$(grep -c 'no system call formats in tracefs' "$T/err")" = 1 ] &&
   [ "$(grep -Ec "$O:entry  0xffff888000001000 0x" "$T/out")" = 5 ]
then pass syscall_no_tracefs; else fail syscall_no_tracefs "raw without tracefs"; fi

# --json: every line is a JSON object; 2 probes x 1000
rm -f "$T/done"
FAKEDEV_CALLS=300 run env FAKEDEV_DONE_MARK="$T/done" $P -n 'ext4:*:' --json \
	-c "while [ ! -e $T/done ]; do sleep 0.02; done"
if [ "$(rc)" = 0 ] && python3 - "$T/out" <<'PY'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
objs = [json.loads(l) for l in lines]
assert len(objs) == 600, len(objs)
ent = [o for o in objs if o["probe"] == "fbt:ext4:ext4_file_read_iter:entry"]
ret = [o for o in objs if o["probe"] == "fbt:ext4:ext4_file_read_iter:return"]
assert len(ent) == 300 and len(ret) == 300
assert all(o["comm"] == 'fake"comm\\' for o in objs)
assert all(len(o["args"]) == 6 for o in ent) and all("retval" in o for o in ret)
assert sorted(o["retval"] for o in ret) == list(range(300))
ts = [o["ts"] for o in objs]
assert ts == sorted(ts), "not merged by time"
assert {o["cpu"] for o in objs} == {0, 1} and all(o["pid"] == 4242 and o["tid"] == 4248 for o in objs)
PY
then pass json; else fail json "--json output"; fi

# default text output
rm -f "$T/done"
FAKEDEV_CALLS=50 run env FAKEDEV_DONE_MARK="$T/done" $P -n sys_getppid \
	-c "while [ ! -e $T/done ]; do sleep 0.02; done"
if [ "$(rc)" = 0 ] && [ "$(wc -l <"$T/out")" = 100 ] &&
   grep -Eq '^ +[0-9]+\.[0-9]{9} +[01] +4242/4243 +fake"comm\\ +fbt:vmlinux:__x64_sys_getppid:entry  0xffff888000001000 0x0 0x0 0x0 0x0 0x0$' "$T/out" &&
   grep -Eq '^ +[0-9]+\.[0-9]{9} +[01] +4242/4243 +fake"comm\\ +fbt:vmlinux:__x64_sys_getppid:return  = 0x31 \(49\)$' "$T/out"
then pass text; else fail text "text output"; fi

# -d stops after the duration; -p stops when the process exits
start=$(date +%s%N)
FAKEDEV_CALLS=10 run $P -n sys_getppid -q -d 0.3
el=$(( ($(date +%s%N) - start) / 1000000 ))
if [ "$(rc)" = 0 ] && [ "$el" -ge 300 ] && [ "$el" -lt 3000 ] &&
   grep -qx 'pvfbt: 20 events, 0 dropped, 2 probes' "$T/err"
then pass duration; else fail duration "-d 0.3 took ${el} ms"; fi
sleep 0.4 & sp=$!
start=$(date +%s%N)
FAKEDEV_CALLS=10 run $P -n sys_getppid -q -p $sp
el=$(( ($(date +%s%N) - start) / 1000000 ))
if [ "$(rc)" = 0 ] && [ "$el" -lt 3000 ]; then pass pid_exit; else fail pid_exit "-p took ${el} ms"; fi
run $P -n sys_getppid -p 999999999
if [ "$(rc)" != 0 ]; then pass pid_missing; else fail pid_missing "-p of a missing process"; fi

# --pid/--comm reach FILTER; SIGINT ends a session cleanly
FAKEDEV_CALLS=10 run $P -n sys_getppid -q --pid 77 --comm bash -d 0.1
if [ "$(rc)" = 0 ] && grep -qx "fakedev: filter pid 77 comm 'bash'" "$T/err"
then pass filter; else fail filter "--pid --comm"; fi
FAKEDEV_CALLS=10 $P -n sys_getppid -q >"$T/out" 2>"$T/err" & pp=$!
sleep 0.3; kill -INT $pp; wait $pp; echo $? >"$T/rc"
if [ "$(rc)" = 0 ] && grep -qx 'pvfbt: 20 events, 0 dropped, 2 probes' "$T/err"
then pass sigint; else fail sigint "SIGINT"; fi

# ---------------------------------------------------------------- ABI 3
# A kallsyms for the fake device's addresses (fakedev.c): the catalogue's
# functions at 0xffffffff81000000 + 64 * fid, caller_K and modfn_K [fakemod]
# K * 0x100 below their frame; also what must be ignored.
python3 - "$T/kallsyms" <<'PY'
import sys
names = ["__x64_sys_getppid", "vfs_read", "vfs_write", "do_int3",
         "__x64_sys_read", "ext4_file_read_iter", "tc_caller", "tc_callee"]
with open(sys.argv[1], "w") as f:
    f.write("0000000000000000 A fixed_percpu_data\n")
    for k in range(38, 0, -1):
        if k % 5 == 3:
            f.write("%016x t modfn_%d\t[fakemod]\n" % (0xffffffffc0000000 + 0x100 * k, k))
        else:
            f.write("%016x T caller_%d\n" % (0xffffffff82000000 + 0x100 * k, k))
    for i, n in enumerate(names):
        f.write("%016x %s %s\n" % (0xffffffff81000000 + 64 * i, "tT"[i % 2], n))
        f.write("%016x d %s_data\n" % (0xffffffff81000000 + 64 * i + 8, n))
PY
export FAKEDEV_KALLSYMS="$T/kallsyms"

# Expected frames (fakedev.c): the site, then caller_K+0xK / modfn_K+0xK [fakemod].
frames() {	# DEPTH SITE
	echo "        $2"
	k=1
	while [ $k -lt "$1" ]; do
		if [ $((k % 5)) = 3 ]; then printf '        modfn_%d+0x%x [fakemod]\n' $k $k
		else printf '        caller_%d+0x%x\n' $k $k; fi
		k=$((k + 1))
	done
}
# Event lines become "EVENT probe rest" (no time, cpu, pid, comm).
events_of() { sed -E 's/^ +[0-9]+\.[0-9]{9} +[01] +4242\/[0-9]+ +fake"comm\\ +/EVENT /' "$1"; }

# --stack: 1 (3 and 13 frames), 2 (14) and 3 (27, 39) stack records per event
for depth in 3 13 14 27 39; do
	rm -f "$T/done" "$T/want"
	i=0
	while [ $i -lt 20 ]; do
		echo "EVENT fbt:vmlinux:vfs_read:entry  0xffff888000001000 0x2 0x0 0x0 0x0 0x0" >>"$T/want"
		frames $depth vfs_read+0x4 >>"$T/want"
		i=$((i + 1))
	done
	FAKEDEV_CALLS=20 run env FAKEDEV_STACK_DEPTH=$depth FAKEDEV_DONE_MARK="$T/done" \
		$P -n fbt::vfs_read:entry --stack -c "while [ ! -e $T/done ]; do sleep 0.02; done"
	events_of "$T/out" >"$T/got"
	if [ "$(rc)" = 0 ] && cmp -s "$T/want" "$T/got" &&
	   grep -qx 'pvfbt: 20 events, 0 dropped, 1 probes' "$T/err" &&
	   grep -qx 'pvfbt: hits 20, records 20, drops 0, missed steps 1, late steps 0, filtered 0, stepped 0, emulated 0, boosted 20, unstepped 0, jumped 0, called 0' "$T/err" &&
	   ! grep -q warning "$T/err"
	then pass stack_text_depth_$depth
	else diff "$T/want" "$T/got" | head -10 | sed 's/^/# /'; fail stack_text_depth_$depth "--stack, $depth frames"; fi
done

# Entries and returns (two return sites), with stack records that are
# missing or malformed for calls 1..4 of every 5 (FAKEDEV_STACK_GARBAGE).
rm -f "$T/done" "$T/want"
i=0
while [ $i -lt 10 ]; do
	for side in entry return; do
		if [ $side = entry ]; then
			echo "EVENT fbt:vmlinux:vfs_read:entry  0xffff888000001000 0x2 0x0 0x0 0x0 0x0"
			site=vfs_read+0x4
		else
			printf 'EVENT fbt:vmlinux:vfs_read:return  = 0x%x (%d)\n' $i $i
			site=vfs_read+0x$((30 + 8 * (i % 2)))
		fi
		case $((i % 5)) in
		0) frames 3 $site ;;
		2) frames 2 $site; echo "        [stack incomplete]" ;;
		*) echo "        [stack incomplete]" ;;
		esac
	done >>"$T/want"
	i=$((i + 1))
done
FAKEDEV_CALLS=10 run env FAKEDEV_STACK_GARBAGE=1 FAKEDEV_DONE_MARK="$T/done" \
	$P -n fbt::vfs_read: --stack -c "while [ ! -e $T/done ]; do sleep 0.02; done"
events_of "$T/out" >"$T/got"
if [ "$(rc)" = 0 ] && cmp -s "$T/want" "$T/got" &&
   grep -qx 'pvfbt: 20 events, 0 dropped, 2 probes' "$T/err" &&
   grep -qx 'pvfbt: hits 20, records 20, drops 0, missed steps 1, late steps 0, filtered 0, stepped 0, emulated 0, boosted 20, unstepped 0, jumped 0, called 0' "$T/err" &&
   grep -qx 'pvfbt: warning: 16 stacks incomplete, 12 stack records skipped (malformed or without their event)' "$T/err"
then pass stack_garbage
else diff "$T/want" "$T/got" | head -10 | sed 's/^/# /'; fail stack_garbage "malformed stack records"; fi

# --json --stack, 27 frames (3 records), and garbage
rm -f "$T/done"
FAKEDEV_CALLS=30 run env FAKEDEV_STACK_DEPTH=27 FAKEDEV_DONE_MARK="$T/done" \
	$P -n fbt::vfs_read: -n sys_getppid:entry --stack --json \
	-c "while [ ! -e $T/done ]; do sleep 0.02; done"
if [ "$(rc)" = 0 ] && python3 - "$T/out" <<'PY'
import json, sys
objs = [json.loads(l) for l in open(sys.argv[1])]
assert len(objs) == 90, len(objs)
def frames(site):
    return [site] + ["modfn_%d+0x%x [fakemod]" % (k, k) if k % 5 == 3 else
                     "caller_%d+0x%x" % (k, k) for k in range(1, 27)]
n = 0
for o in objs:
    assert "stack_incomplete" not in o
    if o["probe"] == "fbt:vmlinux:vfs_read:return":
        assert o["stack"] == frames("vfs_read+0x%x" % (0x30 + 8 * (o["retval"] % 2))), o
    elif o["probe"] == "fbt:vmlinux:vfs_read:entry":
        assert o["stack"] == frames("vfs_read+0x4")
    else:
        assert o["probe"] == "fbt:vmlinux:__x64_sys_getppid:entry"
        assert o["stack"] == frames("__x64_sys_getppid+0x4")
PY
then pass stack_json; else fail stack_json "--json --stack"; fi
rm -f "$T/done"
FAKEDEV_CALLS=10 run env FAKEDEV_STACK_GARBAGE=1 FAKEDEV_DONE_MARK="$T/done" \
	$P -n fbt::vfs_read:entry --stack --json -c "while [ ! -e $T/done ]; do sleep 0.02; done"
if [ "$(rc)" = 0 ] && python3 - "$T/out" <<'PY'
import json, sys
objs = [json.loads(l) for l in open(sys.argv[1])]
assert len(objs) == 10, len(objs)
for i, o in enumerate(objs):
    want = {0: ["vfs_read+0x4", "caller_1+0x1", "caller_2+0x2"],
            2: ["vfs_read+0x4", "caller_1+0x1"]}.get(i % 5, [])
    assert o["stack"] == want, (i, o)
    assert o.get("stack_incomplete", False) == (i % 5 != 0), (i, o)
PY
then pass stack_json_garbage; else fail stack_json_garbage "--json --stack, malformed"; fi

# --count --stack: per distinct stack, ascending; the two return sites
# give two return stacks
rm -f "$T/done"
run env FAKEDEV_DONE_MARK="$T/done" $P -n fbt::vfs_read: --count --stack \
	-c "while [ ! -e $T/done ]; do sleep 0.02; done"
cat >"$T/want" <<'W'
fbt:vmlinux:vfs_read:return
        vfs_read+0x30
        caller_1+0x1
        caller_2+0x2
         500

fbt:vmlinux:vfs_read:return
        vfs_read+0x38
        caller_1+0x1
        caller_2+0x2
         500

fbt:vmlinux:vfs_read:entry
        vfs_read+0x4
        caller_1+0x1
        caller_2+0x2
        1000
W
if [ "$(rc)" = 0 ] && cmp -s "$T/want" "$T/out" &&
   grep -qx 'pvfbt: 2000 events, 0 dropped, 2 probes' "$T/err" &&
   grep -qx 'pvfbt: hits 2000, records 2000, drops 0, missed steps 1, late steps 0, filtered 0, stepped 0, emulated 0, boosted 2000, unstepped 0, jumped 0, called 0' "$T/err"
then pass count_stack; else fail count_stack "--count --stack"; fi

# kallsyms without addresses (not root, kptr_restrict): hex frames
printf '0000000000000000 T vfs_read\n0000000000000000 t modfn_3\t[fakemod]\n' >"$T/ks0"
FAKEDEV_CALLS=3 run env FAKEDEV_KALLSYMS="$T/ks0" $P -n fbt::vfs_read:entry --stack -d 0.2
if [ "$(rc)" = 0 ] && [ "$(wc -l <"$T/out")" = 12 ] &&
   [ "$(grep -cx '        0xffffffff81000044' "$T/out")" = 3 ] &&
   [ "$(grep -cx '        0xffffffff82000101' "$T/out")" = 3 ] &&
   [ "$(grep -cx '        0xffffffff82000202' "$T/out")" = 3 ] &&
   grep -qx 'pvfbt: /proc/kallsyms shows no addresses (not root? kernel.kptr_restrict?): stacks are shown as addresses' "$T/err"
then pass stack_hex_without_kallsyms; else fail stack_hex_without_kallsyms "hex frames"; fi

# --stack does not go with --latency or --by-pid, nor -l
run $P -n fbt::vfs_read: --latency --stack -c true
if [ "$(rc)" = 2 ] && grep -qx 'pvfbt: --stack does not go with --latency' "$T/err"
then pass stack_latency_refused; else fail stack_latency_refused "--stack --latency"; fi
run $P -n fbt::vfs_read: --count --by-pid --stack -c true
if [ "$(rc)" = 2 ] && grep -qx 'pvfbt: --stack does not go with --by-pid' "$T/err"
then pass stack_bypid_refused; else fail stack_bypid_refused "--stack --by-pid"; fi

# ---------------------------------------------------------------- pictures
# --folded: one line per distinct stack, root first, the probe as the leaf;
# vfs_read's two return sites differ only in the leaf's offset: one line.
FG=${FLAMEGRAPH:-/usr/share/perl5/Devel/NYTProf/flamegraph.pl}
wait_cmd="while [ ! -e $T/done ]; do sleep 0.02; done"
rm -f "$T/done"
run env FAKEDEV_DONE_MARK="$T/done" FAKEDEV_STACK_DEPTH=5 $P -n fbt::vfs_read: \
	-n sys_getppid:entry --count --stack --folded -c "$wait_cmd"
cat >"$T/want" <<'W'
caller_4;modfn_3;caller_2;caller_1;__x64_sys_getppid:entry 1000
caller_4;modfn_3;caller_2;caller_1;vfs_read:entry 1000
caller_4;modfn_3;caller_2;caller_1;vfs_read:return 1000
W
if [ "$(rc)" = 0 ] && cmp -s "$T/want" "$T/out" &&
   grep -qx 'pvfbt: 3000 events, 0 dropped, 3 probes' "$T/err"
then pass folded; else diff "$T/want" "$T/out" | head | sed 's/^/# /'; fail folded "--folded"; fi
# ... and Brendan Gregg's flamegraph.pl reads it: every frame with its count
if [ -f "$FG" ] && perl "$FG" --title pvfbt "$T/out" >"$T/fg.svg" 2>"$T/fg.err" &&
   grep -q '<title>all (3,000 samples, 100%)</title>' "$T/fg.svg" &&
   grep -q '<title>caller_4 (3,000 samples, 100.00%)</title>' "$T/fg.svg" &&
   grep -q '<title>modfn_3 (3,000 samples, 100.00%)</title>' "$T/fg.svg" &&
   grep -q '<title>vfs_read:return (1,000 samples, 33.33%)</title>' "$T/fg.svg" &&
   grep -q '<title>__x64_sys_getppid:entry (1,000 samples, 33.33%)</title>' "$T/fg.svg" &&
   [ ! -s "$T/fg.err" ]
then pass folded_flamegraph_pl
else sed 's/^/# /' "$T/fg.err" 2>/dev/null | head -5
	fail folded_flamegraph_pl "flamegraph.pl ($FG: scripts/deps.sh installs it) on --folded"; fi
# incomplete stacks get a root of their own; nothing is lost
rm -f "$T/done"
run env FAKEDEV_DONE_MARK="$T/done" FAKEDEV_STACK_GARBAGE=1 $P -n fbt::vfs_read: \
	--count --stack --folded -c "$wait_cmd"
cat >"$T/want" <<'W'
[incomplete];caller_1;vfs_read:entry 200
[incomplete];caller_1;vfs_read:return 200
[incomplete];vfs_read:entry 600
[incomplete];vfs_read:return 600
caller_2;caller_1;vfs_read:entry 200
caller_2;caller_1;vfs_read:return 200
W
if [ "$(rc)" = 0 ] && cmp -s "$T/want" "$T/out"
then pass folded_incomplete; else diff "$T/want" "$T/out" | head | sed 's/^/# /'; fail folded_incomplete "--folded, malformed stacks"; fi
run $P -n fbt::vfs_read: --count --folded -c true
if [ "$(rc)" = 2 ] && grep -qx 'pvfbt: --folded goes with --count --stack' "$T/err"
then pass folded_needs_stack; else fail folded_needs_stack "--folded without --stack"; fi

# --count --by KEY: exact counts per probe and key (fakedev.c: pid 4242,
# getppid on thread 4243, vfs_read on 4244, arg0 0xffff888000001000,
# return values 0..999)
count_by() {	# KEY: a run of 1000 calls of getppid and vfs_read
	rm -f "$T/done"
	run env FAKEDEV_DONE_MARK="$T/done" $P -n fbt::vfs_read: -n sys_getppid \
		--count --by "$1" -c "$wait_cmd"
}
count_by comm
{
	printf '%-60s %-16s %12s\n' PROBE COMM COUNT
	for p in __x64_sys_getppid:entry __x64_sys_getppid:return vfs_read:entry vfs_read:return; do
		printf '%-60s %-16s %12s\n' "fbt:vmlinux:$p" 'fake"comm\' 1000
	done
} >"$T/want"
if [ "$(rc)" = 0 ] && cmp -s "$T/want" "$T/out"
then pass count_by_comm; else diff "$T/want" "$T/out" | head | sed 's/^/# /'; fail count_by_comm "--by comm"; fi
count_by tid
if [ "$(rc)" = 0 ] && [ "$(wc -l <"$T/out")" = 5 ] && grep -Eq '^PROBE +TID +COUNT$' "$T/out" &&
   grep -Eq '^fbt:vmlinux:__x64_sys_getppid:entry +4243 +1000$' "$T/out" &&
   grep -Eq '^fbt:vmlinux:__x64_sys_getppid:return +4243 +1000$' "$T/out" &&
   grep -Eq '^fbt:vmlinux:vfs_read:entry +4244 +1000$' "$T/out" &&
   grep -Eq '^fbt:vmlinux:vfs_read:return +4244 +1000$' "$T/out"
then pass count_by_tid; else fail count_by_tid "--by tid"; fi
count_by pid
cp "$T/out" "$T/by_pid"
count_by_pid_rc=$(rc)
rm -f "$T/done"
run env FAKEDEV_DONE_MARK="$T/done" $P -n fbt::vfs_read: -n sys_getppid --count --by-pid -c "$wait_cmd"
if [ "$count_by_pid_rc" = 0 ] && [ "$(rc)" = 0 ] && cmp -s "$T/by_pid" "$T/out" &&
   [ "$(grep -Ec '^fbt:vmlinux:[_a-z0-9]+:(entry|return) +4242 +1000$' "$T/out")" = 4 ]
then pass count_by_pid_alias; else fail count_by_pid_alias "--by pid, --by-pid"; fi
count_by arg0
if [ "$(rc)" = 0 ] && [ "$(wc -l <"$T/out")" = 5 ] && grep -Eq '^PROBE +ARG0 +COUNT$' "$T/out" &&
   grep -Eq '^fbt:vmlinux:vfs_read:entry +0xffff888000001000 +1000$' "$T/out" &&
   grep -Eq '^fbt:vmlinux:__x64_sys_getppid:entry +0xffff888000001000 +1000$' "$T/out" &&
   grep -Eq '^fbt:vmlinux:vfs_read:return +- +1000$' "$T/out" &&
   grep -Eq '^fbt:vmlinux:__x64_sys_getppid:return +- +1000$' "$T/out"
then pass count_by_arg; else fail count_by_arg "--by arg0"; fi
count_by retval
if [ "$(rc)" = 0 ] && [ "$(wc -l <"$T/out")" = 2003 ] &&
   grep -Eq '^fbt:vmlinux:vfs_read:entry +- +1000$' "$T/out" &&
   [ "$(grep -Ec '^fbt:vmlinux:vfs_read:return +[0-9]+ +1$' "$T/out")" = 1000 ] &&
   grep -Eq '^fbt:vmlinux:vfs_read:return +999 +1$' "$T/out" &&
   [ "$(grep -Ec '^fbt:vmlinux:__x64_sys_getppid:return +[0-9]+ +1$' "$T/out")" = 1000 ]
then pass count_by_retval; else fail count_by_retval "--by retval"; fi
run $P -n fbt::vfs_read: --count --by arg6 -c true
if [ "$(rc)" = 2 ] && grep -qx "pvfbt: invalid --by 'arg6' (pid, tid, comm, arg0..arg5 or retval)" "$T/err"
then pass count_by_bad_key; else fail count_by_bad_key "--by arg6"; fi
run $P -n fbt::vfs_read: --by comm -c true
if [ "$(rc)" = 2 ] && grep -qx 'pvfbt: --by goes with --count' "$T/err"
then pass count_by_needs_count; else fail count_by_needs_count "--by without --count"; fi

# --format=chrome: a timeline that Chrome DevTools' trace engine loads, one
# slice per call: vfs_read (2 us - 1 ns), tc_caller until its jump (0.5 us)
# and tc_callee (1 us) on their threads; getppid has only its entry probe
# on: instants.
rm -f "$T/done"
run env FAKEDEV_DONE_MARK="$T/done" $P -n fbt::vfs_read: -n 'fbt::tc_*:' \
	-n sys_getppid:entry --format=chrome -o "$T/tl.json" -c "$wait_cmd"
python3 - "$T/tl.json" >"$T/py" 2>&1 <<'PY'
import json, sys
ev = json.load(open(sys.argv[1]))["traceEvents"]
x = [e for e in ev if e["ph"] == "X"]
i = [e for e in ev if e["ph"] == "i"]
names = {e["tid"]: e["args"]["name"] for e in ev if e["ph"] == "M"}
assert len(ev) == len(x) + len(i) + len(names), "other events"
assert sorted(names) == [4243, 4244, 4249], names
assert len(x) == 3000, len(x)
assert len(i) == 1000 and {e["name"] for e in i} == {"__x64_sys_getppid"}
vr = [e for e in x if e["name"] == "vfs_read"]
assert len(vr) == 1000 and all(e["tid"] == 4244 and e["dur"] == 1.999 for e in vr)
assert sorted(e["args"]["retval"] for e in vr) == list(range(1000))
tc = [e for e in x if e["name"] == "tc_caller"]
assert len(tc) == 1000 and all(e["dur"] == 0.5 and e["args"]["tailcall"] for e in tc)
assert all(e["args"]["arg0"] == "0xffff888000001000" for e in vr + tc)
print("ok")
PY
node trace-events.mjs "$T/tl.json" >"$T/te" 2>&1
cat >"$T/want" <<'W'
thread 4242 4249 fake"comm\ 2000
slices 4242 4249 tc_callee 1000 1 1
slices 4242 4249 tc_caller 1000 0.5 0.5
thread 4242 4244 fake"comm\ 1000
slices 4242 4244 vfs_read 1000 1.999 1.999
W
if [ "$(rc)" = 0 ] && grep -qx ok "$T/py" && sort "$T/te" | cmp -s - "$(sort "$T/want" >"$T/want.s"; echo "$T/want.s")" &&
   grep -qx 'pvfbt: timeline: 3000 slices, 1000 instants' "$T/err"
then pass timeline
else sed 's/^/# /' "$T/py" "$T/te" | head -20; fail timeline "--format=chrome (trace engine: scripts/deps.sh installs it)"; fi

# SIGINT in the middle of a long run: the file is still a whole document,
# every slice in it a whole call
FAKEDEV_CALLS=100000000 $P -n fbt::vfs_read: --format=chrome -o "$T/tl2.json" >"$T/out" 2>"$T/err" & pp=$!
w=0; while [ ! -s "$T/tl2.json" ] && [ $w -lt 100 ]; do sleep 0.05; w=$((w + 1)); done
sleep 0.5; kill -INT $pp; wait $pp; echo $? >"$T/rc"
n=$(sed -n 's/^pvfbt: timeline: \([0-9]*\) slices, [0-9]* instants$/\1/p' "$T/err")
node trace-events.mjs "$T/tl2.json" >"$T/te" 2>&1
if [ "$(rc)" = 0 ] && [ "${n:-0}" -gt 0 ] &&
   python3 -c 'import json,sys; ev = json.load(open(sys.argv[1]))["traceEvents"]; assert sum(e["ph"] == "X" for e in ev) == int(sys.argv[2])' "$T/tl2.json" "$n" &&
   grep -Eqx "slices 4242 4244 vfs_read $n 1.999 1.999" "$T/te"
then pass timeline_sigint; else sed 's/^/# /' "$T/te" | head; fail timeline_sigint "--format=chrome interrupted ($n slices)"; fi
run $P -n fbt::vfs_read: --format=chrome --stack -c true
if [ "$(rc)" = 2 ] && grep -qx 'pvfbt: --stack does not go with --format=chrome' "$T/err"
then pass timeline_no_stack; else fail timeline_no_stack "--format=chrome --stack"; fi

# Tail calls: tc_caller jumps to tc_callee (fakedev.c)
rm -f "$T/done"
FAKEDEV_CALLS=5 run env FAKEDEV_DONE_MARK="$T/done" $P -n 'fbt::tc_*:' \
	-c "while [ ! -e $T/done ]; do sleep 0.02; done"
events_of "$T/out" >"$T/got"
i=0
while [ $i -lt 5 ]; do
	echo "EVENT fbt:vmlinux:tc_caller:entry  0xffff888000001000 0xc 0x0 0x0 0x0 0x0"
	echo "EVENT fbt:vmlinux:tc_caller:return  (tail call)"
	echo "EVENT fbt:vmlinux:tc_callee:entry  0xffff888000002000 0xe 0x0 0x0 0x0 0x0"
	echo "EVENT fbt:vmlinux:tc_callee:return  = 0x$i ($i)"
	i=$((i + 1))
done >"$T/want"
if [ "$(rc)" = 0 ] && cmp -s "$T/want" "$T/got"
then pass tailcall_text; else diff "$T/want" "$T/got" | head | sed 's/^/# /'; fail tailcall_text "tail call returns"; fi
rm -f "$T/done"
FAKEDEV_CALLS=50 run env FAKEDEV_DONE_MARK="$T/done" $P -n 'fbt::tc_*:' --json \
	-c "while [ ! -e $T/done ]; do sleep 0.02; done"
if [ "$(rc)" = 0 ] && python3 - "$T/out" <<'PY'
import json, sys
objs = [json.loads(l) for l in open(sys.argv[1])]
assert len(objs) == 200, len(objs)
tc = [o for o in objs if o["probe"] == "fbt:vmlinux:tc_caller:return"]
ce = [o for o in objs if o["probe"] == "fbt:vmlinux:tc_callee:return"]
assert len(tc) == 50 and len(ce) == 50
assert all(o["tailcall"] is True and "retval" not in o for o in tc)
assert all("tailcall" not in o for o in ce)
assert sorted(o["retval"] for o in ce) == list(range(50))
PY
then pass tailcall_json; else fail tailcall_json "tail call in JSON"; fi
rm -f "$T/done"
run env FAKEDEV_DONE_MARK="$T/done" $P -n 'fbt::tc_*:' --latency \
	-c "while [ ! -e $T/done ]; do sleep 0.02; done"
if [ "$(rc)" = 0 ] &&
   [ "$(grep -A6 -x '  fbt:vmlinux:tc_caller (ns)' "$T/out" | grep -c '^count 1000, min 500, mean 500, max 500 (ns)$')" = 1 ] &&
   [ "$(grep -A6 -x '  fbt:vmlinux:tc_callee (ns)' "$T/out" | grep -c '^count 1000, min 1000, mean 1000, max 1000 (ns)$')" = 1 ] &&
   grep -qx 'pvfbt: latency: 2000 calls paired (0 through tail calls), 0 returns unmatched, 0 entries without return' "$T/err"
then pass tailcall_latency; else fail tailcall_latency "--latency with tail calls"; fi

# Probe selection: 1,000 literal specs select what the same specs written
# as globs (last character as [c]) select, on a catalogue of 2,008
python3 - "$T/lit" "$T/glob" <<'PY'
import sys
lit, glob = open(sys.argv[1], "w"), open(sys.argv[2], "w")
for k in range(1000):
    j = 2 * k
    name = "fake_fn_%d" % j
    form = ["fbt:vmlinux:%s:entry", "fbt::%s:", "%s:return", "fbt:*:%s:"][k % 4]
    lit.write("-n\n" + form % name + "\n")
    glob.write("-n\n" + form % (name[:-1] + "[" + name[-1] + "]") + "\n")
PY
FAKEDEV_FUNCS=2000 run sh -c "set -f; exec $P -l -v \$(cat '$T/lit')"
cp "$T/out" "$T/lit.out"
FAKEDEV_FUNCS=2000 run sh -c "set -f; exec $P -l -v \$(cat '$T/glob')"
want=$(python3 - <<'PY'
n = 0
for k in range(1000):
    j = 2 * k
    mods = ["vmlinux"] + (["fakemod"] if j % 10 == 8 else [])
    form = k % 4
    if form == 0: n += 1
    elif form == 1: n += 2 * len(mods)
    elif form == 2: n += len(mods)
    else: n += 2 * len(mods)
print(n)
PY
)
if [ "$(rc)" = 0 ] && cmp -s "$T/lit.out" "$T/out" &&
   [ "$(grep -c ' fbt ' "$T/out")" = "$want" ] && grep -q 'excluded: decode' "$T/out"
then pass select_literal_same_as_glob
else diff "$T/lit.out" "$T/out" | head | sed 's/^/# /'; fail select_literal_same_as_glob "literal vs glob, want $want"; fi

# ... and fast: 1,000 literal specs on a catalogue of 50,008 functions
# (matching every spec against every function took seconds here, 80 s in a
# guest); tracing them enables exactly the usable ones
python3 - "$T/lit" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    for k in range(1000):
        f.write("-n\nfbt:vmlinux:fake_fn_%d:entry\n" % (50 * k))
PY
start=$(date +%s%N)
FAKEDEV_FUNCS=50000 run sh -c "set -f; exec $P -l \$(cat '$T/lit')"
el=$(( ($(date +%s%N) - start) / 1000000 ))
# entry excluded when J % 7 == 3
want=$(python3 -c 'print(sum(1 for k in range(1000) if (50 * k) % 7 != 3))')
if [ "$(rc)" = 1 ] && [ "$(grep -c ' fbt ' "$T/out")" = "$want" ] && [ "$el" -lt 3000 ] &&
   [ "$(grep -c '^pvfbt: no probes match' "$T/err")" = $((1000 - want)) ] &&
   grep -qx "pvfbt: no probes match 'fbt:vmlinux:fake_fn_150:entry'" "$T/err"
then pass select_literal_1000_fast; echo "# 1000 literal specs, 50008 functions: -l took $el ms"
else fail select_literal_1000_fast "-l took $el ms, want $want probes"; fi
python3 - "$T/lit" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    for k in range(1000):
        if (50 * k) % 7 != 3:
            f.write("-n\nfbt:vmlinux:fake_fn_%d:entry\n" % (50 * k))
PY
start=$(date +%s%N)
FAKEDEV_FUNCS=50000 FAKEDEV_CALLS=1 run sh -c "set -f; exec $P -d 0.1 \$(cat '$T/lit')"
el=$(( ($(date +%s%N) - start) / 1000000 ))
if [ "$(rc)" = 0 ] && [ "$el" -lt 3000 ] &&
   grep -qx "pvfbt: $want probes enabled" "$T/err" &&
   grep -qx "pvfbt: 0 events, 0 dropped, $want probes" "$T/err"
then pass select_literal_trace; else fail select_literal_trace "tracing $want literal specs took $el ms"; fi
FAKEDEV_FUNCS=100 run $P -n fbt:vmlinux:fake_fn_1:entry -n fbt:vmlinux:no_such_fn:entry -c true
if [ "$(rc)" = 1 ] && grep -qx "pvfbt: no probes match 'fbt:vmlinux:no_such_fn:entry'" "$T/err"
then pass select_literal_no_match; else fail select_literal_no_match "literal without a match"; fi
FAKEDEV_FUNCS=100 run $P -n fbt:vmlinux:fake_fn_3:entry -c true
if [ "$(rc)" = 1 ] && grep -qx "pvfbt: no probes match 'fbt:vmlinux:fake_fn_3:entry' (1 matching probes are excluded: see pvfbt -l -v)" "$T/err"
then pass select_literal_only_excluded; else fail select_literal_only_excluded "literal matching an excluded probe"; fi

# ---------------------------------------------------------------- BTF
# Typed arguments and returns from BTF (fakebtf-*.c, by pahole -J; the
# typed functions' registers are in fakedev.c's typed[]).  Each event line
# is expected exactly FAKEDEV_CALLS times.
rm -f "$T/done"
FAKEDEV_CALLS=3 run env FAKEDEV_TYPED=1 PVFBT_BTF_DIR="$BTF" FAKEDEV_DONE_MARK="$T/done" \
	$P -n 'fbt::typed*:' -n fbt::vfs_read: -n 'ext4::' -n 'fbt::tc_*:' \
	-c "while [ ! -e $T/done ]; do sleep 0.02; done"
events_of "$T/out" | sed -E 's/^EVENT +//' | sort | uniq -c | sed -E 's/^ +//' | sort >"$T/got"
sort >"$T/want" <<'W'
3 fbt:vmlinux:vfs_read:entry  vfs_read(file=0xffff888000001000, buf=0x2, count=0, pos=0x0)
3 fbt:ext4:ext4_file_read_iter:entry  ext4_file_read_iter(iocb=0xffff888000001000, to=0xa)
3 fbt:vmlinux:tc_caller:entry  tc_caller(file=0xffff888000001000, n=12)
3 fbt:vmlinux:tc_caller:return  (tail call)
3 fbt:vmlinux:tc_callee:entry  0xffff888000002000 0xe 0x0 0x0 0x0 0x0
3 fbt:vmlinux:typed_ints:entry  typed_ints(a=-5, b=7, c=-1, d=255, e=-9223372036854775808, f=65)
3 fbt:vmlinux:typed_ints:return  = -22
3 fbt:vmlinux:typed_enum:entry  typed_enum(m=FAKE_WRITE, on=false, m2=77, m3=FAKE_NEG, name=0xffff888000003000, cb=0xffffffff81000400)
3 fbt:vmlinux:typed_enum:return  = FAKE_READ
3 fbt:vmlinux:typed_void:entry  typed_void()
3 fbt:vmlinux:typed_void:return  = void
3 fbt:vmlinux:typed_va:entry  typed_va(fmt=0xffff888000005000, ...)
3 fbt:vmlinux:typed_va:return  = -12
3 fbt:vmlinux:typed_stop:entry  typed_stop(x=3, ...)
3 fbt:vmlinux:typed_stop:return  = false
3 fbt:vmlinux:typed_many:entry  typed_many(a1=1, a2=-2, a3=3, a4=4, a5=5, a6=6, ...)
3 fbt:vmlinux:typed_many:return  = 0xffff888000004000
3 fbt:vmlinux:typed_float:entry  typed_float(...)
3 fbt:vmlinux:typed_float:return  = 0x7 (7)
6 fbt:vmlinux:typed_twice:entry  0x1 0x2 0x3 0x4 0x5 0x6
6 fbt:vmlinux:typed_twice:return  = 0x7 (7)
3 fbt:nobtf:typed_enum:entry  0x100 0x0 0x0 0x0 0x0 0x0
3 fbt:nobtf:typed_enum:return  = 0x2a (42)
1 fbt:vmlinux:vfs_read:return  = 0
1 fbt:vmlinux:vfs_read:return  = 1
1 fbt:vmlinux:vfs_read:return  = 2
1 fbt:ext4:ext4_file_read_iter:return  = 0
1 fbt:ext4:ext4_file_read_iter:return  = 1
1 fbt:ext4:ext4_file_read_iter:return  = 2
1 fbt:vmlinux:tc_callee:return  = 0x0 (0)
1 fbt:vmlinux:tc_callee:return  = 0x1 (1)
1 fbt:vmlinux:tc_callee:return  = 0x2 (2)
W
if [ "$(rc)" = 0 ] && cmp -s "$T/want" "$T/got" && ! grep -q BTF "$T/err"
then pass btf_text
else diff "$T/want" "$T/got" | head -20 | sed 's/^/# /'; fail btf_text "typed arguments and returns"; fi

# The same in JSON: today's fields kept, "argv", "argv_more" and "ret" added
rm -f "$T/done"
FAKEDEV_CALLS=3 run env FAKEDEV_TYPED=1 PVFBT_BTF_DIR="$BTF" FAKEDEV_DONE_MARK="$T/done" \
	$P -n 'fbt::typed*:' -n fbt::vfs_read: --json \
	-c "while [ ! -e $T/done ]; do sleep 0.02; done"
if [ "$(rc)" = 0 ] && python3 - "$T/out" <<'PY'
import json, sys
objs = [json.loads(l) for l in open(sys.argv[1])]
assert len(objs) == 3 * 2 * 11, len(objs)
by = {}
for o in objs:
    by.setdefault(o["probe"], []).append(o)
def one(probe):
    l = by["fbt:vmlinux:" + probe]
    assert len(l) == 3, l
    strip = lambda o: {k: v for k, v in o.items() if k not in ("ts", "cpu", "ip")}
    assert all(strip(x) == strip(l[0]) for x in l), l
    return l[0]
e = one("typed_ints:entry")
assert e["args"] == [0xdeadbeeffffffffb, 0xffffffff00000007, 0x1234ffff, 0x1ff, 1 << 63, 0x41]
assert list(e["argv"].items()) == [("a", -5), ("b", 7), ("c", -1), ("d", 255), ("e", -(1 << 63)), ("f", 65)], e
assert "argv_more" not in e
r = one("typed_ints:return")
assert r["retval"] == -22 and r["ret"] == -22
e = one("typed_enum:entry")
assert e["argv"] == {"m": "FAKE_WRITE", "on": False, "m2": 77, "m3": "FAKE_NEG",
                     "name": "0xffff888000003000", "cb": "0xffffffff81000400"}, e
assert one("typed_enum:return")["ret"] == "FAKE_READ"
assert one("typed_void:entry")["argv"] == {}
r = one("typed_void:return")
assert r["ret"] is None and r["retval"] == 0x1234
e = one("typed_va:entry")
assert e["argv"] == {"fmt": "0xffff888000005000"} and e["argv_more"] is True
assert one("typed_va:return")["ret"] == -12
assert one("typed_stop:entry")["argv"] == {"x": 3} and one("typed_stop:entry")["argv_more"] is True
assert one("typed_stop:return")["ret"] is False
e = one("typed_many:entry")
assert list(e["argv"].values()) == [1, -2, 3, 4, 5, 6] and e["argv_more"] is True
assert one("typed_many:return")["ret"] == "0xffff888000004000"
e = one("typed_float:entry")
assert e["argv"] == {} and e["argv_more"] is True
r = one("typed_float:return")
assert "ret" not in r and r["retval"] == 7
for o in by["fbt:vmlinux:typed_twice:entry"] + by["fbt:nobtf:typed_enum:entry"]:
    assert "argv" not in o and len(o["args"]) == 6
for o in by["fbt:vmlinux:typed_twice:return"] + by["fbt:nobtf:typed_enum:return"]:
    assert "ret" not in o and "retval" in o
e = one("vfs_read:entry")
assert e["argv"] == {"file": "0xffff888000001000", "buf": "0x2", "count": 0, "pos": "0x0"}, e
assert sorted(o["ret"] for o in by["fbt:vmlinux:vfs_read:return"]) == [0, 1, 2]
PY
then pass btf_json; else fail btf_json "typed JSON"; fi

# -l -v: the C prototype of each function with BTF (libbpf's btf_dump)
run env FAKEDEV_TYPED=1 PVFBT_BTF_DIR="$BTF" $P -l -v -n 'fbt::typed*:entry' -n 'fbt::vfs_read:entry' \
	-n 'fbt:ext4::return' -n 'fbt::do_int3:entry'
sed -E 's/ +/ /g; s/^ //' "$T/out" >"$T/got"
cat >"$T/want" <<'W'
ID PROVIDER MODULE FUNCTION NAME STATE
2 fbt vmlinux vfs_read entry ok via int3 ssize_t vfs_read(struct file *file, char *buf, size_t count, loff_t *pos)
6 fbt vmlinux do_int3 entry excluded: trap-path
11 fbt ext4 ext4_file_read_iter return ok via jump+int3 ssize_t ext4_file_read_iter(struct kiocb *iocb, struct iov_iter *to)
16 fbt vmlinux typed_ints entry ok via int3 long int typed_ints(int a, unsigned int b, short int c, unsigned char d, long long int e, char f)
18 fbt vmlinux typed_enum entry ok via int3 enum fake_mode typed_enum(enum fake_mode m, _Bool on, enum fake_mode m2, enum fake_mode m3, const char *name, void (*cb)(int))
20 fbt vmlinux typed_void entry ok via int3 void typed_void(void)
22 fbt vmlinux typed_va entry ok via int3 int typed_va(const char *fmt, ...)
24 fbt vmlinux typed_stop entry ok via int3 _Bool typed_stop(int x, struct pair p, int y)
26 fbt vmlinux typed_many entry ok via int3 void *typed_many(long int a1, long int a2, long int a3, long int a4, long int a5, long int a6, long int a7, long int a8)
28 fbt vmlinux typed_float entry ok via int3 double typed_float(double d, int x)
30 fbt vmlinux typed_twice entry ok via int3
32 fbt vmlinux typed_twice entry ok via int3
34 fbt nobtf typed_enum entry ok via int3
W
if [ "$(rc)" = 0 ] && cmp -s "$T/want" "$T/got" && [ ! -s "$T/err" ]
then pass btf_list_prototypes
else diff "$T/want" "$T/got" | head -20 | sed 's/^/# /'; fail btf_list_prototypes "-l -v prototypes"; fi

# Without BTF: today's output, and one line on stderr saying so
rm -f "$T/done"
FAKEDEV_CALLS=5 run env FAKEDEV_TYPED=1 PVFBT_BTF_DIR="$T/nosuchdir" FAKEDEV_DONE_MARK="$T/done" \
	$P -n 'fbt::typed_ints:' -n fbt::vfs_read:entry -c "while [ ! -e $T/done ]; do sleep 0.02; done"
if [ "$(rc)" = 0 ] &&
   [ "$(grep -c 'typed_ints:entry  0xdeadbeeffffffffb 0xffffffff00000007 0x1234ffff 0x1ff 0x8000000000000000 0x41$' "$T/out")" = 5 ] &&
   [ "$(grep -c 'typed_ints:return  = 0xffffffffffffffea (-22)$' "$T/out")" = 5 ] &&
   [ "$(grep -c 'vfs_read:entry  0xffff888000001000 0x2 0x0 0x0 0x0 0x0$' "$T/out")" = 5 ] &&
   [ "$(grep -c BTF "$T/err")" = 1 ] &&
   grep -qx "pvfbt: no kernel BTF ($T/nosuchdir/vmlinux: No such file or directory): arguments and return values are shown untyped" "$T/err"
then pass btf_missing; else fail btf_missing "no BTF: raw output, said once"; fi
run env FAKEDEV_TYPED=1 PVFBT_BTF_DIR="$T/nosuchdir" $P -l -v -n fbt::vfs_read:entry
if [ "$(rc)" = 0 ] && grep -Eq '^ +2 +fbt +vmlinux +vfs_read +entry +ok +via int3$' "$T/out" &&
   [ "$(grep -c BTF "$T/err")" = 1 ]
then pass btf_missing_list; else fail btf_missing_list "no BTF: -l -v without prototypes"; fi
