/* SPDX-License-Identifier: GPL-2.0 */
/* pvfbt consumer: the catalogue and event formatting. */
#ifndef PVFBT_OUTPUT_H
#define PVFBT_OUTPUT_H

#include <stdint.h>
#include <stdio.h>

#include "pvfbt.h"

/* The function catalogue, indexed by fid. */
struct catalogue {
	struct pvfbt_func *funcs;	/* in LIST order */
	uint32_t nr;
	struct pvfbt_func **by_fid;	/* [nr_fid] */
	uint32_t nr_fid;
};

int cat_index(struct catalogue *c);	/* build by_fid from funcs[] */
void cat_free(struct catalogue *c);
const struct pvfbt_func *cat_fid(const struct catalogue *c, uint32_t fid);
/* Reason a probe cannot be used (0 = usable), GONE folded in. */
unsigned probe_reason(const struct pvfbt_func *f, int is_return);
const char *reason_str(unsigned reason);

/* "fbt:MODULE:FUNCTION:entry" (or fbt:?:#ID:entry for an unknown id). */
void probe_fullname(char *buf, size_t len, const struct catalogue *c,
		    uint32_t probe_id);

/* Write S (N bytes at most, stops at NUL) as a JSON string with quotes. */
void json_string(FILE *f, const char *s, size_t n);

void print_event_text(FILE *f, const struct pvfbt_record *r, const char *probe);
void print_event_json(FILE *f, const struct pvfbt_record *r, const char *probe);

/* --count */
struct counts {
	uint64_t *by_id;	/* [nr_ids] */
	uint32_t nr_ids;
	int by_pid;
	struct count_pid {
		uint32_t id, pid;
		uint64_t n;
		int used;
	} *pids;
	size_t nr_pids, cap_pids;
};

int counts_init(struct counts *c, uint32_t nr_ids, int by_pid);
void counts_add(struct counts *c, const struct pvfbt_record *r);
void counts_print(FILE *f, const struct counts *c, const struct catalogue *cat);
void counts_free(struct counts *c);

#endif
