// SPDX-License-Identifier: GPL-2.0
/* pvfbt consumer: reading the per-CPU rings. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "drain.h"

int drainer_init(struct drainer *d, uint32_t nr_cpus, uint32_t record_size,
		 uint32_t ring_records, void *const *bases)
{
	uint32_t i;

	memset(d, 0, sizeof(*d));
	if (!nr_cpus || !record_size || !ring_records ||
	    (ring_records & (ring_records - 1)))
		return -1;
	d->nr_cpus = nr_cpus;
	d->record_size = record_size;
	d->ring_records = ring_records;
	d->rings = calloc(nr_cpus, sizeof(*d->rings));
	if (!d->rings)
		return -1;
	for (i = 0; i < nr_cpus; i++)
		if (bases[i])
			drainer_add_ring(d, i, bases[i]);
	d->hold_max = (size_t)nr_cpus * ring_records * 2;
	if (d->hold_max < 65536)
		d->hold_max = 65536;
	return 0;
}

int drainer_add_ring(struct drainer *d, uint32_t cpu, void *base)
{
	struct ring *rg;

	if (cpu >= d->nr_cpus || !base || d->rings[cpu].hdr)
		return -1;
	rg = &d->rings[cpu];
	rg->data = (const unsigned char *)base + RING_HEADER_SIZE;
	rg->tail = __atomic_load_n(&((const struct pvfbt_ring_header *)base)->tail,
				   __ATOMIC_ACQUIRE);
	__atomic_store_n(&rg->hdr, (const struct pvfbt_ring_header *)base,
			 __ATOMIC_RELEASE);
	return 0;
}

uint32_t drainer_rings_announced(const struct drainer *d, uint32_t *mapped)
{
	uint32_t i, most = 0, n = 0;

	for (i = 0; i < d->nr_cpus; i++) {
		uint32_t a;

		if (!d->rings[i].hdr)
			continue;
		n++;
		a = __atomic_load_n(&d->rings[i].hdr->nr_rings, __ATOMIC_ACQUIRE);
		if (a > most)
			most = a;
	}
	*mapped = n;
	return most;
}

void drainer_free(struct drainer *d)
{
	size_t i;

	for (i = 0; i < d->npending; i++) {
		free(d->pending[i].pcs);
		free(d->pending[i].str);
	}
	free(d->rings);
	free(d->pending);
	free(d->spare);
	free(d->order);
	memset(d, 0, sizeof(*d));
}

static int reserve(struct drainer *d, size_t more)
{
	size_t ncap;
	struct pend *np;
	uint32_t *no;

	if (d->npending + more <= d->cap)
		return 0;
	ncap = d->cap ? d->cap : 1024;
	while (ncap < d->npending + more)
		ncap *= 2;
	np = realloc(d->pending, ncap * sizeof(*np));
	if (!np)
		return -1;
	d->pending = np;
	np = realloc(d->spare, ncap * sizeof(*np));
	if (!np)
		return -1;
	d->spare = np;
	no = realloc(d->order, ncap * sizeof(*no));
	if (!no)
		return -1;
	d->order = no;
	d->cap = ncap;
	return 0;
}

/* A ring slot: an event, a stack or a string record (all record_size). */
union slot {
	struct pvfbt_record r;
	struct pvfbt_stack_record s;
	struct pvfbt_str_record t;
};

static void read_slot(const struct drainer *d, const struct ring *rg,
		      uint64_t n, union slot *u)
{
	const unsigned char *src = rg->data +
		(n & (d->ring_records - 1)) * (size_t)d->record_size;
	size_t copy = d->record_size < sizeof(*u) ? d->record_size : sizeof(*u);

	if (copy < sizeof(*u))
		memset(u, 0, sizeof(*u));
	memcpy(u, src, copy);
}

/*
 * The stack records after a STACKED event at position n - 1: at most
 * PVFBT_STACK_RECS, each with PVFBT_REC_STACK, the event's probe id,
 * 1..PVFBT_STACK_PER_REC frames and more counting down to 0.  The module
 * publishes an event and its stack together, so a short or malformed chain
 * means a broken ring: keep the frames read so far, mark the stack
 * incomplete and leave the offending record to the caller (a record with
 * PVFBT_REC_STACK is then skipped, anything else is the next event).
 * Returns the position after the chain.
 */
