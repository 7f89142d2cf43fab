// SPDX-License-Identifier: GPL-2.0
/*
 * Writing kernel text: the int3 of a site, the bytes of a slot.
 *
 * Writes are queued between pvfbt_poke_begin() and pvfbt_poke_end(), under
 * text_mutex (every writer of kernel text holds it), and applied at the end,
 * sorted, hot functions last.  A slot's bytes are stored as they come,
 * through the slot area's own alias (slot_write()), so a slot is in place
 * before any CPU can trap into it; without that alias they are queued and
 * written first.  Only bytes that change are written (a site's byte
 * twice: see is_site_text()).  A one-byte int3 written over the first byte
 * of an instruction is the one cross-modifying write that is safe while
 * other CPUs execute the site (the first step of text_poke_bp() and of
 * kprobes); so is writing the original byte back.  The batch ends with
 * one synchronisation of every CPU (an IPI that runs sync_core()).
 *
 * How the bytes get there.  Kernel text is read-only and, under Xen PV, its
 * page tables are Xen's.  The kernel's text_poke() writes through a
 * temporary mm: each call maps one or two pages, switches cr3 there and
 * back, unmaps and flushes, several hypercalls under Xen PV, and a batch
 * that arms every function makes 36,000 of them: 1.3 s under Xen in TCG,
 * 0.16 s through the alias.  So a batch is written through one alias: the
 * pages it touches are vmap()ped together, writable and not executable,
 * once (a PTE write per page, at most 3,585 for 6.1's text), every byte is
 * stored through the alias, and the alias is unmapped with vunmap() and its
 * TLB entries purged on every CPU (vm_unmap_aliases()) before text_mutex is
 * dropped.  It exists for the length of one batch, in init_mm, under
 * text_mutex; the text's own mapping is never made writable.  Before every store the alias is checked to read
 * what the text reads, so a wrong page is never written.  If the alias
 * cannot be made (no memory, a page that is not kernel or module text) or
 * poke_alias=0, the batch falls back to one text_poke() per write (runs of
 * touching writes, a run of new slots, share one).
 */
#include <linux/kernel.h>
#include <linux/smp.h>
#include <linux/mutex.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/log2.h>
#include <linux/bsearch.h>
#include <linux/vmalloc.h>
#include <linux/uaccess.h>
#include <linux/kprobes.h>
#include <asm/sync_core.h>
#include "driver/pvfbt.h"
#include "arch/x86/slots.h"

extern u8 pvfbt_slot_area[], pvfbt_slot_area_end[];

struct poke {
	unsigned long addr;
	u32 seq;		/* queue order: a later write to a byte wins */
	u8 len;
	u8 order;		/* site's arming order; slots come first anyway */
	u8 phase;		/* PVFBT_PHASE_*: written after every earlier phase */
	u8 twice;		/* a site's final first byte: written twice (below) */
	u8 bytes[PVFBT_SLOT_SIZE];
};

static struct poke *queue;	/* under text_mutex */
static struct poke *sorted;	/* cap_queued, for write_batch(); or NULL */
static u32 nr_queued, cap_queued;
#define QUEUE_KEEP	4096	/* a queue this big or smaller stays between batches */

static bool poke_alias = true;
module_param(poke_alias, bool, 0644);
MODULE_PARM_DESC(poke_alias, "write a batch through one writable alias of its pages (default); 0: one text_poke() per write");

/* The alias of one batch: under text_mutex. */
struct alias {
	unsigned long *va;	/* the pages written, sorted, distinct */
	struct page **pages;
	u32 n;
	u8 *base;		/* vmap() of pages[0..n) */
	unsigned long last;	/* the page alias_of() found last, */
	u32 last_i;		/* and its index */
};

