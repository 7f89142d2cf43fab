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
};

int select_probes(const struct catalogue *c, const struct spec *specs,
		  size_t nspecs, struct selection *sel);
void selection_free(struct selection *sel);
/* Is probe ID in the selection? */
int selection_has(const struct selection *sel, uint32_t id);

#endif
