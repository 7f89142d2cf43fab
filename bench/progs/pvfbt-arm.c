// SPDX-License-Identifier: GPL-2.0
/*
 * pvfbt-arm: time pvfbt.ko's arming and disarming through the ioctls
 * themselves, without the consumer's listing, matching and draining.
 *
 *   pvfbt-arm list              every function whose entry probe is usable:
 *                               "FID OFFSET MODULE NAME" (OFFSET = entry site
 *                               minus function start)
 *   pvfbt-arm time FILE|all|all-returns
 *                               enable the entry probes of the fids in FILE
 *                               (first column, one a line) or of every usable
 *                               one (all-returns: every usable return probe),
 *                               in one PVFBT_IOC_ENABLE, then disable them in
 *                               one PVFBT_IOC_DISABLE; prints
 *   pvfbt-arm: probes N enable_ns E disable_ns D hits H jumps_ns J session_ns S
 * S: claiming the session first (PVFBT_IOC_FILTER, as the consumer does
 * before it enables: that makes the rings), which E therefore leaves out.
 * J: from the enable's start until no jump site is still armed by int3
 * (pvfbt_status.nr_sites_waiting: the jumps follow in the background).
 * Nobody drains the rings meanwhile: hits past the ring size are dropped.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include "pvfbt.h"

static int fd;

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void die(const char *what)
{
	fprintf(stderr, "pvfbt-arm: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* Every function of the catalogue; *n gets the count. */
static struct pvfbt_func *catalogue(uint32_t *n)
{
	struct pvfbt_func *all = NULL;
	uint32_t have = 0;

	for (;;) {
		struct pvfbt_list l;

		all = realloc(all, (have + 4096) * sizeof(*all));
		if (!all)
			die("realloc");
		memset(&l, 0, sizeof(l));
		l.size = sizeof(l);
		l.max = 4096;
		l.start = have;
		l.funcs = (uintptr_t)(all + have);
		if (ioctl(fd, PVFBT_IOC_LIST, &l))
			die("PVFBT_IOC_LIST");
		have += l.count;
		if (!l.count || have >= l.total)
			break;
	}
	*n = have;
	return all;
}

static uint64_t hits(void)
{
	struct pvfbt_cpu_stats cs[512];
	struct pvfbt_stats s = { .size = sizeof(s), .nr_cpus = 512, .cpus = (uintptr_t)cs };
	uint64_t h = 0;

	memset(cs, 0, sizeof(cs));
	if (ioctl(fd, PVFBT_IOC_STATS, &s))
		die("PVFBT_IOC_STATS");
	for (uint32_t i = 0; i < s.nr_cpus; i++)
		h += cs[i].hits;
	return h;
}

int main(int argc, char **argv)
{
	struct pvfbt_func *f;
	struct pvfbt_enable en;
	struct pvfbt_filter fl;
	uint32_t n, nids = 0, *ids;
	unsigned long long t0, t1, t2, tj, ts;
	struct pvfbt_status st;

	if (argc < 2 || (strcmp(argv[1], "list") && (strcmp(argv[1], "time") || argc != 3))) {
		fprintf(stderr, "usage: pvfbt-arm list | pvfbt-arm time FILE|all|all-returns\n");
		return 2;
	}
	fd = open(PVFBT_DEVICE, O_RDWR);
	if (fd < 0)
		die(PVFBT_DEVICE);
	f = catalogue(&n);
	if (!strcmp(argv[1], "list")) {
		for (uint32_t i = 0; i < n; i++)
			if (!f[i].entry_reason && !(f[i].flags & PVFBT_FUNC_GONE))
				printf("%u %llu %s %s\n", f[i].fid,
				       (unsigned long long)(f[i].entry_addr - f[i].addr),
				       f[i].module, f[i].name);
		return 0;
	}
	ids = calloc(n + 1, sizeof(*ids));
	if (!ids)
		die("calloc");
	if (!strcmp(argv[2], "all")) {
		for (uint32_t i = 0; i < n; i++)
			if (!f[i].entry_reason && !(f[i].flags & PVFBT_FUNC_GONE))
				ids[nids++] = 2 * f[i].fid;
	} else if (!strcmp(argv[2], "all-returns")) {
		for (uint32_t i = 0; i < n; i++)
			if (!f[i].return_reason && !(f[i].flags & PVFBT_FUNC_GONE))
				ids[nids++] = 2 * f[i].fid + 1;
	} else {
		FILE *in = fopen(argv[2], "r");
		char line[512];

		if (!in)
			die(argv[2]);
		while (fgets(line, sizeof(line), in) && nids < n)
			ids[nids++] = 2 * (uint32_t)strtoul(line, NULL, 10);
		fclose(in);
	}
	if (!nids) {
		fprintf(stderr, "pvfbt-arm: no probes\n");
		return 1;
	}
	/* The session (its rings) first, as pvfbt does: not part of arming. */
	memset(&fl, 0, sizeof(fl));
	fl.size = sizeof(fl);
	ts = now_ns();
	if (ioctl(fd, PVFBT_IOC_FILTER, &fl))
		die("PVFBT_IOC_FILTER");
	ts = now_ns() - ts;
	memset(&en, 0, sizeof(en));
	en.size = sizeof(en);
	en.count = nids;
	en.ids = (uintptr_t)ids;
	t0 = now_ns();
	if (ioctl(fd, PVFBT_IOC_ENABLE, &en))
		die("PVFBT_IOC_ENABLE");
	t1 = now_ns();
	/* Until every jump is written (at most 30 s). */
	do {
		memset(&st, 0, sizeof(st));
		st.size = sizeof(st);
		if (ioctl(fd, PVFBT_IOC_STATUS, &st))
			die("PVFBT_IOC_STATUS");
		tj = now_ns();
		if (st.nr_sites_waiting)
			usleep(1000);
	} while (st.nr_sites_waiting && tj - t0 < 30000000000ull);
	if (ioctl(fd, PVFBT_IOC_DISABLE, &en))
		die("PVFBT_IOC_DISABLE");
	t2 = now_ns();
	/* The module resets its statistics when the session is claimed. */
	printf("pvfbt-arm: probes %u enable_ns %llu disable_ns %llu hits %llu jumps_ns %llu session_ns %llu\n",
	       nids, t1 - t0, t2 - tj, (unsigned long long)hits(), tj - t0, ts);
	return 0;
}