/*
 * The slot area through its own alias, for the length of one batch.
 * Slots are pvfbt's own text, and no CPU runs a slot's bytes until a site
 * that leads there is written, later in the same batch (or, for a slot
 * given back and taken again, not since a grace period: sites.c).  So a
 * slot's bytes need not wait in the queue: they are stored as they come,
 * in the order they come, through one writable alias of the area's start,
 * mapped at the batch's first slot write and unmapped with the batch.  It
 * covers the slots handed out so far and those the batch may take (two
 * per site it reserved, pvfbt_poke_reserve()): a few pages for an enable
 * of a few probes, 290 for every entry, whose detours write 72,000 slots:
 * queued, they were most of the queue's memory and of its writes.  (A
 * first enable of one probe under Xen PV, medians of 30, two boots each
 * against this window: 8 ms with its slots queued, 10 ms with the whole
 * area, 768 pages, mapped; 2 ms with the window in both.)  Without the alias
 * (poke_alias=0, no memory), from the first store past its end (the
 * guard slot at the area's end, written at load) or the first that finds
 * it reading other bytes than the area, the batch's later slot writes
 * are queued as before (so an earlier direct write never lands after a
 * queued one to the same bytes).
 */
static struct {
	u8 *base;	/* under text_mutex; NULL: queue the slot writes */
	unsigned long end;	/* the area's address the alias stops at */
	u32 hint;	/* the slots this batch may take */
	bool tried;	/* this batch asked for it already */
	bool purge;	/* an alias was unmapped: purge TLBs before unlocking */
} slots_alias;

/* How batches were written, since the load: under text_mutex. */
static u32 nr_batches, nr_alias_pages, nr_text_pokes;

void pvfbt_text_stats(u32 *batches, u32 *alias_pages, u32 *pokes)
{
	*batches = READ_ONCE(nr_batches);
	*alias_pages = READ_ONCE(nr_alias_pages);
	*pokes = READ_ONCE(nr_text_pokes);
}

static void poke(unsigned long addr, const void *bytes, size_t len)
{
	pvfbt_ks.text_poke((void *)addr, bytes, len);
	WRITE_ONCE(nr_text_pokes, nr_text_pokes + 1);
}

static void do_sync_core(void *info)
{
	sync_core();
}

/*
 * The addresses of every kprobe, sorted, read at the first ownership
 * question after text_mutex is taken: while pvfbt holds kprobe_mutex too,
 * no kprobe can be added, armed, optimised or removed, so the list is the
 * truth until pvfbt_text_unlock(), and asking it whether a site is another
 * tool's costs a binary search of what is nearly always an empty list.
 * Without kprobes' table (ksyms.c), or with more kprobes than fit, each
 * address is looked up (get_kprobe()).
 */
#define KP_SNAP_MAX	256
#define KP_LOOKUP	(-1)	/* no list: look each address up */
#define KP_NOT_YET	(-2)	/* the list is taken at the first question */
static unsigned long kp_snap[KP_SNAP_MAX];	/* under text_mutex */
static int kp_nr;				/* or KP_LOOKUP, KP_NOT_YET */
static struct task_struct *kp_owner;		/* who holds the list */

static int cmp_ulong(const void *a, const void *b);

static void kp_snapshot(void)
{
	unsigned int i;
	struct kprobe *p;

	kp_nr = KP_LOOKUP;
	if (!pvfbt_ks.kprobe_mutex)
		return;
	kp_nr = 0;
	for (i = 0; i < pvfbt_ks.kprobe_table_size && kp_nr >= 0; i++)
		hlist_for_each_entry(p, &pvfbt_ks.kprobe_table[i], hlist) {
			if (kp_nr == KP_SNAP_MAX) {
				kp_nr = KP_LOOKUP;
				break;
			}
			kp_snap[kp_nr++] = (unsigned long)p->addr;
		}
	if (kp_nr > 0)
		sort(kp_snap, kp_nr, sizeof(kp_snap[0]), cmp_ulong, NULL);
}

/*
 * Take the right to write kernel text: kprobe_mutex, then text_mutex, in
 * kprobes' own order (register_kprobe(), kprobe_optimizer()).  Every other
 * writer of the text (ftrace, jump labels, static calls, kprobes) holds
 * text_mutex while it writes.
 */
