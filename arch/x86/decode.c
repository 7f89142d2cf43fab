// SPDX-License-Identifier: GPL-2.0
/*
 * pvfbt x86-64 instruction decoder (64-bit mode only).
 *
 * Table driven: one attribute byte per opcode for the one-byte map and the
 * 0f map (modrm present, immediate kind, invalid), validity bitmaps for the
 * legacy 0f 38 / 0f 3a maps, and a small amount of code for the opcodes
 * whose immediate depends on prefixes or modrm.reg (b8+r, a0-a3, f6/f7,
 * enter, 66/f2 0f 78) and for VEX (c4/c5) and EVEX (62).  Classification is
 * done by a switch over the few opcodes that matter to the FBT engine.
 *
 * Compiles unchanged in the kernel module and in host tests: no libc, no
 * kernel headers beyond <linux/types.h> (via decode.h), no floating point.
 * Every byte access goes through the bounds-checked cursor below, so
 * buf[avail] is never read.
 */
#include "decode.h"

/* attribute byte: low nibble = immediate kind, then flags */
enum {
	I_NONE = 0,
	I_B,		/* imm8 / rel8 */
	I_W,		/* imm16 (c2, ca): zero-extended */
	I_Z,		/* imm16 with 66, else imm32 (sign-extended) */
	I_V,		/* b8+r: imm64 with REX.W, imm16 with 66, else imm32 */
	I_WB,		/* enter: imm16 + imm8 */
	I_MOFFS,	/* a0-a3: 8 bytes, 4 with 67 */
	I_GRP3,		/* f6/f7: imm only for /0 /1 (test) */
	I_REL32,	/* e8, e9, 0f 80-8f: always rel32 in 64-bit mode */
};
#define A_M	0x10	/* has modrm */
#define A_X	0x20	/* invalid in 64-bit mode (or handled before the table) */

#define _	I_NONE
#define M	A_M
#define X	A_X
#define IB	I_B
#define IW	I_W
#define IZ	I_Z
#define IV	I_V
#define MB	(A_M | I_B)
#define MZ	(A_M | I_Z)
#define MO	I_MOFFS
#define WB	I_WB
#define G3	(A_M | I_GRP3)
#define R4	I_REL32

static const u8 map1[256] = {
/*	 0   1   2   3   4   5   6   7   8   9   a   b   c   d   e   f */
/*0*/	 M,  M,  M,  M, IB, IZ,  X,  X,  M,  M,  M,  M, IB, IZ,  X,  X,
/*1*/	 M,  M,  M,  M, IB, IZ,  X,  X,  M,  M,  M,  M, IB, IZ,  X,  X,
/*2*/	 M,  M,  M,  M, IB, IZ,  X,  X,  M,  M,  M,  M, IB, IZ,  X,  X,
/*3*/	 M,  M,  M,  M, IB, IZ,  X,  X,  M,  M,  M,  M, IB, IZ,  X,  X,
/*4*/	 X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
/*5*/	 _,  _,  _,  _,  _,  _,  _,  _,  _,  _,  _,  _,  _,  _,  _,  _,
/*6*/	 X,  X,  X,  M,  X,  X,  X,  X, IZ, MZ, IB, MB,  _,  _,  _,  _,
/*7*/	IB, IB, IB, IB, IB, IB, IB, IB, IB, IB, IB, IB, IB, IB, IB, IB,
/*8*/	MB, MZ,  X, MB,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,
/*9*/	 _,  _,  _,  _,  _,  _,  _,  _,  _,  _,  X,  _,  _,  _,  _,  _,
/*a*/	MO, MO, MO, MO,  _,  _,  _,  _, IB, IZ,  _,  _,  _,  _,  _,  _,
/*b*/	IB, IB, IB, IB, IB, IB, IB, IB, IV, IV, IV, IV, IV, IV, IV, IV,
/*c*/	MB, MB, IW,  _,  X,  X, MB, MZ, WB,  _, IW,  _,  _, IB,  X,  _,
/*d*/	 M,  M,  M,  M,  X,  X,  X,  _,  M,  M,  M,  M,  M,  M,  M,  M,
/*e*/	IB, IB, IB, IB, IB, IB, IB, IB, R4, R4,  X, IB,  _,  _,  _,  _,
/*f*/	 X,  _,  X,  X,  _,  _, G3, G3,  _,  _,  _,  _,  _,  _,  M,  M,
};

