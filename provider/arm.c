// SPDX-License-Identifier: GPL-2.0
/*
 * The fbt provider: making a probe's sites and arming them, by int3, a
 * jump or ftrace's call (see fbt.h and design.md).
 */
#include "provider/fbt.h"

/* ---- arming ---- */

/*
 * A site is made from the live text, under text_mutex, and only if that
 * text is what the analysis found: no kprobe on the instruction or in the
 * four bytes before it (an optimised kprobe's jmp), no foreign int3, and
 * for a return site still a return, or for a tail call still a jump (the
 * analysis looked its target up: rflags, RET_TAIL).  Its original bytes
 * are kept: every later write checks them (pvfbt_poke_int3()).
 */
static struct pvfbt_site *get_site(struct fbt_func *f, unsigned long a, u8 kind,
				   u32 rflags, struct pvfbt_site *mem)
{
	struct pvfbt_site *s = pvfbt_site_lookup(a);
	unsigned int avail = min_t(unsigned long, sizeof(s->code), part_end(f, a) - a);
	struct pvfbt_insn in;
	u8 bytes[sizeof(s->code)];
	bool ours;
	int err;

	if (s) {
		if (s->lost)
			return ERR_PTR(-EBUSY);
		s->kinds |= kind;
		return s;
	}
	memset(bytes, 0, sizeof(bytes));
	if (pvfbt_read_text(a, bytes, avail, &ours))
		return ERR_PTR(-EFAULT);
	if (bytes[0] == 0xcc || pvfbt_foreign(a) ||
	    pvfbt_decode(bytes, avail, &in) < 0 ||
	    (kind == PVFBT_SITE_RETURN && !(rflags & RET_TAIL ? fbt_is_branch(&in) :
						    fbt_is_return(&in, a))))
		return ERR_PTR(-EBUSY);
	s = mem ?: kzalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		return ERR_PTR(-ENOMEM);
	s->addr = a;
	s->fn_start = f->addr;
	s->fn_end = f->addr + f->size;
	s->cold_start = f->cold_addr;
	s->cold_end = f->cold_addr + f->cold_size;
	s->kinds = kind;
	s->order = f->hot;
	memcpy(s->code, bytes, sizeof(s->code));
	/*
	 * An entry a jump can reach (jent.c): the live text's range must be
	 * the one the analysis checked, and no kprobe may sit in it, armed
	 * or not (a disabled one has left the text as it was; enabled, its
	 * int3 would be under the jump).  Otherwise, or without a detour, an
	 * int3 site, which writes the first byte only.
	 */
	err = -EINVAL;
	s->slot = -1;
	if (kind == PVFBT_SITE_ENTRY && a == f->entry_addr && f->jent_len &&
	    f->jent_len <= avail && pvfbt_jret_enabled() &&
	    !pvfbt_foreign_range(a, f->jent_len))
		err = pvfbt_jent_prepare(s, bytes, f->jent_len, f->jent_starts, &in);
	if (err)
		err = pvfbt_site_prepare(s, bytes, &in);
	/*
	 * A return (not a tail call, not the entry site) in one of the
	 * 5-byte forms that no patched text overlaps (RET_JUMP: the analysis
	 * found a return there and checked the address; the check above, that
	 * it still is one): reached by a jump when armed (jret.c).  Without a
	 * stub it stays an int3 site.
	 */
	if (!err && kind == PVFBT_SITE_RETURN && a != f->entry_addr && (rflags & RET_JUMP) &&
	    pvfbt_jret_shape(a, bytes, avail, &in))
		pvfbt_jret_prepare(s);
	/*
	 * Nor on a jump return's bytes 1-4 (the first was checked above, a
	 * jump entry's range before its detour): this site, fresh, skips the
	 * enable's re-check.
	 */
	if (!err && s->jret && !s->jent && pvfbt_foreign_range(a, pvfbt_jret_len(s)))
		err = -EBUSY;
	if (!err)
		err = pvfbt_site_insert(s);
	/*
	 * Its text was checked just now, under this hold of text_mutex: no
	 * second look when it is armed (int3_text_ok()), unless the bytes
	 * checked were not the live ones (one of pvfbt's jumps covers them).
	 */
	s->fresh = !ours;
	if (err) {
		pvfbt_site_release_slot(s);
		if (s != mem)
			kfree(s);
		return ERR_PTR(err);
	}
	return s;
}

