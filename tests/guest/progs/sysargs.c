// SPDX-License-Identifier: GPL-2.0
/*
 * sysargs MODE: one openat(2) whose path argument is what MODE says, for
 * the test of system call decoding (t_syscall_args).  Prints the return
 * value or the errno name as "ret=N" / "errno=NAME".
 *   long N      "/tmp/" then N 'x': longer than a name may be
 *   badptr      the path pointer is 8: not mapped
 *   untouched   a fresh anonymous page never touched: the module's copy,
 *               which cannot fault, fails; the kernel's own faults it in
 *               and finds the empty path
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	const char *path;
	long r;

	if (argc >= 3 && !strcmp(argv[1], "long")) {
		long n = atol(argv[2]);
		char *p = malloc(n + 6);

		if (n < 1 || !p)
			return 2;
		memcpy(p, "/tmp/", 5);
		memset(p + 5, 'x', n);
		p[n + 5] = '\0';
		path = p;
	} else if (argc == 2 && !strcmp(argv[1], "badptr")) {
		path = (const char *)8;
	} else if (argc == 2 && !strcmp(argv[1], "untouched")) {
		void *m = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (m == MAP_FAILED)
			return 2;
		path = m;
	} else {
		fprintf(stderr, "usage: sysargs long N | badptr | untouched\n");
		return 2;
	}
	r = syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC, 0);
	if (r < 0)
		printf("errno=%s\n", strerrorname_np(errno));
	else
		printf("ret=%ld\n", r);
	return 0;
}