static const u8 map2[256] = {	/* 0f xx */
/*	 0   1   2   3   4   5   6   7   8   9   a   b   c   d   e   f */
/*0*/	 M,  M,  M,  M,  X,  _,  _,  _,  _,  _,  X,  _,  X,  M,  X,  X,
/*1*/	 M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,
/*2*/	 M,  M,  M,  M,  X,  X,  X,  X,  M,  M,  M,  M,  M,  M,  M,  M,
/*3*/	 _,  _,  _,  _,  _,  _,  X,  _,  X,  X,  X,  X,  X,  X,  X,  X,
/*4*/	 M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,
/*5*/	 M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,
/*6*/	 M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,
/*7*/	MB, MB, MB, MB,  M,  M,  M,  _,  M,  M,  X,  X,  M,  M,  M,  M,
/*8*/	R4, R4, R4, R4, R4, R4, R4, R4, R4, R4, R4, R4, R4, R4, R4, R4,
/*9*/	 M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,
/*a*/	 _,  _,  _,  M, MB,  M,  M,  M,  _,  _,  _,  M, MB,  M,  M,  M,
/*b*/	 M,  M,  M,  M,  M,  M,  M,  M,  M,  M, MB,  M,  M,  M,  M,  M,
/*c*/	 M,  M, MB,  M, MB, MB, MB,  M,  _,  _,  _,  _,  _,  _,  _,  _,
/*d*/	 M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,
/*e*/	 M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,
/*f*/	 M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,
};

#undef _
#undef M
#undef X
#undef IB
#undef IW
#undef IZ
#undef IV
#undef MB
#undef MZ
#undef MO
#undef WB
#undef G3
#undef R4

/* legacy (non-VEX) 0f 38 xx and 0f 3a xx opcodes that exist; bit set = valid */
static const u32 map38_valid[8] = {
	/* 00-1f: 00-0b, 10, 14, 15, 17, 1c, 1d, 1e */
	0x00000fffu | (1u << 0x10) | (1u << 0x14) | (1u << 0x15) | (1u << 0x17) |
		(1u << 0x1c) | (1u << 0x1d) | (1u << 0x1e),
	/* 20-3f: 20-25, 28-2b, 30-35, 37-3f */
	0x3fu | (0xfu << 8) | (0x3fu << 16) | (0x1ffu << 23),
	/* 40-5f: 40, 41 */
	0x3u,
	0,
	/* 80-9f: 80, 81, 82 */
	0x7u,
	0,
	/* c0-df: c8-cd, cf, db-df */
	(0x3fu << 8) | (1u << 15) | (0x1fu << 27),
	/* e0-ff: f0, f1, f5, f6, f8, f9 */
	(1u << 16) | (1u << 17) | (1u << 21) | (1u << 22) | (1u << 24) | (1u << 25),
};

static const u32 map3a_valid[8] = {
	/* 00-1f: 08-0f, 14-17 */
	(0xffu << 8) | (0xfu << 20),
	/* 20-3f: 20, 21, 22 */
	0x7u,
	/* 40-5f: 40, 41, 42, 44 */
	0x7u | (1u << 4),
	/* 60-7f: 60-63 */
	0xfu,
	0, 0,
	/* c0-df: cc, ce, cf, df */
	(1u << 12) | (1u << 14) | (1u << 15) | (1u << 31),
	0,
};

static int bit_test(const u32 *bm, u8 op)
{
	return (bm[op >> 5] >> (op & 31)) & 1;
}

/* may this opcode (memory form) take a lock prefix? */
static int lockable(int map, u8 op, u8 reg);