void pvfbt_text_lock(void)
{
	if (pvfbt_ks.kprobe_mutex)
		mutex_lock(pvfbt_ks.kprobe_mutex);
	mutex_lock(pvfbt_ks.text_mutex);
	/* Most holds (the analysis of one function) never ask: no list yet. */
	kp_nr = KP_NOT_YET;
	WRITE_ONCE(kp_owner, current);
}

void pvfbt_text_unlock(void)
{
	WRITE_ONCE(kp_owner, NULL);
	mutex_unlock(pvfbt_ks.text_mutex);
	if (pvfbt_ks.kprobe_mutex)
		mutex_unlock(pvfbt_ks.kprobe_mutex);
}

void pvfbt_poke_begin(void)
{
	pvfbt_text_lock();
	nr_queued = 0;
	slots_alias.tried = false;
	slots_alias.hint = 0;
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
	if (x->phase != y->phase)
		return x->phase < y->phase ? -1 : 1;
	if (x->order != y->order)	/* hot sites last */
		return x->order < y->order ? -1 : 1;
	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return x->seq < y->seq ? -1 : 1;
}

static int cmp_ulong(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;

	return x < y ? -1 : x > y;
}

/* The page behind a text address, as text_poke() finds it; NULL if none. */
static struct page *text_page(unsigned long va)
{
	if (va >= MODULES_VADDR && va < MODULES_END)
		return vmalloc_to_page((void *)va);
	if (va >= pvfbt_ks.stext && va < pvfbt_ks.etext)
		return virt_to_page((void *)va);
	return NULL;
}

static void alias_unmap(struct alias *al)
{
	if (al->base) {
		vunmap(al->base);
		/* No CPU keeps a writable TLB entry of kernel text. */
		vm_unmap_aliases();
		slots_alias.purge = false;
	}
	kvfree(al->pages);
	kvfree(al->va);
	memset(al, 0, sizeof(*al));
}

/* Map every page that q[0..n) writes, once. */
static int alias_map(struct alias *al, const struct poke *q, u32 n)
{
	u32 i, m = 0;

	memset(al, 0, sizeof(*al));
	al->va = kvmalloc_array(2 * n, sizeof(*al->va), GFP_KERNEL);
	if (!al->va)
		return -ENOMEM;
	/* Neighbours in the queue mostly share a page: sort fewer. */
	for (i = 0; i < n; i++) {
		unsigned long first = q[i].addr & PAGE_MASK;
		unsigned long last = (q[i].addr + q[i].len - 1) & PAGE_MASK;

		if (!m || al->va[m - 1] != first)
			al->va[m++] = first;
		if (last != first)
			al->va[m++] = last;
	}
	sort(al->va, m, sizeof(*al->va), cmp_ulong, NULL);
	for (i = 0; i < m; i++)
		if (!al->n || al->va[al->n - 1] != al->va[i])
			al->va[al->n++] = al->va[i];
	al->pages = kvmalloc_array(al->n, sizeof(*al->pages), GFP_KERNEL);
	if (!al->pages)
		goto fail;
	for (i = 0; i < al->n; i++) {
		al->pages[i] = text_page(al->va[i]);
		if (!al->pages[i])
			goto fail;
	}
	al->base = vmap(al->pages, al->n, VM_MAP, PAGE_KERNEL);
	if (!al->base)
		goto fail;
	WRITE_ONCE(nr_alias_pages, nr_alias_pages + al->n);
	return 0;
fail:
	alias_unmap(al);
	return -ENOMEM;
}

/* Where the alias has the byte at text address a (mostly on the page before). */
static u8 *alias_of(struct alias *al, unsigned long a)
{
	unsigned long page = a & PAGE_MASK;

	if (page != al->last) {		/* (last is 0 at first: never a text page) */
		unsigned long *p = bsearch(&page, al->va, al->n, sizeof(*al->va), cmp_ulong);

		al->last = page;
		al->last_i = p - al->va;
	}
	return al->base + al->last_i * PAGE_SIZE + (a & ~PAGE_MASK);
}

