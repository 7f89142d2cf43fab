// SPDX-License-Identifier: GPL-2.0
/*
 * The fbt provider: what a function's text allows (its entry and return
 * sites, a jump entry's range) and the exclusions: text the kernel patches,
 * the trap path, the hot functions' order, other tools' text (see fbt.h).
 */
#include "provider/fbt.h"


/*
 * Text the kernel patches at run time: jump labels and static calls.  The
 * kernel's own *_text_reserved() checks scan every entry on each call;
 * pvfbt asks about every function at once, so it keeps the sites sorted.
 * A site is taken as 5 bytes (the longest form).
 */
struct patched fbt_patched;

static void patched_add(unsigned long a)
{
	if (fbt_patched.n == fbt_patched.cap) {
		u32 ncap = fbt_patched.cap ? fbt_patched.cap * 2 : 16384;
		unsigned long *nv = kvmalloc_array(ncap, sizeof(*nv), GFP_KERNEL);

		if (!nv) {
			fbt_patched.incomplete = true;
			return;
		}
		if (fbt_patched.v)
			memcpy(nv, fbt_patched.v, fbt_patched.n * sizeof(*nv));
		kvfree(fbt_patched.v);
		fbt_patched.v = nv;
		fbt_patched.cap = ncap;
	}
	fbt_patched.v[fbt_patched.n++] = a;
}

static int cmp_ulong(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;

	return x < y ? -1 : x > y;
}

/* jump_entry and static_call_site both start with an s32 relative to itself. */
static void patched_add_table(unsigned long start, unsigned long end, size_t stride)
{
	for (; start + sizeof(s32) <= end; start += stride) {
		const s32 *p = (const s32 *)start;

		patched_add((unsigned long)p + *p);
	}
}

/* Jump labels and static calls of the core kernel and of one module. */
void fbt_patched_collect(struct module *mod)
{
	if (!mod) {
		unsigned long s = pvfbt_ks.lookup_name("__start___jump_table");
		unsigned long e = pvfbt_ks.lookup_name("__stop___jump_table");

		if (s && e)
			patched_add_table(s, e, sizeof(struct jump_entry));
		s = pvfbt_ks.lookup_name("__start_static_call_sites");
		e = pvfbt_ks.lookup_name("__stop_static_call_sites");
		if (s && e)
			patched_add_table(s, e, sizeof(struct static_call_site));
		return;
	}
#ifdef CONFIG_JUMP_LABEL
	patched_add_table((unsigned long)mod->jump_entries,
			  (unsigned long)(mod->jump_entries + mod->num_jump_entries),
			  sizeof(struct jump_entry));
#endif
#ifdef CONFIG_HAVE_STATIC_CALL_INLINE
	patched_add_table((unsigned long)mod->static_call_sites,
			  (unsigned long)(mod->static_call_sites + mod->num_static_call_sites),
			  sizeof(struct static_call_site));
#endif
}

void fbt_patched_sort(void)
{
	sort(fbt_patched.v, fbt_patched.n, sizeof(*fbt_patched.v), cmp_ulong, NULL);
}

