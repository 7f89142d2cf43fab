// SPDX-License-Identifier: GPL-2.0
/*
 * callbench getppid|read N REPS: time N system calls, REPS times.
 *
 *   getppid  the cheapest system call there is (__x64_sys_getppid).
 *   read     read(2) of 1 byte from /dev/zero: one call of vfs_read, a
 *            mid-sized function (fdget, rw_verify_area, ->read_iter, fsnotify)
 *            with no page cache, no path walk and no locks to contend on.
 *
 * A warm-up of N/10 calls comes first.  One line per repetition:
 *   callbench WHAT N NS_PER_CALL
 * timed with CLOCK_MONOTONIC around the loop.
 *
 * callbench WHAT N REPS paired: each repetition is CHUNKS pairs of runs of
 * N/(2 CHUNKS) calls, one of WHAT and one of getpid(2), the reference (in
 * the order ABBA..., so a steady drift weighs on both alike), and its
 * figure is 1000 x the median over the pairs of WHAT's time / getpid's
 * time: WHAT's cost in thousandths of a getpid call, measured a few
 * milliseconds apart.  A host that slows the guest down for seconds (TCG,
 * another guest) slows both runs of a pair alike, and the median drops the
 * pairs it cut through.  getpid is not probed by any configuration.
 *   callbench WHAT N MILLI_GETPID
 */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static int fd = -1;

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void loop_getppid(long n)
{
	for (long i = 0; i < n; i++)
		syscall(SYS_getppid);
}

static void loop_getpid(long n)
{
	for (long i = 0; i < n; i++)
		syscall(SYS_getpid);
}

static void loop_read(long n)
{
	char c;

	for (long i = 0; i < n; i++)
		if (syscall(SYS_read, fd, &c, 1) != 1) {
			perror("callbench: read /dev/zero");
			exit(1);
		}
}

#define CHUNKS	40

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* 1000 x the median of CHUNKS ratios loop(c) / getpid(c), c = n / (2 CHUNKS). */
static double paired(void (*loop)(long), long n)
{
	long c = n / (2 * CHUNKS) > 0 ? n / (2 * CHUNKS) : 1;
	double r[CHUNKS];

	for (int i = 0; i < CHUNKS; i++) {
		unsigned long long t0, t1, t2;

		t0 = now_ns();
		(i & 1 ? loop_getpid : loop)(c);
		t1 = now_ns();
		(i & 1 ? loop : loop_getpid)(c);
		t2 = now_ns();
		r[i] = i & 1 ? (double)(t2 - t1) / (t1 - t0) : (double)(t1 - t0) / (t2 - t1);
	}
	qsort(r, CHUNKS, sizeof(r[0]), cmp_double);
	return 1000 * (r[CHUNKS / 2 - 1] + r[CHUNKS / 2]) / 2;
}

int main(int argc, char **argv)
{
	bool pair = false;
	void (*loop)(long);
	long n, reps;
	char *end;

	if (argc == 5 && !strcmp(argv[4], "paired"))
		pair = true;
	else if (argc != 4) {
		fprintf(stderr, "usage: callbench getppid|read N REPS [paired]\n");
		return 2;
	}
	if (!strcmp(argv[1], "getppid")) {
		loop = loop_getppid;
	} else if (!strcmp(argv[1], "read")) {
		loop = loop_read;
		fd = open("/dev/zero", O_RDONLY);
		if (fd < 0) {
			perror("callbench: /dev/zero");
			return 1;
		}
	} else {
		fprintf(stderr, "callbench: unknown call '%s'\n", argv[1]);
		return 2;
	}
	errno = 0;
	n = strtol(argv[2], &end, 10);
	if (errno || *end || n <= 0)
		return fprintf(stderr, "callbench: bad N\n"), 2;
	reps = strtol(argv[3], &end, 10);
	if (errno || *end || reps <= 0)
		return fprintf(stderr, "callbench: bad REPS\n"), 2;

	loop(n / 10 + 1);
	for (long r = 0; r < reps && pair; r++) {
		printf("callbench %s %ld %.1f\n", argv[1], n, paired(loop, n));
		fflush(stdout);
	}
	for (long r = 0; r < reps && !pair; r++) {
		unsigned long long t0 = now_ns(), t1;

		loop(n);
		t1 = now_ns();
		printf("callbench %s %ld %.1f\n", argv[1], n, (double)(t1 - t0) / n);
		fflush(stdout);
	}
	return 0;
}
