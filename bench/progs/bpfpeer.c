// SPDX-License-Identifier: GPL-2.0
/*
 * bpfpeer: a small static libbpf loader of the BPF peers of a pvfbt probe
 * (peers.bpf.c), for the benchmark (bench/guest-bench.sh) and the guest
 * test (bench/guest-bpfpeer-test.sh).
 *
 *   bpfpeer HOOK VARIANT FUNC [-- COMMAND [ARG]...]
 *
 *   HOOK     fentry | fexit | kprobe | kretprobe
 *   VARIANT  count   a per-CPU hit counter only
 *            record  the counter, and a 128-byte record (pvfbt's layout:
 *                    timestamp, cpu, tgid/tid, probe id, six arguments or
 *                    the return value, ip, sp, comm) into a BPF ring buffer
 *                    that this program drains while COMMAND runs
 *   FUNC     the kernel function (fentry/fexit: a BTF name; kprobe: a
 *            kallsyms name, probed at +0, i.e. through ftrace)
 *
 * Attaches, prints "bpfpeer: ready" on stderr, runs COMMAND (or, without
 * one, waits for SIGINT/SIGTERM), detaches, then prints on stderr
 *   bpfpeer: HOOK VARIANT FUNC: hits H, records R, drops D
 * with H the exact number of hits (the sum of the per-CPU counters, read
 * after the detach) and exits with COMMAND's status.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "peers.h"
#include "peers.skel.h"

static volatile sig_atomic_t stop;
static unsigned long long nrec;
static unsigned long long sum;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int on_record(void *ctx, void *data, size_t size)
{
	const struct rec *r = data;

	(void)ctx;
	if (size >= sizeof(*r))
		sum += r->ts ^ r->args[0];	/* touch it, as a reader would */
	nrec++;
	return 0;
}

static int on_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG && !getenv("BPFPEER_DEBUG"))
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static int usage(void)
{
	fprintf(stderr, "usage: bpfpeer fentry|fexit|kprobe|kretprobe count|record FUNC [-- COMMAND [ARG]...]\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *hook, *variant, *func;
	struct bpf_program *progs[8], *prog = NULL;
	struct bpf_link *link = NULL;
	struct ring_buffer *rb = NULL;
	struct peers *skel;
	unsigned long long hits = 0, drops = 0;
	char name[32], alias[128];
	pid_t child = -1;
	int status = 0, rc = 1, reaped = 0, i, record;
	long page = sysconf(_SC_PAGESIZE);

	if (argc < 4)
		return usage();
	hook = argv[1];
	variant = argv[2];
	func = argv[3];
	if (argc > 4 && strcmp(argv[4], "--"))
		return usage();
	if (argc == 5)
		return usage();
	if (strcmp(hook, "fentry") && strcmp(hook, "fexit") &&
	    strcmp(hook, "kprobe") && strcmp(hook, "kretprobe"))
		return usage();
	if (strcmp(variant, "count") && strcmp(variant, "record"))
		return usage();
	record = !strcmp(variant, "record");
	snprintf(name, sizeof(name), "%s_%s", hook, variant);
	libbpf_set_print(on_libbpf);

	skel = peers__open();
	if (!skel) {
		fprintf(stderr, "bpfpeer: opening the BPF object failed: %s\n", strerror(errno));
		return 1;
	}
	/* Only the chosen program is loaded. */
	progs[0] = skel->progs.fentry_count;
	progs[1] = skel->progs.fentry_record;
	progs[2] = skel->progs.fexit_count;
	progs[3] = skel->progs.fexit_record;
	progs[4] = skel->progs.kprobe_count;
	progs[5] = skel->progs.kprobe_record;
	progs[6] = skel->progs.kretprobe_count;
	progs[7] = skel->progs.kretprobe_record;
	for (i = 0; i < 8; i++) {
		if (!strcmp(bpf_program__name(progs[i]), name))
			prog = progs[i];
		else
			bpf_program__set_autoload(progs[i], false);
	}
	if (!prog) {
		fprintf(stderr, "bpfpeer: no program %s\n", name);
		goto out;
	}
	/* record: 16 MiB for all CPUs (pvfbt: 8 MiB per CPU by default). */
	if (bpf_map__set_max_entries(skel->maps.ring, record ? 1u << 24 : (unsigned int)page))
		goto out;
	skel->rodata->ring_bytes = bpf_map__max_entries(skel->maps.ring);
	/* A syscall's __x64_sys_X is not in BTF: its alias __do_sys_X (one
	 * address, the same function) is. */
	if (hook[0] == 'f' && bpf_program__set_attach_target(prog, 0, func) &&
	    !strncmp(func, "__x64_sys_", 10)) {
		snprintf(alias, sizeof(alias), "__do_sys_%s", func + 10);
		fprintf(stderr, "bpfpeer: %s is not in BTF: attaching to %s (the same address)\n", func, alias);
		func = alias;
	}
	if (hook[0] == 'f' && (i = bpf_program__set_attach_target(prog, 0, func))) {
		fprintf(stderr, "bpfpeer: %s: no BTF function %s: %s\n", hook, func, strerror(-i));
		goto out;
	}
	if (peers__load(skel)) {
		fprintf(stderr, "bpfpeer: loading %s failed: %s\n", name, strerror(errno));
		goto out;
	}
	if (hook[0] == 'f')
		link = bpf_program__attach(prog);
	else
		link = bpf_program__attach_kprobe(prog, !strcmp(hook, "kretprobe"), func);
	if (!link) {
		fprintf(stderr, "bpfpeer: attaching %s to %s failed: %s\n", name, func, strerror(errno));
		goto out;
	}
	if (record) {
		rb = ring_buffer__new(bpf_map__fd(skel->maps.ring), on_record, NULL, NULL);
		if (!rb) {
			fprintf(stderr, "bpfpeer: ring_buffer__new: %s\n", strerror(errno));
			goto out;
		}
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	fprintf(stderr, "bpfpeer: ready\n");
	if (argc > 5) {
		child = fork();
		if (child < 0) {
			perror("bpfpeer: fork");
			goto out;
		}
		if (!child) {
			execvp(argv[5], argv + 5);
			fprintf(stderr, "bpfpeer: %s: %s\n", argv[5], strerror(errno));
			_exit(127);
		}
	}
	while (!stop) {
		if (child > 0) {
			pid_t w = waitpid(child, &status, WNOHANG);

			if (w == child) {
				reaped = 1;
				break;
			}
			if (w < 0 && errno != EINTR) {
				perror("bpfpeer: waitpid");
				break;
			}
		}
		if (rb) {
			int n = ring_buffer__poll(rb, 100);

			if (n < 0 && n != -EINTR) {
				fprintf(stderr, "bpfpeer: ring_buffer__poll: %d\n", n);
				break;
			}
		} else {
			usleep(20000);
		}
	}
	if (child > 0 && !reaped) {	/* stopped by a signal */
		kill(child, SIGTERM);
		waitpid(child, &status, 0);
	}
	bpf_link__destroy(link);
	link = NULL;
	if (rb)
		ring_buffer__consume(rb);
	for (i = 0; i < PEERS_MAX_CPUS; i++) {
		hits += skel->bss->counters[i].hits;
		drops += skel->bss->counters[i].drops;
	}
	fprintf(stderr, "bpfpeer: %s %s %s: hits %llu, records %llu, drops %llu\n",
		hook, variant, func, hits, nrec, drops);
	if (child > 0)
		rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	else
		rc = 0;
out:
	bpf_link__destroy(link);
	ring_buffer__free(rb);
	peers__destroy(skel);
	return rc;
}
