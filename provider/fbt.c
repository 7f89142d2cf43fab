// SPDX-License-Identifier: GPL-2.0
/*
 * The fbt provider: the catalogue of kernel functions and their probes.
 *
 * Every function of the core kernel's text and of each live module's core
 * text gets a function id (fid) and two probes: 2*fid (entry) and 2*fid+1
 * (return).  Ids only grow: a module that becomes live later appends its
 * functions; an unloaded module's entries are freed and their ids never
 * reused (a consumer that listed them may still hold them).  A module is
 * catalogued once, when it is live: not while its init runs (its symbol
 * table is then the init-time copy, freed when init ends) nor once it is
 * going.
 *
 * The entry site is the first instruction after the ftrace fentry nop (and
 * after endbr64 where IBT is on): the nop belongs to ftrace.  An entry site
 * that a jump in the function targets (a loop back to the first
 * instruction) is refused: it would fire once per iteration.  Return sites
 * are found by decoding the function's live text from its start: every ret,
 * ret imm16, jmp to __x86_return_thunk and tail call, in the function and
 * in its .cold part (the FUNC.cold symbol gcc splits unlikely code into,
 * found by following the function's jumps there).
 *
 * Functions are excluded by rule, and the rule is kept as the probe's reason
 * (pvfbt -l -v prints it): the kprobe blacklist, .noinstr.text, the entry
 * text, init text, pvfbt itself, everything pvfbt's trap path reaches by
 * direct calls (computed from pvfbt's own code, the die-notifier callbacks
 * and the paravirt operations), and sites the decoder refuses or that the
 * kernel itself may patch at run time (jump labels, static calls,
 * alternatives, ftrace).
 */
#include <linux/kernel.h>
#include <linux/workqueue.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/mm.h>
#include <linux/sort.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/kallsyms.h>
#include <linux/module.h>
#include <linux/rcupdate.h>
#include <linux/notifier.h>
#include <linux/kdebug.h>
#include <linux/jump_label.h>
#include <linux/static_call_types.h>
#include <linux/timekeeping.h>
#include <linux/kprobes.h>
#include <asm/paravirt.h>
#include "driver/pvfbt.h"
#include "pvfbt_compat.h"

#define MAX_FUNC_SIZE	(64 * 1024)	/* larger functions get no return probe */
/*
 * ret_off[]: a return site is (its offset from the function's start) << 2,
 * bit 0 set for a tail call, bit 1 for a return a jump can reach (jret.c:
 * its live text has one of the 5-byte forms, and no patched text overlaps
 * it).  Signed: a site in the function's .cold part can lie below the
 * function.
 */
#define RET_TAIL	1
#define RET_JUMP	2
#define RET_SHIFT	2
#define RET_SPAN	(1L << 29)	/* |offset| below this */

struct fbt_func {
	unsigned long addr;
	unsigned long entry_addr;
	u32 size;
	u16 entry_reason;
	u16 return_reason;
	u16 nret;
	u8 trap_path;
	u8 hot;				/* arming order: HOT_ROOT is armed last */
	u8 fentry;			/* the entry site follows an ftrace site */
	u8 jent_len;			/* the entry's jump range (jent.c), 0: none */
	struct module *mod;		/* NULL: vmlinux */
	char *name;
	char modname[PVFBT_MODNAME_LEN];
	s32 *ret_off;			/* the return sites, see RET_TAIL */
	unsigned long cold_addr;	/* the function's .cold part, if any */
	u32 cold_size;			/* 0: none */
	struct pvfbt_site *entry;	/* created on first enable */
	struct pvfbt_site **rets;
};

/* pvfbt_site.fcall: see call_entries_sync() */
#define FCALL_ON	1
#define FCALL_PENDING	2

