// SPDX-License-Identifier: GPL-2.0
/*
 * Probe hits: the int3 and single-step (#DB) traps.
 *
 * Both arrive through the kernel's own trap entry (exc_int3, exc_debug; under
 * Xen PV through the xen_asm_exc_* stubs, which lead to the same C code) and
 * reach pvfbt through the die notifier chain, as DIE_INT3 and DIE_DEBUG, in
 * NMI-like context.  Nothing here takes a lock, allocates or sleeps; every
 * loop is bounded.
 *
 * A hit records the event, then resumes the displaced instruction:
 *  - relative jmp/jcc/call and ret are emulated in the handler (they could
 *    not be run out of line anyway: their effect depends on where they run);
 *  - anything else runs out of line in the site's own slot with TF set, and
 *    the #DB that follows sends the CPU back to site + length.
 *
 * The resume path is stateless: no per-CPU "stepping" state.  A slot belongs
 * to exactly one site for the module's lifetime, so the #DB finds the site
 * from the trapping address alone.  That is what makes nesting (an NMI that
 * hits a probe between the int3 and its #DB), preemption and migration
 * between the two traps, and a step delivered on another CPU all correct.
 * IF is left as it was: under Xen PV it is the event-upcall mask that
 * HYPERVISOR_iret restores, and a step that goes missing must not leave
 * events masked.
 *
 * A lost single-step trap: the slot holds int3 guards right after the
 * displaced instruction, so a CPU that runs past it without the #DB traps
 * on the guard.  The guard hit is recognised by its address, the CPU is sent
 * to site + length, TF is cleared and the miss is counted.  A #DB that then
 * arrives late is claimed only if it can be that step's: DR_STEP, on the
 * CPU that repaired the miss, at the address the guard sent it to, once.
 * Anything else is left to its owner (kgdb, a debugger) or to the kernel.
 *
 * Never step on the #DB stack.  Natively, #DB runs on its own IST stack,
 * one per CPU, and a #DB taken there starts again at its top, over the
 * frame in use.  A probe hit from #DB context (a hardware breakpoint's
 * perf overflow handler) arrives there: int3 is not an IST exception, it
 * stays on the stack it interrupted.  Such a hit runs its slot without TF:
 * the slot ends on its first guard int3, which (TF clear, still on the #DB
 * stack) is the end of the run, not a missed step, and resumes at
 * site + length.  Under Xen PV there is no IST: #DB nests on the stack in
 * use, and a step from #DB context is safe.
 *
 * TF the interrupted code had set itself (a debugger stepping it) is kept:
 * its step must still come, at the address the original instruction would
 * have left it.  Such a hit is stepped (never boosted), with IF off until
 * the step, so the #DB comes on this CPU and a per-CPU record says it is
 * shared: pvfbt moves the CPU to site + length, gives IF back, keeps TF
 * and passes the #DB on.  An emulated instruction with TF set resumes
 * through a "ret" in the last slot, so the step trap reports the emulated
 * target.
 */
#include <linux/kernel.h>
#include <linux/kdebug.h>
#include <linux/notifier.h>
#include <linux/hash.h>
#include <linux/vmalloc.h>
#include <linux/atomic.h>
#include <asm/debugreg.h>
#include <asm/ptrace.h>
#include <asm/processor-flags.h>
#include <asm/processor.h>
#include <asm/page_64_types.h>
#include "driver/pvfbt.h"
#include "arch/x86/slots.h"

extern u8 pvfbt_slot_area[], pvfbt_slot_area_end[];

/*
 * A step taken for code that had TF set itself: where its #DB is expected
 * (slot + length, 0 if none) and the IF to give back.  IF is off from the
 * int3 to the step, so the two traps are on one CPU, with nothing between
 * them but an NMI (whose code never runs with TF set).
 */
