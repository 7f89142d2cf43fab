// SPDX-License-Identifier: GPL-2.0
/*
 * Jump entries: an entry probe reached by a jump, not a trap.
 *
 * The entry site is the first instruction after the fentry nop (ftrace's
 * site, which pvfbt never writes).  A "jmp" there is 5 bytes, so it covers
 * the first instructions of the function: the range, whole instructions of
 * 5 to PVFBT_JENT_MAX bytes.  Those run out of line, in a detour that takes
 * two adjacent slots:
 *
 *	site:	  jmp detour; int3 over the rest of the range
 *	detour:	  call pvfbt_jent_tramp		(e8 rel32)
 *	detour+5: the range's instructions, RIP-relative operands and
 *		  relative branches rebased (a jcc or jmp as its rel32 form)
 *		  jmp site + range			(e9 rel32)
 *		  (a range may end in a direct call: "push $site + range;
 *		  jmp callee" instead, see pvfbt_jent_range())
 *	pvfbt_jent_tramp (jret_tramp.S): saves a struct pt_regs, calls
 *		  pvfbt_jent_hit(regs, detour + 5), restores everything and
 *		  returns, with the kernel's RET, to detour + 5.
 *
 * The call and the RET pair up, so the return-stack buffer stays right,
 * and the stack the probed function sees at detour + 5 is the stack it had
 * at the site.  As optimised kprobes do (arch/x86/kernel/kprobes/opt.c),
 * written by pvfbt's own batch writer, with these rules:
 *
 * Invariants:
 *  - A range qualifies only if every instruction in it is one the int3 path
 *    would boost (pvfbt_boostable(): its effect does not depend on where it
 *    runs, RIP-relative operands aside), a relative jcc or jmp (moved with
 *    the same target) or, the last, a direct call whose return address is
 *    pushed as the original one, none is in the exception tables,
 *    the range ends inside the function and overlaps no run-time patched
 *    text, no branch of the function leads into bytes 1 and on of the range,
 *    no return site (a tail call) is in it, and the function has no
 *    indirect jump (whose targets are unknown).
 *    provider/analyse.c's analysis checks the function, pvfbt_jent_range()
 *    the instructions; when the site is made, pvfbt_jent_prepare() checks
 *    that the live text still holds those instructions, at the same
 *    offsets (the exception tables need no second look: they are about
 *    addresses).
 *  - The int3 path never sends a CPU into the middle of the range: an int3
 *    hit on a jump entry resumes at detour + 5, in any context (trap.c).
 *  - The jump is written only when no task can be in the middle of the
 *    range: arming writes the int3 first (the site is then an int3 site
 *    whose hits run the detour), and the jump (bytes 1 on, a sync, byte 0)
 *    follows after a synchronize_rcu_tasks() that began once that int3 was
 *    in place everywhere (provider/arm.c, jent_work): a task that was in
 *    the range then, preempted or interrupted, has left it.  A site
 *    disarmed and armed again meanwhile waits for a later grace period
 *    (jent_gen).  Disarming is text_poke_bp()'s order backwards, with no
 *    wait: with the int3 at byte 0, nothing enters bytes 1 on.
 *  - While the jump is there the rest of the range is int3: kprobes
 *    refuses an int3 it did not write, so no other tool can put a probe
 *    inside bytes pvfbt moved.  The ownership checks cover the whole range.
 *  - The detour's two slots are the site's until the site is freed, given
 *    back only when no task can be inside them (as every slot).
 *  - pvfbt_jent_hit() runs in the probed function's context, preemptible
 *    or not: it disables preemption and records with pvfbt_hit().
 */
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/preempt.h>
#include <asm/ptrace.h>
#include <asm/segment.h>
#include "driver/pvfbt.h"
#include "arch/x86/slots.h"

extern u8 pvfbt_jent_tramp[];
extern u8 pvfbt_slot_area[];

#define JMP_LEN		5
#define DETOUR_SIZE	(2 * PVFBT_SLOT_SIZE)

/*
 * Jump sites (entries, and returns: jret.c) armed by int3 and waiting for
 * their jump, and the count of int3 armings so far (the generation a site
 * was armed in).  Under fbt_mutex and text_mutex.
 */
static u32 nr_waiting, gen;

/* A direct call, "call rel32": it may end a range (see pvfbt_jent_range()). */
static bool is_call(const struct pvfbt_insn *in, const u8 *b)
{
	return in->cls == PVFBT_CLS_CALL_REL && in->len == JMP_LEN && b[0] == 0xe8;
}

/*
 * A relative jmp or jcc (b: its bytes): the detour has it in its rel32
 * form, rebased, without prefixes.  They mean nothing to a direct branch
 * in 64-bit mode, but for 66 (a rel16 form, which some CPUs truncate):
 * not moved.
 */
static bool is_branch(const struct pvfbt_insn *in, const u8 *b)
{
	unsigned int i;

	if (in->cls != PVFBT_CLS_JMP_REL && in->cls != PVFBT_CLS_JCC_REL)
		return false;
	for (i = 0; i < in->nprefix; i++)
		if (b[i] == 0x66)
			return false;
	return true;
}

/*
 * The range of a jump entry at addr (b: its bytes, avail of them): the
 * length of the shortest run of whole instructions of at least 5 bytes that
 * could all run out of line (boostable, or a relative jcc or jmp: the
 * detour has its rel32 form), or 0.  The last one may be a direct call: the
 * detour pushes the call's own return address, in the function (so the
 * callee returns to the text after the range, as it would, and a stack
 * through it unwinds), and jumps to the callee.  A task asleep in the
 * callee thus never holds an address in a slot.
 */
unsigned int pvfbt_jent_range(unsigned long addr, const u8 *b, unsigned int avail, u16 *starts)
{
	struct pvfbt_insn in;
	unsigned int len = 0;
	int n;

	*starts = 0;	/* bit i: an instruction of the range starts at byte i */
	while (len < JMP_LEN) {
		n = pvfbt_decode(b + len, avail - len, &in);
		if (n <= 0 || len + n > PVFBT_JENT_MAX)
			return 0;
		*starts |= 1 << len;
		if (is_call(&in, b + len))
			/* pushed as an imm32, sign-extended: kernel text is in the top 2 GB */
			return (s64)(s32)(addr + len + n) == (s64)(addr + len + n) ? len + n : 0;
		if (!is_branch(&in, b + len) && !pvfbt_boostable(&in, b + len))
			return 0;
		if (pvfbt_ks.search_exception_tables &&
		    pvfbt_ks.search_exception_tables(addr + len))
			return 0;
		len += n;
	}
	return len;
}

/*
 * Make a new entry site (no slot yet) a jump entry over len bytes, its
 * detour queued into two fresh slots.  decoded is the caller's decoding of
 * the first instruction in bytes.
 * len and starts are what pvfbt_jent_range() found when the function was
 * analysed; bytes, the live text, must still be those instructions, each
 * one boostable or a relative branch, but for a last direct call (the
 * exception tables, a property of the addresses, need no second look:
 * making a site stays cheap).  Under fbt_mutex and text_mutex, before the
 * site is published.
 * An error (-EINVAL: not that range) leaves the site as it was.
 */
