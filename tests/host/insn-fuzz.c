// SPDX-License-Identifier: GPL-2.0
/*
 * insn-fuzz: random and mutated byte strings through pvfbt_decode (built
 * with -fsanitize=address,undefined), every buffer malloc'ed exactly avail
 * bytes long so that any read of buf[avail] is caught by ASan.
 *
 *   insn-fuzz [VMLINUX]     corpus = instructions of VMLINUX's .text
 *   env FUZZ_SEED (default 1), FUZZ_ITERS (default 3000000)
 *
 * Hard failures (exit 1):
 *   - any sanitizer report (the sanitizers abort);
 *   - a real kernel instruction, unmodified, decoded differently from the
 *     kernel-oracle's agreement (length != capstone and not a known capstone
 *     gap) or rejected;
 *   - decode(buf, avail) not monotone: for a valid length L, every avail >= L
 *     must give L and every avail < L must give -1;
 *   - a length disagreement with capstone on mutated/random bytes that no
 *     documented rule explains (see explain()), above FUZZ_MAX_UNEXPLAINED
 *     (default 0).
 * Explained disagreements are counted per rule and printed.
 */
#define _GNU_SOURCE
#include <capstone/capstone.h>
#include <ctype.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"

static uint64_t rs;
static uint64_t rnd(void)
{
	rs ^= rs >> 12;
	rs ^= rs << 25;
	rs ^= rs >> 27;
	return rs * 2685821657736338717ull;
}

/* -------------------------------------------------------------- corpus */
static unsigned char *corpus;	/* concatenated instructions */
static uint32_t *coff;		/* offsets */
static uint8_t *clen;
static size_t ncorp;

static void load_corpus(const char *path)
{
	int fd = open(path, O_RDONLY);
	struct stat st;
	void *map;
	Elf *e;
	Elf_Scn *scn = NULL;
	size_t shstr;

	if (fd < 0 || fstat(fd, &st))
		return;
	map = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	elf_version(EV_CURRENT);
	e = elf_memory(map, st.st_size);
	if (!e || elf_getshdrstrndx(e, &shstr))
		return;
	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		const char *n;
		const unsigned char *d;
		size_t pos = 0, cap = 400000, used = 0;

		gelf_getshdr(scn, &sh);
		n = elf_strptr(e, shstr, sh.sh_name);
		if (!n || strcmp(n, ".text"))
			continue;
		d = (const unsigned char *)map + sh.sh_offset;
		corpus = malloc(cap * 16);
		coff = malloc(cap * sizeof(*coff));
		clen = malloc(cap);
		/* linear sweep; take every instruction that is not int3 fill */
		while (pos + 15 < sh.sh_size && ncorp < cap) {
			struct pvfbt_insn in;
			int l = pvfbt_decode(d + pos, 15, &in);

			if (l < 0) {
				pos++;
				continue;
			}
			if (d[pos] != 0xcc || ncorp % 64 == 0) {
				coff[ncorp] = (uint32_t)used;
				clen[ncorp++] = (uint8_t)l;
				memcpy(corpus + used, d + pos, l);
				used += l;
			}
			/* skip ahead a little to spread the sample over .text */
			pos += l;
			if (rnd() % 8 == 0) {
				while (pos + 15 < sh.sh_size && pvfbt_decode(d + pos, 15, &in) > 0 && rnd() % 8)
					pos += in.len;
			}
		}
	}
}

/* ------------------------------------------------------------ explain */
/*
 * Documented reasons why pvfbt and capstone 4.0.2 may legitimately disagree
 * on the length of the same bytes.  Each was checked against objdump and the
 * Intel SDM; see Documentation/decoder.md.
 */
