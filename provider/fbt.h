/* SPDX-License-Identifier: GPL-2.0 */
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
/*
 * The provider's three files share this header:
 *   catalogue.c  collecting symbols, the catalogue, listing, modules
 *                coming and going;
 *   analyse.c    what a function's text allows (its entry and return
 *                sites) and the exclusions (patched text, the trap path,
 *                other tools' text);
 *   arm.c        making sites and arming them, by every mechanism.
 */
#ifndef _PVFBT_FBT_H
#define _PVFBT_FBT_H
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

struct fbt_chunk;

struct fbt_func {
	unsigned long addr;
	unsigned long entry_addr;
	u32 size;
	u16 entry_reason;
	u16 return_reason;
	u16 nret;
	u8 trap_path;
	u8 hot;				/* arming order: HOT_ROOT is armed last */
	u8 fentry:1;			/* the entry site follows an ftrace site */
	u8 stale:2;			/* FBT_STALE_*: see make_sites() (arm.c) */
	u8 jent_len;			/* the entry's jump range (jent.c), 0: none */
	u16 jent_starts;		/* where its instructions start (bit per byte) */
	struct module *mod;		/* NULL: vmlinux */
	char *name;
	char modname[PVFBT_MODNAME_LEN];
	s32 *ret_off;			/* the return sites, see RET_TAIL */
	unsigned long cold_addr;	/* the function's .cold part, if any */
	u32 cold_size;			/* 0: none */
	struct pvfbt_site *entry;	/* created on first enable */
	struct pvfbt_site **rets;	/* and their sites: fbt_rets_block() */
	struct fbt_chunk *entry_chunk;	/* where entry, rets were allocated: */
	struct fbt_chunk *rets_chunk;	/* fbt_chunk_free() (arm.c) */
};

/* fbt_func.stale, in the enable under way: a probe has a site not fresh */
#define FBT_STALE_ENTRY		1
#define FBT_STALE_RETURN	2

/* pvfbt_site.fcall: see fbt_call_entries_sync() */
#define FCALL_ON	1
#define FCALL_PENDING	2

extern struct mutex fbt_mutex;
extern struct fbt_func **fbt_funcs;		/* indexed by fid */
extern u32 fbt_nr_funcs;
extern u32 fbt_nr_armed;
extern u8 *fbt_textbuf;			/* MAX_FUNC_SIZE, under fbt_mutex */

static inline bool within(unsigned long a, unsigned long lo, unsigned long hi)
{
	return a >= lo && a < hi;
}

static inline unsigned long ret_addr(const struct fbt_func *f, u32 i)
{
	return f->addr + (long)(f->ret_off[i] >> RET_SHIFT);
}

static inline bool ret_tail(const struct fbt_func *f, u32 i)
{
	return f->ret_off[i] & RET_TAIL;
}

/* The end of the part of f (the function or its .cold part) holding a. */
static inline unsigned long part_end(const struct fbt_func *f, unsigned long a)
{
	if (f->cold_size && within(a, f->cold_addr, f->cold_addr + f->cold_size))
		return f->cold_addr + f->cold_size;
	return f->addr + f->size;
}

/*
 * A return probe's sites live in one block after their pointers, made and
 * freed with it (arm.c, catalogue.c): one allocation per function.  A
 * pointer leads outside the block only to the entry site, when the
 * function's first instruction returns.
 */
static inline bool fbt_rets_block(const struct fbt_func *f, const struct pvfbt_site *s)
{
	const struct pvfbt_site *b;

	if (!f->rets)
		return false;
	b = (const struct pvfbt_site *)(f->rets + f->nret);
	return s >= b && s < b + f->nret;
}

static inline bool ret_jump(const struct fbt_func *f, u32 i)
{
	return f->ret_off[i] & RET_JUMP;
}

/* What the analysis found of return site i: RET_TAIL, RET_JUMP. */
static inline u32 ret_flags(const struct fbt_func *f, u32 i)
{
	return f->ret_off[i] & (RET_TAIL | RET_JUMP);
}


/*
 * Text the kernel patches at run time (analyse.c): jump labels and static
 * calls, sorted.
 */
struct patched {
	unsigned long *v;
	u32 n, cap;
	bool incomplete;	/* an allocation failed: every site counts as patched */
};
extern struct patched fbt_patched;
extern u32 fbt_nr_foreign;		/* functions with a PVFBT_EXCL_FOREIGN reason */

/* analyse.c */
u16 fbt_static_reason(unsigned long a, struct module *mod);
void fbt_analyse(struct fbt_func *f);
void fbt_patched_collect(struct module *mod);
void fbt_patched_sort(void);
int fbt_compute_trap_path(void);
void fbt_compute_hot(void);
void fbt_refresh_foreign(void);
bool fbt_is_return(const struct pvfbt_insn *in, unsigned long a);

/* A jump that can be a tail call (fbt_is_tailcall() says which ones are). */
static inline bool fbt_is_branch(const struct pvfbt_insn *in)
{
	return pvfbt_is_jmp_reg(in) || in->cls == PVFBT_CLS_JMP_REL ||
	       in->cls == PVFBT_CLS_JCC_REL;
}
bool fbt_is_tailcall(const struct pvfbt_insn *in, unsigned long a, const struct fbt_func *f);
bool fbt_reserved(unsigned long a, unsigned int len);
void fbt_set_foreign(u16 *reason);

/* catalogue.c */
int fbt_build_catalogue(void);

/* arm.c */
void fbt_disarm_func(struct fbt_func *f);
void fbt_call_entries_sync(u32 *done);
void fbt_chunk_free(void *p, struct fbt_chunk *from);
void fbt_wait_handlers(void);
void fbt_arm_exit(void);


#endif /* _PVFBT_FBT_H */