/*
 * Store len bytes at text address addr through the alias.  The alias must
 * read what the text reads (same page) before each page's part is stored;
 * if not, it stops there and the caller writes the whole write, and the
 * rest of the batch, with text_poke().
 */
static bool alias_write(struct alias *al, unsigned long addr,
			const u8 *bytes, u32 len)
{
	u32 i = 0;

	while (i < len) {
		unsigned long a = addr + i;
		u32 k = min_t(u32, len - i, PAGE_SIZE - (a & ~PAGE_MASK));
		u8 *w = alias_of(al, a);

		if (WARN_ONCE(memcmp(w, (void *)a, k),
			      PVFBT_NAME ": alias of %px reads other bytes\n", (void *)a))
			return false;
		memcpy(w, bytes + i, k);
		i += k;
	}
	return true;
}

/*
 * One text_poke() per run of touching writes of the same order within two
 * consecutive pages (text_poke() maps at most two): a run of new slots.
 */
#define SPAN_SIZE	(2 * PAGE_SIZE)
static u8 *span;		/* SPAN_SIZE, under text_mutex */

static void poke_runs(const struct poke *q, u32 n)
{
	u32 i = 0, j, k;

	while (i < n) {
		unsigned long start = q[i].addr, end = start + q[i].len;

		for (j = i + 1; j < n && q[j].order == q[i].order &&
		     q[j].phase == q[i].phase && q[j].addr == end &&
		     q[j].addr + q[j].len <= (start & PAGE_MASK) + SPAN_SIZE; j++)
			end += q[j].len;
		for (k = i; k < j; k++)
			memcpy(span + (q[k].addr - start), q[k].bytes, q[k].len);
		poke(start, span, end - start);
		i = j;
	}
}

/*
 * Site text (not a slot's) is written twice.
 *
 * Under QEMU TCG (MTTCG), a vCPU that translates the code around a site
 * while another vCPU writes the site's byte can keep a translation made
 * from the byte that is no longer in memory.  Disarming, the kernel's
 * kprobe int3 handler then sends it back to the same address ("int3
 * removed, run the original instruction") for ever, or, once pvfbt is
 * gone, nothing claims it: the stress suite hit both (RCU stall on 6.1,
 * "Oops: int3" on 6.12) at tail-call sites that a workload ran in a loop.
 * Arming, the mirror race loses hits until the translation is evicted.
 * After the first write and a sync, memory holds the new bytes; writing
 * them again invalidates any translation made in between, and a
 * translation racing with the second write reads the new bytes either way.
 * On hardware it rewrites bytes with themselves.
 */
static bool is_site_text(const struct poke *p)
{
	return !in_slot_area(p->addr);
}

/*
 * Only a site's first byte as it is to stay needs it: an int3 armed or the
 * byte restored, a jump's opcode written or the original put back.  The
 * int3 and the bytes 1-4 a jump passes through meanwhile are transient: a
 * stale translation made before them runs the old form, which is still
 * right, and the last write invalidates it.
 */

#define POKE_ORDERS	(PVFBT_ORDER_MAX + 1)
#define POKE_PHASES	(PVFBT_PHASE_LAST + 1)
#define POKE_KEYS	(2 * POKE_PHASES * POKE_ORDERS)

/* cmp_poke()'s order but for the address: slots, phase, order. */
static unsigned int poke_key(const struct poke *p)
{
	return (!in_slot_area(p->addr) * POKE_PHASES + p->phase) * POKE_ORDERS + p->order;
}

/*
 * The writes of q[0..n) in cmp_poke()'s order, by counting into out: slots,
 * phase, order, and within those the queue's own order, so a later write
 * to a byte stays later (what the address and seq keys are for; no write
 * depends on the address order).  Linear: a comparison sort of the 36,000
 * writes that arm every entry took 70 ms of a TCG guest.  Without out, or
 * with a key out of range, sort() in place.
 */
static struct poke *order_pokes(struct poke *q, u32 n, struct poke *out)
{
	u32 count[POKE_KEYS + 1] = {}, i;

