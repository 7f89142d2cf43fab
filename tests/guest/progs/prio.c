// SPDX-License-Identifier: GPL-2.0
/* prio NICE CMD [ARG]...: run CMD at the given nice value (the guest's
 * busybox has no nice). */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: prio NICE CMD [ARG]...\n");
		return 2;
	}
	if (setpriority(PRIO_PROCESS, 0, atoi(argv[1]))) {
		perror("prio: setpriority");
		return 1;
	}
	execvp(argv[2], argv + 2);
	perror("prio: exec");
	return 127;
}
