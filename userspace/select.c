// SPDX-License-Identifier: GPL-2.0
/* pvfbt consumer: from probe descriptions to probe ids. */
#include <stdlib.h>
#include <string.h>

#include "select.h"

static int u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

int select_probes(const struct catalogue *c, const struct spec *specs,
		  size_t nspecs, struct selection *sel)
{
	size_t cap = 0, s;
	uint32_t i;
	char mod[PVFBT_MODNAME_LEN + 1], fn[PVFBT_NAME_LEN + 1];

	memset(sel, 0, sizeof(*sel));
	sel->usable = calloc(nspecs ? nspecs : 1, sizeof(size_t));
	sel->excluded = calloc(nspecs ? nspecs : 1, sizeof(size_t));
	if (!sel->usable || !sel->excluded)
		return -1;
	for (i = 0; i < c->nr; i++) {
		const struct pvfbt_func *f = &c->funcs[i];
		int side;

		memcpy(mod, f->module, sizeof(f->module));
		mod[sizeof(f->module)] = '\0';
		memcpy(fn, f->name, sizeof(f->name));
		fn[sizeof(f->name)] = '\0';
		for (side = 0; side < 2; side++) {
			unsigned reason = probe_reason(f, side);
			int hit = 0;

			for (s = 0; s < nspecs; s++) {
				if (!spec_match(&specs[s], mod, fn, side))
					continue;
				hit = 1;
				if (reason)
					sel->excluded[s]++;
				else
					sel->usable[s]++;
			}
			if (!hit || reason)
				continue;
			if (sel->nr == cap) {
				uint32_t *n;

				cap = cap ? cap * 2 : 64;
				n = realloc(sel->ids, cap * sizeof(*n));
				if (!n)
					return -1;
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
	memset(sel, 0, sizeof(*sel));
}
