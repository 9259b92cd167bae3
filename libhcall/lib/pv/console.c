// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * PV console backend: the guest fills the out ring and sends one event per
 * batch; this thread wakes on the doorbell's eventfd, copies the bytes out
 * with private indices (the guest cannot make us read outside the ring),
 * tells the guest there is room again and writes them to the console fd.
 * Everything that touches the ring or the port does so under pv.lock, so a
 * soft reset that forgets the ring leaves no writer behind.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "hcall/pv/console.h"
#include "hcall/pv/evtchn.h"
#include "hcall/pv/pv.h"
#include "hcall/vmm/vm.h"

#define CHUNK 512	/* below PIPE_BUF: a write after POLLOUT cannot block */

static void broken(struct hc_vm *vm, const char *why)
{
	if (!vm->pv.cons_broken)
		fprintf(stderr, "hcall-run: PV console disabled: %s\n", why);
	vm->pv.cons_broken = 1;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int stopping(struct hc_vm *vm)
{
	return __atomic_load_n(&vm->stop_reason, __ATOMIC_ACQUIRE) != HC_STOP_NONE;
}

/*
 * How long to wait for the reader: forever while the VM runs (the stop
 * eventfd ends that wait), then what is left of the grace period.
 */
static int wait_ms(struct hc_vm *vm)
{
	uint64_t deadline, now = now_ms();

	if (!stopping(vm))
		return -1;
	deadline = __atomic_load_n(&vm->console_deadline, __ATOMIC_ACQUIRE);
	if (!deadline) {
		uint64_t zero = 0;

		deadline = now + HC_CONSOLE_GRACE_MS;
		if (!__atomic_compare_exchange_n(&vm->console_deadline, &zero, deadline, 0,
						 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			deadline = zero;
	}
	return deadline > now ? (int)(deadline - now) : 0;
}

/*
 * @abort_fd (or -1) readable: give up at once. A descriptor that never
 * stalls or is non-blocking is written first and polled only when full.
 */
static void write_out(struct hc_vm *vm, const void *buf, size_t len, int abort_fd)
{
	const char *p = buf;
	int try_first = vm->console_direct;

	while (len) {
		struct pollfd pf[3] = {
			{ vm->console_fd, POLLOUT, 0 }, { abort_fd, POLLIN, 0 },
			{ vm->stop_efd, POLLIN, 0 },
		};
		int ms;
		ssize_t n;

		if (!try_first) {
			ms = wait_ms(vm);
			/* Once stopping, the stop eventfd is always readable: time rules. */
			if (poll(pf, ms < 0 ? 3 : 2, ms) < 0) {
				if (errno == EINTR)
					continue;
				return;
			}
			if (pf[1].revents)
				return;
			if (pf[0].revents & (POLLERR | POLLHUP | POLLNVAL))
				return;	/* nobody reads the console: drop, like a hung-up tty */
			if (!(pf[0].revents & POLLOUT)) {
				if (ms >= 0 && !wait_ms(vm))
					return;	/* stopped, and the reader did not keep up */
				continue;
			}
		}
		try_first = 0;
		n = write(vm->console_fd, p, len < CHUNK ? len : CHUNK);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return;
		p += n;
		len -= (size_t)n;
		try_first = vm->console_direct;
	}
}

void hc_console_write(struct hc_vm *vm, const void *buf, size_t len)
{
	write_out(vm, buf, len, -1);
}

void hc_console_set_output(struct hc_vm *vm, int fd)
{
	char path[32];
	struct stat st;
	int nb;

	vm->console_fd = fd;
	vm->console_direct = 0;
	if (fstat(fd, &st))
		return;
	if (S_ISREG(st.st_mode) || (S_ISCHR(st.st_mode) && !isatty(fd))) {
		vm->console_direct = 1;	/* a file or /dev/null: never stalls */
		return;
	}
	if (!S_ISFIFO(st.st_mode) && !(S_ISCHR(st.st_mode) && isatty(fd)))
		return;
	/*
	 * A pipe or terminal can stall. Our own open file description of it
	 * can be non-blocking without changing the one we share with others.
	 */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	nb = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (nb >= 0) {
		vm->console_fd = nb;
		vm->console_fd_owned = 1;
		vm->console_direct = 1;
	}
}

static void drain(struct hc_vm *vm, int abort_fd)
{
	struct hcall_console_ring *r;
	char buf[HCALL_CONS_OUT_SIZE];
	uint32_t cons, prod, n = 0;

	pthread_mutex_lock(&vm->pv.lock);
	r = vm->pv.cons;
	if (!r || vm->pv.cons_broken || !vm->pv.cons_port) {
		pthread_mutex_unlock(&vm->pv.lock);
		return;
	}
	cons = vm->pv.cons_out_cons;
	prod = __atomic_load_n(&r->out_prod, __ATOMIC_ACQUIRE);
	if (prod - cons > HCALL_CONS_OUT_SIZE) {
		broken(vm, "guest moved out_prod past the ring");
		pthread_mutex_unlock(&vm->pv.lock);
		return;
	}
	while (cons != prod)
		buf[n++] = r->out[cons++ % HCALL_CONS_OUT_SIZE];
	vm->pv.cons_out_cons = cons;
	__atomic_store_n(&r->out_cons, cons, __ATOMIC_RELEASE);
	if (n)
		hc_evtchn_notify(vm, vm->pv.cons_port);	/* room again: copied out */
	pthread_mutex_unlock(&vm->pv.lock);
	if (n) {
		write_out(vm, buf, n, abort_fd);
		vm->console_midline = buf[n - 1] != '\n';
	}
}

void hc_console_drain(struct hc_vm *vm)
{
	drain(vm, -1);
}

unsigned int hc_console_input(struct hc_vm *vm, const uint8_t *buf, unsigned int len)
{
	struct hcall_console_ring *r;
	uint32_t prod, cons, n = 0;

	pthread_mutex_lock(&vm->pv.lock);
	r = vm->pv.cons;
	if (!r) {
		pthread_mutex_unlock(&vm->pv.lock);
		return 0;
	}
	if (vm->pv.cons_broken || !vm->pv.cons_port) {
		pthread_mutex_unlock(&vm->pv.lock);
		return len;	/* swallow: nobody will ever read it */
	}
	prod = vm->pv.cons_in_prod;
	cons = __atomic_load_n(&r->in_cons, __ATOMIC_ACQUIRE);
	if (prod - cons > HCALL_CONS_IN_SIZE) {
		broken(vm, "guest moved in_cons past the ring");
		pthread_mutex_unlock(&vm->pv.lock);
		return len;
	}
	while (n < len && prod - cons < HCALL_CONS_IN_SIZE)
		r->in[prod++ % HCALL_CONS_IN_SIZE] = (char)buf[n++];
	vm->pv.cons_in_prod = prod;
	__atomic_store_n(&r->in_prod, prod, __ATOMIC_RELEASE);
	if (n)
		hc_evtchn_notify(vm, vm->pv.cons_port);
	pthread_mutex_unlock(&vm->pv.lock);
	return n;
}

struct cons_thread_args {
	struct hc_vm *vm;
	int kick_fd;	/* the thread's own copy of the console port's eventfd */
	int stop_fd;
};

static void *console_thread(void *arg)
{
	struct cons_thread_args a = *(struct cons_thread_args *)arg;
	/* The VM's stop eventfd stays readable once set: it ends the wait too. */
	struct pollfd p[3] = {
		{ a.kick_fd, POLLIN, 0 }, { a.stop_fd, POLLIN, 0 }, { a.vm->stop_efd, POLLIN, 0 },
	};
	uint64_t v;

	free(arg);
	for (;;) {
		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[1].revents || p[2].revents || (p[0].revents & (POLLERR | POLLHUP | POLLNVAL)))
			break;
		if (p[0].revents && read(a.kick_fd, &v, sizeof(v)) == sizeof(v))
			drain(a.vm, a.stop_fd);
	}
	close(a.kick_fd);
	return NULL;
}

int hc_console_start(struct hc_vm *vm)
{
	struct cons_thread_args *a = malloc(sizeof(*a));
	int stop_fd;

	if (!a)
		return -HCALL_ENOSPC;
	*a = (struct cons_thread_args){ .vm = vm, .kick_fd = -1, .stop_fd = -1 };
	/* Read under the lock, and a copy: the port's fd is not the thread's. */
	a->kick_fd = fcntl(vm->pv.ports[vm->pv.cons_port].kick_fd, F_DUPFD_CLOEXEC, 0);
	a->stop_fd = stop_fd = eventfd(0, EFD_CLOEXEC);
	if (a->kick_fd < 0 || a->stop_fd < 0 ||
	    pthread_create(&vm->pv.cons_thread, NULL, console_thread, a)) {
		if (a->kick_fd >= 0)
			close(a->kick_fd);
		if (a->stop_fd >= 0)
			close(a->stop_fd);
		free(a);
		return -HCALL_ENOSPC;
	}
	vm->pv.cons_stop = stop_fd;	/* @a is the thread's now */
	vm->pv.cons_thread_started = 1;
	return 0;
}

void hc_console_stop(struct hc_vm *vm)
{
	uint64_t one = 1;
	pthread_t t;
	int started, fd;

	pthread_mutex_lock(&vm->pv.lock);
	started = vm->pv.cons_thread_started;
	t = vm->pv.cons_thread;
	fd = vm->pv.cons_stop;
	pthread_mutex_unlock(&vm->pv.lock);
	if (!started)
		return;
	/*
	 * A stopping VM ends the thread by itself once its output is out
	 * (within the grace period); anything else, e.g. a soft reset,
	 * ends it now.
	 */
	if (!stopping(vm) && write(fd, &one, sizeof(one)) < 0) {
		/* Counter overflow only: already readable. */
	}
	pthread_join(t, NULL);	/* it may need pv.lock on its way out */
	pthread_mutex_lock(&vm->pv.lock);
	close(vm->pv.cons_stop);
	vm->pv.cons_stop = -1;
	vm->pv.cons_thread_started = 0;
	pthread_mutex_unlock(&vm->pv.lock);
}

void hc_console_pump_input(struct hc_vm *vm, int fd)
{
	struct pollfd p[2] = { { fd, POLLIN, 0 }, { vm->stop_efd, POLLIN, 0 } };
	uint8_t buf[64];
	ssize_t n;

	for (;;) {
		unsigned int done = 0;

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		if (p[1].revents || (p[0].revents & POLLNVAL))
			return;
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return;
		while (done < (unsigned int)n) {
			/*
			 * The PV console once the guest set it up, else COM1 once
			 * its driver listens; until then input waits here.
			 */
			if (__atomic_load_n(&vm->pv.cons, __ATOMIC_ACQUIRE))
				done += hc_console_input(vm, buf + done, (unsigned int)n - done);
			else if (__atomic_load_n(&vm->uart.ier, __ATOMIC_RELAXED) & 0x01)
				done += hc_uart_receive(&vm->uart, buf + done, (unsigned int)n - done);
			/* The guest has not drained its FIFO yet: wait a little or stop. */
			if (done < (unsigned int)n && poll(&p[1], 1, 1) != 0)
				return;
		}
	}
}
