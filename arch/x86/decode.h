/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pvfbt x86-64 instruction decoder: length + classification.
 *
 * This header and decode.c are shared, unchanged, between the kernel module
 * (kbuild) and the host test programs in tests/host/.  No kernel headers,
 * no libc, no floating point in the core.  See Documentation/decoder.md.
 */
#ifndef PVFBT_ARCH_X86_DECODE_H
#define PVFBT_ARCH_X86_DECODE_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include <stdint.h>
#include <stddef.h>
typedef uint8_t u8; typedef int8_t s8; typedef uint16_t u16; typedef int16_t s16; typedef uint32_t u32; typedef int32_t s32; typedef uint64_t u64; typedef int64_t s64;
#endif

enum pvfbt_insn_class {
	PVFBT_CLS_NORMAL = 0,	/* safe to single-step out of line (maybe RIP-relative: see flags) */
	PVFBT_CLS_NOP,		/* any nop form, incl. the 5-byte fentry nop 0f 1f 44 00 00 */
	PVFBT_CLS_JMP_REL,	/* eb rel8, e9 rel32 */
	PVFBT_CLS_JCC_REL,	/* 70-7f rel8, 0f 80-8f rel32; cond in .cond (0..15, low nibble of opcode) */
	PVFBT_CLS_CALL_REL,	/* e8 rel32 */
	PVFBT_CLS_LOOP,		/* e0 loopne, e1 loope, e2 loop, e3 jrcxz (rel8) */
	PVFBT_CLS_RET,		/* c3, and c2 imm16 (imm in .imm) */
	PVFBT_CLS_JMP_IND,	/* ff /4, ff /5 */
	PVFBT_CLS_CALL_IND,	/* ff /2, ff /3 */
	PVFBT_CLS_INT3,		/* cc */
	PVFBT_CLS_UNSAFE,	/* must not run out of line: see .reason */
};

enum pvfbt_unsafe_reason {
	PVFBT_R_NONE = 0, PVFBT_R_IRET, PVFBT_R_SYSRET_SYSCALL, PVFBT_R_FLAGS /* pushf/popf/cli/sti/... reads or changes TF/IF */,
	PVFBT_R_INT /* int n, int1, into */, PVFBT_R_HLT, PVFBT_R_SEGMENT /* mov/pop to SS or segment reg, lss etc. */,
	PVFBT_R_UD /* ud0/ud1/ud2 */, PVFBT_R_FAR /* far call/jmp/ret */, PVFBT_R_PRIV /* other privileged / serialising that must not be stepped: lgdt, mov to CR/DR, wrmsr, swapgs, ... */,
	PVFBT_R_RSP_RIPREL /* unusual forms you choose to refuse */, PVFBT_R_BAD /* undecodable */,
};

#define PVFBT_F_RIPREL	0x01	/* has a RIP-relative modrm operand; disp32 at .disp_off */
#define PVFBT_F_FENTRY	0x02	/* is exactly 0f 1f 44 00 00 */
#define PVFBT_F_RETHUNK_SHAPE 0x04 /* e9 rel32 (could be jmp __x86_return_thunk; caller checks target) */
#define PVFBT_F_REX_W	0x08
#define PVFBT_F_VEX	0x10	/* VEX (c4/c5) or EVEX (62) encoded */
#define PVFBT_F_LOCK	0x20

struct pvfbt_insn {
	u8 len;			/* 1..15 */
	u8 nprefix;		/* legacy prefix bytes */
	u8 rex;			/* 0 if none */
	u8 opcode_off, opcode_len;	/* opcode bytes, after prefixes/REX/VEX; opcode_len counts escape bytes 0f / 0f 38 / 0f 3a */
	u8 opcode[3];
	u8 has_modrm, modrm, modrm_off;
	u8 has_sib, sib;
	u8 disp_off, disp_size;	/* 0 size = none */
	s32 disp;
	u8 imm_off, imm_size;	/* first immediate (for enter: the imm16); rel8/rel32 of branches are reported here too */
	s64 imm;
	u8 imm2_size;		/* enter's imm8, 0 otherwise */
	u8 cls;			/* enum pvfbt_insn_class */
	u8 reason;		/* enum pvfbt_unsafe_reason (only for PVFBT_CLS_UNSAFE) */
	u8 cond;		/* jcc condition */
	u16 flags;		/* PVFBT_F_* */
};

/* Decode one instruction from buf[0..avail). Never reads buf[avail] or beyond.
 * Returns the length (1..15) and fills *insn, or a negative value (-1) if the
 * bytes are not a valid instruction or would need more than avail bytes (then insn->cls = PVFBT_CLS_UNSAFE, reason PVFBT_R_BAD). */
int pvfbt_decode(const u8 *buf, unsigned int avail, struct pvfbt_insn *insn);

/* Target of a relative branch/call/loop located at address addr. */
static inline u64 pvfbt_branch_target(const struct pvfbt_insn *insn, u64 addr) { return addr + insn->len + (u64)insn->imm; }

const char *pvfbt_reason_str(unsigned int reason);	/* short text, e.g. "iret" */

#endif /* PVFBT_ARCH_X86_DECODE_H */
