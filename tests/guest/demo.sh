#!/bin/sh
# make demo: what a user does in a Xen PV guest.  Documentation/usage.md
# quotes its output.
set -e
show() { echo; echo "# $*"; "$@"; }
insmod /pvfbt.ko
show pvfbt --status
show pvfbt -l -n 'fbt::vfs_read*:'
show pvfbt -l -v -n 'fbt::vfs_read:' -n 'fbt::ksys_read:' -n 'fbt::do_sys_openat2:' -n 'fbt::xen_iret:'
show pvfbt -n 'fbt::sys_*:entry' -c 'cat /etc/passwd'
head -c 2000 /dev/zero | tr '\0' x >/tmp/data
show pvfbt -n 'fbt::vfs_read:' --comm readn -c 'readn /tmp/data 832'
show pvfbt -n 'fbt::do_sys_openat2:' --comm cat -c 'cat /etc/passwd /nonexistent' || true	# cat exits 1
show pvfbt --count -n 'fbt::sys_getppid:' -c 'getppid-loop 10000'
show pvfbt --latency -n 'fbt::vfs_read:' -c 'cat /etc/passwd'
show pvfbt --stack -n 'fbt::vfs_read:entry' --comm cat -c 'cat /etc/passwd'
show pvfbt --count --stack -n 'fbt::ksys_read:entry' -c 'cat /etc/passwd'
show pvfbt -n 'fbt::__x64_sys_read:' -n 'fbt::ksys_read:' -c 'readn /etc/passwd 16'
show pvfbt --json -n 'fbt::ksys_read:' -c 'readn /etc/passwd 16'
show env PVFBT_BTF_DIR=/nonexistent pvfbt -n 'fbt::ksys_read:' -c 'readn /etc/passwd 16'
show pvfbt --count -n 'fbt::sys_*:entry' -c 'sh -c "ls / >/dev/null; cat /etc/passwd >/dev/null"'
show pvfbt --count --by comm -n 'fbt::ksys_read:entry' -c 'sh -c "readn /etc/passwd 16 4; head -n 1 /etc/passwd; wc -l /etc/passwd"'
show pvfbt --count --by arg2 --comm cat -n 'fbt::vfs_read:entry' -c 'cat /etc/passwd'
show pvfbt --count --by retval --comm cat -n 'fbt::vfs_read:return' -c 'cat /etc/passwd'
show pvfbt --count --by retval --comm cat -n 'fbt::sys_openat:return' -c 'sh -c "cat /etc/passwd /nonexistent >/dev/null"' || true	# cat exits 1
# Documentation/vfs-flamegraph.svg: flamegraph.pl on the folded stacks
show pvfbt --count --stack --folded -n 'fbt::vfs_*:entry' -o /tmp/vfs.folded \
	-c 'sh -c "for i in 1 2 3; do cat /etc/passwd /proc/cpuinfo /proc/meminfo >/dev/null; ls -lR /etc /proc/sys/kernel >/dev/null 2>&1; done"'
echo "# folded: begin"; cat /tmp/vfs.folded; echo "# folded: end"
show pvfbt --format=chrome -o /tmp/cat.json -n 'fbt::vfs_read:' -n 'fbt::ksys_read:' --comm cat -c 'cat /etc/passwd'
show head -n 6 /tmp/cat.json
rmmod pvfbt
