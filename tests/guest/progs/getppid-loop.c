// SPDX-License-Identifier: GPL-2.0
/* getppid-loop N: exactly N getppid system calls (libc cannot cache them). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char *end;
	long n, i;

	if (argc != 2) {
		fprintf(stderr, "usage: getppid-loop N\n");
		return 2;
	}
	errno = 0;
	n = strtol(argv[1], &end, 10);
	if (errno || end == argv[1] || *end || n < 0) {
		fprintf(stderr, "getppid-loop: bad count '%s'\n", argv[1]);
		return 2;
	}
	for (i = 0; i < n; i++)
		syscall(SYS_getppid);
	return 0;
}
