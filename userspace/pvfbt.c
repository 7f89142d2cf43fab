// SPDX-License-Identifier: GPL-2.0
/*
 * pvfbt: the consumer of pvfbt.ko, a function-boundary tracer in the style
 * of DTrace's fbt provider.  See pvfbt(8).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pvfbt.h"
#include "drain.h"
#include "kofile.h"
#include "ksym.h"
#include "latency.h"
#include "output.h"
#include "select.h"
#include "spec.h"
#include "syscall.h"

#define EXIT_USAGE	2
#define POLL_MS		100
#define HOLD_NS		20000000ULL	/* merge window across CPUs */
#define LIST_CHUNK	1024

enum mode { M_EVENTS, M_JSON, M_COUNT, M_LATENCY };

static struct opts {
	int status, list, verbose, quiet, per_cpu, by_pid, stack;
	enum mode mode;
	int mode_set;
	const char *ko;
	const char **specs;
	size_t nspecs;
	const char *cmd;
	pid_t pid;		/* -p */
	double duration;	/* -d, 0 = none */
	uint32_t filter_pid;	/* --pid */
	const char *filter_comm;	/* --comm */
	const char *outfile;
} opt;

static volatile sig_atomic_t stop_sig;

static void on_signal(int sig)
{
	stop_sig = sig;
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: pvfbt --status\n"
"       pvfbt -l [-v] [-n SPEC]...\n"
"       pvfbt -l --ko FILE.ko [-v] [-n SPEC]...\n"
"       pvfbt -n SPEC [-n SPEC]... [-c CMD | -p PID | -d SECONDS]\n"
"             [--count [--by-pid] | --json | --latency] [--stack]\n"
"             [--pid PID] [--comm COMM] [--per-cpu] [-o FILE] [-q]\n"
"SPEC is [[[provider:]module:]function:]name, e.g. fbt::vfs_read:entry,\n"
"sys_getppid, fbt::sys_*:return; '*' and '?' glob.\n"
"--stack records the kernel stack of every hit: printed after each event,\n"
"in the JSON \"stack\" array, or counted per stack with --count (not with\n"
"--latency or --by-pid).  See pvfbt(8).\n");
}

