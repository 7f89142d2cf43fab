/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * pvfbt: the ABI shared by pvfbt.ko and the pvfbt consumer.
 *
 * Every ioctl argument starts with a __u32 size that the caller sets to
 * sizeof() the structure it knows; the module refuses sizes it does not
 * understand with -EINVAL.  PVFBT_ABI_VERSION changes whenever a structure
 * or the meaning of a field changes.
 */
#ifndef _UAPI_PVFBT_H
#define _UAPI_PVFBT_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define PVFBT_ABI_VERSION	8
#define PVFBT_DEVICE		"/dev/pvfbt"

/* Where the module runs (pvfbt_status.env). */
enum pvfbt_env {
	PVFBT_ENV_NATIVE = 1,	/* no hypervisor, or one pvfbt does not know */
	PVFBT_ENV_XEN_PV = 2,	/* Xen paravirtualized guest (dom0 or domU) */
	PVFBT_ENV_XEN_HVM = 3,	/* Xen HVM/PVH guest */
};

struct pvfbt_status {
	__u32 size;		/* in: sizeof(struct pvfbt_status) */
	__u32 abi_version;	/* out: PVFBT_ABI_VERSION */
	__u32 env;		/* out: enum pvfbt_env */
	__u32 nr_cpus;		/* out: ring indexes 0..nr_cpus-1 (nr_cpu_ids);
				 * only the rings that exist can be mapped */
	__u32 record_size;	/* out: sizeof(struct pvfbt_record) */
	__u32 ring_records;	/* out: records per ring (a power of two) */
	__u32 ring_mmap_size;	/* out: bytes to mmap per CPU (header + data) */
	__u32 nr_funcs;		/* out: functions in the catalogue */
	__u32 nr_armed;		/* out: probes armed now */
	__u32 nr_slots;		/* out: out-of-line slots in use / available */
	__u32 nr_slots_max;
	__u32 owner_pid;	/* out: tgid of the tracing session in the
				 * caller's pid namespace, 0 if none (or
				 * not visible there) */
	__u32 nr_sites;		/* out: patchable sites held (armed or not) */
	__u32 nr_sites_emulated;	/* out: of those, resumed by emulation */
	__u32 nr_sites_boosted;	/* out: by the slot and a jump back */
				/* (the rest are single-stepped in their slot) */
	__u32 text_batches;	/* out: batches of text writes since the load */
	__u32 text_alias_pages;	/* out: pages they wrote through a writable alias */
	__u32 text_pokes;	/* out: text_poke() calls they made instead */
	__u32 text_refused;	/* out: site writes refused: the text was not pvfbt's */
	char release[64];	/* out: utsname()->release */
	/* Memory (ABI 5).  At rest: allocated at load, whatever the sessions. */
	__u64 mem_tables;	/* out: bytes of the site table and slots */
	__u64 mem_rings;	/* out: bytes of the rings that exist now */
	__u32 nr_rings;		/* out: rings that exist now (session only) */
	__u32 nr_sites_jumped;	/* out: sites armed as a jump, no trap (ABI 7) */
	__u32 nr_entries_called;	/* out: entries armed through ftrace's call,
					 * no trap (ABI 7) */
	__u32 nr_sites_waiting;	/* out: jump sites armed by int3, their
				 * jump to follow within a grace period of
				 * RCU-tasks (ABI 8) */
};

/* One function of the catalogue.  Its probes: id 2*fid (entry), 2*fid+1 (return). */
#define PVFBT_NAME_LEN		256
#define PVFBT_MODNAME_LEN	56
struct pvfbt_func {
	__u64 addr;		/* function start */
	__u64 entry_addr;	/* the entry site (first instruction the probe owns) */
	__u32 fid;
	__u32 size;		/* function size in bytes */
	__u16 entry_reason;	/* 0: entry probe usable, else enum pvfbt_reason */
	__u16 return_reason;	/* 0: return probe usable, else enum pvfbt_reason */
	__u16 nr_returns;	/* return sites found in the live text */
	__u16 flags;		/* PVFBT_FUNC_* */
	char module[PVFBT_MODNAME_LEN];	/* "vmlinux" for the core kernel */
	char name[PVFBT_NAME_LEN];
};
#define PVFBT_FUNC_ENTRY_ARMED	0x1
#define PVFBT_FUNC_RETURN_ARMED	0x2
#define PVFBT_FUNC_GONE		0x4	/* its module was unloaded */
#define PVFBT_FUNC_TAILCALLS	0x8	/* some return sites are tail calls */
#define PVFBT_FUNC_RET_JUMPS	0x10	/* some return sites are reached by a
					 * jump when armed (ABI 7) */
