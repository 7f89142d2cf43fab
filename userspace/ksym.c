// SPDX-License-Identifier: GPL-2.0
/* pvfbt consumer: kernel symbols (/proc/kallsyms) and kernel stacks. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ksym.h"

struct ksym_tmp {
	uint64_t addr;
	uint32_t name, mod;
	uint32_t order;		/* line number: ties keep file order */
	int global;		/* T, W */
};

static int tmp_cmp(const void *a, const void *b)
{
	const struct ksym_tmp *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	/* Aliases at one address: a global symbol first, then file order. */
	if (x->global != y->global)
		return x->global ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static int add_str(struct ksyms *k, size_t *cap, const char *s, size_t n,
		   uint32_t *off)
{
	if (k->strs_len + n + 1 > *cap) {
		size_t ncap = *cap ? *cap : 1 << 16;
		char *ns;

		while (ncap < k->strs_len + n + 1)
			ncap *= 2;
		if (ncap > UINT32_MAX)
			return -1;
		ns = realloc(k->strs, ncap);
		if (!ns)
			return -1;
		k->strs = ns;
		*cap = ncap;
	}
	*off = (uint32_t)k->strs_len;
	memcpy(k->strs + k->strs_len, s, n);
	k->strs[k->strs_len + n] = '\0';
	k->strs_len += n + 1;
	return 0;
}

/* "ffffffff81000000 T name" or "ffffffffc0a01000 t name\t[mod]" */
static int parse_line(char *line, uint64_t *addr, char *type, char **name,
		      size_t *nlen, char **mod, size_t *mlen)
{
	char *p = line, *end;

	errno = 0;
	*addr = strtoull(p, &end, 16);
	if (errno || end == p || *end != ' ')
		return -1;
	p = end + 1;
	if (!*p || p[1] != ' ')
		return -1;
	*type = *p;
	p += 2;
	*name = p;
	while (*p && *p != '\t' && *p != ' ' && *p != '\n')
		p++;
	*nlen = (size_t)(p - *name);
	if (!*nlen)
		return -1;
	*mod = NULL;
	*mlen = 0;
	while (*p == '\t' || *p == ' ')
		p++;
	if (*p == '[') {
		char *m = ++p;

		while (*p && *p != ']' && *p != '\n')
			p++;
		if (*p == ']' && p > m) {
			*mod = m;
			*mlen = (size_t)(p - m);
		}
	}
	return 0;
}

int ksyms_load(struct ksyms *k, const char *path)
{
	struct ksym_tmp *tmp = NULL;
	size_t ntmp = 0, cap = 0, scap = 0, i, w;
	char *line = NULL;
	size_t llen = 0;
	int fd, e;
	FILE *f;
	uint32_t empty;

	memset(k, 0, sizeof(*k));
	/* open(), not fopen(): the host tests redirect it. */
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	f = fdopen(fd, "r");
	if (!f) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	if (add_str(k, &scap, "", 0, &empty))
		goto nomem;
	while (getline(&line, &llen, f) > 0) {
		uint64_t addr;
		char type, *name, *mod;
		size_t nlen, mlen;

		if (parse_line(line, &addr, &type, &name, &nlen, &mod, &mlen))
			continue;
		if (!addr || !strchr("tTwW", type))
			continue;
		if (ntmp == cap) {
			size_t ncap = cap ? cap * 2 : 4096;
			struct ksym_tmp *nt = realloc(tmp, ncap * sizeof(*nt));

			if (!nt)
				goto nomem;
			tmp = nt;
			cap = ncap;
		}
		tmp[ntmp].addr = addr;
		tmp[ntmp].order = (uint32_t)ntmp;
		tmp[ntmp].global = type == 'T' || type == 'W';
		tmp[ntmp].mod = 0;
		if (add_str(k, &scap, name, nlen, &tmp[ntmp].name) ||
		    (mod && add_str(k, &scap, mod, mlen, &tmp[ntmp].mod)))
			goto nomem;
		ntmp++;
	}
	e = ferror(f) ? errno : 0;
	fclose(f);
	free(line);
	line = NULL;
	if (e) {
		free(tmp);
		ksyms_free(k);
		errno = e;
		return -1;
	}
	if (!ntmp) {
		free(tmp);
		ksyms_free(k);
		return 1;	/* no addresses (or no text symbols) */
	}
	qsort(tmp, ntmp, sizeof(*tmp), tmp_cmp);
	k->syms = malloc(ntmp * sizeof(*k->syms));
	if (!k->syms)
		goto nomem_sorted;
	for (i = 0, w = 0; i < ntmp; i++) {
		if (w && k->syms[w - 1].addr == tmp[i].addr)
			continue;
		k->syms[w].addr = tmp[i].addr;
		k->syms[w].name = tmp[i].name;
		k->syms[w].mod = tmp[i].mod;
		w++;
	}
	k->nr = w;
	free(tmp);
	return 0;

nomem:
	fclose(f);
	free(line);
nomem_sorted:
	free(tmp);
	ksyms_free(k);
	errno = ENOMEM;
	return -1;
}

void ksyms_free(struct ksyms *k)
{
	free(k->syms);
	free(k->strs);
	memset(k, 0, sizeof(*k));
}

const struct ksym *ksyms_lookup(const struct ksyms *k, uint64_t addr)
{
	size_t lo = 0, hi = k->nr;

	/* The last symbol with sym.addr <= addr. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (k->syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? &k->syms[lo - 1] : NULL;
}

/*
 * kallsyms has no sizes: an address far past the nearest symbol (in a
 * module loaded after we read kallsyms, say) is shown as an address rather
 * than as a huge offset into an unrelated function.
 */
#define KSYM_MAX_OFFSET	0x100000

void ksym_format(char *buf, size_t len, const struct ksyms *k, uint64_t addr)
{
	const struct ksym *s = ksyms_lookup(k, addr);

	if (!s || addr - s->addr >= KSYM_MAX_OFFSET) {
		snprintf(buf, len, "0x%" PRIx64, addr);
		return;
	}
	if (s->mod)
		snprintf(buf, len, "%s+0x%" PRIx64 " [%s]", k->strs + s->name,
			 addr - s->addr, k->strs + s->mod);
	else
		snprintf(buf, len, "%s+0x%" PRIx64, k->strs + s->name,
			 addr - s->addr);
}

void ksym_func(char *buf, size_t len, const struct ksyms *k, uint64_t addr)
{
	const struct ksym *s = ksyms_lookup(k, addr);

	if (!s || addr - s->addr >= KSYM_MAX_OFFSET)
		snprintf(buf, len, "0x%" PRIx64, addr);
	else
		snprintf(buf, len, "%s", k->strs + s->name);
}