struct tf_step {
	unsigned long end;
	unsigned long if_flag;
};
static DEFINE_PER_CPU(struct tf_step, tf_step);
/* Where the last guard repair on this CPU sent it: a late #DB there is ours. */
static DEFINE_PER_CPU(unsigned long, late_ip);

/* The pad; the base is hidden so that no relocation points into the area's middle (IBT objtool). */
static __always_inline unsigned long tf_pad(void)
{
	unsigned long base = (unsigned long)pvfbt_slot_area;

	OPTIMIZER_HIDE_VAR(base);
	return base + (unsigned long)PVFBT_TF_PAD_SLOT * PVFBT_SLOT_SIZE;
}

static inline bool in_slots(unsigned long addr)
{
	return addr >= (unsigned long)pvfbt_slot_area &&
	       addr < (unsigned long)pvfbt_slot_area_end;
}

static bool boost = true;
module_param(boost, bool, 0644);
MODULE_PARM_DESC(boost, "emulate push and boost common instructions instead of single-stepping them (sites made from now on)");

/*
 * Boosting: the slot holds the instruction followed by "jmp site+len", and
 * the int3 handler resumes in the slot without TF: one trap per hit instead
 * of two.  Only forms whose effect cannot depend on where they run, and
 * that cannot touch TF/IF, qualify: the ALU, mov, lea, test, shift, setcc
 * and cmov families that make up most entry instructions (see
 * Documentation/design.md for the statistics).  RIP-relative operands are
 * rebased as for a step.  A task preempted inside the slot is waited for by
 * synchronize_rcu_tasks() before a slot is reused or the module leaves,
 * which is what lets us boost on a preemptible kernel (kprobes, which only
 * waits for RCU, boosts only without CONFIG_PREEMPTION).  Everything else is
 * single-stepped, with the lost-step guard.
 */
static bool boostable(const struct pvfbt_insn *in, const u8 *bytes)
{
	unsigned int i, reg = (in->modrm >> 3) & 7;
	u8 op = in->opcode[0];

	if (in->cls != PVFBT_CLS_NORMAL || in->len + 5 > PVFBT_SLOT_SIZE ||
	    (in->flags & (PVFBT_F_VEX | PVFBT_F_LOCK)))
		return false;
	/* Operand size and fs/gs (per-CPU data) only: no rep, lock, 67. */
	for (i = 0; i < in->nprefix; i++)
		if (bytes[i] != 0x66 && bytes[i] != 0x64 && bytes[i] != 0x65)
			return false;
	if (in->opcode_len == 2 && op == 0x0f) {
		u8 op2 = in->opcode[1];

		return (op2 & 0xf0) == 0x40 ||	/* cmovcc */
		       (op2 & 0xf0) == 0x90 ||	/* setcc */
		       op2 == 0xaf ||		/* imul r, r/m */
		       (op2 & 0xf6) == 0xb6;	/* movzx, movsx */
	}
	if (in->opcode_len != 1)
		return false;
	if (op < 0x40)			/* add or adc sbb and sub xor cmp */
		return (op & 7) < 6;
	switch (op) {
	case 0x50 ... 0x5f:		/* push, pop */
	case 0x63:			/* movsxd */
	case 0x69: case 0x6b:		/* imul imm */
	case 0x80: case 0x81: case 0x83:	/* ALU imm */
	case 0x84 ... 0x8b:		/* test, xchg, mov */
	case 0x8d:			/* lea */
	case 0x91 ... 0x97:		/* xchg with rax */
	case 0x98: case 0x99:		/* cltq, cqto */
	case 0xa8: case 0xa9:		/* test imm */
	case 0xb0 ... 0xbf:		/* mov imm */
	case 0xc0: case 0xc1: case 0xd0 ... 0xd3:	/* shifts, rotates */
		return true;
	case 0xc6: case 0xc7:		/* mov imm to r/m */
		return reg == 0;
	case 0xf6: case 0xf7:		/* test imm, not, neg: not mul/div */
		return reg == 0 || reg == 2 || reg == 3;
	case 0xfe: case 0xff:		/* inc, dec */
		return reg <= 1;
	}
	return false;
}

