// SPDX-License-Identifier: GPL-2.0
/* pvfbt consumer: the command of -c (started when the probes are on), -p's pidfd. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "consumer.h"
#include "child.h"

pid_t start_child(int *go_fd)
{
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC))
		die(1, "pipe: %s", strerror(errno));
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		die(1, "fork: %s", strerror(errno));
	if (!pid) {
		char c;
		ssize_t r;

		close(p[1]);
		do
			r = read(p[0], &c, 1);
		while (r < 0 && errno == EINTR);
		if (r != 1)
			_exit(127);	/* the tracer gave up */
		/*
		 * Like dtrace -c: a plain command line is split on blanks and
		 * run directly, so that the traced process is the command and
		 * no shell adds system calls of its own; anything with shell
		 * syntax goes through /bin/sh -c.
		 */
		if (!strpbrk(opt.cmd, "|&;<>()$`\\\"'*?[]#~=%{}\n")) {
			char *argv[64], *cmd = strdup(opt.cmd), *save = NULL, *w;
			int argc = 0;

			for (w = cmd ? strtok_r(cmd, " \t", &save) : NULL; w && argc < 63;
			     w = strtok_r(NULL, " \t", &save))
				argv[argc++] = w;
			argv[argc] = NULL;
			if (argc && !w) {
				execvp(argv[0], argv);
				fprintf(stderr, "pvfbt: %s: %s\n", argv[0], strerror(errno));
				_exit(127);
			}
		}
		execl("/bin/sh", "sh", "-c", opt.cmd, (char *)NULL);
		fprintf(stderr, "pvfbt: /bin/sh: %s\n", strerror(errno));
		_exit(127);
	}
	close(p[0]);
	*go_fd = p[1];
	return pid;
}

int status_code(int st)
{
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return 1;
}

/* The child of -c, if it is still to be reaped, when we die early. */
pid_t child_pid;
int child_go = -1;

void abort_child(void)
{
	if (child_go >= 0) {
		close(child_go);	/* no go: it exits 127 */
		child_go = -1;
	}
	if (child_pid > 0) {
		waitpid(child_pid, NULL, 0);
		child_pid = 0;
	}
}

int pidfd_open_(pid_t pid)
{
#ifdef SYS_pidfd_open
	return (int)syscall(SYS_pidfd_open, pid, 0);
#else
	return (int)syscall(434, pid, 0);
#endif
}
