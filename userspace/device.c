// SPDX-License-Identifier: GPL-2.0
/*
 * pvfbt consumer: the device, /dev/pvfbt (open with clear errors, status,
 * the function catalogue, probes another tool's text keeps out).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "pvfbt.h"
#include "btf.h"
#include "consumer.h"
#include "device.h"

#define LIST_CHUNK	1024

int dev_open(void)
{
	int fd = open(PVFBT_DEVICE, O_RDWR | O_CLOEXEC);

	if (fd >= 0)
		return fd;
	switch (errno) {
	case ENOENT:
	case ENXIO:
	case ENODEV:
		die(1, "%s not found: is pvfbt.ko loaded? (insmod pvfbt.ko)",
		    PVFBT_DEVICE);
	case EACCES:
	case EPERM:
		die(1, "permission denied: pvfbt needs root (CAP_SYS_ADMIN)");
	case EBUSY:
		die(1, "%s is busy: another pvfbt session owns it",
		    PVFBT_DEVICE);
	default:
		die(1, "%s: %s", PVFBT_DEVICE, strerror(errno));
	}
}

void dev_status(int fd, struct pvfbt_status *st, int check_abi)
{
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	if (ioctl(fd, PVFBT_IOC_STATUS, st))
		die(1, "PVFBT_IOC_STATUS: %s%s", strerror(errno),
		    errno == EINVAL ?
		    " (module and consumer disagree on the ABI: rebuild)" : "");
	if (check_abi && st->abi_version != PVFBT_ABI_VERSION)
		die(1, "module ABI %u, consumer ABI %u: rebuild",
		    st->abi_version, PVFBT_ABI_VERSION);
}

void dev_catalogue(int fd, struct catalogue *c)
{
	struct pvfbt_func *buf = calloc(LIST_CHUNK, sizeof(*buf));
	uint32_t start = 0, total = 0, cap = 0, prev;

	memset(c, 0, sizeof(*c));
	if (!buf)
		die(1, "out of memory");
	for (;;) {
		struct pvfbt_list l = {
			.size = sizeof(l), .max = LIST_CHUNK, .start = start,
			.funcs = (uintptr_t)buf,
		};
		uint32_t i;

		if (ioctl(fd, PVFBT_IOC_LIST, &l))
			die(1, "PVFBT_IOC_LIST: %s", strerror(errno));
		if (!total)
			total = l.total;
		if (!l.count)
			break;
		if (l.count > LIST_CHUNK)
			die(1, "PVFBT_IOC_LIST returned %u entries for room %u",
			    l.count, LIST_CHUNK);
		if (c->nr + l.count > cap) {
			struct pvfbt_func *n;

			cap = c->nr + l.count > total ? c->nr + l.count : total;
			n = realloc(c->funcs, (size_t)cap * sizeof(*n));
			if (!n)
				die(1, "out of memory");
			c->funcs = n;
		}
		memcpy(c->funcs + c->nr, buf, l.count * sizeof(*buf));
		c->nr += l.count;
		prev = start;
		for (i = 0; i < l.count; i++)
			if (buf[i].fid + 1 > start)
				start = buf[i].fid + 1;
		if (start >= l.total)
			break;
		if (start == prev || c->nr > 2 * (size_t)total + LIST_CHUNK)
			die(1, "PVFBT_IOC_LIST does not make progress (start %u)",
			    start);
	}
	free(buf);
	if (cat_index(c))
		die(1, "out of memory");
}

/* If probe id is foreign-text, say so; returns whether it is. */
int warn_foreign(const struct catalogue *c, const struct pvfbt_func *f, uint32_t id)
{
	char name[512];

	if (!f || probe_reason(f, id & 1) != PVFBT_EXCL_FOREIGN)
		return 0;
	probe_fullname(name, sizeof(name), c, id);
	warnx_("%s: not enabled: another tool (a kprobe) owns its text", name);
	return 1;
}

/*
 * PVFBT_IOC_ENABLE said EBUSY: another tool (a kprobe) owns the text of some
 * selected probes, and the module now lists them as foreign-text.  Say
 * which, and keep the rest.  Returns how many were dropped.
 */
size_t drop_foreign(int fd, struct selection *sel)
{
	struct catalogue c;
	size_t i, n = 0, dropped;

	dev_catalogue(fd, &c);
	for (i = 0; i < sel->nr; i++) {
		uint32_t id = sel->ids[i];

		if (warn_foreign(&c, cat_fid(&c, id / 2), id))
			continue;
		sel->ids[n++] = id;
	}
	dropped = sel->nr - n;
	sel->nr = n;
	cat_free(&c);
	return dropped;
}

struct kbtf *open_btf(const struct catalogue *c)
{
	const char *why;
	struct kbtf *k = kbtf_open(&why);
	uint32_t i;

	if (!k) {
		warnx_("no kernel BTF (%s): arguments and return values are "
		       "shown untyped", why);
		return NULL;
	}
	for (i = 0; i < c->nr; i++)
		btf_note_func(k, &c->funcs[i]);
	return k;
}
