/* SPDX-License-Identifier: GPL-2.0 */
/* Small helpers shared by the pvfbt host tests (host only, not the module). */
#ifndef PVFBT_TESTS_HOST_COMMON_H
#define PVFBT_TESTS_HOST_COMMON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

#endif
