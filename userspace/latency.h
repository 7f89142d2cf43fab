/* SPDX-License-Identifier: GPL-2.0 */
/* pvfbt consumer: power-of-two histograms and entry/return pairing. */
#ifndef PVFBT_LATENCY_H
#define PVFBT_LATENCY_H

#include <stdint.h>
#include <stdio.h>

#include "pvfbt.h"

/* Bucket 0 holds the value 0; bucket k (k >= 1) holds [2^(k-1), 2^k). */
#define HIST_BUCKETS	65

struct hist {
	uint64_t b[HIST_BUCKETS];
	uint64_t count, min, max;
	unsigned __int128 sum;
};

int hist_bucket(uint64_t v);
uint64_t hist_bucket_value(int bucket);	/* lowest value of the bucket */
void hist_add(struct hist *h, uint64_t v);
/* DTrace quantize() layout, then "count N, min X, mean Y, max Z (ns)". */
void hist_print(FILE *f, const struct hist *h);

/*
 * Pairing.  Per thread (tid; the idle tasks, tid 0, are told apart by CPU)
 * a stack of open calls (fid, sp, ts).  The rules:
 *
 *  - entry (fid F, sp S): frames on the same kernel stack (same 16 KiB
 *    window as S) that are strictly deeper (sp < S) are dead: their return
 *    was lost; drop them (counted in .lost).  A frame with the same sp and
 *    the same fid is a stale previous call in that slot: drop it too.  A
 *    frame with the same sp and another fid stays: that is a tail call
 *    (A jumped to B, B's entry sees A's return-address slot).
 *    Then push (F, S, ts).
 *  - return (fid F, sp S): look down from the top for a frame with fid F and
 *    sp S.  None: .unmatched++.  Found: the latency is ts - frame.ts; frames
 *    above it are dropped (aborted or their return was lost: .lost);
 *    frames just below it with the same sp (callers that tail-called F,
 *    possibly a chain) complete at the same time and get their latency too
 *    (.tailcalls counts them).
 *  - a return with PVFBT_REC_TAILCALL (ABI 3: A jumps to B) is A's return,
 *    at A's entry sp, and is paired like any return: A ends at the jump,
 *    and B's entry (same sp) starts a call of its own.  The rule above
 *    then only serves when such a return was not seen.
 *  - the return site (ip) plays no part: a function with several return
 *    sites pairs with any of them.
 *
 * So every call whose return (or the return of the function it tail-called)
 * is seen is counted exactly once.
 */
struct lat_frame {
	uint64_t sp, ts;
	uint32_t fid;
	uint32_t pid, tid;	/* the entry's, for lat_ops */
	uint16_t cpu;
	__u64 args[6];
};

/*
 * What the pairing found, for a consumer of the pairs themselves (the
 * timeline, timeline.c); --latency has none.  Called in record order.
 *  - pair: the call of entry e ended with ret; via_tailcall: e tail-called
 *    the function whose return ret is (e ends when it does);
 *  - lost: e will not be paired (dropped by the rules above, forgotten at
 *    LAT_MAX_DEPTH, or still open at lat_flush());
 *  - unmatched: a return without its entry.
 */
struct lat_ops {
	void (*pair)(void *arg, const struct lat_frame *e,
		     const struct pvfbt_record *ret, int via_tailcall);
	void (*lost)(void *arg, const struct lat_frame *e);
	void (*unmatched)(void *arg, const struct pvfbt_record *ret);
	void *arg;
};

struct lat_thread {
	uint64_t key;		/* 0 = free slot */
	struct lat_frame *f;
	uint32_t n, cap;
};

#define LAT_MAX_DEPTH	512

struct lat {
	uint32_t nr_funcs;
	uint8_t *tracked;	/* [nr_funcs]: both probes enabled */
	struct hist **hists;	/* [nr_funcs], allocated on first use */
	struct lat_thread *threads;
	size_t nr_threads, cap_threads;
	uint64_t matched, unmatched, lost, tailcalls, overflow;
	const struct lat_ops *ops;	/* NULL: histograms only */
};

int lat_init(struct lat *l, uint32_t nr_funcs);
void lat_free(struct lat *l);
void lat_track(struct lat *l, uint32_t fid);
/* Feed one record (entry or return; others ignored). */
void lat_record(struct lat *l, const struct pvfbt_record *r);
const struct hist *lat_hist(const struct lat *l, uint32_t fid);
/* The end: every frame still open goes to ops->lost (not counted in .lost). */
void lat_flush(struct lat *l);
/* Open frames of a thread (tests). */
const struct lat_thread *lat_thread_get(const struct lat *l, uint32_t tid,
					uint16_t cpu);

#endif