/*
 * Sites come from chunks, many to one allocation: an entry site, or a
 * return probe's block (its pointers and sites, fbt_rets_block()).  An
 * enable of every entry makes 36,000 sites and one of every return 36,000
 * blocks; one allocation each was a tenth of the enable under TCG.  A chunk
 * is freed with the last thing taken from it (fbt_chunk_free(), when their
 * function goes: the caller has waited for every handler), so the sites of
 * a module that went can keep a chunk that others still use.  A block too
 * big for a chunk, or no chunk to be had: an allocation of its own.  Under
 * fbt_mutex.
 */
struct fbt_chunk {
	u32 used;	/* bytes handed out, from data */
	u32 live;	/* things handed out and not freed yet */
	u64 data[];
};
#define CHUNK_BYTES	(32 << 10)
#define CHUNK_DATA	(CHUNK_BYTES - sizeof(struct fbt_chunk))
static struct fbt_chunk *chunk;	/* the one memory is taken from */

/* Zeroed memory for size bytes; *from: its chunk, or NULL (kvzalloc()). */
static void *chunk_alloc(size_t size, struct fbt_chunk **from)
{
	void *p;

	size = ALIGN(size, sizeof(u64));
	*from = NULL;
	if (size > CHUNK_DATA / 4)
		return kvzalloc(size, GFP_KERNEL);
	if (!chunk || chunk->used + size > CHUNK_DATA) {
		chunk = kzalloc(CHUNK_BYTES, GFP_KERNEL | __GFP_NOWARN);
		if (!chunk)
			return kvzalloc(size, GFP_KERNEL);
	}
	p = (u8 *)chunk->data + chunk->used;
	chunk->used += size;
	chunk->live++;
	*from = chunk;
	return p;
}

void fbt_chunk_free(void *p, struct fbt_chunk *from)
{
	if (!from) {
		kvfree(p);
		return;
	}
	if (--from->live)
		return;
	if (from == chunk)
		chunk = NULL;
	kfree(from);
}

/* The last memory chunk_alloc() gave, unused: taken back. */
static void chunk_unalloc(void *p, size_t size, struct fbt_chunk *from)
{
	if (from) {
		size = ALIGN(size, sizeof(u64));
		memset(p, 0, size);
		from->used -= size;
	}
	fbt_chunk_free(p, from);
}

/* Undo get_site() of a return site that was never armed nor published. */
static void put_new_site(struct pvfbt_site *s)
{
	if (s->live)
		pvfbt_site_remove(s);
	pvfbt_site_release_slot(s);
}

/*
 * Create the sites of one probe.  Under fbt_mutex and text_mutex.  A
 * return probe's array is published only once every one of its sites
 * exists: a failure leaves the function as it was.  A probe that has a
 * site not fresh (it existed, or what was checked was not the live text)
 * is marked stale: only those have anything for the enable's
 * all-or-nothing check (probe_text_ok()) to look at.
 */
static int make_sites(struct fbt_func *f, u32 fid, bool ret)
{
	struct pvfbt_site **v;
	u32 i, j;

	if (!ret) {
		if (!f->entry) {
			struct pvfbt_site *mem, *s;

			mem = chunk_alloc(sizeof(*mem), &f->entry_chunk);
			if (!mem)
				return -ENOMEM;
			s = get_site(f, f->entry_addr, PVFBT_SITE_ENTRY, 0, mem);
			/* Not used (an error, or a return site is the entry): back. */
			if (s != mem) {
				chunk_unalloc(mem, sizeof(*mem), f->entry_chunk);
				f->entry_chunk = NULL;
			}
			if (IS_ERR(s)) {
				if (PTR_ERR(s) == -EBUSY)
					fbt_set_foreign(&f->entry_reason);
				return PTR_ERR(s);
			}
			s->fid = fid;
			f->entry = s;
		}
		if (!f->entry->fresh)
			f->stale |= FBT_STALE_ENTRY;
		return 0;
	}
	if (f->rets) {
		f->stale |= FBT_STALE_RETURN;
		return 0;
	}
	/* The sites in one block after their pointers (fbt_rets_block()). */
	v = chunk_alloc(f->nret * (sizeof(*v) + sizeof(**v)), &f->rets_chunk);
	if (!v)
		return -ENOMEM;
	for (i = 0; i < f->nret; i++) {
		unsigned long a = ret_addr(f, i);
		struct pvfbt_site *s = get_site(f, a, PVFBT_SITE_RETURN, ret_flags(f, i),
						(struct pvfbt_site *)(v + f->nret) + i);

		if (IS_ERR(s)) {
			/*
			 * Only the sites made here go; the one site that can
			 * exist already is the entry's (a function whose first
			 * instruction returns).
			 */
			for (j = 0; j < i; j++)
				if (v[j] != f->entry)
					put_new_site(v[j]);
				else
					v[j]->kinds &= ~PVFBT_SITE_RETURN;
			/* A lookup from trap context may still read them. */
			if (i)
				synchronize_rcu();
			chunk_unalloc(v, f->nret * (sizeof(*v) + sizeof(**v)), f->rets_chunk);
			f->rets_chunk = NULL;
			if (PTR_ERR(s) == -EBUSY)
				fbt_set_foreign(&f->return_reason);
			return PTR_ERR(s);
		}
		s->tailcall = ret_tail(f, i);
		s->fid = fid;
		v[i] = s;
		if (!s->fresh)
			f->stale |= FBT_STALE_RETURN;
	}
	f->rets = v;
	return 0;
}

