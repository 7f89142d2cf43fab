/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pvfbt consumer: aggregations.  --count per probe, or per probe and key
 * (--by pid|tid|comm|argN|retval); --count --stack per probe and stack,
 * printed as DTrace does or as folded stacks (--folded).
 */
#ifndef PVFBT_AGGREGATE_H
#define PVFBT_AGGREGATE_H

#include <stdint.h>
#include <stdio.h>

#include "pvfbt.h"
#include "ksym.h"
#include "output.h"

/* --count [--by KEY] */
enum count_key {
	COUNT_BY_PROBE = 0,	/* no key: one count per probe */
	COUNT_BY_PID,		/* tgid */
	COUNT_BY_TID,
	COUNT_BY_COMM,
	COUNT_BY_ARG,		/* entry argument arg (0..5); returns: "-" */
	COUNT_BY_RETVAL,	/* return value; entries, tail calls: "-" */
};

/*
 * "pid", "tid", "comm", "arg0".."arg5", "retval": 0 and *key (and *arg
 * for argN) set; -1 for anything else.
 */
int count_key_parse(const char *s, enum count_key *key, int *arg);

struct count_row {
	uint64_t v;		/* pid, tid, the argument, the return value */
	char comm[16];		/* COUNT_BY_COMM */
	uint64_t n;
	uint32_t id;
	uint8_t none;		/* the record has no such key: "-" */
	uint8_t used;
};

struct counts {
	uint64_t *by_id;	/* [nr_ids] */
	uint32_t nr_ids;
	enum count_key by;
	int arg;		/* COUNT_BY_ARG */
	struct count_row *rows;	/* open addressing, by (id, key) */
	size_t nr_rows, cap_rows;
};

int counts_init(struct counts *c, uint32_t nr_ids, enum count_key by, int arg);
void counts_add(struct counts *c, const struct pvfbt_record *r);
/*
 * A header, then by descending count (then probe id, then key: arguments
 * and return values as signed numbers) one row
 * per probe, or per probe and key: "PROBE [KEY] COUNT".  Keys: PID and
 * TID in 8 columns, COMM as text_comm() in 16, ARGn and RETVAL in 18 as
 * signed decimal when in [-2^31, 2^32), else hex (pointers); "-" for a
 * record without the key.
 */
void counts_print(FILE *f, const struct counts *c, const struct catalogue *cat);
void counts_free(struct counts *c);

/* --count --stack: counts per (probe, stack), like DTrace @[stack()] = count() */
struct stack_count {
	uint64_t hash, n;
	uint64_t *pcs;		/* NULL if nr == 0 */
	uint32_t probe_id;
	uint16_t nr;
	uint8_t incomplete, used;
};

struct stack_counts {
	struct stack_count *tab;
	size_t cap, nr;
};

int stack_counts_init(struct stack_counts *c);
/* stack NULL: the event had no stack (counted with an empty one). */
void stack_counts_add(struct stack_counts *c, const struct pvfbt_record *r,
		      const struct kstack *stack);
/*
 * Ascending by count, as DTrace prints aggregations; entries separated by
 * an empty line, each the probe, its frames (print_stack_text) and the
 * count right-aligned in 12 columns.
 */
void stack_counts_print(FILE *f, const struct stack_counts *c,
			const struct catalogue *cat, const struct ksyms *ks);
/*
 * --folded: Brendan Gregg's folded stacks (stackcollapse output, what
 * flamegraph.pl, inferno and speedscope read): one line per distinct
 * stack, "root;...;caller;leaf COUNT".  Frames are function names without
 * offsets (ksym_func()), so stacks that differ only in offsets are one
 * line; the leaf is the probe as "FUNCTION:entry" or "FUNCTION:return"
 * (it stands for pcs[0], the probe site); an incomplete stack starts with
 * the frame "[incomplete]".  Lines sorted by text (byte order).
 */
void stack_counts_print_folded(FILE *f, const struct stack_counts *c,
			       const struct catalogue *cat,
			       const struct ksyms *ks);
void stack_counts_free(struct stack_counts *c);

#endif
