// SPDX-License-Identifier: GPL-2.0
/*
 * A fake /dev/pvfbt inside the consumer's own process, for end-to-end tests
 * of the consumer (userspace/) without the module: linked with
 * -Wl,--wrap=open,--wrap=ioctl,--wrap=mmap,--wrap=munmap,--wrap=poll,--wrap=close.
 *
 * The fake has 2 CPUs with rings of 64 records and a small catalogue.  On
 * ENABLE a thread plays FAKEDEV_CALLS (default 1000) calls of every enabled
 * function: the entry on one CPU, the return on the other (a migration),
 * waiting for ring space like a patient module.  Returns alternate between
 * two return sites (ip = function + 0x30, + 0x38).  tc_caller tail-calls
 * tc_callee: entry tc_caller, return tc_caller with PVFBT_REC_TAILCALL
 * 500 ns later, entry tc_callee 1 ns after that, return tc_callee 1000 ns
 * later, all with the same sp on one thread.  When done it creates the
 * file FAKEDEV_DONE_MARK if set.  Other knobs: FAKEDEV_ERRNO (open fails
 * with it), FAKEDEV_ABI (abi_version), FAKEDEV_ENABLE_MARK (file created at
 * ENABLE), FAKEDEV_DROPS (per-CPU drops reported by STATS).  STATS reports
 * every hit as boosted.
 *
 * Stacks: probes enabled with PVFBT_ENABLE_STACK write STACKED events
 * followed by FAKEDEV_STACK_DEPTH (default 3, at most PVFBT_STACK_MAX)
 * frames in 1..3 stack records: the site, then caller_K+0xK
 * (0xffffffff82000000 + 0x101 * K) or, for K % 5 == 3, modfn_K+0xK [fakemod]
 * (0xffffffffc0000000 + 0x101 * K).  With FAKEDEV_STACK_GARBAGE=1, call I
 * gets by I % 5: 0 a good stack; 1 no stack record; 2 a record of 2 frames
 * saying one more follows, then a stack record with nr 0; 3 a record with
 * another probe id; 4 a record with nr 200.  Stack records are not counted
 * as records or hits.  FAKEDEV_KALLSYMS: a file that open("/proc/kallsyms")
 * opens instead.
 *
 * Sessions (ABI 5): the rings exist once the session is claimed (FILTER,
 * ENABLE or CONSUME); mmap before that fails with EBADFD, like the module.
 * FAKEDEV_LATE_CPU=1: CPU 1 is offline when the session starts (its mmap
 * fails with ENXIO) and comes online at ENABLE: its ring appears and every
 * ring header's nr_rings says 2.
 *
 * System calls (ABI 6): entry probes of __x64_sys_* functions accept
 * PVFBT_ENABLE_SYSCALL and string flags (anything else with them: EINVAL,
 * as the module).  With FAKEDEV_SYSCALL=1, __x64_sys_read is
 * __x64_sys_openat instead; its SYSCALL entries carry openat(AT_FDCWD as
 * a 32-bit value, 0x7ffd0000 + call, O_RDONLY|O_CLOEXEC, 0) and, for a
 * string argument, call I % 5: 0-2 "/etc/passwd", 3 a 256-byte cut "/"
 * then 'y's (truncated), 4 unreadable (-EFAULT); its returns are 3, or -2
 * (ENOENT) for I % 3 == 0.  The generator starts at the first poll after
 * an ENABLE: a consumer enables in several calls (one per flags value).
 *
 * FAKEDEV_FUNCS=N adds N functions to the catalogue (they never fire):
 * extra J is fake_fn_J in vmlinux, except that J % 10 == 9 is fakemod's
 * fake_fn_(J-1) (a name in two modules); J % 7 == 3 has its entry and
 * J % 11 == 5 its return excluded.
 *
 * FAKEDEV_TYPED=1 adds the functions of typed[] after the base catalogue
 * (before FAKEDEV_FUNCS's): each is called FAKEDEV_CALLS times by thread
 * 4300 + K with the argument registers and rax given there (the values
 * e2e.sh expects typed by fakebtf-vmlinux.c's prototypes).  typed_twice
 * is there twice (an ambiguous name); the last typed_enum is in module
 * "nobtf", which has no BTF.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "pvfbt.h"

int __real_open(const char *path, int flags, ...);
int __real_ioctl(int fd, unsigned long req, void *arg);
void *__real_mmap(void *addr, size_t len, int prot, int flags, int fd,
		  off_t off);
int __real_munmap(void *addr, size_t len);
int __real_poll(struct pollfd *fds, nfds_t n, int timeout);
int __real_close(int fd);

#define NCPU		2
#define NREC		64
#define RSIZE		sizeof(struct pvfbt_record)
#define MAPSZ		(4096 + NREC * RSIZE)

static const struct {
	const char *mod, *name;
	unsigned er, rr;
} base_cat[] = {
	{ "vmlinux", "__x64_sys_getppid", 0, 0 },
	{ "vmlinux", "vfs_read", 0, 0 },
	{ "vmlinux", "vfs_write", 0, PVFBT_EXCL_NO_RETURN },
	{ "vmlinux", "do_int3", PVFBT_EXCL_TRAP_PATH, PVFBT_EXCL_TRAP_PATH },
	{ "vmlinux", "__x64_sys_read", 0, 0 },
	{ "ext4", "ext4_file_read_iter", 0, 0 },
	{ "vmlinux", "tc_caller", 0, 0 },
	{ "vmlinux", "tc_callee", 0, 0 },
};
#define NBASE		(sizeof(base_cat) / sizeof(base_cat[0]))

static const struct {
	const char *name;
	uint64_t args[6], rax;
} typed[] = {
	{ "typed_ints", { 0xdeadbeeffffffffbULL, 0xffffffff00000007ULL,
			  0x1234ffffULL, 0x1ffULL, 0x8000000000000000ULL,
			  0x41ULL }, 0xffffffffffffffeaULL },
	{ "typed_enum", { 2, 0x100, 77, 0xabcdfffffffdULL,
			  0xffff888000003000ULL, 0xffffffff81000400ULL },
	  0x100000001ULL },
	{ "typed_void", { 1, 2, 3, 4, 5, 6 }, 0x1234 },
	{ "typed_va", { 0xffff888000005000ULL, 1, 2, 3, 4, 5 },
	  0x12345678fffffff4ULL },
	{ "typed_stop", { 3, 4, 5, 6, 7, 8 }, 0x200 },
	{ "typed_many", { 1, (uint64_t)-2, 3, 4, 5, 6 },
	  0xffff888000004000ULL },
	{ "typed_float", { 1, 2, 3, 4, 5, 6 }, 7 },
	{ "typed_twice", { 1, 2, 3, 4, 5, 6 }, 7 },
	{ "typed_twice", { 1, 2, 3, 4, 5, 6 }, 7 },
	{ "typed_enum", { 0x100, 0, 0, 0, 0, 0 }, 0x2a },	/* in "nobtf" */
};
#define NTYPED		(sizeof(typed) / sizeof(typed[0]))
static uint32_t ntyped;	/* NTYPED with FAKEDEV_TYPED=1, else 0 */
#define TC_CALLER	6
#define TC_CALLEE	7
#define FUNC_ADDR(f)	(0xffffffff81000000ULL + (uint64_t)(f) * 64)

