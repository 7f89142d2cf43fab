// SPDX-License-Identifier: GPL-2.0
/*
 * Per-CPU record rings.
 *
 * Written from trap context (int3 and #DB are NMI-like): no locks, no
 * allocation.  A writer reserves a record by advancing the CPU's private
 * reserve counter with a local cmpxchg, fills it, and publishes by storing
 * head.  A hit that nests on the same CPU (an NMI that hits a probe while
 * this CPU is writing) reserves after the outer writer; only the outermost
 * writer publishes head, after every nested record is complete (the scheme
 * of the perf ring buffer).  When the ring is full the record is dropped
 * and counted.
 *
 * The consumer maps each ring read-only and gives space back with
 * PVFBT_IOC_CONSUME.  Wake-ups go through irq_work, which is NMI-safe.
 *
 * pvfbt_hit() is here too: the accounting of a hit by jump or call, with
 * the record inlined (pvfbt_record() is the int3 path's).
 */
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/vmalloc.h>
#include <linux/percpu.h>
#include <linux/sched.h>
#include <linux/sched/task_stack.h>
#include <linux/irq_work.h>
#include <linux/timekeeping.h>
#include <linux/hardirq.h>
#include <linux/wait.h>
#include <linux/string.h>
#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/pid.h>
#include <linux/rcupdate.h>
#include <asm/local.h>
#include <asm/ptrace.h>
#include "driver/pvfbt.h"
#include "pvfbt_compat.h"

static unsigned int ring_pages = 2048;	/* data pages per CPU: 65536 records */
module_param(ring_pages, uint, 0444);
MODULE_PARM_DESC(ring_pages, "data pages per CPU ring (rounded to a power of two)");

struct pvfbt_ring {
	struct pvfbt_ring_header *hdr;	/* first page of the mapping */
	struct pvfbt_record *data;
	void *mem;			/* vmalloc_user() area: header + data */
	local_t reserve;		/* next record to hand out */
	local_t nest;			/* writers active on this CPU */
	u64 tail;			/* consumer position, set by ioctl */
	u64 mask;
};

/*
 * A CPU's ring exists only during a session: made for every online CPU when
 * the session starts (pvfbt_rings_alloc), for a CPU that comes online during
 * it (ring_cpu_online), kept when a CPU goes offline (its records are still
 * to be read), freed when the session ends (pvfbt_rings_free).  Writers and
 * poll() read the pointer under RCU (trap context is an RCU reader); it is
 * set and cleared under the CPU hotplug lock, so the online callback and
 * the session's start and end never race.
 */
static DEFINE_PER_CPU(struct pvfbt_ring *, rings);
/*
 * What rings points at: the control of a CPU's ring lives in pvfbt's
 * per-CPU area, on the page the hit already reads for its counters, not
 * on a page of its own (pvfbt.h, __pvfbt_hit_data).  In use from
 * ring_add() until pvfbt_rings_free() has waited for every writer.
 */
static DEFINE_PER_CPU(struct pvfbt_ring, ring_ctl);
static bool rings_wanted;		/* a session is on: online CPUs get rings */
static u32 nr_rings;			/* rings allocated now */
static enum cpuhp_state ring_hp_state;
DEFINE_PER_CPU(struct pvfbt_cpu_stats, pvfbt_stats);
DECLARE_WAIT_QUEUE_HEAD(pvfbt_wait);
u32 pvfbt_ring_records;
static struct irq_work wake_work;
static atomic_t wake_pending;

/*
 * Filter applied at hit time; read without locks.  Processes are held as
 * struct pid (a reference each), looked up in the pid namespace of the
 * process that set the filter: the hit path compares task_tgid(current)
 * with them, which is right in every namespace and needs no lookup.
 */
static struct pid *filter_pid, *filter_exclude;
static char filter_comm[TASK_COMM_LEN];
static bool filter_on __pvfbt_hit_data;

static void wake_fn(struct irq_work *w)
{
	atomic_set(&wake_pending, 0);
	wake_up_all(&pvfbt_wait);
}

