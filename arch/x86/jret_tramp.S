/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The jump returns' trampoline (arch/x86/jret.c).  A return site jumps to
 * its stub, "push $slot; jmp pvfbt_jret_tramp": here the stack holds the
 * slot number, then the return address of the probed function.  It saves a
 * struct pt_regs below them (ip, cs, sp and ss are filled in C), calls
 * pvfbt_jret_hit(regs, slot), restores every register and the flags (an
 * assembly function may return a result in them) and returns with the
 * kernel's RET, which the module loader points at the return thunk in use.
 *
 * objtool checks the stack from the hint on, and gives the trampoline ORC
 * data: a stack through it unwinds.  Its address is taken (the stubs'
 * jumps are computed in C) but it is only ever reached by a direct jump:
 * no ENDBR.
 */
#include <linux/linkage.h>
#include <linux/objtool.h>
#include <asm/orc_types.h>

/*
 * A struct pt_regs below the stack's top (ip, cs, sp and ss are filled in
 * C), and back: every register and the flags (popfq last: nothing after it
 * may change a flag, so the callers drop the rest of the frame with lea).
 */
.macro PT_REGS_SAVE
	pushq	$0		/* ss */
	pushq	$0		/* sp */
	pushfq			/* flags */
	pushq	$0		/* cs */
	pushq	$0		/* ip */
	pushq	$-1		/* orig_ax */
	pushq	%rdi
	pushq	%rsi
	pushq	%rdx
	pushq	%rcx
	pushq	%rax
	pushq	%r8
	pushq	%r9
	pushq	%r10
	pushq	%r11
	pushq	%rbx
	pushq	%rbp
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
.endm

.macro PT_REGS_RESTORE
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbp
	popq	%rbx
	popq	%r11
	popq	%r10
	popq	%r9
	popq	%r8
	popq	%rax
	popq	%rcx
	popq	%rdx
	popq	%rsi
	popq	%rdi
	addq	$3*8, %rsp	/* orig_ax, ip, cs */
	popfq
.endm

	/* beside pvfbt_jret_hit() and pvfbt_hit(): pvfbt.h, __pvfbt_hit_text */
	.section .text.pvfbt_hit, "ax"
SYM_CODE_START(pvfbt_jret_tramp)
	UNWIND_HINT type=UNWIND_HINT_TYPE_CALL sp_reg=ORC_REG_SP sp_offset=16
	ANNOTATE_NOENDBR
	PT_REGS_SAVE
	movq	%rsp, %rdi
	movq	21*8(%rsp), %rsi	/* the stub's slot number */
	call	pvfbt_jret_hit
	PT_REGS_RESTORE
	leaq	3*8(%rsp), %rsp	/* sp, ss, the slot number (lea: the flags stay) */
	RET
SYM_CODE_END(pvfbt_jret_tramp)

/*
 * The jump entries' trampoline (arch/x86/jent.c).  An entry site jumps to
 * its detour, whose first instruction is "call pvfbt_jent_tramp": here the
 * stack holds the detour's copy of the moved instructions (the return
 * address), then the probed function's own return address.  The same
 * struct pt_regs as above; pvfbt_jent_hit(regs, copy) records the entry;
 * every register and the flags are restored and RET goes on at the copy,
 * with the stack the function had at its entry site.
 */
SYM_CODE_START(pvfbt_jent_tramp)
	UNWIND_HINT type=UNWIND_HINT_TYPE_CALL sp_reg=ORC_REG_SP sp_offset=16
	ANNOTATE_NOENDBR
	PT_REGS_SAVE
	movq	%rsp, %rdi
	movq	21*8(%rsp), %rsi	/* the copy: where this returns to */
	call	pvfbt_jent_hit
	PT_REGS_RESTORE
	leaq	2*8(%rsp), %rsp	/* sp, ss (lea: the flags stay) */
	RET
SYM_CODE_END(pvfbt_jent_tramp)