/*
 * Would arming (or disarming) change only bytes pvfbt owns?  A site made
 * by this enable (fresh) takes no second look (int3_text_ok(), patch.c).
 */
static bool site_text_ok(struct pvfbt_site *s, bool arm)
{
	return (s->armed && arm) || pvfbt_site_text_ok(s, arm);
}

static bool probe_text_ok(struct fbt_func *f, bool ret, bool arm)
{
	u32 j;

	if (!ret)
		return !f->entry || f->entry->fcall == FCALL_PENDING ||
		       site_text_ok(f->entry, arm);
	for (j = 0; f->rets && j < f->nret; j++)
		if (!site_text_ok(f->rets[j], arm))
			return false;
	return true;
}

/* The enable is over: its sites are no longer fresh. */
static void probe_unfresh(struct fbt_func *f)
{
	u32 j;

	f->stale = 0;
	if (f->entry)
		f->entry->fresh = 0;
	for (j = 0; f->rets && j < f->nret; j++)
		f->rets[j]->fresh = 0;
}

/*
 * A system call handler, __x64_sys_NAME(const struct pt_regs *regs): the
 * only functions whose entry may record the user's registers.  The
 * compat and ia32 handlers take other registers: not these.
 */
static bool is_syscall_handler(const struct fbt_func *f)
{
	return !f->mod && !strncmp(f->name, "__x64_sys_", 10) && f->name[10];
}

/* Of the armed kinds, those the site's own text (int3 or jump) serves. */
static u8 text_kinds(const struct pvfbt_site *s, u8 armed)
{
	return armed & (s->fcall ? ~PVFBT_SITE_ENTRY : 0xff);
}

static void set_armed(struct pvfbt_site *s, u8 kind, bool on, bool stack,
		      u8 sysargs)
{
	u8 old = s->armed, new = on ? old | kind : old & ~kind;

	/* Before the int3 is visible: a hit sees the flags it was armed with. */
	WRITE_ONCE(s->stack, stack ? s->stack | kind : s->stack & ~kind);
	if (kind == PVFBT_SITE_ENTRY)
		WRITE_ONCE(s->sysargs, on ? sysargs : 0);
	if (old == new)
		return;
	pvfbt_site_set_armed(s, new);
	/*
	 * The text changes when the probes the site's own text serves go
	 * from none to some or back: an entry armed through ftrace has no
	 * text of pvfbt's (fbt_call_entries_sync()).  Checked first
	 * (probe_text_ok()) under the same text_mutex: a refusal here is a
	 * disarm whose int3 another writer replaced.  The site is then lost
	 * and its byte left alone; the probe counts as disarmed.
	 */
	if (!text_kinds(s, old) != !text_kinds(s, new) &&
	    pvfbt_poke_site(s, on) && on)
		pvfbt_site_set_armed(s, old);
}

/*
 * Call entries (fcall.c): s->fcall is FCALL_PENDING from the enable's batch
 * until its function is in pvfbt's ftrace filter (FCALL_ON), and goes back
 * to 0 once a disarmed entry is out of it.  ftrace takes text_mutex: this
 * runs after the batch, under fbt_mutex, a chunk of functions per call.
 */