static struct fake_func {
	char mod[PVFBT_MODNAME_LEN];
	char name[PVFBT_NAME_LEN];
	unsigned er, rr;
} *cat;
static uint32_t nfunc;

static int fake_fd = -1;
static void *rings[NCPU];
static unsigned char *armed, *stacked;	/* [2 * nfunc], by probe id */
static uint32_t *sysflags;		/* [2 * nfunc]: enable flags of a syscall */
static pthread_t gen;
static int gen_running, gen_pending;
static volatile int gen_stop;
static uint64_t hits[NCPU];
static struct pvfbt_filter filter;
static int session;		/* claimed: the rings exist */
static int cpu_online[NCPU] = { 1, 1 };

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void *ring(int cpu)
{
	if (!rings[cpu]) {
		rings[cpu] = aligned_alloc(4096, MAPSZ);
		memset(rings[cpu], 0, MAPSZ);
		((struct pvfbt_ring_header *)rings[cpu])->record_size = RSIZE;
		((struct pvfbt_ring_header *)rings[cpu])->nr_records = NREC;
	}
	return rings[cpu];
}

static uint32_t nr_rings(void)
{
	uint32_t n = 0;

	for (int c = 0; c < NCPU; c++)
		n += session && cpu_online[c];
	return n;
}

/* The module's cpu hotplug callback and session start: announce rings. */
static void announce_rings(void)
{
	for (int c = 0; c < NCPU; c++)
		if (session && cpu_online[c])
			__atomic_store_n(&((struct pvfbt_ring_header *)ring(c))->nr_rings,
					 nr_rings(), __ATOMIC_RELEASE);
}

