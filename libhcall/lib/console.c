// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * PV console backend: the guest fills the out ring and sends one event per
 * batch; this thread wakes on the doorbell's eventfd, copies the bytes out
 * with private indices (the guest cannot make us read outside the ring),
 * writes them to the console fd and tells the guest there is room again.
 */
#include <poll.h>
#include <stdio.h>
#include <unistd.h>

#include "hcall/pv.h"
#include "hcall/vbd.h"
#include "hcall/vm.h"

static void broken(struct hc_vm *vm, const char *why)
{
	if (!vm->pv.cons_broken)
		fprintf(stderr, "hcall-run: PV console disabled: %s\n", why);
	vm->pv.cons_broken = 1;
}

void hc_console_drain(struct hc_vm *vm)
{
	struct hcall_console_ring *r = __atomic_load_n(&vm->pv.cons, __ATOMIC_ACQUIRE);
	char buf[HCALL_CONS_OUT_SIZE];
	uint32_t cons, prod, n = 0;

	if (!r)
		return;
	pthread_mutex_lock(&vm->pv.lock);
	if (vm->pv.cons_broken || !vm->pv.cons_port) {
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
	pthread_mutex_unlock(&vm->pv.lock);
	if (n) {
		if (write(vm->console_fd, buf, n) < 0) {
			/* Nobody reads the console: drop, like a disconnected tty. */
		}
		vm->console_midline = buf[n - 1] != '\n';
		hc_evtchn_notify(vm, vm->pv.cons_port);
	}
}

unsigned int hc_console_input(struct hc_vm *vm, const uint8_t *buf, unsigned int len)
{
	struct hcall_console_ring *r = __atomic_load_n(&vm->pv.cons, __ATOMIC_ACQUIRE);
	uint32_t prod, cons, n = 0;

	if (!r)
		return 0;
	pthread_mutex_lock(&vm->pv.lock);
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
	pthread_mutex_unlock(&vm->pv.lock);
	if (n)
		hc_evtchn_notify(vm, vm->pv.cons_port);
	return n;
}

static void *console_thread(void *arg)
{
	struct hc_vm *vm = arg;
	int fd = vm->pv.ports[vm->pv.cons_port].kick_fd;
	/* The stop eventfd stays readable once set: it ends the wait too. */
	struct pollfd p[2] = { { fd, POLLIN, 0 }, { vm->stop_efd, POLLIN, 0 } };
	uint64_t v;

	while (poll(p, 2, -1) >= 0 && !p[1].revents) {
		if (p[0].revents && read(fd, &v, sizeof(v)) == sizeof(v))
			hc_console_drain(vm);
	}
	return NULL;
}

void hc_console_start(struct hc_vm *vm);
void hc_console_start(struct hc_vm *vm)
{
	if (!vm->pv.cons_thread_started &&
	    pthread_create(&vm->pv.cons_thread, NULL, console_thread, vm) == 0)
		vm->pv.cons_thread_started = 1;
}

void hc_pv_destroy(struct hc_vm *vm)
{
	int i;

	if (vm->pv.cons_thread_started) {
		pthread_join(vm->pv.cons_thread, NULL);
		vm->pv.cons_thread_started = 0;
	}
	hc_console_drain(vm);	/* the guest's last words, e.g. a panic */
	hc_vbd_destroy(vm);	/* stops the driver domain's rings first */
	hc_store_teardown(vm);
	__atomic_store_n(&vm->pv.cons, NULL, __ATOMIC_RELEASE);
	__atomic_store_n(&vm->pv.shared, NULL, __ATOMIC_RELEASE);
	for (i = 0; i < HC_SHIM_PORTS; i++)
		if (vm->pv.ports[i].kick_fd >= 0) {
			close(vm->pv.ports[i].kick_fd);
			vm->pv.ports[i].kick_fd = -1;
		}
	if (vm->pv.upcall_fd >= 0)
		close(vm->pv.upcall_fd);
	vm->pv.upcall_fd = -1;
}
