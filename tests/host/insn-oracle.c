// SPDX-License-Identifier: GPL-2.0
/*
 * insn-oracle: check pvfbt_decode against capstone (and objdump as a
 * tie-breaker) over every function of a real kernel image and a sample of
 * its modules.
 *
 *   insn-oracle kallsyms VMLINUX            recover "addr type name" lines
 *                                           (System.map format) from the
 *                                           image's kallsyms tables
 *   insn-oracle kernel VMLINUX SYSTEM.MAP   walk every text symbol
 *   insn-oracle modules MODDIR N            walk FUNC symbols of N modules
 *
 * Exit status 0 = pass.  See Documentation/decoder.md.
 */
#define _GNU_SOURCE
#include <capstone/capstone.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"

static void die(const char *fmt, const char *a)
{
	fprintf(stderr, "insn-oracle: ");
	fprintf(stderr, fmt, a);
	fprintf(stderr, "\n");
	exit(2);
}

/* ------------------------------------------------------------------ ELF */

struct sec {
	char name[64];
	uint64_t addr, size;
	const unsigned char *data;
	int exec;
};

struct image {
	int fd;
	void *map;
	size_t mapsz;
	Elf *elf;
	struct sec *secs;
	size_t nsecs;
};

static void image_open(struct image *im, const char *path)
{
	struct stat st;
	size_t shstrndx, i;
	Elf_Scn *scn = NULL;

	memset(im, 0, sizeof(*im));
	elf_version(EV_CURRENT);
	im->fd = open(path, O_RDONLY);
	if (im->fd < 0 || fstat(im->fd, &st))
		die("cannot open %s", path);
	im->mapsz = st.st_size;
	im->map = mmap(NULL, im->mapsz, PROT_READ, MAP_PRIVATE, im->fd, 0);
	if (im->map == MAP_FAILED)
		die("mmap %s", path);
	im->elf = elf_memory(im->map, im->mapsz);
	if (!im->elf || elf_getshdrstrndx(im->elf, &shstrndx) || elf_getshdrnum(im->elf, &im->nsecs))
		die("not an ELF file: %s", path);
	im->secs = calloc(im->nsecs, sizeof(*im->secs));
	for (i = 0; (scn = elf_nextscn(im->elf, scn)); ) {
		GElf_Shdr sh;
		const char *n;

		i = elf_ndxscn(scn);
		gelf_getshdr(scn, &sh);
		n = elf_strptr(im->elf, shstrndx, sh.sh_name);
		snprintf(im->secs[i].name, sizeof(im->secs[i].name), "%s", n ? n : "");
		im->secs[i].addr = sh.sh_addr;
		im->secs[i].size = sh.sh_size;
		im->secs[i].exec = !!(sh.sh_flags & SHF_EXECINSTR);
		if (sh.sh_type != SHT_NOBITS && sh.sh_offset + sh.sh_size <= im->mapsz)
			im->secs[i].data = (const unsigned char *)im->map + sh.sh_offset;
	}
}

static void image_close(struct image *im)
{
	elf_end(im->elf);
	munmap(im->map, im->mapsz);
	close(im->fd);
	free(im->secs);
}

static struct sec *find_sec(struct image *im, const char *name)
{
	size_t i;

	for (i = 0; i < im->nsecs; i++)
		if (!strcmp(im->secs[i].name, name))
			return &im->secs[i];
	return NULL;
}

/* ------------------------------------------------------------ kallsyms */

