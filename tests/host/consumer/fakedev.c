// SPDX-License-Identifier: GPL-2.0
/*
 * A fake /dev/pvfbt inside the consumer's own process, for end-to-end tests
 * of userspace/pvfbt.c without the module: linked with
 * -Wl,--wrap=open,--wrap=ioctl,--wrap=mmap,--wrap=munmap,--wrap=poll,--wrap=close.
 *
 * The fake has 2 CPUs with rings of 64 records and a small catalogue.  On
 * ENABLE a thread plays FAKEDEV_CALLS (default 1000) calls of every enabled
 * function: the entry on one CPU, the return on the other (a migration),
 * waiting for ring space like a patient module.  When done it creates the
 * file FAKEDEV_DONE_MARK if set.  Other knobs: FAKEDEV_ERRNO (open fails
 * with it), FAKEDEV_ABI (abi_version), FAKEDEV_ENABLE_MARK (file created at
 * ENABLE), FAKEDEV_DROPS (per-CPU drops reported by STATS).
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
} cat[] = {
	{ "vmlinux", "__x64_sys_getppid", 0, 0 },
	{ "vmlinux", "vfs_read", 0, 0 },
	{ "vmlinux", "vfs_write", 0, PVFBT_EXCL_NO_RETURN },
	{ "vmlinux", "do_int3", PVFBT_EXCL_TRAP_PATH, PVFBT_EXCL_TRAP_PATH },
	{ "vmlinux", "__x64_sys_read", 0, 0 },
	{ "ext4", "ext4_file_read_iter", 0, 0 },
};
#define NFUNC	(sizeof(cat) / sizeof(cat[0]))

static int fake_fd = -1;
static void *rings[NCPU];
static unsigned char armed[2 * NFUNC];
static pthread_t gen;
static int gen_running;
static volatile int gen_stop;
static uint64_t hits[NCPU];
static struct pvfbt_filter filter;

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

static void push(int cpu, uint32_t id, uint64_t ts, uint64_t sp, uint64_t a0,
		 uint32_t tid)
{
	struct pvfbt_ring_header *h = ring(cpu);
	struct pvfbt_record *r;
	uint64_t head = h->head;

	while (head - __atomic_load_n(&h->tail, __ATOMIC_ACQUIRE) >= NREC) {
		if (gen_stop)
			return;
		usleep(200);
	}
	r = (void *)((char *)h + 4096 + (head & (NREC - 1)) * RSIZE);
	memset(r, 0, sizeof(*r));
	r->ts = ts;
	r->probe_id = id;
	r->cpu = cpu;
	r->flags = id & 1 ? PVFBT_REC_RETURN : PVFBT_REC_ENTRY;
	r->pid = 4242;
	r->tid = tid;
	r->args[0] = a0;
	r->args[1] = id;
	r->sp = sp;
	r->ip = 0xffffffff81000000ULL + id;
	memcpy(r->comm, "fake\"comm\\", 11);
	hits[cpu]++;
	__atomic_store_n(&h->head, head + 1, __ATOMIC_RELEASE);
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
	uint64_t last[NFUNC] = { 0 };

	(void)arg;
	/* Function f is called by thread 4243 + f, one call after the other;
	 * each call takes (f + 1) microseconds minus a nanosecond. */
	for (i = 0; i < calls && !gen_stop; i++)
		for (f = 0; f < NFUNC && !gen_stop; f++) {
			uint64_t ts = now_ns();
			uint64_t sp = 0xffffc90000a3ff58ULL - f * 0x4000;

			if (ts <= last[f])
				ts = last[f] + 1;
			last[f] = ts + (f + 1) * 1000 - 1;
			if (armed[2 * f])
				push(i % 2, 2 * f, ts, sp, 0xffff888000001000ULL,
				     4243 + f);
			if (armed[2 * f + 1])
				push((i + 1) % 2, 2 * f + 1, last[f], sp, i,
				     4243 + f);
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

	if (req == PVFBT_IOC_STATUS) {
		struct pvfbt_status *s = arg;
		const char *abi = getenv("FAKEDEV_ABI");
		uint32_t n = 0;

		if (s->size != sizeof(*s))
			return -EINVAL;
		for (i = 0; i < 2 * NFUNC; i++)
			n += armed[i];
		memset(s, 0, sizeof(*s));
		s->size = sizeof(*s);
		s->abi_version = abi ? (uint32_t)atoi(abi) : PVFBT_ABI_VERSION;
		s->env = PVFBT_ENV_XEN_PV;
		s->nr_cpus = NCPU;
		s->record_size = RSIZE;
		s->ring_records = NREC;
		s->ring_mmap_size = MAPSZ;
		s->nr_funcs = NFUNC;
		s->nr_armed = n;
		s->nr_slots_max = 128;
		strcpy(s->release, "6.1.0-fake");
		return 0;
	}
	if (req == PVFBT_IOC_LIST) {
		struct pvfbt_list *l = arg;
		struct pvfbt_func *out = (void *)(uintptr_t)l->funcs;

		if (l->size != sizeof(*l))
			return -EINVAL;
		l->count = 0;
		l->total = NFUNC;
		/* two per call, to exercise paging */
		for (i = l->start; i < NFUNC && l->count < l->max &&
		     l->count < 2; i++) {
			struct pvfbt_func *f = &out[l->count++];

			memset(f, 0, sizeof(*f));
			f->fid = i;
			f->addr = f->entry_addr = 0xffffffff81000000ULL + i * 64;
			f->size = 64;
			f->entry_reason = cat[i].er;
			f->return_reason = cat[i].rr;
			f->nr_returns = 1;
			f->flags = (armed[2 * i] ? PVFBT_FUNC_ENTRY_ARMED : 0) |
				   (armed[2 * i + 1] ? PVFBT_FUNC_RETURN_ARMED : 0);
			strcpy(f->module, cat[i].mod);
			strcpy(f->name, cat[i].name);
		}
		return 0;
	}
	if (req == PVFBT_IOC_ENABLE || req == PVFBT_IOC_DISABLE) {
		struct pvfbt_enable *e = arg;
		const uint32_t *ids = (const void *)(uintptr_t)e->ids;
		int on = req == PVFBT_IOC_ENABLE;

		if (e->size != sizeof(*e))
			return -EINVAL;
		for (i = 0; i < e->count; i++) {
			uint32_t id = ids[i];

			if (id >= 2 * NFUNC || (id & 1 ? cat[id / 2].rr :
						cat[id / 2].er))
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
		}
		if (on) {
			mark("FAKEDEV_ENABLE_MARK");
			gen_stop = 0;
			gen_running = 1;
			pthread_create(&gen, NULL, generator, NULL);
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
		}
		return 0;
	}
	if (req == PVFBT_IOC_CONSUME) {
		struct pvfbt_consume *c = arg;
		const uint64_t *t = (const void *)(uintptr_t)c->tails;

		if (c->size != sizeof(*c) || c->nr_cpus > NCPU)
			return -EINVAL;
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
		memset(armed, 0, sizeof(armed));
		fake_fd = -1;
	}
	return __real_close(fd);
}
