/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pvfbt consumer: the timeline (--format=chrome), Chrome/Perfetto
 * trace-event JSON that chrome://tracing, Perfetto's UI and speedscope
 * open: a call (entry and return paired as --latency pairs them, tail
 * calls included) is one complete event ("ph":"X", ts and dur in
 * microseconds) on its thread; an entry or return without its other half
 * is an instant event ("ph":"i").  Written as the records come: nothing
 * is held but the open calls of each thread.
 */
#ifndef PVFBT_TIMELINE_H
#define PVFBT_TIMELINE_H

#include <stdint.h>
#include <stdio.h>

#include "pvfbt.h"
#include "latency.h"
#include "output.h"

struct timeline {
	FILE *f;
	const struct catalogue *cat;
	struct lat pairs;
	struct lat_ops ops;
	uint64_t *threads;	/* tids named so far (open addressing, +1) */
	size_t nr_threads, cap_threads;
	uint64_t slices, instants;
	int any;		/* an event was written: the next needs a comma */
};

/* Writes the head of the document. */
int timeline_init(struct timeline *t, FILE *f, const struct catalogue *cat);
/* Both probes of fid are enabled: its calls become slices. */
void timeline_track(struct timeline *t, uint32_t fid);
void timeline_record(struct timeline *t, const struct pvfbt_record *r);
/* Open calls become instants; writes the end of the document. */
void timeline_finish(struct timeline *t);
void timeline_free(struct timeline *t);

#endif
