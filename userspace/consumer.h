/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pvfbt consumer: what its parts share, the options of the command line
 * (parsed in pvfbt.c), the error exits and the commands.
 */
#ifndef PVFBT_CONSUMER_H
#define PVFBT_CONSUMER_H

#include <stdint.h>
#include <sys/types.h>

#define EXIT_USAGE	2

#include "aggregate.h"

/* M_CHROME: --format=chrome, the timeline (timeline.h). */
enum mode { M_EVENTS, M_JSON, M_COUNT, M_LATENCY, M_CHROME };

struct opts {
	int status, list, verbose, quiet, per_cpu, by_pid, stack, folded;
	enum count_key by;	/* --by (--by-pid: COUNT_BY_PID, by_pid set) */
	int by_arg;		/* --by argN */
	enum mode mode;
	int mode_set;
	const char *ko;
	const char **specs;
	size_t nspecs;
	const char *cmd;
	pid_t pid;		/* -p */
	double duration;	/* -d, 0 = none */
	uint32_t filter_pid;	/* --pid */
	const char *filter_comm;	/* --comm */
	const char *outfile;
};

extern struct opts opt;

/* "pvfbt: MESSAGE" on stderr; die() then exits with code. */
void __attribute__((noreturn, format(printf, 2, 3)))
die(int code, const char *fmt, ...);
void __attribute__((format(printf, 1, 2))) warnx_(const char *fmt, ...);

struct spec;

int cmd_status(void);				/* status.c */
int cmd_list(struct spec *specs);		/* list.c */
int cmd_list_ko(struct spec *specs);		/* list.c */
int cmd_trace(struct spec *specs);		/* trace.c */

#endif