	for (i = 0; out && i < n; i++) {
		if (q[i].phase >= POKE_PHASES || q[i].order >= POKE_ORDERS) {
			out = NULL;
			break;
		}
		count[poke_key(&q[i]) + 1]++;
	}
	if (!out) {
		sort(q, n, sizeof(*q), cmp_poke, NULL);
		return q;
	}
	for (i = 1; i <= POKE_KEYS; i++)
		count[i] += count[i - 1];
	for (i = 0; i < n; i++)
		out[count[poke_key(&q[i])]++] = q[i];
	return out;
}

/*
 * Apply q[0..n): in order (order_pokes()), through the alias if it can be
 * had.  Phases are written in order, each made visible to every CPU (a
 * sync) before the next starts: that is what lets a 5-byte jump replace a return site
 * while other CPUs run it (int3 at byte 0, then bytes 1-4, then byte 0,
 * text_poke_bp()'s order; the reverse to restore).
 */
static void write_batch(struct poke *q, u32 n)
{
	struct alias al = {};
	bool aliased, synced;
	u32 i, start, end;

	if (!n)
		return;
	WRITE_ONCE(nr_batches, nr_batches + 1);
	q = order_pokes(q, n, q == queue ? sorted : NULL);
	aliased = READ_ONCE(poke_alias) && !alias_map(&al, q, n);
	for (start = 0; start < n; start = end) {
		bool site = false;

		for (end = start; end < n && q[end].phase == q[start].phase &&
		     is_site_text(&q[end]) == is_site_text(&q[start]); end++)
			;
		i = start;
		while (aliased && i < end &&
		       alias_write(&al, q[i].addr, q[i].bytes, q[i].len))
			i++;
		if (i < end)	/* all of it, or what the alias did not write */
			poke_runs(q + i, end - i);
		synced = false;
		for (i = start; i < end; i++) {
			if (!is_site_text(&q[i]))
				continue;
			site = true;
			if (!q[i].twice)
				continue;
			if (!synced) {
				on_each_cpu(do_sync_core, NULL, 1);
				synced = true;
			}
			if (!aliased || !alias_write(&al, q[i].addr, q[i].bytes, q[i].len))
				poke(q[i].addr, q[i].bytes, q[i].len);
		}
		/* The next phase builds on this one: every CPU sees it first. */
		if (site && end < n)
			on_each_cpu(do_sync_core, NULL, 1);
	}
	alias_unmap(&al);
}

static void slots_alias_unmap(void)
{
	if (slots_alias.base) {
		vunmap(slots_alias.base);
		slots_alias.purge = true;
	}
	slots_alias.base = NULL;
}

static u8 *slots_alias_get(void)
{
	unsigned long start = (unsigned long)pvfbt_slot_area;
	u64 want = ((u64)pvfbt_slots_high() + slots_alias.hint + 64) * PVFBT_SLOT_SIZE;
	u32 i, n = min_t(u64, DIV_ROUND_UP(want, PAGE_SIZE),
			 (pvfbt_slot_area_end - pvfbt_slot_area) / PAGE_SIZE);
	struct page **pages;

	if (slots_alias.tried)
		return slots_alias.base;
	slots_alias.tried = true;
	if (!READ_ONCE(poke_alias))
		return NULL;
	pages = kvmalloc_array(n, sizeof(*pages), GFP_KERNEL);
	if (!pages)
		return NULL;
	for (i = 0; i < n; i++) {
		pages[i] = text_page(start + i * PAGE_SIZE);
		if (!pages[i])
			break;
	}
	if (i == n)
		slots_alias.base = vmap(pages, n, VM_MAP, PAGE_KERNEL);
	slots_alias.end = start + (unsigned long)n * PAGE_SIZE;
	kvfree(pages);
	if (slots_alias.base)
		WRITE_ONCE(nr_alias_pages, nr_alias_pages + n);
	return slots_alias.base;
}

