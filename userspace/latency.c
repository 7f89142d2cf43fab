// SPDX-License-Identifier: GPL-2.0
/* pvfbt consumer: power-of-two histograms and entry/return pairing. */
#include <stdlib.h>
#include <string.h>

#include "latency.h"

int hist_bucket(uint64_t v)
{
	if (!v)
		return 0;
	return 64 - __builtin_clzll(v);
}

uint64_t hist_bucket_value(int bucket)
{
	if (bucket <= 0)
		return 0;
	return 1ULL << (bucket - 1);
}

void hist_add(struct hist *h, uint64_t v)
{
	h->b[hist_bucket(v)]++;
	if (!h->count || v < h->min)
		h->min = v;
	if (!h->count || v > h->max)
		h->max = v;
	h->count++;
	h->sum += v;
}

#define BAR_WIDTH	40

void hist_print(FILE *f, const struct hist *h)
{
	int first = -1, last = -1, i;

	for (i = 0; i < HIST_BUCKETS; i++)
		if (h->b[i]) {
			if (first < 0)
				first = i;
			last = i;
		}
	fprintf(f, "%16s  %s %s\n", "value",
		"------------- Distribution -------------", "count");
	if (first >= 0) {
		/* One empty row on each side, as DTrace does. */
		if (first > 0)
			first--;
		if (last < HIST_BUCKETS - 1)
			last++;
		for (i = first; i <= last; i++) {
			char bar[BAR_WIDTH + 1];
			int n = (int)((h->b[i] * BAR_WIDTH + h->count / 2) /
				      h->count);

			if (n > BAR_WIDTH)
				n = BAR_WIDTH;
			memset(bar, '@', n);
			memset(bar + n, ' ', BAR_WIDTH - n);
			bar[BAR_WIDTH] = '\0';
			fprintf(f, "%16llu |%s %llu\n",
				(unsigned long long)hist_bucket_value(i), bar,
				(unsigned long long)h->b[i]);
		}
	}
	fprintf(f, "count %llu, min %llu, mean %llu, max %llu (ns)\n",
		(unsigned long long)h->count,
		(unsigned long long)(h->count ? h->min : 0),
		(unsigned long long)(h->count ? (uint64_t)(h->sum / h->count) : 0),
		(unsigned long long)(h->count ? h->max : 0));
}

int lat_init(struct lat *l, uint32_t nr_funcs)
{
	memset(l, 0, sizeof(*l));
	l->nr_funcs = nr_funcs;
	l->tracked = calloc(nr_funcs ? nr_funcs : 1, 1);
	l->hists = calloc(nr_funcs ? nr_funcs : 1, sizeof(*l->hists));
	l->cap_threads = 256;
	l->threads = calloc(l->cap_threads, sizeof(*l->threads));
	if (!l->tracked || !l->hists || !l->threads)
		return -1;
	return 0;
}

void lat_free(struct lat *l)
{
	size_t i;

	if (l->hists)
		for (i = 0; i < l->nr_funcs; i++)
			free(l->hists[i]);
	if (l->threads)
		for (i = 0; i < l->cap_threads; i++)
			free(l->threads[i].f);
	free(l->hists);
	free(l->tracked);
	free(l->threads);
	memset(l, 0, sizeof(*l));
}

void lat_track(struct lat *l, uint32_t fid)
{
	if (fid < l->nr_funcs)
		l->tracked[fid] = 1;
}

static uint64_t thread_key(uint32_t tid, uint16_t cpu)
{
	/* All idle tasks have tid 0: one stack per CPU for them. */
	if (!tid)
		return (1ULL << 40) | cpu;
	return tid;
}

static uint64_t hash64(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	return k;
}

static struct lat_thread *find_slot(struct lat_thread *t, size_t cap,
				    uint64_t key)
{
	size_t i = hash64(key) & (cap - 1);

	while (t[i].key && t[i].key != key)
		i = (i + 1) & (cap - 1);
	return &t[i];
}

static struct lat_thread *thread_lookup(struct lat *l, uint64_t key, int create)
{
	struct lat_thread *t = find_slot(l->threads, l->cap_threads, key);

	if (t->key || !create)
		return t->key ? t : NULL;
	if ((l->nr_threads + 1) * 2 > l->cap_threads) {
		size_t ncap = l->cap_threads * 2, i;
		struct lat_thread *nt = calloc(ncap, sizeof(*nt));

		if (!nt)
			return NULL;
		for (i = 0; i < l->cap_threads; i++)
			if (l->threads[i].key)
				*find_slot(nt, ncap, l->threads[i].key) =
					l->threads[i];
		free(l->threads);
		l->threads = nt;
		l->cap_threads = ncap;
		t = find_slot(l->threads, l->cap_threads, key);
	}
	t->key = key;
	l->nr_threads++;
	return t;
}

