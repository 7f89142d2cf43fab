// SPDX-License-Identifier: GPL-2.0
/*
 * The site table and the slot allocator, shared by every mechanism.
 *
 * A site (struct pvfbt_site) is one patched instruction; the table finds it
 * by address from trap context.  A slot is PVFBT_SLOT_SIZE bytes of pvfbt's
 * own text (slots.S): a stepped or boosted instruction's copy (trap.c) or a
 * jump return's stub (jret.c).  A slot belongs to one site until the site is
 * freed; its number alone says whose it is (the #DB of a step, a guard int3,
 * the stub's "push $slot" all arrive with nothing else).
 *
 * Invariants: written under the fbt mutex only; read lock-free; a site or a
 * slot is reused only after every task that could be using it is gone
 * (RCU for the table, synchronize_rcu_tasks() for slots).
 */
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/hash.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/rcupdate.h>
#include "driver/pvfbt.h"
#include "arch/x86/slots.h"

extern u8 pvfbt_slot_area[], pvfbt_slot_area_end[];

/*
 * Lock-free site lookup: open addressing with linear probing, written under
 * the fbt mutex, read from trap context.  The table grows and shrinks with
 * the sites it holds (a quarter full after each rebuild) and every rebuild
 * drops the tombstones that removals leave, so a lookup of an address that
 * is no site (any int3 that is not ours) stays short however many modules
 * came and went.  A rebuild publishes the new table and frees the old one
 * after an RCU grace period: a handler that still walks it finishes first.
 * At rest (no site) it is 8 KiB.
 */
#define SITE_BITS_MIN	10
#define SITE_BITS_MAX	19
#define TOMBSTONE	((struct pvfbt_site *)1UL)
struct site_table {
	struct rcu_head rcu;
	u32 bits;
	u32 used;		/* live entries and tombstones */
	struct pvfbt_site *v[];
};
static struct site_table *sites;
static u32 nr_sites_live, nr_sites_emulated, nr_sites_boosted;

/*
 * Slot owners, indexed by slot number.  A slot is given back only once no
 * task can be inside it (pvfbt_site_release_slot()).  Written only here;
 * read by pvfbt_slot_owner() (pvfbt.h), inline on the hit path.
 */
struct pvfbt_site **pvfbt_slot_owners __pvfbt_hit_data;
static u32 nr_slots;		/* slots ever handed out */
static u32 *slot_free;		/* slots given back, reusable */
static u32 nr_slot_free;

unsigned long pvfbt_slot_addr(int slot)
{
	return (unsigned long)pvfbt_slot_area + (unsigned long)slot * PVFBT_SLOT_SIZE;
}

/* The slot the next pvfbt_slot_commit() will hand out, or -ENOSPC. */
int pvfbt_slot_next(void)
{
	if (!nr_slot_free && nr_slots >= PVFBT_TF_PAD_SLOT)
		return -ENOSPC;
	return nr_slot_free ? slot_free[nr_slot_free - 1] : nr_slots;
}

/*
 * Two adjacent slots (a jump entry's detour, jent.c), the first at the
 * returned number, or -ENOSPC.  Always fresh ones: given back, they are
 * reused one by one.
 */
int pvfbt_slot_next2(void)
{
	return nr_slots + 2 <= PVFBT_TF_PAD_SLOT ? nr_slots : -ENOSPC;
}

/* Give slots n and n + 1 (from pvfbt_slot_next2()) to site. */
void pvfbt_slot_commit2(int n, struct pvfbt_site *site)
{
	nr_slots += 2;
	site->slot = n;
	/* A reader that finds site here sees it complete (and slot set). */
	smp_store_release(&pvfbt_slot_owners[n + 1], site);
	/* n last: whoever finds n finds n + 1 too. */
	smp_store_release(&pvfbt_slot_owners[n], site);
}