static uint32_t rd32(const unsigned char *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t rd64(const unsigned char *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static uint16_t rd16(const unsigned char *p) { uint16_t v; memcpy(&v, p, 2); return v; }
#define ALIGN8(x) (((x) + 7) & ~(uint64_t)7)

/*
 * Print the n symbols whose compressed names start at d[nm]: names expand
 * through the token table at d[T] (index at d[Q]); addresses come from the
 * s32 offsets at d[offs] against relbase (negative: relative to it, as
 * with x86-64's absolute per-CPU symbols).
 */
static void print_kallsyms(const unsigned char *d, uint64_t nm, uint32_t n,
			   uint64_t T, uint64_t Q, uint64_t offs, uint64_t relbase)
{
	uint16_t tokidx[256];
	char name[1024];
	uint32_t i;

	for (i = 0; i < 256; i++)
		tokidx[i] = rd16(d + Q + 2 * i);
	for (i = 0; i < n; i++) {
		unsigned int len = d[nm], k, o = 0;
		int32_t so = (int32_t)rd32(d + offs + 4ull * i);
		uint64_t addr = so >= 0 ? (uint64_t)so : relbase - 1 - so;

		if (len & 0x80) {
			len = (len & 0x7f) | (d[nm + 1] << 7);
			nm += 2;
		} else {
			nm += 1;
		}
		for (k = 0; k < len; k++) {
			const char *tok = (const char *)d + T + tokidx[d[nm + k]];
			size_t tl = strlen(tok);

			if (o + tl < sizeof(name) - 1) {
				memcpy(name + o, tok, tl);
				o += tl;
			}
		}
		name[o] = 0;
		nm += len;
		if (o < 2)
			continue;
		printf("%016llx %c %s\n", (unsigned long long)addr, name[0], name + 1);
	}
}

/*
 * Is p the kallsyms_num_syms of names that end, with their markers, right
 * before the token table at T?  Returns the symbol count, 0 if not.
 */
static uint32_t names_before(const unsigned char *d, uint64_t p, uint64_t T)
{
	uint32_t n = rd32(d + p), i, m256 = 0;
	uint64_t off = p + 8, mk;

	if (n < 1000 || n > 4000000 || rd32(d + p + 4) != 0)
		return 0;
	for (i = 0; i < n && off < T; i++) {
		unsigned int len = d[off];

		if (i == 256)
			m256 = (uint32_t)(off - (p + 8));
		off += (len & 0x80) ? 2 + ((len & 0x7f) | (d[off + 1] << 7)) : 1 + len;
	}
	if (i != n)
		return 0;
	mk = ALIGN8(off);
	if (rd32(d + mk) != 0 || (n > 256 && rd32(d + mk + 4) != m256))
		return 0;
	return n;
}

/*
 * Layouts written by scripts/kallsyms.c, each label .balign 8:
 *  6.1:  kallsyms_offsets[N] (s32), kallsyms_relative_base (u64),
 *        kallsyms_num_syms (u32), kallsyms_names, kallsyms_markers[(N+255)/256],
 *        kallsyms_seqs_of_names[3N], kallsyms_token_table, kallsyms_token_index[256].
 *  6.12: kallsyms_num_syms, kallsyms_names, kallsyms_markers,
 *        kallsyms_token_table, kallsyms_token_index, kallsyms_offsets,
 *        kallsyms_relative_base, kallsyms_seqs_of_names.
 * Both are found from the token index (256 increasing u16 right after the
 * token table), then by walking back to a count whose names fit.
 */
static int do_kallsyms(const char *path)
{
	struct image im;
	struct sec *ro;
	const unsigned char *d;
	uint64_t sz, q, T = 0, Q = 0, p;
	int found = 0;

	image_open(&im, path);
	ro = find_sec(&im, ".rodata");
	if (!ro || !ro->data)
		die("no .rodata in %s", path);
	d = ro->data;
	sz = ro->size;
	/* 1. token_index: 256 increasing u16 starting at 0, right after the table */
	for (q = 1024; q + 512 <= sz && !found; q += 8) {
		uint16_t idx[256];
		int i, ok = 1;
		uint64_t t;

		if (rd16(d + q) != 0)
			continue;
		for (i = 0; i < 256; i++)
			idx[i] = rd16(d + q + 2 * i);
		for (i = 1; i < 256 && ok; i++)
			ok = idx[i] > idx[i - 1] && idx[i] - idx[i - 1] < 64;
		if (!ok || idx[255] > q)
			continue;
		for (t = q - idx[255] - 1; t + 600 > q - idx[255] && t > 0 && !found; t--) {
			uint64_t e;

			ok = 1;
			for (i = 1; i < 256 && ok; i++)
				ok = d[t + idx[i] - 1] == 0 && d[t + idx[i - 1]] != 0;
			if (!ok)
				continue;
			e = t + idx[255];
			while (e < q && d[e])
				e++;
			if (e < q && ALIGN8(e + 1) == q && (t & 7) == 0) {
				T = t;
				Q = q;
				found = 1;
			}
		}
	}
	if (!found)
		die("kallsyms token table not found in %s", path);
	/* 2. num_syms + names: walk back from the token table */
	found = 0;
	for (p = T & ~7ull; p >= 16 && !found; p -= 8) {
		uint32_t n = names_before(d, p, T);
		uint64_t mk_end, relbase, offs;

		if (!n)
			continue;
		/* where the markers end: skip the names again */
		mk_end = p + 8;
		for (uint32_t i = 0; i < n; i++)
			mk_end += (d[mk_end] & 0x80) ? 2 + ((d[mk_end] & 0x7f) | (d[mk_end + 1] << 7)) :
						       1 + d[mk_end];
		mk_end = ALIGN8(mk_end) + 4ull * ((n + 255) / 256);
		if (ALIGN8(ALIGN8(mk_end) + 3ull * n) == T) {
			/* 6.1: seqs_of_names, then the token table */
			relbase = rd64(d + p - 8);
			offs = p - 8 - ALIGN8(4ull * n);
		} else if (ALIGN8(mk_end) == T) {
			/* 6.12: the token table right after the markers */
			offs = ALIGN8(Q + 512);
			relbase = rd64(d + ALIGN8(offs + 4ull * n));
		} else {
			continue;
		}
		if (relbase < 0xffffffff80000000ull)
			continue;
		found = 1;
		print_kallsyms(d, p + 8, n, T, Q, offs, relbase);
	}
	if (!found)
		die("kallsyms_names not found in %s", path);
	image_close(&im);
	return 0;
}

/* ------------------------------------------------------- walk + verify */

struct func {
	uint64_t start, end;	/* vaddr (kernel) or section offset (module) */
	const unsigned char *bytes;	/* bytes of [start, end) */
	char name[96];
};

enum stop_kind { ST_BOTH_BAD, ST_CS_ONLY_BAD, ST_PV_ONLY_BAD, ST_CROSS_END, ST_NR };
static const char *const stop_names[ST_NR] = {
	"both decoders reject (data/padding)",
	"capstone rejects, pvfbt decodes (not a stop: walk continues, objdump decides below)",
	"pvfbt rejects, capstone decodes (objdump decides below)",
	"last instruction crosses the next symbol",
};

struct pending {	/* a disagreement for the objdump tie-breaker */
	uint64_t addr;
	char sym[96];
	unsigned char b[16];
	int n, pv, cs;
	int kind;	/* 0 = length mismatch, 1 = capstone failed */
	char objmn[48];	/* objdump's mnemonic */
};

struct stats {
	uint64_t funcs, insns, mism, cls_checked, cls_bad, cs_wrong, newer;
	uint64_t stops[ST_NR];
	uint64_t stop_zero, int3_fill_stops, int3_fill_bytes;
	uint64_t cls_count[PVFBT_CLS_UNSAFE + 1];
	uint64_t reason_count[PVFBT_R_BAD + 1];
	uint64_t riprel;
	struct pending *pend;
	size_t npend, cappend;
	char examples[ST_NR][5][200];
	int nex[ST_NR];
	char cls_ex[10][200];
	int ncls_ex;
	char cswrong_forms[32][80];
	uint64_t cswrong_cnt[32];
	char cswrong_ex[32][64];
	int ncswrong;
};

/* fentry successor statistics */
#define HSZ 65536
struct hent { char *k; uint64_t n; };
static struct hent *fentry_tab;
static uint64_t fentry_funcs, fentry_cls[PVFBT_CLS_UNSAFE + 1], fentry_riprel, fentry_reason[PVFBT_R_BAD + 1];

static void hadd(const char *k)
{
	uint64_t h = 1469598103934665603ull;
	const char *p;

	if (!fentry_tab)
		fentry_tab = calloc(HSZ, sizeof(*fentry_tab));
	for (p = k; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	for (h &= HSZ - 1; fentry_tab[h].k; h = (h + 1) & (HSZ - 1))
		if (!strcmp(fentry_tab[h].k, k))
			break;
	if (!fentry_tab[h].k)
		fentry_tab[h].k = strdup(k);
	fentry_tab[h].n++;
}

/* "qword ptr [rip + 0x1234]" -> "qword ptr [rip + N]" */
static void shape(char *out, size_t sz, const char *mn, const char *ops)
{
	size_t o = 0;
	const char *p = ops;

	o += snprintf(out, sz, "%s%s", mn, *ops ? " " : "");
	while (*p && o + 2 < sz) {
		if ((p == ops || !isalnum((unsigned char)p[-1])) && isdigit((unsigned char)*p)) {
			out[o++] = 'N';
			if (p[0] == '0' && p[1] == 'x')
				p += 2;
			while (isxdigit((unsigned char)*p))
				p++;
			continue;
		}
		out[o++] = *p++;
	}
	out[o] = 0;
}

static void add_pending(struct stats *s, uint64_t addr, const char *sym,
			const unsigned char *b, size_t avail, int pv, int cs, int kind)
{
	struct pending *p;

	if (s->npend == s->cappend) {
		s->cappend = s->cappend ? 2 * s->cappend : 64;
		s->pend = realloc(s->pend, s->cappend * sizeof(*p));
	}
	p = &s->pend[s->npend++];
	memset(p, 0, sizeof(*p));
	p->addr = addr;
	snprintf(p->sym, sizeof(p->sym), "%s", sym);
	p->n = avail < 15 ? (int)avail : 15;
	memcpy(p->b, b, p->n);
	p->pv = pv;
	p->cs = cs;
	p->kind = kind;
}

static void add_example(struct stats *s, int kind, uint64_t addr, const char *sym,
			const unsigned char *b, size_t avail, uint64_t off)
{
	char hx[64];

	if (s->nex[kind] >= 5)
		return;
	hexbytes(hx, sizeof(hx), b, avail < 8 ? avail : 8);
	snprintf(s->examples[kind][s->nex[kind]++], 200, "%llx %s+%#llx: %s",
		 (unsigned long long)addr, sym, (unsigned long long)off, hx);
}

static uint64_t fentry_addr;

/* the on-disk image has "call __fentry__" (ftrace nops it at boot); the
 * running kernel has the 5-byte nop 0f 1f 44 00 00 */
static int is_fentry_site(const struct func *f)
{
	int32_t rel;

	if (!memcmp(f->bytes, "\x0f\x1f\x44\x00\x00", 5))
		return 1;
	if (f->bytes[0] != 0xe8 || !fentry_addr)
		return 0;
	memcpy(&rel, f->bytes + 1, 4);
	return f->start + 5 + (int64_t)rel == fentry_addr;
}

static void walk(csh cs, cs_insn *ci, struct stats *s, const struct func *f, int kernel)
{
	uint64_t pos = 0, len = f->end - f->start;
	int first = 1;

	while (pos < len) {
		struct pvfbt_insn in;
		const unsigned char *b = f->bytes + pos;
		const uint8_t *code = b;
		size_t avail = len - pos, csz = avail;
		uint64_t a = f->start + pos;
		int pv = pvfbt_decode(b, (unsigned int)(avail > 4096 ? 4096 : avail), &in);
		int csl = cs_disasm_iter(cs, &code, &csz, &a, ci) ? (int)ci->size : -1;

		a = f->start + pos;
		if (pos && b[0] == 0xcc) {
			uint64_t r = pos;

			while (r < len && f->bytes[r] == 0xcc)
				r++;
			if (r == len) {	/* int3 fill up to the next symbol */
				s->int3_fill_stops++;
				s->int3_fill_bytes += len - pos;
				return;
			}
		}
		if (pv < 0 && csl < 0) {
			/* does it decode if allowed to run past the symbol end? */
			struct pvfbt_insn t2;
			int k = ST_BOTH_BAD;

			if (avail < 15) {
				unsigned char tmp[15] = { 0 };

				memcpy(tmp, b, avail);
				if (pvfbt_decode(tmp, 15, &t2) > (int)avail)
					k = ST_CROSS_END;
			}
			s->stops[k]++;
			if (k == ST_BOTH_BAD) {
				if (b[0] == 0)
					s->stop_zero++;
			}
			add_example(s, k, a, f->name, b, avail, pos);
			return;
		}
		if (pv < 0) {
			s->stops[ST_PV_ONLY_BAD]++;
			add_example(s, ST_PV_ONLY_BAD, a, f->name, b, avail, pos);
			add_pending(s, a, f->name, b, avail, pv, csl, 0);
			return;
		}
		if (csl < 0) {
			s->stops[ST_CS_ONLY_BAD]++;
			add_example(s, ST_CS_ONLY_BAD, a, f->name, b, avail, pos);
			add_pending(s, a, f->name, b, avail, pv, csl, 1);
			pos += pv;	/* continue with pvfbt; objdump judges later */
			first = 0;
			continue;
		}
		if (first)
			s->funcs++;
		s->insns++;
		s->cls_count[in.cls]++;
		if (in.cls == PVFBT_CLS_UNSAFE)
			s->reason_count[in.reason]++;
		if (in.flags & PVFBT_F_RIPREL)
			s->riprel++;
		if (pv != csl) {
			add_pending(s, a, f->name, b, avail, pv, csl, 0);
			pos += pv;
			first = 0;
			continue;
		}
		{
			int want = cs_expected_class(ci->mnemonic, ci->op_str);

			if (want >= 0) {
				s->cls_checked++;
				if (want != in.cls && !(want == PVFBT_CLS_JMP_IND && in.reason == PVFBT_R_FAR) &&
				    !(want == PVFBT_CLS_CALL_IND && in.reason == PVFBT_R_FAR)) {
					char hx[64];

					s->cls_bad++;
					hexbytes(hx, sizeof(hx), b, pv);
					if (s->ncls_ex < 10)
						snprintf(s->cls_ex[s->ncls_ex++], 200, "%llx %s: %s: capstone %s %s, pvfbt %s",
							 (unsigned long long)a, f->name, hx, ci->mnemonic, ci->op_str, cls_str(in.cls));
				}
			}
		}
		if (kernel && pos == 5 && first == 0 && is_fentry_site(f)) {
			char sh[160];

			shape(sh, sizeof(sh), ci->mnemonic, ci->op_str);
			hadd(sh);
			fentry_funcs++;
			fentry_cls[in.cls]++;
			if (in.cls == PVFBT_CLS_UNSAFE)
				fentry_reason[in.reason]++;
			if (in.flags & PVFBT_F_RIPREL)
				fentry_riprel++;
		}
		pos += pv;
		first = 0;
	}
}

/*
 * Instructions newer than both oracles (capstone 4, binutils 2.40), which
 * reject them: their length from the SDM, or -1.  6.12 has LKGS (F2 0F 00
 * /6, FRED's "load kernel GS"), register form only, in native_lkgs().
 */
static int newer_form_len(const unsigned char *b, int n)
{
	if (n >= 4 && b[0] == 0xf2 && b[1] == 0x0f && b[2] == 0x00 &&
	    (b[3] >> 6) == 3 && ((b[3] >> 3) & 7) == 6)
		return 4;	/* lkgs %r16 */
	return -1;
}

/* objdump tie-breaker over all pending disagreements, in one batch */
static void tie_break(struct stats *s, const char *label)
{
	struct objdump_insn *oi;
	char (*mn)[48];
	size_t i;
	int *objlen;

	if (!s->npend)
		return;
	objlen = calloc(s->npend, sizeof(int));
	oi = calloc(s->npend, sizeof(*oi));
	mn = calloc(s->npend, sizeof(*mn));
	if (!objlen || !oi || !mn)
		die("%s: out of memory", "tie-break");
	for (i = 0; i < s->npend; i++)
		oi[i] = (struct objdump_insn){ s->pend[i].b, s->pend[i].n };
	if (objdump_lengths(oi, s->npend, objlen, mn))
		die("cannot write the objdump input in %s", "/tmp");
	for (i = 0; i < s->npend; i++)
		if (mn[i][0])
			memcpy(s->pend[i].objmn, mn[i], sizeof(mn[i]));
	free(oi);
	free(mn);
	for (i = 0; i < s->npend; i++) {
		struct pending *p = &s->pend[i];
		char hx[64];

		hexbytes(hx, sizeof(hx), p->b, p->n);
		if (objlen[i] == p->pv || (p->pv < 0 && objlen[i] == -1)) {
			/* capstone wrong or ignorant: remember the form */
			char form[80];
			int k;

			struct pvfbt_insn in;
			char ob[64];

			/* group by objdump mnemonic; show the first example's opcode bytes */
			pvfbt_decode(p->b, p->n, &in);
			hexbytes(ob, sizeof(ob), p->b, p->pv < 0 ? 4u : in.has_modrm ? in.modrm_off + 1u :
				 (unsigned)in.opcode_off + in.opcode_len);
			snprintf(form, sizeof(form), "%s %s", p->kind ? "capstone rejects" :
				 p->pv < 0 ? "capstone accepts, objdump (bad):" : "capstone length differs:",
				 p->objmn);
			for (k = 0; k < s->ncswrong; k++)
				if (!strcmp(s->cswrong_forms[k], form))
					break;
			if (k == s->ncswrong && k < 32) {
				snprintf(s->cswrong_forms[s->ncswrong], 80, "%s", form);
				snprintf(s->cswrong_ex[s->ncswrong++], 64, "%s", ob);
			}
			if (k < 32)
				s->cswrong_cnt[k]++;
			s->cs_wrong++;
			continue;
		}
		if (objlen[i] == -1 && p->cs < 0 && p->pv > 0 &&
		    newer_form_len(p->b, p->n) == p->pv) {
			s->newer++;
			printf("# %s: newer than both oracles, length from the SDM: %llx %s: %s: %d\n",
			       label, (unsigned long long)p->addr, p->sym, hx, p->pv);
			continue;
		}
		s->mism++;
		if (s->mism <= 20)
			printf("# %s mismatch: %llx %s: %s: pvfbt %d capstone %d objdump %d\n", label,
			       (unsigned long long)p->addr, p->sym, hx, p->pv, p->cs, objlen[i]);
	}
	free(objlen);
}

static void print_stops(struct stats *s, const char *label)
{
	int k, j;
	uint64_t tot = 0;

	for (k = 0; k < ST_NR; k++)
		if (k != ST_CS_ONLY_BAD)
			tot += s->stops[k];
	printf("# %s: %llu early stops (decoder failure before the symbol end)\n", label, (unsigned long long)tot);
	for (k = 0; k < ST_NR; k++) {
		if (!s->stops[k])
			continue;
		printf("#   %llu %s%s\n", (unsigned long long)s->stops[k], stop_names[k],
		       k == ST_BOTH_BAD && s->stop_zero ? " (zero bytes: see below)" : "");
		for (j = 0; j < s->nex[k]; j++)
			printf("#     e.g. %s\n", s->examples[k][j]);
	}
	if (s->stop_zero)
		printf("#   of which %llu start with 00 bytes\n", (unsigned long long)s->stop_zero);
	printf("# %s: %llu walks ended at int3 (cc) fill reaching the next symbol (%llu fill bytes, not counted as instructions)\n",
	       label, (unsigned long long)s->int3_fill_stops, (unsigned long long)s->int3_fill_bytes);
	for (k = 0; k < s->ncswrong; k++)
		printf("# %s: capstone 4 wrong, objdump agrees with pvfbt: %llu x %s (e.g. %s)\n", label,
		       (unsigned long long)s->cswrong_cnt[k], s->cswrong_forms[k], s->cswrong_ex[k]);
}

static void print_classes(struct stats *s, const char *label)
{
	int c, r;

	printf("%s-classes: %llu control-flow insns checked against capstone, %llu class mismatches\n",
	       label, (unsigned long long)s->cls_checked, (unsigned long long)s->cls_bad);
	printf("#");
	for (c = 0; c <= PVFBT_CLS_UNSAFE; c++)
		printf(" %s=%llu", cls_str(c), (unsigned long long)s->cls_count[c]);
	printf(" riprel=%llu\n#  unsafe:", (unsigned long long)s->riprel);
	for (r = 1; r <= PVFBT_R_BAD; r++)
		if (s->reason_count[r])
			printf(" %s=%llu", pvfbt_reason_str(r), (unsigned long long)s->reason_count[r]);
	printf("\n");
	for (c = 0; c < s->ncls_ex; c++)
		printf("#   class mismatch: %s\n", s->cls_ex[c]);
}

static csh cs_open_or_die(cs_insn **ci)
{
	csh h;

	if (cs_open(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK)
		die("%s", "cs_open failed");
	cs_option(h, CS_OPT_SYNTAX, CS_OPT_SYNTAX_INTEL);
	*ci = cs_malloc(h);
	return h;
}

struct sym { uint64_t addr; char type; char name[96]; };

static int cmp_sym(const void *a, const void *b)
{
	const struct sym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static int cmp_hent(const void *a, const void *b)
{
	const struct hent *x = a, *y = b;

	return x->n < y->n ? 1 : x->n > y->n ? -1 : 0;
}

static int do_kernel(const char *vmlinux, const char *mapf)
{
	struct image im;
	struct stats s;
	struct sym *syms = NULL;
	size_t nsyms = 0, cap = 0, i, j;
	char line[512];
	FILE *f = fopen(mapf, "r");
	csh cs;
	cs_insn *ci;
	double t0 = now_s();

	memset(&s, 0, sizeof(s));
	if (!f)
		die("cannot open %s", mapf);
	image_open(&im, vmlinux);
	while (fgets(line, sizeof(line), f)) {
		unsigned long long a;
		char t, n[400];

		if (sscanf(line, "%llx %c %399s", &a, &t, n) != 3)
			continue;
		if (t != 't' && t != 'T' && t != 'W' && t != 'w')
			continue;
		if (!strcmp(n, "__fentry__"))
			fentry_addr = a;
		if (nsyms == cap) {
			cap = cap ? cap * 2 : 65536;
			syms = realloc(syms, cap * sizeof(*syms));
		}
		syms[nsyms].addr = a;
		syms[nsyms].type = t;
		snprintf(syms[nsyms].name, sizeof(syms[nsyms].name), "%s", n);
		nsyms++;
	}
	fclose(f);
	qsort(syms, nsyms, sizeof(*syms), cmp_sym);
	cs = cs_open_or_die(&ci);
	for (i = 0; i < nsyms; i = j) {
		struct func fn;
		struct sec *sc = NULL;
		size_t k;

		for (j = i + 1; j < nsyms && syms[j].addr == syms[i].addr; j++)
			;
		for (k = 0; k < im.nsecs; k++)
			if (im.secs[k].exec && im.secs[k].data && syms[i].addr >= im.secs[k].addr &&
			    syms[i].addr < im.secs[k].addr + im.secs[k].size)
				sc = &im.secs[k];
		if (!sc || !strcmp(sc->name, ".altinstr_replacement"))
			continue;
		fn.start = syms[i].addr;
		fn.end = j < nsyms ? syms[j].addr : sc->addr + sc->size;
		if (fn.end > sc->addr + sc->size)
			fn.end = sc->addr + sc->size;
		fn.bytes = sc->data + (fn.start - sc->addr);
		snprintf(fn.name, sizeof(fn.name), "%s", syms[i].name);
		walk(cs, ci, &s, &fn, 1);
	}
	tie_break(&s, "kernel");
	printf("insn-oracle: %llu functions, %llu instructions, %llu length mismatches\n",
	       (unsigned long long)s.funcs, (unsigned long long)s.insns, (unsigned long long)s.mism);
	print_stops(&s, "kernel");
	print_classes(&s, "insn-oracle");
	/* fentry successor statistics */
	{
		struct hent *v = calloc(HSZ, sizeof(*v));
		size_t nv = 0;
		int c;

		for (i = 0; fentry_tab && i < HSZ; i++)
			if (fentry_tab[i].k)
				v[nv++] = fentry_tab[i];
		qsort(v, nv, sizeof(*v), cmp_hent);
		printf("insn-oracle-fentry: %llu functions start with the fentry nop; top forms after it:",
		       (unsigned long long)fentry_funcs);
		for (i = 0; i < nv && i < 15; i++)
			printf("%s %s=%llu", i ? ";" : "", v[i].k, (unsigned long long)v[i].n);
		printf("\n#  classes of the instruction after the fentry nop:");
		for (c = 0; c <= PVFBT_CLS_UNSAFE; c++)
			if (fentry_cls[c])
				printf(" %s=%llu", cls_str(c), (unsigned long long)fentry_cls[c]);
		printf(" riprel=%llu; unsafe:", (unsigned long long)fentry_riprel);
		for (c = 1; c <= PVFBT_R_BAD; c++)
			if (fentry_reason[c])
				printf(" %s=%llu", pvfbt_reason_str(c), (unsigned long long)fentry_reason[c]);
		printf("\n");
		free(v);
	}
	printf("# kernel walk took %.1f s (%zu text symbols in map)\n", now_s() - t0, nsyms);
	cs_free(ci, 1);
	cs_close(&cs);
	image_close(&im);
	if (s.insns < 1000000 || s.funcs < 10000) {
		printf("# too few functions/instructions: symbols or image wrong\n");
		return 1;
	}
	return s.mism || s.cls_bad ? 1 : 0;
}

static int do_modules(const char *dir, int want)
{
	char cmd[1024], line[1024], **list = NULL;
	size_t n = 0, cap = 0, i;
	FILE *f;
	struct stats s;
	csh cs;
	cs_insn *ci;
	int mods = 0;
	double t0 = now_s();

	memset(&s, 0, sizeof(s));
	snprintf(cmd, sizeof(cmd), "find '%s' -name '*.ko' -o -name '*.ko.xz' -o -name '*.ko.zst' | LC_ALL=C sort", dir);
	f = popen(cmd, "r");
	while (f && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		if (n == cap) {
			cap = cap ? 2 * cap : 1024;
			list = realloc(list, cap * sizeof(*list));
		}
		list[n++] = strdup(line);
	}
	if (f)
		pclose(f);
	if (!n)
		die("no modules under %s", dir);
	if (want <= 0 || (size_t)want > n)
		want = (int)n;
	cs = cs_open_or_die(&ci);
	for (i = 0; i < (size_t)want; i++) {
		const char *path = list[(size_t)((double)i * n / want)];
		char tmp[] = "/tmp/pvfbt-ko-XXXXXX";
		const char *use = path;
		struct image im;
		size_t k;
		int tfd = -1;

		if (strstr(path, ".ko.xz") || strstr(path, ".ko.zst")) {
			tfd = mkstemp(tmp);
			close(tfd);
			snprintf(cmd, sizeof(cmd), "%s -dc '%s' > %s", strstr(path, ".xz") ? "xz" : "zstd", path, tmp);
			if (system(cmd))
				die("cannot decompress %s", path);
			use = tmp;
		}
		image_open(&im, use);
		for (k = 0; k < im.nsecs; k++) {
			Elf_Scn *scn = elf_getscn(im.elf, k);
			GElf_Shdr sh;
			Elf_Data *d;
			size_t m, cnt;

			if (!scn || !gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB)
				continue;
			d = elf_getdata(scn, NULL);
			cnt = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
			for (m = 0; d && m < cnt; m++) {
				GElf_Sym sy;
				struct func fn;
				struct sec *sc;
				const char *nm;

				if (!gelf_getsym(d, m, &sy) || GELF_ST_TYPE(sy.st_info) != STT_FUNC ||
				    !sy.st_size || sy.st_shndx == SHN_UNDEF || sy.st_shndx >= im.nsecs)
					continue;
				sc = &im.secs[sy.st_shndx];
				if (!sc->exec || !sc->data || sy.st_value + sy.st_size > sc->size)
					continue;
				nm = elf_strptr(im.elf, sh.sh_link, sy.st_name);
				fn.start = sy.st_value;
				fn.end = sy.st_value + sy.st_size;
				fn.bytes = sc->data + sy.st_value;
				snprintf(fn.name, sizeof(fn.name), "%s:%s", strrchr(path, '/') + 1, nm ? nm : "?");
				walk(cs, ci, &s, &fn, 0);
			}
		}
		image_close(&im);
		if (tfd >= 0)
			unlink(tmp);
		mods++;
	}
	tie_break(&s, "modules");
	printf("insn-oracle-modules: %d modules, %llu functions, %llu instructions, %llu length mismatches\n",
	       mods, (unsigned long long)s.funcs, (unsigned long long)s.insns, (unsigned long long)s.mism);
	print_stops(&s, "modules");
	print_classes(&s, "insn-oracle-modules");
	printf("# module walk took %.1f s (%zu modules available, sampled evenly)\n", now_s() - t0, n);
	cs_free(ci, 1);
	cs_close(&cs);
	return s.mism || s.cls_bad || s.insns < 10000 ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "kallsyms"))
		return do_kallsyms(argv[2]);
	if (argc == 4 && !strcmp(argv[1], "kernel"))
		return do_kernel(argv[2], argv[3]);
	if (argc == 4 && !strcmp(argv[1], "modules"))
		return do_modules(argv[2], atoi(argv[3]));
	fprintf(stderr, "usage: insn-oracle kallsyms VMLINUX | kernel VMLINUX MAP | modules DIR N\n");
	return 2;
}
