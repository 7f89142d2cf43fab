#!/bin/sh
# In a domU of tests/vm/run --xen-domu: ask the dom0 to do something to this
# domU with xl, wait until it is done, print xl's output, exit with its status.
#   sh /tests/xl.sh save-restore      xl save, then xl restore (a new domid)
#   sh /tests/xl.sh pause SECONDS     xl pause, sleep, xl unpause
#   sh /tests/xl.sh vcpu-set N        xl vcpu-set domu N
#   sh /tests/xl.sh migrate           xl migrate -s "" domu "xl migrate-receive"
#   sh /tests/xl.sh xl ARG...         xl ARG... (e.g. xl vcpu-list domu)
# The request goes through this domain's xenstore directory (data/pvfbt-req,
# answered in data/pvfbt-ack and data/pvfbt-out by the dom0's agent,
# tests/vm/mkdom0).  PVFBT_XL_TIMEOUT (seconds, default 600) bounds the wait.
export LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu:/lib/x86_64-linux-gnu
xs=/usr/bin/xenstore
[ -x $xs-read ] || { echo "xl.sh: no xenstore clients (not a --xen-domu guest)" >&2; exit 125; }
[ $# -gt 0 ] || { echo "usage: xl.sh OP [ARG]..." >&2; exit 2; }
# The sequence number lives in the domU's memory: it survives a restore,
# the xenstore directory does not.
f=/tmp/.pvfbt-xl-seq
seq=$(($(cat $f 2>/dev/null || echo 0) + 1))
echo $seq >$f
$xs-write data/pvfbt-req "$seq $*" || { echo "xl.sh: cannot write data/pvfbt-req" >&2; exit 125; }
limit=$(($(cut -d. -f1 /proc/uptime) + ${PVFBT_XL_TIMEOUT:-600}))
while :; do
	ack=$($xs-read data/pvfbt-ack 2>/dev/null) || ack=
	[ "${ack%% *}" = "$seq" ] && break
	if [ "$(cut -d. -f1 /proc/uptime)" -ge $limit ]; then
		echo "xl.sh: no answer to '$*' from the dom0 in ${PVFBT_XL_TIMEOUT:-600} s" >&2
		exit 124
	fi
	# Until our directory changes (5 s at most; the domid may change).
	timeout 5 $xs-watch -n 2 /local/domain/$($xs-read domid)/data >/dev/null 2>&1 || sleep 0.2
done
$xs-read -R data/pvfbt-out 2>/dev/null
exit "${ack#* }"