/* Give slot n (from pvfbt_slot_next()) to site, whose bytes are queued. */
void pvfbt_slot_commit(int n, struct pvfbt_site *site)
{
	if (nr_slot_free)
		nr_slot_free--;
	else
		nr_slots++;
	site->slot = n;
	/* As in pvfbt_slot_commit2(). */
	smp_store_release(&pvfbt_slot_owners[n], site);
}

struct pvfbt_site *pvfbt_site_lookup(unsigned long addr)
{
	/* Trap context, or the fbt mutex (which every writer holds). */
	const struct site_table *t = smp_load_acquire(&sites);
	unsigned long mask = (1UL << t->bits) - 1, i = hash_long(addr, t->bits);
	unsigned long n;

	for (n = 0; n <= mask; n++, i = (i + 1) & mask) {
		struct pvfbt_site *s = READ_ONCE(t->v[i]);

		if (!s)
			return NULL;
		if (s != TOMBSTONE && s->addr == addr)
			return s;
	}
	return NULL;
}

static void table_put(struct site_table *t, struct pvfbt_site *site)
{
	unsigned long mask = (1UL << t->bits) - 1, i = hash_long(site->addr, t->bits);

	while (t->v[i] && t->v[i] != TOMBSTONE)
		i = (i + 1) & mask;
	if (!t->v[i])
		t->used++;
	smp_store_release(&t->v[i], site);
}

static struct site_table *table_alloc(u32 bits)
{
	struct site_table *t = kvzalloc(struct_size(t, v, 1UL << bits), GFP_KERNEL);

	if (t)
		t->bits = bits;
	return t;
}

/* The smallest table that is at most a quarter full with live sites. */
static u32 table_bits(u32 live)
{
	u32 bits = SITE_BITS_MIN;

	while (bits < SITE_BITS_MAX && (1UL << bits) < 4UL * live)
		bits++;
	return bits;
}

/* A new table of 2^bits with the live sites and no tombstone. */
static int table_rebuild(u32 bits)
{
	struct site_table *old = sites, *t = table_alloc(bits);
	unsigned long i;

	if (!t)
		return -ENOMEM;
	for (i = 0; i < (1UL << old->bits); i++)
		if (old->v[i] && old->v[i] != TOMBSTONE)
			table_put(t, old->v[i]);
	smp_store_release(&sites, t);
	kvfree_rcu(old, rcu);
	return 0;
}

/*
 * Room for n more sites without a rebuild on the way: one rebuild now, not
 * one per doubling (a batch that makes every return site makes 100,000).
 * Caller holds fbt_mutex.  A failure is no error: pvfbt_site_insert()
 * rebuilds as it goes.
 */
void pvfbt_site_reserve(u32 n)
{
	u64 want = (u64)sites->used + n + 1;

	if (2 * want > (1UL << sites->bits) && nr_sites_live + (u64)n < (1UL << SITE_BITS_MAX) / 2)
		table_rebuild(table_bits(nr_sites_live + n));
}

int pvfbt_site_insert(struct pvfbt_site *site)
{
	struct site_table *t = sites;

	if (nr_sites_live + 1 > (1UL << SITE_BITS_MAX) / 2)
		return -ENOSPC;
	/* More than half used (live or tombstone): rebuild, bigger if need be. */
	if (2UL * (t->used + 1) > (1UL << t->bits) &&
	    table_rebuild(table_bits(nr_sites_live + 1)) &&
	    4UL * (t->used + 1) > 3UL << t->bits)
		return -ENOMEM;
	site->live = 1;
	table_put(sites, site);
	nr_sites_live++;
	nr_sites_emulated += site->emulate;
	nr_sites_boosted += site->boost;
	return 0;
}