/* Store a slot's bytes now, through the alias; false: queue them. */
static bool slot_write(unsigned long addr, const void *bytes, size_t len)
{
	u8 *w = slots_alias_get();

	if (!w)
		return false;
	if (addr + len > slots_alias.end) {
		slots_alias_unmap();
		return false;
	}
	w += addr - (unsigned long)pvfbt_slot_area;
	if (WARN_ONCE(memcmp(w, (void *)addr, len),
		      PVFBT_NAME ": alias of slot %px reads other bytes\n", (void *)addr)) {
		slots_alias_unmap();
		return false;
	}
	memcpy(w, bytes, len);
	return true;
}

/* Room for cap writes in the queue (and the ordering buffer); false if none. */
static bool queue_grow(u32 cap)
{
	struct poke *q = kvmalloc_array(cap, sizeof(*q), GFP_KERNEL);

	if (!q)
		return false;
	if (nr_queued)
		memcpy(q, queue, nr_queued * sizeof(*q));
	kvfree(queue);
	queue = q;
	cap_queued = cap;
	kvfree(sorted);	/* without it, sort() in place */
	sorted = kvmalloc_array(cap, sizeof(*sorted), GFP_KERNEL);
	return true;
}

/*
 * Room for n more writes, grown once rather than by doubling as they come
 * (an enable that makes every return site queues 200,000).  A failure is
 * no error: queue_write() grows as it goes.
 */
void pvfbt_poke_reserve(u32 n)
{
	u64 want = (u64)nr_queued + n;

	/* Up to two new slots a site: the slot alias covers them. */
	slots_alias.hint = min_t(u64, (u64)slots_alias.hint + 2ULL * n, PVFBT_NR_SLOTS);
	if (want > cap_queued && want <= U32_MAX / 2)
		queue_grow(roundup_pow_of_two(want));
}

static void queue_write(unsigned long addr, const void *bytes, size_t len, u8 order,
			u8 phase, bool twice)
{
	struct poke *p;

	if (nr_queued == cap_queued) {
		if (!queue_grow(cap_queued ? cap_queued * 2 : QUEUE_KEEP)) {
			/* No room to queue: apply what we have, then go on. */
			write_batch(queue, nr_queued);
			nr_queued = 0;
			if (!cap_queued) {
				struct poke one = { .addr = addr, .len = len,
						    .order = order, .phase = phase,
						    .twice = twice };

				memcpy(one.bytes, bytes, len);
				write_batch(&one, 1);
				return;
			}
		}
	}
	p = &queue[nr_queued];
	p->addr = addr;
	p->seq = nr_queued++;
	p->len = len;
	p->order = order;
	p->phase = phase;
	p->twice = twice;
	memcpy(p->bytes, bytes, len);
}

/*
 * Does another tool own the site at addr: a kprobe registered on it or in
 * the 4 bytes before it (armed or not; an optimised kprobe's jmp is 5
 * bytes)?  kprobes adds a probe to its table before it writes a byte, and
 * writes under text_mutex: a caller that holds text_mutex sees every probe
 * whose bytes can be in the text.  Inside pvfbt_text_lock() this asks the
 * list read once per hold (kp_snapshot()); elsewhere get_kprobe(), address
 * by address.  Without get_kprobe() every address counts as owned.
 */
bool pvfbt_foreign(unsigned long addr)
{
	return pvfbt_foreign_range(addr, 1);
}

/* The same for any of the len bytes at addr: a kprobe on [addr - 4, addr + len). */
bool pvfbt_foreign_range(unsigned long addr, unsigned int len)
{
	unsigned long a;
	bool found = false;

	if (READ_ONCE(kp_owner) == current && kp_nr == KP_NOT_YET)
		kp_snapshot();
	if (READ_ONCE(kp_owner) == current && kp_nr >= 0) {
		int lo = 0, hi = kp_nr;	/* the first kprobe at or after addr - 4 */

		while (lo < hi) {
			int mid = (lo + hi) / 2;

			if (kp_snap[mid] < addr - 4)
				lo = mid + 1;
			else
				hi = mid;
		}
		return lo < kp_nr && kp_snap[lo] < addr + len;
	}
	if (!pvfbt_ks.get_kprobe)
		return true;
	rcu_read_lock_sched();
	for (a = addr - 4; a < addr + len && !found; a++)
		found = pvfbt_ks.get_kprobe((void *)a);
	rcu_read_unlock_sched();
	return found;
}