/* For a jump entry's detour (jent.c): every instruction it moves must qualify. */
bool pvfbt_boostable(const struct pvfbt_insn *in, const u8 *bytes)
{
	return boostable(in, bytes);
}

/* push %reg (50+r, REX.B 41 50+r): the commonest entry instruction. */
static bool is_push_reg(const struct pvfbt_insn *in)
{
	return in->opcode_len == 1 && in->opcode[0] >= 0x50 && in->opcode[0] <= 0x57 &&
	       !in->nprefix && (!in->rex || in->rex == 0x41);
}

/* General register number r (0 rax .. 15 r15, the encoding's order). */
static unsigned long reg_value(unsigned int r, const struct pt_regs *regs)
{
	switch (r) {
	case 0: return regs->ax;
	case 1: return regs->cx;
	case 2: return regs->dx;
	case 3: return regs->bx;
	case 4: return regs->sp;	/* as the instruction sees it */
	case 5: return regs->bp;
	case 6: return regs->si;
	case 7: return regs->di;
	case 8: return regs->r8;
	case 9: return regs->r9;
	case 10: return regs->r10;
	case 11: return regs->r11;
	case 12: return regs->r12;
	case 13: return regs->r13;
	case 14: return regs->r14;
	default: return regs->r15;
	}
}

static unsigned long push_value(const struct pvfbt_insn *in, const struct pt_regs *regs)
{
	return reg_value((in->opcode[0] & 7) | (in->rex ? 8 : 0), regs);
}

/*
 * The register an indirect jump leaves through: "jmp *%reg" itself, or a
 * jmp to the retpoline thunk of that register (__x86_indirect_thunk_REG,
 * one per register, in encoding order, RETPOLINE_THUNK_SIZE apart).
 * -1 if the site is not an indirect jump.
 */
static int indirect_reg(const struct pvfbt_site *s)
{
	const struct pvfbt_insn *in = &s->insn;

	if (pvfbt_is_jmp_reg(in))
		return (in->modrm & 7) | (in->rex & 1 ? 8 : 0);
	return in->cls == PVFBT_CLS_JMP_REL ? pvfbt_thunk_reg(s->target) : -1;
}

/*
 * Decide how a site resumes and, for a stepped one, fill its slot.
 * bytes[] holds the original instruction bytes (at least insn length),
 * decoded: what pvfbt_decode() made of them.
 * Called under the fbt mutex, before the site is armed.
 */
