/* SPDX-License-Identifier: GPL-2.0 */
/* pvfbt consumer: from probe descriptions to probe ids. */
#ifndef PVFBT_SELECT_H
#define PVFBT_SELECT_H

#include <stddef.h>
#include <stdint.h>

#include "output.h"
#include "spec.h"

struct selection {
	uint32_t *ids;		/* usable probe ids, ascending, no duplicates */
	size_t nr;
	size_t *usable;		/* [nspecs]: usable probes each spec matched */
	size_t *excluded;	/* [nspecs]: excluded probes each spec matched */
	uint8_t *matched;	/* [2 * catalogue nr]: catalogue entry i, side s
				 * (0 entry, 1 return) is matched by a spec:
				 * matched[2 * i + s], usable or not */
};

/*
 * Match every spec against the catalogue.  A spec whose function field is
 * a literal (non-empty, no '*', '?', '[' or '\\') is looked up in a hash
 * table of the catalogue's names (with the sys_ alias: "__x64_" + name
 * too) and only the entries of that name are matched against its other
 * fields; the other specs are matched against the whole catalogue.  Same
 * result as matching everything with spec_match().
 */
int select_probes(const struct catalogue *c, const struct spec *specs,
		  size_t nspecs, struct selection *sel);
/* SELECT_NO_INDEX: spec_match() against every entry (tests compare). */
#define SELECT_NO_INDEX	0x1
int select_probes_flags(const struct catalogue *c, const struct spec *specs,
			size_t nspecs, struct selection *sel, unsigned flags);
void selection_free(struct selection *sel);
/* Is probe ID in the selection? */
int selection_has(const struct selection *sel, uint32_t id);

#endif
