/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One function per instruction form that pvfbt boosts (or steps): the form
 * is the function's first instruction, so it is the entry probe's site.
 * pvfbt_test_r_NAME(in, out) loads every general register and the
 * arithmetic flags from in[], calls pvfbt_test_f_NAME, whose form runs and
 * then jumps to pvfbt_test_dump, which stores every register, the flags,
 * the stack pointer's move and the stack top into pvfbt_test_out[] and
 * returns to the runner.  The test compares that state (and the memory the
 * forms may write, pvfbt_test_mem) unprobed, stepped and boosted.
 *
 * in[]/out[] layout: rax rbx rcx rdx rsi rdi rbp r8..r15 (0..14), flags (15),
 * then out only: rsp - rsp before the call (16), qword at rsp (17).
 * Callers hold the fixture's mutex: the saved state is global.
 */
#include <linux/linkage.h>
#include <linux/objtool.h>
#include <asm/linkage.h>

	.data
	.balign 8
SYM_DATA(pvfbt_test_out, .fill 18, 8, 0)
SYM_DATA(pvfbt_test_mem, .fill 8, 8, 0)
SYM_DATA_LOCAL(saved_rsp, .quad 0)

	.text
SYM_FUNC_START(pvfbt_test_dump)
	mov	%rax, pvfbt_test_out+0(%rip)
	mov	%rbx, pvfbt_test_out+8(%rip)
	mov	%rcx, pvfbt_test_out+16(%rip)
	mov	%rdx, pvfbt_test_out+24(%rip)
	mov	%rsi, pvfbt_test_out+32(%rip)
	mov	%rdi, pvfbt_test_out+40(%rip)
	mov	%rbp, pvfbt_test_out+48(%rip)
	mov	%r8, pvfbt_test_out+56(%rip)
	mov	%r9, pvfbt_test_out+64(%rip)
	mov	%r10, pvfbt_test_out+72(%rip)
	mov	%r11, pvfbt_test_out+80(%rip)
	mov	%r12, pvfbt_test_out+88(%rip)
	mov	%r13, pvfbt_test_out+96(%rip)
	mov	%r14, pvfbt_test_out+104(%rip)
	mov	%r15, pvfbt_test_out+112(%rip)
	pushfq
	pop	%rax
	mov	%rax, pvfbt_test_out+120(%rip)
	mov	(%rsp), %rax
	mov	%rax, pvfbt_test_out+136(%rip)
	mov	%rsp, %rax
	sub	saved_rsp(%rip), %rax
	mov	%rax, pvfbt_test_out+128(%rip)
	/* Back to the runner, just after its call. */
	mov	saved_rsp(%rip), %rsp
	sub	$8, %rsp
	RET
SYM_FUNC_END(pvfbt_test_dump)
/* It returns to its caller's caller: not a frame objtool can follow. */
STACK_FRAME_NON_STANDARD pvfbt_test_dump

/* FORM name, instruction: pvfbt_test_f_name and its runner pvfbt_test_r_name. */
.macro FORM name:req, insn:vararg
SYM_FUNC_START(pvfbt_test_f_\name)
	\insn
	jmp	pvfbt_test_dump
SYM_FUNC_END(pvfbt_test_f_\name)
STACK_FRAME_NON_STANDARD pvfbt_test_f_\name

SYM_FUNC_START(pvfbt_test_r_\name)
	push	%rbx
	push	%rbp
	push	%r12
	push	%r13
	push	%r14
	push	%r15
	push	%rsi			/* out */
	mov	%rsp, saved_rsp(%rip)
	mov	%rdi, %rsi		/* in */
	pushq	120(%rsi)
	popfq
	mov	0(%rsi), %rax
	mov	8(%rsi), %rbx
	mov	16(%rsi), %rcx
	mov	24(%rsi), %rdx
	mov	40(%rsi), %rdi
	mov	48(%rsi), %rbp
	mov	56(%rsi), %r8
	mov	64(%rsi), %r9
	mov	72(%rsi), %r10
	mov	80(%rsi), %r11
	mov	88(%rsi), %r12
	mov	96(%rsi), %r13
	mov	104(%rsi), %r14
	mov	112(%rsi), %r15
	mov	32(%rsi), %rsi		/* last: rsi was the pointer */
	call	pvfbt_test_f_\name
	pop	%rsi
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%rbp
	pop	%rbx
	RET
SYM_FUNC_END(pvfbt_test_r_\name)
.endm

/* The commonest entry forms after push (Documentation/design.md). */
FORM load,	mov 8(%rdi), %rax
FORM load32,	mov 16(%rdi), %eax
FORM subrsp,	sub $0x28, %rsp
FORM movrr,	mov %rdi, %rax
FORM test,	test %rdi, %rdi
FORM xor,	xor %eax, %eax
FORM riprel,	mov pvfbt_test_var(%rip), %rax
FORM movimm,	mov $-5, %rdi
FORM cmp,	cmp $3, %esi
FORM lea,	lea 8(%rsi), %rdx
FORM movzx,	movzbl 4(%rdi), %eax
FORM and,	and $0xf, %edi
FORM store,	mov %rsi, 16(%rdi)
FORM add,	add $1, %rax
FORM shl,	shl $3, %rdx
FORM sete,	sete %al
FORM cmov,	cmovne %rsi, %rax
FORM imul,	imul $7, %rdi, %rax
FORM inc,	inc %ecx
FORM neg,	neg %rdx
FORM movsxd,	movslq %edi, %rax
FORM cltq,	cltq
FORM xchg,	xchg %rax, %rdx
FORM sbb,	sbb %r8, %r9
/* Not boosted: stays single-stepped even with boost=1. */
FORM mul,	mul %rsi
