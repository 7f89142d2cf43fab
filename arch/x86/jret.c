// SPDX-License-Identifier: GPL-2.0
/*
 * Jump returns: a return probe reached by a jump, not a trap.
 *
 * Every return site of these kernels is compiled as a 5-byte "jmp
 * __x86_return_thunk", which boot-time patching leaves as a jump to the
 * thunk the CPU's mitigations chose, or turns into "ret" and four int3.
 * Either form is a whole return in 5 bytes that nothing branches into, so
 * it can become "jmp stub":
 *
 *	site:		jmp  stub			(e9 rel32)
 *	stub (a slot):	push $slot; jmp pvfbt_jret_tramp	(68 imm32, e9 rel32)
 *	pvfbt_jret_tramp (jret_tramp.S): saves a struct pt_regs, calls
 *			pvfbt_jret_hit(regs, slot), restores everything, drops
 *			the slot number and returns with the kernel's RET: the
 *			module loader points it at the return thunk in use, so
 *			retbleed/SRSO/ITS mitigations stay as the kernel chose.
 *
 * No call is made on the way in, so the return-stack buffer stays
 * balanced.  Under Xen PV this is the point: a trap is a hypervisor
 * crossing both ways, a jump is a jump.
 *
 * Invariants:
 *  - A site qualifies only if its live text is one of the two 5-byte forms
 *    (ret + 4 x int3 or jmp to a return thunk), it serves a return probe
 *    only (not the function's entry site), is not a tail call, and its 5
 *    bytes overlap no run-time patched text (alternatives, jump labels,
 *    static calls, ftrace) and no static-call trampoline.  The int3 bytes
 *    after a "ret" are never run nor branched to: a function never starts
 *    with int3, and no instruction of the function starts there (the
 *    boot-time form of a 5-byte jump, or padding).
 *  - The stub lives in the site's own slot, never given to another site
 *    until every task is out of it (synchronize_rcu_tasks(), as for boosted
 *    slots): its slot number is what the trampoline is told.
 *  - Writes follow text_poke_bp()'s order (patch.c): int3 at byte 0, sync
 *    (the enable's batch); bytes 1-4, sync, byte 0, sync (a later batch:
 *    pvfbt_jret_upgrade(), with the jump entries').  In between, the site
 *    is an ordinary int3 site: the int3 handler records and emulates the
 *    original return from the saved bytes.  Disarming is the reverse, in
 *    three phases of one batch.  Before each write the whole 5 bytes are checked to be as
 *    pvfbt left them (kernel text is shared); a refused disarm loses the
 *    site and pins the module, whose stub the text may still reach.
 *  - pvfbt_jret_hit() runs in the context of the probed function: any
 *    context, interrupts on or off, preemptible.  It disables preemption,
 *    shares the int3 path's recursion bound and records with the same
 *    pvfbt_record(); nothing in it sleeps, locks or allocates.
 *  - force_int3=1 arms every site by int3 from then on.
 */
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/preempt.h>
#include <linux/slab.h>
#include <asm/ptrace.h>
#include <asm/segment.h>
#include "driver/pvfbt.h"
#include "arch/x86/slots.h"

extern u8 pvfbt_jret_tramp[];

static bool force_int3;
module_param(force_int3, bool, 0644);
MODULE_PARM_DESC(force_int3, "arm every site with int3, even where a jump would do (sites armed from now on)");

#define JMP_LEN	5

static u32 nr_jumped;		/* sites in jump form: under text_mutex */

/*
 * Jump sites whose disarm was refused: another tool wrote over the jump
 * (a kprobe on it: kprobes decodes "jmp stub" as an ordinary jump and
 * emulates it; an optimised kprobe's detour copies it).  That text may lead
 * to the stub for as long as the other tool stays, so pvfbt pins itself
 * (rmmod: EBUSY) and takes the site back, by the same three phases, once
 * the live text is its jump again and no kprobe is on or over it
 * (pvfbt_jret_reclaim(): at every listing and enable, and every second
 * while any is left).  Under fbt_mutex and text_mutex.
 */
static struct pvfbt_site **lost;
static u32 nr_lost, cap_lost;
static bool pinned;

