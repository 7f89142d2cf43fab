// SPDX-License-Identifier: GPL-2.0
/* readn FILE COUNT: exactly one read(fd, buf, COUNT); prints read=<bytes>. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char *end, *buf;
	long count;
	ssize_t r;
	int fd;

	if (argc != 3) {
		fprintf(stderr, "usage: readn FILE COUNT\n");
		return 2;
	}
	errno = 0;
	count = strtol(argv[2], &end, 10);
	if (errno || end == argv[2] || *end || count < 0 || count > (1L << 30)) {
		fprintf(stderr, "readn: bad count '%s'\n", argv[2]);
		return 2;
	}
	buf = malloc(count ? count : 1);
	if (!buf) {
		fprintf(stderr, "readn: out of memory\n");
		return 1;
	}
	fd = open(argv[1], O_RDONLY);
	if (fd < 0) {
		fprintf(stderr, "readn: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	r = read(fd, buf, (size_t)count);
	if (r < 0) {
		fprintf(stderr, "readn: read: %s\n", strerror(errno));
		return 1;
	}
	printf("read=%zd\n", r);
	close(fd);
	free(buf);
	return 0;
}
