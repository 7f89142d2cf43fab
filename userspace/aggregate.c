// SPDX-License-Identifier: GPL-2.0
/* pvfbt consumer: aggregations (--count [--by KEY], --count --stack, --folded). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "aggregate.h"

int count_key_parse(const char *s, enum count_key *key, int *arg)
{
	static const struct {
		const char *name;
		enum count_key key;
	} keys[] = {
		{ "pid", COUNT_BY_PID }, { "tid", COUNT_BY_TID },
		{ "comm", COUNT_BY_COMM }, { "retval", COUNT_BY_RETVAL },
	};
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!strcmp(s, keys[i].name)) {
			*key = keys[i].key;
			*arg = 0;
			return 0;
		}
	if (!strncmp(s, "arg", 3) && s[3] >= '0' && s[3] <= '5' && !s[4]) {
		*key = COUNT_BY_ARG;
		*arg = s[3] - '0';
		return 0;
	}
	return -1;
}

int counts_init(struct counts *c, uint32_t nr_ids, enum count_key by, int arg)
{
	memset(c, 0, sizeof(*c));
	c->nr_ids = nr_ids;
	c->by = by;
	c->arg = arg;
	c->by_id = calloc(nr_ids ? nr_ids : 1, sizeof(*c->by_id));
	if (by != COUNT_BY_PROBE) {
		c->cap_rows = 1024;
		c->rows = calloc(c->cap_rows, sizeof(*c->rows));
	}
	return (!c->by_id || (by != COUNT_BY_PROBE && !c->rows)) ? -1 : 0;
}

/* The key of r: 0 and *k filled, or 1 when r has none ("-"). */
static int record_key(const struct counts *c, const struct pvfbt_record *r,
		      struct count_row *k)
{
	int is_ret = r->probe_id & 1;

	memset(k, 0, sizeof(*k));
	k->id = r->probe_id;
	switch (c->by) {
	case COUNT_BY_PROBE:
		break;
	case COUNT_BY_PID:
		k->v = r->pid;
		break;
	case COUNT_BY_TID:
		k->v = r->tid;
		break;
	case COUNT_BY_COMM:
		strncpy(k->comm, r->comm, sizeof(k->comm));
		break;
	case COUNT_BY_ARG:
		if (is_ret)
			k->none = 1;
		else
			k->v = r->args[c->arg];
		break;
	case COUNT_BY_RETVAL:
		if (!is_ret || (r->flags & PVFBT_REC_TAILCALL))
			k->none = 1;
		else
			k->v = r->args[0];
		break;
	}
	return k->none;
}

static uint64_t row_hash(const struct count_row *k)
{
	uint64_t h = ((uint64_t)k->id << 1 | k->none) * 0x9e3779b97f4a7c15ULL;
	size_t i;

	h ^= k->v;
	h *= 0x9e3779b97f4a7c15ULL;
	for (i = 0; i < sizeof(k->comm); i++) {
		h ^= (unsigned char)k->comm[i];
		h *= 0x100000001b3ULL;
	}
	return h ^ (h >> 29);
}

static int row_same(const struct count_row *a, const struct count_row *b)
{
	return a->id == b->id && a->v == b->v && a->none == b->none &&
	       !memcmp(a->comm, b->comm, sizeof(a->comm));
}

static size_t row_slot(struct count_row *t, size_t cap,
		       const struct count_row *k)
{
	size_t i = (row_hash(k) >> 20) & (cap - 1);

	while (t[i].used && !row_same(&t[i], k))
		i = (i + 1) & (cap - 1);
	return i;
}