static DEFINE_MUTEX(fbt_mutex);
static struct fbt_func **funcs;		/* indexed by fid */
static u32 nr_funcs, cap_funcs;
static bool catalogue_built;
static u32 nr_armed;
static u8 *textbuf;			/* MAX_FUNC_SIZE, under fbt_mutex */

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

	if (nr_funcs + more <= cap_funcs)
		return 0;
	ncap = max(cap_funcs * 2, nr_funcs + more);
	nv = kvmalloc_array(ncap, sizeof(*nv), GFP_KERNEL);
	if (!nv)
		return -ENOMEM;
	if (funcs)
		memcpy(nv, funcs, nr_funcs * sizeof(*nv));
	kvfree(funcs);
	funcs = nv;
	cap_funcs = ncap;
	return 0;
}

static bool within(unsigned long a, unsigned long lo, unsigned long hi)
{
	return a >= lo && a < hi;
}

/*
 * Text the kernel patches at run time: jump labels and static calls.  The
 * kernel's own *_text_reserved() checks scan every entry on each call;
 * pvfbt asks about every function at once, so it keeps the sites sorted.
 * A site is taken as 5 bytes (the longest form).
 */
struct patched {
	unsigned long *v;
	u32 n, cap;
	bool incomplete;	/* an allocation failed: every site counts as patched */
};
static struct patched patched;

static void patched_add(unsigned long a)
{
	if (patched.n == patched.cap) {
		u32 ncap = patched.cap ? patched.cap * 2 : 16384;
		unsigned long *nv = kvmalloc_array(ncap, sizeof(*nv), GFP_KERNEL);

		if (!nv) {
			patched.incomplete = true;
			return;
		}
		if (patched.v)
			memcpy(nv, patched.v, patched.n * sizeof(*nv));
		kvfree(patched.v);
		patched.v = nv;
		patched.cap = ncap;
	}
	patched.v[patched.n++] = a;
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
static void patched_collect(struct module *mod)
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

static void patched_sort(void)
{
	sort(patched.v, patched.n, sizeof(*patched.v), cmp_ulong, NULL);
}

static bool patched_overlaps(unsigned long a, unsigned int len)
{
	u32 lo = 0, hi = patched.n;

	if (patched.incomplete)
		return true;
	/* Last site that starts at or before a + len - 1. */
	while (lo < hi) {
		u32 mid = lo + (hi - lo) / 2;

		if (patched.v[mid] <= a + len - 1)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo && patched.v[lo - 1] + 5 > a;
}

static bool reserved(unsigned long a, unsigned int len)
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
	return !reserved(a, in->len);
}

static bool is_return(const struct pvfbt_insn *in, unsigned long a)
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

static bool is_tailcall(const struct pvfbt_insn *in, unsigned long a,
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
	 * loop to the first instruction (analyse() refuses that entry).
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

static u32 nr_foreign;		/* functions with a PVFBT_EXCL_FOREIGN reason */

static void set_foreign(u16 *reason)
{
	if (*reason == PVFBT_EXCL_FOREIGN)
		return;
	*reason = PVFBT_EXCL_FOREIGN;
	nr_foreign++;
}

static u16 static_reason(unsigned long a, struct module *mod);

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
		if (is_return(&in, a)) {
			tail = pvfbt_jret_shape(a, text + off, size - off, &in) &&
			       !reserved(a, 5) ? RET_JUMP : 0;
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
				 * fentry nop is a tail call (is_tailcall()).
				 */
				if (t >= w->f->addr && t <= w->f->entry_addr &&
				    (t != w->f->addr || w->f->entry_addr == w->f->addr))
					w->entry_target = true;
				if (pvfbt_thunk_reg(t) < 0)
					note_cold(w, t);
			}
			if (!is_tailcall(&in, a, w->f))
				continue;
			tail = RET_TAIL;
		}
		if (own == OWN_INT3)	/* a kprobe on a return site */
			w->foreign = true;
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
	r = static_reason(f->cold_addr, f->mod);
	if (r)
		return r;
	if (f->cold_size > MAX_FUNC_SIZE - fsize)
		return PVFBT_EXCL_DECODE;
	if (pvfbt_read_text(f->cold_addr, textbuf + fsize, f->cold_size))
		return PVFBT_EXCL_NOT_TEXT;
	walk_text(w, f->cold_addr, textbuf + fsize, f->cold_size, 0);
	return PVFBT_OK;
}