/* Caller has disarmed the site and waited for every handler to finish. */
void pvfbt_site_remove(struct pvfbt_site *site)
{
	struct site_table *t = sites;
	unsigned long mask = (1UL << t->bits) - 1, i = hash_long(site->addr, t->bits);
	unsigned long n;

	for (n = 0; n <= mask; n++, i = (i + 1) & mask) {
		if (!t->v[i])
			return;
		if (t->v[i] == site) {
			WRITE_ONCE(t->v[i], TOMBSTONE);
			site->live = 0;
			nr_sites_live--;
			nr_sites_emulated -= site->emulate;
			nr_sites_boosted -= site->boost;
			break;
		}
	}
	/* Mostly empty: a smaller table (a failed rebuild keeps this one). */
	if (t->bits > SITE_BITS_MIN && 8UL * nr_sites_live < (1UL << t->bits))
		table_rebuild(table_bits(nr_sites_live));
}

/* Bytes the site table takes now. */
size_t pvfbt_site_table_bytes(void)
{
	return struct_size(sites, v, 1UL << READ_ONCE(sites)->bits);
}

u32 pvfbt_slots_used(void)
{
	return nr_slots - nr_slot_free;
}

/* Slots ever handed out: every slot in use is below it (and new ones from it). */
u32 pvfbt_slots_high(void)
{
	return nr_slots;
}

/*
 * Give a removed site's slot back.  The caller has waited for every task
 * that could be inside the slot (synchronize_rcu_tasks()).
 */
void pvfbt_site_release_slot(struct pvfbt_site *site)
{
	if (site->slot < 0)
		return;
	if (site->jret && site->lost)
		pvfbt_jret_forget(site);
	WRITE_ONCE(pvfbt_slot_owners[site->slot], NULL);
	slot_free[nr_slot_free++] = site->slot;
	if (site->jent) {
		WRITE_ONCE(pvfbt_slot_owners[site->slot + 1], NULL);
		slot_free[nr_slot_free++] = site->slot + 1;
	}
	site->slot = -1;
}

/*
 * Sites with some probe armed: their int3 (or jump) is in the text, or
 * queued to be.  Every change of a site's armed set goes through here.
 */
static u32 nr_sites_armed;

void pvfbt_site_set_armed(struct pvfbt_site *site, u8 armed)
{
	nr_sites_armed += !site->armed - !armed;
	WRITE_ONCE(site->armed, armed);
}

/* Could the text hold a byte of pvfbt's (pvfbt_read_text())?  Under fbt_mutex. */
bool pvfbt_sites_in_text(void)
{
	return nr_sites_armed || pvfbt_jret_sites();
}

u32 pvfbt_sites_live(u32 *emulated, u32 *boosted)
{
	*emulated = READ_ONCE(nr_sites_emulated);
	*boosted = READ_ONCE(nr_sites_boosted);
	return READ_ONCE(nr_sites_live);
}



u32 pvfbt_slots_max(void)
{
	return PVFBT_NR_SLOTS - 1;
}

bool pvfbt_addr_in_self(unsigned long addr)
{
	return within_module(addr, THIS_MODULE);
}

int pvfbt_sites_init(void)
{
	sites = table_alloc(SITE_BITS_MIN);
	pvfbt_slot_owners = vzalloc(PVFBT_NR_SLOTS * sizeof(*pvfbt_slot_owners));
	slot_free = vzalloc(PVFBT_NR_SLOTS * sizeof(*slot_free));
	if (!sites || !pvfbt_slot_owners || !slot_free) {
		pvfbt_sites_exit();
		return -ENOMEM;
	}
	return 0;
}

void pvfbt_sites_exit(void)
{
	kvfree(sites);
	vfree(pvfbt_slot_owners);
	vfree(slot_free);
	sites = NULL;
	pvfbt_slot_owners = NULL;
	slot_free = NULL;
}

/* The site table (as big as the sites need) and the slot tables. */
u64 pvfbt_sites_bytes(void)
{
	return pvfbt_site_table_bytes() +
	       PVFBT_NR_SLOTS * (sizeof(*pvfbt_slot_owners) + sizeof(*slot_free));
}