struct cursor {
	const u8 *buf;
	unsigned int avail;
	unsigned int pos;
};

/* Fetch the next byte; -1 if it would be at or past avail or past 15 bytes. */
static int next(struct cursor *c)
{
	if (c->pos >= c->avail || c->pos >= 15)
		return -1;
	return c->buf[c->pos++];
}

static int need(const struct cursor *c, unsigned int n)
{
	return c->pos + n <= c->avail && c->pos + n <= 15;
}

static s64 read_le(const struct cursor *c, unsigned int off, unsigned int size, int sign)
{
	u64 v = 0;
	unsigned int i;

	for (i = 0; i < size; i++)
		v |= (u64)c->buf[off + i] << (8 * i);
	if (sign && size < 8) {
		u64 m = 1ull << (8 * size - 1);

		v = (v ^ m) - m;
	}
	return (s64)v;
}

static void zero_insn(struct pvfbt_insn *insn)
{
	u8 *p = (u8 *)insn;
	unsigned int i;

	for (i = 0; i < sizeof(*insn); i++)
		p[i] = 0;
}

static int bad(struct pvfbt_insn *insn)
{
	zero_insn(insn);
	insn->cls = PVFBT_CLS_UNSAFE;
	insn->reason = PVFBT_R_BAD;
	return -1;
}

static void unsafe(struct pvfbt_insn *insn, u8 reason)
{
	insn->cls = PVFBT_CLS_UNSAFE;
	insn->reason = reason;
}

/* prefix bits */
#define P_66	0x01u
#define P_67	0x02u
#define P_F2	0x04u
#define P_F3	0x08u
#define P_LOCK	0x10u

/* opcode maps */
#define MAP1	1	/* one-byte */
#define MAP0F	2
#define MAP38	3
#define MAP3A	4

static void classify(struct pvfbt_insn *insn, int map, u8 op, unsigned int pfx);

