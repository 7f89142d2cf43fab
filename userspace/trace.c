// SPDX-License-Identifier: GPL-2.0
/*
 * pvfbt consumer: a tracing session (pvfbt -n ...): select, enable, drain
 * the rings until the command, the process or the time is over, disable,
 * drain what is left, print the aggregations and the statistics.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pvfbt.h"
#include "aggregate.h"
#include "btf.h"
#include "consumer.h"
#include "child.h"
#include "device.h"
#include "drain.h"
#include "ksym.h"
#include "latency.h"
#include "output.h"
#include "select.h"
#include "spec.h"
#include "syscall.h"
#include "timeline.h"

#define POLL_MS		100
#define HOLD_NS		20000000ULL	/* merge window across CPUs */

static volatile sig_atomic_t stop_sig;

static void on_signal(int sig)
{
	stop_sig = sig;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

struct session {
	FILE *out;
	struct catalogue cat;
	struct counts counts;
	struct stack_counts scounts;	/* --count --stack */
	struct ksyms ksyms;		/* --stack */
	struct lat lat;
	struct timeline tl;		/* --format=chrome */
	struct syscalls *sys;		/* events and JSON: system calls decoded */
	const struct sysdesc **sysd;	/* [cat.nr_fid]: NULL if not one */
	struct kbtf *btf;		/* events and JSON: typed arguments */
	uint64_t events;
	int out_err;
};

/*
 * The system calls among the selected probes (events and JSON only: counts
 * need no arguments, and strings cost a copy per hit).  Their entry probes
 * are enabled with PVFBT_ENABLE_SYSCALL and their string arguments.
 * flags[i]: the extra enable flags of sel->ids[i].
 */
static void find_syscalls(struct session *s, const struct selection *sel,
			  uint32_t *flags)
{
	size_t i;

	if (opt.mode != M_EVENTS && opt.mode != M_JSON)
		return;
	s->sys = sys_open();
	s->sysd = calloc(s->cat.nr_fid ? s->cat.nr_fid : 1, sizeof(*s->sysd));
	if (!s->sys || !s->sysd)
		die(1, "out of memory");
	for (i = 0; i < sel->nr; i++) {
		uint32_t fid = sel->ids[i] / 2;
		const struct pvfbt_func *f = cat_fid(&s->cat, fid);
		char mod[PVFBT_MODNAME_LEN + 1], fn[PVFBT_NAME_LEN + 1];

		if (!f || fid >= s->cat.nr_fid)
			continue;
		snprintf(mod, sizeof(mod), "%.*s", (int)sizeof(f->module), f->module);
		snprintf(fn, sizeof(fn), "%.*s", (int)sizeof(f->name), f->name);
		s->sysd[fid] = sys_lookup(s->sys, mod, fn);
		if (s->sysd[fid] && !(sel->ids[i] & 1))
			flags[i] = sys_enable_flags(s->sysd[fid]);
	}
}

/*
 * Enable the selection: one PVFBT_IOC_ENABLE per distinct flags value (the
 * flags of a call apply to all its ids).  What another tool owns is
 * dropped with a warning and the rest enabled.  0, or -1 with errno.
 */
/*
 * Sites reached by a jump are armed by int3 first; their jumps follow
 * once no task can be inside the bytes a jump entry moves (a grace period
 * of RCU-tasks).  Wait for them, up to 5 s, so that a command traced from
 * its start runs trap-free where it can.  The probes fire either way.
 */
static void wait_jumps(int fd)
{
	struct pvfbt_status w;
	int i;

	for (i = 0; i < 500; i++) {
		dev_status(fd, &w, 0);
		if (!w.nr_sites_waiting)
			return;
		usleep(10000);
	}
}

static int enable_probes(int fd, struct selection *sel, uint32_t base,
			 uint32_t *flags)
{
	uint32_t *ids = malloc((sel->nr ? sel->nr : 1) * sizeof(*ids));
	size_t i, k, done = 0;
	int rc = 0;

	if (!ids)
		die(1, "out of memory");
	while (done < sel->nr && !rc) {
		struct pvfbt_enable en;
		uint32_t want = UINT32_MAX;
		size_t n = 0;

		/* The smallest flags value not enabled yet. */
		for (i = 0; i < sel->nr; i++)
			if (flags[i] != UINT32_MAX && flags[i] < want)
				want = flags[i];
		for (i = 0; i < sel->nr; i++)
			if (flags[i] == want)
				ids[n++] = sel->ids[i];
		memset(&en, 0, sizeof(en));
		en.size = sizeof(en);
		en.count = (uint32_t)n;
		en.ids = (uintptr_t)ids;
		en.flags = base | want;
		rc = ioctl(fd, PVFBT_IOC_ENABLE, &en);
		if (rc && errno == EBUSY) {
			struct selection part = { .ids = ids, .nr = n };

			if (drop_foreign(fd, &part)) {
				/* What another tool owns is refused: the rest. */
				en.count = (uint32_t)part.nr;
				en.done = 0;
				rc = part.nr ? ioctl(fd, PVFBT_IOC_ENABLE, &en) :
					       (errno = EBUSY, -1);
				if (!rc) {
					/* Drop the refused from the selection. */
					for (i = 0, k = 0; i < sel->nr; i++) {
						if (flags[i] == want &&
						    !selection_has(&part, sel->ids[i]))
							continue;
						sel->ids[k] = sel->ids[i];
						flags[k++] = flags[i];
					}
					sel->nr = k;
					n = part.nr;
				}
			}
		}
		for (i = 0; i < sel->nr && !rc; i++)
			if (flags[i] == want)
				flags[i] = UINT32_MAX;
		done += rc ? 0 : n;
	}
	free(ids);
	return rc;
}


static void handle_record(const struct pvfbt_record *r,
			  const struct kstack *stack, void *arg)
{
	struct session *s = arg;
	char name[PVFBT_NAME_LEN + PVFBT_MODNAME_LEN + 32];

	const struct sysdesc *sys = NULL;
	const struct fproto *fp;

	s->events++;	/* events only: stack records are not records */
	if (s->sysd && r->probe_id / 2 < s->cat.nr_fid)
		sys = s->sysd[r->probe_id / 2];
	if (!opt.stack)
		stack = NULL;
	switch (opt.mode) {
	case M_COUNT:
		if (opt.stack)
			stack_counts_add(&s->scounts, r, stack);
		else
			counts_add(&s->counts, r);
		return;
	case M_LATENCY:
		lat_record(&s->lat, r);
		return;
	case M_CHROME:
		if (s->out_err)
			return;
		timeline_record(&s->tl, r);
		if (ferror(s->out)) {
			s->out_err = 1;
			stop_sig = SIGPIPE;
		}
		return;
	case M_EVENTS:
	case M_JSON:
		if (opt.quiet || s->out_err)
			return;
		probe_fullname(name, sizeof(name), &s->cat, r->probe_id);
		/* A system call as strace prints it first, else BTF's types. */
		fp = sys ? NULL : btf_proto(s->btf, cat_fid(&s->cat, r->probe_id / 2));
		if (opt.mode == M_JSON) {
			print_event_json(s->out, r, name, stack, &s->ksyms, sys,
					 drain_strings(r), fp);
		} else {
			print_event_text(s->out, r, name, sys, drain_strings(r), fp);
			if (stack)
				print_stack_text(s->out, stack, &s->ksyms);
		}
		if (ferror(s->out)) {
			s->out_err = 1;
			stop_sig = SIGPIPE;
		}
		return;
	}
}

/*
 * Map CPU cpu's ring; NULL when the CPU has none (ENXIO: it was not online
 * when the session started, or is not there at all).
 */
static void *map_ring(int fd, const struct pvfbt_status *st, uint32_t cpu)
{
	size_t len = (size_t)st->ring_mmap_size;
	void *p = mmap(NULL, len, PROT_READ, MAP_SHARED, fd,
		       (off_t)cpu * (off_t)len);

	if (p != MAP_FAILED)
		return p;
	if (errno == ENXIO)
		return NULL;
	{
		int e = errno;

		abort_child();
		die(1, "mmap of cpu %u ring: %s", cpu, strerror(e));
	}
}

/* Only after the session is ours (PVFBT_IOC_FILTER): mmap claims nothing. */
static void *map_rings(int fd, const struct pvfbt_status *st, void ***bases)
{
	uint32_t cpu, n = 0;

	*bases = calloc(st->nr_cpus, sizeof(void *));
	if (!*bases)
		die(1, "out of memory");
	for (cpu = 0; cpu < st->nr_cpus; cpu++) {
		(*bases)[cpu] = map_ring(fd, st, cpu);
		n += (*bases)[cpu] != NULL;
	}
	if (!n) {
		abort_child();
		die(1, "the session has no ring to map");
	}
	return *bases;
}

/* A CPU that came online during the session has a ring: map it. */
static void map_new_rings(int fd, const struct pvfbt_status *st, void **bases,
			  struct drainer *d)
{
	uint32_t mapped, cpu;

	if (drainer_rings_announced(d, &mapped) <= mapped)
		return;
	for (cpu = 0; cpu < st->nr_cpus; cpu++) {
		if (bases[cpu])
			continue;
		bases[cpu] = map_ring(fd, st, cpu);
		if (bases[cpu])
			drainer_add_ring(d, cpu, bases[cpu]);
	}
}

static void consume(int fd, struct drainer *d, uint64_t *tails)
{
	static int warned;
	struct pvfbt_consume c = {
		.size = sizeof(c), .nr_cpus = d->nr_cpus,
		.tails = (uintptr_t)tails,
	};

	drainer_tails(d, tails);
	if (ioctl(fd, PVFBT_IOC_CONSUME, &c) && !warned) {
		warned = 1;
		warnx_("PVFBT_IOC_CONSUME: %s", strerror(errno));
	}
}

static void print_stats(int fd, uint32_t nr_cpus, const struct session *s,
			size_t nprobes, const struct drainer *d)
{
	struct pvfbt_cpu_stats *cs = calloc(nr_cpus, sizeof(*cs)), tot;
	struct pvfbt_stats st = {
		.size = sizeof(st), .nr_cpus = nr_cpus, .cpus = (uintptr_t)cs,
	};
	uint32_t i;
	int ok;

	memset(&tot, 0, sizeof(tot));
	ok = cs && !ioctl(fd, PVFBT_IOC_STATS, &st);
	if (!ok)
		warnx_("PVFBT_IOC_STATS: %s", cs ? strerror(errno) : "no memory");
	if (ok && st.nr_cpus < nr_cpus)
		nr_cpus = st.nr_cpus;
	for (i = 0; ok && i < nr_cpus; i++) {
		tot.hits += cs[i].hits;
		tot.records += cs[i].records;
		tot.drops += cs[i].drops;
		tot.missed_steps += cs[i].missed_steps;
		tot.late_steps += cs[i].late_steps;
		tot.filtered += cs[i].filtered;
		tot.stepped += cs[i].stepped;
		tot.emulated += cs[i].emulated;
		tot.boosted += cs[i].boosted;
		tot.unstepped += cs[i].unstepped;
		tot.jumped += cs[i].jumped;
		tot.called += cs[i].called;
	}
	fprintf(stderr, "pvfbt: %" PRIu64 " events, %" PRIu64 " dropped, %zu probes\n",
		s->events, (uint64_t)tot.drops, nprobes);
	if (ok && opt.per_cpu)
		for (i = 0; i < nr_cpus; i++)
			fprintf(stderr, "pvfbt: cpu %u: hits %llu, records %llu, "
				"drops %llu, missed steps %llu, late steps %llu, "
				"filtered %llu, stepped %llu, emulated %llu, nested %llu, "
				"boosted %llu, unstepped %llu, jumped %llu, called %llu\n",
				i, (unsigned long long)cs[i].hits,
				(unsigned long long)cs[i].records,
				(unsigned long long)cs[i].drops,
				(unsigned long long)cs[i].missed_steps,
				(unsigned long long)cs[i].late_steps,
				(unsigned long long)cs[i].filtered,
				(unsigned long long)cs[i].stepped,
				(unsigned long long)cs[i].emulated,
				(unsigned long long)cs[i].nested,
				(unsigned long long)cs[i].boosted,
				(unsigned long long)cs[i].unstepped,
				(unsigned long long)cs[i].jumped,
				(unsigned long long)cs[i].called);
	fprintf(stderr, "pvfbt: hits %llu, records %llu, drops %llu, "
		"missed steps %llu, late steps %llu, filtered %llu, "
		"stepped %llu, emulated %llu, boosted %llu, unstepped %llu, "
		"jumped %llu, called %llu\n",
		(unsigned long long)tot.hits, (unsigned long long)tot.records,
		(unsigned long long)tot.drops,
		(unsigned long long)tot.missed_steps,
		(unsigned long long)tot.late_steps,
		(unsigned long long)tot.filtered,
		(unsigned long long)tot.stepped,
		(unsigned long long)tot.emulated,
		(unsigned long long)tot.boosted,
		(unsigned long long)tot.unstepped,
		(unsigned long long)tot.jumped,
		(unsigned long long)tot.called);
	if (d->overrun)
		fprintf(stderr, "pvfbt: warning: %" PRIu64
			" records overwritten before the consumer read them\n",
			d->overrun);
	if (d->stack_incomplete || d->stack_orphans)
		fprintf(stderr, "pvfbt: warning: %" PRIu64 " stacks incomplete, %"
			PRIu64 " stack records skipped (malformed or without "
			"their event)\n", d->stack_incomplete, d->stack_orphans);
	free(cs);
}

static void print_latency(struct session *s)
{
	uint32_t fid;
	char name[PVFBT_NAME_LEN + PVFBT_MODNAME_LEN + 32];

	for (fid = 0; fid < s->lat.nr_funcs; fid++) {
		const struct hist *h = lat_hist(&s->lat, fid);
		const struct pvfbt_func *f = cat_fid(&s->cat, fid);

		if (!h || !h->count)
			continue;
		if (f)
			snprintf(name, sizeof(name), "fbt:%.*s:%.*s",
				 (int)sizeof(f->module), f->module,
				 (int)sizeof(f->name), f->name);
		else
			snprintf(name, sizeof(name), "fbt:?:#%u", fid);
		fprintf(s->out, "\n  %s (ns)\n", name);
		hist_print(s->out, h);
	}
	fprintf(stderr, "pvfbt: latency: %" PRIu64 " calls paired (%" PRIu64
		" through tail calls), %" PRIu64 " returns unmatched, %" PRIu64
		" entries without return\n", s->lat.matched, s->lat.tailcalls,
		s->lat.unmatched, s->lat.lost);
}

int cmd_trace(struct spec *specs)
{
	struct session s;
	struct pvfbt_status st;
	struct selection sel;
	struct drainer d;
	struct pvfbt_enable en;
	uint32_t *eflags;
	int rc;
	struct sigaction sa;
	void **bases;
	uint64_t *tails, deadline = 0;
	int fd, pidfd = -1, ret = 0, child_done = 0, child_status = 0, rounds;
	int poll_dev = 1, empty;
	size_t i;

	memset(&s, 0, sizeof(s));
	s.out = stdout;
	if (opt.outfile) {
		s.out = fopen(opt.outfile, "w");
		if (!s.out)
			die(1, "%s: %s", opt.outfile, strerror(errno));
	}
	if (opt.pid && kill(opt.pid, 0) && errno == ESRCH)
		die(1, "process %d does not exist", (int)opt.pid);
	if (opt.cmd)
		child_pid = start_child(&child_go);

	fd = dev_open();
	dev_status(fd, &st, 1);
	if (st.record_size < offsetof(struct pvfbt_record, reserved) ||
	    !st.nr_cpus || !st.ring_records ||
	    (st.ring_records & (st.ring_records - 1)) ||
	    st.ring_mmap_size < RING_HEADER_SIZE +
				(uint64_t)st.ring_records * st.record_size) {
		abort_child();
		die(1, "module reports an unusable ring layout (records %u x %u "
		    "bytes, %u bytes mapped): rebuild", st.ring_records,
		    st.record_size, st.ring_mmap_size);
	}
	dev_catalogue(fd, &s.cat);
	if (select_probes(&s.cat, specs, opt.nspecs, &sel))
		die(1, "out of memory");
	/* Say which matched probes another tool's text keeps out. */
	for (i = 0; i < 2 * (size_t)s.cat.nr; i++)
		if (sel.matched[i])
			warn_foreign(&s.cat, &s.cat.funcs[i / 2],
				     2 * s.cat.funcs[i / 2].fid + (i & 1));
	for (i = 0; i < opt.nspecs; i++)
		if (!sel.usable[i]) {
			abort_child();
			if (sel.excluded[i])
				die(1, "no probes match '%s' (%zu matching "
				    "probes are excluded: see pvfbt -l -v)",
				    opt.specs[i], sel.excluded[i]);
			die(1, "no probes match '%s'", opt.specs[i]);
		}

	if ((opt.mode == M_EVENTS || opt.mode == M_JSON) && !opt.quiet)
		s.btf = open_btf(&s.cat);
	if (opt.mode == M_COUNT && !opt.stack &&
	    counts_init(&s.counts, 2 * s.cat.nr_fid, opt.by, opt.by_arg))
		die(1, "out of memory");
	if (opt.mode == M_COUNT && opt.stack && stack_counts_init(&s.scounts))
		die(1, "out of memory");
	if (opt.stack) {
		int k = ksyms_load(&s.ksyms, KALLSYMS_PATH);

		if (k < 0)
			warnx_("%s: %s: stacks are shown as addresses",
			       KALLSYMS_PATH, strerror(errno));
		else if (k > 0)
			warnx_("%s shows no addresses (not root? "
			       "kernel.kptr_restrict?): stacks are shown as "
			       "addresses", KALLSYMS_PATH);
	}
	if (opt.mode == M_CHROME) {
		if (timeline_init(&s.tl, s.out, &s.cat))
			die(1, "out of memory");
		for (i = 0; i < sel.nr; i++)
			if (!(sel.ids[i] & 1) && selection_has(&sel, sel.ids[i] + 1))
				timeline_track(&s.tl, sel.ids[i] / 2);
	}
	if (opt.mode == M_LATENCY) {
		size_t pairs = 0;

		if (lat_init(&s.lat, s.cat.nr_fid))
			die(1, "out of memory");
		for (i = 0; i < sel.nr; i++) {
			uint32_t id = sel.ids[i];

			if (!(id & 1) && selection_has(&sel, id + 1)) {
				lat_track(&s.lat, id / 2);
				pairs++;
			}
		}
		if (!pairs) {
			abort_child();
			die(EXIT_USAGE, "--latency needs the entry and return "
			    "probes of a function (e.g. fbt::vfs_read:)");
		}
	}

	{
		/*
		 * Never our own process: see struct pvfbt_filter.  This also
		 * starts the session (and makes its rings), which mapping
		 * them needs.
		 */
		struct pvfbt_filter f = { .size = sizeof(f), .pid = opt.filter_pid,
					  .exclude_pid = (uint32_t)getpid() };

		if (opt.filter_comm)
			strncpy(f.comm, opt.filter_comm, sizeof(f.comm) - 1);
		if (ioctl(fd, PVFBT_IOC_FILTER, &f)) {
			int e = errno;

			abort_child();
			if (e == EBUSY)
				die(1, "%s is busy: another pvfbt session owns it",
				    PVFBT_DEVICE);
			if (e == ESRCH)
				die(1, "--pid %u: no such process", opt.filter_pid);
			die(1, "PVFBT_IOC_FILTER: %s", strerror(e));
		}
	}

	map_rings(fd, &st, &bases);
	if (drainer_init(&d, st.nr_cpus, st.record_size, st.ring_records, bases))
		die(1, "cannot set up the rings");
	/* Counts need no time order: no sorting, nothing held back. */
	d.unordered = opt.mode == M_COUNT;
	tails = calloc(st.nr_cpus, sizeof(*tails));
	if (!tails)
		die(1, "out of memory");

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	eflags = calloc(sel.nr ? sel.nr : 1, sizeof(*eflags));
	if (!eflags)
		die(1, "out of memory");
	find_syscalls(&s, &sel, eflags);
	rc = enable_probes(fd, &sel, opt.stack ? PVFBT_ENABLE_STACK : 0, eflags);
	free(eflags);
	if (rc) {
		int e = errno;

		abort_child();
		die(1, "PVFBT_IOC_ENABLE of %zu probes: %s%s", sel.nr, strerror(e),
		    e == EBUSY ? " (another tool owns their text: see pvfbt -l -v)" : "");
	}
	wait_jumps(fd);
	if (!opt.quiet && opt.mode != M_JSON)
		warnx_("%zu probes enabled", sel.nr);

	if (opt.pid)
		pidfd = pidfd_open_(opt.pid);
	if (opt.duration > 0)
		deadline = now_ns() + (uint64_t)(opt.duration * 1e9);
	if (opt.cmd) {
		if (write(child_go, "g", 1) != 1)
			warnx_("cannot start the command: %s", strerror(errno));
		close(child_go);
		child_go = -1;
	}

	while (!stop_sig) {
		struct pollfd pfd[2];
		int n = 0;
		uint64_t now;

		if (poll_dev) {
			pfd[n].fd = fd;
			pfd[n++].events = POLLIN;
		}
		if (pidfd >= 0) {
			pfd[n].fd = pidfd;
			pfd[n++].events = POLLIN;
		}
		if (poll(pfd, n, POLL_MS) < 0 && errno != EINTR)
			break;
		if (poll_dev && (pfd[0].revents & (POLLERR | POLLHUP | POLLNVAL))) {
			warnx_("poll on %s reports an error; polling by timer",
			       PVFBT_DEVICE);
			poll_dev = 0;
			usleep(POLL_MS * 1000);
		}
		now = now_ns();
		map_new_rings(fd, &st, bases, &d);
		if (drainer_collect(&d))
			consume(fd, &d, tails);
		drainer_emit(&d, now > HOLD_NS ? now - HOLD_NS : 0,
			     handle_record, &s);
		if (opt.cmd && !child_done) {
			int wst;

			if (waitpid(child_pid, &wst, WNOHANG) == child_pid) {
				child_done = 1;
				child_status = status_code(wst);
				child_pid = 0;
				break;
			}
		}
		if (opt.pid) {
			if (pidfd >= 0) {
				if (pfd[n - 1].revents & POLLIN)
					break;
			} else if (kill(opt.pid, 0) && errno == ESRCH) {
				break;
			}
		}
		if (deadline && now_ns() >= deadline)
			break;
	}

	/* Disable, then take what is left. */
	memset(&en, 0, sizeof(en));
	en.size = sizeof(en);
	en.count = (uint32_t)sel.nr;
	en.ids = (uintptr_t)sel.ids;
	if (ioctl(fd, PVFBT_IOC_DISABLE, &en)) {
		warnx_("PVFBT_IOC_DISABLE: %s", strerror(errno));
		ret = 1;
	}
	/* Until two passes 10 ms apart find nothing (a bounded number). */
	for (rounds = 0, empty = 0; rounds < 200 && empty < 2; rounds++) {
		if (!drainer_collect(&d)) {
			empty++;
			usleep(10000);
			continue;
		}
		empty = 0;
		consume(fd, &d, tails);
	}
	drainer_emit(&d, UINT64_MAX, handle_record, &s);

	if (opt.mode == M_COUNT && opt.stack && opt.folded)
		stack_counts_print_folded(s.out, &s.scounts, &s.cat, &s.ksyms);
	else if (opt.mode == M_COUNT && opt.stack)
		stack_counts_print(s.out, &s.scounts, &s.cat, &s.ksyms);
	else if (opt.mode == M_COUNT)
		counts_print(s.out, &s.counts, &s.cat);
	else if (opt.mode == M_LATENCY)
		print_latency(&s);
	else if (opt.mode == M_CHROME && !s.out_err)
		timeline_finish(&s.tl);
	if (fflush(s.out) && !s.out_err)
		warnx_("writing output: %s", strerror(errno));
	print_stats(fd, st.nr_cpus, &s, sel.nr, &d);
	if (opt.cmd && !child_done) {
		int wst;

		if (stop_sig && stop_sig != SIGPIPE)
			kill(child_pid, SIGTERM);
		if (waitpid(child_pid, &wst, 0) == child_pid)
			child_status = status_code(wst);
		child_pid = 0;
	}
	if (pidfd >= 0)
		close(pidfd);
	for (i = 0; i < st.nr_cpus; i++)
		if (bases[i])
			munmap(bases[i], st.ring_mmap_size);
	free(bases);
	free(tails);
	drainer_free(&d);
	close(fd);
	if (s.out != stdout)
		fclose(s.out);
	if (opt.mode == M_COUNT && opt.stack)
		stack_counts_free(&s.scounts);
	else if (opt.mode == M_COUNT)
		counts_free(&s.counts);
	ksyms_free(&s.ksyms);
	kbtf_close(s.btf);
	if (opt.mode == M_LATENCY)
		lat_free(&s.lat);
	if (opt.mode == M_CHROME) {
		fprintf(stderr, "pvfbt: timeline: %" PRIu64 " slices, %" PRIu64
			" instants\n", s.tl.slices, s.tl.instants);
		timeline_free(&s.tl);
	}
	selection_free(&sel);
	sys_close(s.sys);
	free(s.sysd);
	cat_free(&s.cat);
	if (ret)
		return ret;
	return opt.cmd ? child_status : 0;
}