static void claim(void)
{
	const char *late = getenv("FAKEDEV_LATE_CPU");

	if (session)
		return;
	session = 1;
	if (late && atoi(late))
		cpu_online[1] = 0;
	announce_rings();
}

static void catalogue_init(void)
{
	const char *e = getenv("FAKEDEV_FUNCS"), *t = getenv("FAKEDEV_TYPED");
	uint32_t extra = e ? (uint32_t)atol(e) : 0, i;

	if (cat)
		return;
	ntyped = t && atoi(t) ? NTYPED : 0;
	nfunc = NBASE + ntyped + extra;
	cat = calloc(nfunc, sizeof(*cat));
	armed = calloc(2 * nfunc, 1);
	stacked = calloc(2 * nfunc, 1);
	sysflags = calloc(2 * nfunc, sizeof(*sysflags));
	if (!cat || !armed || !stacked || !sysflags)
		abort();
	for (i = 0; i < NBASE; i++) {
		const char *sc = getenv("FAKEDEV_SYSCALL");

		strcpy(cat[i].mod, base_cat[i].mod);
		strcpy(cat[i].name, base_cat[i].name);
		if (sc && atoi(sc) && !strcmp(cat[i].name, "__x64_sys_read"))
			strcpy(cat[i].name, "__x64_sys_openat");
		cat[i].er = base_cat[i].er;
		cat[i].rr = base_cat[i].rr;
	}
	for (i = 0; i < ntyped; i++) {
		strcpy(cat[NBASE + i].mod, i == NTYPED - 1 ? "nobtf" : "vmlinux");
		strcpy(cat[NBASE + i].name, typed[i].name);
	}
	for (i = 0; i < extra; i++) {
		struct fake_func *f = &cat[NBASE + ntyped + i];

		strcpy(f->mod, i % 10 == 9 ? "fakemod" : "vmlinux");
		snprintf(f->name, sizeof(f->name), "fake_fn_%u",
			 i % 10 == 9 ? i - 1 : i);
		f->er = i % 7 == 3 ? PVFBT_EXCL_DECODE : 0;
		f->rr = i % 11 == 5 ? PVFBT_EXCL_NO_RETURN : 0;
	}
}

/* The module's side: n slots written, then head published once. */
static void publish(int cpu, const void *const *slots, int n)
{
	struct pvfbt_ring_header *h = ring(cpu);
	uint64_t head = h->head;
	int k;

	while (head + n - __atomic_load_n(&h->tail, __ATOMIC_ACQUIRE) > NREC) {
		if (gen_stop)
			return;
		usleep(200);
	}
	for (k = 0; k < n; k++)
		memcpy((char *)h + 4096 + ((head + k) & (NREC - 1)) * RSIZE,
		       slots[k], RSIZE);
	hits[cpu]++;	/* one event; stack records are not records */
	__atomic_store_n(&h->head, head + n, __ATOMIC_RELEASE);
}

