// SPDX-License-Identifier: GPL-2.0
/*
 * pvfbt: the consumer of pvfbt.ko, a function-boundary tracer in the style
 * of DTrace's fbt provider.  See pvfbt(8).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pvfbt.h"
#include "consumer.h"
#include "spec.h"

struct opts opt;

static void usage(FILE *f)
{
	fprintf(f,
"usage: pvfbt --status\n"
"       pvfbt -l [-v] [-n SPEC]...\n"
"       pvfbt -l --ko FILE.ko [-v] [-n SPEC]...\n"
"       pvfbt -n SPEC [-n SPEC]... [-c CMD | -p PID | -d SECONDS]\n"
"             [--count [--by KEY] [--stack [--folded]] | --latency |\n"
"              --format text|json|chrome | --json]\n"
"             [--stack] [--pid PID] [--comm COMM] [--per-cpu] [-o FILE] [-q]\n"
"SPEC is [[[provider:]module:]function:]name, e.g. fbt::vfs_read:entry,\n"
"sys_getppid, fbt::sys_*:return; '*' and '?' glob.\n"
"--stack records the kernel stack of every hit: printed after each event,\n"
"in the JSON \"stack\" array, or counted per stack with --count (not with\n"
"--latency or --by), or as folded stacks for flame graphs (--folded).\n"
"--by KEY counts per probe and pid, tid, comm, arg0..arg5 (entries) or\n"
"retval (returns); --by-pid is --by pid.  --format=chrome writes a\n"
"Chrome/Perfetto trace-event timeline (one slice per call).  See pvfbt(8).\n");
}

void die(int code, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("pvfbt: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

void warnx_(const char *fmt, ...)
{
	va_list ap;

	fputs("pvfbt: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static long parse_long(const char *s, const char *what, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		die(EXIT_USAGE, "invalid %s '%s'", what, s);
	return v;
}

static void parse_specs(struct spec *specs)
{
	size_t i;

	for (i = 0; i < opt.nspecs; i++) {
		int err = spec_parse(opt.specs[i], &specs[i]);

		if (err)
			die(EXIT_USAGE, "invalid probe description '%s': %s",
			    opt.specs[i], spec_strerror(err));
	}
}

/* ------------------------------------------------------------------ */

enum {
	O_STATUS = 256, O_KO, O_COUNT, O_JSON, O_LATENCY, O_PID, O_COMM,
	O_PERCPU, O_BYPID, O_STACK, O_HELP, O_BY, O_FOLDED, O_FORMAT,
};

