// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Event channels, shim side. Host->guest: set the pending bit in shared
 * info and, if the vCPU had no upcall pending, signal the upcall irqfd.
 * Guest->host: the send stub writes the port to the doorbell, where a KVM
 * ioeventfd with a datamatch per port catches it in the host kernel.
 */
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "hcall/pv.h"
#include "hcall/vm.h"

void hc_evtchn_notify(struct hc_vm *vm, uint32_t port)
{
	hc_evtchn_raise(__atomic_load_n(&vm->pv.shared, __ATOMIC_ACQUIRE), port,
			vm->pv.upcall_fd);
}

void hc_evtchn_raise(struct hcall_shared_info *s, uint32_t port, int upcall_fd)
{
	uint64_t bit, wbit, one = 1;
	struct hcall_vcpu_info *vi;

	if (!s || port == 0 || port >= HCALL_NR_EVTCHN)
		return;
	bit = 1ull << (port % 64);
	wbit = 1ull << (port / 64);
	if (__atomic_fetch_or(&s->evtchn_pending[port / 64], bit, __ATOMIC_SEQ_CST) & bit)
		return;		/* already pending: the guest will see it */
	if (__atomic_load_n(&s->evtchn_mask[port / 64], __ATOMIC_SEQ_CST) & bit)
		return;		/* masked: the guest rechecks on unmask */
	vi = &s->vcpu_info[0];
	__atomic_fetch_or(&vi->evtchn_pending_sel, wbit, __ATOMIC_SEQ_CST);
	if (__atomic_exchange_n(&vi->evtchn_upcall_pending, 1, __ATOMIC_SEQ_CST) == 0) {
		if (write(upcall_fd, &one, sizeof(one)) < 0) {
			/* Only fails on counter overflow: an upcall is queued anyway. */
		}
	}
}

/* Bind a shim-side port and its doorbell; returns the port or -errno. */
int hc_evtchn_bind(struct hc_vm *vm, enum hc_port_owner owner)
{
	struct kvm_ioeventfd io = {
		.addr = HC_DOORBELL_PORT, .len = 4,
		.flags = KVM_IOEVENTFD_FLAG_PIO | KVM_IOEVENTFD_FLAG_DATAMATCH,
	};
	int port, fd;

	for (port = 1; port < HC_SHIM_PORTS; port++)
		if (vm->pv.ports[port].owner == HC_PORT_FREE)
			break;
	if (port == HC_SHIM_PORTS)
		return -HCALL_ENOSPC;
	/* A closed port keeps its eventfd (a thread may still poll it): reuse it. */
	fd = vm->pv.ports[port].kick_fd;
	if (fd < 0)
		fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (fd < 0)
		return -HCALL_ENOSPC;
	io.fd = fd;
	io.datamatch = (uint64_t)port;
	if (ioctl(vm->vm_fd, KVM_IOEVENTFD, &io) < 0) {
		/* No in-kernel doorbell: sends exit to the shim, which kicks. */
		io.fd = -1;
	}
	vm->pv.ports[port].owner = owner;
	vm->pv.ports[port].kick_fd = fd;
	vm->pv.ports[port].doorbell = io.fd >= 0;
	return port;
}

int hc_evtchn_close(struct hc_vm *vm, uint64_t port)
{
	struct hc_evtchn_port *p;
	struct kvm_ioeventfd io = {
		.addr = HC_DOORBELL_PORT, .len = 4,
		.flags = KVM_IOEVENTFD_FLAG_PIO | KVM_IOEVENTFD_FLAG_DATAMATCH |
			 KVM_IOEVENTFD_FLAG_DEASSIGN,
	};

	if (port == 0 || port >= HC_SHIM_PORTS || vm->pv.ports[port].owner == HC_PORT_FREE)
		return -HCALL_EINVAL;
	p = &vm->pv.ports[port];
	if (p->doorbell) {
		io.fd = p->kick_fd;
		io.datamatch = port;
		ioctl(vm->vm_fd, KVM_IOEVENTFD, &io);
	}
	if (p->owner == HC_PORT_CONSOLE)
		vm->pv.cons_port = 0;
	if (p->owner == HC_PORT_STORE)
		vm->pv.store_port = 0;
	if (p->owner == HC_PORT_BACKEND) {
		/*
		 * A driver domain may hold a copy of this eventfd: never hand
		 * it to another port, or two rings would share one doorbell.
		 */
		close(p->kick_fd);
		p->kick_fd = -1;
		p->attached = 0;
	}
	/* The console thread may be polling the fd: it closes it on its way out. */
	p->owner = HC_PORT_FREE;
	p->doorbell = 0;
	return 0;
}

/* A send that reached the shim: no doorbell matched. */
int64_t hc_evtchn_send_slow(struct hc_vm *vm, uint64_t port)
{
	uint64_t one = 1;

	if (port == 0 || port >= HC_SHIM_PORTS || vm->pv.ports[port].owner == HC_PORT_FREE)
		return -HCALL_EINVAL;
	if (write(vm->pv.ports[port].kick_fd, &one, sizeof(one)) < 0)
		return -HCALL_EBUSY;
	return (int64_t)port;
}

int64_t hc_evtchn_alloc(struct hc_vm *vm, uint64_t remote_domid)
{
	if (remote_domid != HCALL_DOMID_BACKEND)
		return -HCALL_EINVAL;
	return hc_evtchn_bind(vm, HC_PORT_BACKEND);
}