u32 pvfbt_jret_nr_lost(void)
{
	return READ_ONCE(nr_lost);
}

static void lost_add(struct pvfbt_site *s)
{
	if (!pinned) {
		pinned = true;
		__module_get(THIS_MODULE);
	}
	if (nr_lost == cap_lost) {
		u32 cap = cap_lost ? 2 * cap_lost : 16;
		struct pvfbt_site **v = krealloc_array(lost, cap, sizeof(*v), GFP_KERNEL);

		if (!v)
			return;		/* never taken back: pvfbt stays */
		lost = v;
		cap_lost = cap;
	}
	lost[nr_lost] = s;
	WRITE_ONCE(nr_lost, nr_lost + 1);
}

static void lost_del(u32 i)
{
	lost[i] = lost[nr_lost - 1];
	WRITE_ONCE(nr_lost, nr_lost - 1);
}

/* A site that is going away (its module leaves): no longer ours to take back. */
void pvfbt_jret_forget(struct pvfbt_site *s)
{
	u32 i;

	for (i = 0; i < nr_lost; i++)
		if (lost[i] == s) {
			lost_del(i);
			break;
		}
}

u32 pvfbt_jret_sites(void)
{
	return READ_ONCE(nr_jumped);
}

/*
 * The 5 bytes at a return site, as compiled or as boot-time patching left
 * them: "ret; int3 x 4" or "jmp <return thunk>".  Not a static-call
 * trampoline (5 bytes followed by "ud1 %esp, %ecx": static_call rewrites
 * those).
 */
bool pvfbt_jret_shape(unsigned long addr, const u8 *b, unsigned int avail,
		      const struct pvfbt_insn *in)
{
	if (avail < JMP_LEN)
		return false;
	if (avail >= JMP_LEN + 3 && !memcmp(b + JMP_LEN, "\x0f\xb9\xcc", 3))
		return false;
	if (in->cls == PVFBT_CLS_RET && in->len == 1 && b[0] == 0xc3)
		return !memcmp(b + 1, "\xcc\xcc\xcc\xcc", 4);
	return in->cls == PVFBT_CLS_JMP_REL && in->len == JMP_LEN && b[0] == 0xe9 &&
	       pvfbt_is_return_thunk(pvfbt_branch_target(in, addr));
}

static unsigned long stub_addr(const struct pvfbt_site *s)
{
	return pvfbt_slot_addr(s->slot);
}

/*
 * The bytes of a jump site as pvfbt makes them: "jmp stub", and for a jump
 * entry (jent.c) int3 over the rest of the moved range, which no CPU runs
 * while the jump is there and no other tool may probe (kprobes refuses an
 * int3 it did not write).  Returns how many bytes: 5, or the range.
 */
static unsigned int jump_bytes(const struct pvfbt_site *s, u8 *b)
{
	s32 rel = (s32)((s64)stub_addr(s) - (s64)(s->addr + JMP_LEN));
	unsigned int len = s->jent ? s->jent_len : JMP_LEN;

	b[0] = 0xe9;
	memcpy(b + 1, &rel, 4);
	memset(b + JMP_LEN, 0xcc, len - JMP_LEN);
	return len;
}

/* The bytes a jump site's write covers: 5, or a jump entry's range. */
static unsigned int site_len(const struct pvfbt_site *s)
{
	return s->jent ? s->jent_len : JMP_LEN;
}

unsigned int pvfbt_jret_len(const struct pvfbt_site *s)
{
	return s->jret ? site_len(s) : 1;
}

/*
 * Give a prepared site (pvfbt_site_prepare(): emulated, no slot) a slot
 * holding its stub.  Under fbt_mutex and text_mutex, before the site is
 * published.  A site that cannot have one stays an int3 site.
 */