void counts_add(struct counts *c, const struct pvfbt_record *r)
{
	struct count_row k;
	size_t i;

	if (r->probe_id < c->nr_ids)
		c->by_id[r->probe_id]++;
	if (c->by == COUNT_BY_PROBE)
		return;
	if ((c->nr_rows + 1) * 2 > c->cap_rows) {
		size_t ncap = c->cap_rows * 2, j;
		struct count_row *nt = calloc(ncap, sizeof(*nt));

		if (!nt)
			return;
		for (j = 0; j < c->cap_rows; j++)
			if (c->rows[j].used)
				nt[row_slot(nt, ncap, &c->rows[j])] = c->rows[j];
		free(c->rows);
		c->rows = nt;
		c->cap_rows = ncap;
	}
	record_key(c, r, &k);
	i = row_slot(c->rows, c->cap_rows, &k);
	if (!c->rows[i].used) {
		c->rows[i] = k;
		c->rows[i].used = 1;
		c->nr_rows++;
	}
	c->rows[i].n++;
}

/* arg: the counts; arguments and return values sort as signed numbers. */
static int crow_cmp(const void *a, const void *b, void *arg)
{
	const struct count_row *x = a, *y = b;
	const struct counts *c = arg;
	int d;

	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	if (x->none != y->none)
		return x->none ? 1 : -1;
	d = memcmp(x->comm, y->comm, sizeof(x->comm));
	if (d)
		return d;
	if (c->by == COUNT_BY_ARG || c->by == COUNT_BY_RETVAL)
		return (int64_t)x->v < (int64_t)y->v ? -1 :
		       (int64_t)x->v > (int64_t)y->v;
	return x->v < y->v ? -1 : x->v > y->v;
}

static const char *key_title(const struct counts *c, char *buf, size_t len)
{
	switch (c->by) {
	case COUNT_BY_PID:
		return "PID";
	case COUNT_BY_TID:
		return "TID";
	case COUNT_BY_COMM:
		return "COMM";
	case COUNT_BY_ARG:
		snprintf(buf, len, "ARG%d", c->arg);
		return buf;
	case COUNT_BY_RETVAL:
		return "RETVAL";
	default:
		return "";
	}
}

/* The key column of a row. */
static void key_text(const struct counts *c, const struct count_row *row,
		     char *buf, size_t len)
{
	int64_t s = (int64_t)row->v;

	if (row->none) {
		snprintf(buf, len, "-");
		return;
	}
	switch (c->by) {
	case COUNT_BY_COMM:
		text_comm(buf, row->comm);
		break;
	case COUNT_BY_ARG:
	case COUNT_BY_RETVAL:
		if (s >= -2147483648LL && s < 4294967296LL)
			snprintf(buf, len, "%" PRId64, s);
		else
			snprintf(buf, len, "0x%" PRIx64, row->v);
		break;
	default:
		snprintf(buf, len, "%" PRIu64, row->v);
	}
}

void counts_print(FILE *f, const struct counts *c, const struct catalogue *cat)
{
	int keyed = c->by != COUNT_BY_PROBE;
	size_t n = 0, i, cap = keyed ? c->nr_rows : c->nr_ids;
	struct count_row *rows = calloc(cap ? cap : 1, sizeof(*rows));
	char name[PVFBT_NAME_LEN + PVFBT_MODNAME_LEN + 32], title[8], key[32];
	int width = c->by == COUNT_BY_COMM ? -16 :
		    (c->by == COUNT_BY_ARG || c->by == COUNT_BY_RETVAL) ? 18 : 8;

	if (!rows)
		return;
	if (keyed) {
		for (i = 0; i < c->cap_rows; i++)
			if (c->rows[i].used)
				rows[n++] = c->rows[i];
	} else {
		for (i = 0; i < c->nr_ids; i++)
			if (c->by_id[i])
				rows[n++] = (struct count_row){
					.id = (uint32_t)i, .n = c->by_id[i] };
	}
	qsort_r(rows, n, sizeof(*rows), crow_cmp, (void *)c);
	if (keyed)
		fprintf(f, "%-60s %*s %12s\n", "PROBE", width,
			key_title(c, title, sizeof(title)), "COUNT");
	else
		fprintf(f, "%-60s %12s\n", "PROBE", "COUNT");
	for (i = 0; i < n; i++) {
		probe_fullname(name, sizeof(name), cat, rows[i].id);
		if (keyed) {
			key_text(c, &rows[i], key, sizeof(key));
			fprintf(f, "%-60s %*s %12" PRIu64 "\n", name, width,
				key, rows[i].n);
		} else {
			fprintf(f, "%-60s %12" PRIu64 "\n", name, rows[i].n);
		}
	}
	free(rows);
}