int pvfbt_decode(const u8 *buf, unsigned int avail, struct pvfbt_insn *insn)
{
	struct cursor c = { buf, avail, 0 };
	unsigned int pfx = 0;
	int map = MAP1, b, vex = 0;
	u8 op, attr = 0, kind;
	unsigned int imm_size = 0, imm2 = 0, w = 0;

	zero_insn(insn);
	if (!buf)
		return bad(insn);

	/* legacy prefixes and REX (a REX followed by another prefix is ignored) */
	for (;;) {
		b = next(&c);
		if (b < 0)
			return bad(insn);
		switch (b) {
		case 0xf0: pfx |= P_LOCK; break;
		case 0xf2: pfx |= P_F2; pfx &= ~P_F3; break;
		case 0xf3: pfx |= P_F3; pfx &= ~P_F2; break;
		case 0x66: pfx |= P_66; break;
		case 0x67: pfx |= P_67; break;
		case 0x26: case 0x2e: case 0x36: case 0x3e: case 0x64: case 0x65:
			break;
		default:
			if ((b & 0xf0) == 0x40) {
				insn->rex = (u8)b;
				continue;
			}
			goto opcode;
		}
		if (insn->rex)		/* REX then legacy prefix: REX is dead */
			insn->rex = 0;
		insn->nprefix++;
	}
opcode:
	/* a dead REX byte still counts toward the prefix area, but not nprefix */
	if (insn->rex & 0x08)
		w = 1;
	if (pfx & P_LOCK)
		insn->flags |= PVFBT_F_LOCK;
	insn->opcode_off = (u8)(c.pos - 1);

	if (b == 0xc4 || b == 0xc5 || b == 0x62) {
		/* VEX / EVEX: always in 64-bit mode; no REX, 66, f2, f3, lock before */
		u8 p0, p1, p2;
		int vmap;

		if (insn->rex || (pfx & (P_66 | P_F2 | P_F3 | P_LOCK)))
			return bad(insn);
		vex = b;
		if (b == 0xc5) {
			if ((b = next(&c)) < 0)
				return bad(insn);
			vmap = 1;
		} else if (b == 0xc4) {
			if ((b = next(&c)) < 0)
				return bad(insn);
			p0 = (u8)b;
			if ((b = next(&c)) < 0)
				return bad(insn);
			p1 = (u8)b;
			vmap = p0 & 0x1f;
			if (vmap < 1 || vmap > 3)
				return bad(insn);
			w = p1 >> 7;
		} else {
			if ((b = next(&c)) < 0)
				return bad(insn);
			p0 = (u8)b;
			if ((b = next(&c)) < 0)
				return bad(insn);
			p1 = (u8)b;
			if ((b = next(&c)) < 0)
				return bad(insn);
			p2 = (u8)b;
			vmap = p0 & 0x0f;
			if ((p0 & 0x0c) || !(p1 & 0x04) || vmap < 1 || vmap > 3)
				return bad(insn);
			w = p1 >> 7;
			(void)p2;
		}
		insn->flags |= PVFBT_F_VEX;
		insn->opcode_off = (u8)c.pos;
		if ((b = next(&c)) < 0)
			return bad(insn);
		op = (u8)b;
		insn->opcode[0] = op;
		insn->opcode_len = 1;
		map = vmap == 1 ? MAP0F : vmap == 2 ? MAP38 : MAP3A;
		if (map == MAP0F && op == 0x77 && vex != 0x62) {
			attr = 0;		/* vzeroupper / vzeroall */
		} else {
			attr = A_M;
			if (map == MAP3A)
				attr |= I_B;
			else if (map == MAP0F &&
				 ((op >= 0x70 && op <= 0x73) || op == 0xc2 ||
				  (op >= 0xc4 && op <= 0xc6)))
				attr |= I_B;
		}
	} else if (b == 0x0f) {
		insn->opcode[0] = 0x0f;
		if ((b = next(&c)) < 0)
			return bad(insn);
		op = (u8)b;
		insn->opcode[1] = op;
		insn->opcode_len = 2;
		if (op == 0x38 || op == 0x3a) {
			map = op == 0x38 ? MAP38 : MAP3A;
			if ((b = next(&c)) < 0)
				return bad(insn);
			op = (u8)b;
			insn->opcode[2] = op;
			insn->opcode_len = 3;
			if (!bit_test(map == MAP38 ? map38_valid : map3a_valid, op))
				return bad(insn);
			attr = A_M | (map == MAP3A ? I_B : 0);
		} else {
			map = MAP0F;
			attr = map2[op];
		}
	} else {
		op = (u8)b;
		insn->opcode[0] = op;
		insn->opcode_len = 1;
		attr = map1[op];
		if (op == 0x8f) {
			/* 8f /0 pop; /1-/7 would be AMD XOP: not decoded */
			if (!need(&c, 1) || ((c.buf[c.pos] >> 3) & 7) != 0)
				return bad(insn);
		}
	}
	if (attr & A_X)
		return bad(insn);
	if (w)
		insn->flags |= PVFBT_F_REX_W;

	/* modrm / sib / displacement */
	if (attr & A_M) {
		u8 mod, rm;

		insn->modrm_off = (u8)c.pos;
		if ((b = next(&c)) < 0)
			return bad(insn);
		insn->has_modrm = 1;
		insn->modrm = (u8)b;
		mod = (u8)b >> 6;
		rm = (u8)b & 7;
		if (map == MAP0F && op >= 0x20 && op <= 0x23)
			mod = 3;	/* mov cr/dr: mod is ignored, always register */
		if (mod != 3) {
			unsigned int dsz = 0;

			if (rm == 4) {
				if ((b = next(&c)) < 0)
					return bad(insn);
				insn->has_sib = 1;
				insn->sib = (u8)b;
				if (mod == 0 && (insn->sib & 7) == 5)
					dsz = 4;
			} else if (mod == 0 && rm == 5) {
				dsz = 4;
				insn->flags |= PVFBT_F_RIPREL;
			}
			if (mod == 1)
				dsz = 1;
			else if (mod == 2)
				dsz = 4;
			if (dsz) {
				if (!need(&c, dsz))
					return bad(insn);
				insn->disp_off = (u8)c.pos;
				insn->disp_size = (u8)dsz;
				insn->disp = (s32)read_le(&c, c.pos, dsz, 1);
				c.pos += dsz;
			}
		}
		/* lock needs a lockable opcode with a memory destination */
		if ((pfx & P_LOCK) && (mod == 3 || !lockable(map, op, (insn->modrm >> 3) & 7)))
			return bad(insn);
	} else if (pfx & P_LOCK) {
		return bad(insn);
	}

	/* immediate */
	kind = attr & 0x0f;
	switch (kind) {
	case I_B: imm_size = 1; break;
	case I_W: imm_size = 2; break;
	case I_Z: imm_size = ((pfx & P_66) && !w) ? 2 : 4; break;	/* REX.W beats 66 */
	case I_V: imm_size = w ? 8 : (pfx & P_66) ? 2 : 4; break;
	case I_WB: imm_size = 2; imm2 = 1; break;
	case I_MOFFS: imm_size = (pfx & P_67) ? 4 : 8; break;
	case I_GRP3:
		if (((insn->modrm >> 3) & 7) < 2)
			imm_size = op == 0xf6 ? 1 : ((pfx & P_66) && !w) ? 2 : 4;
		break;
	case I_REL32: imm_size = 4; break;
	default: break;
	}
	/* SSE4a extrq/insertq (66 0f 78 /0 ib ib, f2 0f 78 ib ib): register forms only */
	if (!vex && map == MAP0F && op == 0x78 && (pfx & (P_66 | P_F2))) {
		if ((insn->modrm >> 6) != 3 || ((pfx & P_66) && (insn->modrm & 0x38)))
			return bad(insn);
		imm_size = 1;
		imm2 = 1;
	}
	if (imm_size + imm2) {
		if (!need(&c, imm_size + imm2))
			return bad(insn);
		insn->imm_off = (u8)c.pos;
		insn->imm_size = (u8)imm_size;
		insn->imm = read_le(&c, c.pos, imm_size,
				    !(kind == I_W || kind == I_WB || kind == I_MOFFS));
		insn->imm2_size = (u8)imm2;
		c.pos += imm_size + imm2;
	}

	insn->len = (u8)c.pos;
	if (vex) {
		insn->cls = PVFBT_CLS_NORMAL;
		return insn->len;
	}
	classify(insn, map, op, pfx);
	if (insn->cls == PVFBT_CLS_UNSAFE && insn->reason == PVFBT_R_BAD)
		return bad(insn);
	/*
	 * 66 on a rel32 call/jmp/jcc: Intel ignores it (rel32, the length we
	 * report), AMD, binutils and capstone use rel16.  gcc never emits it;
	 * refuse the form rather than guess the vendor.
	 */
	if ((pfx & P_66) && kind == I_REL32)
		unsafe(insn, PVFBT_R_RSP_RIPREL);
	return insn->len;
}