#define FCALL_CHUNK	256
static unsigned long fc_ips[FCALL_CHUNK];	/* under fbt_mutex */
static struct pvfbt_site *fc_sites[FCALL_CHUNK];
static u32 nr_fc_pending;	/* marked pending since the last sync: under fbt_mutex */

/* Pending entries ftrace refused: armed by int3 instead (or not at all). */
static void fcall_fallback(u32 n, u32 *done)
{
	u32 i;

	pvfbt_poke_begin();
	for (i = 0; i < n; i++) {
		struct pvfbt_site *s = fc_sites[i];

		WRITE_ONCE(s->fcall, 0);
		/* Its int3 is there already if it serves a return too. */
		if (s->armed & ~PVFBT_SITE_ENTRY)
			continue;
		if (pvfbt_site_text_ok(s, true) && !pvfbt_poke_site(s, true))
			continue;
		pvfbt_site_set_armed(s, s->armed & ~PVFBT_SITE_ENTRY);
		fbt_nr_armed--;
		if (done && *done)
			(*done)--;
	}
	pvfbt_poke_end();
}

static void fcall_flush(bool add, u32 n, u32 *done)
{
	u32 i;

	if (!n)
		return;
	if (!add) {
		pvfbt_fcall_del(fc_ips, n);
		for (i = 0; i < n; i++)
			WRITE_ONCE(fc_sites[i]->fcall, 0);
		return;
	}
	if (!pvfbt_fcall_add(fc_ips, n)) {
		for (i = 0; i < n; i++)
			WRITE_ONCE(fc_sites[i]->fcall, FCALL_ON);
		return;
	}
	pr_info_ratelimited(PVFBT_NAME ": ftrace did not take %u entries: armed by int3\n", n);
	fcall_fallback(n, done);
}

/* Put pending call entries in the filter and take disarmed ones out. */
void fbt_call_entries_sync(u32 *done)
{
	u32 i, n;
	int pass;

	/* Nothing in the filter, nothing to put there: no walk of the catalogue. */
	if (!nr_fc_pending && !pvfbt_fcall_sites())
		return;
	nr_fc_pending = 0;
	for (pass = 0; pass < 2; pass++) {
		bool add = pass == 1;	/* out first: room for the new ones */

		n = 0;
		for (i = 0; i < fbt_nr_funcs; i++) {
			struct fbt_func *f = fbt_funcs[i];
			struct pvfbt_site *s = f ? f->entry : NULL;

			if (!s || !s->fcall)
				continue;
			if (add ? s->fcall != FCALL_PENDING :
				  s->fcall != FCALL_ON || (s->armed & PVFBT_SITE_ENTRY))
				continue;
			fc_ips[n] = s->addr - PVFBT_FENTRY_SIZE;
			fc_sites[n++] = s;
			if (n == FCALL_CHUNK) {
				fcall_flush(add, n, done);
				n = 0;
			}
		}
		fcall_flush(add, n, done);
	}
}

/* Lost jump sites (jret.c) are taken back every second while any is left. */
static void reclaim_fn(struct work_struct *w);
static DECLARE_DELAYED_WORK(reclaim_work, reclaim_fn);

static void reclaim_fn(struct work_struct *w)
{
	mutex_lock(&fbt_mutex);
	pvfbt_jret_reclaim();
	if (pvfbt_jret_nr_lost())
		schedule_delayed_work(&reclaim_work, HZ);
	mutex_unlock(&fbt_mutex);
}

static void reclaim_later(void)
{
	if (pvfbt_jret_nr_lost())
		schedule_delayed_work(&reclaim_work, HZ);
}

/*
 * Jump sites armed by int3 become jumps once every task that could be
 * inside a jump entry's range has left (jent.c): a grace period of
 * RCU-tasks that begins after their int3s are in place everywhere.  Those
 * armed later wait for the next round.  Until then their hits take the
 * int3 (an entry's runs the same detour, a return's is emulated).  Jump
 * returns need no grace period; they ride along.
 */
static void jent_fn(struct work_struct *w);
static DECLARE_WORK(jent_work, jent_fn);

/* One waiting site of a kind armed by gen: its jump, unless it changed. */
static void jent_upgrade(struct pvfbt_site *s, u8 kind, u32 gen)
{
	if (!s || !s->jent_wait || s->jent_gen > gen)
		return;
	if ((s->armed & kind) && text_kinds(s, s->armed) && pvfbt_jret_would_jump(s) &&
	    pvfbt_jret_upgrade(s))
		pr_warn_ratelimited(PVFBT_NAME ": %pS stays an int3: its text is not as pvfbt left it\n",
				    (void *)s->addr);
	pvfbt_jent_unwait(s);
}

