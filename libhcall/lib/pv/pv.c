// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * PV platform setup: CPUID leaves (features and the inline PIO transport;
 * nothing is written into guest text), the upcall route (an irqfd on an
 * MSI route to the callback vector) and the pvclock.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "hcall/backend/backend.h"
#include "hcall/pv/balloon.h"
#include "hcall/pv/console.h"
#include "hcall/pv/pv.h"
#include "hcall/pv/storecall.h"
#include "hcall/vmm/vm.h"

#define APIC_BUS_KHZ           1000000u	/* KVM's local APIC timer runs at 1 GHz */
#define MSI_ADDR_BASE          0xfee00000u

void hc_pvclock_scale(uint32_t khz, uint32_t *mul, int8_t *shift)
{
	uint64_t hz = (uint64_t)khz * 1000;
	int s = 0;

	if (!hz) {
		*mul = 0;
		*shift = 0;
		return;
	}
	/* Smallest shift with hz * 2^shift > 1e9 keeps mul < 2^32 and precise. */
	while (hz > 2000000000ull) {
		hz >>= 1;
		s--;
	}
	while (hz <= 1000000000ull) {
		hz <<= 1;
		s++;
	}
	*mul = (uint32_t)((1000000000ull << 32) / hz);
	*shift = (int8_t)s;
}

uint32_t hc_pv_features(const struct hc_vm *vm)
{
	return HC_PV_FEATURES | (vm->mode.page_reporting ? HCALL_FEAT_PAGE_REPORTING : 0);
}

void hc_pv_cpuid(struct hc_vm *vm, struct kvm_cpuid2 *c)
{
	static const uint32_t sig[3] = {
		HCALL_CPUID_SIG_EBX, HCALL_CPUID_SIG_ECX, HCALL_CPUID_SIG_EDX,
	};
	uint32_t i, n = 0;

	/*
	 * hcall's leaves at HCALL_CPUID_BASE (0x40000100), beside whatever
	 * hc_cpuid_kvm_leaves() left of KVM's at 0x40000000; whatever else
	 * claimed 0x40000100-0x400001ff goes first, so the guest sees each
	 * leaf once, ours.
	 */
	for (i = 0; i < c->nent; i++)
		if ((c->entries[i].function & 0xffffff00u) != HCALL_CPUID_BASE)
			c->entries[n++] = c->entries[i];
	c->entries[n++] = (struct kvm_cpuid_entry2){
		.function = HCALL_CPUID_BASE, .eax = HCALL_CPUID_MAX,
		.ebx = sig[0], .ecx = sig[1], .edx = sig[2],
	};
	c->entries[n++] = (struct kvm_cpuid_entry2){
		.function = HCALL_CPUID_FEATURES, .eax = HCALL_ABI_VERSION,
		.ebx = hc_pv_features(vm), .ecx = (uint32_t)vm->ncpus,
	};
	c->entries[n++] = (struct kvm_cpuid_entry2){
		.function = HCALL_CPUID_TRANSPORT, .eax = HCALL_XPORT_PIO,
		.ebx = HCALL_PORT_HYPERCALL, .ecx = HCALL_PORT_DOORBELL,
	};
	c->entries[n++] = (struct kvm_cpuid_entry2){
		.function = HCALL_CPUID_TIMING, .eax = vm->pv.tsc_khz, .ebx = APIC_BUS_KHZ,
	};
	c->nent = n;
}

