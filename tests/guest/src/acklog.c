// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * acklog DEV: write record i to block i of DEV, fdatasync, and only then
 * print "HCALL-ACK i": every line the host sees is an acknowledged, flushed
 * write. Runs until DEV is full or it is killed (the durability test kills
 * the whole VMM with SIGKILL).
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define BLOCK 4096

/* The bytes of record @i; the host test recomputes them. */
static void record(uint32_t i, unsigned char *buf)
{
	uint32_t x = i * 2654435761u + 1;

	for (int k = 0; k < BLOCK; k++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		buf[k] = (unsigned char)x;
	}
	memcpy(buf, "HCACK", 5);
	memcpy(buf + 8, &i, sizeof(i));
}

int main(int argc, char **argv)
{
	unsigned char buf[BLOCK];
	int fd = argc > 1 ? open(argv[1], O_RDWR) : -1;
	off_t size;

	if (fd < 0) {
		perror("acklog");
		return 1;
	}
	size = lseek(fd, 0, SEEK_END);
	for (uint32_t i = 0; (off_t)(i + 1) * BLOCK <= size; i++) {
		record(i, buf);
		if (pwrite(fd, buf, BLOCK, (off_t)i * BLOCK) != BLOCK || fdatasync(fd)) {
			perror("acklog: write");
			return 1;
		}
		printf("HCALL-ACK %u\n", i);
		fflush(stdout);
	}
	return 0;
}