static void jent_fn(struct work_struct *w)
{
	u32 gen, i;

	mutex_lock(&fbt_mutex);
	gen = pvfbt_jent_gen();		/* every int3 up to it is written */
	i = pvfbt_jent_waiting();
	mutex_unlock(&fbt_mutex);
	if (!i)
		return;
	synchronize_rcu_tasks();
	mutex_lock(&fbt_mutex);
	pvfbt_poke_begin();
	for (i = 0; i < fbt_nr_funcs; i++) {
		struct fbt_func *f = fbt_funcs[i];
		u32 j;

		if (!f)
			continue;
		jent_upgrade(f->entry, PVFBT_SITE_ENTRY, gen);
		for (j = 0; f->rets && j < f->nret; j++)
			jent_upgrade(f->rets[j], PVFBT_SITE_RETURN, gen);
	}
	pvfbt_poke_end();
	if (pvfbt_jent_waiting())
		queue_work(system_long_wq, &jent_work);
	mutex_unlock(&fbt_mutex);
}

static void jent_later(void)
{
	if (pvfbt_jent_waiting())
		queue_work(system_long_wq, &jent_work);
}

void fbt_wait_handlers(void)
{
	/* No handler still uses a disarmed site; records are all published. */
	synchronize_rcu();
}

/*
 * Enable or disable a set of probes.  Bad input (an id out of range, an
 * excluded or gone probe) changes nothing and is -EINVAL.  A probe whose
 * text another tool owns (a kprobe on or over one of its sites) is refused
 * with -EBUSY, its reason becomes PVFBT_EXCL_FOREIGN (pvfbt -l -v shows it)
 * and nothing is armed.
 */
/* An entry probe that ftrace's call can reach, not armed yet. */
static bool call_entry_ok(const struct fbt_func *f, bool ret)
{
	return !ret && f->fentry && f->entry && !f->entry->armed && !f->entry->fcall;
}

