// SPDX-License-Identifier: GPL-2.0
/*
 * ioctl-fuzz [ITERATIONS [SEED]]: open /dev/pvfbt and issue random ioctls
 * (known and unknown numbers, good and bad sizes, pointers to kernel
 * addresses, unmapped and non-canonical addresses, NULL, buffers that run
 * into a guard page) from 4 threads, ITERATIONS each (default 10000), with
 * a fixed seed (default 1).  Prints how often each errno came back.  Exits
 * 0 unless an unknown ioctl number succeeded (or the device cannot be
 * opened); the point is that the kernel survives.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pvfbt.h"

#define NTHREADS	4
#define ARENA		(1 << 20)
#define MAXERR		4096

static int fd;
static long iterations = 10000;
static unsigned long seed = 1;
static unsigned char *arena;		/* ARENA bytes, then a PROT_NONE page */
static uintptr_t freed_page;
static long page;

static const unsigned long known[] = {
	PVFBT_IOC_STATUS, PVFBT_IOC_LIST, PVFBT_IOC_ENABLE, PVFBT_IOC_DISABLE,
	PVFBT_IOC_STATS, PVFBT_IOC_CONSUME, PVFBT_IOC_FILTER,
};
#define NKNOWN	(sizeof(known) / sizeof(known[0]))

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long err_count[MAXERR];
static unsigned long successes, unexpected, calls;

static uint64_t rnd(uint64_t *s)
{
	/* splitmix64 */
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A pointer the kernel may be handed: never one into our live memory
 * other than the scratch arena. */
static uint64_t bad_ptr(uint64_t *s)
{
	switch (rnd(s) % 9) {
	case 0:
		return 0;
	case 1:
		return 0xffffffff81000000ULL + (rnd(s) & 0xffffff);	/* text */
	case 2:
		return 0xffff888000000000ULL + (rnd(s) & 0xfffffff);	/* map */
	case 3:
		return 0x1000 + (rnd(s) & 0xfff);		/* low, unmapped */
	case 4:
		return freed_page + (rnd(s) % page);
	case 5:
		return 0x8000000000000000ULL | rnd(s);	/* non-canonical */
	case 6:	/* the end of the arena, running into the guard page */
		return (uintptr_t)arena + ARENA - (rnd(s) % 64);
	default:
		return (uintptr_t)arena + (rnd(s) % (ARENA - 4096));
	}
}

static uint32_t rnd_size(uint64_t *s, uint32_t good)
{
	switch (rnd(s) % 6) {
	case 0:
		return 0;
	case 1:
		return good + 1 + rnd(s) % 64;
	case 2:
		return good - 1 - rnd(s) % (good ? good : 1);
	case 3:
		return (uint32_t)rnd(s);
	default:
		return good;
	}
}

static uint32_t rnd_count(uint64_t *s)
{
	switch (rnd(s) % 4) {
	case 0:
		return (uint32_t)rnd(s);
	case 1:
		return rnd(s) % 4;
	default:
		return rnd(s) % 64;
	}
}

/* Fill an argument structure for a known ioctl, with random contents. */
static void *make_arg(uint64_t *s, unsigned long cmd, unsigned char *buf)
{
	size_t i;

	for (i = 0; i < 512; i++)
		buf[i] = (unsigned char)rnd(s);
	/*
	 * The whole argument at a bad address: never one in the arena, whose
	 * contents (earlier kernel output) would hand the kernel nested
	 * pointers we do not control, into our own stacks and heap.
	 */
	if (rnd(s) % 8 == 0) {
		uint64_t p;

		do
			p = bad_ptr(s);
		while (p >= (uintptr_t)arena && p < (uintptr_t)arena + ARENA + page);
		return (void *)(uintptr_t)p;
	}
	if (cmd == PVFBT_IOC_STATUS) {
		struct pvfbt_status *a = (void *)buf;

		a->size = rnd_size(s, sizeof(*a));
	} else if (cmd == PVFBT_IOC_LIST) {
		struct pvfbt_list *a = (void *)buf;

		a->size = rnd_size(s, sizeof(*a));
		a->max = rnd_count(s);
		a->start = rnd(s) % 2 ? rnd(s) % 100000 : (uint32_t)rnd(s);
		a->funcs = bad_ptr(s);
	} else if (cmd == PVFBT_IOC_ENABLE || cmd == PVFBT_IOC_DISABLE) {
		struct pvfbt_enable *a = (void *)buf;
		uint32_t *ids;

		a->size = rnd_size(s, sizeof(*a));
		a->count = rnd_count(s);
		a->ids = bad_ptr(s);
		if ((uintptr_t)a->ids >= (uintptr_t)arena &&
		    (uintptr_t)a->ids + 64 * 4 <= (uintptr_t)arena + ARENA &&
		    rnd(s) % 2) {
			ids = (uint32_t *)(uintptr_t)(a->ids & ~3ULL);
			a->ids = (uintptr_t)ids;
			for (i = 0; i < 64; i++)
				ids[i] = rnd(s) % 2 ? rnd(s) % 4096 :
						      (uint32_t)rnd(s);
		}
	} else if (cmd == PVFBT_IOC_STATS) {
		struct pvfbt_stats *a = (void *)buf;

		a->size = rnd_size(s, sizeof(*a));
		a->nr_cpus = rnd_count(s);
		a->cpus = bad_ptr(s);
	} else if (cmd == PVFBT_IOC_CONSUME) {
		struct pvfbt_consume *a = (void *)buf;

		a->size = rnd_size(s, sizeof(*a));
		a->nr_cpus = rnd_count(s);
		a->tails = bad_ptr(s);
	} else if (cmd == PVFBT_IOC_FILTER) {
		struct pvfbt_filter *a = (void *)buf;

		a->size = rnd_size(s, sizeof(*a));
		if (rnd(s) % 2)
			a->pid = 0;
	}
	return buf;
}

static void *worker(void *p)
{
	uint64_t s = seed * 1000003ULL + (uintptr_t)p;
	unsigned char buf[512] __attribute__((aligned(8)));
	unsigned long errs[MAXERR] = { 0 }, ok = 0, bad = 0;
	long it;

	for (it = 0; it < iterations; it++) {
		unsigned long cmd;
		void *arg;
		int known_cmd = 1, r;
		size_t k;

		switch (rnd(&s) % 4) {
		case 0:	/* a known number with another size or direction */
			cmd = known[rnd(&s) % NKNOWN];
			cmd = _IOC(rnd(&s) % 4, _IOC_TYPE(cmd), _IOC_NR(cmd),
				   rnd(&s) % 1024);
			break;
		case 1:	/* anything, often with our magic */
			cmd = (uint32_t)rnd(&s);
			if (rnd(&s) % 2)
				cmd = (cmd & ~(0xffUL << _IOC_TYPESHIFT)) |
				      ((unsigned long)PVFBT_IOC_MAGIC << _IOC_TYPESHIFT);
			break;
		default:
			cmd = known[rnd(&s) % NKNOWN];
		}
		for (k = 0, known_cmd = 0; k < NKNOWN; k++)
			if (cmd == known[k])
				known_cmd = 1;
		if (known_cmd)
			arg = make_arg(&s, cmd, buf);
		else
			arg = (void *)(uintptr_t)(rnd(&s) % 2 ? bad_ptr(&s) :
						  (uintptr_t)buf);
		r = ioctl(fd, cmd, arg);
		if (r >= 0) {
			ok++;
			if (!known_cmd) {
				bad++;
				fprintf(stderr, "ioctl-fuzz: unknown ioctl "
					"0x%lx succeeded\n", cmd);
			}
		} else {
			errs[errno < MAXERR ? errno : 0]++;
		}
	}
	pthread_mutex_lock(&lock);
	for (it = 0; it < MAXERR; it++)
		err_count[it] += errs[it];
	successes += ok;
	unexpected += bad;
	calls += iterations;
	pthread_mutex_unlock(&lock);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t th[NTHREADS];
	const char *dev;
	void *fp;
	long i;

	if (argc > 1)
		iterations = strtol(argv[1], NULL, 0);
	if (argc > 2)
		seed = strtoul(argv[2], NULL, 0);
	if (iterations < 0 || argc > 3) {
		fprintf(stderr, "usage: ioctl-fuzz [ITERATIONS [SEED]]\n");
		return 2;
	}
	page = sysconf(_SC_PAGESIZE);
	arena = mmap(NULL, ARENA + page, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	fp = mmap(NULL, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (arena == MAP_FAILED || fp == MAP_FAILED) {
		perror("ioctl-fuzz: mmap");
		return 1;
	}
	mprotect(arena + ARENA, page, PROT_NONE);
	/*
	 * Inaccessible but still reserved: an unmapped page would be reused
	 * by the threads' stacks or malloc arenas, and the kernel would then
	 * write fuzzed results into our own live memory.
	 */
	mprotect(fp, page, PROT_NONE);
	freed_page = (uintptr_t)fp;

	/* IOCTL_FUZZ_DEVICE: another node, to try the fuzzer itself. */
	dev = getenv("IOCTL_FUZZ_DEVICE");
	if (!dev || !dev[0])
		dev = PVFBT_DEVICE;
	fd = open(dev, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "ioctl-fuzz: %s: %s\n", dev, strerror(errno));
		return 1;
	}
	for (i = 0; i < NTHREADS; i++)
		if (pthread_create(&th[i], NULL, worker, (void *)i)) {
			fprintf(stderr, "ioctl-fuzz: pthread_create failed\n");
			return 1;
		}
	for (i = 0; i < NTHREADS; i++)
		pthread_join(th[i], NULL);
	close(fd);

	printf("ioctl-fuzz: %lu calls, seed %lu, %d threads\n", calls, seed,
	       NTHREADS);
	printf("  success: %lu (unknown ioctls: %lu)\n", successes, unexpected);
	for (i = 0; i < MAXERR; i++)
		if (err_count[i]) {
			const char *n = strerrorname_np((int)i);

			printf("  %s: %lu\n", n ? n : "E?", err_count[i]);
		}
	return unexpected ? 1 : 0;
}