void counts_free(struct counts *c)
{
	free(c->by_id);
	free(c->rows);
	memset(c, 0, sizeof(*c));
}

/* ------------------------------------------------------------------ */
/* --count --stack */

static uint64_t stack_hash(uint32_t probe_id, int incomplete,
			   const uint64_t *pcs, uint32_t nr)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ ((uint64_t)probe_id << 1 |
					       (incomplete ? 1 : 0));
	uint32_t i;

	h *= 0x100000001b3ULL;
	for (i = 0; i < nr; i++) {
		h ^= pcs[i];
		h *= 0x9e3779b97f4a7c15ULL;
		h ^= h >> 29;
	}
	return h ^ nr;
}

int stack_counts_init(struct stack_counts *c)
{
	memset(c, 0, sizeof(*c));
	c->cap = 256;
	c->tab = calloc(c->cap, sizeof(*c->tab));
	return c->tab ? 0 : -1;
}

static struct stack_count *sc_slot(struct stack_count *t, size_t cap,
				   uint64_t h, uint32_t probe_id, int incomplete,
				   const uint64_t *pcs, uint32_t nr)
{
	size_t i = (h >> 7) & (cap - 1);

	for (;; i = (i + 1) & (cap - 1)) {
		struct stack_count *e = &t[i];

		if (!e->used)
			return e;
		if (e->hash == h && e->probe_id == probe_id &&
		    e->incomplete == !!incomplete && e->nr == nr &&
		    (!nr || !memcmp(e->pcs, pcs, nr * sizeof(*pcs))))
			return e;
	}
}

void stack_counts_add(struct stack_counts *c, const struct pvfbt_record *r,
		      const struct kstack *stack)
{
	uint32_t nr = stack ? stack->nr : 0;
	const uint64_t *pcs = stack ? stack->pcs : NULL;
	int inc = stack ? stack->incomplete : 0;
	uint64_t h = stack_hash(r->probe_id, inc, pcs, nr);
	struct stack_count *e;

	if ((c->nr + 1) * 2 > c->cap) {
		size_t ncap = c->cap * 2, j;
		struct stack_count *nt = calloc(ncap, sizeof(*nt));

		if (!nt)
			return;
		for (j = 0; j < c->cap; j++) {
			struct stack_count *o = &c->tab[j];

			if (o->used)
				*sc_slot(nt, ncap, o->hash, o->probe_id,
					 o->incomplete, o->pcs, o->nr) = *o;
		}
		free(c->tab);
		c->tab = nt;
		c->cap = ncap;
	}
	e = sc_slot(c->tab, c->cap, h, r->probe_id, inc, pcs, nr);
	if (!e->used) {
		if (nr) {
			e->pcs = malloc(nr * sizeof(*pcs));
			if (!e->pcs)
				return;
			memcpy(e->pcs, pcs, nr * sizeof(*pcs));
		}
		e->used = 1;
		e->hash = h;
		e->probe_id = r->probe_id;
		e->incomplete = !!inc;
		e->nr = (uint16_t)nr;
		c->nr++;
	}
	e->n++;
}

static int sc_cmp(const void *a, const void *b)
{
	const struct stack_count *x = *(const struct stack_count *const *)a;
	const struct stack_count *y = *(const struct stack_count *const *)b;
	uint32_t i;

	if (x->n != y->n)
		return x->n < y->n ? -1 : 1;
	if (x->probe_id != y->probe_id)
		return x->probe_id < y->probe_id ? -1 : 1;
	for (i = 0; i < x->nr && i < y->nr; i++)
		if (x->pcs[i] != y->pcs[i])
			return x->pcs[i] < y->pcs[i] ? -1 : 1;
	if (x->nr != y->nr)
		return x->nr < y->nr ? -1 : 1;
	return (int)x->incomplete - (int)y->incomplete;
}

