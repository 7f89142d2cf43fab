/* SPDX-License-Identifier: GPL-2.0 */
/* pvfbt consumer: the command of -c and the process of -p (child.c). */
#ifndef PVFBT_CHILD_H
#define PVFBT_CHILD_H

#include <sys/types.h>

/* The child of -c, if it is still to be reaped, when we die early. */
extern pid_t child_pid;
extern int child_go;

/*
 * Fork opt.cmd, held until one byte is written to *go_fd (closing it
 * unwritten makes the child exit 127).
 */
pid_t start_child(int *go_fd);
/* The exit code of a wait status, 128 + signal for a signal. */
int status_code(int st);
/* Before dying: release the child unstarted and reap it. */
void abort_child(void);
int pidfd_open_(pid_t pid);

#endif