static const char *explain(const unsigned char *b, int pv, int cs, const struct pvfbt_insn *in)
{
	unsigned int o = in->opcode_off;
	u8 op0 = in->opcode[0], op1 = in->opcode[1];
	int has66 = 0, has67 = 0, hasrep = 0;
	unsigned int i;

	for (i = 0; i < o; i++) {	/* legacy prefixes and (dead) REX bytes */
		if (b[i] == 0x66)
			has66 = 1;
		if (b[i] == 0x67)
			has67 = 1;
		if (b[i] == 0xf2 || b[i] == 0xf3)
			hasrep = 1;
	}
	if (in->opcode_len >= 2 && op0 == 0x0f && (op1 == 0xb9 || op1 == 0xff))
		return "ud1/ud0 take a modrm (capstone 4: none)";
	if (has66 && !(in->flags & PVFBT_F_VEX) &&
	    ((in->opcode_len == 1 && (op0 == 0xe8 || op0 == 0xe9)) ||
	     (in->opcode_len == 2 && op0 == 0x0f && op1 >= 0x80 && op1 <= 0x8f)))
		return "66 + near call/jmp/jcc: rel32 on Intel (capstone: rel16, AMD)";
	if (has67 && !(in->flags & PVFBT_F_VEX) &&
	    ((in->opcode_len == 1 && (op0 == 0xe8 || op0 == 0xe9)) ||
	     (in->opcode_len == 2 && op0 == 0x0f && op1 >= 0x80 && op1 <= 0x8f)))
		return "67 + near call/jmp/jcc: capstone 4 takes rel16 (objdump, SDM: rel32)";
	if (has66 && in->opcode_len == 1 && op0 == 0xc7 && in->has_modrm && in->modrm == 0xf8)
		return "66 xbegin: rel16";
	if ((has66 || has67) && in->opcode_len == 1 && (op0 == 0xc2 || op0 == 0xca))
		return "ret imm16 with 66/67: capstone 4 reads imm32 (objdump: imm16)";
	if (has66 && hasrep && in->imm_size == 2 && cs == pv + 2)
		return "66 with f2/f3: capstone 4 drops 66 for the immediate (objdump: imm16)";
	if (in->opcode_len == 2 && op0 == 0x0f && op1 >= 0x20 && op1 <= 0x23)
		return "mov cr/dr: mod ignored (capstone decodes a memory form)";
	if (in->opcode_len == 2 && op0 == 0x0f && op1 == 0x78 && (b[0] == 0x66 || b[0] == 0xf2))
		return "SSE4a extrq/insertq imm8,imm8";
	return NULL;
}

#define NRULES 16
static const char *rule_name[NRULES];
static uint64_t rule_cnt[NRULES][2];
static char rule_ex[NRULES][80];

static void count_rule(const char *r, int valid, const unsigned char *b, int n, int pv, int cs)
{
	int i;

	for (i = 0; i < NRULES && rule_name[i] && strcmp(rule_name[i], r); i++)
		;
	if (i == NRULES)
		i = NRULES - 1;
	if (!rule_name[i]) {
		char hx[64];

		rule_name[i] = r;
		hexbytes(hx, sizeof(hx), b, n);
		snprintf(rule_ex[i], sizeof(rule_ex[i]), "%s: pvfbt %d capstone %d", hx, pv, cs);
	}
	rule_cnt[i][valid]++;
}

/* disagreements no rule explains: objdump (binutils) decides, in one batch */
#define MAXPEND 20000
struct pend { unsigned char b[16]; int n, pv, cs, g; char csm[80]; };
static struct pend pend[MAXPEND];
static size_t npend;
static uint64_t objdump_agrees;
static int tie_break(void);

enum { G_RANDOM, G_PREFIXED_RANDOM, G_REAL, G_FLIP, G_ADD_PREFIX, G_TRUNC, G_TAIL, G_NR };
static const char *const gname[G_NR] = { "random", "prefixed-random", "real", "flip",
	"add-prefix", "truncate", "real+tail" };

int main(int argc, char **argv)
{
	const char *e;
	uint64_t seed = 1, iters = 3000000, it, max_unexpl = 0;
	uint64_t gcount[G_NR] = { 0 }, both = 0, pv_only = 0, cs_only = 0, neither = 0;
	uint64_t unexpl = 0, hard = 0, monotone_checks = 0, pv_only_vex = 0, pv_only_0f = 0, pv_only_x87 = 0;
	csh cs;
	cs_insn *ci;
	double t0 = now_s();
	static const unsigned char lead[] = { 0x66, 0x67, 0xf0, 0xf2, 0xf3, 0x2e, 0x3e, 0x26, 0x36,
		0x64, 0x65, 0x40, 0x41, 0x44, 0x48, 0x4c, 0x4f, 0x0f, 0xc4, 0xc5, 0x62, 0x8f };

	if ((e = getenv("FUZZ_SEED")) && *e)
		seed = strtoull(e, NULL, 0);
	if ((e = getenv("FUZZ_ITERS")) && *e)
		iters = strtoull(e, NULL, 0);
	if ((e = getenv("FUZZ_MAX_UNEXPLAINED")) && *e)
		max_unexpl = strtoull(e, NULL, 0);
	rs = seed * 0x9e3779b97f4a7c15ull + 1;
	if (argc > 1)
		load_corpus(argv[1]);
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK)
		return 2;
	ci = cs_malloc(cs);

	for (it = 0; it < iters; it++) {
		unsigned char tmp[32];
		int n = 0, g, ref = -1, k;
		unsigned char *buf;
		struct pvfbt_insn in;
		int pv, csl;
		const uint8_t *code;
		size_t csz;
		uint64_t addr = 0x1000;

		g = (int)(rnd() % G_NR);
		if (!ncorp && g >= G_REAL)
			g = rnd() & 1;
		if (g == G_RANDOM || g == G_PREFIXED_RANDOM) {
			n = 1 + (int)(rnd() % 15);
			for (k = 0; k < n; k++)
				tmp[k] = (unsigned char)rnd();
			if (g == G_PREFIXED_RANDOM)
				for (k = 0; k < n && k < 1 + (int)(rnd() % 3); k++)
					tmp[k] = lead[rnd() % sizeof(lead)];
		} else {
			size_t ix = rnd() % ncorp;

			n = clen[ix];
			memcpy(tmp, corpus + coff[ix], n);
			ref = n;
			switch (g) {
			case G_FLIP:
				for (k = 0; k < 1 + (int)(rnd() % 2); k++)
					tmp[rnd() % n] ^= (unsigned char)(1u << (rnd() % 8)) |
						(rnd() % 4 ? 0 : (unsigned char)rnd());
				ref = -1;
				break;
			case G_ADD_PREFIX: {
				int np = 1 + (int)(rnd() % 3);

				if (n + np > 15)
					np = 15 - n;
				memmove(tmp + np, tmp, n);
				for (k = 0; k < np; k++)
					tmp[k] = lead[rnd() % 17];	/* legacy + REX only */
				n += np;
				ref = -1;
				break;
			}
			case G_TRUNC:
				n = (int)(rnd() % n);	/* 0 .. len-1 */
				break;
			case G_TAIL:
				while (n < 15)
					tmp[n++] = (unsigned char)rnd();
				break;
			default:
				break;
			}
		}
		gcount[g]++;
		buf = malloc(n ? n : 1);
		memcpy(buf, tmp, n);
		pv = pvfbt_decode(buf, (unsigned int)n, &in);
		code = buf;
		csz = n;
		csl = cs_disasm_iter(cs, &code, &csz, &addr, ci) ? (int)ci->size : -1;

		/* structural invariants */
		if (pv >= 0 && (pv != in.len || in.len > n || in.len > 15 || in.cls == PVFBT_CLS_UNSAFE && in.reason == PVFBT_R_BAD ||
				(in.disp_size && in.disp_off + in.disp_size > in.len) ||
				(in.imm_size && in.imm_off + in.imm_size + in.imm2_size > in.len) ||
				((in.flags & PVFBT_F_RIPREL) && in.disp_size != 4))) {
			char hx[64];

			hexbytes(hx, sizeof(hx), buf, n);
			printf("# HARD inconsistent insn struct: %s\n", hx);
			hard++;
		}
		if (pv < 0 && (in.cls != PVFBT_CLS_UNSAFE || in.reason != PVFBT_R_BAD)) {
			printf("# HARD failure without BAD class\n");
			hard++;
		}
		/* monotonicity in avail: re-decode with every shorter avail */
		if (pv > 0 && (it % 8) == 0) {
			int a;

			for (a = 0; a < pv; a++) {
				unsigned char *b2 = malloc(a ? a : 1);
				struct pvfbt_insn i2;

				memcpy(b2, buf, a);
				monotone_checks++;
				if (pvfbt_decode(b2, a, &i2) != -1) {
					char hx[64];

					hexbytes(hx, sizeof(hx), buf, n);
					printf("# HARD avail %d < len %d decodes: %s\n", a, pv, hx);
					hard++;
				}
				free(b2);
			}
		}
		if (g == G_REAL) {
			if (pv != ref) {
				char hx[64];

				hexbytes(hx, sizeof(hx), buf, n);
				printf("# HARD real instruction %s: pvfbt %d, corpus %d\n", hx, pv, ref);
				hard++;
			}
		}
		if (g == G_TRUNC && pv >= 0) {
			char hx[64];

			hexbytes(hx, sizeof(hx), buf, n);
			printf("# HARD truncated instruction decodes: %s -> %d\n", hx, pv);
			hard++;
		}
		if (g == G_TAIL) {
			/* same start as a corpus instruction: length must not change */
			struct pvfbt_insn i2;
			int l2 = pvfbt_decode(buf, (unsigned int)ref, &i2);

			if (pv != l2 || pv != ref) {
				char hx[64];

				hexbytes(hx, sizeof(hx), buf, n);
				printf("# HARD trailing bytes changed the length: %s %d vs %d\n", hx, pv, l2);
				hard++;
			}
		}
		if (pv >= 0 && csl >= 0) {
			both++;
			if (pv != csl) {
				const char *r = explain(buf, pv, csl, &in);
				/* "valid" = unmodified kernel instruction (with or without a tail) */
				int valid = g == G_REAL || g == G_TAIL;

				if (r) {
					count_rule(r, valid, buf, pv > csl ? pv : csl, pv, csl);
				} else if (npend < MAXPEND) {
					struct pend *p = &pend[npend++];

					memcpy(p->b, buf, n);
					p->n = n;
					p->pv = pv;
					p->cs = csl;
					p->g = g;
					snprintf(p->csm, sizeof(p->csm), "%s %s", ci->mnemonic, ci->op_str);
				} else {
					unexpl++;
				}
			}
		} else if (pv >= 0) {
			pv_only++;
			if (in.flags & PVFBT_F_VEX)
				pv_only_vex++;
			else if (in.opcode[0] == 0x0f)
				pv_only_0f++;
			else if (in.opcode[0] >= 0xd8 && in.opcode[0] <= 0xdf)
				pv_only_x87++;
		} else if (csl >= 0) {
			cs_only++;
		} else {
			neither++;
		}
		free(buf);
	}
	unexpl += tie_break();
	printf("insn-fuzz: %llu iterations (seed %llu) in %.1f s, %llu hard failures, %llu unexplained length disagreements\n",
	       (unsigned long long)iters, (unsigned long long)seed, now_s() - t0,
	       (unsigned long long)hard, (unsigned long long)unexpl);
	printf("#  generators:");
	for (it = 0; it < G_NR; it++)
		printf(" %s=%llu", gname[it], (unsigned long long)gcount[it]);
	printf("\n#  corpus %zu kernel instructions; %llu avail-monotonicity checks\n", ncorp,
	       (unsigned long long)monotone_checks);
	printf("#  both decode %llu, only pvfbt %llu (capstone 4 gaps or garbage pvfbt accepts), only capstone %llu (pvfbt stricter), neither %llu\n",
	       (unsigned long long)both, (unsigned long long)pv_only, (unsigned long long)cs_only,
	       (unsigned long long)neither);
	printf("#  objdump agrees with pvfbt (capstone 4 wrong) on %llu of %zu further disagreements\n",
	       (unsigned long long)objdump_agrees, npend);
	printf("#  only-pvfbt split: VEX/EVEX %llu, 0f maps %llu, x87 %llu, other one-byte %llu\n",
	       (unsigned long long)pv_only_vex, (unsigned long long)pv_only_0f, (unsigned long long)pv_only_x87,
	       (unsigned long long)(pv_only - pv_only_vex - pv_only_0f - pv_only_x87));
	for (it = 0; it < NRULES && rule_name[it]; it++)
		printf("#  explained: %llu garbage + %llu real x %s (e.g. %s)\n",
		       (unsigned long long)rule_cnt[it][0], (unsigned long long)rule_cnt[it][1],
		       rule_name[it], rule_ex[it]);
	cs_free(ci, 1);
	cs_close(&cs);
	return hard || unexpl > max_unexpl ? 1 : 0;
}