static void classify(struct pvfbt_insn *insn, int map, u8 op, unsigned int pfx)
{
	u8 reg = (insn->modrm >> 3) & 7, mod = insn->modrm >> 6, rm = insn->modrm & 7;

	insn->cls = PVFBT_CLS_NORMAL;
	if (map == MAP1) {
		switch (op) {
		case 0x70 ... 0x7f:
			insn->cls = PVFBT_CLS_JCC_REL;
			insn->cond = op & 0x0f;
			break;
		case 0xeb:
			insn->cls = PVFBT_CLS_JMP_REL;
			break;
		case 0xe9:
			insn->cls = PVFBT_CLS_JMP_REL;
			insn->flags |= PVFBT_F_RETHUNK_SHAPE;
			break;
		case 0xe8:
			insn->cls = PVFBT_CLS_CALL_REL;
			break;
		case 0xe0 ... 0xe3:
			insn->cls = PVFBT_CLS_LOOP;
			break;
		case 0xc2: case 0xc3:
			insn->cls = PVFBT_CLS_RET;
			break;
		case 0xca: case 0xcb:
			unsafe(insn, PVFBT_R_FAR);
			break;
		case 0xcc:
			insn->cls = PVFBT_CLS_INT3;
			break;
		case 0xcd: case 0xf1:
			unsafe(insn, PVFBT_R_INT);
			break;
		case 0xcf:
			unsafe(insn, PVFBT_R_IRET);
			break;
		case 0xf4:
			unsafe(insn, PVFBT_R_HLT);
			break;
		case 0x9c: case 0x9d: case 0xfa: case 0xfb:
			unsafe(insn, PVFBT_R_FLAGS);
			break;
		case 0x8e:
			unsafe(insn, reg == 1 || reg > 5 ? PVFBT_R_BAD : PVFBT_R_SEGMENT);
			break;
		case 0x8c:	/* mov r/m, sreg: fine, but only 6 segment registers */
			if (reg > 5)
				unsafe(insn, PVFBT_R_BAD);
			break;
		case 0x6c ... 0x6f: case 0xe4 ... 0xe7: case 0xec ... 0xef:
			unsafe(insn, PVFBT_R_PRIV);	/* in/out/ins/outs */
			break;
		case 0x90:
			/* nop / xchg ax,ax; 41 90 is xchg r8d,eax; f3 90 is pause */
			if (!(insn->rex & 1) && !(pfx & P_F3))
				insn->cls = PVFBT_CLS_NOP;
			break;
		case 0xc6: case 0xc7:
			if (reg == 7 && mod == 3 && rm == 0) {
				/* xabort / xbegin (RTM, xbegin is a relative branch) */
				unsafe(insn, PVFBT_R_RSP_RIPREL);
			} else if (reg != 0) {
				unsafe(insn, PVFBT_R_BAD);
			}
			break;
		case 0xfe:
			if (reg > 1)
				unsafe(insn, PVFBT_R_BAD);
			break;
		case 0xff:
			switch (reg) {
			case 2: insn->cls = PVFBT_CLS_CALL_IND; break;
			case 4: insn->cls = PVFBT_CLS_JMP_IND; break;
			case 3: case 5:
				unsafe(insn, mod == 3 ? PVFBT_R_BAD : PVFBT_R_FAR);
				break;
			case 7: unsafe(insn, PVFBT_R_BAD); break;
			default: break;
			}
			break;
		case 0x8d:	/* lea needs memory */
			if (mod == 3)
				unsafe(insn, PVFBT_R_BAD);
			break;
		default:
			break;
		}
		return;
	}
	if (map == MAP0F) {
		switch (op) {
		case 0x80 ... 0x8f:
			insn->cls = PVFBT_CLS_JCC_REL;
			insn->cond = op & 0x0f;
			break;
		case 0x1f:
			insn->cls = PVFBT_CLS_NOP;
			if (insn->len == 5 && insn->opcode_off == 0 &&
			    insn->modrm == 0x44 && insn->sib == 0x00 && insn->disp == 0)
				insn->flags |= PVFBT_F_FENTRY;
			break;
		case 0x1e:
			if ((pfx & P_F3) && (insn->modrm == 0xfa || insn->modrm == 0xfb))
				insn->cls = PVFBT_CLS_NOP;	/* endbr64 / endbr32 */
			break;
		case 0x05: case 0x07: case 0x34: case 0x35:
			unsafe(insn, PVFBT_R_SYSRET_SYSCALL);
			break;
		case 0x0b: case 0xb9: case 0xff:
			unsafe(insn, PVFBT_R_UD);
			break;
		case 0xa1: case 0xa9: case 0xb2: case 0xb4: case 0xb5:
			unsafe(insn, PVFBT_R_SEGMENT);
			break;
		case 0x01:
			if (mod == 3) {
				switch (insn->modrm) {
				case 0xca: case 0xcb:	/* clac, stac */
				case 0xd0:		/* xgetbv */
				case 0xd5: case 0xd6:	/* xend, xtest */
				case 0xee:		/* rdpkru */
				case 0xf9:		/* rdtscp */
					return;
				default:
					break;
				}
			}
			unsafe(insn, PVFBT_R_PRIV);
			break;
		case 0x00: case 0x02: case 0x03: case 0x06: case 0x08: case 0x09:
		case 0x20 ... 0x23: case 0x30: case 0x32: case 0x33: case 0x37:
		case 0x78: case 0x79: case 0xa2: case 0xaa:
			unsafe(insn, PVFBT_R_PRIV);
			break;
		case 0xae:
			if (mod == 3) {
				if (pfx & P_F3)
					unsafe(insn, PVFBT_R_PRIV);	/* rd/wr fs/gs base */
				else if (reg < 5)
					unsafe(insn, PVFBT_R_BAD);
				else if (reg == 6 && (pfx & (P_66 | P_F2)))
					unsafe(insn, PVFBT_R_PRIV);	/* tpause / umwait */
			} else if (reg == 0 || reg == 1 || reg == 4 || reg == 5 ||
				   (reg == 6 && !(pfx & P_66))) {
				unsafe(insn, PVFBT_R_PRIV);	/* fxsave/fxrstor/xsave/xrstor/xsaveopt */
			}
			break;
		case 0xc7:
			if (mod != 3) {
				if (reg >= 3)
					unsafe(insn, PVFBT_R_PRIV);	/* xrstors/xsavec/xsaves/vmptrld/... */
				else if (reg != 1)
					unsafe(insn, PVFBT_R_BAD);
			} else if (reg < 6) {
				unsafe(insn, PVFBT_R_BAD);
			}
			break;
		default:
			break;
		}
		return;
	}
	if (map == MAP38) {
		if (op >= 0x80 && op <= 0x82)
			unsafe(insn, PVFBT_R_PRIV);	/* invept/invvpid/invpcid */
		else if (op == 0xf8)
			unsafe(insn, PVFBT_R_PRIV);	/* movdir64b/enqcmd(s) */
	}
}

