/* SPDX-License-Identifier: GPL-2.0 */
/* Small helpers shared by the pvfbt host tests (host only, not the module). */
#ifndef PVFBT_TESTS_HOST_COMMON_H
#define PVFBT_TESTS_HOST_COMMON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <ctype.h>
#include <unistd.h>

#include "../../arch/x86/decode.h"

static inline double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static inline void hexbytes(char *out, size_t outsz, const unsigned char *p, size_t n)
{
	size_t i, o = 0;

	out[0] = 0;
	for (i = 0; i < n && o + 4 < outsz; i++)
		o += snprintf(out + o, outsz - o, "%s%02x", i ? " " : "", p[i]);
}

/* capstone mnemonic without prefix words ("rep ret" -> "ret", "bnd jmp" -> "jmp") */
static inline const char *base_mnemonic(const char *m)
{
	const char *sp = strrchr(m, ' ');

	return sp ? sp + 1 : m;
}

/* pvfbt class capstone implies for a mnemonic/op_str, or -1 if none of the
 * control-flow classes the oracle checks */
static inline int cs_expected_class(const char *mnem, const char *ops)
{
	const char *m = base_mnemonic(mnem);
	int rel = (ops[0] >= '0' && ops[0] <= '9') && !strchr(ops, '[');

	if (!strcmp(m, "ret") || !strcmp(m, "retq"))
		return PVFBT_CLS_RET;
	if (!strcmp(m, "jmp") || !strcmp(m, "jmpq"))
		return rel ? PVFBT_CLS_JMP_REL : PVFBT_CLS_JMP_IND;
	if (!strcmp(m, "call") || !strcmp(m, "callq"))
		return rel ? PVFBT_CLS_CALL_REL : PVFBT_CLS_CALL_IND;
	if (!strcmp(m, "loop") || !strcmp(m, "loope") || !strcmp(m, "loopne") ||
	    !strcmp(m, "jrcxz") || !strcmp(m, "jecxz"))
		return PVFBT_CLS_LOOP;
	if (m[0] == 'j')
		return PVFBT_CLS_JCC_REL;
	if (!strcmp(m, "int3"))
		return PVFBT_CLS_INT3;
	return -1;
}

static inline const char *cls_str(int c)
{
	static const char *const n[] = { "normal", "nop", "jmp_rel", "jcc_rel", "call_rel",
		"loop", "ret", "jmp_ind", "call_ind", "int3", "unsafe" };

	return c >= 0 && c <= PVFBT_CLS_UNSAFE ? n[c] : "?";
}

/*
 * The objdump tie-breaker of insn-oracle and insn-fuzz: one objdump run over
 * count instructions, insn[i].b[0..insn[i].n), each written at the start of
 * a 32-byte slot padded with nops.  len[i] gets objdump's length, -1 for
 * "(bad)", -2 if objdump said nothing; mnem[i] (unless NULL) its mnemonic,
 * "" if none.  Returns 0, or -1 if the temporary file cannot be written.
 */
struct objdump_insn { const unsigned char *b; int n; };

static inline int objdump_lengths(const struct objdump_insn *insn, size_t count,
				  int *len, char (*mnem)[48])
{
	char tmpl[] = "/tmp/pvfbt-objdump-XXXXXX", cmd[256], line[512];
	size_t i;
	FILE *f;
	int fd = mkstemp(tmpl);

	if (fd < 0)
		return -1;
	for (i = 0; i < count; i++) {
		unsigned char slot[32];

		memset(slot, 0x90, sizeof(slot));
		memcpy(slot, insn[i].b, insn[i].n);
		if (write(fd, slot, sizeof(slot)) != sizeof(slot)) {
			close(fd);
			unlink(tmpl);
			return -1;
		}
		len[i] = -2;
		if (mnem)
			mnem[i][0] = 0;
	}
	close(fd);
	snprintf(cmd, sizeof(cmd), "objdump -D -b binary -m i386:x86-64 --insn-width=16 %s", tmpl);
	f = popen(cmd, "r");
	while (f && fgets(line, sizeof(line), f)) {
		unsigned long off;
		char *t1, *t2, *p;
		int n = 0;

		if (sscanf(line, " %lx:", &off) != 1 || !(t1 = strchr(line, '\t')))
			continue;
		t2 = strchr(t1 + 1, '\t');
		if (off % 32 || off / 32 >= count)
			continue;
		for (p = t1 + 1; t2 ? p < t2 : *p != 0; p++)
			if (isxdigit((unsigned char)p[0]) && isxdigit((unsigned char)p[1])) {
				n++;
				p++;
			}
		len[off / 32] = (t2 && strstr(t2, "(bad)")) ? -1 : n;
		if (t2 && mnem)
			sscanf(t2 + 1, "%47s", mnem[off / 32]);
	}
	if (f)
		pclose(f);
	unlink(tmpl);
	return 0;
}

#endif
