// SPDX-License-Identifier: GPL-2.0
/* runas UID GID CMD [ARG]...: drop to UID/GID (no groups), then exec CMD. */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static long num(const char *s, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 0 || v > 0x7fffffffL) {
		fprintf(stderr, "runas: bad %s '%s'\n", what, s);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	uid_t uid;
	gid_t gid;

	if (argc < 4) {
		fprintf(stderr, "usage: runas UID GID CMD [ARG]...\n");
		return 2;
	}
	uid = (uid_t)num(argv[1], "uid");
	gid = (gid_t)num(argv[2], "gid");
	if (setgroups(0, NULL)) {
		fprintf(stderr, "runas: setgroups: %s\n", strerror(errno));
		return 126;
	}
	if (setgid(gid)) {
		fprintf(stderr, "runas: setgid: %s\n", strerror(errno));
		return 126;
	}
	if (setuid(uid)) {
		fprintf(stderr, "runas: setuid: %s\n", strerror(errno));
		return 126;
	}
	execvp(argv[3], argv + 3);
	fprintf(stderr, "runas: %s: %s\n", argv[3], strerror(errno));
	return 127;
}