int pvfbt_fbt_enable(const u32 *ids, u32 count, bool enable, u32 flags, u32 *done)
{
	u32 i, ncall, nnew, nsites;
	u8 stale = 0;
	int err = 0;

	*done = 0;
	mutex_lock(&fbt_mutex);
	err = fbt_build_catalogue();
	if (err)
		goto out;
	pvfbt_jret_reclaim();
	if (enable)
		fbt_refresh_foreign();
	/* Validate everything first: bad input changes nothing. */
	for (i = 0; i < count; i++) {
		u32 fid = ids[i] / 2;
		bool ret = ids[i] & 1;

		if (fid >= fbt_nr_funcs || (enable && !fbt_funcs[fid])) {
			err = -EINVAL;
			goto out;
		}
		if (enable && (ret ? fbt_funcs[fid]->return_reason : fbt_funcs[fid]->entry_reason)) {
			err = -EINVAL;
			goto out;
		}
		if ((flags & PVFBT_ENABLE_SYSCALL) &&
		    (ret || !is_syscall_handler(fbt_funcs[fid]))) {
			err = -EINVAL;
			goto out;
		}
	}
	for (i = 0, nnew = 0, nsites = 0; i < count; i++) {
		struct fbt_func *f = fbt_funcs[ids[i] / 2];

		if (!f)
			continue;
		nsites += ids[i] & 1 ? f->nret : 1;
		if (enable)
			nnew += ids[i] & 1 ? (f->rets ? 0 : f->nret) : !f->entry;
	}
	pvfbt_site_reserve(nnew);
	pvfbt_poke_begin();
	/*
	 * The writes to come: arming, a site's first byte (slots are stored
	 * as they come, and a jump follows later); disarming, a jump's three.
	 */
	pvfbt_poke_reserve(enable ? nsites : 3 * nsites);
	for (i = 0; i < count && enable; i++) {
		err = make_sites(fbt_funcs[ids[i] / 2], ids[i] / 2, ids[i] & 1);
		stale |= fbt_funcs[ids[i] / 2]->stale;
		if (err)
			break;
	}
	/*
	 * Entries that can be reached by ftrace's call, if there is room for
	 * all of them (fcall.c): marked pending here, put in the filter after
	 * the batch.
	 */
	for (i = 0, ncall = 0; i < count && enable && !err && pvfbt_fcall_room(1); i++)
		ncall += call_entry_ok(fbt_funcs[ids[i] / 2], ids[i] & 1);
	for (i = 0; i < count && ncall && pvfbt_fcall_room(ncall); i++)
		if (call_entry_ok(fbt_funcs[ids[i] / 2], ids[i] & 1)) {
			fbt_funcs[ids[i] / 2]->entry->fcall = FCALL_PENDING;
			nr_fc_pending++;
		}
	/* A probe whose sites are all fresh: nothing to check. */
	for (i = 0; i < count && enable && !err && stale; i++) {
		struct fbt_func *f = fbt_funcs[ids[i] / 2];
		bool ret = ids[i] & 1;

		if ((f->stale & (ret ? FBT_STALE_RETURN : FBT_STALE_ENTRY)) &&
		    !probe_text_ok(f, ret, true)) {
			fbt_set_foreign(ret ? &f->return_reason : &f->entry_reason);
			err = -EBUSY;
		}
	}
	if (!err) {
		for (i = 0; i < count; i++) {
			struct fbt_func *f = fbt_funcs[ids[i] / 2];
			bool ret = ids[i] & 1;
			bool stack = enable && (flags & PVFBT_ENABLE_STACK);
			u8 sysargs = (flags & PVFBT_ENABLE_SYSCALL) ? PVFBT_SYSARGS_ON |
				((flags & PVFBT_ENABLE_STRINGS) >> PVFBT_ENABLE_STR_SHIFT) : 0;
			bool was, now;
			u32 j;

			if (!f)
				continue;
			if (!ret) {
				if (!f->entry)
					continue;
				was = f->entry->armed & PVFBT_SITE_ENTRY;
				set_armed(f->entry, PVFBT_SITE_ENTRY, enable, stack, sysargs);
				now = f->entry->armed & PVFBT_SITE_ENTRY;
			} else {
				if (!f->rets)
					continue;
				was = f->nret && (f->rets[0]->armed & PVFBT_SITE_RETURN);
				for (j = 0; j < f->nret; j++)
					set_armed(f->rets[j], PVFBT_SITE_RETURN, enable, stack, 0);
				now = f->nret && (f->rets[0]->armed & PVFBT_SITE_RETURN);
			}
			if (was != now) {
				(*done)++;
				fbt_nr_armed += now ? 1 : -1;
			}
		}
	}
	if (err) {	/* nothing armed: no entry is pending */
		for (i = 0; i < count && enable; i++)
			if (fbt_funcs[ids[i] / 2]->entry &&
			    fbt_funcs[ids[i] / 2]->entry->fcall == FCALL_PENDING)
				fbt_funcs[ids[i] / 2]->entry->fcall = 0;
	}
	for (i = 0; i < count && enable; i++)
		probe_unfresh(fbt_funcs[ids[i] / 2]);
	pvfbt_poke_end();
	fbt_call_entries_sync(done);
	if (!enable)
		fbt_wait_handlers();
	reclaim_later();
	jent_later();
out:
	mutex_unlock(&fbt_mutex);
	return err;
}

void fbt_disarm_func(struct fbt_func *f)
{
	u32 j;

	if (f->entry && (f->entry->armed & PVFBT_SITE_ENTRY)) {
		set_armed(f->entry, PVFBT_SITE_ENTRY, false, false, 0);
		fbt_nr_armed--;
	}
	if (f->rets && f->nret && (f->rets[0]->armed & PVFBT_SITE_RETURN)) {
		for (j = 0; j < f->nret; j++)
			set_armed(f->rets[j], PVFBT_SITE_RETURN, false, false, 0);
		fbt_nr_armed--;
	}
}

void pvfbt_fbt_disable_all(void)
{
	u32 i;

	mutex_lock(&fbt_mutex);
	if (fbt_nr_armed) {
		pvfbt_poke_begin();
		for (i = 0; i < fbt_nr_funcs; i++)
			if (fbt_funcs[i])
				fbt_disarm_func(fbt_funcs[i]);
		pvfbt_poke_end();
		fbt_call_entries_sync(NULL);
		fbt_wait_handlers();
	}
	reclaim_later();
	mutex_unlock(&fbt_mutex);
}

/* Unloading: no work item of the arming side runs any more. */
void fbt_arm_exit(void)
{
	cancel_delayed_work_sync(&reclaim_work);
	cancel_work_sync(&jent_work);
}