int pvfbt_site_prepare(struct pvfbt_site *site, const u8 *bytes,
		       const struct pvfbt_insn *decoded)
{
	struct pvfbt_insn *in = &site->insn;
	u8 buf[PVFBT_SLOT_SIZE];
	unsigned long slot;
	s64 disp;
	u32 n;

	*in = *decoded;
	site->orig = bytes[0];
	site->slot = -1;
	site->boost = 0;
	if (in->cls == PVFBT_CLS_JMP_REL || in->cls == PVFBT_CLS_JCC_REL ||
	    in->cls == PVFBT_CLS_CALL_REL)
		site->target = pvfbt_branch_target(in, site->addr);
	site->ind_reg = indirect_reg(site);
	switch (in->cls) {
	case PVFBT_CLS_JMP_REL:
	case PVFBT_CLS_JCC_REL:
	case PVFBT_CLS_CALL_REL:
		site->emulate = 1;
		return 0;
	case PVFBT_CLS_RET:
	case PVFBT_CLS_NOP:
		site->emulate = 1;
		return 0;
	case PVFBT_CLS_JMP_IND:
		if (!pvfbt_is_jmp_reg(in))
			return -EINVAL;
		site->emulate = 1;
		return 0;
	case PVFBT_CLS_NORMAL:
		if (READ_ONCE(boost) && is_push_reg(in)) {
			site->emulate = 1;
			return 0;
		}
		break;
	default:	/* loop/jrcxz, indirect branches, int3, unsafe */
		return -EINVAL;
	}

	/* Stepped or boosted out of line: give the site a slot of its own. */
	n = pvfbt_slot_next();
	if ((int)n < 0)
		return (int)n;
	slot = pvfbt_slot_addr(n);
	memset(buf, 0xcc, sizeof(buf));
	memcpy(buf, bytes, in->len);
	if (in->flags & PVFBT_F_RIPREL) {
		disp = (s64)in->disp + (s64)site->addr - (s64)slot;
		if (disp != (s32)disp)
			return -ERANGE;
		memcpy(buf + in->disp_off, &(s32){ (s32)disp }, 4);
	}
	site->boost = READ_ONCE(boost) && boostable(in, bytes);
	if (site->boost) {
		disp = (s64)(site->addr + in->len) - (s64)(slot + in->len + 5);
		if (disp != (s32)disp)
			return -ERANGE;
		buf[in->len] = 0xe9;
		memcpy(buf + in->len + 1, &(s32){ (s32)disp }, 4);
	}
	pvfbt_poke_bytes((void *)slot, buf, sizeof(buf));
	pvfbt_slot_commit(n, site);
	site->emulate = 0;
	return 0;
}

bool pvfbt_cond_true(u8 cc, unsigned long fl)
{
	bool of = fl & X86_EFLAGS_OF, cf = fl & X86_EFLAGS_CF;
	bool zf = fl & X86_EFLAGS_ZF, sf = fl & X86_EFLAGS_SF;
	bool pf = fl & X86_EFLAGS_PF, r;

	switch (cc >> 1) {
	case 0: r = of; break;			/* jo */
	case 1: r = cf; break;			/* jb */
	case 2: r = zf; break;			/* je */
	case 3: r = cf || zf; break;		/* jbe */
	case 4: r = sf; break;			/* js */
	case 5: r = pf; break;			/* jp */
	case 6: r = sf != of; break;		/* jl */
	default: r = zf || sf != of; break;	/* jle */
	}
	return (cc & 1) ? !r : r;
}

/* Resume a site whose instruction is emulated. */
static void emulate(struct pvfbt_site *s, struct pt_regs *regs)
{
	unsigned long next = s->addr + s->insn.len;

	switch (s->insn.cls) {
	case PVFBT_CLS_JMP_REL:
		regs->ip = s->target;
		break;
	case PVFBT_CLS_JCC_REL:
		regs->ip = pvfbt_cond_true(s->insn.cond, regs->flags) ? s->target : next;
		break;
	case PVFBT_CLS_CALL_REL:
		/* The int3 entry leaves a gap below the interrupted stack. */
		regs->sp -= sizeof(unsigned long);
		*(unsigned long *)regs->sp = next;
		regs->ip = s->target;
		break;
	case PVFBT_CLS_JMP_IND:	/* jmp *%reg */
		regs->ip = reg_value(s->ind_reg, regs);
		break;
	case PVFBT_CLS_RET:
		regs->ip = *(unsigned long *)regs->sp;
		regs->sp += sizeof(unsigned long) +
			(s->insn.imm_size ? (u16)s->insn.imm : 0);
		break;
	case PVFBT_CLS_NORMAL: {	/* push %reg */
		unsigned long v = push_value(&s->insn, regs);

		regs->sp -= sizeof(unsigned long);
		*(unsigned long *)regs->sp = v;
		regs->ip = next;
		break;
	}
	default:	/* nop */
		regs->ip = next;
		break;
	}
}

/*
 * Does this hit of a return site leave the function?  A conditional tail
 * call only when it is taken; an indirect jump only to outside the
 * function and its .cold part (a computed goto, as in the BPF interpreter,
 * stays inside).
 */