u32 pvfbt_ring_mmap_size(void)
{
	return PAGE_SIZE + pvfbt_ring_records * sizeof(struct pvfbt_record);
}

/*
 * pid and exclude_pid are numbers in the caller's pid namespace, 0 for
 * none.  -ESRCH when one names no process there; nothing changes then.
 */
int pvfbt_set_filter(u32 pid, const char *comm, u32 exclude_pid)
{
	struct pid *keep = NULL, *excl = NULL, *old_keep, *old_excl;

	if (pid) {
		keep = find_get_pid(pid);
		if (!keep || !pid_has_task(keep, PIDTYPE_TGID)) {
			put_pid(keep);
			return -ESRCH;
		}
	}
	if (exclude_pid) {
		excl = find_get_pid(exclude_pid);
		if (!excl || !pid_has_task(excl, PIDTYPE_TGID)) {
			put_pid(keep);
			put_pid(excl);
			return -ESRCH;
		}
	}
	WRITE_ONCE(filter_on, false);
	/* Every hit that saw the old filter is done with it. */
	synchronize_rcu();
	old_keep = filter_pid;
	old_excl = filter_exclude;
	filter_pid = keep;
	filter_exclude = excl;
	strscpy(filter_comm, comm, sizeof(filter_comm));
	/* A hit that sees filter_on sees the filter it guards. */
	smp_store_release(&filter_on, keep || excl || filter_comm[0]);
	put_pid(old_keep);
	put_pid(old_excl);
	return 0;
}

static bool filtered_out(void)
{
	struct pid *tgid;

	if (!smp_load_acquire(&filter_on))
		return false;
	/* current's own struct pid: pinned while current runs. */
	tgid = task_tgid(current);
	if (filter_pid && tgid != filter_pid)
		return true;
	if (filter_exclude && tgid == filter_exclude)
		return true;
	if (filter_comm[0] && strncmp(current->comm, filter_comm, TASK_COMM_LEN))
		return true;
	return false;
}

/*
 * A system call handler's argument is the task's saved user registers:
 * read the system call's own arguments there (x86-64 syscall ABI: rdi rsi
 * rdx r10 r8 r9).  Any pointer but the task's own is read without
 * faulting: the address was checked to be a handler's, not that every
 * caller passes a good pointer.
 */
static __always_inline bool sys_user_args(const struct pt_regs *regs, u64 *ua)
{
	const struct pt_regs *own = (const struct pt_regs *)regs->di;
	/* r10 to di: the 8 of pt_regs' 21 words that hold the six arguments */
	struct pvfbt_sys_words { unsigned long r10, r9, r8, ax, cx, dx, si, di; } u;
	const struct pvfbt_sys_words *w = (const void *)&own->r10;

#define PVFBT_AT(f)	(offsetof(struct pt_regs, f) - offsetof(struct pt_regs, r10))
	BUILD_BUG_ON(PVFBT_AT(r9) != offsetof(typeof(u), r9) ||
		     PVFBT_AT(r8) != offsetof(typeof(u), r8) ||
		     PVFBT_AT(dx) != offsetof(typeof(u), dx) ||
		     PVFBT_AT(si) != offsetof(typeof(u), si) ||
		     PVFBT_AT(di) != offsetof(typeof(u), di));
#undef PVFBT_AT
	/*
	 * What the system call dispatcher passes: the task's own user
	 * registers, at the top of its stack, mapped as long as the task
	 * runs.  Read in place: copy_from_kernel_nofault() is two calls into
	 * kernel text that a Xen PV guest under TCG runs cold on every hit.
	 */
	if (own != task_pt_regs(current)) {
		if (copy_from_kernel_nofault(&u, w, sizeof(u)))
			return false;
		w = &u;
	}
	ua[0] = w->di;
	ua[1] = w->si;
	ua[2] = w->dx;
	ua[3] = w->r10;
	ua[4] = w->r8;
	ua[5] = w->r9;
	return true;
}