const struct lat_thread *lat_thread_get(const struct lat *l, uint32_t tid,
					uint16_t cpu)
{
	return thread_lookup((struct lat *)l, thread_key(tid, cpu), 0);
}

static void account(struct lat *l, uint32_t fid, uint64_t ns)
{
	if (!l->hists[fid]) {
		l->hists[fid] = calloc(1, sizeof(struct hist));
		if (!l->hists[fid])
			return;
	}
	hist_add(l->hists[fid], ns);
}

#define STACK_WINDOW_SHIFT	14	/* 16 KiB: THREAD_SIZE, IRQ_STACK_SIZE */

static int same_stack(uint64_t a, uint64_t b)
{
	return (a >> STACK_WINDOW_SHIFT) == (b >> STACK_WINDOW_SHIFT);
}

static void do_entry(struct lat *l, struct lat_thread *t,
		     const struct pvfbt_record *r, uint32_t fid)
{
	/* Drop dead frames from the top: deeper on the same stack, or a
	 * stale call of the same function in the same slot. */
	while (t->n) {
		struct lat_frame *top = &t->f[t->n - 1];

		if (!same_stack(top->sp, r->sp))
			break;
		if (top->sp < r->sp || (top->sp == r->sp && top->fid == fid)) {
			t->n--;
			l->lost++;
			if (l->ops)
				l->ops->lost(l->ops->arg, top);
			continue;
		}
		break;
	}
	if (t->n == t->cap) {
		if (t->cap >= LAT_MAX_DEPTH) {
			/* Forget the oldest frame. */
			if (l->ops)
				l->ops->lost(l->ops->arg, &t->f[0]);
			memmove(t->f, t->f + 1, (t->n - 1) * sizeof(*t->f));
			t->n--;
			l->overflow++;
		} else {
			uint32_t ncap = t->cap ? t->cap * 2 : 8;
			struct lat_frame *nf = realloc(t->f, ncap * sizeof(*nf));

			if (!nf)
				return;
			t->f = nf;
			t->cap = ncap;
		}
	}
	t->f[t->n].fid = fid;
	t->f[t->n].sp = r->sp;
	t->f[t->n].ts = r->ts;
	t->f[t->n].pid = r->pid;
	t->f[t->n].tid = r->tid;
	t->f[t->n].cpu = r->cpu;
	memcpy(t->f[t->n].args, r->args, sizeof(t->f[t->n].args));
	t->n++;
}

static void do_return(struct lat *l, struct lat_thread *t,
		      const struct pvfbt_record *r, uint32_t fid)
{
	uint32_t i = t->n;

	while (i > 0) {
		i--;
		if (t->f[i].fid == fid && t->f[i].sp == r->sp)
			goto found;
	}
	l->unmatched++;
	if (l->ops)
		l->ops->unmatched(l->ops->arg, r);
	return;
found:
	l->lost += t->n - 1 - i;
	if (l->ops) {
		uint32_t j;

		for (j = t->n; j > i + 1; j--)
			l->ops->lost(l->ops->arg, &t->f[j - 1]);
		l->ops->pair(l->ops->arg, &t->f[i], r, 0);
	}
	t->n = i;
	account(l, fid, r->ts >= t->f[i].ts ? r->ts - t->f[i].ts : 0);
	l->matched++;
	/* Tail callers: the frames right below with the same slot. */
	while (t->n && t->f[t->n - 1].sp == r->sp) {
		struct lat_frame *c = &t->f[--t->n];

		if (l->ops)
			l->ops->pair(l->ops->arg, c, r, 1);
		account(l, c->fid, r->ts >= c->ts ? r->ts - c->ts : 0);
		l->matched++;
		l->tailcalls++;
	}
}

void lat_record(struct lat *l, const struct pvfbt_record *r)
{
	uint32_t fid = r->probe_id / 2;
	int is_ret = r->probe_id & 1;
	struct lat_thread *t;

	if (fid >= l->nr_funcs || !l->tracked[fid])
		return;
	if (!is_ret) {
		t = thread_lookup(l, thread_key(r->tid, r->cpu), 1);
		if (t)
			do_entry(l, t, r, fid);
	} else {
		t = thread_lookup(l, thread_key(r->tid, r->cpu), 0);
		if (t) {
			do_return(l, t, r, fid);
		} else {
			l->unmatched++;
			if (l->ops)
				l->ops->unmatched(l->ops->arg, r);
		}
	}
}

void lat_flush(struct lat *l)
{
	size_t i;
	uint32_t j;

	for (i = 0; i < l->cap_threads; i++) {
		struct lat_thread *t = &l->threads[i];

		if (!t->key)
			continue;
		for (j = 0; l->ops && j < t->n; j++)
			l->ops->lost(l->ops->arg, &t->f[j]);
		t->n = 0;
	}
}

const struct hist *lat_hist(const struct lat *l, uint32_t fid)
{
	return fid < l->nr_funcs ? l->hists[fid] : NULL;
}
