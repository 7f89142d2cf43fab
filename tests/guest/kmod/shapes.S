/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Functions whose entry and return instructions the tests know exactly.
 * RET is the kernel's macro: "jmp __x86_return_thunk" or "ret; int3",
 * whichever the running CPU gets after boot-time patching.
 */
#include <linux/linkage.h>
#include <asm/linkage.h>
#include <asm/nospec-branch.h>

	.text
/* long pvfbt_test_multiret(long sel): three return sites, 100 + site. */
SYM_FUNC_START(pvfbt_test_multiret)
	push	%rbx
	mov	%rdi, %rbx
	cmp	$1, %rbx
	je	1f
	cmp	$2, %rbx
	je	2f
	mov	$100, %eax
	pop	%rbx
	RET
1:	mov	$101, %eax
	pop	%rbx
	RET
2:	mov	$102, %eax
	pop	%rbx
	RET
SYM_FUNC_END(pvfbt_test_multiret)

/* long pvfbt_test_riprel(long x): entry is a RIP-relative load; var + x. */
SYM_FUNC_START(pvfbt_test_riprel)
	mov	pvfbt_test_var(%rip), %rax
	add	%rdi, %rax
	RET
SYM_FUNC_END(pvfbt_test_riprel)

/* long pvfbt_test_call(long x): entry is a relative call; (x * 2) + 1. */
SYM_FUNC_START(pvfbt_test_call)
	call	pvfbt_test_leaf
	add	$1, %rax
	RET
SYM_FUNC_END(pvfbt_test_call)

SYM_FUNC_START(pvfbt_test_leaf)
	lea	(%rdi,%rdi), %rax
	RET
SYM_FUNC_END(pvfbt_test_leaf)

/*
 * void pvfbt_test_justret(void): its first instruction returns, so its
 * entry site is its return site (one site for both probes).
 */
SYM_FUNC_START(pvfbt_test_justret)
	RET
SYM_FUNC_END(pvfbt_test_justret)

/* long pvfbt_test_jcc(long x): entry is a conditional jump; x ? 7 : 9. */
SYM_FUNC_START(pvfbt_test_jcc)
	test	%rdi, %rdi
	jnz	1f
	mov	$9, %eax
	RET
1:	mov	$7, %eax
	RET
SYM_FUNC_END(pvfbt_test_jcc)

/* long pvfbt_test_jcc2(long x): the jcc is the entry instruction itself. */
SYM_FUNC_START(pvfbt_test_jcc2)
	jz	1f
	mov	$5, %eax
	RET
1:	mov	$6, %eax
	RET
SYM_FUNC_END(pvfbt_test_jcc2)

/*
 * long pvfbt_test_jmpent(long x): the entry range holds a short jmp, which
 * its detour has as jmp rel32; x < 0 ? x + 2 : x + 1.
 */
SYM_FUNC_START(pvfbt_test_jmpent)
	cmp	$0, %rdi
	jmp	2f
1:	lea	2(%rdi), %rax
	RET
2:	js	1b
	lea	1(%rdi), %rax
	RET
SYM_FUNC_END(pvfbt_test_jmpent)

/* long pvfbt_test_push_rbx(long x): entry is push %rbx; returns %rbx + x. */
SYM_FUNC_START(pvfbt_test_push_rbx)
	push	%rbx
	mov	(%rsp), %rax
	add	%rdi, %rax
	pop	%rbx
	RET
SYM_FUNC_END(pvfbt_test_push_rbx)

/* long pvfbt_test_push_r12(long x): entry is push %r12; returns %r12 + x. */
SYM_FUNC_START(pvfbt_test_push_r12)
	push	%r12
	mov	(%rsp), %rax
	add	%rdi, %rax
	pop	%r12
	RET
SYM_FUNC_END(pvfbt_test_push_r12)

/* long pvfbt_test_push_r13(long x): entry is push %r13; returns %r13 + x. */
SYM_FUNC_START(pvfbt_test_push_r13)
	push	%r13
	mov	(%rsp), %rax
	add	%rdi, %rax
	pop	%r13
	RET
SYM_FUNC_END(pvfbt_test_push_r13)

/* long pvfbt_test_push_r14(long x): entry is push %r14; returns %r14 + x. */
SYM_FUNC_START(pvfbt_test_push_r14)
	push	%r14
	mov	(%rsp), %rax
	add	%rdi, %rax
	pop	%r14
	RET
SYM_FUNC_END(pvfbt_test_push_r14)

/* long pvfbt_test_push_r15(long x): entry is push %r15; returns %r15 + x. */
SYM_FUNC_START(pvfbt_test_push_r15)
	push	%r15
	mov	(%rsp), %rax
	add	%rdi, %rax
	pop	%r15
	RET
SYM_FUNC_END(pvfbt_test_push_r15)

/* long pvfbt_test_push_rbp(long x): entry is push %rbp; returns %rbp + x. */
SYM_FUNC_START(pvfbt_test_push_rbp)
	push	%rbp
	mov	(%rsp), %rax
	add	%rdi, %rax
	pop	%rbp
	RET
SYM_FUNC_END(pvfbt_test_push_rbp)

/* long pvfbt_test_tail(long x): a tail call; leaf(x + 1) = 2x + 2. */
SYM_FUNC_START(pvfbt_test_tail)
	add	$1, %rdi
	jmp	pvfbt_test_leaf
SYM_FUNC_END(pvfbt_test_tail)

/* long pvfbt_test_ctail(long x): a conditional tail call; x ? 2x : 3. */
SYM_FUNC_START(pvfbt_test_ctail)
	test	%rdi, %rdi
	jnz	pvfbt_test_leaf
	mov	$3, %eax
	RET