void stack_counts_print(FILE *f, const struct stack_counts *c,
			const struct catalogue *cat, const struct ksyms *ks)
{
	const struct stack_count **rows = calloc(c->nr ? c->nr : 1,
						 sizeof(*rows));
	char name[PVFBT_NAME_LEN + PVFBT_MODNAME_LEN + 32];
	size_t n = 0, i;

	if (!rows)
		return;
	for (i = 0; i < c->cap; i++)
		if (c->tab[i].used)
			rows[n++] = &c->tab[i];
	qsort(rows, n, sizeof(*rows), sc_cmp);
	for (i = 0; i < n; i++) {
		struct kstack st = {
			.pcs = rows[i]->pcs, .nr = rows[i]->nr,
			.incomplete = rows[i]->incomplete,
		};

		probe_fullname(name, sizeof(name), cat, rows[i]->probe_id);
		fprintf(f, "%s%s\n", i ? "\n" : "", name);
		print_stack_text(f, &st, ks);
		fprintf(f, "%12" PRIu64 "\n", rows[i]->n);
	}
	free(rows);
}

/* One folded line: frames root-first, the leaf the probe. */
static char *folded_line(const struct stack_count *e,
			 const struct catalogue *cat, const struct ksyms *ks)
{
	const struct pvfbt_func *fn = cat_fid(cat, e->probe_id / 2);
	char sym[PVFBT_NAME_LEN + 64], *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	uint32_t i;

	if (!m)
		return NULL;
	if (e->incomplete)
		fputs("[incomplete];", m);
	for (i = e->nr; i > 1; i--) {
		ksym_func(sym, sizeof(sym), ks, e->pcs[i - 1]);
		fprintf(m, "%s;", sym);
	}
	if (fn)
		fprintf(m, "%.*s", (int)strnlen(fn->name, sizeof(fn->name)),
			fn->name);
	else
		fprintf(m, "#%u", e->probe_id / 2);
	fputs(e->probe_id & 1 ? ":return" : ":entry", m);
	if (fclose(m)) {
		free(buf);
		return NULL;
	}
	return buf;
}

struct fline {
	char *s;
	uint64_t n;
};

static int fline_cmp(const void *a, const void *b)
{
	return strcmp(((const struct fline *)a)->s, ((const struct fline *)b)->s);
}

void stack_counts_print_folded(FILE *f, const struct stack_counts *c,
			       const struct catalogue *cat,
			       const struct ksyms *ks)
{
	struct fline *l = calloc(c->nr ? c->nr : 1, sizeof(*l));
	size_t n = 0, i, j;

	if (!l)
		return;
	for (i = 0; i < c->cap; i++) {
		if (!c->tab[i].used)
			continue;
		l[n].s = folded_line(&c->tab[i], cat, ks);
		l[n].n = c->tab[i].n;
		if (l[n].s)
			n++;
	}
	qsort(l, n, sizeof(*l), fline_cmp);
	/* Stacks that differ only in offsets fold into one line. */
	for (i = 0; i < n; i = j) {
		uint64_t sum = 0;

		for (j = i; j < n && !strcmp(l[j].s, l[i].s); j++)
			sum += l[j].n;
		fprintf(f, "%s %" PRIu64 "\n", l[i].s, sum);
	}
	for (i = 0; i < n; i++)
		free(l[i].s);
	free(l);
}

void stack_counts_free(struct stack_counts *c)
{
	size_t i;

	for (i = 0; i < c->cap; i++)
		free(c->tab[i].pcs);
	free(c->tab);
	memset(c, 0, sizeof(*c));
}
