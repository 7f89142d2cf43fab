#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# End-to-end runs of the consumer against the in-process fake device
# (pvfbt-fakedev, see fakedev.c).  Prints "ok NAME" / "not ok NAME" lines
# and "# ..." diagnostics, unnumbered: run-tests.sh numbers them.
P=${P:-./pvfbt-fakedev}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export FAKEDEV_CALLS=1000

pass() { echo "ok $1"; }
fail() { echo "# $2"; sed 's/^/#   /' "$T/out" "$T/err" 2>/dev/null | head -40; echo "not ok $1"; }
run() { "$@" >"$T/out" 2>"$T/err"; echo $? >"$T/rc"; }
rc() { cat "$T/rc"; }

# --status
run $P --status
if [ "$(rc)" = 0 ] && grep -q '^environment: *xen-pv$' "$T/out" &&
   grep -q '^abi version: *2$' "$T/out" && grep -q '^cpus: *2$' "$T/out" &&
   grep -q '^kernel release: *6.1.0-fake$' "$T/out" &&
   grep -q '^probes armed: *0$' "$T/out"; then pass status; else fail status "status output"; fi

# open errors and ABI mismatch
run env FAKEDEV_ERRNO=2 $P --status
if [ "$(rc)" = 1 ] && grep -qx 'pvfbt: /dev/pvfbt not found: is pvfbt.ko loaded? (insmod pvfbt.ko)' "$T/err"
then pass open_enoent; else fail open_enoent "ENOENT message"; fi
run env FAKEDEV_ERRNO=13 $P -n sys_getppid -c true
if [ "$(rc)" = 1 ] && grep -qx 'pvfbt: permission denied: pvfbt needs root (CAP_SYS_ADMIN)' "$T/err"
then pass open_eacces; else fail open_eacces "EACCES message"; fi
run env FAKEDEV_ABI=7 $P -n sys_getppid -d 0.1
if [ "$(rc)" = 1 ] && grep -qx 'pvfbt: module ABI 7, consumer ABI 2: rebuild' "$T/err"
then pass abi_mismatch; else fail abi_mismatch "ABI message"; fi

# -l, -l -v, -l -n with the sys_ alias
run $P -l
if [ "$(rc)" = 0 ] && [ "$(grep -c ' fbt ' "$T/out")" = 9 ] &&
   ! grep -q do_int3 "$T/out" && ! grep -q 'vfs_write *return' "$T/out" &&
   grep -Eq '^ +11 +fbt +ext4 +ext4_file_read_iter +return$' "$T/out"
then pass list; else fail list "list of usable probes"; fi
run $P -l -v
if [ "$(rc)" = 0 ] && [ "$(grep -c ' fbt ' "$T/out")" = 12 ] &&
   grep -Eq 'do_int3 +entry +excluded: trap-path' "$T/out" &&
   grep -Eq 'vfs_write +return +excluded: no-return-site' "$T/out"
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
   grep -qx 'pvfbt: hits 1000, records 1000, drops 0, missed steps 1, late steps 0, filtered 0, stepped 0, emulated 0' "$T/err"
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
   grep -q '^pvfbt: cpu 0: hits 1000, records 1000, drops 5, missed steps 0, late steps 0' "$T/err" &&
   grep -q '^pvfbt: cpu 1: hits 1000, records 1000, drops 5, missed steps 1, late steps 0' "$T/err"
then pass count_bypid_percpu; else cp "$T/o" "$T/out" 2>/dev/null; fail count_bypid_percpu "--by-pid --per-cpu -o"; fi

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
