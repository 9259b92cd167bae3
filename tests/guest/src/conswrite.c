// SPDX-License-Identifier: LGPL-2.1-or-later
/* conswrite BYTES: write BYTES of text to stdout (the console) in 4 KiB
 * chunks and report the wall time it took, for the console benchmark. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long total = argc > 1 ? atol(argv[1]) : 65536, done = 0;
	char buf[4096];
	struct timespec a, b;

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (i % 64 == 63) ? '\n' : (char)('a' + i % 26);
	clock_gettime(CLOCK_MONOTONIC, &a);
	while (done < total) {
		ssize_t n = write(1, buf, total - done < 4096 ? (size_t)(total - done) : sizeof(buf));

		if (n <= 0)
			return 1;
		done += n;
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	fprintf(stderr, "\nHCALL-CONSWRITE bytes=%ld ns=%lld\n", done,
		(long long)(b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec));
	return 0;
}