static unsigned int str_recs(s32 len)
{
	return len <= 0 ? 1 : DIV_ROUND_UP(len, PVFBT_STR_PER_REC);
}

/*
 * The string arguments of a hit, before its records are reserved: the
 * length each will have (PVFBT_STR_MAX at most, or -errno) and the records
 * they take.  strncpy_from_user_nofault() neither faults nor sleeps: a
 * string that is not mapped, or paged out, is -EFAULT.  On the trap path
 * (pvfbt_trap_roots()); bounded: six copies of 257 bytes at most.
 */
noinline unsigned int pvfbt_str_measure(u8 mask, const u64 *ua, s32 *len, u8 *trunc)
{
	char buf[PVFBT_STR_MAX + 1];
	unsigned int i, nrec = 0;

	*trunc = 0;
	for (i = 0; i < 6; i++) {
		long n;

		if (!(mask & (1u << i)))
			continue;
		n = pvfbt_ks.strncpy_from_user_nofault(buf, (const void __user *)ua[i],
						       sizeof(buf));
		if (n < 0) {
			len[i] = n;
		} else if ((unsigned long)n >= sizeof(buf)) {	/* no NUL in sizeof(buf) */
			len[i] = PVFBT_STR_MAX;
			*trunc |= 1u << i;
		} else {
			len[i] = n ? n - 1 : 0;	/* n counts the NUL */
		}
		nrec += str_recs(len[i]);
	}
	return nrec;
}

/*
 * Write the string records of a hit at positions pos.. of ring r, in the
 * room pvfbt_str_measure() reserved.  The string is copied again: it can
 * have changed in between (another thread), and what fits the room is
 * kept (a longer one is marked truncated, a shorter one padded).
 */
noinline void pvfbt_str_write(struct pvfbt_record *data, u64 ring_mask, long pos,
			      const struct pvfbt_record *ev, u8 mask, const u64 *ua,
			      const s32 *len, u8 trunc, unsigned int nstr)
{
	char buf[PVFBT_STR_MAX + 1];
	unsigned int i, left = nstr;

	for (i = 0; i < 6; i++) {
		unsigned int k, part, room;
		long n;
		s32 kept;
		u8 cut;

		if (!(mask & (1u << i)))
			continue;
		k = str_recs(len[i]);
		room = min_t(unsigned int, k * PVFBT_STR_PER_REC, PVFBT_STR_MAX);
		n = pvfbt_ks.strncpy_from_user_nofault(buf, (const void __user *)ua[i],
						       sizeof(buf));
		cut = (trunc >> i) & 1;
		if (len[i] < 0) {		/* one record: the first error */
			kept = len[i];
		} else if (n < 0) {
			kept = n;
		} else {
			kept = (unsigned long)n >= sizeof(buf) ? PVFBT_STR_MAX + 1 :
				(n ? n - 1 : 0);
			if (kept > room) {
				kept = room;
				cut = 1;
			}
		}
		for (part = 0; part < k; part++) {
			struct pvfbt_str_record *sr = (void *)&data[pos & ring_mask];
			unsigned int off = part * PVFBT_STR_PER_REC, j;

			sr->ts = ev->ts;
			sr->probe_id = ev->probe_id;
			sr->cpu = ev->cpu;
			sr->flags = PVFBT_REC_STR;
			sr->arg = i;
			sr->part = part;
			sr->more = --left;
			sr->truncated = cut;
			sr->len = kept;
			for (j = 0; j < PVFBT_STR_PER_REC; j++)
				sr->data[j] = kept > 0 && off + j < kept ? buf[off + j] : 0;
			pos++;
		}
	}
}

/*
 * The record of one firing.  Inlined into both of its callers: a hit by
 * jump or call goes from pvfbt_hit() to the clock without another call.
 */