static bool leaves(const struct pvfbt_site *s, const struct pt_regs *regs)
{
	unsigned long t;

	if (!s->tailcall)
		return true;
	if (s->insn.cls == PVFBT_CLS_JCC_REL)
		return pvfbt_cond_true(s->insn.cond, regs->flags);
	if (s->ind_reg < 0)
		return true;
	t = reg_value(s->ind_reg, regs);
	return (t < s->fn_start || t >= s->fn_end) &&
	       (t < s->cold_start || t >= s->cold_end);
}

/*
 * Is sp on this CPU's #DB stack?  The TSS holds the top of each IST stack
 * (cpu_tss_rw is exported; the #DB entry is set once per CPU at boot and
 * never moved since 5.9 dropped the stack shifting).  Under Xen PV the
 * hardware never switches to it, so no code runs there.
 */
static __always_inline bool on_db_stack(unsigned long sp)
{
	unsigned long top = this_cpu_read(cpu_tss_rw.x86_tss.ist[IST_INDEX_DB]);

	return top && sp < top && sp >= top - EXCEPTION_STKSZ;
}

/*
 * The CPU ran into guard byte off of site s's slot: its step never came,
 * or it ran the slot without TF (on the #DB stack).  Resume at site + length.
 */
static __always_inline int on_guard(struct pvfbt_site *s, unsigned long off,
				    struct pt_regs *regs)
{
	unsigned long end = pvfbt_slot_addr(s->slot) + s->insn.len;

	regs->ip = s->addr + s->insn.len;
	if (this_cpu_read(tf_step.end) == end) {
		/* A step shared with the code's own TF: keep TF, give IF back. */
		this_cpu_write(tf_step.end, 0);
		regs->flags |= this_cpu_read(tf_step.if_flag);
		pvfbt_stat_inc(missed_steps);
		return NOTIFY_STOP;
	}
	if (off == s->insn.len && !(regs->flags & X86_EFLAGS_TF) &&
	    on_db_stack(regs->sp))
		return NOTIFY_STOP;	/* the end of a run without a step */
	regs->flags &= ~X86_EFLAGS_TF;
	this_cpu_write(late_ip, regs->ip);
	pvfbt_stat_inc(missed_steps);
	return NOTIFY_STOP;
}

/*
 * For the bench's breakdown of a hit (Documentation/benchmarks.md): how far
 * a hit reached by a jump or a call goes.  0 (the default): all of it.
 * 1: a jump's handler returns as soon as the trampoline has reached it
 * (the site looked up, nothing counted).  2: pvfbt_hit() counts the hit
 * and records nothing.  Only 0 records.
 */
int pvfbt_hit_stop __pvfbt_hit_data;
module_param_named(hit_stop, pvfbt_hit_stop, int, 0644);
MODULE_PARM_DESC(hit_stop, "bench only: 0 record every hit (default); 1 jump hits stop on reaching pvfbt; 2 jump hits are counted, not recorded");