int pvfbt_jret_prepare(struct pvfbt_site *s)
{
	unsigned long stub, tramp = (unsigned long)pvfbt_jret_tramp;
	u8 buf[PVFBT_SLOT_SIZE];
	s64 rel;
	int slot;

	/* (not folded into a relocation to tramp - 10, which objtool takes for code) */
	OPTIMIZER_HIDE_VAR(tramp);
	if (s->slot >= 0 || !s->emulate)
		return -EINVAL;
	slot = pvfbt_slot_next();
	if (slot < 0)
		return slot;
	stub = pvfbt_slot_addr(slot);
	rel = (s64)tramp - (s64)(stub + 10);
	if (rel != (s32)rel ||
	    (s64)stub - (s64)(s->addr + JMP_LEN) != (s32)((s64)stub - (s64)(s->addr + JMP_LEN)))
		return -ERANGE;
	memset(buf, 0xcc, sizeof(buf));
	buf[0] = 0x68;				/* push $slot */
	memcpy(buf + 1, &(u32){ slot }, 4);
	buf[5] = 0xe9;				/* jmp pvfbt_jret_tramp */
	memcpy(buf + 6, &(s32){ (s32)rel }, 4);
	pvfbt_poke_bytes((void *)stub, buf, sizeof(buf));
	pvfbt_slot_commit(slot, s);
	s->jret = 1;
	return 0;
}

/* Are jump returns in use (force_int3=0)? */
bool pvfbt_jret_enabled(void)
{
	return !READ_ONCE(force_int3);
}

/* Will arming this site now make it a jump? */
bool pvfbt_jret_would_jump(const struct pvfbt_site *s)
{
	return s->jret && !READ_ONCE(force_int3) && !s->lost;
}

/*
 * The ownership rule for a jump site's 5 bytes (caller holds text_mutex):
 * to arm, the original bytes and no kprobe on or over any of them; to
 * disarm, the jump pvfbt wrote.
 */
bool pvfbt_jret_text_ok(const struct pvfbt_site *s, bool arm)
{
	u8 live[PVFBT_JENT_MAX], want[PVFBT_JENT_MAX];
	unsigned int len = site_len(s);

	if (arm && s->fresh)	/* checked as it was made: int3_text_ok() */
		return !s->lost;
	if (s->lost || copy_from_kernel_nofault(live, (void *)s->addr, len))
		return false;
	if (!arm) {
		jump_bytes(s, want);
		return !memcmp(live, want, len);
	}
	return !memcmp(live, s->code, len) && !pvfbt_foreign_range(s->addr, len);
}

/*
 * Queue the writes that make a site a jump (arm) or give it its original
 * bytes back (disarm), in text_poke_bp()'s order.  -EBUSY if the text is
 * not as pvfbt left it: arming then changes nothing; disarming loses the
 * site (its bytes are left to whoever wrote them) and pins pvfbt, whose
 * stub they may still lead to.
 */
int pvfbt_jret_poke(struct pvfbt_site *s, bool arm)
{
	u8 b[PVFBT_JENT_MAX], int3 = 0xcc;
	u8 order = arm ? s->order : PVFBT_ORDER_MAX - s->order;
	unsigned int len;

	if (!pvfbt_jret_text_ok(s, arm)) {
		pvfbt_text_refused_inc();
		if (!arm) {
			s->lost = 1;
			lost_add(s);
		}
		pr_warn_ratelimited(PVFBT_NAME ": %s the jump at %pS refused: its text is not as pvfbt left it%s\n",
				    arm ? "writing" : "removing", (void *)s->addr,
				    arm ? "" : " (pvfbt stays loaded until it can take it back)");
		return -EBUSY;
	}
	if (arm) {
		/*
		 * Armed by its int3 first, the jump written later by
		 * pvfbt_jret_upgrade() (provider/arm.c, jent_fn()): a jump
		 * entry must wait until no task is inside the range it moves;
		 * a return need not, but its three phases with their syncs
		 * would make an enable of every return twice as slow as int3.
		 */
		pvfbt_poke_text(s->addr, &int3, 1, order, PVFBT_PHASE_FIRST, true);
		pvfbt_jent_armed(s);
		return 0;
	}
	len = site_len(s);
	memcpy(b, s->code, len);
	pvfbt_poke_text(s->addr, &int3, 1, order, PVFBT_PHASE_FIRST, false);
	pvfbt_poke_text(s->addr + 1, b + 1, len - 1, order, PVFBT_PHASE_TAIL, false);
	pvfbt_poke_text(s->addr, b, 1, order, PVFBT_PHASE_LAST, true);
	WRITE_ONCE(s->jumped, 0);
	WRITE_ONCE(nr_jumped, nr_jumped - 1);
	return 0;
}