static uint64_t frame(int k)
{
	return (k % 5 == 3 ? 0xffffffffc0000000ULL : 0xffffffff82000000ULL) +
	       0x101ULL * k;
}

/* The stack records of an event: returns how many. */
static int make_stack(const struct pvfbt_record *r, long call,
		      struct pvfbt_stack_record *st)
{
	const char *g = getenv("FAKEDEV_STACK_GARBAGE");
	const char *d = getenv("FAKEDEV_STACK_DEPTH");
	int depth = d ? atoi(d) : 3, variant = g && atoi(g) ? (int)(call % 5) : 0;
	uint64_t pcs[PVFBT_STACK_MAX];
	int k, nrec;

	if (depth < 1 || depth > PVFBT_STACK_MAX)
		depth = 3;
	pcs[0] = r->ip;
	for (k = 1; k < depth; k++)
		pcs[k] = frame(k);
	nrec = (depth + PVFBT_STACK_PER_REC - 1) / PVFBT_STACK_PER_REC;
	memset(st, 0, PVFBT_STACK_RECS * sizeof(*st));
	for (k = 0; k < PVFBT_STACK_RECS; k++) {
		st[k].ts = r->ts;
		st[k].probe_id = r->probe_id;
		st[k].cpu = r->cpu;
		st[k].flags = PVFBT_REC_STACK;
	}
	switch (variant) {
	case 1:
		return 0;
	case 2:
		st[0].nr = 2;
		st[0].more = 1;
		memcpy(st[0].pcs, pcs, 2 * sizeof(pcs[0]));
		st[1].nr = 0;
		st[1].more = 0;
		return 2;
	case 3:
		st[0].nr = 2;
		st[0].probe_id ^= 1;
		memcpy(st[0].pcs, pcs, 2 * sizeof(pcs[0]));
		return 1;
	case 4:
		st[0].nr = 200;
		return 1;
	}
	for (k = 0; k < nrec; k++) {
		int n = depth - k * PVFBT_STACK_PER_REC;

		if (n > PVFBT_STACK_PER_REC)
			n = PVFBT_STACK_PER_REC;
		st[k].nr = (uint16_t)n;
		st[k].more = (uint16_t)(nrec - 1 - k);
		memcpy(st[k].pcs, pcs + k * PVFBT_STACK_PER_REC,
		       n * sizeof(pcs[0]));
	}
	return nrec;
}

/* The string records of a SYSCALL entry (see the top): returns how many. */
static int make_strings(const struct pvfbt_record *r, long call,
			struct pvfbt_str_record *sr)
{
	uint32_t mask = sysflags[r->probe_id] >> PVFBT_ENABLE_STR_SHIFT;
	char buf[PVFBT_STR_MAX];
	int n = 0, k, a, total = 0;

	for (a = 0; a < 6; a++) {
		int32_t len;
		int parts;

		if (!(mask & (1u << a)))
			continue;
		memset(buf, 0, sizeof(buf));
		if (call % 5 == 4) {
			len = -EFAULT;
		} else if (call % 5 == 3) {
			memset(buf, 'y', sizeof(buf));
			buf[0] = '/';
			len = PVFBT_STR_MAX;
		} else {
			strcpy(buf, "/etc/passwd");
			len = (int32_t)strlen(buf);
		}
		parts = len <= 0 ? 1 : (len + PVFBT_STR_PER_REC - 1) / PVFBT_STR_PER_REC;
		for (k = 0; k < parts; k++, n++) {
			memset(&sr[n], 0, sizeof(sr[n]));
			sr[n].ts = r->ts;
			sr[n].probe_id = r->probe_id;
			sr[n].cpu = r->cpu;
			sr[n].flags = PVFBT_REC_STR;
			sr[n].arg = (uint8_t)a;
			sr[n].part = (uint8_t)k;
			sr[n].truncated = call % 5 == 3;
			sr[n].len = len;
			if (len > k * PVFBT_STR_PER_REC) {
				int m = len - k * PVFBT_STR_PER_REC;

				memcpy(sr[n].data, buf + k * PVFBT_STR_PER_REC,
				       m > PVFBT_STR_PER_REC ? PVFBT_STR_PER_REC : m);
			}
		}
	}
	total = n;
	for (k = 0; k < total; k++)
		sr[k].more = (uint8_t)(total - 1 - k);
	return total;
}

static void push_ip(int cpu, uint32_t id, uint64_t ts, uint64_t sp,
		    uint64_t a0, uint32_t tid, uint16_t flags, uint64_t ip,
		    long call, const uint64_t *args)
{
	struct pvfbt_record r;
	struct pvfbt_stack_record st[PVFBT_STACK_RECS];
	struct pvfbt_str_record sr[6 * PVFBT_STR_RECS];
	const void *slots[1 + 6 * PVFBT_STR_RECS + PVFBT_STACK_RECS];
	int n = 1, k, ns = 0;

	memset(&r, 0, sizeof(r));
	r.ts = ts;
	r.probe_id = id;
	r.cpu = cpu;
	r.flags = (id & 1 ? PVFBT_REC_RETURN : PVFBT_REC_ENTRY) | flags;
	r.pid = 4242;
	r.tid = tid;
	r.args[0] = a0;
	r.args[1] = id;
	if (args)
		memcpy(r.args, args, sizeof(r.args));
	r.sp = sp;
	r.ip = ip;
	memcpy(r.comm, "fake\"comm\\", 11);
	slots[0] = &r;
	if (!(id & 1) && (sysflags[id] & PVFBT_ENABLE_SYSCALL)) {
		r.flags |= PVFBT_REC_SYSCALL;
		memset(r.args, 0, sizeof(r.args));
		if (!strcmp(cat[id / 2].name, "__x64_sys_openat")) {
			r.args[0] = 0xffffff9cULL;	/* AT_FDCWD, an int */
			r.args[1] = 0x7ffd0000ULL + (uint64_t)call;
			r.args[2] = O_RDONLY | O_CLOEXEC;
		}
		ns = make_strings(&r, call, sr);
		if (ns)
			r.flags |= PVFBT_REC_STRINGS;
		for (k = 0; k < ns; k++)
			slots[n++] = &sr[k];
	}
	if ((id & 1) && !strcmp(cat[id / 2].name, "__x64_sys_openat"))
		r.args[0] = call % 3 ? 3 : (uint64_t)-2;
	if (stacked[id]) {
		int m;

		r.flags |= PVFBT_REC_STACKED;
		m = make_stack(&r, call, st);
		for (k = 0; k < m; k++)
			slots[n++] = &st[k];
	}
	publish(cpu, slots, n);
}

/* An entry at the entry site, a return at one of two return sites. */
static void push(int cpu, uint32_t id, uint64_t ts, uint64_t sp, uint64_t a0,
		 uint32_t tid, long call)
{
	uint64_t ip = FUNC_ADDR(id / 2) + (id & 1 ? 0x30 + 8 * (call % 2) : 4);

	push_ip(cpu, id, ts, sp, a0, tid, 0, ip, call, NULL);
}

static void mark(const char *env)
{
	const char *p = getenv(env);

	if (p && *p) {
		int fd = __real_open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (fd >= 0)
			__real_close(fd);
	}
}

static void *generator(void *arg)
{
	const char *c = getenv("FAKEDEV_CALLS");
	long calls = c ? atol(c) : 1000, i;
	uint32_t f;
	uint64_t last[NBASE] = { 0 };

	(void)arg;
	/* Function f is called by thread 4243 + f, one call after the other;
	 * each call takes (f + 1) microseconds minus a nanosecond, except
	 * the tail call below. */
	for (i = 0; i < calls && !gen_stop; i++)
		for (f = 0; f < NBASE && !gen_stop; f++) {
			uint64_t ts = now_ns();
			uint64_t sp = 0xffffc90000a3ff58ULL - f * 0x4000;
			int c0 = i % 2, c1 = (i + 1) % 2;

			if (f == TC_CALLEE)
				continue;	/* only tail-called */
			if (ts <= last[f])
				ts = last[f] + 1;
			if (f == TC_CALLER) {
				uint32_t a = 2 * TC_CALLER, b = 2 * TC_CALLEE;

				last[f] = ts + 1501;
				if (armed[a])
					push(c0, a, ts, sp, 0xffff888000001000ULL,
					     4243 + f, i);
				if (armed[a + 1])	/* jmp tc_callee */
					push_ip(c1, a + 1, ts + 500, sp,
						0xdeadbeef, 4243 + f,
						PVFBT_REC_TAILCALL,
						FUNC_ADDR(TC_CALLER) + 0x20, i,
						NULL);
				if (armed[b])
					push(c1, b, ts + 501, sp,
					     0xffff888000002000ULL, 4243 + f, i);
				if (armed[b + 1])
					push(c0, b + 1, ts + 1501, sp, i,
					     4243 + f, i);
				continue;
			}
			last[f] = ts + (f + 1) * 1000 - 1;
			if (armed[2 * f])
				push(c0, 2 * f, ts, sp, 0xffff888000001000ULL,
				     4243 + f, i);
			if (armed[2 * f + 1])
				push(c1, 2 * f + 1, last[f], sp, i, 4243 + f, i);
		}
	/* The typed functions, one call after the other. */
	for (i = 0; i < calls && !gen_stop && ntyped; i++)
		for (f = NBASE; f < NBASE + ntyped && !gen_stop; f++) {
			uint64_t ts = now_ns(), sp = 0xffffc90000b3ff58ULL;
			uint64_t ra[6] = { typed[f - NBASE].rax };

			if (armed[2 * f])
				push_ip(0, 2 * f, ts, sp, 0, 4300 + f - NBASE,
					0, FUNC_ADDR(f) + 4, i,
					typed[f - NBASE].args);
			if (armed[2 * f + 1])
				push_ip(1, 2 * f + 1, ts + 1000, sp, 0,
					4300 + f - NBASE, 0, FUNC_ADDR(f) + 0x30,
					i, ra);
		}
	mark("FAKEDEV_DONE_MARK");
	return NULL;
}

int __wrap_open(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;
	const char *e;

	va_start(ap, flags);
	mode = va_arg(ap, mode_t);
	va_end(ap);
	if (!strcmp(path, "/proc/kallsyms") && (e = getenv("FAKEDEV_KALLSYMS")))
		return __real_open(e, flags, mode);
	if (strcmp(path, PVFBT_DEVICE))
		return __real_open(path, flags, mode);
	e = getenv("FAKEDEV_ERRNO");
	if (e && atoi(e)) {
		errno = atoi(e);
		return -1;
	}
	fake_fd = eventfd(0, EFD_CLOEXEC);
	return fake_fd;
}