#define PVFBT_FUNC_RET_TRAPS	0x20	/* some return sites trap (int3) when
					 * armed (ABI 7) */
#define PVFBT_FUNC_ENTRY_CALL	0x40	/* the entry is armed through ftrace's
					 * call, no trap, or would be if armed
					 * alone now (ABI 7) */
#define PVFBT_FUNC_ENTRY_JUMP	0x80	/* the entry is (or, armed now, will
					 * be) reached by a jump, no trap (ABI 8) */

/* Why a probe cannot be used (pvfbt_func.entry_reason/return_reason). */
enum pvfbt_reason {
	PVFBT_OK = 0,
	PVFBT_EXCL_BLACKLIST,	/* the kernel's kprobe blacklist */
	PVFBT_EXCL_NOINSTR,	/* .noinstr.text */
	PVFBT_EXCL_ENTRY_TEXT,	/* .entry.text and other entry/trampoline text */
	PVFBT_EXCL_TRAP_PATH,	/* reachable from pvfbt's own trap handling */
	PVFBT_EXCL_SELF,	/* pvfbt's own code */
	PVFBT_EXCL_DECODE,	/* the decoder refuses the site */
	PVFBT_EXCL_NO_RETURN,	/* no return site found */
	PVFBT_EXCL_TOO_SMALL,	/* no instruction after the fentry nop */
	PVFBT_EXCL_NOT_TEXT,	/* not in kernel or module text */
	PVFBT_EXCL_INIT,	/* init text, freed after boot */
	PVFBT_EXCL_NAME,	/* name longer than PVFBT_NAME_LEN */
	PVFBT_EXCL_GONE,	/* its module was unloaded */
	PVFBT_EXCL_NOTRACE,	/* core kernel code without an ftrace site: asm stubs, notrace */
	PVFBT_EXCL_FOREIGN,	/* another tool (a kprobe) owns the site's text now */
	PVFBT_EXCL_BRANCH_TARGET, /* entry site is a branch target in the function */
	PVFBT_EXCL_COLD_PART,	/* a function's .cold part: probed as part of it */
	PVFBT_EXCL_MAX
};

struct pvfbt_list {
	__u32 size;		/* in: sizeof(struct pvfbt_list) */
	__u32 max;		/* in: room in funcs[] */
	__u32 start;		/* in: first fid to report */
	__u32 count;		/* out: entries written */
	__u32 total;		/* out: functions in the catalogue */
	__u32 pad;
	__u64 funcs;		/* in: user pointer to struct pvfbt_func[max] */
};

/*
 * Arm or disarm probes by id: all or nothing.  On PVFBT_IOC_ENABLE, flags
 * apply to every probe of the call (also one already armed: its flags are
 * replaced); PVFBT_IOC_DISABLE takes flags = 0.  Unknown flags: -EINVAL.
 */
struct pvfbt_enable {
	__u32 size;		/* in: sizeof(struct pvfbt_enable) */
	__u32 count;		/* in: ids in ids[] */
	__u64 ids;		/* in: user pointer to __u32[count] */
	__u32 done;		/* out: probes whose state changed */
	__u32 flags;		/* in: PVFBT_ENABLE_* */
};
#define PVFBT_ENABLE_STACK	0x1	/* each hit also records the kernel stack */
/*
 * System calls (ABI 6).  PVFBT_ENABLE_SYSCALL: every id of the call is the
 * entry probe of a system call handler __x64_sys_NAME(const struct pt_regs
 * *regs); its records carry the system call's own arguments, read from the
 * user registers regs points at (rdi rsi rdx r10 r8 r9), and have
 * PVFBT_REC_SYSCALL.  Anything else in the call: -EINVAL.
 * PVFBT_ENABLE_STRING(n) (with SYSCALL only): argument n (0..5) is a
 * user-space NUL-terminated string; each hit copies it (PVFBT_STR_MAX bytes
 * at most, without faulting or sleeping) into string records after the
 * event.
 */
#define PVFBT_ENABLE_SYSCALL	0x2
#define PVFBT_ENABLE_STR_SHIFT	8
#define PVFBT_ENABLE_STRING(n)	(1u << (PVFBT_ENABLE_STR_SHIFT + (n)))
#define PVFBT_ENABLE_STRINGS	(0x3fu << PVFBT_ENABLE_STR_SHIFT)

/* Per-CPU statistics (PVFBT_IOC_STATS fills one per CPU). */
struct pvfbt_cpu_stats {
	__u64 hits;		/* probe firings: = records + drops + filtered */
	__u64 records;		/* records written */
	__u64 drops;		/* records dropped: ring full */
	__u64 filtered;		/* hits not recorded because of the filter */
	__u64 stepped;		/* hits resumed by single-step */
	__u64 emulated;		/* hits resumed by emulation */
	__u64 missed_steps;	/* single-step traps that never came */
	__u64 late_steps;	/* single-step traps that came after repair */
	__u64 nested;		/* hits taken while this CPU was in a probe */
	__u64 boosted;		/* hits resumed by running the instruction out
				 * of line followed by a jump back (no #DB) */
	__u64 unstepped;	/* hits of stepped sites resumed without a step:
				 * taken on the #DB stack, where a step would
				 * overwrite the #DB frame in use */
	__u64 jumped;		/* hits that reached pvfbt by a jump, no trap
				 * (ABI 7): jump return sites */
	__u64 called;		/* hits that reached pvfbt by ftrace's call,
				 * no trap (ABI 7): call entries */
	__u64 reserved[3];
};

struct pvfbt_stats {
	__u32 size;		/* in: sizeof(struct pvfbt_stats) */
	__u32 nr_cpus;		/* in: room in cpus[]; out: CPUs written */
	__u64 cpus;		/* in: user pointer to struct pvfbt_cpu_stats[nr_cpus] */
};

/* Give ring space back: the consumer has read up to tail[cpu]. */
struct pvfbt_consume {
	__u32 size;		/* in: sizeof(struct pvfbt_consume) */
	__u32 nr_cpus;		/* in: entries in tails[] */
	__u64 tails;		/* in: user pointer to __u64[nr_cpus] */
};

/*
 * Record only the hits of these processes.  Hits not recorded count as
 * "filtered".  The consumer excludes itself: what it does to read and print
 * the trace would otherwise be traced, and fed back into the trace.  Pids
 * are process ids (tgids) in the caller's pid namespace; one that names no
 * process there is refused with ESRCH.  Records carry global ids (as seen
 * from the initial pid namespace).
 */
struct pvfbt_filter {
	__u32 size;
	__u32 pid;		/* tgid to keep, 0 for any */
	char comm[16];		/* comm to keep, "" for any */
	__u32 exclude_pid;	/* tgid never to record, 0 for none */
};

/*
 * The rings.  They exist only during a session: one for each CPU online
 * when it starts and for each CPU that comes online during it (a CPU that
 * goes offline keeps its ring until the session ends).  Only the session
 * owner maps them, after claiming the session (PVFBT_IOC_FILTER, ENABLE or
 * CONSUME; mmap itself claims nothing: EBADFD without a session, EBUSY when
 * another file owns it).  mmap(PROT_READ, MAP_SHARED) of ring_mmap_size
 * bytes at offset cpu * ring_mmap_size gives CPU cpu's ring: a header page,
 * then ring_records records; ENXIO for a CPU without a ring.  Record n sits
 * at index n & (ring_records - 1).  Read head with acquire semantics;
 * records [tail, head) are complete.  nr_rings, in every ring's header,
 * grows when a CPU gets a ring during the session: map the new one then.
 * PVFBT_IOC_CONSUME takes tail 0 for a ring not mapped.
 */
struct pvfbt_ring_header {
	__u64 head;		/* written by the module */
	__u64 tail;		/* the module's copy of the consumer's position */
	__u64 drops;
	__u32 record_size;
	__u32 nr_records;
	__u32 nr_rings;		/* rings in the session so far (ABI 5) */
	__u32 pad;
};

#define PVFBT_REC_ENTRY		0x1
#define PVFBT_REC_RETURN	0x2
#define PVFBT_REC_NMI		0x4	/* hit in NMI context */
#define PVFBT_REC_STACKED	0x8	/* stack records follow this record */
#define PVFBT_REC_STACK		0x10	/* a struct pvfbt_stack_record */
#define PVFBT_REC_TAILCALL	0x20	/* return by a tail call: the function
					 * jumps to another one, which returns
					 * to its caller; args[0] is not a
					 * return value */
#define PVFBT_REC_SYSCALL	0x40	/* args[] are the system call's own,
					 * from the user registers */
#define PVFBT_REC_STRINGS	0x80	/* string records follow this record
					 * (before its stack records, if any) */
#define PVFBT_REC_STR		0x100	/* a struct pvfbt_str_record */

struct pvfbt_record {
	__u64 ts;		/* ns, CLOCK_MONOTONIC (ktime_get_mono_fast_ns) */
	__u32 probe_id;
	__u16 cpu;
	__u16 flags;		/* PVFBT_REC_* */
	__u32 pid;		/* tgid */
	__u32 tid;
	__u64 args[6];		/* entry: rdi rsi rdx rcx r8 r9; return: args[0] = rax */
	__u64 ip;		/* the site */
	__u64 sp;		/* stack pointer at the site: pairs an entry with its return */
	char comm[16];
	__u64 reserved[3];
};

/*
 * The kernel stack of a hit (probes enabled with PVFBT_ENABLE_STACK): a
 * record with PVFBT_REC_STACKED is followed, in the same ring and with
 * consecutive positions, by 1..PVFBT_STACK_RECS stack records (each with
 * PVFBT_REC_STACK in flags; more = how many still follow).  pcs[0] of the
 * first is the probe site, then return addresses outwards, innermost first.
 * ts, probe_id and cpu repeat the event's.  The module's "records" counter
 * counts events, not stack records; a full ring drops event and stack
 * together (one drop).
 */
#define PVFBT_STACK_PER_REC	13
#define PVFBT_STACK_RECS	3
#define PVFBT_STACK_MAX		(PVFBT_STACK_PER_REC * PVFBT_STACK_RECS)
struct pvfbt_stack_record {
	__u64 ts;
	__u32 probe_id;
	__u16 cpu;
	__u16 flags;		/* PVFBT_REC_STACK */
	__u16 nr;		/* frames in pcs[] (1..PVFBT_STACK_PER_REC) */
	__u16 more;		/* stack records after this one */
	__u32 pad;
	__u64 pcs[PVFBT_STACK_PER_REC];
};

/*
 * A string argument of a PVFBT_REC_STRINGS event: the event is followed,
 * with consecutive positions, by its string records, arguments in
 * ascending order, each string in 1..PVFBT_STR_RECS records (part 0, 1,
 * ...); more counts the string records still to come after this one, over
 * all the event's strings.  len (the same in every part) is the number of
 * bytes kept, without the NUL, or -errno when the copy failed (-EFAULT: not
 * mapped, or paged out: the copy cannot fault it in).  truncated: the
 * string was longer than PVFBT_STR_MAX.  A full ring drops the event with
 * its strings (one drop).
 */
#define PVFBT_STR_MAX		256
#define PVFBT_STR_PER_REC	104
#define PVFBT_STR_RECS		((PVFBT_STR_MAX + PVFBT_STR_PER_REC - 1) / PVFBT_STR_PER_REC)
struct pvfbt_str_record {
	__u64 ts;
	__u32 probe_id;
	__u16 cpu;
	__u16 flags;		/* PVFBT_REC_STR */
	__u8 arg;		/* the argument, 0..5 */
	__u8 part;		/* bytes part * PVFBT_STR_PER_REC.. of it */
	__u8 more;
	__u8 truncated;
	__s32 len;
	char data[PVFBT_STR_PER_REC];
};

#define PVFBT_IOC_MAGIC		0xfb
#define PVFBT_IOC_STATUS	_IOWR(PVFBT_IOC_MAGIC, 0, struct pvfbt_status)
#define PVFBT_IOC_LIST		_IOWR(PVFBT_IOC_MAGIC, 1, struct pvfbt_list)
#define PVFBT_IOC_ENABLE	_IOWR(PVFBT_IOC_MAGIC, 2, struct pvfbt_enable)
#define PVFBT_IOC_DISABLE	_IOWR(PVFBT_IOC_MAGIC, 3, struct pvfbt_enable)
#define PVFBT_IOC_STATS		_IOWR(PVFBT_IOC_MAGIC, 4, struct pvfbt_stats)
#define PVFBT_IOC_CONSUME	_IOW(PVFBT_IOC_MAGIC, 5, struct pvfbt_consume)
#define PVFBT_IOC_FILTER	_IOW(PVFBT_IOC_MAGIC, 6, struct pvfbt_filter)

#endif /* _UAPI_PVFBT_H */
