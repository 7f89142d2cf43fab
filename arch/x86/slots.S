/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Out-of-line slots: executable memory inside pvfbt.ko, so within +-2 GB of
 * the kernel's and the modules' text (RIP-relative operands can be
 * relocated) and obtained without module_alloc(), which is not exported.
 * Each slot holds one displaced instruction followed by int3 guards; it is
 * written with text_poke() like any other text.  objtool is told to skip
 * this file (see Kbuild): it holds no functions, only int3 filler.  Since
 * objtool runs on the linked pvfbt.o (IBT kernels), the area is also typed
 * as an object (6.12's objtool would walk the filler as one function and
 * warn "unexpected end of section") and marked as no branch target (its
 * address is taken in C: "relocation to !ENDBR" otherwise).
 */
#include "arch/x86/slots.h"

	.section .text.pvfbt_slots, "ax"
	.balign 4096
	.globl pvfbt_slot_area
	.type pvfbt_slot_area, @object
pvfbt_slot_area:
	.pushsection .discard.noendbr
	.long pvfbt_slot_area
	.popsection
	.fill PVFBT_NR_SLOTS * PVFBT_SLOT_SIZE, 1, 0xcc
	.size pvfbt_slot_area, . - pvfbt_slot_area
	.globl pvfbt_slot_area_end
pvfbt_slot_area_end:
