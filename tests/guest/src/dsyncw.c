// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * dsyncw DEV N: N writes of 4 KiB to the start of DEV, opened O_DIRECT |
 * O_DSYNC, so that each one is durable when it returns: a FUA write, or a
 * write and a flush. Prints "wrote=N".
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BLOCK 4096

int main(int argc, char **argv)
{
	int fd = argc > 2 ? open(argv[1], O_WRONLY | O_DIRECT | O_DSYNC) : -1;
	int n = argc > 2 ? atoi(argv[2]) : 0, i;
	void *buf;

	if (fd < 0 || posix_memalign(&buf, BLOCK, BLOCK)) {
		perror("dsyncw");
		return 1;
	}
	for (i = 0; i < n; i++) {
		memset(buf, i, BLOCK);
		if (pwrite(fd, buf, BLOCK, (off_t)i * BLOCK) != BLOCK) {
			perror("dsyncw: write");
			break;
		}
	}
	printf("wrote=%d\n", i);
	return i == n ? 0 : 1;
}
