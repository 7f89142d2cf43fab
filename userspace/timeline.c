// SPDX-License-Identifier: GPL-2.0
/*
 * pvfbt consumer: the timeline, Chrome/Perfetto trace-event JSON (the
 * "JSON Object Format" of the Trace Event Format): see timeline.h.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "timeline.h"

/* The idle tasks all have tid 0: one timeline thread per CPU for them. */
#define IDLE_TID_BASE	1000000000u

static uint32_t out_tid(uint32_t tid, uint16_t cpu)
{
	return tid ? tid : IDLE_TID_BASE + cpu;
}

/* ns as microseconds with three decimals, exact. */
static void put_us(FILE *f, uint64_t ns)
{
	fprintf(f, "%" PRIu64 ".%03u", ns / 1000, (unsigned)(ns % 1000));
}

static void begin_event(struct timeline *t)
{
	fputs(t->any ? ",\n" : "\n", t->f);
	t->any = 1;
}

static void put_func(struct timeline *t, uint32_t fid)
{
	const struct pvfbt_func *fn = cat_fid(t->cat, fid);
	char name[32];

	fputs("\"name\":", t->f);
	if (fn) {
		json_string(t->f, fn->name, sizeof(fn->name));
		fputs(",\"cat\":", t->f);
		json_string(t->f, fn->module, sizeof(fn->module));
	} else {
		snprintf(name, sizeof(name), "#%u", fid);
		json_string(t->f, name, sizeof(name));
		fputs(",\"cat\":\"?\"", t->f);
	}
}

static void put_args(FILE *f, const __u64 *args)
{
	int i;

	for (i = 0; i < 6; i++)
		fprintf(f, "%s\"arg%d\":\"0x%" PRIx64 "\"", i ? "," : "", i,
			(uint64_t)args[i]);
}

static void put_ret(FILE *f, const struct pvfbt_record *r)
{
	if (r->flags & PVFBT_REC_TAILCALL)
		fputs("\"tailcall\":true", f);
	else
		fprintf(f, "\"retval\":%" PRId64, (int64_t)r->args[0]);
}

/* The thread's name (its comm) the first time a thread is seen. */
static void name_thread(struct timeline *t, const struct pvfbt_record *r)
{
	uint64_t key = (uint64_t)out_tid(r->tid, r->cpu) + 1;
	size_t i;

	if ((t->nr_threads + 1) * 2 > t->cap_threads) {
		size_t ncap = t->cap_threads ? t->cap_threads * 2 : 256, j;
		uint64_t *n = calloc(ncap, sizeof(*n));

		if (!n)
			return;
		for (j = 0; j < t->cap_threads; j++) {
			if (!t->threads[j])
				continue;
			i = (t->threads[j] * 0x9e3779b97f4a7c15ULL >> 20) & (ncap - 1);
			while (n[i])
				i = (i + 1) & (ncap - 1);
			n[i] = t->threads[j];
		}
		free(t->threads);
		t->threads = n;
		t->cap_threads = ncap;
	}
	i = (key * 0x9e3779b97f4a7c15ULL >> 20) & (t->cap_threads - 1);
	while (t->threads[i]) {
		if (t->threads[i] == key)
			return;
		i = (i + 1) & (t->cap_threads - 1);
	}
	t->threads[i] = key;
	t->nr_threads++;
	begin_event(t);
	fprintf(t->f, "{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":%u,\"tid\":%u,"
		"\"args\":{\"name\":", r->pid, out_tid(r->tid, r->cpu));
	json_string(t->f, r->comm, sizeof(r->comm));
	fputs("}}", t->f);
}

static void on_pair(void *arg, const struct lat_frame *e,
		    const struct pvfbt_record *ret, int via_tailcall)
{
	struct timeline *t = arg;

	begin_event(t);
	fputs("{\"ph\":\"X\",", t->f);
	put_func(t, e->fid);
	fputs(",\"ts\":", t->f);
	put_us(t->f, e->ts);
	fputs(",\"dur\":", t->f);
	put_us(t->f, ret->ts >= e->ts ? ret->ts - e->ts : 0);
	fprintf(t->f, ",\"pid\":%u,\"tid\":%u,\"args\":{", e->pid,
		out_tid(e->tid, e->cpu));
	put_args(t->f, e->args);
	if (via_tailcall) {
		fputs(",\"ended_by\":\"tail call\"", t->f);
	} else {
		putc(',', t->f);
		put_ret(t->f, ret);
	}
	fputs("}}", t->f);
	t->slices++;
}

static void instant(struct timeline *t, uint32_t fid, uint64_t ts, uint32_t pid,
		    uint32_t tid, const char *what)
{
	begin_event(t);
	fputs("{\"ph\":\"i\",\"s\":\"t\",", t->f);
	put_func(t, fid);
	fputs(",\"ts\":", t->f);
	put_us(t->f, ts);
	fprintf(t->f, ",\"pid\":%u,\"tid\":%u,\"args\":{\"probe\":\"%s\",", pid,
		tid, what);
	t->instants++;
}

static void on_lost(void *arg, const struct lat_frame *e)
{
	struct timeline *t = arg;

	instant(t, e->fid, e->ts, e->pid, out_tid(e->tid, e->cpu), "entry");
	put_args(t->f, e->args);
	fputs(",\"unpaired\":true}}", t->f);
}

static void on_unmatched(void *arg, const struct pvfbt_record *r)
{
	struct timeline *t = arg;

	instant(t, r->probe_id / 2, r->ts, r->pid, out_tid(r->tid, r->cpu),
		"return");
	put_ret(t->f, r);
	fputs(",\"unpaired\":true}}", t->f);
}

int timeline_init(struct timeline *t, FILE *f, const struct catalogue *cat)
{
	memset(t, 0, sizeof(*t));
	t->f = f;
	t->cat = cat;
	if (lat_init(&t->pairs, cat->nr_fid))
		return -1;
	t->ops.pair = on_pair;
	t->ops.lost = on_lost;
	t->ops.unmatched = on_unmatched;
	t->ops.arg = t;
	t->pairs.ops = &t->ops;
	fputs("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[", f);
	return 0;
}

void timeline_track(struct timeline *t, uint32_t fid)
{
	lat_track(&t->pairs, fid);
}

void timeline_record(struct timeline *t, const struct pvfbt_record *r)
{
	uint32_t fid = r->probe_id / 2;

	name_thread(t, r);
	if (fid < t->pairs.nr_funcs && t->pairs.tracked[fid]) {
		lat_record(&t->pairs, r);
		return;
	}
	/* Only one of the function's probes is on: every hit is an instant. */
	instant(t, fid, r->ts, r->pid, out_tid(r->tid, r->cpu),
		r->probe_id & 1 ? "return" : "entry");
	if (r->probe_id & 1)
		put_ret(t->f, r);
	else
		put_args(t->f, r->args);
	fputs("}}", t->f);
}

void timeline_finish(struct timeline *t)
{
	lat_flush(&t->pairs);
	fprintf(t->f, "\n],\"otherData\":{\"source\":\"pvfbt\",\"slices\":%" PRIu64
		",\"instants\":%" PRIu64 "}}\n", t->slices, t->instants);
}

void timeline_free(struct timeline *t)
{
	lat_free(&t->pairs);
	free(t->threads);
	memset(t, 0, sizeof(*t));
}
