// SPDX-License-Identifier: LGPL-2.1-or-later
/* cpubench CLOCKS WAKEUPS MAPS LOCKOPS FORKS: the guest side of
 * scripts/bench-cpu. Each operation runs between two handshakes on the
 * console, so the host can read the VM's exit counters (hcall-ctl stats)
 * just before and just after it:
 *   "HCALL-CPUBENCH ready op=OP"  host snapshots, answers a line;
 *   ...  the operation, timed here ...
 *   "HCALL-CPUBENCH end"          host snapshots, answers a line;
 *   "HCALL-CPUBENCH op=OP n=N ns=NS total_ns=T" the result, outside both
 *   windows (the host divides T itself: a clock read is tens of ns).
 * The "null" operation is the handshake alone: the host subtracts its
 * exits from the others'. "idle" sleeps 1 s: the VM's background exits.
 * Operations:
 *  clock:  CLOCK_MONOTONIC reads on one thread (the vDSO, or a system call);
 *  wakeup: a byte ping-ponged between threads pinned to CPUs 0 and 1 through
 *          two pipes (a cross-vCPU wake-up each way when the other idles);
 *  tlb:    map, touch, unmap a page while a thread of the same mm spins on
 *          CPU 1 (a TLB shootdown each);
 *  lock:   two threads per vCPU dup() and close() on one fd table (its
 *          spinlock contended, more runnable threads than vCPUs);
 *  fork:   fork, 16 getppid() in the child, exit, wait (syscalls, page
 *          table copies, a wake-up of the parent). */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>

#include "cpupair.h"
#include "fdlock.h"

#define MAX_LOCKERS	64


/* The host's answer; the console's echo is off, so none lands in a window. */
static int handshake(const char *line)
{
	char buf[64];

	fputs(line, stdout);
	fflush(stdout);
	return fgets(buf, sizeof(buf), stdin) ? 0 : -1;
}

static int op_clock(long n)
{
	volatile long long sink = 0;

	for (long i = 0; i < n; i++)
		sink += now_ns();
	return 0;
}

static int op_wakeup(long n)
{
	char c = 'x';

	for (long i = 0; i < n; i++)
		if (write(ping[1], &c, 1) != 1 || read(pong[0], &c, 1) != 1)
			return -1;
	return 0;
}

static int op_tlb(long n)
{
	for (long i = 0; i < n; i++) {
		volatile char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
					MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			return -1;
		p[0] = 1;
		munmap((void *)p, 4096);
	}
	return 0;
}

static int nlockers(void)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	return cpus < 1 ? 2 : cpus > MAX_LOCKERS / 2 ? MAX_LOCKERS : (int)(2 * cpus);
}

static int op_lock(long n)
{
	pthread_t t[MAX_LOCKERS];
	int k = nlockers(), bad = 0;
	void *r;

	lockops = n;
	for (int i = 0; i < k; i++)
		if (pthread_create(&t[i], NULL, locker, NULL))
			return -1;
	for (int i = 0; i < k; i++)
		bad |= pthread_join(t[i], &r) || r;
	return bad ? -1 : 0;
}

static int op_fork(long n)
{
	for (long i = 0; i < n; i++) {
		int st;
		pid_t pid = fork();

		if (pid < 0)
			return -1;
		if (pid == 0) {
			for (int j = 0; j < 16; j++)
				syscall(SYS_getppid);
			_exit(0);
		}
		if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
			return -1;
	}
	return 0;
}

static int op_null(long n)
{
	(void)n;
	return 0;
}

static int op_idle(long n)
{
	(void)n;
	return sleep(1) ? -1 : 0;
}

struct op {
	const char *name;
	int (*run)(long n);
	long n;
	long per_run;	/* operations per iteration (the lockers') */
};

int main(int argc, char **argv)
{
	struct op ops[] = {
		{ "null", op_null, 0, 1 },
		{ "idle", op_idle, 1, 1 },
		{ "clock", op_clock, 0, 1 },
		{ "wakeup", op_wakeup, 0, 1 },
		{ "tlb", op_tlb, 0, 1 },
		{ "lock", op_lock, 0, nlockers() },
		{ "fork", op_fork, 0, 1 },
	};
	struct termios tio;
	pthread_t t;
	char line[96];
	void *r;

	if (argc != 6) {
		fprintf(stderr, "usage: cpubench CLOCKS WAKEUPS MAPS LOCKOPS FORKS\n");
		return 2;
	}
	for (int i = 1; i < 6; i++)
		ops[i + 1].n = atol(argv[i]);
	rounds = ops[3].n;
	/* The wake-ups and shootdowns need a second CPU to go to. */
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2) {
		fprintf(stderr, "cpubench: needs 2 CPUs or more\n");
		return 2;
	}
	if (!tcgetattr(0, &tio)) {
		tio.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(0, TCSANOW, &tio);
	}
	table_fd = open("/dev/null", O_RDONLY);
	if (table_fd < 0 || pipe(ping) || pipe(pong) || pin(0) ||
	    pthread_create(&t, NULL, other, NULL))
		return 1;
	for (unsigned int i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		struct op *o = &ops[i];
		long long t0, ns;
		int bad;

		/* The lockers and the forks may run on any CPU. */
		if (o->run == op_lock) {
			atomic_store(&phase, 2);
			if (pthread_join(t, &r) || r)
				return 1;
			cpu_set_t all;

			CPU_ZERO(&all);
			for (int c = 0; c < CPU_SETSIZE; c++)
				CPU_SET(c, &all);
			sched_setaffinity(0, sizeof(all), &all);
		}
		snprintf(line, sizeof(line), "HCALL-CPUBENCH ready op=%s\n", o->name);
		if (handshake(line))
			return 1;
		t0 = now_ns();
		bad = o->run(o->n);
		ns = now_ns() - t0;
		if (handshake("HCALL-CPUBENCH end\n") || bad)
			return 1;
		printf("HCALL-CPUBENCH op=%s n=%ld ns=%lld total_ns=%lld\n", o->name,
		       o->n * o->per_run, o->n ? ns / (o->n * o->per_run) : 0, ns);
	}
	return 0;
}
