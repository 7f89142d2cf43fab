// SPDX-License-Identifier: GPL-2.0
/*
 * Writing kernel text: the int3 of a site, the bytes of a slot.
 *
 * Everything goes through the kernel's own text_poke() under text_mutex:
 * it writes through a temporary mapping, so it is correct where kernel text
 * is read-only and, under Xen PV, where the page tables are Xen's (the
 * temporary mapping is made with the paravirt MMU operations).  There is no
 * CR0.WP toggling and no write through an alias of our own.
 *
 * A one-byte int3 written over the first byte of an instruction is the one
 * cross-modifying write that is safe while other CPUs execute the site (the
 * first step of text_poke_bp() and of kprobes).
 *
 * Writes are queued between pvfbt_poke_begin() and pvfbt_poke_end() and
 * applied there, sorted; writes that touch each other (a run of slots), or
 * at most poke_gap bytes apart, within two consecutive pages become one
 * text_poke() of the span from the first to the last, any bytes between
 * them rewritten with the values they already have (read under text_mutex,
 * which every writer of kernel text holds, so they cannot change in
 * between).  A text_poke() costs a temporary mm switch, PTE writes
 * (hypercalls under Xen PV) and a TLB flush whatever its length, so slots
 * are written with a few calls, not one per site.  Slot writes are applied
 * before int3 writes, so a slot is in place before any CPU can trap into
 * it; the batch ends with one synchronisation of every CPU (an IPI that
 * runs sync_core()).
 */
#include <linux/kernel.h>
#include <linux/smp.h>
#include <linux/mutex.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/uaccess.h>
#include <asm/sync_core.h>
#include "driver/pvfbt.h"
#include "arch/x86/slots.h"

extern u8 pvfbt_slot_area[], pvfbt_slot_area_end[];

struct poke {
	unsigned long addr;
	u32 seq;		/* queue order: a later write to a byte wins */
	u8 len;
	u8 order;		/* site's arming order; slots come first anyway */
	u8 bytes[PVFBT_SLOT_SIZE];
};

static struct poke *queue;	/* under text_mutex */
static u32 nr_queued, cap_queued;
#define SPAN_SIZE	(2 * PAGE_SIZE)
/*
 * Two writes share a text_poke() only if at most poke_gap bytes lie between
 * them, bytes that are then rewritten with their own values.  The default
 * is 0: only writes that touch (a run of slots) are joined, and no byte is
 * written that does not change.  Rewriting unchanged code while other CPUs
 * run it is not something x86's cross-modifying-code rules promise, and
 * under QEMU TCG it left a stale translation: with poke_gap=1024 a CPU spun
 * on an int3 that was no longer in memory (3 runs of 3 of the stress
 * suite), never with 0.  A larger gap saves text_poke() calls (each maps a
 * page, switches mm, flushes): measure before raising it.
 */
static uint poke_gap;
module_param(poke_gap, uint, 0644);
MODULE_PARM_DESC(poke_gap, "largest run of unchanged bytes one text_poke() rewrites to join two writes (default 0: none)");
static u8 *span;		/* SPAN_SIZE, under text_mutex */

static void do_sync_core(void *info)
{
	sync_core();
}

void pvfbt_poke_begin(void)
{
	mutex_lock(pvfbt_ks.text_mutex);
	nr_queued = 0;
}

static bool in_slot_area(unsigned long a)
{
	return a >= (unsigned long)pvfbt_slot_area &&
	       a < (unsigned long)pvfbt_slot_area_end;
}

static int cmp_poke(const void *a, const void *b)
{
	const struct poke *x = a, *y = b;
	bool sx = in_slot_area(x->addr), sy = in_slot_area(y->addr);

	if (sx != sy)		/* slots first */
		return sx ? -1 : 1;
	if (x->order != y->order)	/* hot sites last */
		return x->order < y->order ? -1 : 1;
	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return x->seq < y->seq ? -1 : 1;
}

/*
 * Apply queue[0..n), sorted: one text_poke() per run of writes of the same
 * order within two consecutive pages (text_poke() maps at most two).
 */
static void apply(struct poke *q, u32 n)
{
	u32 i = 0, j, k;

	while (i < n) {
		unsigned long start = q[i].addr, page = start & PAGE_MASK, end = start;

		for (j = i; j < n && q[j].order == q[i].order &&
		     q[j].addr >= start && q[j].addr <= end + READ_ONCE(poke_gap) &&
		     q[j].addr + q[j].len <= page + SPAN_SIZE; j++)
			end = max(end, q[j].addr + q[j].len);
		if (j == i) {
			/* A write across a page boundary: on its own. */
			pvfbt_ks.text_poke((void *)q[i].addr, q[i].bytes, q[i].len);
			i++;
			continue;
		}
		if (copy_from_kernel_nofault(span, (void *)start, end - start)) {
			/* Cannot happen for live text; write one by one. */
			for (k = i; k < j; k++)
				pvfbt_ks.text_poke((void *)q[k].addr, q[k].bytes, q[k].len);
		} else {
			for (k = i; k < j; k++)
				memcpy(span + (q[k].addr - start), q[k].bytes, q[k].len);
			pvfbt_ks.text_poke((void *)start, span, end - start);
		}
		i = j;
	}
}

