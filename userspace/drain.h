/* SPDX-License-Identifier: GPL-2.0 */
/* pvfbt consumer: reading the per-CPU rings. */
#ifndef PVFBT_DRAIN_H
#define PVFBT_DRAIN_H

#include <stddef.h>
#include <stdint.h>

#include "pvfbt.h"
#include "ksym.h"

#define RING_HEADER_SIZE	4096	/* the header page before the records */

struct ring {
	const struct pvfbt_ring_header *hdr;
	const unsigned char *data;	/* hdr + RING_HEADER_SIZE */
	uint64_t tail;			/* the consumer's position */
};

/* The string arguments of a PVFBT_REC_STRINGS event (system calls). */
struct evstr {
	uint8_t mask;			/* the arguments that have one */
	uint8_t trunc;			/* of those, longer than PVFBT_STR_MAX */
	uint8_t incomplete;		/* records missing or malformed */
	int32_t len[6];			/* bytes kept, or -errno: not read */
	char s[6][PVFBT_STR_MAX + 1];	/* NUL-terminated */
};

struct pend {
	struct pvfbt_record r;
	uint64_t seq;			/* collection order: stable sort */
	uint64_t *pcs;			/* the stack of a STACKED event (malloc) */
	struct evstr *str;		/* the strings of a STRINGS event (malloc) */
	uint16_t nr_pcs;
	uint8_t stacked, incomplete;
};

struct drainer {
	uint32_t nr_cpus, record_size, ring_records;
	struct ring *rings;
	struct pend *pending;		/* collected, not yet handed out */
	size_t npending, cap;
	struct pend *spare;		/* cap entries: where the held back go */
	uint32_t *order;		/* cap entries: pending[] sorted by time */
	size_t hold_max;		/* more pending than this: flush oldest */
	int unordered;			/* emit at once, in no particular order
					 * (counting needs no time order) */
	uint64_t seq;
	uint64_t collected;		/* events copied out of the rings */
	uint64_t overrun;		/* records the consumer could not read */
	uint64_t emitted;
	uint64_t stack_records;		/* stack records attached to events */
	uint64_t stack_orphans;		/* stack records skipped: no event
					 * before them, or malformed */
	uint64_t stack_incomplete;	/* STACKED events without a complete
					 * stack after them */
	uint64_t str_records;		/* string records attached to events */
	uint64_t str_incomplete;	/* STRINGS events whose strings were
					 * missing or malformed */
};

/*
 * Called once per event, in time order.  stack is NULL unless the record
 * has PVFBT_REC_STACKED; then it holds the frames of the stack records that
 * followed it (stack->incomplete if they were missing or malformed).  Stack
 * records themselves are never handed out: they are not events.
 */
typedef void (*drain_fn)(const struct pvfbt_record *r,
			 const struct kstack *stack, void *arg);
/*
 * The strings of the event a drain_fn is called with (r is its r), or NULL
 * if it has none.  Valid only during that call.
 */
const struct evstr *drain_strings(const struct pvfbt_record *r);

/* bases[cpu] = start of the mapping of CPU cpu (header page first), or
 * NULL for a CPU without a ring (offline when the session started). */
int drainer_init(struct drainer *d, uint32_t nr_cpus, uint32_t record_size,
		 uint32_t ring_records, void *const *bases);
/* A ring that came during the session (a CPU came online): 0, or -1 if
 * cpu is out of range or already has one. */
int drainer_add_ring(struct drainer *d, uint32_t cpu, void *base);
/* The largest nr_rings any mapped ring's header announces, and the number
 * of rings mapped: more announced than mapped means map the new ones. */
uint32_t drainer_rings_announced(const struct drainer *d, uint32_t *mapped);
void drainer_free(struct drainer *d);
/* Copy [tail, head) of every ring into the pending pool, attaching stack
 * records to their event; advance tails.  Returns the number of ring
 * records consumed (events and stack records). */
size_t drainer_collect(struct drainer *d);
/* The consumer's tails, for PVFBT_IOC_CONSUME (tails[nr_cpus]). */
void drainer_tails(const struct drainer *d, uint64_t *tails);
/* Sort the pool by time and hand out the records with ts < watermark
 * (all of them with UINT64_MAX).  Returns the number handed out. */
size_t drainer_emit(struct drainer *d, uint64_t watermark, drain_fn fn,
		    void *arg);

#endif
