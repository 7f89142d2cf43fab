// SPDX-License-Identifier: GPL-2.0
/*
 * The fbt provider: the catalogue of functions and their probes, listing,
 * modules coming and going (see fbt.h).
 */
#include "provider/fbt.h"

DEFINE_MUTEX(fbt_mutex);
struct fbt_func **fbt_funcs;
u32 fbt_nr_funcs;
static u32 cap_funcs;
static bool catalogue_built;
u32 fbt_nr_armed;
u8 *fbt_textbuf;

/* ---- collecting symbols ---- */

struct sym {
	unsigned long addr;
	const char *name;	/* points into names */
	struct module *mod;
};

struct collect {
	struct sym *v;
	u32 n, cap;
	bool oom;
	struct module *only;	/* modules pass: this one, or any if NULL */
	bool modules;
};

static bool better_name(const char *a, const char *b)
{
	/* The name users type: __x64_sys_foo over its __do_sys_foo alias. */
	bool ax = !strncmp(a, "__x64_sys_", 10), bx = !strncmp(b, "__x64_sys_", 10);

	if (ax != bx)
		return ax;
	return false;
}

static int collect_one(void *data, const char *name, struct module *mod,
		       unsigned long addr)
{
	struct collect *c = data;
	unsigned long lo, hi;

	if (!*name)	/* a section symbol of an init-time symbol table */
		return 0;
	if (c->modules) {
		if (!mod || (c->only && mod != c->only) || mod->state != MODULE_STATE_LIVE)
			return 0;
		pvfbt_module_text(mod, &lo, &hi);
	} else {
		lo = pvfbt_ks.stext;
		hi = pvfbt_ks.etext;
	}
	if (addr < lo || addr >= hi)
		return 0;
	if (!strncmp(name, "__pfx_", 6) || !strncmp(name, "__cfi_", 6) ||
	    !strncmp(name, "$", 1))
		return 0;
	if (c->n == c->cap) {
		u32 ncap = c->cap ? c->cap * 2 : 4096;
		struct sym *nv = kvmalloc_array(ncap, sizeof(*nv), GFP_KERNEL);

		if (!nv) {
			c->oom = true;
			return -ENOMEM;
		}
		if (c->v)
			memcpy(nv, c->v, c->n * sizeof(*nv));
		kvfree(c->v);
		c->v = nv;
		c->cap = ncap;
	}
	c->v[c->n].name = kstrdup(name, GFP_KERNEL);
	if (!c->v[c->n].name) {
		c->oom = true;
		return -ENOMEM;
	}
	c->v[c->n].addr = addr;
	c->v[c->n].mod = mod;
	c->n++;
	return 0;
}

static int cmp_sym(const void *a, const void *b)
{
	const struct sym *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return 0;
}

static int grow_funcs(u32 more)
{
	struct fbt_func **nv;
	u32 ncap;

	if (fbt_nr_funcs + more <= cap_funcs)
		return 0;
	ncap = max(cap_funcs * 2, fbt_nr_funcs + more);
	nv = kvmalloc_array(ncap, sizeof(*nv), GFP_KERNEL);
	if (!nv)
		return -ENOMEM;
	if (fbt_funcs)
		memcpy(nv, fbt_funcs, fbt_nr_funcs * sizeof(*nv));
	kvfree(fbt_funcs);
	fbt_funcs = nv;
	cap_funcs = ncap;
	return 0;
}

/* Turn sorted symbols into catalogue entries, one per address. */
static int add_syms(struct collect *c)
{
	u32 i, j, first = fbt_nr_funcs;
	int err;

	sort(c->v, c->n, sizeof(*c->v), cmp_sym, NULL);
	err = grow_funcs(c->n);
	if (err)
		return err;
	for (i = 0; i < c->n; i = j) {
		struct fbt_func *f;
		unsigned long size = 0, off = 1;
		const char *best = c->v[i].name;

		for (j = i + 1; j < c->n && c->v[j].addr == c->v[i].addr; j++)
			if (better_name(c->v[j].name, best))
				best = c->v[j].name;
		if (!pvfbt_ks.lookup_size_offset(c->v[i].addr, &size, &off) ||
		    off || !size)
			continue;
		f = kzalloc(sizeof(*f), GFP_KERNEL);
		if (!f)
			return -ENOMEM;
		f->addr = c->v[i].addr;
		f->size = min_t(unsigned long, size, U32_MAX);
		f->mod = c->v[i].mod;
		f->name = kstrdup(best, GFP_KERNEL);
		if (!f->name) {
			kfree(f);
			return -ENOMEM;
		}
		strscpy(f->modname, f->mod ? f->mod->name : "vmlinux", sizeof(f->modname));
		f->entry_reason = fbt_static_reason(f->addr, f->mod);
		if (strlen(best) >= PVFBT_NAME_LEN)
			f->entry_reason = PVFBT_EXCL_NAME;
		f->return_reason = f->entry_reason;
		fbt_funcs[fbt_nr_funcs++] = f;
	}
	for (i = first; i < fbt_nr_funcs; i++) {
		pvfbt_text_lock();
		fbt_analyse(fbt_funcs[i]);
		pvfbt_text_unlock();
	}
	return 0;
}

static void free_collect(struct collect *c)
{
	u32 i;

	for (i = 0; i < c->n; i++)
		kfree(c->v[i].name);
	kvfree(c->v);
}

static void collect_patched(struct collect *c)
{
	struct module *last = NULL;
	u32 i;

	/* c->v is sorted by address: a module's symbols are contiguous. */
	for (i = 0; i < c->n; i++) {
		if (c->v[i].mod == last)
			continue;
		last = c->v[i].mod;
		fbt_patched_collect(last);
	}
	fbt_patched_sort();
}

/* A failed build leaves nothing behind: the next one starts from empty. */
static void catalogue_reset(void)
{
	u32 i;

	for (i = 0; i < fbt_nr_funcs; i++) {
		if (!fbt_funcs[i])
			continue;
		kfree(fbt_funcs[i]->ret_off);
		kfree(fbt_funcs[i]->name);
		kfree(fbt_funcs[i]);
	}
	fbt_nr_funcs = 0;
	fbt_nr_foreign = 0;
	fbt_patched.n = 0;
	fbt_patched.incomplete = false;
}

int fbt_build_catalogue(void)
{
	struct collect c = {};
	u64 t0 = ktime_get_ns();
	int err;

	if (catalogue_built)
		return 0;
	fbt_patched_collect(NULL);
	fbt_patched_sort();
	err = pvfbt_kallsyms_walk(pvfbt_ks.on_each_symbol, collect_one, &c);
	if (!err && !c.oom)
		err = add_syms(&c);
	free_collect(&c);
	if (err || c.oom)
		goto fail;
	memset(&c, 0, sizeof(c));
	c.modules = true;
	err = pvfbt_module_kallsyms_walk(pvfbt_ks.module_on_each_symbol,
					 pvfbt_ks.module_address, NULL, collect_one, &c);
	if (!err && !c.oom) {
		sort(c.v, c.n, sizeof(*c.v), cmp_sym, NULL);
		collect_patched(&c);
		err = add_syms(&c);
	}
	free_collect(&c);
	if (err || c.oom)
		goto fail;
	err = fbt_compute_trap_path();
	if (err)
		goto fail;
	fbt_compute_hot();
	catalogue_built = true;
	pr_info(PVFBT_NAME ": catalogue of %u functions in %llu ms\n", fbt_nr_funcs,
		(ktime_get_ns() - t0) / NSEC_PER_MSEC);
	return 0;
fail:
	catalogue_reset();
	pr_err(PVFBT_NAME ": cannot build the catalogue (%d)\n", err ? err : -ENOMEM);
	return err ? err : -ENOMEM;
}

/* ---- listing ---- */

u32 pvfbt_fbt_nr_funcs(void)
{
	return READ_ONCE(fbt_nr_funcs);
}

u32 pvfbt_fbt_nr_armed(void)
{
	return READ_ONCE(fbt_nr_armed);
}

/* What the catalogue holds: entries, names, return offsets, sites, tables. */
u64 pvfbt_fbt_bytes(void)
{
	u64 b;
	u32 i;

	mutex_lock(&fbt_mutex);
	b = (u64)cap_funcs * sizeof(*fbt_funcs) + (u64)fbt_patched.cap * sizeof(*fbt_patched.v) +
	    (fbt_textbuf ? MAX_FUNC_SIZE : 0);
	for (i = 0; i < fbt_nr_funcs; i++) {
		struct fbt_func *f = fbt_funcs[i];

		if (!f)
			continue;
		b += sizeof(*f) + strlen(f->name) + 1 + f->nret * sizeof(*f->ret_off);
		if (f->entry)
			b += sizeof(*f->entry);
		if (f->rets)
			b += f->nret * (sizeof(*f->rets) + sizeof(**f->rets));
	}
	mutex_unlock(&fbt_mutex);
	return b;
}

/*
 * PVFBT_FUNC_RET_JUMPS / _RET_TRAPS: how f's return sites are (or, armed
 * now, would be) reached.  A site made already knows; before that, the
 * analysis' verdict on the live text, and force_int3.
 */
static u16 ret_mechanisms(const struct fbt_func *f)
{
	u16 fl = 0;
	u32 i;

	for (i = 0; i < f->nret; i++) {
		const struct pvfbt_site *s = f->rets ? f->rets[i] : NULL;
		bool jump = s ? (s->jumped || (!(s->armed & PVFBT_SITE_RETURN) &&
					       pvfbt_jret_would_jump(s))) :
				ret_jump(f, i) && pvfbt_jret_enabled();

		fl |= jump ? PVFBT_FUNC_RET_JUMPS : PVFBT_FUNC_RET_TRAPS;
	}
	return fl;
}

/*
 * PVFBT_FUNC_ENTRY_CALL: the entry is armed through ftrace's call, or,
 * not armed, would be if it were armed alone now.
 */
static bool entry_by_call(const struct fbt_func *f)
{
	if (f->entry && (f->entry->armed & PVFBT_SITE_ENTRY))
		return f->entry->fcall;
	return !f->entry_reason && f->fentry && pvfbt_fcall_room(1);
}

/*
 * PVFBT_FUNC_ENTRY_JUMP: the entry is a jump entry (jent.c) that is, or
 * armed now would be, reached by its jump, not by ftrace's call.
 */
static bool entry_by_jump(const struct fbt_func *f)
{
	if (entry_by_call(f))
		return false;
	if (f->entry)
		return f->entry->jent && pvfbt_jret_would_jump(f->entry);
	return !f->entry_reason && f->jent_len && pvfbt_jret_enabled();
}

static bool has_tailcall(const struct fbt_func *f)
{
	u32 i;

	for (i = 0; i < f->nret; i++)
		if (ret_tail(f, i))
			return true;
	return false;
}

/*
 * Fill a kernel buffer under fbt_mutex and copy it out after dropping the
 * mutex, a chunk at a time: a copy_to_user() can fault, and a fault takes
 * mmap_lock (the order mmap_lock -> fbt_mutex must stay possible) and can
 * wait on userfaultfd for ever, which must not hold up module load and
 * unload (the module notifier takes fbt_mutex).  Ids are stable, so a
 * catalogue that grows between chunks is still reported consistently.
 */
