/* SPDX-License-Identifier: GPL-2.0 */
/* pvfbt consumer: reading the per-CPU rings. */
#ifndef PVFBT_DRAIN_H
#define PVFBT_DRAIN_H

#include <stddef.h>
#include <stdint.h>

#include "pvfbt.h"

#define RING_HEADER_SIZE	4096	/* the header page before the records */

struct ring {
	const struct pvfbt_ring_header *hdr;
	const unsigned char *data;	/* hdr + RING_HEADER_SIZE */
	uint64_t tail;			/* the consumer's position */
};

struct pend {
	struct pvfbt_record r;
	uint64_t seq;			/* collection order: stable sort */
};

struct drainer {
	uint32_t nr_cpus, record_size, ring_records;
	struct ring *rings;
	struct pend *pending;		/* collected, not yet handed out */
	size_t npending, cap;
	size_t hold_max;		/* more pending than this: flush oldest */
	uint64_t seq;
	uint64_t collected;		/* records copied out of the rings */
	uint64_t overrun;		/* records the consumer could not read */
	uint64_t emitted;
};

typedef void (*drain_fn)(const struct pvfbt_record *r, void *arg);

/* bases[cpu] = start of the mapping of CPU cpu (header page first). */
int drainer_init(struct drainer *d, uint32_t nr_cpus, uint32_t record_size,
		 uint32_t ring_records, void *const *bases);
void drainer_free(struct drainer *d);
/* Copy [tail, head) of every ring into the pending pool; advance tails.
 * Returns the number of records copied. */
size_t drainer_collect(struct drainer *d);
/* The consumer's tails, for PVFBT_IOC_CONSUME (tails[nr_cpus]). */
void drainer_tails(const struct drainer *d, uint64_t *tails);
/* Sort the pool by time and hand out the records with ts < watermark
 * (all of them with UINT64_MAX).  Returns the number handed out. */
size_t drainer_emit(struct drainer *d, uint64_t watermark, drain_fn fn,
		    void *arg);

#endif