static __always_inline void record(const struct pvfbt_site *site, struct pt_regs *regs,
				   u16 kind)
{
	struct pvfbt_ring *r = READ_ONCE(*this_cpu_ptr(&rings));
	struct pvfbt_record *rec;
	unsigned long pcs[PVFBT_STACK_MAX];
	unsigned int nr_pcs = 0, nrec = 1, nstr = 0, i;
	u64 ua[6];
	s32 slen[6];
	u8 sysargs = 0, strunc = 0;
	bool sys = false;
	/* The int3 trap itself counts as one NMI level; a jump or a call does not. */
	unsigned int nmi = (kind & PVFBT_HIT_DIRECT) ? 0 : NMI_OFFSET;
	long pos, head;

	kind &= ~PVFBT_HIT_DIRECT;

	if (filtered_out()) {
		pvfbt_stat_inc(filtered);
		return;
	}
	/*
	 * No ring: no session, or a CPU coming online that has not reached
	 * the callback that gives it one.  Counted as a drop.
	 */
	if (unlikely(!r)) {
		pvfbt_stat_inc(drops);
		return;
	}
	/* A system call: its own arguments, and its strings measured. */
	if (kind == PVFBT_REC_ENTRY && unlikely(READ_ONCE(site->sysargs))) {
		sysargs = READ_ONCE(site->sysargs) & 0x3f;
		sys = sys_user_args(regs, ua);
		if (!sys || !pvfbt_ks.strncpy_from_user_nofault)
			sysargs = 0;
		if (sysargs)
			nstr = pvfbt_str_measure(sysargs, ua, slen, &strunc);
		nrec += nstr;
	}
	/*
	 * --stack: unwind before reserving, so the event and its stack
	 * records are reserved together and land consecutively.
	 */
	if (unlikely(READ_ONCE(site->stack) & kind) && pvfbt_ks.stack_trace_save_regs) {
		unsigned long ip = regs->ip;

		/*
		 * The unwinder starts where the int3 says the CPU is: site + 1.
		 * Past a 1-byte instruction (push %rbx, ret) that is the next
		 * instruction, whose ORC state counts the push or the ret as
		 * done: the unwind then reads a wrong return address and stops
		 * or wanders.  It starts at the site, the state the CPU is in.
		 */
		regs->ip = site->addr;
		nr_pcs = pvfbt_ks.stack_trace_save_regs(regs, pcs, PVFBT_STACK_MAX, 0);
		regs->ip = ip;
		nrec += DIV_ROUND_UP(nr_pcs, PVFBT_STACK_PER_REC);
	}
	local_inc(&r->nest);
	do {
		pos = local_read(&r->reserve);
		if ((u64)pos + nrec - READ_ONCE(r->tail) > r->mask + 1) {
			pvfbt_stat_inc(drops);
			WRITE_ONCE(r->hdr->drops, r->hdr->drops + 1);
			goto publish;
		}
	} while (local_cmpxchg(&r->reserve, pos, pos + nrec) != pos);

	rec = &r->data[pos & r->mask];
	rec->ts = ktime_get_mono_fast_ns();
	rec->probe_id = 2 * site->fid + (kind == PVFBT_REC_RETURN);
	rec->cpu = smp_processor_id();
	/* More NMI levels than the trap's own: an NMI was hit. */
	rec->flags = kind | (in_nmi() > nmi ? PVFBT_REC_NMI : 0) |
		     (nrec > 1 + nstr ? PVFBT_REC_STACKED : 0) |
		     (nstr ? PVFBT_REC_STRINGS : 0) | (sys ? PVFBT_REC_SYSCALL : 0) |
		     (kind == PVFBT_REC_RETURN && site->tailcall ? PVFBT_REC_TAILCALL : 0);
	rec->pid = current->tgid;
	rec->tid = current->pid;
	if (sys) {
		for (i = 0; i < 6; i++)
			rec->args[i] = ua[i];
	} else if (kind == PVFBT_REC_ENTRY) {
		rec->args[0] = regs->di;
		rec->args[1] = regs->si;
		rec->args[2] = regs->dx;
		rec->args[3] = regs->cx;
		rec->args[4] = regs->r8;
		rec->args[5] = regs->r9;
	} else {
		rec->args[0] = regs->ax;
		rec->args[1] = rec->args[2] = rec->args[3] = 0;
		rec->args[4] = rec->args[5] = 0;
	}
	rec->ip = site->addr;
	rec->sp = regs->sp;
	memcpy(rec->comm, current->comm, sizeof(rec->comm));
	rec->reserved[0] = rec->reserved[1] = rec->reserved[2] = 0;
	if (nstr)
		pvfbt_str_write(r->data, r->mask, pos + 1, rec, sysargs, ua, slen,
				strunc, nstr);
	for (i = 1 + nstr; i < nrec; i++) {
		struct pvfbt_stack_record *sr = (void *)&r->data[(pos + i) & r->mask];
		unsigned int first = (i - 1 - nstr) * PVFBT_STACK_PER_REC;
		unsigned int n = min_t(unsigned int, nr_pcs - first, PVFBT_STACK_PER_REC);
		unsigned int j;

		sr->ts = rec->ts;
		sr->probe_id = rec->probe_id;
		sr->cpu = rec->cpu;
		sr->flags = PVFBT_REC_STACK;
		sr->nr = n;
		sr->more = nrec - 1 - i;
		sr->pad = 0;
		for (j = 0; j < PVFBT_STACK_PER_REC; j++)
			sr->pcs[j] = j < n ? pcs[first + j] : 0;
	}
	pvfbt_stat_inc(records);

publish:
	/* Only the outermost writer on this CPU publishes head. */
	for (;;) {
		head = local_read(&r->reserve);
		if (local_read(&r->nest) > 1) {
			local_dec(&r->nest);
			return;
		}
		smp_store_release(&r->hdr->head, (u64)head);
		barrier();
		local_dec(&r->nest);
		barrier();
		if (likely(head == local_read(&r->reserve)))
			break;
		local_inc(&r->nest);	/* a nested writer came in: publish again */
	}
	/*
	 * Wake the consumer once the ring is an eighth full: it polls with a
	 * short timeout anyway, and a wake-up per record would cost an IPI
	 * (a hypercall under Xen PV) per hit.
	 */
	if ((u64)head - READ_ONCE(r->tail) >= (r->mask + 1) / 8 &&
	    waitqueue_active(&pvfbt_wait) && !atomic_xchg(&wake_pending, 1))
		irq_work_queue(&wake_work);
}