static void apply_queue(void)
{
	if (!nr_queued)
		return;
	sort(queue, nr_queued, sizeof(*queue), cmp_poke, NULL);
	apply(queue, nr_queued);
}

static void flush(void)
{
	apply_queue();
	nr_queued = 0;
}

static void queue_write(unsigned long addr, const void *bytes, size_t len, u8 order)
{
	struct poke *p;

	if (nr_queued == cap_queued) {
		u32 cap = cap_queued ? cap_queued * 2 : 4096;
		struct poke *q = kvmalloc_array(cap, sizeof(*q), GFP_KERNEL);

		if (!q) {
			/* No room to queue: apply what we have, then go on. */
			flush();
			if (!cap_queued) {
				pvfbt_ks.text_poke((void *)addr, bytes, len);
				return;
			}
		} else {
			memcpy(q, queue, nr_queued * sizeof(*q));
			kvfree(queue);
			queue = q;
			cap_queued = cap;
		}
	}
	p = &queue[nr_queued];
	p->addr = addr;
	p->seq = nr_queued++;
	p->len = len;
	p->order = order;
	memcpy(p->bytes, bytes, len);
}

void pvfbt_poke_int3(struct pvfbt_site *site, bool arm)
{
	u8 byte = arm ? 0xcc : site->orig;

	/* Disarming: the hot sites first, so they stop trapping soonest. */
	queue_write(site->addr, &byte, 1, arm ? site->order : PVFBT_ORDER_MAX - site->order);
}

/* A slot's bytes (len <= PVFBT_SLOT_SIZE), written before any int3. */
void pvfbt_poke_bytes(void *addr, const void *bytes, size_t len)
{
	if (WARN_ON_ONCE(len > PVFBT_SLOT_SIZE))
		return;
	queue_write((unsigned long)addr, bytes, len, 0);
}

/*
 * Removing an int3 is written twice.  Under QEMU TCG (MTTCG), a vCPU that
 * translates the code around a site while another vCPU writes the site's
 * byte back can keep a translation made from the int3 that is no longer in
 * memory; the kernel's kprobe int3 handler then sends it back to the same
 * address ("int3 removed, run the original instruction") for ever, or,
 * once pvfbt is gone, nothing claims it: the stress suite hit both (RCU
 * stall on 6.1, "Oops: int3" on 6.12) at tail-call sites that a workload
 * ran in a loop.  After the first write and the sync, memory holds the
 * original byte; writing it again invalidates any translation made in
 * between, and a translation racing with this second write reads the
 * original byte either way.  On hardware it rewrites a byte with itself.
 */
static bool is_restore(const struct poke *p)
{
	return p->len == 1 && p->bytes[0] != 0xcc && !in_slot_area(p->addr);
}

void pvfbt_poke_end(void)
{
	bool synced = false;
	u32 i;

	apply_queue();
	for (i = 0; i < nr_queued; i++) {
		if (!is_restore(&queue[i]))
			continue;
		if (!synced) {
			on_each_cpu(do_sync_core, NULL, 1);
			synced = true;
		}
		pvfbt_ks.text_poke((void *)queue[i].addr, queue[i].bytes, 1);
	}
	nr_queued = 0;
	mutex_unlock(pvfbt_ks.text_mutex);
	on_each_cpu(do_sync_core, NULL, 1);
}

/*
 * Read live text as it would be without pvfbt: the original byte of every
 * site of ours replaces its int3 (a site's instruction never starts with
 * int3, and within a batch its int3 may be queued, armed or not).
 */
int pvfbt_read_text(unsigned long addr, u8 *buf, unsigned int len)
{
	unsigned int i;

	if (copy_from_kernel_nofault(buf, (void *)addr, len))
		return -EFAULT;
	for (i = 0; i < len; i++) {
		struct pvfbt_site *s;

		if (buf[i] != 0xcc)
			continue;
		s = pvfbt_site_lookup(addr + i);
		if (s)
			buf[i] = s->orig;
	}
	return 0;
}

int pvfbt_patch_init(void)
{
	span = kmalloc(SPAN_SIZE, GFP_KERNEL);
	return span ? 0 : -ENOMEM;
}

void pvfbt_patch_exit(void)
{
	kvfree(queue);
	kfree(span);
}