static int fake_ioctl(unsigned long req, void *arg)
{
	uint32_t i;

	catalogue_init();
	if (req == PVFBT_IOC_STATUS) {
		struct pvfbt_status *s = arg;
		const char *abi = getenv("FAKEDEV_ABI");
		uint32_t n = 0;

		if (s->size != sizeof(*s))
			return -EINVAL;
		for (i = 0; i < 2 * nfunc; i++)
			n += armed[i];
		memset(s, 0, sizeof(*s));
		s->size = sizeof(*s);
		s->abi_version = abi ? (uint32_t)atoi(abi) : PVFBT_ABI_VERSION;
		s->env = PVFBT_ENV_XEN_PV;
		s->nr_cpus = NCPU;
		s->record_size = RSIZE;
		s->ring_records = NREC;
		s->ring_mmap_size = MAPSZ;
		s->nr_funcs = nfunc;
		s->nr_armed = n;
		s->nr_slots_max = 128;
		s->text_batches = 3;
		s->text_alias_pages = 2841;
		s->text_pokes = 7;
		s->mem_tables = 3 << 20;
		s->nr_rings = nr_rings();
		s->mem_rings = (uint64_t)s->nr_rings * MAPSZ;
		strcpy(s->release, "6.1.0-fake");
		return 0;
	}
	if (req == PVFBT_IOC_LIST) {
		struct pvfbt_list *l = arg;
		struct pvfbt_func *out = (void *)(uintptr_t)l->funcs;

		if (l->size != sizeof(*l))
			return -EINVAL;
		l->count = 0;
		l->total = nfunc;
		/* two per call, to exercise paging (small catalogues) */
		for (i = l->start; i < nfunc && l->count < l->max &&
		     (nfunc > NBASE || l->count < 2); i++) {
			struct pvfbt_func *f = &out[l->count++];

			memset(f, 0, sizeof(*f));
			f->fid = i;
			f->addr = FUNC_ADDR(i);
			f->entry_addr = f->addr + 4;
			f->size = 64;
			f->entry_reason = cat[i].er;
			f->return_reason = cat[i].rr;
			f->nr_returns = 2;
			f->flags = (armed[2 * i] ? PVFBT_FUNC_ENTRY_ARMED : 0) |
				   (armed[2 * i + 1] ? PVFBT_FUNC_RETURN_ARMED : 0);
			/* ABI 7: how returns are reached (ext4's: some trap) */
			if (!cat[i].rr)
				f->flags |= PVFBT_FUNC_RET_JUMPS |
					    (strcmp(cat[i].mod, "ext4") ? 0 : PVFBT_FUNC_RET_TRAPS);
			memcpy(f->module, cat[i].mod, sizeof(f->module));
			memcpy(f->name, cat[i].name, sizeof(f->name));
		}
		return 0;
	}
	if (req == PVFBT_IOC_ENABLE || req == PVFBT_IOC_DISABLE) {
		struct pvfbt_enable *e = arg;
		const uint32_t *ids = (const void *)(uintptr_t)e->ids;
		int on = req == PVFBT_IOC_ENABLE;

		if (e->size != sizeof(*e))
			return -EINVAL;
		if (on ? e->flags & ~(uint32_t)(PVFBT_ENABLE_STACK |
						PVFBT_ENABLE_SYSCALL |
						PVFBT_ENABLE_STRINGS) : e->flags)
			return -EINVAL;
		if ((e->flags & PVFBT_ENABLE_STRINGS) &&
		    !(e->flags & PVFBT_ENABLE_SYSCALL))
			return -EINVAL;
		for (i = 0; i < e->count; i++) {
			uint32_t id = ids[i];

			if (id >= 2 * nfunc || (id & 1 ? cat[id / 2].rr :
						cat[id / 2].er))
				return -EINVAL;
			if ((e->flags & PVFBT_ENABLE_SYSCALL) &&
			    ((id & 1) || strncmp(cat[id / 2].name, "__x64_sys_", 10)))
				return -EINVAL;
		}
		if (!on && gen_running) {
			gen_stop = 1;
			pthread_join(gen, NULL);
			gen_running = 0;
		}
		e->done = 0;
		for (i = 0; i < e->count; i++) {
			e->done += armed[ids[i]] != on;
			armed[ids[i]] = on;
			stacked[ids[i]] = on && (e->flags & PVFBT_ENABLE_STACK);
			sysflags[ids[i]] = on ? e->flags & ~(uint32_t)PVFBT_ENABLE_STACK : 0;
		}
		claim();
		if (on && !cpu_online[1]) {
			cpu_online[1] = 1;	/* comes online: gets a ring */
			announce_rings();
		}
		if (on) {
			mark("FAKEDEV_ENABLE_MARK");
			gen_pending = !gen_running;
		} else {
			gen_pending = 0;
		}
		return 0;
	}
	if (req == PVFBT_IOC_STATS) {
		struct pvfbt_stats *s = arg;
		struct pvfbt_cpu_stats *cs = (void *)(uintptr_t)s->cpus;
		const char *d = getenv("FAKEDEV_DROPS");

		if (s->size != sizeof(*s))
			return -EINVAL;
		if (s->nr_cpus > NCPU)
			s->nr_cpus = NCPU;
		for (i = 0; i < s->nr_cpus; i++) {
			memset(&cs[i], 0, sizeof(cs[i]));
			cs[i].hits = hits[i];
			cs[i].records = hits[i];
			cs[i].drops = d ? atoi(d) : 0;
			cs[i].missed_steps = i;
			cs[i].boosted = hits[i];
		}
		return 0;
	}
	if (req == PVFBT_IOC_CONSUME) {
		struct pvfbt_consume *c = arg;
		const uint64_t *t = (const void *)(uintptr_t)c->tails;

		if (c->size != sizeof(*c) || c->nr_cpus > NCPU)
			return -EINVAL;
		claim();
		for (i = 0; i < c->nr_cpus; i++) {
			struct pvfbt_ring_header *h = ring(i);

			if (t[i] > h->head || t[i] < h->tail)
				return -EINVAL;
			__atomic_store_n(&h->tail, t[i], __ATOMIC_RELEASE);
		}
		return 0;
	}
	if (req == PVFBT_IOC_FILTER) {
		struct pvfbt_filter *f = arg;

		if (f->size != sizeof(*f))
			return -EINVAL;
		claim();
		filter = *f;
		if (filter.pid || filter.comm[0])
			fprintf(stderr, "fakedev: filter pid %u comm '%.16s'\n",
				filter.pid, filter.comm);
		return 0;
	}
	return -ENOTTY;
}

