// SPDX-License-Identifier: LGPL-2.1-or-later
/* ipistorm ROUNDS MAPS: cross-vCPU work that makes the kernel send IPIs.
 * Two threads pinned to CPUs 0 and 1 ping-pong one byte through two pipes
 * ROUNDS times (each wake-up of the other CPU is a reschedule IPI when it
 * idles), then thread 0 maps, touches and unmaps a page MAPS times while
 * thread 1 spins in the same address space (each munmap is a TLB shootdown
 * IPI to CPU 1). Prints the round trips, the unmaps and the wall time. */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "cpupair.h"

static long maps;

int main(int argc, char **argv)
{
	long long t0, t1, t2;
	pthread_t th;
	void *ret;
	char c = 'x';

	rounds = argc > 1 ? atol(argv[1]) : 20000;
	maps = argc > 2 ? atol(argv[2]) : 20000;
	if (pipe(ping) || pipe(pong) || pin(0)) {
		perror("ipistorm: setup");
		return 1;
	}
	if (pthread_create(&th, NULL, other, NULL)) {
		fprintf(stderr, "ipistorm: no thread\n");
		return 1;
	}
	t0 = now_ns();
	for (long i = 0; i < rounds; i++)
		if (write(ping[1], &c, 1) != 1 || read(pong[0], &c, 1) != 1) {
			perror("ipistorm: pipe");
			return 1;
		}
	t1 = now_ns();
	atomic_store(&phase, 1);
	for (long i = 0; i < maps; i++) {
		volatile char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
					MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED) {
			perror("ipistorm: mmap");
			return 1;
		}
		p[0] = 1;
		munmap((void *)p, 4096);
	}
	t2 = now_ns();
	atomic_store(&phase, 2);
	if (pthread_join(th, &ret) || ret) {
		fprintf(stderr, "ipistorm: the other thread failed\n");
		return 1;
	}
	printf("HCALL-IPISTORM rounds=%ld pingpong_ns=%lld maps=%ld shootdown_ns=%lld\n",
	       rounds, t1 - t0, maps, t2 - t1);
	return 0;
}
