// SPDX-License-Identifier: GPL-2.0
/* pvfbt consumer: from probe descriptions to probe ids. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "select.h"

#define SYS_ALIAS_PREFIX	"sys_"
#define SYS_REAL_PREFIX		"__x64_sys_"	/* = "__x64_" SYS_ALIAS_PREFIX */

static int u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Is this function pattern matched by fnmatch() only by the same string? */
static int literal_function(const char *p)
{
	return p[0] && !strpbrk(p, "*?[\\");
}

/* The catalogue's names: open addressing, slot = index in funcs[] + 1. */
struct name_index {
	uint32_t *slot;
	size_t mask;
};

static uint64_t hash_name(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ULL;
	}
	return h ^ (h >> 31);
}

static size_t func_name_len(const struct pvfbt_func *f)
{
	return strnlen(f->name, sizeof(f->name));
}

static int index_build(struct name_index *ix, const struct catalogue *c)
{
	size_t cap = 16;
	uint32_t i;

	while (cap < 2 * (size_t)c->nr)
		cap *= 2;
	ix->slot = calloc(cap, sizeof(*ix->slot));
	if (!ix->slot)
		return -1;
	ix->mask = cap - 1;
	for (i = 0; i < c->nr; i++) {
		const struct pvfbt_func *f = &c->funcs[i];
		size_t h = hash_name(f->name, func_name_len(f)) & ix->mask;

		while (ix->slot[h])
			h = (h + 1) & ix->mask;
		ix->slot[h] = i + 1;
	}
	return 0;
}

struct sel_ctx {
	const struct catalogue *c;
	const struct spec *specs;
	struct selection *sel;
};

/* Spec s against both probes of catalogue entry i. */
static void match_entry(struct sel_ctx *x, size_t s, uint32_t i)
{
	const struct pvfbt_func *f = &x->c->funcs[i];
	char mod[PVFBT_MODNAME_LEN + 1], fn[PVFBT_NAME_LEN + 1];
	int side;

	memcpy(mod, f->module, sizeof(f->module));
	mod[sizeof(f->module)] = '\0';
	memcpy(fn, f->name, sizeof(f->name));
	fn[sizeof(f->name)] = '\0';
	for (side = 0; side < 2; side++) {
		if (!spec_match(&x->specs[s], mod, fn, side))
			continue;
		if (probe_reason(f, side))
			x->sel->excluded[s]++;
		else
			x->sel->usable[s]++;
		x->sel->matched[2 * (size_t)i + side] = 1;
	}
}

/* Every catalogue entry named NAME (N bytes) against spec s. */
static void match_name(struct sel_ctx *x, const struct name_index *ix,
		       size_t s, const char *name, size_t n)
{
	size_t h;

	if (n > PVFBT_NAME_LEN)
		return;
	for (h = hash_name(name, n) & ix->mask; ix->slot[h];
	     h = (h + 1) & ix->mask) {
		uint32_t i = ix->slot[h] - 1;
		const struct pvfbt_func *f = &x->c->funcs[i];

		if (func_name_len(f) == n && !memcmp(f->name, name, n))
			match_entry(x, s, i);
	}
}

int select_probes_flags(const struct catalogue *c, const struct spec *specs,
			size_t nspecs, struct selection *sel, unsigned flags)
{
	struct sel_ctx x = { .c = c, .specs = specs, .sel = sel };
	struct name_index ix = { NULL, 0 };
	uint8_t *is_glob;
	size_t cap = 0, s, nglob = 0;
	uint32_t i;

	memset(sel, 0, sizeof(*sel));
	sel->usable = calloc(nspecs ? nspecs : 1, sizeof(size_t));
	sel->excluded = calloc(nspecs ? nspecs : 1, sizeof(size_t));
	sel->matched = calloc(c->nr ? 2 * (size_t)c->nr : 1, 1);
	is_glob = calloc(nspecs ? nspecs : 1, 1);
	if (!sel->usable || !sel->excluded || !sel->matched || !is_glob)
		goto nomem;
	for (s = 0; s < nspecs; s++) {
		is_glob[s] = (flags & SELECT_NO_INDEX) ||
			     !literal_function(specs[s].function);
		nglob += is_glob[s];
	}
	if (nglob < nspecs) {
		char alias[PVFBT_NAME_LEN + 8];
		size_t ap = strlen(SYS_ALIAS_PREFIX);

		if (index_build(&ix, c))
			goto nomem;
		for (s = 0; s < nspecs; s++) {
			const char *fn = specs[s].function;
			size_t n = strlen(fn);

			if (is_glob[s])
				continue;
			match_name(&x, &ix, s, fn, n);
			/* The alias rule: sys_X also matches __x64_sys_X. */
			if (!strncmp(fn, SYS_ALIAS_PREFIX, ap) &&
			    n - ap + strlen(SYS_REAL_PREFIX) <= PVFBT_NAME_LEN) {
				snprintf(alias, sizeof(alias), "%s%s",
					 SYS_REAL_PREFIX, fn + ap);
				match_name(&x, &ix, s, alias, strlen(alias));
			}
		}
		free(ix.slot);
	}
	if (nglob)
		for (i = 0; i < c->nr; i++)
			for (s = 0; s < nspecs; s++)
				if (is_glob[s])
					match_entry(&x, s, i);
	free(is_glob);
	is_glob = NULL;

	for (i = 0; i < c->nr; i++) {
		const struct pvfbt_func *f = &c->funcs[i];
		int side;

		for (side = 0; side < 2; side++) {
			if (!sel->matched[2 * (size_t)i + side] ||
			    probe_reason(f, side))
				continue;
			if (sel->nr == cap) {
				uint32_t *n;

				cap = cap ? cap * 2 : 64;
				n = realloc(sel->ids, cap * sizeof(*n));
				if (!n)
					goto nomem;
				sel->ids = n;
			}
			sel->ids[sel->nr++] = 2 * f->fid + side;
		}
	}
	/* Duplicate fids in the catalogue would give duplicate ids. */
	if (sel->nr) {
		qsort(sel->ids, sel->nr, sizeof(*sel->ids), u32_cmp);
		size_t w = 1, r;

		for (r = 1; r < sel->nr; r++)
			if (sel->ids[r] != sel->ids[w - 1])
				sel->ids[w++] = sel->ids[r];
		sel->nr = w;
	}
	return 0;

nomem:
	free(is_glob);
	return -1;
}

int select_probes(const struct catalogue *c, const struct spec *specs,
		  size_t nspecs, struct selection *sel)
{
	return select_probes_flags(c, specs, nspecs, sel, 0);
}

int selection_has(const struct selection *sel, uint32_t id)
{
	return sel->nr &&
	       bsearch(&id, sel->ids, sel->nr, sizeof(*sel->ids), u32_cmp) != NULL;
}

void selection_free(struct selection *sel)
{
	free(sel->ids);
	free(sel->usable);
	free(sel->excluded);
	free(sel->matched);
	memset(sel, 0, sizeof(*sel));
}