static int lockable(int map, u8 op, u8 reg)
{
	if (map == MAP1) {
		if (op < 0x40)	/* add/or/adc/sbb/and/sub/xor r/m, r (not cmp) */
			return (op & 7) < 2 && op != 0x38 && op != 0x39;
		switch (op) {
		case 0x80: case 0x81: case 0x83: return reg != 7;
		case 0x86: case 0x87: return 1;
		case 0xf6: case 0xf7: return reg == 2 || reg == 3;
		case 0xfe: case 0xff: return reg < 2;
		default: return 0;
		}
	}
	if (map == MAP0F) {
		switch (op) {
		case 0xab: case 0xb3: case 0xbb: case 0xb0: case 0xb1: case 0xc0: case 0xc1:
			return 1;
		case 0xba: return reg >= 5;
		case 0xc7: return reg == 1;
		default: return 0;
		}
	}
	return 0;
}

const char *pvfbt_reason_str(unsigned int reason)
{
	static const char *const names[] = {
		[PVFBT_R_NONE] = "none",
		[PVFBT_R_IRET] = "iret",
		[PVFBT_R_SYSRET_SYSCALL] = "sysret/syscall",
		[PVFBT_R_FLAGS] = "flags",
		[PVFBT_R_INT] = "int",
		[PVFBT_R_HLT] = "hlt",
		[PVFBT_R_SEGMENT] = "segment",
		[PVFBT_R_UD] = "ud",
		[PVFBT_R_FAR] = "far",
		[PVFBT_R_PRIV] = "privileged",
		[PVFBT_R_RSP_RIPREL] = "refused-form",
		[PVFBT_R_BAD] = "bad",
	};

	if (reason < sizeof(names) / sizeof(names[0]) && names[reason])
		return names[reason];
	return "?";
}
