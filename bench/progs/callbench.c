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
 */
#include <errno.h>
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

static void loop_read(long n)
{
	char c;

	for (long i = 0; i < n; i++)
		if (syscall(SYS_read, fd, &c, 1) != 1) {
			perror("callbench: read /dev/zero");
			exit(1);
		}
}

int main(int argc, char **argv)
{
	void (*loop)(long);
	long n, reps;
	char *end;

	if (argc != 4) {
		fprintf(stderr, "usage: callbench getppid|read N REPS\n");
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
	for (long r = 0; r < reps; r++) {
		unsigned long long t0 = now_ns(), t1;

		loop(n);
		t1 = now_ns();
		printf("callbench %s %ld %.1f\n", argv[1], n, (double)(t1 - t0) / n);
		fflush(stdout);
	}
	return 0;
}
