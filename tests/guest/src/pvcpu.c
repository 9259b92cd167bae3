// SPDX-License-Identifier: LGPL-2.1-or-later
/* pvcpu ROUNDS MAPS LOCKOPS READS CALLS: the CPU operations that trap under
 * hardware virtualization, for tests/integration/pvcpu.t.
 *  ipi:   two threads pinned to CPUs 0 and 1 ping-pong a byte through two
 *         pipes ROUNDS times (a wake-up IPI each way when the other idles);
 *  tlb:   thread 0 maps, touches and unmaps a page MAPS times while thread 1
 *         spins on CPU 1 in the same mm (a TLB shootdown each);
 *  lock:  4 threads on 2 CPUs dup() and close() LOCKOPS times each on one
 *         fd table (its spinlock, held and waited for on both CPUs);
 *  clock: one thread per CPU reads CLOCK_MONOTONIC READS times and checks
 *         each reading against the latest any CPU published before it;
 *  vdso:  a traced child calls clock_gettime() CALLS times; the tracer
 *         counts how many of them entered the kernel.
 * One "HCALL-PVCPU PART k=v..." line per part. */
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cpupair.h"
#include "fdlock.h"

static long maps, reads;
static _Atomic long long latest;	/* the highest clock reading published */
static atomic_long backwards, worst_ns;

static void *clocker(void *arg)
{
	if (pin((int)(long)arg))
		return (void *)1;
	for (long i = 0; i < reads; i++) {
		long long seen = atomic_load(&latest), t = now_ns();

		if (t < seen) {
			atomic_fetch_add(&backwards, 1);
			if (seen - t > atomic_load(&worst_ns))
				atomic_store(&worst_ns, seen - t);
		}
		while (seen < t && !atomic_compare_exchange_weak(&latest, &seen, t))
			;
	}
	return NULL;
}

static int run(void *(*fn)(void *), int n)
{
	pthread_t t[4];
	void *r;
	int bad = 0;

	for (long i = 0; i < n; i++)
		if (pthread_create(&t[i], NULL, fn, (void *)i))
			return -1;
	for (int i = 0; i < n; i++)
		bad |= pthread_join(t[i], &r) || r;
	return bad ? -1 : 0;
}

/* How many of @calls clock_gettime() calls entered the kernel. */
static long vdso_syscalls(long calls)
{
	long stops = 0;
	int st;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		struct timespec t;

		if (ptrace(PTRACE_TRACEME, 0, NULL, NULL))
			_exit(1);
		raise(SIGSTOP);
		for (long i = 0; i < calls; i++)
			clock_gettime(CLOCK_MONOTONIC, &t);
		_exit(0);
	}
	if (waitpid(pid, &st, 0) != pid || !WIFSTOPPED(st) ||
	    ptrace(PTRACE_SETOPTIONS, pid, NULL, (void *)PTRACE_O_TRACESYSGOOD))
		return -1;
	for (;;) {
		struct user_regs_struct regs;

		if (ptrace(PTRACE_SYSCALL, pid, NULL, NULL) || waitpid(pid, &st, 0) != pid)
			return -1;
		if (WIFEXITED(st))
			return WEXITSTATUS(st) ? -1 : stops / 2;	/* entry and exit stops */
		if (WIFSTOPPED(st) && WSTOPSIG(st) == (SIGTRAP | 0x80) &&
		    !ptrace(PTRACE_GETREGS, pid, NULL, &regs) &&
		    regs.orig_rax == SYS_clock_gettime)
			stops++;
	}
}

int main(int argc, char **argv)
{
	pthread_t t;
	long long t0;
	long calls, sys;
	void *r;
	char c = 'x';

	if (argc != 6) {
		fprintf(stderr, "usage: pvcpu ROUNDS MAPS LOCKOPS READS CALLS\n");
		return 2;
	}
	rounds = atol(argv[1]);
	maps = atol(argv[2]);
	lockops = atol(argv[3]);
	reads = atol(argv[4]);
	calls = atol(argv[5]);
	if (pipe(ping) || pipe(pong) || pin(0) || pthread_create(&t, NULL, other, NULL))
		return 1;
	t0 = now_ns();
	for (long i = 0; i < rounds; i++)
		if (write(ping[1], &c, 1) != 1 || read(pong[0], &c, 1) != 1)
			return 1;
	printf("HCALL-PVCPU ipi rounds=%ld ns=%lld\n", rounds, (now_ns() - t0) / (rounds ? rounds : 1));
	atomic_store(&phase, 1);
	t0 = now_ns();
	for (long i = 0; i < maps; i++) {
		volatile char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
					MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			return 1;
		p[0] = 1;
		munmap((void *)p, 4096);
	}
	printf("HCALL-PVCPU tlb maps=%ld ns=%lld\n", maps, (now_ns() - t0) / (maps ? maps : 1));
	atomic_store(&phase, 2);
	if (pthread_join(t, &r) || r)
		return 1;

	table_fd = open("/dev/null", O_RDONLY);
	if (table_fd < 0)
		return 1;
	{	/* the lockers may run on either CPU */
		cpu_set_t all;

		CPU_ZERO(&all);
		CPU_SET(0, &all);
		CPU_SET(1, &all);
		sched_setaffinity(0, sizeof(all), &all);
	}
	t0 = now_ns();
	if (run(locker, 4))
		return 1;
	printf("HCALL-PVCPU lock threads=4 ops=%ld ns=%lld\n", 4 * lockops,
	       (now_ns() - t0) / (lockops ? 4 * lockops : 1));

	if (run(clocker, 2))
		return 1;
	printf("HCALL-PVCPU clock reads=%ld backwards=%ld worst_ns=%ld\n", 2 * reads,
	       atomic_load(&backwards), atomic_load(&worst_ns));

	sys = vdso_syscalls(calls);
	if (sys < 0)
		return 1;
	printf("HCALL-PVCPU vdso calls=%ld syscalls=%ld\n", calls, sys);
	return 0;
}