static bool patched_overlaps(unsigned long a, unsigned int len)
{
	u32 lo = 0, hi = fbt_patched.n;

	if (fbt_patched.incomplete)
		return true;
	/* Last site that starts at or before a + len - 1. */
	while (lo < hi) {
		u32 mid = lo + (hi - lo) / 2;

		if (fbt_patched.v[mid] <= a + len - 1)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo && fbt_patched.v[lo - 1] + 5 > a;
}

bool fbt_reserved(unsigned long a, unsigned int len)
{
	void *s = (void *)a, *e = (void *)(a + len - 1);

	if (patched_overlaps(a, len))
		return true;
	if (pvfbt_ks.alternatives_text_reserved(s, e))
		return true;
	if (pvfbt_ks.ftrace_text_reserved && pvfbt_ks.ftrace_text_reserved(s, e))
		return true;
	return false;
}

static bool is_rep_string(const struct pvfbt_insn *in)
{
	u8 op = in->opcode[0];

	if (!in->nprefix || in->opcode_len != 1)
		return false;
	return (op >= 0x6c && op <= 0x6f) || (op >= 0xa4 && op <= 0xa7) ||
	       (op >= 0xaa && op <= 0xaf);
}

/* Can a site with this instruction be probed? */
static bool site_ok(unsigned long a, const struct pvfbt_insn *in)
{
	switch (in->cls) {
	case PVFBT_CLS_NORMAL:
		/* A stepped instruction must not fault into an extable fixup. */
		if (pvfbt_ks.search_exception_tables(a))
			return false;
		/* A rep string op would trap once per iteration. */
		if (is_rep_string(in))
			return false;
		break;
	case PVFBT_CLS_JMP_REL:
	case PVFBT_CLS_JCC_REL:
	case PVFBT_CLS_CALL_REL:
	case PVFBT_CLS_RET:
	case PVFBT_CLS_NOP:
		break;
	case PVFBT_CLS_JMP_IND:
		if (!pvfbt_is_jmp_reg(in))
			return false;
		break;
	default:
		return false;
	}
	return !fbt_reserved(a, in->len);
}

bool fbt_is_return(const struct pvfbt_insn *in, unsigned long a)
{
	if (in->cls == PVFBT_CLS_RET)
		return true;
	return in->cls == PVFBT_CLS_JMP_REL &&
	       pvfbt_is_return_thunk(pvfbt_branch_target(in, a));
}

/*
 * A tail call: a jmp (or a jcc, a conditional tail call) to the start of
 * another function, which then returns to our caller.  It is a return of
 * this function, with the stack pointer it had at entry.  A jump into this
 * function's own .cold part is not (that code jumps back or returns itself:
 * its returns are this function's), nor is a jump to the middle of a symbol.
 */
static char symname[KSYM_SYMBOL_LEN];	/* under fbt_mutex */
static char symname2[KSYM_SYMBOL_LEN];	/* under fbt_mutex */

bool fbt_is_tailcall(const struct pvfbt_insn *in, unsigned long a,
			const struct fbt_func *f)
{
	unsigned long t, size, off;

	/*
	 * An indirect jump leaves the function unless it lands inside it
	 * (a computed goto; C has no jump tables here: retpoline builds use
	 * -fno-jump-tables).  The handler tells which, hit by hit.
	 */
	if (pvfbt_is_jmp_reg(in))
		return true;
	if (in->cls != PVFBT_CLS_JMP_REL && in->cls != PVFBT_CLS_JCC_REL)
		return false;
	t = pvfbt_branch_target(in, a);
	if (pvfbt_thunk_reg(t) >= 0)
		return true;
	/*
	 * A jump to its own start through the fentry nop is a recursive tail
	 * call: a return, then a new entry.  Without the nop it could be a
	 * loop to the first instruction (fbt_analyse() refuses that entry).
	 */
	if (t == f->addr && f->entry_addr != f->addr)
		return true;
	if (t >= f->addr && t < f->addr + f->size)
		return false;
	if (f->cold_size && within(t, f->cold_addr, f->cold_addr + f->cold_size))
		return false;
	if (!pvfbt_ks.lookup_size_offset(t, &size, &off) || off)
		return false;
	sprint_symbol_no_offset(symname, t);
	return !strstr(symname, ".cold");
}

/* Is there an ftrace (fentry) site at a: the 5-byte nop, or ftrace's call? */
static bool has_fentry(unsigned long a, const u8 *text, u32 avail)
{
	if (avail < 5)
		return false;
	if (pvfbt_ks.ftrace_location)
		return pvfbt_ks.ftrace_location(a) == a;
	return !memcmp(text, "\x0f\x1f\x44\x00\x00", 5);
}

/*
 * Text another tool wrote: a kprobe at a (the only other writer that puts
 * bytes inside a function body; ftrace owns the fentry site, which pvfbt
 * never reads as code).  An int3 kprobe keeps the byte it replaced: put it
 * back, as kprobes' own decoder does, and the walk stays in step.  An
 * optimised kprobe's jmp covers bytes whose originals pvfbt cannot know:
 * the walk is unsure from there.  Caller holds text_mutex, under which
 * kprobes writes.
 */
enum { OWN_NONE, OWN_INT3, OWN_UNSURE };

static int owner_at(unsigned long a, u8 *byte)
{
	struct kprobe *kp;
	int own = OWN_NONE;

	if (*byte != 0xcc && *byte != 0xe9)
		return OWN_NONE;
	rcu_read_lock_sched();
	kp = pvfbt_ks.get_kprobe((void *)a);
	if (kp) {
		own = OWN_UNSURE;
		if (*byte == 0xcc && !kprobe_optimized(kp)) {
			*byte = kp->opcode;
			own = OWN_INT3;
		}
	}
	rcu_read_unlock_sched();
	return own;
}

u32 fbt_nr_foreign;		/* functions with a PVFBT_EXCL_FOREIGN reason */

void fbt_set_foreign(u16 *reason)
{
	if (*reason == PVFBT_EXCL_FOREIGN)
		return;
	*reason = PVFBT_EXCL_FOREIGN;
	fbt_nr_foreign++;
}


/* What one walk over a function and its .cold part found. */
struct walk {
	struct fbt_func *f;
	s32 *rets;
	u32 n, cap;
	bool undecodable;	/* the decoder refused an instruction */
	bool bad_site;		/* a return site that cannot be probed */
	bool unsure;		/* a jump into a .cold part that is not ours */
	bool entry_target;	/* a jump to the entry site */
	bool jent_target;	/* a jump into a jump entry's range, after its start */
	bool indirect;		/* an indirect jump: its targets are unknown */
	bool foreign;		/* another tool's bytes: see owner_at() */
	bool ret_foreign;	/* a kprobe's int3 on a return site */
};

/*
 * A symbol's size.  kallsyms gives the distance to the next symbol: a
 * module's last symbol in a section then runs to the end of the module's
 * text, over other sections and padding, and a walk there would find
 * another function's returns, or bytes it cannot decode.  A module keeps
 * its ELF symbols: their st_size is exact where the assembler was told.
 * (vmlinux's kallsyms has no sizes; its text is packed with decodable
 * padding between symbols.)
 */
static unsigned long elf_size(struct module *mod, unsigned long a, unsigned long size)
{
	struct mod_kallsyms *ks;
	unsigned int i;

	if (!mod)
		return size;
	/* Under fbt_mutex: the module's GOING notifier has not run. */
	preempt_disable();
	ks = rcu_dereference_sched(mod->kallsyms);
	for (i = 0; i < ks->num_symtab; i++) {
		const Elf_Sym *sym = &ks->symtab[i];

		if (sym->st_value == a && sym->st_size &&
		    ELF_ST_TYPE(sym->st_info) == STT_FUNC && sym->st_size < size) {
			size = sym->st_size;
			break;
		}
	}
	preempt_enable();
	return size;
}

/* Is "name" (len bytes, a symbol's name before ".cold") f's own name? */
static bool cold_base_is(const struct fbt_func *f, const char *name, size_t len)
{
	char *sp;

	if (strlen(f->name) == len && !strncmp(f->name, name, len))
		return true;
	/* An alias of f (__do_sys_foo.cold for __x64_sys_foo). */
	sprint_symbol_no_offset(symname2, f->addr);
	sp = strchr(symname2, ' ');	/* " [module]" */
	if (sp)
		*sp = '\0';
	if (strlen(symname2) == len && !strncmp(symname2, name, len))
		return true;
	if (len >= sizeof(symname2))
		return false;
	memcpy(symname2, name, len);
	symname2[len] = '\0';
	return pvfbt_ks.lookup_name(symname2) == f->addr;
}

/*
 * A jump to t: if t is in a .cold part, that part must be f's own, and f
 * has only one (gcc splits a function in two); remember where it is.
 */
static void note_cold(struct walk *w, unsigned long t)
{
	struct fbt_func *f = w->f;
	unsigned long size, off;
	const char *c;

	if (within(t, f->addr, f->addr + f->size))
		return;
	if (!f->cold_size || !within(t, f->cold_addr, f->cold_addr + f->cold_size)) {
		if (!pvfbt_ks.lookup_size_offset(t, &size, &off) || !size)
			return;
		sprint_symbol_no_offset(symname, t);
		c = strstr(symname, ".cold");
		if (!c)
			return;		/* another function: a tail call, or nothing */
		if (!cold_base_is(f, symname, c - symname) || f->cold_size) {
			w->unsure = true;
			return;
		}
		f->cold_addr = t - off;
		f->cold_size = min_t(unsigned long, elf_size(f->mod, t - off, size), U32_MAX);
	}
}

static void add_ret(struct walk *w, unsigned long a, u32 tail)
{
	long off = (long)(a - w->f->addr);

	if (off <= -RET_SPAN || off >= RET_SPAN) {
		w->unsure = true;
		return;
	}
	if (w->n == w->cap) {
		u32 ncap = w->cap ? w->cap * 2 : 4;
		s32 *nr = krealloc(w->rets, ncap * sizeof(*nr), GFP_KERNEL);

		if (!nr) {
			w->bad_site = true;
			return;
		}
		w->rets = nr;
		w->cap = ncap;
	}
	w->rets[w->n++] = (s32)(off * (1 << RET_SHIFT)) | tail;
}

/*
 * Decode text (size bytes, at base) from off on: note the return sites,
 * the jumps to the entry site and the .cold part.  The walk is linear: the
 * decoder knows every instruction the compiler emits in text, and one it
 * refuses ends the walk (what follows is unknown).
 */
static void walk_text(struct walk *w, unsigned long base, const u8 *text,
		      u32 size, u32 off)
{
	struct pvfbt_insn in;
	int len, own;

	for (; off < size; off += len) {
		unsigned long a = base + off;
		u32 tail;

		/* text is the caller's copy: owner_at() may restore a byte */
		own = owner_at(a, (u8 *)text + off);
		if (own == OWN_UNSURE) {
			w->foreign = true;
			return;
		}
		len = pvfbt_decode(text + off, size - off, &in);
		if (len < 0) {
			w->undecodable = true;
			return;
		}
		if (fbt_is_return(&in, a)) {
			tail = pvfbt_jret_shape(a, text + off, size - off, &in) &&
			       !fbt_reserved(a, 5) ? RET_JUMP : 0;
		} else {
			if (in.cls == PVFBT_CLS_JMP_IND)
				w->indirect = true;
			if (in.cls == PVFBT_CLS_JMP_REL || in.cls == PVFBT_CLS_JCC_REL) {
				unsigned long t = pvfbt_branch_target(&in, a);

				if (t > w->f->entry_addr && t < w->f->entry_addr + w->f->jent_len)
					w->jent_target = true;
				if (pvfbt_thunk_reg(t) >= 0)
					w->indirect = true;

				/*
				 * Or to the endbr64 before it; one to the
				 * fentry nop is a tail call (fbt_is_tailcall()).
				 */
				if (t >= w->f->addr && t <= w->f->entry_addr &&
				    (t != w->f->addr || w->f->entry_addr == w->f->addr))
					w->entry_target = true;
				if (pvfbt_thunk_reg(t) < 0)
					note_cold(w, t);
			}
			if (!fbt_is_tailcall(&in, a, w->f))
				continue;
			tail = RET_TAIL;
		}
		/*
		 * A kprobe on a return site: the walk read the byte it
		 * replaced and went on, so it still knows every branch (a
		 * jump entry stays possible), but the return probe must wait.
		 */
		if (own == OWN_INT3)
			w->ret_foreign = true;
		if (!site_ok(a, &in)) {
			w->bad_site = true;
			continue;
		}
		add_ret(w, a, tail);
	}
}

/* Walk f's .cold part (found by the walk of f); a reason if it cannot be. */
static u16 walk_cold(struct walk *w, u32 fsize)
{
	struct fbt_func *f = w->f;
	u16 r;

	if (!f->cold_size)
		return PVFBT_OK;
	r = fbt_static_reason(f->cold_addr, f->mod);
	if (r)
		return r;
	if (f->cold_size > MAX_FUNC_SIZE - fsize)
		return PVFBT_EXCL_DECODE;
	if (pvfbt_read_text(f->cold_addr, fbt_textbuf + fsize, f->cold_size, NULL))
		return PVFBT_EXCL_NOT_TEXT;
	walk_text(w, f->cold_addr, fbt_textbuf + fsize, f->cold_size, 0);
	return PVFBT_OK;
}

/* Find the entry site and the return sites; set the reasons. */
void fbt_analyse(struct fbt_func *f)
{
	struct pvfbt_insn in;
	struct walk w = { .f = f };
	u32 i, off = 0, size = f->size;
	u16 cold;
	int len, own;

	if (f->entry_reason || size > MAX_FUNC_SIZE) {
		if (!f->entry_reason)
			f->entry_reason = f->return_reason = PVFBT_EXCL_DECODE;
		return;
	}
	/* Probed as part of its function: entering it is no call. */
	if (strstr(f->name, ".cold")) {
		f->entry_reason = f->return_reason = PVFBT_EXCL_COLD_PART;
		return;
	}
	if (pvfbt_read_text(f->addr, fbt_textbuf, size, NULL)) {
		f->entry_reason = f->return_reason = PVFBT_EXCL_NOT_TEXT;
		return;
	}
	/* Skip endbr64 (or its sealed nop) and the fentry site: IBT, ftrace. */
	if (size >= 4 && pvfbt_is_endbr(fbt_textbuf))
		off = 4;
	if (has_fentry(f->addr + off, fbt_textbuf + off, size - off)) {
		off += 5;
		f->fentry = 1;
	} else if (!f->mod) {
		/*
		 * Core kernel code that ftrace does not see is assembly (entry
		 * and exit stubs such as xen_iret live in .text) or notrace
		 * C, which the kernel keeps away from tracers for a reason.
		 */
		f->entry_reason = f->return_reason = PVFBT_EXCL_NOTRACE;
		return;
	}
	f->entry_addr = f->addr + off;
	if (off >= size) {
		f->entry_reason = f->return_reason = PVFBT_EXCL_TOO_SMALL;
		return;
	}
	own = owner_at(f->entry_addr, fbt_textbuf + off);
	len = pvfbt_decode(fbt_textbuf + off, size - off, &in);
	if (own != OWN_NONE)
		fbt_set_foreign(&f->entry_reason);
	else if (len < 0 || !site_ok(f->entry_addr, &in))
		f->entry_reason = PVFBT_EXCL_DECODE;
	/* The instructions a jump entry would move (jent.c); the walk checks the rest. */
	f->jent_len = 0;
	if (!f->entry_reason && elf_size(f->mod, f->addr, size) > off) {
		f->jent_len = pvfbt_jent_range(f->entry_addr, fbt_textbuf + off,
					       elf_size(f->mod, f->addr, size) - off,
					       &f->jent_starts);
		if (f->jent_len && fbt_reserved(f->entry_addr, f->jent_len))
			f->jent_len = 0;
	}

	/* Walk the whole function, then its .cold part. */
	walk_text(&w, f->addr, fbt_textbuf, elf_size(f->mod, f->addr, size), off);
	cold = w.undecodable ? PVFBT_OK : walk_cold(&w, size);

	/*
	 * The entry site runs once per call only if no jump leads back to
	 * it: text we could not walk may hold one.
	 */
	if (!f->entry_reason) {
		if (w.undecodable)
			f->entry_reason = PVFBT_EXCL_DECODE;
		else if (cold)
			f->entry_reason = cold;
		else if (w.entry_target)
			f->entry_reason = PVFBT_EXCL_BRANCH_TARGET;
	}
	/*
	 * A jump entry needs every branch into the function known: none
	 * into its range, no indirect jump, nothing we could not walk.
	 */
	if (f->entry_reason || w.undecodable || w.unsure || w.foreign || cold ||
	    w.jent_target || w.indirect)
		f->jent_len = 0;
	/*
	 * Nor a return site in the range (a tail call: the range may hold a
	 * jump): its probe would write bytes the detour moved.
	 */
	for (i = 0; f->jent_len && i < w.n; i++) {
		unsigned long a = f->addr + (long)(w.rets[i] >> RET_SHIFT);

		if (a >= f->entry_addr && a < f->entry_addr + f->jent_len)
			f->jent_len = 0;
	}
	/* Text we cannot walk: no return probe (we could miss a site). */
	if ((w.foreign || w.ret_foreign) && !f->return_reason)
		fbt_set_foreign(&f->return_reason);	/* while another tool's bytes are there */
	else if (cold)
		f->return_reason = cold;
	else if (w.undecodable || w.bad_site || w.unsure)
		f->return_reason = PVFBT_EXCL_DECODE;
	else if (!w.n)
		f->return_reason = PVFBT_EXCL_NO_RETURN;
	if (f->return_reason) {
		kfree(w.rets);
		return;
	}
	f->ret_off = w.rets;
	f->nret = min_t(u32, w.n, U16_MAX);
}

u16 fbt_static_reason(unsigned long a, struct module *mod)
{
	struct pvfbt_ksyms *k = &pvfbt_ks;

	if (mod == THIS_MODULE)
		return PVFBT_EXCL_SELF;
	if (!mod) {
		if (within(a, k->noinstr_start, k->noinstr_end))
			return PVFBT_EXCL_NOINSTR;
		if (within(a, k->entry_start, k->entry_end) ||
		    within(a, k->irqentry_start, k->irqentry_end) ||
		    within(a, k->softirqentry_start, k->softirqentry_end))
			return PVFBT_EXCL_ENTRY_TEXT;
		if (within(a, k->sinittext, k->einittext))
			return PVFBT_EXCL_INIT;
	}
	if (k->within_kprobe_blacklist(a))
		return PVFBT_EXCL_BLACKLIST;
	return PVFBT_OK;
}



/*
 * Look again at functions refused because another tool owned their text:
 * the tool may be gone.  A probe whose sites exist is re-checked site by
 * site; one without sites is analysed again (its other probe's sites, if
 * any, keep what they were made from).
 */
static bool sites_ok(struct pvfbt_site **v, u32 n)
{
	u32 i;

	for (i = 0; i < n; i++)
		if (!v[i]->armed && !pvfbt_site_text_ok(v[i], true))
			return false;
	return true;
}

static unsigned long ret_addr(const struct fbt_func *f, u32 i);

/* No kprobe on or over any of f's return sites. */
static bool rets_free(const struct fbt_func *f)
{
	u32 i;

	for (i = 0; i < f->nret; i++)
		if (pvfbt_foreign(ret_addr(f, i)))
			return false;
	return true;
}

void fbt_refresh_foreign(void)
{
	u32 i, left = 0;

	if (!fbt_nr_foreign)
		return;
	pvfbt_text_lock();
	for (i = 0; i < fbt_nr_funcs; i++) {
		struct fbt_func *f = fbt_funcs[i];
		bool fe, fr;

		if (!f)
			continue;
		fe = f->entry_reason == PVFBT_EXCL_FOREIGN;
		fr = f->return_reason == PVFBT_EXCL_FOREIGN;
		if (!fe && !fr)
			continue;
		if (fe && f->entry && sites_ok(&f->entry, 1))
			f->entry_reason = fe = PVFBT_OK;
		if (fr && f->rets && sites_ok(f->rets, f->nret))
			f->return_reason = fr = PVFBT_OK;
		if ((fe && !f->entry) || (fr && !f->rets)) {
			unsigned long entry_addr = f->entry_addr;
			u16 er = f->entry_reason, rr = f->return_reason, nret = f->nret;
			s32 *ret_off = f->ret_off;

			f->entry_reason = f->return_reason = fbt_static_reason(f->addr, f->mod);
			f->ret_off = NULL;
			f->nret = 0;
			if (!f->rets) {
				kfree(ret_off);
				ret_off = NULL;
			}
			fbt_analyse(f);
			if (f->trap_path) {	/* never probeable, whatever the text */
				if (!f->entry_reason)
					f->entry_reason = PVFBT_EXCL_TRAP_PATH;
				if (!f->return_reason)
					f->return_reason = PVFBT_EXCL_TRAP_PATH;
			}
			/* A kprobe registered but not armed leaves the bytes as they were. */
			if (!f->entry && !f->entry_reason &&
			    pvfbt_foreign(f->entry_addr))
				fbt_set_foreign(&f->entry_reason);
			if (!f->rets && !f->return_reason && !rets_free(f))
				fbt_set_foreign(&f->return_reason);
			if (f->entry) {
				f->entry_addr = entry_addr;
				f->entry_reason = er;
			}
			if (f->rets) {
				kfree(f->ret_off);
				f->ret_off = ret_off;
				f->nret = nret;
				f->return_reason = rr;
			}
		}
		left += f->entry_reason == PVFBT_EXCL_FOREIGN ||
			f->return_reason == PVFBT_EXCL_FOREIGN;
	}
	pvfbt_text_unlock();
	fbt_nr_foreign = left;
}

/* ---- the trap path: everything pvfbt's handlers can reach ---- */

static struct fbt_func *find_func(unsigned long a)
{
	u32 lo = 0, hi = fbt_nr_funcs;

	/*
	 * The catalogue is sorted by address when it is built (vmlinux, then
	 * the modules, all above it); only the trap-path scan, which runs
	 * then, searches it.
	 */
	while (lo < hi) {
		u32 mid = lo + (hi - lo) / 2;
		struct fbt_func *f = fbt_funcs[mid];

		if (a < f->addr)
			hi = mid;
		else if (a >= f->addr + f->size)
			lo = mid + 1;
		else
			return f;
	}
	return NULL;
}

struct worklist {
	struct fbt_func **v;
	u32 n, cap;
};

static void mark_trap(struct worklist *w, unsigned long a)
{
	struct fbt_func *f = find_func(a);

	if (!f || f->trap_path || f->mod == THIS_MODULE || w->n >= w->cap)
		return;
	f->trap_path = 1;
	w->v[w->n++] = f;
}

/* Mark every function reached by direct calls and jumps from [a, a+size). */
static void scan_calls(struct worklist *w, unsigned long a, u32 size)
{
	struct pvfbt_insn in;
	u32 off;
	int len;

	if (size > MAX_FUNC_SIZE || pvfbt_read_text(a, fbt_textbuf, size, NULL))
		return;
	for (off = 0; off < size; off += len) {
		len = pvfbt_decode(fbt_textbuf + off, size - off, &in);
		if (len < 0)
			return;
		if (in.cls == PVFBT_CLS_CALL_REL || in.cls == PVFBT_CLS_JMP_REL ||
		    in.cls == PVFBT_CLS_JCC_REL) {
			unsigned long t = pvfbt_branch_target(&in, a + off);

			if (t < a || t >= a + size)
				mark_trap(w, t);
		}
	}
}


/*
 * Arming order.  Once a site is armed every call to it traps, and while a
 * batch of thousands of sites is written, the writing itself (text_poke()
 * and its callees) and the timer tick run the same functions over and over:
 * armed early, they trap hundreds of times per batch.  Their sites are
 * written last, hottest last: the roots below, then their direct callees,
 * then those callees' callees (the level is kept per function and given to
 * the site).  It changes nothing but the order of one batch's writes, all
 * of which land before the batch's final sync.
 */
#define HOT_ROOT	PVFBT_ORDER_MAX
static const char *const hot_roots[] = {
	/* text_poke() and what it reaches through pointers (Xen: cr3) */
	"text_poke", "text_poke_memcpy", "text_poke_set", "set_current_cr3",
	"copy_from_kernel_nofault", "flush_tlb_mm_range", "switch_mm_irqs_off",
	/* the timer tick and idle, as profiled with every entry armed */
	"__sysvec_apic_timer_interrupt", "lapic_next_event", "update_wall_time",
	"timekeeping_advance", "update_fast_timekeeper", "ntp_tick_length",
	"tick_do_update_jiffies64", "calc_global_load", "task_tick_fair",
	"task_tick_idle", "hrtick_update", "raw_notifier_call_chain",
	"rebalance_domains", "run_rebalance_domains", "rcu_needs_cpu",
	"get_next_timer_interrupt", "hrtimer_get_next_event",
	"__sysvec_call_function_single", "generic_smp_call_function_single_interrupt",
	"default_idle_call", "arch_cpu_idle", "amd_e400_idle", "xen_safe_halt",
	"__xen_pv_evtchn_do_upcall", "evtchn_fifo_handle_events", "handle_irq_desc",
	"generic_handle_irq", "handle_irq_for_port",
	"hrtimer_interrupt", "__hrtimer_run_queues", "tick_sched_timer",
	"tick_sched_handle", "update_process_times", "scheduler_tick", "sched_tick",
	"account_process_tick", "irq_enter_rcu", "irq_exit_rcu", "__irq_exit_rcu",
	"xen_timer_interrupt", "__xen_evtchn_do_upcall", "xen_evtchn_do_upcall",
	"handle_irq_event", "do_idle", "cpuidle_idle_call", "schedule", "__schedule",
	"rcu_core", "__do_softirq", "handle_softirqs", "run_timer_softirq",
	"mutex_lock", "mutex_unlock", "_raw_spin_lock", "_raw_spin_unlock",
	"_raw_spin_lock_irqsave", "_raw_spin_unlock_irqrestore", "ktime_get",
	"smp_call_function_many_cond", "on_each_cpu_cond_mask",
};

static void hot_scan(struct fbt_func *f, u8 level)
{
	struct pvfbt_insn in;
	u32 off;
	int len;

	if (f->size > MAX_FUNC_SIZE || pvfbt_read_text(f->addr, fbt_textbuf, f->size, NULL))
		return;
	for (off = 0; off < f->size; off += len) {
		struct fbt_func *t;

		len = pvfbt_decode(fbt_textbuf + off, f->size - off, &in);
		if (len < 0)
			return;
		if (in.cls != PVFBT_CLS_CALL_REL && in.cls != PVFBT_CLS_JMP_REL &&
		    in.cls != PVFBT_CLS_JCC_REL)
			continue;
		t = find_func(pvfbt_branch_target(&in, f->addr + off));
		if (t && t != f && t->hot < level)
			t->hot = level;
	}
}

void fbt_compute_hot(void)
{
	u32 i, n = 0;
	int level, r;

	for (r = 0; r < ARRAY_SIZE(hot_roots); r++) {
		struct fbt_func *f = find_func(pvfbt_ks.lookup_name(hot_roots[r]));

		if (f)
			f->hot = HOT_ROOT;
	}
#ifdef CONFIG_PARAVIRT
	/* text_poke() maps its page through these: hypercalls under Xen PV. */
	for (r = 0; r < sizeof(pv_ops.mmu) / sizeof(void *); r++) {
		struct fbt_func *f = find_func(((unsigned long *)&pv_ops.mmu)[r]);

		if (f)
			f->hot = HOT_ROOT;
	}
#endif
	for (level = HOT_ROOT; level > 1; level--)
		for (i = 0; i < fbt_nr_funcs; i++)
			if (fbt_funcs[i]->hot == level)
				hot_scan(fbt_funcs[i], level - 1);
	for (i = 0; i < fbt_nr_funcs; i++)
		n += !!fbt_funcs[i]->hot;
	pr_info(PVFBT_NAME ": %u hot functions armed last\n", n);
}

/* The clocksources' read functions (and what they call, by the closure). */
static const char *const clock_reads[] = {
	"read_tsc", "read_hpet", "acpi_pm_read", "acpi_pm_read_verified",
	"jiffies_read", "xen_clocksource_get_cycles", "xen_clocksource_read",
	"kvm_clock_get_cycles", "kvm_clock_read", "read_hv_clock_tsc",
	"read_hv_clock_msr", "pvclock_clocksource_read",
	"pvclock_clocksource_read_nowd",
};

/*
 * Without the whole closure, a probe on the trap path could recurse on
 * every hit: the catalogue is refused rather than built without it.
 */
int fbt_compute_trap_path(void)
{
	unsigned long roots[48];
	struct worklist w;
	int i, n;

	w.cap = fbt_nr_funcs;
	w.n = 0;
	w.v = kvmalloc_array(w.cap, sizeof(*w.v), GFP_KERNEL);
	if (!w.v)
		return -ENOMEM;
	/*
	 * Roots: what pvfbt's trap-context functions call, the other
	 * die-notifier callbacks, and the paravirt CPU and IRQ operations
	 * (under Xen PV the xen_* backends that trap entry and exit use).
	 */
	n = pvfbt_trap_roots(roots, ARRAY_SIZE(roots));
	for (i = 0; i < n; i++) {
		unsigned long size = 0, off = 0;

		if (pvfbt_ks.lookup_size_offset(roots[i], &size, &off) && !off)
			scan_calls(&w, roots[i], size);
	}
	/*
	 * Every record reads the clock: ktime_get_mono_fast_ns() calls the
	 * clocksource's read() through a pointer.  Probing it (read_hpet in
	 * a QEMU guest) made every hit recurse into itself up to the depth
	 * guard: a third of all hits with every entry armed.
	 */
	for (i = 0; i < ARRAY_SIZE(clock_reads); i++) {
		unsigned long a = pvfbt_ks.lookup_name(clock_reads[i]);

		if (a)
			mark_trap(&w, a);
	}
	/* --stack: pvfbt_record() unwinds through a pointer to these. */
	if (pvfbt_ks.stack_trace_save_regs)
		mark_trap(&w, (unsigned long)pvfbt_ks.stack_trace_save_regs);
	if (pvfbt_ks.stack_trace_consume_entry)
		mark_trap(&w, pvfbt_ks.stack_trace_consume_entry);
	/* System call strings: copied through a pointer too. */
	if (pvfbt_ks.strncpy_from_user_nofault)
		mark_trap(&w, (unsigned long)pvfbt_ks.strncpy_from_user_nofault);
	n = pvfbt_die_callbacks(roots, ARRAY_SIZE(roots));
	if (n <= 0 || n == ARRAY_SIZE(roots)) {
		pr_err(PVFBT_NAME ": cannot read the die notifier chain\n");
		kvfree(w.v);
		return -ENOENT;
	}
	for (i = 0; i < n; i++)
		mark_trap(&w, roots[i]);
#ifdef CONFIG_PARAVIRT
	for (i = 0; i < sizeof(pv_ops.cpu) / sizeof(void *); i++)
		mark_trap(&w, ((unsigned long *)&pv_ops.cpu)[i]);
#endif
#ifdef CONFIG_PARAVIRT
	for (i = 0; i < sizeof(pv_ops.irq) / sizeof(void *); i++)
		mark_trap(&w, ((unsigned long *)&pv_ops.irq)[i]);
#endif
	for (i = 0; i < w.n; i++)
		scan_calls(&w, w.v[i]->addr, w.v[i]->size);
	/* Over foreign-text too: that reason can clear, this one must not. */
	for (i = 0; i < w.n; i++) {
		if (!w.v[i]->entry_reason || w.v[i]->entry_reason == PVFBT_EXCL_FOREIGN)
			w.v[i]->entry_reason = PVFBT_EXCL_TRAP_PATH;
		if (!w.v[i]->return_reason || w.v[i]->return_reason == PVFBT_EXCL_FOREIGN)
			w.v[i]->return_reason = PVFBT_EXCL_TRAP_PATH;
	}
	pr_info(PVFBT_NAME ": %u functions on the trap path excluded\n", w.n);
	kvfree(w.v);
	return 0;
}

