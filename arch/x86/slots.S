/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Out-of-line slots: executable memory inside pvfbt.ko, so within +-2 GB of
 * the kernel's and the modules' text (RIP-relative operands can be
 * relocated) and obtained without module_alloc(), which is not exported.
 * Each slot holds one displaced instruction followed by int3 guards; it is
 * written with text_poke() like any other text.  objtool is told to skip
 * this file (see Kbuild): it holds no functions, only int3 filler.
 */
#include "arch/x86/slots.h"

	.section .text.pvfbt_slots, "ax"
	.balign 4096
	.globl pvfbt_slot_area
	.type pvfbt_slot_area, @function
pvfbt_slot_area:
	.fill PVFBT_NR_SLOTS * PVFBT_SLOT_SIZE, 1, 0xcc
	.size pvfbt_slot_area, . - pvfbt_slot_area
	.globl pvfbt_slot_area_end
pvfbt_slot_area_end:
