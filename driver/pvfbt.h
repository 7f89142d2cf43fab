/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pvfbt internals shared by driver/, arch/x86/ and provider/.
 */
#ifndef _PVFBT_INTERNAL_H
#define _PVFBT_INTERNAL_H

#include <linux/types.h>
#include <linux/string.h>
#include <linux/mutex.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include "include/uapi/pvfbt.h"
#include "arch/x86/decode.h"
#include "arch/x86/slots.h"
#include "pvfbt_compat.h"
#include <asm/ptrace.h>
#include <asm/segment.h>

#define PVFBT_NAME "pvfbt"

/*
 * The hit path by jump, kept together: its code (the trampolines,
 * pvfbt_jent_hit(), pvfbt_jret_hit(), pvfbt_hit() with the record inlined)
 * in one text section, the globals it reads in one data section, its
 * per-CPU state (ring control included) in pvfbt's per-CPU area.  A Xen PV
 * guest under TCG runs every hit with a cold software TLB (a system call
 * writes CR3 twice), so each distinct page a hit touches costs it a page
 * walk: about 8 thousandths of a getpid call each (benchmarks.md).
 */
#define __pvfbt_hit_text	__section(".text.pvfbt_hit")
#define __pvfbt_hit_data	__section(".data.pvfbt_hit")

struct pt_regs;

/* ---- driver/ksyms.c: kernel symbols that are not exported ---- */
struct pvfbt_ksyms {
	unsigned long (*lookup_name)(const char *name);
	pvfbt_kallsyms_iter on_each_symbol;
	pvfbt_mod_kallsyms_iter module_on_each_symbol;
	pvfbt_module_address_fn module_address;
	int (*lookup_size_offset)(unsigned long addr, unsigned long *size,
				  unsigned long *offset);
	void *(*text_poke)(void *addr, const void *opcode, size_t len);
	struct mutex *text_mutex;
	bool (*within_kprobe_blacklist)(unsigned long addr);
	int (*alternatives_text_reserved)(void *start, void *end);
	int (*ftrace_text_reserved)(const void *start, const void *end);
	unsigned long (*ftrace_location)(unsigned long ip);
	/* kprobes' own table: who else owns an address (NULL: unknown) */
	struct kprobe *(*get_kprobe)(void *addr);
	/* kprobes' hash table and its mutex (NULL: look addresses up one by one) */
	struct hlist_head *kprobe_table;
	unsigned int kprobe_table_size;
	struct mutex *kprobe_mutex;
	const void *(*search_exception_tables)(unsigned long addr);
	/* every return thunk a "jmp thunk" can lead to (retbleed, SRSO, ITS) */
#define PVFBT_MAX_RETHUNKS 8
	unsigned long return_thunks[PVFBT_MAX_RETHUNKS];
	unsigned int (*stack_trace_save_regs)(struct pt_regs *regs, unsigned long *store,
					      unsigned int size, unsigned int skipnr);
	unsigned long stack_trace_consume_entry;
	/* system call strings (NULL: not on this kernel, raw addresses) */
	long (*strncpy_from_user_nofault)(char *dst, const void __user *src, long count);
	/* __x86_indirect_thunk_rax, the first of 16, or 0 (no retpolines) */
	unsigned long indirect_thunks;
#define PVFBT_THUNK_SIZE	32	/* RETPOLINE_THUNK_SIZE */
	/* text ranges that are never probed */
	unsigned long stext, etext, sinittext, einittext;
	unsigned long noinstr_start, noinstr_end;
	unsigned long entry_start, entry_end;
	unsigned long irqentry_start, irqentry_end;
	unsigned long softirqentry_start, softirqentry_end;
};
extern struct pvfbt_ksyms pvfbt_ks;
int pvfbt_ksyms_init(void);

/* ---- provider/: the catalogue and the probes (catalogue.c, arm.c) ---- */
int pvfbt_fbt_init(void);
void pvfbt_fbt_exit(void);
int pvfbt_fbt_list(struct pvfbt_list *req, struct pvfbt_func __user *out);
int pvfbt_fbt_enable(const u32 *ids, u32 count, bool enable, u32 flags, u32 *done);
void pvfbt_fbt_disable_all(void);
u32 pvfbt_fbt_nr_funcs(void);
u32 pvfbt_fbt_nr_armed(void);
u64 pvfbt_fbt_bytes(void);

/* ---- arch/x86/: sites, slots, patching, traps ---- */

/*
 * endbr64, or the "osp nopl (%rax)" that seals an endbr64 nothing branches
 * to (the kernel's is_endbr() knows both).  6.1 seals only when the CPU has
 * IBT; 6.12 seals at boot on every CPU, so most functions start with it.
 */
static inline bool pvfbt_is_endbr(const u8 *p)
{
	return !memcmp(p, "\xf3\x0f\x1e\xfa", 4) ||
	       !memcmp(p, "\x66\x0f\x1f\x00", 4);
}

/*
 * "jmp *%reg" (ff /4, register operand; REX.W and REX.B only): what the
 * kernel makes of "jmp __x86_indirect_thunk_REG" where retpolines are not
 * needed.  Emulated: the register is the target.
 */
static inline bool pvfbt_is_jmp_reg(const struct pvfbt_insn *in)
{
	return in->cls == PVFBT_CLS_JMP_IND && (in->modrm >> 6) == 3 &&
	       !in->nprefix && !(in->rex & ~0x49) && !(in->flags & PVFBT_F_VEX);
}

#define PVFBT_SITE_ENTRY	0x1
#define PVFBT_SITE_RETURN	0x2

/* One patched instruction.  Lives until the module is unloaded. */
struct pvfbt_site {
	unsigned long addr;
	u32 fid;		/* the function: probe ids 2*fid, 2*fid+1 */
	u8 kinds;		/* PVFBT_SITE_*: which probes this site serves */
	u8 armed;		/* PVFBT_SITE_*: which of them are armed */
	u8 orig;		/* the byte the int3 replaces */
	u8 live;		/* in the lookup table */
	u8 emulate;		/* resumed by emulation, not by a step */
	u8 boost;		/* resumed in the slot, which jumps back: no step */
	u8 tailcall;		/* a return site that is a jmp/jcc to another function */
	u8 stack;		/* PVFBT_SITE_*: which probes record the stack */
	u8 sysargs;		/* entry: PVFBT_SYSARGS_ON | string args (bit n: arg n) */
#define PVFBT_SYSARGS_ON	0x80
	u8 order;		/* arming order in a batch: higher is later */
#define PVFBT_ORDER_MAX	3
	u8 lost;		/* its text changed under it: never written again */
	u8 jret;		/* a jump site: its slot holds the stub (jret.c; an
				 * entry's, jent.c) */
	u8 jumped;		/* its text is (being made) the jump to its stub */
	u8 fcall;		/* its entry is armed through ftrace (fcall.c) */
	u8 jent;		/* a jump entry: two slots hold its detour (jent.c) */
	u8 jent_len;		/* the bytes the detour runs out of line */
	u8 jent_wait;		/* armed by int3, to become the jump (jent.c) */
	u8 fresh;		/* made by the enable under way (provider/arm.c) */
	u32 jent_gen;		/* when its int3 was armed (jent.c) */
	u8 code[16];		/* the original bytes: the instruction's, or a
				 * jump entry's jent_len */
	struct pvfbt_insn insn;
	unsigned long target;	/* branch target, for emulated branches */
	unsigned long fn_start, fn_end;	/* the function the site belongs to */
	unsigned long cold_start, cold_end; /* and its .cold part (0, 0: none) */
	s8 ind_reg;		/* an indirect jump: through this register, else -1 */
	int slot;		/* out-of-line slot, -1 if none */
};

/* Text writes are queued in phases, each visible everywhere before the next. */
#define PVFBT_PHASE_SLOT	0	/* slot bytes: before any site can lead there */
#define PVFBT_PHASE_FIRST	1	/* a site's int3 (or its original first byte) */
#define PVFBT_PHASE_TAIL	2	/* a jump's bytes 1-4 (or the original ones) */
#define PVFBT_PHASE_LAST	3	/* a jump's opcode (or the original first byte) */

/* pvfbt_hit() kind: reached by a jump, or a call, not by the int3 trap (not in the ABI). */
#define PVFBT_HIT_JUMP		0x8000
#define PVFBT_HIT_CALL		0x4000
#define PVFBT_HIT_DIRECT	(PVFBT_HIT_JUMP | PVFBT_HIT_CALL)