SYM_FUNC_END(pvfbt_test_ctail)

/*
 * long pvfbt_test_itail(long x): an indirect tail call, "jmp *%rax" as the
 * kernel leaves "jmp __x86_indirect_thunk_rax" where retpolines are not
 * needed; leaf(x + 1) = 2x + 2.
 */
SYM_FUNC_START(pvfbt_test_itail)
	lea	pvfbt_test_leaf(%rip), %rax
	add	$1, %rdi
	ANNOTATE_RETPOLINE_SAFE
	jmp	*%rax
	int3
SYM_FUNC_END(pvfbt_test_itail)

/*
 * long pvfbt_test_igoto(long x): x + 3 (x >= 0: through an indirect jump
 * that lands in the function itself, a computed goto: not a return).
 */
SYM_FUNC_START(pvfbt_test_igoto)
	lea	.Ligoto_in(%rip), %rax
	test	%rdi, %rdi
	js	.Ligoto_in		/* for objtool, which cannot follow *%rax */
	ANNOTATE_RETPOLINE_SAFE
	jmp	*%rax
	int3
.Ligoto_in:
	lea	3(%rdi), %rax
	RET
SYM_FUNC_END(pvfbt_test_igoto)

/*
 * The same two through the retpoline thunk, as C code is built here
 * ("jmp __x86_indirect_thunk_rax"; the kernel rewrites it to "jmp *%rax"
 * at load where retpolines are not needed).
 */
SYM_FUNC_START(pvfbt_test_itail2)
	lea	pvfbt_test_leaf(%rip), %rax
	add	$1, %rdi
	jmp	__x86_indirect_thunk_rax
SYM_FUNC_END(pvfbt_test_itail2)

SYM_FUNC_START(pvfbt_test_igoto2)
	lea	.Ligoto2_in(%rip), %rax
	test	%rdi, %rdi
	js	.Ligoto2_in
	jmp	__x86_indirect_thunk_rax
.Ligoto2_in:
	lea	3(%rdi), %rax
	RET
SYM_FUNC_END(pvfbt_test_igoto2)

/*
 * long pvfbt_test_hascold(long x): x < 100 ? x + 1 : -1, the second through
 * a .cold part as gcc lays it out: jumping there is not a tail call.
 */
SYM_FUNC_START(pvfbt_test_hascold)
	cmp	$100, %rdi
	jae	pvfbt_test_hascold.cold
	lea	1(%rdi), %rax
.Lhascold_out:
	RET
SYM_FUNC_END(pvfbt_test_hascold)

	.type	pvfbt_test_hascold.cold, @function
pvfbt_test_hascold.cold:
	mov	$-1, %rax
	jmp	.Lhascold_out
	.size	pvfbt_test_hascold.cold, . - pvfbt_test_hascold.cold

/*
 * long pvfbt_test_loopentry(long x): x > 0 ? 0 : x - 1.  The entry
 * instruction is the loop's target: it runs max(x, 1) times per call.
 */
SYM_FUNC_START(pvfbt_test_loopentry)
.Lloopentry_top:
	sub	$1, %rdi
	jg	.Lloopentry_top
	mov	%rdi, %rax
	RET
SYM_FUNC_END(pvfbt_test_loopentry)

/*
 * long pvfbt_test_coldret(long x): x < 100 ? x + 1 : -x, the second
 * returning from the function's .cold part (.text.unlikely), as gcc lays
 * out an unlikely path that ends the function.
 */
SYM_FUNC_START(pvfbt_test_coldret)
	cmp	$100, %rdi
	jae	.Lcoldret_cold
	lea	1(%rdi), %rax
	RET
SYM_FUNC_END(pvfbt_test_coldret)

	.pushsection .text.unlikely, "ax"
	.type	pvfbt_test_coldret.cold, @function
pvfbt_test_coldret.cold:
	nop
.Lcoldret_cold:				/* entered in its middle */
	mov	%rdi, %rax
	neg	%rax
	RET
	.size	pvfbt_test_coldret.cold, . - pvfbt_test_coldret.cold
	.popsection

/*
 * long pvfbt_test_coldlow(long x): the same with the .cold part below the
 * function (return sites at negative offsets from its start).
 */
	.type	pvfbt_test_coldlow.cold, @function
pvfbt_test_coldlow.cold:
	mov	%rdi, %rax
	neg	%rax
	RET
	.size	pvfbt_test_coldlow.cold, . - pvfbt_test_coldlow.cold

SYM_FUNC_START(pvfbt_test_coldlow)
	cmp	$100, %rdi
	jae	pvfbt_test_coldlow.cold
	lea	1(%rdi), %rax
	RET
SYM_FUNC_END(pvfbt_test_coldlow)

/*
 * long pvfbt_test_selftail(long x): 0, after x recursive tail calls
 * through its own start, as gcc builds a tail-recursive C function: with a
 * fentry site first (ftrace makes it a nop), so x + 1 entries and returns.
 */
SYM_FUNC_START(pvfbt_test_selftail)
.Lselftail_fentry:
	call	__fentry__
	.pushsection __mcount_loc, "a"
	.quad	.Lselftail_fentry
	.popsection
	test	%rdi, %rdi
	jle	.Lselftail_done
	sub	$1, %rdi
	jmp	pvfbt_test_selftail
.Lselftail_done:
	xor	%eax, %eax
	RET
SYM_FUNC_END(pvfbt_test_selftail)

	.data
	.balign 8
SYM_DATA(pvfbt_test_var, .quad 1000)