static int on_int3(struct pt_regs *regs)
{
	unsigned long addr = regs->ip - 1, tf;
	struct pvfbt_site *s;
	u8 armed;

	/* A late step comes before anything else traps on this CPU. */
	this_cpu_write(late_ip, 0);
	if (in_slots(addr)) {
		/* A guard: the single-step trap never came, or was not asked for. */
		unsigned long off = addr - (unsigned long)pvfbt_slot_area;
		unsigned int slot = off / PVFBT_SLOT_SIZE;

		s = pvfbt_slot_owner(slot);
		/* A jump return's stub has no guard: it never ends in one. */
		if (!s || s->jret || off % PVFBT_SLOT_SIZE < s->insn.len)
			return NOTIFY_DONE;
		return on_guard(s, off % PVFBT_SLOT_SIZE, regs);
	}

	s = pvfbt_site_lookup(addr);
	if (!s)
		return NOTIFY_DONE;
	/*
	 * A site disarmed after this CPU took its int3 is still resumed
	 * correctly; its probes just record nothing.  A hit inside another
	 * hit's recording (a probed function reached from our own callees, or
	 * an NMI) records too, up to a fixed depth.  "hits" counts probe
	 * firings: hits = records + drops + filtered, exactly.
	 */
	armed = READ_ONCE(s->armed);
	if (this_cpu_inc_return(pvfbt_hit_depth) > 1)
		pvfbt_stat_inc(nested);
	if (this_cpu_read(pvfbt_hit_depth) <= PVFBT_MAX_HIT_DEPTH) {
		if (armed & PVFBT_SITE_ENTRY) {
			pvfbt_stat_inc(hits);
			pvfbt_record(s, regs, PVFBT_REC_ENTRY);
		}
		if ((armed & PVFBT_SITE_RETURN) && leaves(s, regs)) {
			pvfbt_stat_inc(hits);
			pvfbt_record(s, regs, PVFBT_REC_RETURN);
		}
	} else if (armed) {
		/* Too deep to record: a firing dropped like a full ring's. */
		this_cpu_add(pvfbt_stats.hits, hweight8(armed));
		this_cpu_add(pvfbt_stats.drops, hweight8(armed));
	}
	this_cpu_dec(pvfbt_hit_depth);

	tf = regs->flags & X86_EFLAGS_TF;
	if (s->jent) {
		/*
		 * A jump entry (jent.c): resume in its detour, after the call
		 * to the trampoline, whatever the context; it runs the whole
		 * range and jumps back after it.  No CPU is ever sent into
		 * the middle of the range, which is what lets the jump be
		 * written once the tasks that were there have left.
		 */
		regs->ip = pvfbt_slot_addr(s->slot) + 5;
		pvfbt_stat_inc(boosted);
	} else if (s->emulate) {
		emulate(s, regs);
		pvfbt_stat_inc(emulated);
		if (tf) {
			/*
			 * The code is being single-stepped: its next trap must
			 * be at the emulated target.  "ret" there through the
			 * pad (the int3 entry leaves a gap below the stack).
			 */
			regs->sp -= sizeof(unsigned long);
			*(unsigned long *)regs->sp = regs->ip;
			regs->ip = tf_pad();
		}
	} else if (s->boost && !tf) {
		regs->ip = pvfbt_slot_addr(s->slot);
		pvfbt_stat_inc(boosted);
	} else if (on_db_stack(regs->sp)) {
		/* No step here: run the slot to its guard. */
		regs->ip = pvfbt_slot_addr(s->slot);
		regs->flags &= ~X86_EFLAGS_TF;
		pvfbt_stat_inc(unstepped);
	} else {
		regs->ip = pvfbt_slot_addr(s->slot);
		if (tf) {
			this_cpu_write(tf_step.end, regs->ip + s->insn.len);
			this_cpu_write(tf_step.if_flag, regs->flags & X86_EFLAGS_IF);
			regs->flags &= ~X86_EFLAGS_IF;
		}
		regs->flags |= X86_EFLAGS_TF;
	}
	return NOTIFY_STOP;
}

static int on_debug(struct pt_regs *regs, unsigned long *dr6)
{
	unsigned long ip = regs->ip, late = this_cpu_read(late_ip);

	if (late)
		this_cpu_write(late_ip, 0);
	if (!(*dr6 & DR_STEP))
		return NOTIFY_DONE;
	if (in_slots(ip)) {
		unsigned long off = ip - (unsigned long)pvfbt_slot_area;
		unsigned int slot = off / PVFBT_SLOT_SIZE;
		struct pvfbt_site *s = pvfbt_slot_owner(slot);

		/* Not a stub (jret.c): a step through one is someone else's. */
		if (s && !s->jret && off % PVFBT_SLOT_SIZE == s->insn.len) {
			regs->ip = s->addr + s->insn.len;
			pvfbt_stat_inc(stepped);
			if (this_cpu_read(tf_step.end) == ip) {
				/*
				 * The code's own TF asked for this step too:
				 * it is now where the original instruction
				 * would have left it; pass the trap on.
				 */
				this_cpu_write(tf_step.end, 0);
				regs->flags |= this_cpu_read(tf_step.if_flag);
				return NOTIFY_DONE;
			}
			regs->flags &= ~X86_EFLAGS_TF;
			*dr6 &= ~DR_STEP;
			return NOTIFY_STOP;
		}
	}
	/*
	 * The step of a repaired miss, arriving late: the first trap on this
	 * CPU after the repair, where the guard sent it.
	 */
	if (late == ip) {
		*dr6 &= ~DR_STEP;
		pvfbt_stat_inc(late_steps);
		return NOTIFY_STOP;
	}
	return NOTIFY_DONE;
}

