// SPDX-License-Identifier: GPL-2.0
/*
 * The BPF peers of a pvfbt probe (bench/progs/bpfpeer.c loads them): one
 * function, hooked by BPF fentry, fexit, kprobe or kretprobe, each in two
 * variants:
 *
 *   count   add one to this CPU's hit counter, nothing else;
 *   record  the same, and write what a pvfbt record holds (timestamp, cpu,
 *           tgid/tid, probe id, six argument registers or the return value,
 *           ip, sp, comm: 128 bytes, struct pvfbt_record's layout) into a
 *           BPF ring buffer that the loader drains on the other CPU.  The
 *           reader is woken when the ring is an eighth full, as pvfbt's is
 *           (driver/ring.c); otherwise it polls every 100 ms.
 *
 * No vmlinux.h: fentry/fexit read their arguments and return value with
 * bpf_get_func_arg()/bpf_get_func_ret() (the trampoline's ctx is an array
 * of u64), kprobes read the kernel's struct pt_regs through the minimal
 * layout below (x86-64, arch/x86/include/asm/ptrace.h).
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "peers.h"

typedef __u64 u64;
typedef __u32 u32;

struct kregs {		/* the kernel's struct pt_regs on x86-64 */
	u64 r15, r14, r13, r12, bp, bx, r11, r10, r9, r8;
	u64 ax, cx, dx, si, di, orig_ax, ip, cs, flags, sp, ss;
};

#define MAX_CPUS PEERS_MAX_CPUS
struct counter counters[MAX_CPUS];

const volatile __u64 ring_bytes = 1;	/* set by the loader */

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 24);	/* resized by the loader */
} ring SEC(".maps");

static __always_inline struct counter *hit(void)
{
	struct counter *c = &counters[bpf_get_smp_processor_id() & (MAX_CPUS - 1)];

	c->hits++;
	return c;
}

static __always_inline struct rec *reserve(struct counter *c, u32 id)
{
	struct rec *r = bpf_ringbuf_reserve(&ring, sizeof(*r), 0);
	u64 pt;

	if (!r) {
		c->drops++;
		return 0;
	}
	pt = bpf_get_current_pid_tgid();
	r->ts = bpf_ktime_get_ns();
	r->probe_id = id;
	r->cpu = bpf_get_smp_processor_id();
	r->flags = 0;
	r->pid = pt >> 32;
	r->tid = (u32)pt;
	r->ip = 0;
	r->sp = 0;
	bpf_get_current_comm(r->comm, sizeof(r->comm));
	r->reserved[0] = r->reserved[1] = r->reserved[2] = 0;
	return r;
}

static __always_inline void submit(struct rec *r)
{
	/* Wake the reader once an eighth of the ring is waiting, as pvfbt. */
	u64 avail = bpf_ringbuf_query(&ring, BPF_RB_AVAIL_DATA);

	bpf_ringbuf_submit(r, avail >= ring_bytes / 8 ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP);
}

/* ---- count */
SEC("fentry")
int fentry_count(u64 *ctx)
{
	hit();
	return 0;
}

SEC("fexit")
int fexit_count(u64 *ctx)
{
	hit();
	return 0;
}

SEC("kprobe")
int kprobe_count(struct kregs *regs)
{
	hit();
	return 0;
}

SEC("kretprobe")
int kretprobe_count(struct kregs *regs)
{
	hit();
	return 0;
}

/* ---- record */
SEC("fentry")
int fentry_record(u64 *ctx)
{
	struct counter *c = hit();
	struct rec *r = reserve(c, 0);
	int i;

	if (!r)
		return 0;
	/* The function's own arguments (the ones it has; 0 for the rest). */
	for (i = 0; i < 6; i++) {
		u64 v = 0;

		bpf_get_func_arg(ctx, i, &v);
		r->args[i] = v;
	}
	r->ip = bpf_get_func_ip(ctx);
	submit(r);
	return 0;
}

SEC("fexit")
int fexit_record(u64 *ctx)
{
	struct counter *c = hit();
	struct rec *r = reserve(c, 1);
	u64 v = 0;

	if (!r)
		return 0;
	bpf_get_func_ret(ctx, &v);
	r->args[0] = v;
	r->args[1] = r->args[2] = r->args[3] = r->args[4] = r->args[5] = 0;
	r->ip = bpf_get_func_ip(ctx);
	submit(r);
	return 0;
}

SEC("kprobe")
int kprobe_record(struct kregs *regs)
{
	struct counter *c = hit();
	struct rec *r = reserve(c, 0);

	if (!r)
		return 0;
	r->args[0] = regs->di;
	r->args[1] = regs->si;
	r->args[2] = regs->dx;
	r->args[3] = regs->cx;
	r->args[4] = regs->r8;
	r->args[5] = regs->r9;
	r->ip = regs->ip;
	r->sp = regs->sp;
	submit(r);
	return 0;
}

SEC("kretprobe")
int kretprobe_record(struct kregs *regs)
{
	struct counter *c = hit();
	struct rec *r = reserve(c, 1);

	if (!r)
		return 0;
	r->args[0] = regs->ax;
	r->args[1] = r->args[2] = r->args[3] = r->args[4] = r->args[5] = 0;
	r->ip = regs->ip;
	r->sp = regs->sp;
	submit(r);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
