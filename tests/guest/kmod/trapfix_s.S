/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Functions for the trap-path fixtures (trapfix.c).  RET is the kernel's
 * macro, as in shapes.S.
 */
#include <linux/linkage.h>
#include <asm/linkage.h>
#include <asm/nospec-branch.h>

	.text
/* long pvfbt_test_dbcall(long x): x + 1; called from #DB context. */
SYM_FUNC_START(pvfbt_test_dbcall)
	lea	1(%rdi), %rax
	RET
SYM_FUNC_END(pvfbt_test_dbcall)

/* long pvfbt_test_tftarget(long x): x + 1. */
SYM_FUNC_START(pvfbt_test_tftarget)
	lea	0x5a5a(%rdi), %rax
	sub	$0x5a59, %rax
	RET
SYM_FUNC_END(pvfbt_test_tftarget)

/*
 * long pvfbt_test_tfguardsite(long x): x + 1.  Its entry instruction is
 * found nowhere else (48 8d 87 a5 5a 00 00), so the fixture finds its slot.
 */
SYM_FUNC_START(pvfbt_test_tfguardsite)
	lea	0x5aa5(%rdi), %rax
	sub	$0x5aa4, %rax
	RET
SYM_FUNC_END(pvfbt_test_tfguardsite)

/* long pvfbt_test_tfrun(long x): pvfbt_test_tftarget(x) with TF set. */
SYM_FUNC_START(pvfbt_test_tfrun)
	pushfq
	orq	$0x100, (%rsp)
	popfq
	call	pvfbt_test_tftarget
	pushfq
	andq	$~0x100, (%rsp)
	popfq
	RET
SYM_FUNC_END(pvfbt_test_tfrun)

/* void pvfbt_test_tfcall(long x, void *addr): call addr with TF set. */
SYM_FUNC_START(pvfbt_test_tfcall)
	pushfq
	orq	$0x100, (%rsp)
	popfq
	CALL_NOSPEC rsi
	pushfq
	andq	$~0x100, (%rsp)
	popfq
	RET
SYM_FUNC_END(pvfbt_test_tfcall)
