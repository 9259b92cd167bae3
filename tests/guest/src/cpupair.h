// SPDX-License-Identifier: LGPL-2.1-or-later
/* The two-CPU work shared by the guest's ipistorm, pvcpu and cpubench:
 * thread 0 on CPU 0 pings `rounds` bytes through `ping` to other() pinned on CPU 1,
 * which answers each through `pong` and then spins in the same mm until
 * `phase` is 2 (so each munmap meanwhile is a TLB shootdown to CPU 1).
 * Each tool is one translation unit: static definitions are its own. */
#ifndef HCALL_GUEST_CPUPAIR_H
#define HCALL_GUEST_CPUPAIR_H

#include <sched.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

static int ping[2], pong[2];
static long rounds;
static atomic_int phase;	/* 0 ping-pong, 1 shootdowns, 2 done */

static int pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

static long long now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void *other(void *arg)
{
	char c;

	(void)arg;
	if (pin(1))
		return (void *)1;
	for (long i = 0; i < rounds; i++)
		if (read(ping[0], &c, 1) != 1 || write(pong[1], &c, 1) != 1)
			return (void *)1;
	while (atomic_load(&phase) != 2)
		;	/* stays on CPU 1 in our mm: every munmap must flush it */
	return NULL;
}

#endif