#define LIST_CHUNK_FUNCS	64
int pvfbt_fbt_list(struct pvfbt_list *req, struct pvfbt_func __user *out)
{
	struct pvfbt_func *buf, *e;
	u32 i, n, total = 0;
	int err = 0;
	bool first = true;

	buf = kvmalloc_array(LIST_CHUNK_FUNCS, sizeof(*buf), GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	req->count = 0;
	i = req->start;
	do {
		mutex_lock(&fbt_mutex);
		err = fbt_build_catalogue();
		if (err) {
			mutex_unlock(&fbt_mutex);
			break;
		}
		if (first) {
			pvfbt_jret_reclaim();
			fbt_refresh_foreign();
			total = fbt_nr_funcs;
		}
		first = false;
		for (n = 0; i < fbt_nr_funcs && req->count + n < req->max && n < LIST_CHUNK_FUNCS;
		     i++) {
			struct fbt_func *f = fbt_funcs[i];

			if (!f)		/* its module was unloaded */
				continue;
			e = &buf[n++];
			memset(e, 0, sizeof(*e));
			e->addr = f->addr;
			e->entry_addr = f->entry_addr;
			e->fid = i;
			e->size = f->size;
			e->entry_reason = f->entry_reason;
			e->return_reason = f->return_reason;
			e->nr_returns = f->nret;
			e->flags = (f->entry && (f->entry->armed & PVFBT_SITE_ENTRY) ?
				    PVFBT_FUNC_ENTRY_ARMED : 0) |
				   (f->rets && f->nret && (f->rets[0]->armed & PVFBT_SITE_RETURN) ?
				    PVFBT_FUNC_RETURN_ARMED : 0) |
				   (has_tailcall(f) ? PVFBT_FUNC_TAILCALLS : 0) |
				   (entry_by_call(f) ? PVFBT_FUNC_ENTRY_CALL : 0) |
				   (entry_by_jump(f) ? PVFBT_FUNC_ENTRY_JUMP : 0) |
				   (f->return_reason ? 0 : ret_mechanisms(f));
			strscpy(e->module, f->modname, sizeof(e->module));
			strscpy(e->name, f->name, sizeof(e->name));
		}
		mutex_unlock(&fbt_mutex);
		if (n && copy_to_user(&out[req->count], buf, n * sizeof(*buf))) {
			err = -EFAULT;
			break;
		}
		req->count += n;
	} while (n == LIST_CHUNK_FUNCS && req->count < req->max);
	req->total = total;
	kvfree(buf);
	return err;
}

/* ---- modules coming and going ---- */

static void free_sites(struct fbt_func *f)
{
	u32 j;

	/* Caller: disarmed, synchronised, and no task left in a slot. */
	if (f->entry) {
		pvfbt_site_remove(f->entry);
		pvfbt_site_release_slot(f->entry);
	}
	for (j = 0; f->rets && j < f->nret; j++) {
		if (f->rets[j] == f->entry)
			continue;
		pvfbt_site_remove(f->rets[j]);
		pvfbt_site_release_slot(f->rets[j]);
	}
	/* The return sites go with their block; a shared site is freed once. */
	if (f->entry && !fbt_rets_block(f, f->entry))
		fbt_chunk_free(f->entry, f->entry_chunk);
	if (f->rets)
		fbt_chunk_free(f->rets, f->rets_chunk);
	f->entry_chunk = NULL;
	f->rets_chunk = NULL;
	f->entry = NULL;
	f->rets = NULL;
}

static void free_func(struct fbt_func *f)
{
	free_sites(f);
	kfree(f->ret_off);
	kfree(f->name);
	kfree(f);
}

/* Forget the jump-label and static-call sites of text that is going away. */
static void patched_remove(unsigned long lo, unsigned long hi)
{
	u32 i, n = 0;

	for (i = 0; i < fbt_patched.n; i++)
		if (!within(fbt_patched.v[i], lo, hi))
			fbt_patched.v[n++] = fbt_patched.v[i];
	fbt_patched.n = n;
}

/*
 * The module's probes are disarmed, every handler and every task is out of
 * its sites and slots, then its entries are freed: its ids stay unused.
 * The GOING notifier runs before the module's memory is freed, and the
 * kernel waits for it; a catalogue build that holds fbt_mutex meanwhile
 * sees the module GOING and leaves it out.
 */
static void module_going(struct module *mod)
{
	unsigned long lo, hi;
	u32 i;
	bool any = false;

	mutex_lock(&fbt_mutex);
	pvfbt_poke_begin();
	for (i = 0; i < fbt_nr_funcs; i++) {
		if (!fbt_funcs[i] || fbt_funcs[i]->mod != mod)
			continue;
		fbt_disarm_func(fbt_funcs[i]);
		any |= fbt_funcs[i]->entry || fbt_funcs[i]->rets;
	}
	pvfbt_poke_end();
	fbt_call_entries_sync(NULL);
	if (any) {
		fbt_wait_handlers();
		synchronize_rcu_tasks();
	}
	for (i = 0; i < fbt_nr_funcs; i++) {
		if (!fbt_funcs[i] || fbt_funcs[i]->mod != mod)
			continue;
		free_func(fbt_funcs[i]);
		fbt_funcs[i] = NULL;
	}
	pvfbt_module_text(mod, &lo, &hi);
	patched_remove(lo, hi);
	mutex_unlock(&fbt_mutex);
}

/* Is the module in the catalogue already (a build that saw it live)? */
static bool catalogued(struct module *mod)
{
	u32 i;

	for (i = fbt_nr_funcs; i-- > 0;)
		if (fbt_funcs[i] && fbt_funcs[i]->mod == mod)
			return true;
	return false;
}

static void module_live(struct module *mod)
{
	struct collect c = { .modules = true, .only = mod };

	mutex_lock(&fbt_mutex);
	if (catalogue_built && !catalogued(mod)) {
		if (!pvfbt_module_kallsyms_walk(pvfbt_ks.module_on_each_symbol,
						pvfbt_ks.module_address, mod,
						collect_one, &c) && !c.oom) {
			fbt_patched_collect(mod);
			fbt_patched_sort();
			if (add_syms(&c))
				pr_warn(PVFBT_NAME ": module %s: not all of it catalogued\n",
					mod->name);
		}
		free_collect(&c);
	}
	mutex_unlock(&fbt_mutex);
}

static int fbt_module_notify(struct notifier_block *nb, unsigned long val, void *data)
{
	if (val == MODULE_STATE_LIVE)
		module_live(data);
	else if (val == MODULE_STATE_GOING)
		module_going(data);
	return NOTIFY_OK;
}

static struct notifier_block fbt_module_nb = {
	.notifier_call = fbt_module_notify,
};

int pvfbt_fbt_init(void)
{
	fbt_textbuf = vmalloc(MAX_FUNC_SIZE);
	if (!fbt_textbuf)
		return -ENOMEM;
	return register_module_notifier(&fbt_module_nb);
}

/* All probes disarmed and every CPU and task out of them: free it all. */
void pvfbt_fbt_exit(void)
{
	u32 i;

	unregister_module_notifier(&fbt_module_nb);
	fbt_arm_exit();
	pvfbt_fcall_exit();
	for (i = 0; i < fbt_nr_funcs; i++)
		if (fbt_funcs[i])
			free_func(fbt_funcs[i]);
	kvfree(fbt_funcs);
	kvfree(fbt_patched.v);
	vfree(fbt_textbuf);
}