static int pvfbt_die(struct notifier_block *nb, unsigned long val, void *data)
{
	struct die_args *args = data;

	if (user_mode(args->regs))
		return NOTIFY_DONE;
	if (val == DIE_INT3)
		return on_int3(args->regs);
	if (val == DIE_DEBUG)
		return on_debug(args->regs, (unsigned long *)args->err);
	return NOTIFY_DONE;
}

static struct notifier_block pvfbt_die_nb = {
	.notifier_call = pvfbt_die,
	.priority = INT_MAX,
};

/* pvfbt's own functions that run in trap context (their callees are excluded). */
int pvfbt_trap_roots(unsigned long *v, int max)
{
	const unsigned long r[] = {
		(unsigned long)pvfbt_die, (unsigned long)on_int3,
		(unsigned long)on_debug, (unsigned long)emulate,
		(unsigned long)pvfbt_record, (unsigned long)pvfbt_site_lookup,
		(unsigned long)pvfbt_str_measure, (unsigned long)pvfbt_str_write,
		(unsigned long)pvfbt_hit, (unsigned long)pvfbt_jret_hit,
		(unsigned long)pvfbt_jent_hit,
		(unsigned long)pvfbt_fcall_hit_fn(),
	};
	int i;

	for (i = 0; i < ARRAY_SIZE(r) && i < max; i++)
		v[i] = r[i];
	return i;
}

/* The callbacks on the die chain: they run on every int3 and #DB. */
int pvfbt_die_callbacks(unsigned long *v, int max)
{
	struct atomic_notifier_head *chain =
		(void *)pvfbt_ks.lookup_name("die_chain");
	struct notifier_block *nb;
	int n = 0;

	if (!chain)
		return 0;
	rcu_read_lock();
	for (nb = rcu_dereference(chain->head); nb && n < max;
	     nb = rcu_dereference(nb->next))
		v[n++] = (unsigned long)nb->notifier_call;
	rcu_read_unlock();
	return n;
}

int pvfbt_arch_init(void)
{
	if (pvfbt_sites_init())
		return -ENOMEM;
	if (pvfbt_patch_init()) {
		pvfbt_sites_exit();
		return -ENOMEM;
	}
	pvfbt_poke_begin();
	pvfbt_poke_bytes((void *)tf_pad(), "\xc3", 1);	/* ret */
	pvfbt_poke_end();
	return register_die_notifier(&pvfbt_die_nb);
}

/* No handler runs after this returns (unregistering waits for RCU). */
void pvfbt_arch_stop(void)
{
	unregister_die_notifier(&pvfbt_die_nb);
}

/* Every site is disarmed and removed, every CPU out of the handlers and slots. */
void pvfbt_arch_exit(void)
{
	pvfbt_sites_exit();
	pvfbt_patch_exit();
	pvfbt_jret_exit();
}

/* Memory held outside a session: the site table (as big as the sites need) and the slot tables. */
u64 pvfbt_arch_table_bytes(void)
{
	return pvfbt_sites_bytes() + (pvfbt_slot_area_end - pvfbt_slot_area);
}
