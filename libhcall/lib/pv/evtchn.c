// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Event channels, shim side. Host->guest: set the pending bit in shared
 * info and, if the port's vCPU had no upcall pending, signal its irqfd.
 * Guest->host: the send stub writes the port to the doorbell, where a KVM
 * ioeventfd with a datamatch per port catches it in the host kernel.
 */
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "hcall/common/evtchn_raise.h"
#include "hcall/pv/evtchn.h"
#include "hcall/pv/pv.h"
#include "hcall/vmm/vm.h"

struct hc_upcalls hc_evtchn_upcalls(const struct hc_vm *vm)
{
	return (struct hc_upcalls){
		.targets = vm->pv.targets, .fds = vm->pv.upcall_fd, .nr_vcpus = (unsigned int)vm->ncpus,
	};
}

void hc_evtchn_notify(struct hc_vm *vm, uint32_t port)
{
	struct hc_upcalls u = hc_evtchn_upcalls(vm);

	hc_evtchn_raise(__atomic_load_n(&vm->pv.shared, __ATOMIC_ACQUIRE), port, &u);
}

/*
 * HCALL_evtchn_bind_vcpu: any bound port, to any vCPU of the VM. A pending,
 * unmasked port is raised on its new vCPU at once (Xen does the same), so
 * an event caught on the old one is not left waiting for the next.
 */
int hc_evtchn_bind_vcpu(struct hc_vm *vm, uint64_t port, uint64_t vcpu)
{
	struct hc_upcalls u = hc_evtchn_upcalls(vm);
	int ret = 0;

	if (port == 0 || port >= HC_SHIM_PORTS || vcpu >= (uint64_t)vm->ncpus ||
	    vcpu >= HCALL_MAX_VCPUS)
		return -HCALL_EINVAL;
	if (!vm->pv.targets)
		return -HCALL_ENOSYS;
	pthread_mutex_lock(&vm->pv.evtchn_lock);
	if (vm->pv.ports[port].owner == HC_PORT_FREE) {
		ret = -HCALL_EINVAL;
	} else {
		/*
		 * Seen before pending and mask are read: a raise that set
		 * pending after that read finds the new target (x86 would
		 * otherwise let the store pass the loads).
		 */
		__atomic_store_n(&vm->pv.targets[port], (uint8_t)vcpu, __ATOMIC_SEQ_CST);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		hc_evtchn_reraise(__atomic_load_n(&vm->pv.shared, __ATOMIC_ACQUIRE),
				  (uint32_t)port, &u);
	}
	pthread_mutex_unlock(&vm->pv.evtchn_lock);
	return ret;
}

/*
 * Bind a shim-side port and its doorbell; returns the port or -errno.
 * Every port gets a fresh eventfd: one owner each (a closed port's fd may
 * still be held by a driver domain, never by this port's next user).
 */
int hc_evtchn_bind(struct hc_vm *vm, enum hc_port_owner owner)
{
	struct kvm_ioeventfd io = {
		.addr = HC_DOORBELL_PORT, .len = 4,
		.flags = KVM_IOEVENTFD_FLAG_PIO | KVM_IOEVENTFD_FLAG_DATAMATCH,
	};
	int port, fd;

	fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (fd < 0)
		return -HCALL_ENOSPC;
	pthread_mutex_lock(&vm->pv.evtchn_lock);
	for (port = 1; port < HC_SHIM_PORTS; port++)
		if (vm->pv.ports[port].owner == HC_PORT_FREE)
			break;
	if (port == HC_SHIM_PORTS) {
		pthread_mutex_unlock(&vm->pv.evtchn_lock);
		close(fd);
		return -HCALL_ENOSPC;
	}
	/* Taken (its owner set) before the lock goes; the doorbell follows. */
	vm->pv.ports[port] = (struct hc_evtchn_port){ .owner = owner, .kick_fd = fd };
	pthread_mutex_unlock(&vm->pv.evtchn_lock);
	io.fd = fd;
	io.datamatch = (uint64_t)port;
	if (ioctl(vm->vm_fd, KVM_IOEVENTFD, &io) < 0) {
		/* No in-kernel doorbell: sends exit to the shim, which kicks. */
		io.fd = -1;
	}
	vm->pv.ports[port].doorbell = io.fd >= 0;
	return port;
}

void hc_evtchn_release(struct hc_vm *vm, uint32_t port)
{
	struct hc_evtchn_port *p = &vm->pv.ports[port];
	struct kvm_ioeventfd io = {
		.addr = HC_DOORBELL_PORT, .len = 4, .datamatch = port,
		.flags = KVM_IOEVENTFD_FLAG_PIO | KVM_IOEVENTFD_FLAG_DATAMATCH |
			 KVM_IOEVENTFD_FLAG_DEASSIGN,
	};

	if (p->doorbell) {
		io.fd = p->kick_fd;
		ioctl(vm->vm_fd, KVM_IOEVENTFD, &io);
	}
	if (p->kick_fd >= 0)
		close(p->kick_fd);
	pthread_mutex_lock(&vm->pv.evtchn_lock);
	*p = (struct hc_evtchn_port){ .owner = HC_PORT_FREE, .kick_fd = -1 };
	if (vm->pv.targets)	/* the port's next user starts on vCPU 0 */
		__atomic_store_n(&vm->pv.targets[port], 0, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&vm->pv.evtchn_lock);
	if (vm->pv.cons_port == port)
		vm->pv.cons_port = 0;
	if (vm->pv.store_port == port)
		vm->pv.store_port = 0;
}

/*
 * HCALL_evtchn_close. The console's and the store's ports live as long as
 * what uses them (a soft reset ends both), a backend port as long as a
 * ring is attached to it: closing one of those is -EBUSY.
 */
int hc_evtchn_close(struct hc_vm *vm, uint64_t port)
{
	struct hc_evtchn_port *p;

	if (port == 0 || port >= HC_SHIM_PORTS || vm->pv.ports[port].owner == HC_PORT_FREE)
		return -HCALL_EINVAL;
	p = &vm->pv.ports[port];
	if (p->owner != HC_PORT_BACKEND || p->attached)
		return -HCALL_EBUSY;
	hc_evtchn_release(vm, (uint32_t)port);
	return 0;
}

void hc_evtchn_reset(struct hc_vm *vm)
{
	uint32_t port;

	for (port = 1; port < HC_SHIM_PORTS; port++)
		if (vm->pv.ports[port].owner != HC_PORT_FREE)
			hc_evtchn_release(vm, port);
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
