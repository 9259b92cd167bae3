// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target: a stateful sequence of hypercalls from a hostile guest
 * on the KVM-free fixture (no vCPU, no KVM ioctl succeeds): registrations
 * at any address, soft resets, event-channel allocs, closes and sends,
 * store calls, shutdowns. After every step the shim's state must hold:
 * one owner per port and per eventfd, the console's and store's ports
 * owned by them, registered pages inside guest RAM; and at the end of the
 * input no fd is left behind (memory leaks are LeakSanitizer's).
 */
#include "guest_fixture.h"
#include "hcall/pv/console.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(struct hc_vm *vm)
{
	struct hc_pv *pv = &vm->pv;
	int i, j, consoles = 0, stores = 0;

	pthread_mutex_lock(&pv->lock);
	if (pv->resetting)
		abort();
	for (i = 0; i < HC_SHIM_PORTS; i++) {
		const struct hc_evtchn_port *p = &pv->ports[i];

		if ((p->owner == HC_PORT_FREE) != (p->kick_fd < 0) || (i == 0 && p->kick_fd >= 0))
			abort();	/* a free port holds no fd, a bound one does */
		if (p->attached && p->owner != HC_PORT_BACKEND)
			abort();
		consoles += p->owner == HC_PORT_CONSOLE;
		stores += p->owner == HC_PORT_STORE;
		for (j = 1; j < i && p->kick_fd >= 0; j++)
			if (pv->ports[j].kick_fd == p->kick_fd)
				abort();	/* one eventfd, two owners */
	}
	if (consoles > 1 || stores > 1)
		abort();
	if (pv->cons_port && pv->ports[pv->cons_port].owner != HC_PORT_CONSOLE)
		abort();
	if (pv->store_port && pv->ports[pv->store_port].owner != HC_PORT_STORE)
		abort();
	if (consoles && (!pv->cons_port || !pv->cons))
		abort();
	if (pv->cons && (!pv->cons_port || !pv->cons_thread_started))
		abort();
	if (pv->cons && ((uint8_t *)pv->cons < vm->ram ||
			 (uint64_t)((uint8_t *)pv->cons - vm->ram) > vm->mem - 4096 ||
			 ((uint8_t *)pv->cons - vm->ram) % 4096))
		abort();
	if (pv->shared && (void *)pv->shared != hc_gpa(vm->ram, vm->mem, pv->shared_gpa, 4096))
		abort();
	if (pv->gnttab_frames && (pv->gnttab_frames > HCALL_GNTTAB_MAX_FRAMES ||
				  !hc_gpa(vm->ram, vm->mem, pv->gnttab_gpa,
					  pv->gnttab_frames * 4096ull)))
		abort();
	pthread_mutex_unlock(&pv->lock);
}

/* An argument from 3 input bytes: a guest address, a small number, or raw bits. */
static uint64_t arg(const uint8_t *b)
{
	switch (b[0] & 3) {
	case 0:
	case 1:
		return fx_gpa(b[1], b[2]);
	case 2:
		return b[1] % 80;	/* ports, reasons, store ops, frame counts */
	default:
		return (uint64_t)b[1] << (b[2] % 57) | b[2];
	}
}

/* Steps of 16 bytes: number, then five 3-byte arguments. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct hc_vm vm;
	int fd0 = fx_lowest_fd();
	uint64_t one = 1;

	fx_vm_init(&vm);
	for (; size >= 16; data += 16, size -= 16) {
		uint64_t nr = data[0] % 13, a[5];
		int i;

		for (i = 0; i < 5; i++)
			a[i] = arg(data + 1 + 3 * i);
		if (nr == 10) {		/* the likeliest troublemaker, made likely */
			nr = HCALL_shutdown;
			a[0] = HCALL_SHUTDOWN_SOFT_RESET;
		} else if (nr == 11) {
			nr = a[4];	/* any number at all */
		} else if (nr == 12) {
			/* The host side moves too: an event, console traffic. */
			hc_evtchn_notify(&vm, (uint32_t)a[0]);
			hc_console_drain(&vm);
			hc_console_input(&vm, data + 1, data[2] % 8);
			if (a[1] < HC_SHIM_PORTS && vm.pv.ports[a[1]].kick_fd >= 0 &&
			    write(vm.pv.ports[a[1]].kick_fd, &one, sizeof(one)) < 0)
				abort();
			check(&vm);
			continue;
		}
		if (nr == HCALL_shutdown && a[0] <= HCALL_SHUTDOWN_CRASH && !(data[1] & 0x40))
			a[0] = 99;	/* stopping the VM ends the fun: rarely */
		hc_hypercall(&vm, 0, nr, a);
		check(&vm);
	}
	fx_vm_destroy(&vm);
	if (fx_lowest_fd() != fd0)
		abort();	/* an fd leaked */
	return 0;
}
