// SPDX-License-Identifier: GPL-2.0
/*
 * workload PROCS ITERS: a mixed system-call load for the stress tests.
 * Forks PROCS processes; each runs ITERS rounds of getppid, getpid, read of
 * /dev/zero, write to /dev/null, stat, openat/close, lseek and uname, through
 * syscall() so that libc cannot cache or elide any of them.  Prints the
 * number of system calls made in all: "syscalls=N".
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#define PER_ROUND 9

static void run(long iters)
{
	char buf[64];
	struct stat st;
	struct utsname u;
	int z = open("/dev/zero", O_RDONLY), n = open("/dev/null", O_WRONLY);
	long i;

	if (z < 0 || n < 0)
		_exit(2);
	for (i = 0; i < iters; i++) {
		int fd;

		syscall(SYS_getppid);
		syscall(SYS_getpid);
		syscall(SYS_read, z, buf, sizeof(buf));
		syscall(SYS_write, n, buf, sizeof(buf));
		syscall(SYS_newfstatat, AT_FDCWD, "/", &st, 0);
		fd = syscall(SYS_openat, AT_FDCWD, "/dev/null", O_RDONLY);
		syscall(SYS_lseek, z, 0, SEEK_SET);
		syscall(SYS_uname, &u);
		syscall(SYS_close, fd);
	}
	_exit(0);
}

int main(int argc, char **argv)
{
	long procs, iters, i, bad = 0;
	int st;

	if (argc != 3) {
		fprintf(stderr, "usage: workload PROCS ITERS\n");
		return 2;
	}
	procs = atol(argv[1]);
	iters = atol(argv[2]);
	for (i = 0; i < procs; i++) {
		pid_t p = fork();

		if (p < 0)
			return 1;
		if (!p)
			run(iters);
	}
	while (wait(&st) > 0)
		bad += !WIFEXITED(st) || WEXITSTATUS(st);
	printf("syscalls=%ld\n", procs * iters * PER_ROUND);
	return bad ? 1 : 0;
}