int pvfbt_jent_prepare(struct pvfbt_site *s, const u8 *bytes, unsigned int len, u16 starts,
		       const struct pvfbt_insn *decoded)
{
	u16 now = 0;
	unsigned long detour, tramp = (unsigned long)pvfbt_jent_tramp;
	u8 buf[DETOUR_SIZE];
	struct pvfbt_insn in;
	unsigned int off, w;
	bool call = false, branch;
	s64 rel;
	int n;

	/* (not folded into a relocation to tramp - 5, which objtool takes for code) */
	OPTIMIZER_HIDE_VAR(tramp);
	if (s->slot >= 0 || len < JMP_LEN || len > PVFBT_JENT_MAX)
		return -EINVAL;
	n = pvfbt_slot_next2();
	if (n < 0)
		return n;
	detour = pvfbt_slot_addr(n);
	memset(buf, 0xcc, sizeof(buf));
	rel = (s64)tramp - (s64)(detour + JMP_LEN);
	if (rel != (s32)rel)
		return -ERANGE;
	buf[0] = 0xe8;					/* call pvfbt_jent_tramp */
	memcpy(buf + 1, &(s32){ (s32)rel }, 4);
	/* The range's instructions, from detour + 5 on (w: where the next goes). */
	for (off = 0, w = JMP_LEN; off < len; off += in.len) {
		if (!off)
			in = *decoded;
		else if (pvfbt_decode(bytes + off, len - off, &in) <= 0)
			return -EINVAL;
		if (in.len > len - off || call)
			return -EINVAL;
		call = is_call(&in, bytes + off);
		branch = is_branch(&in, bytes + off);
		if (!call && !branch && !pvfbt_boostable(&in, bytes + off))
			return -EINVAL;
		now |= 1 << off;
		if (branch) {
			/* jcc rel32 (0f 80+cc) or jmp rel32 (e9), to the same target */
			unsigned int blen = in.cls == PVFBT_CLS_JCC_REL ? 6 : 5;

			if (w + blen > sizeof(buf))
				return -ERANGE;
			rel = (s64)pvfbt_branch_target(&in, s->addr + off) -
			      (s64)(detour + w + blen);
			if (rel != (s32)rel)
				return -ERANGE;
			if (blen == 6) {
				buf[w] = 0x0f;
				buf[w + 1] = 0x80 | (in.cond & 0xf);
			} else {
				buf[w] = 0xe9;
			}
			memcpy(buf + w + blen - 4, &(s32){ (s32)rel }, 4);
			w += blen;
			continue;
		}
		if (call) {
			/* push $return address; jmp callee */
			unsigned long ret = s->addr + off + in.len;

			if ((s64)(s32)ret != (s64)ret || w + 10 > sizeof(buf))
				return -ERANGE;
			rel = (s64)pvfbt_branch_target(&in, s->addr + off) -
			      (s64)(detour + w + 10);
			if (rel != (s32)rel)
				return -ERANGE;
			buf[w] = 0x68;
			memcpy(buf + w + 1, &(s32){ (s32)ret }, 4);
			buf[w + 5] = 0xe9;
			memcpy(buf + w + 6, &(s32){ (s32)rel }, 4);
			w += 10;
			continue;
		}
		if (w + in.len > sizeof(buf))
			return -ERANGE;
		memcpy(buf + w, bytes + off, in.len);
		if (in.flags & PVFBT_F_RIPREL) {
			/* The instruction moves by (detour + w) - (addr + off). */
			rel = (s64)in.disp + (s64)(s->addr + off) - (s64)(detour + w);
			if (rel != (s32)rel)
				return -ERANGE;
			memcpy(buf + w + in.disp_off, &(s32){ (s32)rel }, 4);
		}
		w += in.len;
	}
	if (now != starts)
		return -EINVAL;
	if (!call) {
		/* jmp site + len */
		rel = (s64)(s->addr + len) - (s64)(detour + w + JMP_LEN);
		if (rel != (s32)rel || w + JMP_LEN > sizeof(buf))
			return -ERANGE;
		buf[w] = 0xe9;
		memcpy(buf + w + 1, &(s32){ (s32)rel }, 4);
	}
	if ((s64)detour - (s64)(s->addr + JMP_LEN) != (s32)((s64)detour - (s64)(s->addr + JMP_LEN)))
		return -ERANGE;
	pvfbt_poke_bytes((void *)detour, buf, PVFBT_SLOT_SIZE);
	pvfbt_poke_bytes((void *)(detour + PVFBT_SLOT_SIZE), buf + PVFBT_SLOT_SIZE,
			 PVFBT_SLOT_SIZE);
	s->insn = *decoded;
	s->orig = bytes[0];
	s->target = 0;
	s->ind_reg = -1;
	s->emulate = 0;
	s->boost = 1;
	s->jent = 1;
	s->jent_len = len;
	s->jret = 1;
	pvfbt_slot_commit2(n, s);
	return 0;
}

/* Its int3 is queued (pvfbt_jret_poke()): the jump waits for a grace period. */
void pvfbt_jent_armed(struct pvfbt_site *s)
{
	if (!s->jent_wait)
		nr_waiting++;
	s->jent_wait = 1;
	s->jent_gen = ++gen;
}

/* Disarmed (or made a jump) before its jump was written: no longer waiting. */
void pvfbt_jent_unwait(struct pvfbt_site *s)
{
	if (s->jent_wait)
		nr_waiting--;
	s->jent_wait = 0;
}

/* The generation of the last int3 arming: those up to it may be upgraded
 * after a grace period that starts now. */
u32 pvfbt_jent_gen(void)
{
	return gen;
}

u32 pvfbt_jent_waiting(void)
{
	return READ_ONCE(nr_waiting);
}

/*
 * Called by pvfbt_jent_tramp with the registers at the entry site; ret is
 * the detour's copy (detour + 5), where the trampoline returns to.
 */
__visible notrace __pvfbt_hit_text void pvfbt_jent_hit(struct pt_regs *regs, unsigned long ret)
{
	unsigned long base = (unsigned long)pvfbt_slot_area, n;
	const struct pvfbt_site *s;

	/* (not folded into a relocation to area + 5, which objtool takes for code) */
	OPTIMIZER_HIDE_VAR(base);
	n = (ret - JMP_LEN - base) / PVFBT_SLOT_SIZE;
	preempt_disable_notrace();
	s = pvfbt_slot_owner(n);
	if (unlikely(!s || READ_ONCE(pvfbt_hit_stop) == PVFBT_HIT_STOP_REACH))
		goto out;
	pvfbt_jump_regs(regs, s);
	if (READ_ONCE(s->armed) & PVFBT_SITE_ENTRY)
		pvfbt_hit(s, regs, PVFBT_REC_ENTRY | PVFBT_HIT_JUMP);
out:
	/* As pvfbt_jret_hit(): the next preemption point reschedules. */
	barrier();
	__preempt_count_dec();
}
