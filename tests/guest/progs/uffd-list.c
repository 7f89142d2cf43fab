// SPDX-License-Identifier: GPL-2.0
/*
 * uffd-list BLOCKED RELEASED GO: PVFBT_IOC_LIST into a buffer registered
 * with userfaultfd, so that the module's copy to it faults and waits.
 *
 * Once the list is blocked on a fault, creates the file BLOCKED; then
 * waits for the file GO (at most 120 s), creates RELEASED and only then
 * resolves the faults (zero pages, one at a time as they come).  The list
 * must then complete: exits 0 if it returned entries that look right.
 * A module that copies to the user under its own lock holds that lock
 * while we wait, and whatever else needs it (module load and unload, for
 * the module notifier) waits too: the test script checks that insmod and
 * rmmod come back while RELEASED does not exist yet.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "pvfbt.h"

#define MAX_FUNCS	512

static int dev;
static struct pvfbt_list req;
static int list_ret, list_errno;
static volatile int list_done;

static void *lister(void *arg)
{
	(void)arg;
	list_ret = ioctl(dev, PVFBT_IOC_LIST, &req);
	list_errno = errno;
	__atomic_store_n(&list_done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void touch(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0) {
		perror(path);
		exit(2);
	}
	close(fd);
}

int main(int argc, char **argv)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg;
	size_t len = MAX_FUNCS * sizeof(struct pvfbt_func);
	long page = sysconf(_SC_PAGESIZE);
	struct pvfbt_func *buf;
	pthread_t t;
	int uffd, waited, faults = 0;
	uint32_t i;

	if (argc != 4) {
		fprintf(stderr, "usage: uffd-list BLOCKED RELEASED GO\n");
		return 2;
	}
	len = (len + page - 1) / page * page;
	dev = open(PVFBT_DEVICE, O_RDWR);
	if (dev < 0) {
		perror(PVFBT_DEVICE);
		return 2;
	}
	uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (uffd < 0) {
		perror("userfaultfd");
		return 3;
	}
	if (ioctl(uffd, UFFDIO_API, &api)) {
		perror("UFFDIO_API");
		return 3;
	}
	buf = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED) {
		perror("mmap");
		return 2;
	}
	memset(&reg, 0, sizeof(reg));
	reg.range.start = (unsigned long)buf;
	reg.range.len = len;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	if (ioctl(uffd, UFFDIO_REGISTER, &reg)) {
		perror("UFFDIO_REGISTER");
		return 3;
	}
	req.size = sizeof(req);
	req.max = MAX_FUNCS;
	req.start = 0;
	req.funcs = (uintptr_t)buf;
	pthread_create(&t, NULL, lister, NULL);

	while (!__atomic_load_n(&list_done, __ATOMIC_ACQUIRE)) {
		struct pollfd p = { .fd = uffd, .events = POLLIN };
		struct uffd_msg msg;
		struct uffdio_zeropage zp;

		if (poll(&p, 1, 100) <= 0)
			continue;
		if (read(uffd, &msg, sizeof(msg)) != sizeof(msg))
			continue;
		if (msg.event != UFFD_EVENT_PAGEFAULT) {
			fprintf(stderr, "unexpected uffd event %u\n", msg.event);
			return 1;
		}
		if (!faults++) {
			/* The list waits in its copy to us: hold it there. */
			printf("uffd-list: list blocked on a fault at %#llx\n",
			       (unsigned long long)msg.arg.pagefault.address);
			fflush(stdout);
			touch(argv[1]);
			for (waited = 0; waited < 1200 && access(argv[3], F_OK); waited++)
				usleep(100000);
			touch(argv[2]);
			printf("uffd-list: releasing after %d.%d s\n", waited / 10, waited % 10);
			fflush(stdout);
		}
		memset(&zp, 0, sizeof(zp));
		zp.range.start = msg.arg.pagefault.address & ~((unsigned long long)page - 1);
		zp.range.len = page;
		if (ioctl(uffd, UFFDIO_ZEROPAGE, &zp) && errno != EEXIST) {
			perror("UFFDIO_ZEROPAGE");
			return 1;
		}
	}
	pthread_join(t, NULL);
	if (!faults) {
		fprintf(stderr, "uffd-list: the list never faulted\n");
		return 1;
	}
	if (list_ret) {
		fprintf(stderr, "uffd-list: PVFBT_IOC_LIST: %s\n", strerror(list_errno));
		return 1;
	}
	if (!req.count || req.count > MAX_FUNCS || req.count > req.total) {
		fprintf(stderr, "uffd-list: count %u total %u\n", req.count, req.total);
		return 1;
	}
	for (i = 0; i < req.count; i++)
		if (buf[i].fid != i || !buf[i].name[0] || !buf[i].addr) {
			fprintf(stderr, "uffd-list: entry %u is wrong (fid %u)\n", i, buf[i].fid);
			return 1;
		}
	printf("uffd-list: %u of %u functions listed after %d faults\n",
	       req.count, req.total, faults);
	return 0;
}