static uint64_t read_stack(struct drainer *d, const struct ring *rg,
			   uint64_t n, uint64_t head, struct pend *p)
{
	uint64_t pcs[PVFBT_STACK_MAX];
	size_t room = d->record_size > offsetof(struct pvfbt_stack_record, pcs) ?
		      (d->record_size - offsetof(struct pvfbt_stack_record, pcs)) /
		      sizeof(uint64_t) : 0;
	unsigned nr = 0, recs = 0, want_more = PVFBT_STACK_RECS - 1;
	int complete = 0;

	if (room > PVFBT_STACK_PER_REC)
		room = PVFBT_STACK_PER_REC;
	while (n != head && recs < PVFBT_STACK_RECS) {
		union slot u;

		read_slot(d, rg, n, &u);
		if (!(u.s.flags & PVFBT_REC_STACK) ||
		    u.s.probe_id != p->r.probe_id || !u.s.nr ||
		    u.s.nr > room ||
		    (recs ? u.s.more != want_more : u.s.more > want_more))
			break;
		memcpy(pcs + nr, u.s.pcs, u.s.nr * sizeof(uint64_t));
		nr += u.s.nr;
		recs++;
		n++;
		if (!u.s.more) {
			complete = 1;
			break;
		}
		want_more = u.s.more - 1u;
	}
	d->stack_records += recs;
	p->stacked = 1;
	p->incomplete = !complete;
	if (!complete)
		d->stack_incomplete++;
	if (nr) {
		p->pcs = malloc(nr * sizeof(uint64_t));
		if (p->pcs) {
			memcpy(p->pcs, pcs, nr * sizeof(uint64_t));
			p->nr_pcs = (uint16_t)nr;
		} else {
			p->incomplete = 1;
		}
	}
	return n;
}

/*
 * The string records after a STRINGS event at position n - 1: each with
 * PVFBT_REC_STR and the event's probe id, arguments ascending, parts of one
 * argument consecutive from 0, more counting down to 0.  As with stacks, a
 * broken chain keeps what was read, is marked incomplete and leaves the
 * offending record to the caller.  Returns the position after the chain.
 */
static uint64_t read_strings(struct drainer *d, const struct ring *rg,
			     uint64_t n, uint64_t head, struct pend *p)
{
	struct evstr *e = calloc(1, sizeof(*e));
	unsigned recs = 0, want_more = 6 * PVFBT_STR_RECS, last_arg = 0, part = 0;
	int complete = 0;

	while (n != head && recs < 6 * PVFBT_STR_RECS) {
		union slot u;
		unsigned arg, off;

		read_slot(d, rg, n, &u);
		arg = u.t.arg;
		if (!(u.t.flags & PVFBT_REC_STR) || u.t.probe_id != p->r.probe_id ||
		    arg > 5 || u.t.more >= want_more ||
		    (recs && u.t.more != want_more - 1) ||
		    u.t.part >= PVFBT_STR_RECS || u.t.len > PVFBT_STR_MAX ||
		    (recs && arg < last_arg) ||
		    u.t.part != (recs && arg == last_arg ? part + 1 : 0))
			break;
		if (e) {
			off = u.t.part * PVFBT_STR_PER_REC;
			e->mask |= 1u << arg;
			e->len[arg] = u.t.len;
			if (u.t.truncated)
				e->trunc |= 1u << arg;
			if (u.t.len > 0 && off < (unsigned)u.t.len) {
				unsigned k = (unsigned)u.t.len - off;

				if (k > PVFBT_STR_PER_REC)
					k = PVFBT_STR_PER_REC;
				memcpy(e->s[arg] + off, u.t.data, k);
			}
		}
		last_arg = arg;
		part = u.t.part;
		want_more = u.t.more;
		recs++;
		n++;
		if (!u.t.more) {
			complete = 1;
			break;
		}
	}
	d->str_records += recs;
	if (e) {
		unsigned i;

		/* Cut strings end at what was read: data[] is zeroed. */
		for (i = 0; i < 6; i++)
			if (e->len[i] > 0)
				e->s[i][e->len[i]] = '\0';
		e->incomplete = !complete;
	}
	if (!complete)
		d->str_incomplete++;
	p->str = e;
	return n;
}