/* A firing taken by int3: on_int3() (trap.c) did the accounting. */
void pvfbt_record(const struct pvfbt_site *site, struct pt_regs *regs, u16 kind)
{
	record(site, regs, kind);
}

/* Hits in progress on this CPU: a bound on recursion through our callees. */
DEFINE_PER_CPU(int, pvfbt_hit_depth);

/*
 * One firing reached by a jump (jret.c, jent.c) or a call (fcall.c), in the
 * probed code's own context with preemption off: the int3 path's accounting
 * and recursion bound, and the record.
 *
 * Page-aligned: ring.o is the first object of __pvfbt_hit_text (Kbuild),
 * so the section starts a page and its 2.4 KiB fill one, not two.
 */
void notrace __pvfbt_hit_text __aligned(PAGE_SIZE)
pvfbt_hit(const struct pvfbt_site *s, struct pt_regs *regs, u16 kind)
{
	if (this_cpu_inc_return(pvfbt_hit_depth) > 1)
		pvfbt_stat_inc(nested);
	pvfbt_stat_inc(hits);
	if (kind & PVFBT_HIT_JUMP)
		pvfbt_stat_inc(jumped);
	if (kind & PVFBT_HIT_CALL)
		pvfbt_stat_inc(called);
	if (this_cpu_read(pvfbt_hit_depth) > PVFBT_MAX_HIT_DEPTH) {
		/* Too deep to record: a firing dropped like a full ring's. */
		pvfbt_stat_inc(drops);
	} else if (likely(READ_ONCE(pvfbt_hit_stop) != PVFBT_HIT_STOP_COUNT)) {
		record(s, regs, kind);
	}
	this_cpu_dec(pvfbt_hit_depth);
}

