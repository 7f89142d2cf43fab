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
 *   badflags    PVFBT_IOC_ENABLE with system call flags the module must
 *               refuse (EINVAL, nothing armed), then one it must take;
 *               prints "badflags ok" or what went wrong
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "pvfbt.h"

static int find(const struct pvfbt_func *f, unsigned n, const char *name)
{
	unsigned i;

	for (i = 0; i < n; i++)
		if (!strcmp(f[i].module, "vmlinux") && !strcmp(f[i].name, name))
			return (int)f[i].fid;
	return -1;
}

static int enable(int fd, unsigned long req, const uint32_t *ids, unsigned n,
		  uint32_t flags)
{
	struct pvfbt_enable en = {
		.size = sizeof(en), .count = n, .ids = (uintptr_t)ids,
		.flags = flags,
	};

	return ioctl(fd, req, &en) ? -errno : 0;
}

static unsigned armed(int fd)
{
	struct pvfbt_status st = { .size = sizeof(st) };

	return ioctl(fd, PVFBT_IOC_STATUS, &st) ? ~0u : st.nr_armed;
}

static int badflags(void)
{
	static struct pvfbt_func f[4096];
	struct pvfbt_list l = { .size = sizeof(l), .max = 4096,
				.funcs = (uintptr_t)f };
	int fd = open(PVFBT_DEVICE, O_RDWR), o = -1, r = -1, bad = 0;
	uint32_t ids[2];
	const uint32_t SYS = PVFBT_ENABLE_SYSCALL, STR1 = PVFBT_ENABLE_STRING(1);

	do {
		if (fd < 0 || ioctl(fd, PVFBT_IOC_LIST, &l)) {
			perror("sysargs: " PVFBT_DEVICE);
			return 1;
		}
		if (o < 0)
			o = find(f, l.count, "__x64_sys_openat");
		if (r < 0)
			r = find(f, l.count, "vfs_read");
		l.start += l.count;
	} while (l.count && l.start < l.total);
	if (o < 0 || r < 0) {
		fprintf(stderr, "sysargs: no __x64_sys_openat or vfs_read\n");
		return 1;
	}
#define EXPECT(cond, what) do { if (!(cond)) { \
		fprintf(stderr, "sysargs: %s\n", what); bad = 1; } } while (0)
	ids[0] = 2 * r;
	EXPECT(enable(fd, PVFBT_IOC_ENABLE, ids, 1, SYS) == -EINVAL,
	       "SYSCALL on vfs_read taken");
	ids[0] = 2 * o + 1;
	EXPECT(enable(fd, PVFBT_IOC_ENABLE, ids, 1, SYS) == -EINVAL,
	       "SYSCALL on a return probe taken");
	ids[0] = 2 * o;
	EXPECT(enable(fd, PVFBT_IOC_ENABLE, ids, 1, STR1) == -EINVAL,
	       "a string without SYSCALL taken");
	EXPECT(enable(fd, PVFBT_IOC_ENABLE, ids, 1, SYS | (1u << 20)) == -EINVAL,
	       "an unknown flag taken");
	ids[1] = 2 * r;
	EXPECT(enable(fd, PVFBT_IOC_ENABLE, ids, 2, SYS | STR1) == -EINVAL,
	       "SYSCALL on openat and vfs_read taken");
	EXPECT(armed(fd) == 0, "a refused enable armed something");
	EXPECT(enable(fd, PVFBT_IOC_ENABLE, ids, 1, SYS | STR1) == 0,
	       "SYSCALL with a string on openat refused");
	EXPECT(armed(fd) == 1, "openat not armed");
	EXPECT(enable(fd, PVFBT_IOC_DISABLE, ids, 1, SYS) == -EINVAL,
	       "DISABLE with flags taken");
	EXPECT(enable(fd, PVFBT_IOC_DISABLE, ids, 1, 0) == 0, "DISABLE refused");
	EXPECT(armed(fd) == 0, "openat still armed");
	close(fd);
	if (!bad)
		printf("badflags ok\n");
	return bad;
}

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
	} else if (argc == 2 && !strcmp(argv[1], "badflags")) {
		return badflags();
	} else {
		fprintf(stderr, "usage: sysargs long N | badptr | untouched | badflags\n");
		return 2;
	}
	r = syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC, 0);
	if (r < 0)
		printf("errno=%s\n", strerrorname_np(errno));
	else
		printf("ret=%ld\n", r);
	return 0;
}
