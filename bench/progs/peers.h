/* SPDX-License-Identifier: GPL-2.0 */
/* What bpfpeer.c and peers.bpf.c share. */
#ifndef PEERS_H
#define PEERS_H
#include <linux/types.h>

#define PEERS_MAX_CPUS 64

struct counter {	/* one cache line per CPU: no sharing, no atomics */
	__u64 hits;
	__u64 drops;	/* record: ring full, record lost */
	__u64 pad[6];
};

struct rec {		/* = struct pvfbt_record (include/uapi/pvfbt.h): 128 bytes */
	__u64 ts;
	__u32 probe_id;
	__u16 cpu;
	__u16 flags;
	__u32 pid;
	__u32 tid;
	__u64 args[6];
	__u64 ip;
	__u64 sp;
	char comm[16];
	__u64 reserved[3];
};
#endif