static void __attribute__((noreturn, format(printf, 2, 3)))
die(int code, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("pvfbt: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

static void __attribute__((format(printf, 1, 2))) warnx_(const char *fmt, ...)
{
	va_list ap;

	fputs("pvfbt: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static long parse_long(const char *s, const char *what, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		die(EXIT_USAGE, "invalid %s '%s'", what, s);
	return v;
}

/* ------------------------------------------------------------------ */
/* The device */

static int dev_open(void)
{
	int fd = open(PVFBT_DEVICE, O_RDWR | O_CLOEXEC);

	if (fd >= 0)
		return fd;
	switch (errno) {
	case ENOENT:
	case ENXIO:
	case ENODEV:
		die(1, "%s not found: is pvfbt.ko loaded? (insmod pvfbt.ko)",
		    PVFBT_DEVICE);
	case EACCES:
	case EPERM:
		die(1, "permission denied: pvfbt needs root (CAP_SYS_ADMIN)");
	case EBUSY:
		die(1, "%s is busy: another pvfbt session owns it",
		    PVFBT_DEVICE);
	default:
		die(1, "%s: %s", PVFBT_DEVICE, strerror(errno));
	}
}

static void dev_status(int fd, struct pvfbt_status *st, int check_abi)
{
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	if (ioctl(fd, PVFBT_IOC_STATUS, st))
		die(1, "PVFBT_IOC_STATUS: %s%s", strerror(errno),
		    errno == EINVAL ?
		    " (module and consumer disagree on the ABI: rebuild)" : "");
	if (check_abi && st->abi_version != PVFBT_ABI_VERSION)
		die(1, "module ABI %u, consumer ABI %u: rebuild",
		    st->abi_version, PVFBT_ABI_VERSION);
}

static void dev_catalogue(int fd, struct catalogue *c)
{
	struct pvfbt_func *buf = calloc(LIST_CHUNK, sizeof(*buf));
	uint32_t start = 0, total = 0, cap = 0, prev;

	memset(c, 0, sizeof(*c));
	if (!buf)
		die(1, "out of memory");
	for (;;) {
		struct pvfbt_list l = {
			.size = sizeof(l), .max = LIST_CHUNK, .start = start,
			.funcs = (uintptr_t)buf,
		};
		uint32_t i;

		if (ioctl(fd, PVFBT_IOC_LIST, &l))
			die(1, "PVFBT_IOC_LIST: %s", strerror(errno));
		if (!total)
			total = l.total;
		if (!l.count)
			break;
		if (l.count > LIST_CHUNK)
			die(1, "PVFBT_IOC_LIST returned %u entries for room %u",
			    l.count, LIST_CHUNK);
		if (c->nr + l.count > cap) {
			struct pvfbt_func *n;

			cap = c->nr + l.count > total ? c->nr + l.count : total;
			n = realloc(c->funcs, (size_t)cap * sizeof(*n));
			if (!n)
				die(1, "out of memory");
			c->funcs = n;
		}
		memcpy(c->funcs + c->nr, buf, l.count * sizeof(*buf));
		c->nr += l.count;
		prev = start;
		for (i = 0; i < l.count; i++)
			if (buf[i].fid + 1 > start)
				start = buf[i].fid + 1;
		if (start >= l.total)
			break;
		if (start == prev || c->nr > 2 * (size_t)total + LIST_CHUNK)
			die(1, "PVFBT_IOC_LIST does not make progress (start %u)",
			    start);
	}
	free(buf);
	if (cat_index(c))
		die(1, "out of memory");
}

static const char *env_str(uint32_t env)
{
	switch (env) {
	case PVFBT_ENV_NATIVE:
		return "native";
	case PVFBT_ENV_XEN_PV:
		return "xen-pv";
	case PVFBT_ENV_XEN_HVM:
		return "xen-hvm";
	}
	return "unknown";
}

static int cmd_status(void)
{
	struct pvfbt_status st;
	int fd = dev_open();

	dev_status(fd, &st, 0);
	printf("abi version:    %u%s\n", st.abi_version,
	       st.abi_version == PVFBT_ABI_VERSION ? "" :
	       " (consumer ABI differs: rebuild)");
	printf("environment:    %s\n", env_str(st.env));
	printf("cpus:           %u\n", st.nr_cpus);
	printf("probes armed:   %u\n", st.nr_armed);
	printf("kernel release: %.*s\n", (int)sizeof(st.release), st.release);
	printf("functions:      %u\n", st.nr_funcs);
	printf("slots:          %u/%u\n", st.nr_slots, st.nr_slots_max);
	printf("sites:          %u (%u emulated, %u boosted, %u stepped)\n", st.nr_sites,
	       st.nr_sites_emulated, st.nr_sites_boosted,
	       st.nr_sites - st.nr_sites_emulated - st.nr_sites_boosted);
	printf("text writes:    %u batches, %u pages through an alias, %u text_poke() calls\n",
	       st.text_batches, st.text_alias_pages, st.text_pokes);
	printf("text refused:   %u site writes (the text was not as pvfbt left it)\n",
	       st.text_refused);
	printf("ring:           %u records of %u bytes per cpu (%u bytes mapped)\n",
	       st.ring_records, st.record_size, st.ring_mmap_size);
	printf("memory at rest: %llu KiB (catalogue, sites, slots)\n",
	       (unsigned long long)(st.mem_tables >> 10));
	printf("session memory: %llu KiB (%u rings)\n",
	       (unsigned long long)(st.mem_rings >> 10), st.nr_rings);
	if (st.owner_pid)
		printf("session owner:  pid %u\n", st.owner_pid);
	else
		printf("session owner:  none\n");
	close(fd);
	return st.abi_version == PVFBT_ABI_VERSION ? 0 : 1;
}

/* ------------------------------------------------------------------ */
/* Listing */

static void parse_specs(struct spec *specs)
{
	size_t i;

	for (i = 0; i < opt.nspecs; i++) {
		int err = spec_parse(opt.specs[i], &specs[i]);

		if (err)
			die(EXIT_USAGE, "invalid probe description '%s': %s",
			    opt.specs[i], spec_strerror(err));
	}
}

static void list_header(void)
{
	printf("%6s %8s %20s %40s %s\n", "ID", "PROVIDER", "MODULE",
	       "FUNCTION", opt.verbose ? "NAME    STATE" : "NAME");
}

static int any_spec_match(const struct spec *specs, size_t *hits,
			  const char *mod, const char *fn, int side)
{
	size_t s;
	int hit = 0;

	if (!opt.nspecs)
		return 1;
	for (s = 0; s < opt.nspecs; s++)
		if (spec_match(&specs[s], mod, fn, side)) {
			hits[s]++;
			hit = 1;
		}
	return hit;
}

static int report_unmatched(const size_t *hits)
{
	size_t s;
	int ret = 0;

	for (s = 0; s < opt.nspecs; s++)
		if (!hits[s]) {
			warnx_("no probes match '%s'", opt.specs[s]);
			ret = 1;
		}
	return ret;
}

/* If probe id is foreign-text, say so; returns whether it is. */
static int warn_foreign(const struct catalogue *c, const struct pvfbt_func *f, uint32_t id)
{
	char name[512];

	if (!f || probe_reason(f, id & 1) != PVFBT_EXCL_FOREIGN)
		return 0;
	probe_fullname(name, sizeof(name), c, id);
	warnx_("%s: not enabled: another tool (a kprobe) owns its text", name);
	return 1;
}

/*
 * PVFBT_IOC_ENABLE said EBUSY: another tool (a kprobe) owns the text of some
 * selected probes, and the module now lists them as foreign-text.  Say
 * which, and keep the rest.  Returns how many were dropped.
 */
static size_t drop_foreign(int fd, struct selection *sel)
{
	struct catalogue c;
	size_t i, n = 0, dropped;

	dev_catalogue(fd, &c);
	for (i = 0; i < sel->nr; i++) {
		uint32_t id = sel->ids[i];

		if (warn_foreign(&c, cat_fid(&c, id / 2), id))
			continue;
		sel->ids[n++] = id;
	}
	dropped = sel->nr - n;
	sel->nr = n;
	cat_free(&c);
	return dropped;
}

static int cmd_list(struct spec *specs)
{
	struct catalogue cat;
	struct selection sel;
	uint32_t i;
	size_t sp;
	int fd = dev_open(), ret = 0;
	struct pvfbt_status st;

	dev_status(fd, &st, 1);
	dev_catalogue(fd, &cat);
	close(fd);
	if (select_probes(&cat, specs, opt.nspecs, &sel))
		die(1, "out of memory");
	list_header();
	for (i = 0; i < cat.nr; i++) {
		const struct pvfbt_func *f = &cat.funcs[i];
		char mod[PVFBT_MODNAME_LEN + 1], fn[PVFBT_NAME_LEN + 1];
		int side;

		snprintf(mod, sizeof(mod), "%.*s", (int)sizeof(f->module), f->module);
		snprintf(fn, sizeof(fn), "%.*s", (int)sizeof(f->name), f->name);
		for (side = 0; side < 2; side++) {
			unsigned reason = probe_reason(f, side);
			int armed = f->flags & (side ? PVFBT_FUNC_RETURN_ARMED :
						PVFBT_FUNC_ENTRY_ARMED);

			if (reason && !opt.verbose)
				continue;
			if (opt.nspecs && !sel.matched[2 * (size_t)i + side])
				continue;
			printf(opt.verbose ? "%6u %8s %20s %40s %-6s" :
			       "%6u %8s %20s %40s %s", 2 * f->fid + side, "fbt",
			       mod, fn, side ? "return" : "entry");
			if (opt.verbose) {
				if (reason)
					printf("  excluded: %s", reason_str(reason));
				else
					printf("  %s", armed ? "armed" : "ok");
			}
			putchar('\n');
		}
	}
	/* A spec matches nothing if none of the probes it matches is listed. */
	for (sp = 0; sp < opt.nspecs; sp++)
		if (!sel.usable[sp] && !(opt.verbose && sel.excluded[sp])) {
			warnx_("no probes match '%s'", opt.specs[sp]);
			ret = 1;
		}
	selection_free(&sel);
	cat_free(&cat);
	return ret;
}

static unsigned ko_section_reason(const char *sec)
{
	if (!strncmp(sec, ".init.text", 10))
		return PVFBT_EXCL_INIT;
	if (!strncmp(sec, ".noinstr.text", 13))
		return PVFBT_EXCL_NOINSTR;
	if (!strncmp(sec, ".entry.text", 11))
		return PVFBT_EXCL_ENTRY_TEXT;
	return 0;
}

static int cmd_list_ko(struct spec *specs)
{
	struct ko_file ko;
	char err[512];
	size_t *hits = calloc(opt.nspecs + 1, sizeof(size_t)), i;
	int ret;

	if (ko_read(opt.ko, &ko, err, sizeof(err)))
		die(1, "%s", err);
	list_header();
	for (i = 0; i < ko.nr; i++) {
		unsigned reason = ko_section_reason(ko.funcs[i].section);
		int side;

		if (reason && !opt.verbose)
			continue;
		for (side = 0; side < 2; side++) {
			if (!any_spec_match(specs, hits, ko.modname,
					    ko.funcs[i].name, side))
				continue;
			printf(opt.verbose ? "%6s %8s %20s %40s %-6s" :
			       "%6s %8s %20s %40s %s", "-", "fbt", ko.modname,
			       ko.funcs[i].name, side ? "return" : "entry");
			if (opt.verbose) {
				if (reason)
					printf("  excluded: %s (%s)",
					       reason_str(reason),
					       ko.funcs[i].section);
				else
					printf("  %s", ko.funcs[i].section);
			}
			putchar('\n');
		}
	}
	ret = report_unmatched(hits);
	free(hits);
	ko_free(&ko);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Tracing */

struct session {
	FILE *out;
	struct catalogue cat;
	struct counts counts;
	struct stack_counts scounts;	/* --count --stack */
	struct ksyms ksyms;		/* --stack */
	struct lat lat;
	struct syscalls *sys;		/* events and JSON: system calls decoded */
	const struct sysdesc **sysd;	/* [cat.nr_fid]: NULL if not one */
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
	case M_EVENTS:
	case M_JSON:
		if (opt.quiet || s->out_err)
			return;
		probe_fullname(name, sizeof(name), &s->cat, r->probe_id);
		if (opt.mode == M_JSON) {
			print_event_json(s->out, r, name, stack, &s->ksyms, sys,
					 drain_strings(r));
		} else {
			print_event_text(s->out, r, name, sys, drain_strings(r));
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

static pid_t start_child(int *go_fd)
{
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC))
		die(1, "pipe: %s", strerror(errno));
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		die(1, "fork: %s", strerror(errno));
	if (!pid) {
		char c;
		ssize_t r;

		close(p[1]);
		do
			r = read(p[0], &c, 1);
		while (r < 0 && errno == EINTR);
		if (r != 1)
			_exit(127);	/* the tracer gave up */
		/*
		 * Like dtrace -c: a plain command line is split on blanks and
		 * run directly, so that the traced process is the command and
		 * no shell adds system calls of its own; anything with shell
		 * syntax goes through /bin/sh -c.
		 */
		if (!strpbrk(opt.cmd, "|&;<>()$`\\\"'*?[]#~=%{}\n")) {
			char *argv[64], *cmd = strdup(opt.cmd), *save = NULL, *w;
			int argc = 0;

			for (w = cmd ? strtok_r(cmd, " \t", &save) : NULL; w && argc < 63;
			     w = strtok_r(NULL, " \t", &save))
				argv[argc++] = w;
			argv[argc] = NULL;
			if (argc && !w) {
				execvp(argv[0], argv);
				fprintf(stderr, "pvfbt: %s: %s\n", argv[0], strerror(errno));
				_exit(127);
			}
		}
		execl("/bin/sh", "sh", "-c", opt.cmd, (char *)NULL);
		fprintf(stderr, "pvfbt: /bin/sh: %s\n", strerror(errno));
		_exit(127);
	}
	close(p[0]);
	*go_fd = p[1];
	return pid;
}

static int status_code(int st)
{
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return 1;
}

/* The child of -c, if it is still to be reaped, when we die early. */
static pid_t child_pid;
static int child_go = -1;

static void abort_child(void)
{
	if (child_go >= 0) {
		close(child_go);	/* no go: it exits 127 */
		child_go = -1;
	}
	if (child_pid > 0) {
		waitpid(child_pid, NULL, 0);
		child_pid = 0;
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

static int pidfd_open_(pid_t pid)
{
#ifdef SYS_pidfd_open
	return (int)syscall(SYS_pidfd_open, pid, 0);
#else
	return (int)syscall(434, pid, 0);
#endif
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
	}
	fprintf(stderr, "pvfbt: %" PRIu64 " events, %" PRIu64 " dropped, %zu probes\n",
		s->events, (uint64_t)tot.drops, nprobes);
	if (ok && opt.per_cpu)
		for (i = 0; i < nr_cpus; i++)
			fprintf(stderr, "pvfbt: cpu %u: hits %llu, records %llu, "
				"drops %llu, missed steps %llu, late steps %llu, "
				"filtered %llu, stepped %llu, emulated %llu, nested %llu, "
				"boosted %llu, unstepped %llu\n",
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
				(unsigned long long)cs[i].unstepped);
	fprintf(stderr, "pvfbt: hits %llu, records %llu, drops %llu, "
		"missed steps %llu, late steps %llu, filtered %llu, "
		"stepped %llu, emulated %llu, boosted %llu, unstepped %llu\n",
		(unsigned long long)tot.hits, (unsigned long long)tot.records,
		(unsigned long long)tot.drops,
		(unsigned long long)tot.missed_steps,
		(unsigned long long)tot.late_steps,
		(unsigned long long)tot.filtered,
		(unsigned long long)tot.stepped,
		(unsigned long long)tot.emulated,
		(unsigned long long)tot.boosted,
		(unsigned long long)tot.unstepped);
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

static int cmd_trace(struct spec *specs)
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

	if (opt.mode == M_COUNT && !opt.stack &&
	    counts_init(&s.counts, 2 * s.cat.nr_fid, opt.by_pid))
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

	if (opt.mode == M_COUNT && opt.stack)
		stack_counts_print(s.out, &s.scounts, &s.cat, &s.ksyms);
	else if (opt.mode == M_COUNT)
		counts_print(s.out, &s.counts, &s.cat);
	else if (opt.mode == M_LATENCY)
		print_latency(&s);
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
	if (opt.mode == M_LATENCY)
		lat_free(&s.lat);
	selection_free(&sel);
	sys_close(s.sys);
	free(s.sysd);
	cat_free(&s.cat);
	if (ret)
		return ret;
	return opt.cmd ? child_status : 0;
}

/* ------------------------------------------------------------------ */

enum {
	O_STATUS = 256, O_KO, O_COUNT, O_JSON, O_LATENCY, O_PID, O_COMM,
	O_PERCPU, O_BYPID, O_STACK, O_HELP,
};

static void set_mode(enum mode m)
{
	if (opt.mode_set && opt.mode != m)
		die(EXIT_USAGE, "--count, --json and --latency exclude each other");
	opt.mode = m;
	opt.mode_set = 1;
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "status", no_argument, NULL, O_STATUS },
		{ "ko", required_argument, NULL, O_KO },
		{ "count", no_argument, NULL, O_COUNT },
		{ "json", no_argument, NULL, O_JSON },
		{ "latency", no_argument, NULL, O_LATENCY },
		{ "pid", required_argument, NULL, O_PID },
		{ "comm", required_argument, NULL, O_COMM },
		{ "per-cpu", no_argument, NULL, O_PERCPU },
		{ "by-pid", no_argument, NULL, O_BYPID },
		{ "stack", no_argument, NULL, O_STACK },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 },
	};
	struct spec *specs;
	int c, nwhat = 0, ret;
	size_t i;

	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	opt.specs = calloc(argc, sizeof(*opt.specs));
	if (!opt.specs)
		die(1, "out of memory");
	while ((c = getopt_long(argc, argv, "+ln:c:p:d:o:qvh", lopts, NULL)) != -1) {
		switch (c) {
		case 'l':
			opt.list = 1;
			break;
		case 'n':
			opt.specs[opt.nspecs++] = optarg;
			break;
		case 'c':
			opt.cmd = optarg;
			nwhat++;
			break;
		case 'p':
			opt.pid = (pid_t)parse_long(optarg, "pid", 1, INT_MAX);
			nwhat++;
			break;
		case 'd': {
			char *end;

			errno = 0;
			opt.duration = strtod(optarg, &end);
			if (errno || end == optarg || *end ||
			    !(opt.duration > 0) || opt.duration > 1e7)
				die(EXIT_USAGE, "invalid duration '%s'", optarg);
			nwhat++;
			break;
		}
		case 'o':
			opt.outfile = optarg;
			break;
		case 'q':
			opt.quiet = 1;
			break;
		case 'v':
			opt.verbose = 1;
			break;
		case O_STATUS:
			opt.status = 1;
			break;
		case O_KO:
			opt.ko = optarg;
			break;
		case O_COUNT:
			set_mode(M_COUNT);
			break;
		case O_JSON:
			set_mode(M_JSON);
			break;
		case O_LATENCY:
			set_mode(M_LATENCY);
			break;
		case O_PID:
			opt.filter_pid = (uint32_t)parse_long(optarg, "pid", 1,
							      INT_MAX);
			break;
		case O_COMM:
			if (!optarg[0] || strlen(optarg) > 15)
				die(EXIT_USAGE, "--comm takes 1 to 15 characters");
			opt.filter_comm = optarg;
			break;
		case O_PERCPU:
			opt.per_cpu = 1;
			break;
		case O_BYPID:
			opt.by_pid = 1;
			break;
		case O_STACK:
			opt.stack = 1;
			break;
		case 'h':
		case O_HELP:
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		warnx_("unexpected argument '%s'", argv[optind]);
		usage(stderr);
		return EXIT_USAGE;
	}
	if (nwhat > 1)
		die(EXIT_USAGE, "-c, -p and -d exclude each other");
	if (opt.by_pid && opt.mode != M_COUNT)
		die(EXIT_USAGE, "--by-pid goes with --count");
	if (opt.stack && opt.mode == M_LATENCY)
		die(EXIT_USAGE, "--stack does not go with --latency");
	if (opt.stack && opt.by_pid)
		die(EXIT_USAGE, "--stack does not go with --by-pid");
	if (opt.stack && (opt.list || opt.status))
		die(EXIT_USAGE, "--stack goes with tracing (-n), not -l or --status");
	if (opt.ko && !opt.list)
		die(EXIT_USAGE, "--ko goes with -l");
	if (opt.status && (opt.list || opt.nspecs))
		die(EXIT_USAGE, "--status takes no other action");

	specs = calloc(opt.nspecs + 1, sizeof(*specs));
	if (!specs)
		die(1, "out of memory");
	parse_specs(specs);	/* exits 2 on a malformed one */

	if (opt.status)
		ret = cmd_status();
	else if (opt.list && opt.ko)
		ret = cmd_list_ko(specs);
	else if (opt.list)
		ret = cmd_list(specs);
	else if (!opt.nspecs) {
		usage(stderr);
		return EXIT_USAGE;
	} else
		ret = cmd_trace(specs);

	fflush(stdout);
	for (i = 0; i < opt.nspecs; i++)
		spec_free(&specs[i]);
	free(specs);
	free(opt.specs);
	return ret;
}
