#!/bin/sh
# make demo: what a user does in a Xen PV guest.
set -e
insmod /pvfbt.ko
pvfbt --status
echo
echo '# pvfbt -l -n fbt::sys_getpid*:'
pvfbt -l -n 'fbt::sys_getp*:'
echo
echo "# pvfbt -n 'fbt::sys_*:entry' -c 'getppid-loop 3; ls / >/dev/null'"
pvfbt -n 'fbt::sys_*:entry' --comm getppid-loop -c 'getppid-loop 3'
echo
echo "# pvfbt --count -n 'fbt::sys_getppid:' -c 'getppid-loop 10000'"
pvfbt --count --comm getppid-loop -n 'fbt::sys_getppid:' -c 'getppid-loop 10000'
echo
echo "# pvfbt --latency --comm readn -n 'fbt::vfs_read:' -c 'readn /etc/passwd 100'"
pvfbt --latency --comm readn -n 'fbt::vfs_read:' -c 'readn /etc/passwd 100'
echo
echo "# pvfbt -n 'fbt::sys_*:entry' -d 5 (the whole system)"
pvfbt -n 'fbt::sys_*:entry' -d 5 | tail -n 15
rmmod pvfbt