/*
 * poll(): readable once a ring is an eighth full, the level at which
 * writers wake the consumer.  Below it the consumer drains on its poll
 * timeout: reporting every record at once would turn the consumer's own
 * system calls (which make records when traced) into a busy loop.
 */
bool pvfbt_ring_ready(void)
{
	bool ready = false;
	int cpu;

	rcu_read_lock();
	for_each_possible_cpu(cpu) {
		struct pvfbt_ring *r = READ_ONCE(*per_cpu_ptr(&rings, cpu));

		if (r && smp_load_acquire(&r->hdr->head) - READ_ONCE(r->tail) >=
			 (r->mask + 1) / 8) {
			ready = true;
			break;
		}
	}
	rcu_read_unlock();
	return ready;
}

/*
 * Called by the session owner: its rings stay until its file is released,
 * and a ring added meanwhile (CPU online) starts at 0, the tail a consumer
 * gives for a ring it has not mapped.
 */
int pvfbt_ring_consume(const u64 *tails, u32 n)
{
	int cpu;

	if (n > nr_cpu_ids)
		return -EINVAL;
	/* Validate everything first: bad input changes nothing. */
	for (cpu = 0; cpu < n; cpu++) {
		struct pvfbt_ring *r = cpu_possible(cpu) ?
			READ_ONCE(*per_cpu_ptr(&rings, cpu)) : NULL;

		if (!r) {
			if (tails[cpu])
				return -EINVAL;
			continue;
		}
		if (tails[cpu] < r->tail || tails[cpu] > smp_load_acquire(&r->hdr->head))
			return -EINVAL;
	}
	for (cpu = 0; cpu < n; cpu++) {
		struct pvfbt_ring *r = cpu_possible(cpu) ?
			READ_ONCE(*per_cpu_ptr(&rings, cpu)) : NULL;

		if (!r)
			continue;
		smp_store_release(&r->tail, tails[cpu]);
		WRITE_ONCE(r->hdr->tail, tails[cpu]);
	}
	return 0;
}

void pvfbt_stats_reset(void)
{
	int cpu;

	for_each_possible_cpu(cpu)
		memset(per_cpu_ptr(&pvfbt_stats, cpu), 0, sizeof(struct pvfbt_cpu_stats));
}

/*
 * Takes no lock: the caller owns the session (checked by main.c without
 * the session mutex), so its rings cannot be freed under it (that happens
 * only when its file is released, after every mapping of it is gone).
 * A CPU without a ring: -ENXIO, the consumer leaves it out.
 */
int pvfbt_ring_mmap(struct file *file, struct vm_area_struct *vma)
{
	unsigned long size = vma->vm_end - vma->vm_start;
	unsigned long per = pvfbt_ring_mmap_size();
	unsigned long cpu;
	struct pvfbt_ring *r;

	if (vma->vm_flags & (VM_WRITE | VM_EXEC))
		return -EPERM;
	if (vma->vm_pgoff % (per >> PAGE_SHIFT))
		return -EINVAL;
	cpu = vma->vm_pgoff / (per >> PAGE_SHIFT);
	if (cpu >= nr_cpu_ids || !cpu_possible(cpu) || size != per)
		return -EINVAL;
	r = READ_ONCE(*per_cpu_ptr(&rings, cpu));
	if (!r)
		return -ENXIO;
	pvfbt_vm_flags_clear(vma, VM_MAYWRITE | VM_MAYEXEC);
	return remap_vmalloc_range(vma, r->mem, 0);
}

static struct pvfbt_ring *ring_new(int cpu)
{
	struct pvfbt_ring *r = per_cpu_ptr(&ring_ctl, cpu);

	memset(r, 0, sizeof(*r));
	r->mem = vmalloc_user(pvfbt_ring_mmap_size());
	if (!r->mem)
		return NULL;
	r->hdr = r->mem;
	r->data = r->mem + PAGE_SIZE;
	r->mask = pvfbt_ring_records - 1;
	r->hdr->record_size = sizeof(struct pvfbt_record);
	r->hdr->nr_records = pvfbt_ring_records;
	return r;
}