static void set_mode(enum mode m)
{
	if (opt.mode_set && opt.mode != m)
		die(EXIT_USAGE, "--count, --json, --latency and --format exclude each other");
	opt.mode = m;
	opt.mode_set = 1;
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "status", no_argument, NULL, O_STATUS },
		{ "ko", required_argument, NULL, O_KO },
		{ "count", no_argument, NULL, O_COUNT },
		{ "json", no_argument, NULL, O_JSON },
		{ "latency", no_argument, NULL, O_LATENCY },
		{ "pid", required_argument, NULL, O_PID },
		{ "comm", required_argument, NULL, O_COMM },
		{ "per-cpu", no_argument, NULL, O_PERCPU },
		{ "by-pid", no_argument, NULL, O_BYPID },
		{ "stack", no_argument, NULL, O_STACK },
		{ "help", no_argument, NULL, O_HELP },
		{ "by", required_argument, NULL, O_BY },
		{ "folded", no_argument, NULL, O_FOLDED },
		{ "format", required_argument, NULL, O_FORMAT },
		{ NULL, 0, NULL, 0 },
	};
	struct spec *specs;
	int c, nwhat = 0, ret;
	size_t i;

	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	opt.specs = calloc(argc, sizeof(*opt.specs));
	if (!opt.specs)
		die(1, "out of memory");
	while ((c = getopt_long(argc, argv, "+ln:c:p:d:o:qvh", lopts, NULL)) != -1) {
		switch (c) {
		case 'l':
			opt.list = 1;
			break;
		case 'n':
			opt.specs[opt.nspecs++] = optarg;
			break;
		case 'c':
			opt.cmd = optarg;
			nwhat++;
			break;
		case 'p':
			opt.pid = (pid_t)parse_long(optarg, "pid", 1, INT_MAX);
			nwhat++;
			break;
		case 'd': {
			char *end;

			errno = 0;
			opt.duration = strtod(optarg, &end);
			if (errno || end == optarg || *end ||
			    !(opt.duration > 0) || opt.duration > 1e7)
				die(EXIT_USAGE, "invalid duration '%s'", optarg);
			nwhat++;
			break;
		}
		case 'o':
			opt.outfile = optarg;
			break;
		case 'q':
			opt.quiet = 1;
			break;
		case 'v':
			opt.verbose = 1;
			break;
		case O_STATUS:
			opt.status = 1;
			break;
		case O_KO:
			opt.ko = optarg;
			break;
		case O_COUNT:
			set_mode(M_COUNT);
			break;
		case O_JSON:
			set_mode(M_JSON);
			break;
		case O_LATENCY:
			set_mode(M_LATENCY);
			break;
		case O_PID:
			opt.filter_pid = (uint32_t)parse_long(optarg, "pid", 1,
							      INT_MAX);
			break;
		case O_COMM:
			if (!optarg[0] || strlen(optarg) > 15)
				die(EXIT_USAGE, "--comm takes 1 to 15 characters");
			opt.filter_comm = optarg;
			break;
		case O_PERCPU:
			opt.per_cpu = 1;
			break;
		case O_BYPID:
			opt.by_pid = 1;
			opt.by = COUNT_BY_PID;
			break;
		case O_BY:
			if (count_key_parse(optarg, &opt.by, &opt.by_arg))
				die(EXIT_USAGE, "invalid --by '%s' (pid, tid, comm, "
				    "arg0..arg5 or retval)", optarg);
			opt.by_pid = 0;
			break;
		case O_FOLDED:
			opt.folded = 1;
			break;
		case O_FORMAT:
			if (!strcmp(optarg, "text"))
				set_mode(M_EVENTS);
			else if (!strcmp(optarg, "json"))
				set_mode(M_JSON);
			else if (!strcmp(optarg, "chrome"))
				set_mode(M_CHROME);
			else
				die(EXIT_USAGE, "invalid --format '%s' (text, json "
				    "or chrome)", optarg);
			break;
		case O_STACK:
			opt.stack = 1;
			break;
		case 'h':
		case O_HELP:
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		warnx_("unexpected argument '%s'", argv[optind]);
		usage(stderr);
		return EXIT_USAGE;
	}
	if (nwhat > 1)
		die(EXIT_USAGE, "-c, -p and -d exclude each other");
	if (opt.by != COUNT_BY_PROBE && opt.mode != M_COUNT)
		die(EXIT_USAGE, "%s goes with --count",
		    opt.by_pid ? "--by-pid" : "--by");
	if (opt.stack && opt.mode == M_LATENCY)
		die(EXIT_USAGE, "--stack does not go with --latency");
	if (opt.stack && opt.mode == M_CHROME)
		die(EXIT_USAGE, "--stack does not go with --format=chrome");
	if (opt.stack && opt.by != COUNT_BY_PROBE)
		die(EXIT_USAGE, "--stack does not go with %s",
		    opt.by_pid ? "--by-pid" : "--by");
	if (opt.folded && (opt.mode != M_COUNT || !opt.stack))
		die(EXIT_USAGE, "--folded goes with --count --stack");
	if (opt.stack && (opt.list || opt.status))
		die(EXIT_USAGE, "--stack goes with tracing (-n), not -l or --status");
	if (opt.ko && !opt.list)
		die(EXIT_USAGE, "--ko goes with -l");
	if (opt.status && (opt.list || opt.nspecs))
		die(EXIT_USAGE, "--status takes no other action");

	specs = calloc(opt.nspecs + 1, sizeof(*specs));
	if (!specs)
		die(1, "out of memory");
	parse_specs(specs);	/* exits 2 on a malformed one */

	if (opt.status)
		ret = cmd_status();
	else if (opt.list && opt.ko)
		ret = cmd_list_ko(specs);
	else if (opt.list)
		ret = cmd_list(specs);
	else if (!opt.nspecs) {
		usage(stderr);
		return EXIT_USAGE;
	} else
		ret = cmd_trace(specs);

	fflush(stdout);
	for (i = 0; i < opt.nspecs; i++)
		spec_free(&specs[i]);
	free(specs);
	free(opt.specs);
	return ret;
}