/*
 * A trampoline's saved registers (jret_tramp.S) made those an int3 at site
 * s would give: ip the site, sp at the return address just above the
 * trampoline's frame (the slot number or the detour's return address).
 */
static inline void pvfbt_jump_regs(struct pt_regs *regs, const struct pvfbt_site *s)
{
	regs->ip = s->addr;
	regs->sp = (unsigned long)(regs + 1) + sizeof(unsigned long);
	regs->cs = __KERNEL_CS;
	regs->ss = __KERNEL_DS;
}

/* arch/x86/sites.c: the site table and the slots */
int pvfbt_sites_init(void);
void pvfbt_sites_exit(void);
u64 pvfbt_sites_bytes(void);
unsigned long pvfbt_slot_addr(int slot);
extern struct pvfbt_site **pvfbt_slot_owners;
/*
 * The site slot n belongs to, or NULL (trap context).  Inline: a call and
 * a return are two more jumps on every hit by jump (benchmarks.md).
 */
static __always_inline struct pvfbt_site *pvfbt_slot_owner(unsigned long n)
{
	return n < PVFBT_NR_SLOTS ? READ_ONCE(pvfbt_slot_owners[n]) : NULL;
}
int pvfbt_slot_next(void);
void pvfbt_slot_commit(int n, struct pvfbt_site *site);
int pvfbt_slot_next2(void);
void pvfbt_slot_commit2(int n, struct pvfbt_site *site);

/* arch/x86/jret.c: return sites reached by a jump */
bool pvfbt_jret_shape(unsigned long addr, const u8 *b, unsigned int avail,
		      const struct pvfbt_insn *in);
int pvfbt_jret_prepare(struct pvfbt_site *s);
bool pvfbt_jret_would_jump(const struct pvfbt_site *s);
unsigned int pvfbt_jret_len(const struct pvfbt_site *s);
bool pvfbt_jret_enabled(void);
bool pvfbt_jret_text_ok(const struct pvfbt_site *s, bool arm);
int pvfbt_jret_poke(struct pvfbt_site *s, bool arm);
int pvfbt_jret_upgrade(struct pvfbt_site *s);
u32 pvfbt_jret_sites(void);
u32 pvfbt_jret_nr_lost(void);
void pvfbt_jret_forget(struct pvfbt_site *s);
void pvfbt_jret_reclaim(void);
void pvfbt_jret_exit(void);
void pvfbt_jret_hit(struct pt_regs *regs, unsigned long slot);

/* arch/x86/jent.c: entries reached by a jump */
#define PVFBT_JENT_MAX	16	/* bytes a detour runs out of line, at most */
unsigned int pvfbt_jent_range(unsigned long addr, const u8 *b, unsigned int avail, u16 *starts);
int pvfbt_jent_prepare(struct pvfbt_site *s, const u8 *bytes, unsigned int len, u16 starts,
		       const struct pvfbt_insn *decoded);
void pvfbt_jent_armed(struct pvfbt_site *s);
u32 pvfbt_jent_gen(void);
u32 pvfbt_jent_waiting(void);
void pvfbt_jent_unwait(struct pvfbt_site *s);
void pvfbt_jent_hit(struct pt_regs *regs, unsigned long ret);
bool pvfbt_boostable(const struct pvfbt_insn *in, const u8 *bytes);

/* arch/x86/fcall.c: entries reached by ftrace's call */
u32 pvfbt_fcall_sites(void);
unsigned long pvfbt_fcall_hit_fn(void);
bool pvfbt_fcall_room(u32 n);
int pvfbt_fcall_add(unsigned long *ips, u32 n);
void pvfbt_fcall_del(unsigned long *ips, u32 n);
void pvfbt_fcall_exit(void);

/* arch/x86/trap.c: the int3 mechanism */
extern int pvfbt_hit_stop;		/* bench only: see trap.c */
#define PVFBT_HIT_STOP_REACH	1
#define PVFBT_HIT_STOP_COUNT	2

int pvfbt_arch_init(void);
void pvfbt_arch_stop(void);
void pvfbt_arch_exit(void);
int pvfbt_site_prepare(struct pvfbt_site *site, const u8 *bytes,
		       const struct pvfbt_insn *in);
