// SPDX-License-Identifier: GPL-2.0
/*
 * insn-unit: hand-written byte strings through pvfbt_decode: every class and
 * every unsafe reason at least once, RIP-relative disp_off, imm64, enter,
 * moffs, group-3 immediates, VEX/EVEX, truncation and the 15-byte limit.
 * Each buffer is malloc'ed exactly avail bytes long (ASan catches over-reads).
 */
#include "common.h"

#define ANY 0xff	/* don't check */

struct tcase {
	const char *name;
	const char *hex;
	int len;		/* expected return value */
	int cls, reason;
	int flags;		/* flags that must be set */
	int noflags;		/* flags that must be clear */
	int disp_off, imm_off, imm_size, imm2_size;
	long long imm;		/* checked when imm_size != ANY and imm_chk */
	int imm_chk, cond, avail;	/* avail 0 = exact length of hex */
};

#define C(n, h, l, c, r) { n, h, l, c, r, 0, 0, ANY, ANY, ANY, ANY, 0, 0, ANY, 0 }
#define N(n, h, l) C(n, h, l, PVFBT_CLS_NORMAL, 0)
#define U(n, h, l, r) C(n, h, l, PVFBT_CLS_UNSAFE, PVFBT_R_##r)
#define B(n, h) C(n, h, -1, PVFBT_CLS_UNSAFE, PVFBT_R_BAD)

static const struct tcase cases[] = {
	/* nops */
	{ "nop", "90", 1, PVFBT_CLS_NOP, 0, 0, PVFBT_F_FENTRY, ANY, ANY, ANY, ANY, 0, 0, ANY, 0 },
	{ "fentry nop", "0f 1f 44 00 00", 5, PVFBT_CLS_NOP, 0, PVFBT_F_FENTRY, 0, ANY, ANY, ANY, ANY, 0, 0, ANY, 0 },
	{ "66 nopw 6", "66 0f 1f 44 00 00", 6, PVFBT_CLS_NOP, 0, 0, PVFBT_F_FENTRY, ANY, ANY, ANY, ANY, 0, 0, ANY, 0 },
	C("cs nopw 10", "66 2e 0f 1f 84 00 00 00 00 00", 10, PVFBT_CLS_NOP, 0),
	C("nopl 0(rax)", "0f 1f 00", 3, PVFBT_CLS_NOP, 0),
	C("endbr64", "f3 0f 1e fa", 4, PVFBT_CLS_NOP, 0),
	N("xchg r8d,eax (41 90) is not a nop", "41 90", 2),
	N("pause", "f3 90", 2),
	/* relative branches */
	{ "jmp rel8", "eb fe", 2, PVFBT_CLS_JMP_REL, 0, 0, PVFBT_F_RETHUNK_SHAPE, ANY, 1, 1, 0, -2, 1, ANY, 0 },
	{ "jmp rel32 (rethunk shape)", "e9 00 01 00 00", 5, PVFBT_CLS_JMP_REL, 0, PVFBT_F_RETHUNK_SHAPE, 0, ANY, 1, 4, 0, 256, 1, ANY, 0 },
	{ "je rel8", "74 10", 2, PVFBT_CLS_JCC_REL, 0, 0, 0, ANY, 1, 1, 0, 16, 1, 4, 0 },
	{ "jg rel8", "7f f0", 2, PVFBT_CLS_JCC_REL, 0, 0, 0, ANY, 1, 1, 0, -16, 1, 15, 0 },
	{ "jne rel32", "0f 85 10 00 00 00", 6, PVFBT_CLS_JCC_REL, 0, 0, 0, ANY, 2, 4, 0, 16, 1, 5, 0 },
	{ "call rel32", "e8 fb ff ff ff", 5, PVFBT_CLS_CALL_REL, 0, 0, 0, ANY, 1, 4, 0, -5, 1, ANY, 0 },
	C("loop", "e2 fe", 2, PVFBT_CLS_LOOP, 0),
	C("loopne", "e0 fe", 2, PVFBT_CLS_LOOP, 0),
	C("jrcxz", "e3 00", 2, PVFBT_CLS_LOOP, 0),
	C("ret", "c3", 1, PVFBT_CLS_RET, 0),
	{ "ret imm16", "c2 08 00", 3, PVFBT_CLS_RET, 0, 0, 0, ANY, 1, 2, 0, 8, 1, ANY, 0 },
	C("rep ret", "f3 c3", 2, PVFBT_CLS_RET, 0),
	/* indirect */
	C("jmp rax", "ff e0", 2, PVFBT_CLS_JMP_IND, 0),
	{ "jmp [rip+d]", "ff 25 10 00 00 00", 6, PVFBT_CLS_JMP_IND, 0, PVFBT_F_RIPREL, 0, 2, ANY, 0, ANY, 0, 0, ANY, 0 },
	C("call rax", "ff d0", 2, PVFBT_CLS_CALL_IND, 0),
	C("call r11", "41 ff d3", 3, PVFBT_CLS_CALL_IND, 0),
	{ "call [rip+d]", "ff 15 00 00 00 00", 6, PVFBT_CLS_CALL_IND, 0, PVFBT_F_RIPREL, 0, 2, ANY, 0, ANY, 0, 0, ANY, 0 },
	C("int3", "cc", 1, PVFBT_CLS_INT3, 0),
	/* unsafe, one per reason at least */
	U("iret", "cf", 1, IRET),
	U("iretq", "48 cf", 2, IRET),
	U("syscall", "0f 05", 2, SYSRET_SYSCALL),
	U("sysretq", "48 0f 07", 3, SYSRET_SYSCALL),
	U("sysenter", "0f 34", 2, SYSRET_SYSCALL),
	U("sysexit", "0f 35", 2, SYSRET_SYSCALL),
	U("pushf", "9c", 1, FLAGS),
	U("popf", "9d", 1, FLAGS),
	U("cli", "fa", 1, FLAGS),
	U("sti", "fb", 1, FLAGS),
	U("int 0x80", "cd 80", 2, INT),
	U("int1", "f1", 1, INT),
	U("hlt", "f4", 1, HLT),
	U("mov ss,eax", "8e d0", 2, SEGMENT),
	U("mov ds,[rip]", "8e 1d 00 00 00 00", 6, SEGMENT),
	U("pop fs", "0f a1", 2, SEGMENT),
	U("pop gs", "0f a9", 2, SEGMENT),
	U("lss", "0f b2 07", 3, SEGMENT),
	U("lgs", "0f b5 07", 3, SEGMENT),
	U("ud2", "0f 0b", 2, UD),
	U("ud1 esp,ecx", "0f b9 cc", 3, UD),
	U("ud0", "0f ff 00", 3, UD),
	U("lret", "cb", 1, FAR),
	U("lret imm16", "ca 08 00", 3, FAR),
	U("lcall [rsp]", "ff 1c 24", 3, FAR),
	U("ljmp [rip]", "ff 2d 00 00 00 00", 6, FAR),
	U("lgdt [rax]", "0f 01 10", 3, PRIV),
	U("lidt [rax]", "0f 01 18", 3, PRIV),
	U("invlpg [rax]", "0f 01 38", 3, PRIV),
	U("swapgs", "0f 01 f8", 3, PRIV),
	U("vmcall", "0f 01 c1", 3, PRIV),
	U("vmmcall", "0f 01 d9", 3, PRIV),
	U("monitor", "0f 01 c8", 3, PRIV),
	U("mwait", "0f 01 c9", 3, PRIV),
	U("mov cr3,rax", "0f 22 d8", 3, PRIV),
	U("mov rax,cr0 (mod ignored)", "0f 20 00", 3, PRIV),
	U("mov dr7,rax", "0f 23 f8", 3, PRIV),
	U("wrmsr", "0f 30", 2, PRIV),
	U("rdmsr", "0f 32", 2, PRIV),
	U("in al,0x60", "e4 60", 2, PRIV),
	U("out dx,al", "ee", 1, PRIV),
	U("rep outsb", "f3 6e", 2, PRIV),
	U("xsave [rdi]", "0f ae 27", 3, PRIV),
	U("xrstor [rdi]", "48 0f ae 2f", 4, PRIV),
	U("xsaves [rdi]", "48 0f c7 2f", 4, PRIV),
	U("fxsave [rdi]", "0f ae 07", 3, PRIV),
	U("rsm", "0f aa", 2, PRIV),
	U("clts", "0f 06", 2, PRIV),
	U("invd", "0f 08", 2, PRIV),
	U("wbinvd", "0f 09", 2, PRIV),
	U("ltr ax", "0f 00 d8", 3, PRIV),
	U("lar eax,ecx", "0f 02 c1", 3, PRIV),
	U("lsl eax,ecx", "0f 03 c1", 3, PRIV),
	U("cpuid", "0f a2", 2, PRIV),
	U("invpcid", "66 0f 38 82 01", 5, PRIV),
	U("wrfsbase", "f3 48 0f ae d0", 5, PRIV),
	U("xbegin (refused)", "c7 f8 00 00 00 00", 6, RSP_RIPREL),
	N("rdtscp is fine", "0f 01 f9", 3),
	N("stac is fine", "0f 01 cb", 3),
	N("clac is fine", "0f 01 ca", 3),
	N("rdtsc", "0f 31", 2),
	N("lfence", "0f ae e8", 3),
	N("mfence", "0f ae f0", 3),
	N("clflush [rax]", "0f ae 38", 3),
	N("mov eax,es (8c)", "8c c0", 2),
	N("push fs", "0f a0", 2),
	/* undecodable */
	B("push es (invalid in 64-bit)", "06"),
	B("0f 04", "0f 04"),
	B("truncated 0f", "0f"),
	B("truncated vex", "c4"),
	B("truncated evex", "62 f1 7c"),
	B("ljmp ptr16:32 (invalid in 64-bit)", "ea 00 00 00 00 10 00"),
	B("lcall ptr16:32 (invalid in 64-bit)", "9a 00 00 00 00 10 00"),
	B("salc", "d6"),
	B("into", "ce"),
	B("lock nop", "f0 90"),
	B("lock add reg,reg", "f0 01 c0"),
	B("lea reg form", "8d c0"),
	B("ff /7", "ff f8"),
	B("ljmp reg form", "ff e8"),
	B("vex after 66", "66 c5 f8 77"),
	B("vex after rex", "48 c5 f8 77"),
	B("vex map 4", "c4 e4 78 10 c0"),
	B("xop (8f /1)", "8f e8 78 c2 c0 00"),
	B("3dnow", "0f 0f c0 b4"),
	B("16 bytes", "66 66 66 66 66 66 66 66 66 66 66 66 66 66 66 90"),
	/* lengths, operands */
	N("15 bytes", "66 66 66 66 66 66 66 2e 48 8b 05 00 00 00 00", 15),
	B("16 bytes of mov", "66 66 66 66 66 66 66 66 2e 48 8b 05 00 00 00 00"),
	{ "mov rax,[rip+d]", "48 8b 05 78 56 34 12", 7, PVFBT_CLS_NORMAL, 0, PVFBT_F_RIPREL | PVFBT_F_REX_W, 0, 3, ANY, 0, ANY, 0, 0, ANY, 0 },
	{ "mov r8d,[rip+d] (REX.B)", "44 8b 05 00 00 00 00", 7, PVFBT_CLS_NORMAL, 0, PVFBT_F_RIPREL, PVFBT_F_REX_W, 3, ANY, 0, ANY, 0, 0, ANY, 0 },
	{ "mov eax,[r13+0] (REX.B, mod 01) not riprel", "41 8b 45 00", 4, PVFBT_CLS_NORMAL, 0, 0, PVFBT_F_RIPREL, 3, ANY, 0, ANY, 0, 0, ANY, 0 },
	{ "mov rax,[abs32] (sib) not riprel", "48 8b 04 25 00 00 00 00", 8, PVFBT_CLS_NORMAL, 0, 0, PVFBT_F_RIPREL, 4, ANY, 0, ANY, 0, 0, ANY, 0 },
	{ "mov dword [rip+d],imm32", "c7 05 00 00 00 00 01 00 00 00", 10, PVFBT_CLS_NORMAL, 0, PVFBT_F_RIPREL, 0, 2, 6, 4, 0, 1, 1, ANY, 0 },
	{ "mov word [rip+d],imm16", "66 c7 05 00 00 00 00 01 00", 9, PVFBT_CLS_NORMAL, 0, PVFBT_F_RIPREL, 0, 3, 7, 2, 0, 1, 1, ANY, 0 },
	{ "cmp byte [rip+d],imm8", "80 3d 00 00 00 00 00", 7, PVFBT_CLS_NORMAL, 0, PVFBT_F_RIPREL, 0, 2, 6, 1, 0, 0, 1, ANY, 0 },
	{ "movabs rax,imm64", "48 b8 88 77 66 55 44 33 22 11", 10, PVFBT_CLS_NORMAL, 0, PVFBT_F_REX_W, 0, ANY, 2, 8, 0, 0x1122334455667788LL, 1, ANY, 0 },
	{ "mov eax,imm32", "b8 ff ff ff ff", 5, PVFBT_CLS_NORMAL, 0, 0, 0, ANY, 1, 4, 0, -1, 1, ANY, 0 },
	{ "mov ax,imm16", "66 b8 34 12", 4, PVFBT_CLS_NORMAL, 0, 0, 0, ANY, 2, 2, 0, 0x1234, 1, ANY, 0 },
	N("mov r8d,imm32", "41 b8 01 00 00 00", 6),
	N("mov rax,-1 (c7 imm32)", "48 c7 c0 ff ff ff ff", 7),
	{ "movabs al,[moffs64]", "a0 00 00 00 00 00 00 00 80", 9, PVFBT_CLS_NORMAL, 0, 0, 0, ANY, 1, 8, 0, 0, 0, ANY, 0 },
	{ "67 mov eax,[moffs32]", "67 a1 00 00 00 80", 6, PVFBT_CLS_NORMAL, 0, 0, 0, ANY, 2, 4, 0, 0x80000000LL, 1, ANY, 0 },
	{ "enter 16,1", "c8 10 00 01", 4, PVFBT_CLS_NORMAL, 0, 0, 0, ANY, 1, 2, 1, 16, 1, ANY, 0 },
	N("test cl,1 (f6 /0 ib)", "f6 c1 01", 3),
	N("not cl (f6 /2)", "f6 d1", 2),
	N("test ecx,imm32 (f7 /0)", "f7 c1 00 00 20 00", 6),
	N("test cx,imm16", "66 f7 c1 00 20", 5),
	N("neg eax (f7 /3)", "f7 d8", 2),
	N("testb [rax+0x19],0x10", "f6 40 19 10", 4),
	{ "mov rax,gs:0x28", "65 48 8b 04 25 28 00 00 00", 9, PVFBT_CLS_NORMAL, 0, PVFBT_F_REX_W, PVFBT_F_RIPREL, 5, ANY, 0, ANY, 0, 0, ANY, 0 },
	{ "lock cmpxchg [rdx],rcx", "f0 48 0f b1 0a", 5, PVFBT_CLS_NORMAL, 0, PVFBT_F_LOCK | PVFBT_F_REX_W, 0, ANY, ANY, 0, ANY, 0, 0, ANY, 0 },
	N("push imm32", "68 00 10 00 00", 5),
	N("push imm8", "6a 01", 2),
	N("imul eax,ecx,imm8", "6b c1 07", 3),
	N("imul eax,ecx,imm32", "69 c1 00 01 00 00", 6),
	N("shl eax,5", "c1 e0 05", 3),
	N("bt [rip+d],5 (0f ba ib)", "0f ba 25 00 00 00 00 05", 8),
	N("shld eax,ecx,3", "0f a4 c8 03", 4),
	N("pshufd xmm0,xmm1,0x1b", "66 0f 70 c1 1b", 5),
	N("pshufb mm0,mm1 (0f 38)", "0f 38 00 c1", 4),
	N("palignr (0f 3a ib)", "66 0f 3a 0f c1 08", 6),
	N("pclmulqdq", "66 0f 3a 44 c1 00", 6),
	N("aesimc (0f 38 db)", "66 0f 38 db c8", 5),
	N("crc32 (f2 0f 38 f1)", "f2 48 0f 38 f1 c1", 6),
	N("popcnt", "f3 48 0f b8 c7", 5),
	N("movzx eax,byte [rdi+rsi*1+0x10]", "0f b6 44 37 10", 5),
	N("xstore-rng (via, 0f a7 c0)", "0f a7 c0", 3),
	N("fldz", "d9 ee", 2),
	{ "fld qword [rip+d]", "dd 05 00 00 00 00", 6, PVFBT_CLS_NORMAL, 0, PVFBT_F_RIPREL, 0, 2, ANY, 0, ANY, 0, 0, ANY, 0 },
	/* VEX / EVEX */
	{ "vzeroupper", "c5 f8 77", 3, PVFBT_CLS_NORMAL, 0, PVFBT_F_VEX, 0, ANY, ANY, 0, ANY, 0, 0, ANY, 0 },
	{ "vmovdqa ymm0,[rip+d]", "c5 fd 6f 05 00 00 00 00", 8, PVFBT_CLS_NORMAL, 0, PVFBT_F_VEX | PVFBT_F_RIPREL, 0, 4, ANY, 0, ANY, 0, 0, ANY, 0 },
	{ "vinsertf128 (c4 map3 ib)", "c4 e3 7d 18 c1 01", 6, PVFBT_CLS_NORMAL, 0, PVFBT_F_VEX, 0, ANY, 5, 1, ANY, 1, 1, ANY, 0 },
	{ "vpshufd ymm (c5 70 ib)", "c5 fd 70 c1 1b", 5, PVFBT_CLS_NORMAL, 0, PVFBT_F_VEX, 0, ANY, 4, 1, ANY, 0x1b, 1, ANY, 0 },
	N("vpbroadcastb (c4 map2)", "c4 e2 7d 78 c0", 5),
	N("andn (bmi)", "c4 e2 70 f2 c2", 5),
	N("rorx (map3 ib)", "c4 e3 fb f0 c1 07", 6),
	{ "vmovups zmm0,[rip+d] (evex)", "62 f1 7c 48 10 05 00 00 00 00", 10, PVFBT_CLS_NORMAL, 0, PVFBT_F_VEX | PVFBT_F_RIPREL, 0, 6, ANY, 0, ANY, 0, 0, ANY, 0 },
	{ "vprord xmm (evex 72 ib)", "62 f1 65 08 72 c3 07", 7, PVFBT_CLS_NORMAL, 0, PVFBT_F_VEX, 0, ANY, 6, 1, ANY, 7, 1, ANY, 0 },
	N("vmovdqu64 zmm,[rdi+0x40] (disp8*N)", "62 f1 fe 48 6f 47 01", 7),
	/* truncation (avail < length) */
	{ "movabs truncated", "48 b8 11 22", -1, PVFBT_CLS_UNSAFE, PVFBT_R_BAD, 0, 0, ANY, ANY, ANY, ANY, 0, 0, ANY, 0 },
	{ "call rel32 truncated", "e8 00 00 00", -1, PVFBT_CLS_UNSAFE, PVFBT_R_BAD, 0, 0, ANY, ANY, ANY, ANY, 0, 0, ANY, 0 },
	{ "modrm missing", "48 8b", -1, PVFBT_CLS_UNSAFE, PVFBT_R_BAD, 0, 0, ANY, ANY, ANY, ANY, 0, 0, ANY, 0 },
	{ "disp32 short", "48 8b 05 00 00 00", -1, PVFBT_CLS_UNSAFE, PVFBT_R_BAD, 0, 0, ANY, ANY, ANY, ANY, 0, 0, ANY, 0 },
	{ "empty", "", -1, PVFBT_CLS_UNSAFE, PVFBT_R_BAD, 0, 0, ANY, ANY, ANY, ANY, 0, 0, ANY, 0 },
};

static size_t parse_hex(const char *h, unsigned char *out)
{
	size_t n = 0;
	unsigned int v;
	int k;

	while (sscanf(h, " %2x%n", &v, &k) == 1) {
		out[n++] = (unsigned char)v;
		h += k;
	}
	return n;
}

int main(void)
{
	size_t i, ncases = sizeof(cases) / sizeof(cases[0]);
	int fails = 0, seen_cls[PVFBT_CLS_UNSAFE + 1] = { 0 }, seen_r[PVFBT_R_BAD + 1] = { 0 };

	for (i = 0; i < ncases; i++) {
		const struct tcase *t = &cases[i];
		unsigned char tmp[32];
		size_t n = parse_hex(t->hex, tmp);
		unsigned char *buf = malloc(n ? n : 1);
		struct pvfbt_insn in;
		int r, bad = 0;
		char why[200] = "";

		memcpy(buf, tmp, n);
		r = pvfbt_decode(buf, (unsigned int)n, &in);
#define CHK(cond, ...) do { if (!bad && !(cond)) { bad = 1; snprintf(why, sizeof(why), __VA_ARGS__); } } while (0)
		CHK(r == t->len, "len %d, want %d", r, t->len);
		CHK(in.cls == t->cls, "class %s, want %s", cls_str(in.cls), cls_str(t->cls));
		CHK(in.cls != PVFBT_CLS_UNSAFE || in.reason == t->reason, "reason %s, want %s",
		    pvfbt_reason_str(in.reason), pvfbt_reason_str(t->reason));
		CHK((in.flags & t->flags) == t->flags, "flags %#x lack %#x", in.flags, t->flags);
		CHK(!(in.flags & t->noflags), "flags %#x have %#x", in.flags, t->noflags);
		CHK(t->disp_off == ANY || in.disp_off == t->disp_off, "disp_off %d, want %d", in.disp_off, t->disp_off);
		CHK(t->imm_off == ANY || in.imm_off == t->imm_off, "imm_off %d, want %d", in.imm_off, t->imm_off);
		CHK(t->imm_size == ANY || in.imm_size == t->imm_size, "imm_size %d, want %d", in.imm_size, t->imm_size);
		CHK(t->imm2_size == ANY || in.imm2_size == t->imm2_size, "imm2_size %d, want %d", in.imm2_size, t->imm2_size);
		CHK(!t->imm_chk || in.imm == t->imm, "imm %lld, want %lld", (long long)in.imm, t->imm);
		CHK(t->cond == ANY || in.cond == t->cond, "cond %d, want %d", in.cond, t->cond);
		CHK(r < 0 || (in.opcode_off + in.opcode_len <= in.len && in.len <= 15), "bad offsets");
		CHK(!(in.flags & PVFBT_F_RIPREL) || (in.disp_size == 4 && in.disp_off + 4 <= in.len), "riprel disp");
		if (bad) {
			printf("# FAIL %s [%s]: %s\n", t->name, t->hex, why);
			fails++;
		} else {
			seen_cls[in.cls]++;
			if (in.cls == PVFBT_CLS_UNSAFE)
				seen_r[in.reason]++;
		}
		free(buf);
	}
	/* branch target helper */
	{
		static const unsigned char jmp[] = { 0xeb, 0xfe };
		struct pvfbt_insn in;

		pvfbt_decode(jmp, 2, &in);
		if (pvfbt_branch_target(&in, 0xffffffff81000000ull) != 0xffffffff81000000ull) {
			printf("# FAIL pvfbt_branch_target\n");
			fails++;
		}
	}
	for (i = 0; i <= PVFBT_CLS_UNSAFE; i++)
		if (!seen_cls[i]) {
			printf("# FAIL class %s not covered\n", cls_str((int)i));
			fails++;
		}
	for (i = 1; i <= PVFBT_R_BAD; i++)
		if (!seen_r[i]) {
			printf("# FAIL reason %s not covered\n", pvfbt_reason_str((unsigned int)i));
			fails++;
		}
	if (strcmp(pvfbt_reason_str(PVFBT_R_IRET), "iret")) {
		printf("# FAIL reason_str\n");
		fails++;
	}
	printf("insn-unit: %zu cases, %d failures\n", ncases, fails);
	return fails ? 1 : 0;
}