int __wrap_ioctl(int fd, unsigned long req, void *arg)
{
	int r;

	if (fd != fake_fd || fd < 0)
		return __real_ioctl(fd, req, arg);
	r = fake_ioctl(req, arg);
	if (r < 0) {
		errno = -r;
		return -1;
	}
	return r;
}

void *__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd,
		  off_t off)
{
	if (fd != fake_fd || fd < 0)
		return __real_mmap(addr, len, prot, flags, fd, off);
	if (len != MAPSZ || off % MAPSZ || off / MAPSZ >= NCPU ||
	    (prot & PROT_WRITE) || !(flags & MAP_SHARED)) {
		errno = EINVAL;
		return MAP_FAILED;
	}
	if (!session) {
		errno = EBADFD;
		return MAP_FAILED;
	}
	if (!cpu_online[off / MAPSZ]) {
		errno = ENXIO;
		return MAP_FAILED;
	}
	return ring(off / MAPSZ);
}

int __wrap_munmap(void *addr, size_t len)
{
	for (int i = 0; i < NCPU; i++)
		if (addr == rings[i])
			return 0;
	return __real_munmap(addr, len);
}

int __wrap_poll(struct pollfd *fds, nfds_t n, int timeout)
{
	nfds_t i;
	int ready = 0, r;

	for (i = 0; i < n; i++)
		if (fds[i].fd == fake_fd && fake_fd >= 0)
			break;
	if (i == n)
		return __real_poll(fds, n, timeout);
	if (gen_pending) {	/* every ENABLE of the consumer is in */
		gen_pending = 0;
		gen_stop = 0;
		gen_running = 1;
		pthread_create(&gen, NULL, generator, NULL);
	}
	fds[i].fd = -1;	/* the real poll ignores it */
	r = __real_poll(fds, n, timeout > 5 ? 5 : timeout);
	fds[i].fd = fake_fd;
	fds[i].revents = 0;
	for (int c = 0; c < NCPU; c++) {
		struct pvfbt_ring_header *h = ring(c);

		if (__atomic_load_n(&h->head, __ATOMIC_ACQUIRE) != h->tail)
			ready = 1;
	}
	if (ready)
		fds[i].revents = POLLIN;
	if (r < 0)
		return r;
	return r + ready;
}

int __wrap_close(int fd)
{
	if (fd == fake_fd && fd >= 0) {
		if (gen_running) {
			gen_stop = 1;
			pthread_join(gen, NULL);
			gen_running = 0;
		}
		if (armed)
			memset(armed, 0, 2 * nfunc);
		fake_fd = -1;
	}
	return __real_close(fd);
}
