// SPDX-License-Identifier: GPL-2.0
/*
 * cpurun CMD [ARG]...: run CMD, then print on stderr
 *   cpurun: wall NS user NS sys NS status N
 * where user and sys are CMD's own CPU time plus that of the children it
 * waited for (getrusage(RUSAGE_CHILDREN)).  Exit status: CMD's.
 */
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static unsigned long long tv_ns(struct timeval tv)
{
	return (unsigned long long)tv.tv_sec * 1000000000ull + tv.tv_usec * 1000ull;
}

int main(int argc, char **argv)
{
	unsigned long long t0, t1;
	struct rusage ru;
	int st, rc;
	pid_t pid;

	if (argc < 2) {
		fprintf(stderr, "usage: cpurun CMD [ARG]...\n");
		return 2;
	}
	t0 = now_ns();
	pid = fork();
	if (pid < 0) {
		perror("cpurun: fork");
		return 1;
	}
	if (!pid) {
		execvp(argv[1], argv + 1);
		perror("cpurun: exec");
		_exit(127);
	}
	if (waitpid(pid, &st, 0) != pid) {
		perror("cpurun: waitpid");
		return 1;
	}
	t1 = now_ns();
	getrusage(RUSAGE_CHILDREN, &ru);
	rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	fprintf(stderr, "cpurun: wall %llu user %llu sys %llu status %d\n",
		t1 - t0, tv_ns(ru.ru_utime), tv_ns(ru.ru_stime), rc);
	return rc;
}