/* How many writes pvfbt refused because the text was not what it expected. */
static u32 nr_refused;

u32 pvfbt_text_refused(void)
{
	return READ_ONCE(nr_refused);
}

/*
 * The ownership rule: pvfbt writes a site's first byte only if the site's
 * whole instruction reads as pvfbt left it (the original bytes to arm, the
 * int3 and the original tail to disarm) and, to arm, no kprobe sits on it
 * or in the four bytes before it (an optimised kprobe's jmp is 5 bytes).
 * Caller holds text_mutex (pvfbt_poke_begin()): no other writer can change
 * the text until the batch is written.  A refused disarm leaves the byte to
 * whoever wrote it and the site is lost: never written again.
 *
 * A site made by the enable under way (fresh, provider/arm.c) is armed
 * without a second look: get_site() read its bytes and checked for kprobes
 * under this same hold of text_mutex and kprobe_mutex, and the batch's
 * writes are all still queued, so the text cannot have changed since.
 * That look was a third of arming the sites of every entry under TCG.
 */
static bool int3_text_ok(const struct pvfbt_site *site, bool arm)
{
	u8 live[sizeof(site->code)];
	unsigned int len = site->insn.len;

	if (arm && site->fresh)
		return !site->lost;
	return !site->lost && len && len <= sizeof(live) &&
	       !copy_from_kernel_nofault(live, (void *)site->addr, len) &&
	       live[0] == (arm ? site->orig : 0xcc) &&
	       !memcmp(live + 1, site->code + 1, len - 1) &&
	       !(arm && pvfbt_foreign(site->addr));
}

bool pvfbt_site_text_ok(const struct pvfbt_site *site, bool arm)
{
	lockdep_assert_held(pvfbt_ks.text_mutex);
	if (arm ? pvfbt_jret_would_jump(site) : site->jumped)
		return pvfbt_jret_text_ok(site, arm);
	return int3_text_ok(site, arm);
}

void pvfbt_text_refused_inc(void)
{
	WRITE_ONCE(nr_refused, nr_refused + 1);
}

int pvfbt_poke_int3(struct pvfbt_site *site, bool arm)
{
	u8 byte = arm ? 0xcc : site->orig;

	if (!int3_text_ok(site, arm)) {
		pvfbt_text_refused_inc();
		if (!arm)
			site->lost = 1;
		pr_warn_ratelimited(PVFBT_NAME ": %s %pS refused: its text is not as pvfbt left it\n",
				    arm ? "arming" : "disarming", (void *)site->addr);
		return -EBUSY;
	}
	/* Disarming: the hot sites first, so they stop trapping soonest. */
	queue_write(site->addr, &byte, 1, arm ? site->order : PVFBT_ORDER_MAX - site->order,
		    PVFBT_PHASE_FIRST, true);
	return 0;
}

/* Arm or disarm a site by its mechanism: a jump where it has one, else int3. */
int pvfbt_poke_site(struct pvfbt_site *site, bool arm)
{
	int err;

	if (arm ? pvfbt_jret_would_jump(site) : site->jumped)
		return pvfbt_jret_poke(site, arm);
	err = pvfbt_poke_int3(site, arm);
	if (!arm && site->jret)		/* a jump site still waiting: no more */
		pvfbt_jent_unwait(site);
	return err;
}

/*
 * A slot's bytes (len <= PVFBT_SLOT_SIZE), in place before any int3 of the
 * batch: stored now (slot_write()), or queued to be written first.
 */
