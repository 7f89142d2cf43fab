// SPDX-License-Identifier: GPL-2.0
/*
 * badmmap: every wrong way to map /dev/pvfbt must fail with a clear errno
 * and change nothing; the right way must work.  Prints one line per case
 * and exits non-zero if any case misbehaves.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include "pvfbt.h"

static int bad;

static void expect_fail(int fd, const char *what, size_t len, int prot, int flags, off_t off)
{
	void *p = mmap(NULL, len, prot, flags, fd, off);

	if (p != MAP_FAILED) {
		printf("BAD  %s: mapped\n", what);
		munmap(p, len);
		bad = 1;
		return;
	}
	printf("ok   %s: %s\n", what, strerror(errno));
}

int main(void)
{
	struct pvfbt_status st = { .size = sizeof(st) };
	int fd = open(PVFBT_DEVICE, O_RDWR);
	size_t len;
	void *p;

	if (fd < 0 || ioctl(fd, PVFBT_IOC_STATUS, &st)) {
		perror("pvfbt");
		return 2;
	}
	len = st.ring_mmap_size;
	/* mmap claims no session (it runs under mmap_lock): claim it first. */
	expect_fail(fd, "mapping before the session is claimed", len, PROT_READ, MAP_SHARED, 0);
	{
		struct pvfbt_filter f = { .size = sizeof(f) };
		int other = open(PVFBT_DEVICE, O_RDWR);

		if (ioctl(fd, PVFBT_IOC_FILTER, &f)) {
			perror("PVFBT_IOC_FILTER");
			return 2;
		}
		if (other >= 0) {
			expect_fail(other, "mapping by another opener", len, PROT_READ, MAP_SHARED, 0);
			close(other);
		}
	}
	expect_fail(fd, "writable mapping", len, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	expect_fail(fd, "executable mapping", len, PROT_READ | PROT_EXEC, MAP_SHARED, 0);
	expect_fail(fd, "short mapping", len - 4096, PROT_READ, MAP_SHARED, 0);
	expect_fail(fd, "long mapping", len + 4096, PROT_READ, MAP_SHARED, 0);
	expect_fail(fd, "misaligned offset", len, PROT_READ, MAP_SHARED, 4096);
	expect_fail(fd, "cpu past the last", len, PROT_READ, MAP_SHARED, (off_t)len * st.nr_cpus);
	expect_fail(fd, "huge offset", len, PROT_READ, MAP_SHARED, (off_t)1 << 40);
	p = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		printf("BAD  right mapping: %s\n", strerror(errno));
		return 1;
	}
	if (mprotect(p, len, PROT_READ | PROT_WRITE) == 0) {
		printf("BAD  mprotect to writable succeeded\n");
		bad = 1;
	} else {
		printf("ok   mprotect to writable: %s\n", strerror(errno));
	}
	printf("%s   right mapping: ring of %u records\n",
	       ((struct pvfbt_ring_header *)p)->nr_records == st.ring_records ? "ok" : "BAD",
	       ((struct pvfbt_ring_header *)p)->nr_records);
	munmap(p, len);
	close(fd);
	return bad;
}