static int set_routing(struct hc_vm *vm, int ncpus)
{
	union {	/* room for the entries after the header, in standard C */
		struct kvm_irq_routing r;
		uint8_t room[sizeof(struct kvm_irq_routing) +
			     (16 + 24 + HCALL_MAX_VCPUS) * sizeof(struct kvm_irq_routing_entry)];
	} rt;
	struct kvm_irq_routing_entry *e = rt.r.entries;
	uint32_t n = 0, i;

	memset(&rt, 0, sizeof(rt));
	/* KVM_SET_GSI_ROUTING replaces the table: restate KVM's defaults. */
	for (i = 0; i < 16; i++) {
		e[n].gsi = i;
		e[n].type = KVM_IRQ_ROUTING_IRQCHIP;
		e[n].u.irqchip.irqchip = i < 8 ? KVM_IRQCHIP_PIC_MASTER : KVM_IRQCHIP_PIC_SLAVE;
		e[n++].u.irqchip.pin = i % 8;
	}
	for (i = 0; i < 24; i++) {
		e[n].gsi = i;
		e[n].type = KVM_IRQ_ROUTING_IRQCHIP;
		e[n].u.irqchip.irqchip = KVM_IRQCHIP_IOAPIC;
		e[n++].u.irqchip.pin = i;
	}
	/* An upcall route per vCPU: fixed, edge, physical destination APIC ID = vCPU. */
	for (i = 0; i < (uint32_t)ncpus; i++) {
		e[n].gsi = HC_UPCALL_GSI + i;
		e[n].type = KVM_IRQ_ROUTING_MSI;
		e[n].u.msi.address_lo = MSI_ADDR_BASE | (i << 12);
		e[n++].u.msi.data = HC_CALLBACK_VECTOR;
	}
	rt.r.nr = n;
	return ioctl(vm->vm_fd, KVM_SET_GSI_ROUTING, &rt);
}

int hc_pv_init(struct hc_vm *vm, int ncpus, char *err, size_t errlen)
{
	struct kvm_irqfd irqfd = { 0 };
	int i;

	if (ncpus < 1 || ncpus > HCALL_MAX_VCPUS) {
		snprintf(err, errlen, "PV mode: %d vCPUs (1 to %d)", ncpus, HCALL_MAX_VCPUS);
		return -1;
	}
	if (set_routing(vm, ncpus) < 0) {
		snprintf(err, errlen, "KVM_SET_GSI_ROUTING: %s", strerror(errno));
		return -1;
	}
	for (i = 0; i < ncpus; i++) {
		vm->pv.upcall_fd[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (vm->pv.upcall_fd[i] < 0)
			goto fail;
		irqfd.fd = (uint32_t)vm->pv.upcall_fd[i];
		irqfd.gsi = HC_UPCALL_GSI + (uint32_t)i;
		if (ioctl(vm->vm_fd, KVM_IRQFD, &irqfd) < 0)
			goto fail;
	}
	if (hc_store_setup(vm) || hc_balloon_publish(vm)) {
		snprintf(err, errlen, "store: out of memory");
		return -1;
	}
	vm->pv.enabled = 1;
	return 0;
fail:
	snprintf(err, errlen, "PV upcall irqfd: %s", strerror(errno));
	return -1;
}

void hc_pv_destroy(struct hc_vm *vm)
{
	int i;

	hc_console_stop(vm);
	hc_console_drain(vm);	/* the guest's last words, e.g. a panic */
	hc_backends_destroy(vm);	/* stops the driver domain's rings first */
	pthread_mutex_lock(&vm->pv.lock);
	hc_store_teardown(vm);
	__atomic_store_n(&vm->pv.cons, NULL, __ATOMIC_RELEASE);
	__atomic_store_n(&vm->pv.shared, NULL, __ATOMIC_RELEASE);
	for (i = 0; i < HC_SHIM_PORTS; i++)
		if (vm->pv.ports[i].kick_fd >= 0) {
			close(vm->pv.ports[i].kick_fd);
			vm->pv.ports[i].kick_fd = -1;
		}
	for (i = 0; i < HCALL_MAX_VCPUS; i++) {
		if (vm->pv.upcall_fd[i] >= 0)
			close(vm->pv.upcall_fd[i]);
		vm->pv.upcall_fd[i] = -1;
	}
	pthread_mutex_unlock(&vm->pv.lock);
}