/* Under the CPU hotplug lock (read or write). */
static int ring_add(int cpu)
{
	struct pvfbt_ring *r;
	int c;

	if (per_cpu(rings, cpu))
		return 0;
	r = ring_new(cpu);
	if (!r)
		return -ENOMEM;
	WRITE_ONCE(nr_rings, nr_rings + 1);
	smp_store_release(per_cpu_ptr(&rings, cpu), r);
	/* Tell a consumer that maps rings there is one more to map. */
	for_each_possible_cpu(c) {
		struct pvfbt_ring *o = per_cpu(rings, c);

		if (o)
			smp_store_release(&o->hdr->nr_rings, nr_rings);
	}
	return 0;
}

/*
 * CPU hotplug, AP online: during a session, a CPU that comes online gets a
 * ring (or keeps the one it had).  Without memory the CPU comes up anyway;
 * its hits count as drops.
 */
static int ring_cpu_online(unsigned int cpu)
{
	if (READ_ONCE(rings_wanted) && ring_add(cpu))
		pr_warn_ratelimited(PVFBT_NAME ": no memory for cpu %u's ring: its hits are dropped\n",
				    cpu);
	return 0;
}

/* A session starts: a ring for every online CPU.  No ring exists before. */
int pvfbt_rings_alloc(void)
{
	int cpu, err = 0;

	cpus_read_lock();
	WRITE_ONCE(rings_wanted, true);
	for_each_online_cpu(cpu) {
		err = ring_add(cpu);
		if (err)
			break;
	}
	cpus_read_unlock();
	if (err)
		pvfbt_rings_free();
	return err;
}

/*
 * The session ends: no probe is armed by it any more, but a handler may
 * still be writing; clear the pointers, wait for every writer and reader
 * (RCU), then free.
 */
void pvfbt_rings_free(void)
{
	struct pvfbt_ring *old[64];
	int cpu, n;

	cpus_read_lock();
	WRITE_ONCE(rings_wanted, false);
	cpus_read_unlock();
	/* Free in batches: one grace period per 64 rings. */
	do {
		n = 0;
		cpus_read_lock();
		for_each_possible_cpu(cpu) {
			struct pvfbt_ring *r = per_cpu(rings, cpu);

			if (!r)
				continue;
			WRITE_ONCE(*per_cpu_ptr(&rings, cpu), NULL);
			WRITE_ONCE(nr_rings, nr_rings - 1);
			old[n++] = r;
			if (n == ARRAY_SIZE(old))
				break;
		}
		cpus_read_unlock();
		if (!n)
			break;
		synchronize_rcu();
		irq_work_sync(&wake_work);
		while (n--) {
			vfree(old[n]->mem);
			old[n]->mem = NULL;
		}
	} while (1);
}

/* Memory of the rings now (session), and their count. */
u64 pvfbt_rings_bytes(u32 *count)
{
	u32 n = READ_ONCE(nr_rings);

	*count = n;
	return (u64)n * PAGE_ALIGN(pvfbt_ring_mmap_size());
}

int pvfbt_ring_init(void)
{
	int ret;

	ring_pages = clamp_t(unsigned int, ring_pages, 1, 16384);
	ring_pages = rounddown_pow_of_two(ring_pages);
	pvfbt_ring_records = ring_pages * PAGE_SIZE / sizeof(struct pvfbt_record);
	init_irq_work(&wake_work, wake_fn);
	ret = cpuhp_setup_state_nocalls(CPUHP_AP_ONLINE_DYN, "pvfbt:ring",
					ring_cpu_online, NULL);
	if (ret < 0)
		return ret;
	ring_hp_state = ret;
	return 0;
}

void pvfbt_ring_exit(void)
{
	cpuhp_remove_state_nocalls(ring_hp_state);
	pvfbt_rings_free();
	irq_work_sync(&wake_work);
	pvfbt_set_filter(0, "", 0);
}