/* Find the entry site and the return sites; set the reasons. */
static void analyse(struct fbt_func *f)
{
	struct pvfbt_insn in;
	struct walk w = { .f = f };
	u32 off = 0, size = f->size;
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
	if (pvfbt_read_text(f->addr, textbuf, size)) {
		f->entry_reason = f->return_reason = PVFBT_EXCL_NOT_TEXT;
		return;
	}
	/* Skip endbr64 (or its sealed nop) and the fentry site: IBT, ftrace. */
	if (size >= 4 && pvfbt_is_endbr(textbuf))
		off = 4;
	if (has_fentry(f->addr + off, textbuf + off, size - off)) {
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
	own = owner_at(f->entry_addr, textbuf + off);
	len = pvfbt_decode(textbuf + off, size - off, &in);
	if (own != OWN_NONE)
		set_foreign(&f->entry_reason);
	else if (len < 0 || !site_ok(f->entry_addr, &in))
		f->entry_reason = PVFBT_EXCL_DECODE;
	/* The instructions a jump entry would move (jent.c); the walk checks the rest. */
	f->jent_len = 0;
	if (!f->entry_reason && elf_size(f->mod, f->addr, size) > off) {
		f->jent_len = pvfbt_jent_range(f->entry_addr, textbuf + off,
					       elf_size(f->mod, f->addr, size) - off);
		if (f->jent_len && reserved(f->entry_addr, f->jent_len))
			f->jent_len = 0;
	}

	/* Walk the whole function, then its .cold part. */
	walk_text(&w, f->addr, textbuf, elf_size(f->mod, f->addr, size), off);
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
	/* Text we cannot walk: no return probe (we could miss a site). */
	if (w.foreign && !f->return_reason)
		set_foreign(&f->return_reason);	/* while another tool's bytes are there */
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

static u16 static_reason(unsigned long a, struct module *mod)
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

/* Turn sorted symbols into catalogue entries, one per address. */
static int add_syms(struct collect *c)
{
	u32 i, j, first = nr_funcs;
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
		f->entry_reason = static_reason(f->addr, f->mod);
		if (strlen(best) >= PVFBT_NAME_LEN)
			f->entry_reason = PVFBT_EXCL_NAME;
		f->return_reason = f->entry_reason;
		funcs[nr_funcs++] = f;
	}
	for (i = first; i < nr_funcs; i++) {
		mutex_lock(pvfbt_ks.text_mutex);
		analyse(funcs[i]);
		mutex_unlock(pvfbt_ks.text_mutex);
	}
	return 0;
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

static void refresh_foreign(void)
{
	u32 i, left = 0;

	if (!nr_foreign)
		return;
	mutex_lock(pvfbt_ks.text_mutex);
	for (i = 0; i < nr_funcs; i++) {
		struct fbt_func *f = funcs[i];
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

			f->entry_reason = f->return_reason = static_reason(f->addr, f->mod);
			f->ret_off = NULL;
			f->nret = 0;
			if (!f->rets) {
				kfree(ret_off);
				ret_off = NULL;
			}
			analyse(f);
			if (f->trap_path) {	/* never probeable, whatever the text */
				if (!f->entry_reason)
					f->entry_reason = PVFBT_EXCL_TRAP_PATH;
				if (!f->return_reason)
					f->return_reason = PVFBT_EXCL_TRAP_PATH;
			}
			/* A kprobe registered but not armed leaves the bytes as they were. */
			if (!f->entry && !f->entry_reason &&
			    pvfbt_foreign(f->entry_addr))
				set_foreign(&f->entry_reason);
			if (!f->rets && !f->return_reason && !rets_free(f))
				set_foreign(&f->return_reason);
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
	mutex_unlock(pvfbt_ks.text_mutex);
	nr_foreign = left;
}

static void free_collect(struct collect *c)
{
	u32 i;

	for (i = 0; i < c->n; i++)
		kfree(c->v[i].name);
	kvfree(c->v);
}

/* ---- the trap path: everything pvfbt's handlers can reach ---- */

static struct fbt_func *find_func(unsigned long a)
{
	u32 lo = 0, hi = nr_funcs;

	/*
	 * The catalogue is sorted by address when it is built (vmlinux, then
	 * the modules, all above it); only the trap-path scan, which runs
	 * then, searches it.
	 */
	while (lo < hi) {
		u32 mid = lo + (hi - lo) / 2;
		struct fbt_func *f = funcs[mid];

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

	if (size > MAX_FUNC_SIZE || pvfbt_read_text(a, textbuf, size))
		return;
	for (off = 0; off < size; off += len) {
		len = pvfbt_decode(textbuf + off, size - off, &in);
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

	if (f->size > MAX_FUNC_SIZE || pvfbt_read_text(f->addr, textbuf, f->size))
		return;
	for (off = 0; off < f->size; off += len) {
		struct fbt_func *t;

		len = pvfbt_decode(textbuf + off, f->size - off, &in);
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

static void compute_hot(void)
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
		for (i = 0; i < nr_funcs; i++)
			if (funcs[i]->hot == level)
				hot_scan(funcs[i], level - 1);
	for (i = 0; i < nr_funcs; i++)
		n += !!funcs[i]->hot;
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
static int compute_trap_path(void)
{
	unsigned long roots[48];
	struct worklist w;
	int i, n;

	w.cap = nr_funcs;
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

static void collect_patched(struct collect *c)
{
	struct module *last = NULL;
	u32 i;

	/* c->v is sorted by address: a module's symbols are contiguous. */
	for (i = 0; i < c->n; i++) {
		if (c->v[i].mod == last)
			continue;
		last = c->v[i].mod;
		patched_collect(last);
	}
	patched_sort();
}

/* A failed build leaves nothing behind: the next one starts from empty. */
static void catalogue_reset(void)
{
	u32 i;

	for (i = 0; i < nr_funcs; i++) {
		if (!funcs[i])
			continue;
		kfree(funcs[i]->ret_off);
		kfree(funcs[i]->name);
		kfree(funcs[i]);
	}
	nr_funcs = 0;
	nr_foreign = 0;
	patched.n = 0;
	patched.incomplete = false;
}

static int build_catalogue(void)
{
	struct collect c = {};
	u64 t0 = ktime_get_ns();
	int err;

	if (catalogue_built)
		return 0;
	patched_collect(NULL);
	patched_sort();
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
	err = compute_trap_path();
	if (err)
		goto fail;
	compute_hot();
	catalogue_built = true;
	pr_info(PVFBT_NAME ": catalogue of %u functions in %llu ms\n", nr_funcs,
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
	return READ_ONCE(nr_funcs);
}

u32 pvfbt_fbt_nr_armed(void)
{
	return READ_ONCE(nr_armed);
}

/* What the catalogue holds: entries, names, return offsets, sites, tables. */
u64 pvfbt_fbt_bytes(void)
{
	u64 b;
	u32 i;

	mutex_lock(&fbt_mutex);
	b = (u64)cap_funcs * sizeof(*funcs) + (u64)patched.cap * sizeof(*patched.v) +
	    (textbuf ? MAX_FUNC_SIZE : 0);
	for (i = 0; i < nr_funcs; i++) {
		struct fbt_func *f = funcs[i];

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

static unsigned long ret_addr(const struct fbt_func *f, u32 i)
{
	return f->addr + (long)(f->ret_off[i] >> RET_SHIFT);
}

static bool ret_tail(const struct fbt_func *f, u32 i)
{
	return f->ret_off[i] & RET_TAIL;
}

/* The end of the part of f (the function or its .cold part) holding a. */
static unsigned long part_end(const struct fbt_func *f, unsigned long a)
{
	if (f->cold_size && within(a, f->cold_addr, f->cold_addr + f->cold_size))
		return f->cold_addr + f->cold_size;
	return f->addr + f->size;
}

static bool ret_jump(const struct fbt_func *f, u32 i)
{
	return f->ret_off[i] & RET_JUMP;
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
		err = build_catalogue();
		if (err) {
			mutex_unlock(&fbt_mutex);
			break;
		}
		if (first) {
			pvfbt_jret_reclaim();
			refresh_foreign();
			total = nr_funcs;
		}
		first = false;
		for (n = 0; i < nr_funcs && req->count + n < req->max && n < LIST_CHUNK_FUNCS;
		     i++) {
			struct fbt_func *f = funcs[i];

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

/* ---- arming ---- */

/*
 * A site is made from the live text, under text_mutex, and only if that
 * text is what the analysis found: no kprobe on the instruction or in the
 * four bytes before it (an optimised kprobe's jmp), no foreign int3, and
 * for a return site still a return or a tail call.  Its original bytes are
 * kept: every later write checks them (pvfbt_poke_int3()).
 */
static struct pvfbt_site *get_site(struct fbt_func *f, unsigned long a, u8 kind)
{
	struct pvfbt_site *s = pvfbt_site_lookup(a);
	unsigned int avail = min_t(unsigned long, sizeof(s->code), part_end(f, a) - a);
	struct pvfbt_insn in;
	u8 bytes[sizeof(s->code)];
	int err;

	if (s) {
		if (s->lost)
			return ERR_PTR(-EBUSY);
		s->kinds |= kind;
		return s;
	}
	memset(bytes, 0, sizeof(bytes));
	if (pvfbt_read_text(a, bytes, avail))
		return ERR_PTR(-EFAULT);
	if (bytes[0] == 0xcc || pvfbt_foreign(a) ||
	    pvfbt_decode(bytes, avail, &in) < 0 ||
	    (kind == PVFBT_SITE_RETURN && !is_return(&in, a) && !is_tailcall(&in, a, f)))
		return ERR_PTR(-EBUSY);
	s = kzalloc(sizeof(*s), GFP_KERNEL);
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
	 * the one the analysis checked.  Otherwise, or without a detour, an
	 * int3 site.
	 */
	err = -EINVAL;
	s->slot = -1;
	if (kind == PVFBT_SITE_ENTRY && a == f->entry_addr && f->jent_len &&
	    pvfbt_jret_enabled() && pvfbt_jent_range(a, bytes, avail) == f->jent_len)
		err = pvfbt_jent_prepare(s, bytes, f->jent_len);
	if (err)
		err = pvfbt_site_prepare(s, bytes, avail);
	/*
	 * A return (not a tail call, not the entry site) in one of the
	 * 5-byte forms that no patched text overlaps: reached by a jump when
	 * armed (jret.c).  Without a stub it stays an int3 site.
	 */
	if (!err && kind == PVFBT_SITE_RETURN && a != f->entry_addr &&
	    is_return(&in, a) && pvfbt_jret_shape(a, bytes, avail, &in) &&
	    !reserved(a, 5))
		pvfbt_jret_prepare(s);
	if (!err)
		err = pvfbt_site_insert(s);
	if (err) {
		pvfbt_site_release_slot(s);
		kfree(s);
		return ERR_PTR(err);
	}
	return s;
}

/* Undo get_site() of a site that was never armed nor published. */
static void put_new_site(struct pvfbt_site *s)
{
	if (s->live)
		pvfbt_site_remove(s);
	pvfbt_site_release_slot(s);
	kfree(s);
}

/*
 * Create the sites of one probe.  Under fbt_mutex and text_mutex.  A
 * return probe's array is published only once every one of its sites
 * exists: a failure leaves the function as it was.
 */
static int make_sites(struct fbt_func *f, u32 fid, bool ret)
{
	struct pvfbt_site **v;
	u32 i, j;

	if (!ret) {
		if (!f->entry) {
			struct pvfbt_site *s = get_site(f, f->entry_addr, PVFBT_SITE_ENTRY);

			if (IS_ERR(s)) {
				if (PTR_ERR(s) == -EBUSY)
					set_foreign(&f->entry_reason);
				return PTR_ERR(s);
			}
			s->fid = fid;
			f->entry = s;
		}
		return 0;
	}
	if (f->rets)
		return 0;
	v = kcalloc(f->nret, sizeof(*v), GFP_KERNEL);
	if (!v)
		return -ENOMEM;
	for (i = 0; i < f->nret; i++) {
		unsigned long a = ret_addr(f, i);
		struct pvfbt_site *s = get_site(f, a, PVFBT_SITE_RETURN);

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
			kfree(v);
			if (PTR_ERR(s) == -EBUSY)
				set_foreign(&f->return_reason);
			return PTR_ERR(s);
		}
		s->tailcall = ret_tail(f, i);
		s->fid = fid;
		v[i] = s;
	}
	f->rets = v;
	return 0;
}

/* Would arming (or disarming) change only bytes pvfbt owns? */
static bool probe_text_ok(struct fbt_func *f, bool ret, bool arm)
{
	u32 j;

	if (!ret)
		return !f->entry || (f->entry->armed && arm) ||
		       f->entry->fcall == FCALL_PENDING || pvfbt_site_text_ok(f->entry, arm);
	for (j = 0; f->rets && j < f->nret; j++)
		if (!(f->rets[j]->armed && arm) && !pvfbt_site_text_ok(f->rets[j], arm))
			return false;
	return true;
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
	WRITE_ONCE(s->armed, new);
	/*
	 * The text changes when the probes the site's own text serves go
	 * from none to some or back: an entry armed through ftrace has no
	 * text of pvfbt's (call_entries_sync()).  Checked first
	 * (probe_text_ok()) under the same text_mutex: a refusal here is a
	 * disarm whose int3 another writer replaced.  The site is then lost
	 * and its byte left alone; the probe counts as disarmed.
	 */
	if (!text_kinds(s, old) != !text_kinds(s, new) &&
	    pvfbt_poke_site(s, on) && on)
		WRITE_ONCE(s->armed, old);
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
		WRITE_ONCE(s->armed, s->armed & ~PVFBT_SITE_ENTRY);
		nr_armed--;
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
static void call_entries_sync(u32 *done)
{
	u32 i, n;
	int pass;

	for (pass = 0; pass < 2; pass++) {
		bool add = pass == 1;	/* out first: room for the new ones */

		n = 0;
		for (i = 0; i < nr_funcs; i++) {
			struct fbt_func *f = funcs[i];
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
	for (i = 0; i < nr_funcs; i++) {
		struct fbt_func *f = funcs[i];
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

static void wait_handlers(void)
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
	u32 i, ncall;
	int err = 0;

	*done = 0;
	mutex_lock(&fbt_mutex);
	err = build_catalogue();
	if (err)
		goto out;
	pvfbt_jret_reclaim();
	if (enable)
		refresh_foreign();
	/* Validate everything first: bad input changes nothing. */
	for (i = 0; i < count; i++) {
		u32 fid = ids[i] / 2;
		bool ret = ids[i] & 1;

		if (fid >= nr_funcs || (enable && !funcs[fid])) {
			err = -EINVAL;
			goto out;
		}
		if (enable && (ret ? funcs[fid]->return_reason : funcs[fid]->entry_reason)) {
			err = -EINVAL;
			goto out;
		}
		if ((flags & PVFBT_ENABLE_SYSCALL) &&
		    (ret || !is_syscall_handler(funcs[fid]))) {
			err = -EINVAL;
			goto out;
		}
	}
	pvfbt_poke_begin();
	for (i = 0; i < count && enable; i++) {
		err = make_sites(funcs[ids[i] / 2], ids[i] / 2, ids[i] & 1);
		if (err)
			break;
	}
	/*
	 * Entries that can be reached by ftrace's call, if there is room for
	 * all of them (fcall.c): marked pending here, put in the filter after
	 * the batch.
	 */
	for (i = 0, ncall = 0; i < count && enable && !err; i++)
		ncall += call_entry_ok(funcs[ids[i] / 2], ids[i] & 1);
	for (i = 0; i < count && ncall && pvfbt_fcall_room(ncall); i++)
		if (call_entry_ok(funcs[ids[i] / 2], ids[i] & 1))
			funcs[ids[i] / 2]->entry->fcall = FCALL_PENDING;
	for (i = 0; i < count && enable && !err; i++) {
		struct fbt_func *f = funcs[ids[i] / 2];
		bool ret = ids[i] & 1;

		if (!probe_text_ok(f, ret, true)) {
			set_foreign(ret ? &f->return_reason : &f->entry_reason);
			err = -EBUSY;
		}
	}
	if (!err) {
		for (i = 0; i < count; i++) {
			struct fbt_func *f = funcs[ids[i] / 2];
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
				nr_armed += now ? 1 : -1;
			}
		}
	}
	if (err) {	/* nothing armed: no entry is pending */
		for (i = 0; i < count && enable; i++)
			if (funcs[ids[i] / 2]->entry &&
			    funcs[ids[i] / 2]->entry->fcall == FCALL_PENDING)
				funcs[ids[i] / 2]->entry->fcall = 0;
	}
	pvfbt_poke_end();
	call_entries_sync(done);
	if (!enable)
		wait_handlers();
	reclaim_later();
	jent_later();
out:
	mutex_unlock(&fbt_mutex);
	return err;
}

static void disarm_func(struct fbt_func *f)
{
	u32 j;

	if (f->entry && (f->entry->armed & PVFBT_SITE_ENTRY)) {
		set_armed(f->entry, PVFBT_SITE_ENTRY, false, false, 0);
		nr_armed--;
	}
	if (f->rets && f->nret && (f->rets[0]->armed & PVFBT_SITE_RETURN)) {
		for (j = 0; j < f->nret; j++)
			set_armed(f->rets[j], PVFBT_SITE_RETURN, false, false, 0);
		nr_armed--;
	}
}

void pvfbt_fbt_disable_all(void)
{
	u32 i;

	mutex_lock(&fbt_mutex);
	if (nr_armed) {
		pvfbt_poke_begin();
		for (i = 0; i < nr_funcs; i++)
			if (funcs[i])
				disarm_func(funcs[i]);
		pvfbt_poke_end();
		call_entries_sync(NULL);
		wait_handlers();
	}
	reclaim_later();
	mutex_unlock(&fbt_mutex);
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
	/* A site shared by entry and return is freed once. */
	for (j = 0; f->rets && j < f->nret; j++)
		if (f->rets[j] != f->entry)
			kfree(f->rets[j]);
	kfree(f->entry);
	kfree(f->rets);
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

	for (i = 0; i < patched.n; i++)
		if (!within(patched.v[i], lo, hi))
			patched.v[n++] = patched.v[i];
	patched.n = n;
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
	for (i = 0; i < nr_funcs; i++) {
		if (!funcs[i] || funcs[i]->mod != mod)
			continue;
		disarm_func(funcs[i]);
		any |= funcs[i]->entry || funcs[i]->rets;
	}
	pvfbt_poke_end();
	call_entries_sync(NULL);
	if (any) {
		wait_handlers();
		synchronize_rcu_tasks();
	}
	for (i = 0; i < nr_funcs; i++) {
		if (!funcs[i] || funcs[i]->mod != mod)
			continue;
		free_func(funcs[i]);
		funcs[i] = NULL;
	}
	pvfbt_module_text(mod, &lo, &hi);
	patched_remove(lo, hi);
	mutex_unlock(&fbt_mutex);
}

/* Is the module in the catalogue already (a build that saw it live)? */
static bool catalogued(struct module *mod)
{
	u32 i;

	for (i = nr_funcs; i-- > 0;)
		if (funcs[i] && funcs[i]->mod == mod)
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
			patched_collect(mod);
			patched_sort();
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
	textbuf = vmalloc(MAX_FUNC_SIZE);
	if (!textbuf)
		return -ENOMEM;
	return register_module_notifier(&fbt_module_nb);
}

/* All probes disarmed and every CPU and task out of them: free it all. */
void pvfbt_fbt_exit(void)
{
	u32 i;

	unregister_module_notifier(&fbt_module_nb);
	cancel_delayed_work_sync(&reclaim_work);
	cancel_work_sync(&jent_work);
	pvfbt_fcall_exit();
	for (i = 0; i < nr_funcs; i++)
		if (funcs[i])
			free_func(funcs[i]);
	kvfree(funcs);
	kvfree(patched.v);
	vfree(textbuf);
}