void pvfbt_poke_bytes(void *addr, const void *bytes, size_t len)
{
	unsigned long a = (unsigned long)addr;

	if (WARN_ON_ONCE(len > PVFBT_SLOT_SIZE || !in_slot_area(a) ||
			 !in_slot_area(a + len - 1)))
		return;
	if (!slot_write(a, bytes, len))
		queue_write(a, bytes, len, 0, PVFBT_PHASE_SLOT, false);
}

/* Site text at phase (PVFBT_PHASE_*), len <= PVFBT_SLOT_SIZE; see is_site_text(). */
void pvfbt_poke_text(unsigned long addr, const void *bytes, size_t len, u8 order, u8 phase,
		     bool twice)
{
	if (WARN_ON_ONCE(len > PVFBT_SLOT_SIZE))
		return;
	queue_write(addr, bytes, len, order, phase, twice);
}

void pvfbt_poke_end(void)
{
	slots_alias_unmap();
	write_batch(queue, nr_queued);
	nr_queued = 0;
	if (slots_alias.purge) {	/* (write_batch() purged none) */
		vm_unmap_aliases();
		slots_alias.purge = false;
	}
	/* A big batch's queue (8 MiB for every entry) goes with it. */
	if (cap_queued > QUEUE_KEEP) {
		kvfree(queue);
		kvfree(sorted);
		queue = NULL;
		sorted = NULL;
		cap_queued = 0;
	}
	pvfbt_text_unlock();
	on_each_cpu(do_sync_core, NULL, 1);
}

/*
 * Read live text as it would be without pvfbt: the original byte of every
 * armed int3 site of ours replaces its int3 (a site's instruction never
 * starts with int3), the original bytes every jump of ours covers (5, or
 * a jump entry's range, whose tail is int3 while the jump is there).
 * Callers hold fbt_mutex and read outside a batch (or before its first
 * write), where a site's int3 is in the text exactly when the site is
 * armed, and its jump exactly when it is jumped: with no site armed and
 * none jumped (an enable from rest, the catalogue's first analysis), the
 * live text is the answer and no site is looked up.  *ours (if not NULL):
 * whether a byte of pvfbt's was replaced, so that buf is not the live text.
 */
int pvfbt_read_text(unsigned long addr, u8 *buf, unsigned int len, bool *ours)
{
	u8 before[PVFBT_JENT_MAX - 1];
	bool mine = false;
	long i, k;

	if (ours)
		*ours = false;
	if (copy_from_kernel_nofault(buf, (void *)addr, len))
		return -EFAULT;
	/* No site armed, none a jump: the text holds no byte of pvfbt's. */
	if (!pvfbt_sites_in_text())
		return 0;
	/* No text before addr: no jump of ours starts there. */
	if (copy_from_kernel_nofault(before, (void *)(addr - sizeof(before)), sizeof(before)))
		memset(before, 0, sizeof(before));
	for (i = -(long)sizeof(before); i < (long)len; i++) {
		struct pvfbt_site *s;
		long n;

		/* A jump that starts before addr, or a byte that can start ours. */
		if (i < 0 ? before[sizeof(before) + i] != 0xe9 :
			    buf[i] != 0xcc && buf[i] != 0xe9)
			continue;
		s = pvfbt_site_lookup(addr + i);
		if (!s || s->lost)
			continue;
		if (READ_ONCE(s->jumped)) {
			n = s->jent ? s->jent_len : 5;
			for (k = max(0L, -i); k < n && i + k < (long)len; k++) {
				buf[i + k] = s->code[k];
				mine = true;
			}
			continue;
		}
		/* Only an int3 pvfbt wrote: an unarmed site's is foreign. */
		if (i >= 0 && buf[i] == 0xcc && READ_ONCE(s->armed)) {
			buf[i] = s->orig;
			mine = true;
		}
	}
	if (ours)
		*ours = mine;
	return 0;
}

int pvfbt_patch_init(void)
{
	span = kmalloc(SPAN_SIZE, GFP_KERNEL);
	return span ? 0 : -ENOMEM;
}

void pvfbt_patch_exit(void)
{
	kvfree(sorted);
	kvfree(queue);
	kfree(span);
}