int pvfbt_site_insert(struct pvfbt_site *site);
void pvfbt_site_reserve(u32 n);
void pvfbt_site_remove(struct pvfbt_site *site);
void pvfbt_site_release_slot(struct pvfbt_site *site);
struct pvfbt_site *pvfbt_site_lookup(unsigned long addr);
size_t pvfbt_site_table_bytes(void);
int pvfbt_read_text(unsigned long addr, u8 *buf, unsigned int len, bool *ours);
void pvfbt_text_lock(void);
void pvfbt_text_unlock(void);
void pvfbt_poke_begin(void);
void pvfbt_poke_reserve(u32 n);
int pvfbt_poke_int3(struct pvfbt_site *site, bool arm);
bool pvfbt_foreign(unsigned long addr);
bool pvfbt_foreign_range(unsigned long addr, unsigned int len);
u32 pvfbt_text_refused(void);
bool pvfbt_site_text_ok(const struct pvfbt_site *site, bool arm);
void pvfbt_poke_bytes(void *addr, const void *bytes, size_t len);
void pvfbt_poke_text(unsigned long addr, const void *bytes, size_t len, u8 order, u8 phase,
		     bool twice);
int pvfbt_poke_site(struct pvfbt_site *site, bool arm);
void pvfbt_text_refused_inc(void);
void pvfbt_poke_end(void);
void pvfbt_text_stats(u32 *batches, u32 *alias_pages, u32 *pokes);
int pvfbt_patch_init(void);
void pvfbt_patch_exit(void);
bool pvfbt_is_return_thunk(unsigned long addr);
int pvfbt_thunk_reg(unsigned long addr);
bool pvfbt_cond_true(u8 cc, unsigned long flags);
bool pvfbt_addr_in_self(unsigned long addr);
u32 pvfbt_slots_used(void);
u32 pvfbt_slots_high(void);
u32 pvfbt_sites_live(u32 *emulated, u32 *boosted);
void pvfbt_site_set_armed(struct pvfbt_site *site, u8 armed);
bool pvfbt_sites_in_text(void);
int pvfbt_trap_roots(unsigned long *v, int max);
int pvfbt_die_callbacks(unsigned long *v, int max);
u32 pvfbt_slots_max(void);
u64 pvfbt_arch_table_bytes(void);

/* ---- driver/ring.c: records and rings ---- */
int pvfbt_ring_init(void);
void pvfbt_ring_exit(void);
int pvfbt_rings_alloc(void);
void pvfbt_rings_free(void);
u64 pvfbt_rings_bytes(u32 *count);
/* A firing by int3 (on_int3() accounts for it), or by a jump or a call. */
void pvfbt_record(const struct pvfbt_site *site, struct pt_regs *regs, u16 kind);
void pvfbt_hit(const struct pvfbt_site *s, struct pt_regs *regs, u16 kind);
/* Hits in progress on a CPU: a bound on recursion through our callees. */
DECLARE_PER_CPU(int, pvfbt_hit_depth);
#define PVFBT_MAX_HIT_DEPTH	4
unsigned int pvfbt_str_measure(u8 mask, const u64 *ua, s32 *len, u8 *trunc);
void pvfbt_str_write(struct pvfbt_record *data, u64 ring_mask, long pos,
		     const struct pvfbt_record *ev, u8 mask, const u64 *ua,
		     const s32 *len, u8 trunc, unsigned int nstr);
int pvfbt_ring_mmap(struct file *file, struct vm_area_struct *vma);
bool pvfbt_ring_ready(void);
int pvfbt_ring_consume(const u64 *tails, u32 n);
extern wait_queue_head_t pvfbt_wait;
extern u32 pvfbt_ring_records;
u32 pvfbt_ring_mmap_size(void);
int pvfbt_set_filter(u32 pid, const char *comm, u32 exclude_pid);

/* Per-CPU statistics; written from trap context with this_cpu_inc(). */
DECLARE_PER_CPU(struct pvfbt_cpu_stats, pvfbt_stats);
#define pvfbt_stat_inc(field) this_cpu_inc(pvfbt_stats.field)
void pvfbt_stats_reset(void);

#endif /* _PVFBT_INTERNAL_H */