/*
 * A jump site armed by int3 (pvfbt_jret_poke()) becomes its jump: bytes
 * 1 to the end (4, or a jump entry's range), a sync, the opcode (the int3
 * is in place and synced already).  For a jump entry the caller has waited
 * for every task that was inside the range when the int3 went in
 * (synchronize_rcu_tasks()); since then the int3 has sent every CPU around
 * the range (trap.c).  A return's bytes 1-4 are never run.  -EBUSY, and
 * nothing written, if the text is not int3 plus the original bytes or a
 * kprobe sits on or over them: the site stays an int3 site.
 */
int pvfbt_jret_upgrade(struct pvfbt_site *s)
{
	u8 live[PVFBT_JENT_MAX], b[PVFBT_JENT_MAX];
	unsigned int len = site_len(s);

	if (s->lost || s->jumped || !s->jret ||
	    copy_from_kernel_nofault(live, (void *)s->addr, len) ||
	    live[0] != 0xcc || memcmp(live + 1, s->code + 1, len - 1) ||
	    pvfbt_foreign_range(s->addr, len)) {
		pvfbt_text_refused_inc();
		return -EBUSY;
	}
	jump_bytes(s, b);
	pvfbt_poke_text(s->addr + 1, b + 1, len - 1, s->order, PVFBT_PHASE_TAIL, false);
	pvfbt_poke_text(s->addr, b, 1, s->order, PVFBT_PHASE_LAST, true);
	WRITE_ONCE(s->jumped, 1);
	WRITE_ONCE(nr_jumped, nr_jumped + 1);
	return 0;
}

/*
 * Take back the lost jump sites whose text is pvfbt's jump again, with no
 * kprobe on or over it: restored like any disarm.  Caller holds fbt_mutex;
 * this takes text_mutex (one batch).  Unpins pvfbt when none is left.
 */
void pvfbt_jret_reclaim(void)
{
	u32 i;

	if (!READ_ONCE(nr_lost))
		return;
	pvfbt_poke_begin();
	for (i = 0; i < nr_lost; ) {
		struct pvfbt_site *s = lost[i];
		u8 live[PVFBT_JENT_MAX], want[PVFBT_JENT_MAX];
		unsigned int len = jump_bytes(s, want);

		if (copy_from_kernel_nofault(live, (void *)s->addr, len) ||
		    memcmp(live, want, len) || pvfbt_foreign_range(s->addr, len)) {
			i++;
			continue;
		}
		s->lost = 0;
		if (pvfbt_jret_poke(s, false)) {	/* cannot be: checked above */
			s->lost = 1;
			i++;
			continue;
		}
		lost_del(i);
		pr_info(PVFBT_NAME ": took back the jump at %pS\n", (void *)s->addr);
	}
	pvfbt_poke_end();
	if (!nr_lost && pinned) {
		pinned = false;
		module_put(THIS_MODULE);
	}
}

void pvfbt_jret_exit(void)
{
	kfree(lost);
}

/*
 * Called by pvfbt_jret_tramp with the registers of the return: ip is the
 * site, sp points at the return address (as the int3 path sees them).
 */
__visible notrace __pvfbt_hit_text void pvfbt_jret_hit(struct pt_regs *regs, unsigned long slot)
{
	const struct pvfbt_site *s;
	u8 armed;

	preempt_disable_notrace();
	s = pvfbt_slot_owner(slot);
	if (unlikely(!s))
		goto out;
	if (unlikely(READ_ONCE(pvfbt_hit_stop) == PVFBT_HIT_STOP_REACH))
		goto out;
	pvfbt_jump_regs(regs, s);
	armed = READ_ONCE(s->armed);
	if (armed & PVFBT_SITE_RETURN)
		pvfbt_hit(s, regs, PVFBT_REC_RETURN | PVFBT_HIT_JUMP);
out:
	/*
	 * No reschedule from here: it would put the scheduler on pvfbt's
	 * trap path (excluded from probing); the next preemption point
	 * takes it.  (preempt_enable_no_resched_notrace(), which modules
	 * are not given.)
	 */
	barrier();
	__preempt_count_dec();
}