const struct evstr *drain_strings(const struct pvfbt_record *r)
{
	const struct pend *p = (const void *)((const char *)r - offsetof(struct pend, r));

	return p->str;
}

size_t drainer_collect(struct drainer *d)
{
	size_t got = 0, slots = 0;
	uint32_t cpu;

	for (cpu = 0; cpu < d->nr_cpus; cpu++) {
		struct ring *rg = &d->rings[cpu];
		uint64_t head, n;

		if (!rg->hdr)
			continue;	/* no ring: the CPU was never online */
		head = __atomic_load_n(&rg->hdr->head, __ATOMIC_ACQUIRE);
		if (head - rg->tail > (uint64_t)d->ring_records) {
			/* Cannot happen with a sane module (it drops when the
			 * ring is full); a head behind our tail also lands
			 * here.  Resynchronise. */
			if (head < rg->tail) {
				rg->tail = head;
				continue;
			}
			d->overrun += head - rg->tail - d->ring_records;
			rg->tail = head - d->ring_records;
		}
		if (head == rg->tail)
			continue;
		if (reserve(d, head - rg->tail))
			break;
		slots += head - rg->tail;
		for (n = rg->tail; n != head;) {
			struct pend *p;
			union slot u;

			read_slot(d, rg, n++, &u);
			if (u.r.flags & (PVFBT_REC_STACK | PVFBT_REC_STR)) {
				/* Not after a STACKED event: the rest of a
				 * chain cut by an overrun, or garbage. */
				d->stack_orphans++;
				continue;
			}
			p = &d->pending[d->npending++];
			p->r = u.r;
			p->seq = d->seq++;
			p->pcs = NULL;
			p->str = NULL;
			p->nr_pcs = 0;
			p->stacked = p->incomplete = 0;
			got++;
			if (u.r.flags & PVFBT_REC_STRINGS)
				n = read_strings(d, rg, n, head, p);
			if (u.r.flags & PVFBT_REC_STACKED)
				n = read_stack(d, rg, n, head, p);
		}
		rg->tail = head;
	}
	d->collected += got;
	return slots;
}

void drainer_tails(const struct drainer *d, uint64_t *tails)
{
	uint32_t i;

	for (i = 0; i < d->nr_cpus; i++)
		tails[i] = d->rings[i].tail;
}

static int pend_cmp(const void *a, const void *b, void *arg)
{
	const struct pend *v = arg;
	const struct pend *x = &v[*(const uint32_t *)a], *y = &v[*(const uint32_t *)b];

	if (x->r.ts != y->r.ts)
		return x->r.ts < y->r.ts ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/*
 * Sorts indices, not the 150-byte records: with a ring an eighth full per
 * wake-up, sorting the records themselves was most of the consumer's time
 * and made it drop under load.
 */
size_t drainer_emit(struct drainer *d, uint64_t watermark, drain_fn fn,
		    void *arg)
{
	size_t n = 0, i;
	struct pend *t;

	if (!d->npending)
		return 0;
	if (d->unordered)
		watermark = UINT64_MAX;
	for (i = 0; i < d->npending; i++)
		d->order[i] = (uint32_t)i;
	if (d->unordered)
		goto sorted;
	qsort_r(d->order, d->npending, sizeof(*d->order), pend_cmp, d->pending);
sorted:
	while (n < d->npending && d->pending[d->order[n]].r.ts < watermark)
		n++;
	/* Too much held back (clock mismatch, huge rate): flush the oldest. */
	if (d->npending - n > d->hold_max)
		n = d->npending - d->hold_max / 2;
	for (i = 0; i < n; i++) {
		struct pend *p = &d->pending[d->order[i]];
		struct kstack st = {
			.pcs = p->pcs, .nr = p->nr_pcs,
			.incomplete = p->incomplete,
		};

		fn(&p->r, p->stacked ? &st : NULL, arg);
		free(p->pcs);
		p->pcs = NULL;
		free(p->str);
		p->str = NULL;
	}
	/* The held back, in time order, become the pending array. */
	for (i = n; i < d->npending; i++)
		d->spare[i - n] = d->pending[d->order[i]];
	t = d->pending;
	d->pending = d->spare;
	d->spare = t;
	d->npending -= n;
	d->emitted += n;
	return n;
}