static const char *const gname2[] = { "random", "prefixed-random", "real", "flip",
	"add-prefix", "truncate", "real+tail" };

static int tie_break(void)
{
	struct objdump_insn *oi;
	int *objlen, bad = 0;
	size_t i;

	if (!npend)
		return 0;
	objlen = calloc(npend, sizeof(int));
	oi = calloc(npend, sizeof(*oi));
	if (!objlen || !oi)
		return 1000000;
	for (i = 0; i < npend; i++)
		oi[i] = (struct objdump_insn){ pend[i].b, pend[i].n };
	if (objdump_lengths(oi, npend, objlen, NULL))
		return 1000000;
	free(oi);
	for (i = 0; i < npend; i++) {
		char hx[64];

		/* objdump never looks past our slot's instruction bytes + nops */
		if (objlen[i] == pend[i].pv) {
			objdump_agrees++;
			continue;
		}
		bad++;
		hexbytes(hx, sizeof(hx), pend[i].b, pend[i].n);
		if (bad <= 20)
			printf("# unexplained length disagreement (%s): %s: pvfbt %d capstone %d (%s) objdump %d\n",
			       gname2[pend[i].g], hx, pend[i].pv, pend[i].cs, pend[i].csm, objlen[i]);
	}
	free(objlen);
	return bad;
}
