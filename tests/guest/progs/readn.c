// SPDX-License-Identifier: GPL-2.0
/*
 * readn FILE COUNT [TIMES]: exactly one read(fd, buf, COUNT), then TIMES - 1
 * pread(fd, buf, COUNT, 0) (each one vfs_read() in the kernel); prints
 * read=<bytes of the first>.
 */
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

	long times = argc == 4 ? strtol(argv[3], NULL, 10) : 1;

	if ((argc != 3 && argc != 4) || times < 1) {
		fprintf(stderr, "usage: readn FILE COUNT [TIMES]\n");
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
	while (--times > 0)
		if (pread(fd, buf, (size_t)count, 0) < 0) {
			fprintf(stderr, "readn: pread: %s\n", strerror(errno));
			return 1;
		}
	printf("read=%zd\n", r);
	close(fd);
	free(buf);
	return 0;
}
