// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * memtouch MIB [HOLD]: map MIB MiB of anonymous memory, write every page
 * of it, check it reads back, and print "memtouch touched_mib=N"; then
 * hold the memory HOLD seconds (default 0), check it again (a host that
 * dropped memory in use shows here: "memtouch held_s=N intact=0") and
 * exit, which frees it. Exits 1 if the mapping fails or a page reads back
 * wrong (a killed run prints nothing).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

/* 1 if every page of @p still holds what main() wrote; else says where. */
static int intact(const uint8_t *p, size_t len)
{
	for (size_t off = 0; off < len; off += 4096)
		if (p[off] != ((uint8_t)(off >> 12) | 1)) {
			fprintf(stderr, "memtouch: page at %zu MiB reads back wrong\n", off >> 20);
			return 0;
		}
	return 1;
}

int main(int argc, char **argv)
{
	size_t mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 0, len = mib << 20;
	uint8_t *p;

	if (!mib)
		return 2;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("memtouch: mmap");
		return 1;
	}
	for (size_t off = 0; off < len; off += 4096)
		p[off] = (uint8_t)(off >> 12) | 1;
	if (!intact(p, len))
		return 1;
	printf("memtouch touched_mib=%zu\n", mib);
	fflush(stdout);
	if (argc > 2) {
		unsigned int s = (unsigned int)strtoul(argv[2], NULL, 10);

		sleep(s);
		printf("memtouch held_s=%u intact=%d\n", s, intact(p, len));
	}
	return 0;
}
