// SPDX-License-Identifier: GPL-2.0
/* pvfbt consumer: reading the per-CPU rings. */
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
	for (i = 0; i < nr_cpus; i++) {
		d->rings[i].hdr = bases[i];
		d->rings[i].data = (const unsigned char *)bases[i] +
				   RING_HEADER_SIZE;
		d->rings[i].tail = __atomic_load_n(&d->rings[i].hdr->tail,
						   __ATOMIC_ACQUIRE);
	}
	d->hold_max = (size_t)nr_cpus * ring_records * 2;
	if (d->hold_max < 65536)
		d->hold_max = 65536;
	return 0;
}

void drainer_free(struct drainer *d)
{
	free(d->rings);
	free(d->pending);
	memset(d, 0, sizeof(*d));
}

static int reserve(struct drainer *d, size_t more)
{
	size_t ncap;
	struct pend *np;

	if (d->npending + more <= d->cap)
		return 0;
	ncap = d->cap ? d->cap : 1024;
	while (ncap < d->npending + more)
		ncap *= 2;
	np = realloc(d->pending, ncap * sizeof(*np));
	if (!np)
		return -1;
	d->pending = np;
	d->cap = ncap;
	return 0;
}

size_t drainer_collect(struct drainer *d)
{
	size_t got = 0, copy = d->record_size < sizeof(struct pvfbt_record) ?
			       d->record_size : sizeof(struct pvfbt_record);
	uint32_t cpu;

	for (cpu = 0; cpu < d->nr_cpus; cpu++) {
		struct ring *rg = &d->rings[cpu];
		uint64_t head = __atomic_load_n(&rg->hdr->head, __ATOMIC_ACQUIRE);
		uint64_t n;

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
			return got;
		for (n = rg->tail; n != head; n++) {
			struct pend *p = &d->pending[d->npending++];
			const unsigned char *src = rg->data +
				(n & (d->ring_records - 1)) * (size_t)d->record_size;

			if (copy < sizeof(p->r))
				memset(&p->r, 0, sizeof(p->r));
			memcpy(&p->r, src, copy);
			p->seq = d->seq++;
			got++;
		}
		rg->tail = head;
	}
	d->collected += got;
	return got;
}

void drainer_tails(const struct drainer *d, uint64_t *tails)
{
	uint32_t i;

	for (i = 0; i < d->nr_cpus; i++)
		tails[i] = d->rings[i].tail;
}

static int pend_cmp(const void *a, const void *b)
{
	const struct pend *x = a, *y = b;

	if (x->r.ts != y->r.ts)
		return x->r.ts < y->r.ts ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

size_t drainer_emit(struct drainer *d, uint64_t watermark, drain_fn fn,
		    void *arg)
{
	size_t n = 0, i;

	if (!d->npending)
		return 0;
	qsort(d->pending, d->npending, sizeof(*d->pending), pend_cmp);
	while (n < d->npending && d->pending[n].r.ts < watermark)
		n++;
	/* Too much held back (clock mismatch, huge rate): flush the oldest. */
	if (d->npending - n > d->hold_max)
		n = d->npending - d->hold_max / 2;
	for (i = 0; i < n; i++)
		fn(&d->pending[i].r, arg);
	memmove(d->pending, d->pending + n,
		(d->npending - n) * sizeof(*d->pending));
	d->npending -= n;
	d->emitted += n;
	return n;
}
