// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * PV platform setup: CPUID leaves, the hypercall page, the upcall route
 * (an irqfd on an MSI route to the callback vector) and the pvclock.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "hcall/guestmem.h"
#include "hcall/pv.h"
#include "hcall/vm.h"

#define KVM_CPUID_LEAVES_START 0x40000000u
#define KVM_CPUID_LEAVES_END   0x400000ffu
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

void hc_pv_cpuid(struct hc_vm *vm, struct kvm_cpuid2 *c)
{
	static const uint32_t sig[3] = {
		HCALL_CPUID_SIG_EBX, HCALL_CPUID_SIG_ECX, HCALL_CPUID_SIG_EDX,
	};
	uint32_t i, n = 0;

	/* Drop KVM's own paravirt leaves: one hypervisor, one interface. */
	for (i = 0; i < c->nent; i++)
		if (c->entries[i].function < KVM_CPUID_LEAVES_START ||
		    c->entries[i].function > KVM_CPUID_LEAVES_END)
			c->entries[n++] = c->entries[i];
	c->entries[n++] = (struct kvm_cpuid_entry2){
		.function = HCALL_CPUID_BASE, .eax = HCALL_CPUID_MAX,
		.ebx = sig[0], .ecx = sig[1], .edx = sig[2],
	};
	c->entries[n++] = (struct kvm_cpuid_entry2){
		.function = HCALL_CPUID_FEATURES, .eax = HCALL_ABI_VERSION,
		.ebx = HCALL_FEAT_CONSOLE | HCALL_FEAT_EVTCHN | HCALL_FEAT_CLOCK |
		       HCALL_FEAT_SHUTDOWN,
		.ecx = (uint32_t)vm->ncpus,
	};
	c->entries[n++] = (struct kvm_cpuid_entry2){
		.function = HCALL_CPUID_HYPERCALL, .eax = 1, .ebx = HCALL_MSR_HYPERCALL_PAGE,
	};
	c->entries[n++] = (struct kvm_cpuid_entry2){
		.function = HCALL_CPUID_TIMING, .eax = vm->pv.tsc_khz, .ebx = APIC_BUS_KHZ,
	};
	c->nent = n;
}

void hc_pv_fill_hypercall_page(uint8_t *page)
{
	int nr;

	memset(page, 0xcc, 4096);	/* int3 between stubs */
	for (nr = 0; nr < HCALL_NR_SLOTS; nr++) {
		uint8_t *p = page + nr * HCALL_HYPERCALL_STRIDE;
		uint32_t imm = (uint32_t)nr;

		/* endbr64: a no-op without CET, a valid indirect target with IBT. */
		*p++ = 0xf3; *p++ = 0x0f; *p++ = 0x1e; *p++ = 0xfa;

		if (nr == HCALL_evtchn_send) {
			/* mov %edi,%eax; out %eax,$doorbell; ret: no exit if bound */
			*p++ = 0x89; *p++ = 0xf8;
			*p++ = 0xe7; *p++ = HC_DOORBELL_PORT;
			*p++ = 0xc3;
			continue;
		}
		if (nr >= HCALL_NR_HYPERCALLS) {
			/* mov $-ENOSYS,%eax; cltq; ret: unknown calls cost no exit */
			imm = (uint32_t)-HCALL_ENOSYS;
			*p++ = 0xb8; memcpy(p, &imm, 4); p += 4;
			*p++ = 0x48; *p++ = 0x98;
			*p++ = 0xc3;
			continue;
		}
		/* mov $nr,%eax; out %eax,$hypercall_port; ret */
		*p++ = 0xb8; memcpy(p, &imm, 4); p += 4;
		*p++ = 0xe7; *p++ = HC_HYPERCALL_PORT;
		*p++ = 0xc3;
	}
}

int hc_pv_wrmsr(struct hc_vm *vm, uint32_t index, uint64_t value)
{
	uint8_t *page;

	if (index != HCALL_MSR_HYPERCALL_PAGE || (value & 0xfff))
		return -1;
	page = hc_gpa(vm->ram, vm->mem, value, 4096);
	if (!page)
		return -1;
	hc_pv_fill_hypercall_page(page);
	pthread_mutex_lock(&vm->pv.lock);
	vm->pv.hypercall_page = value;
	pthread_mutex_unlock(&vm->pv.lock);
	return 0;
}

static int set_routing(struct hc_vm *vm)
{
	struct {
		struct kvm_irq_routing r;
		struct kvm_irq_routing_entry e[16 + 24 + 1];
	} rt;
	uint32_t n = 0, i;

	memset(&rt, 0, sizeof(rt));
	/* KVM_SET_GSI_ROUTING replaces the table: restate KVM's defaults. */
	for (i = 0; i < 16; i++) {
		rt.e[n].gsi = i;
		rt.e[n].type = KVM_IRQ_ROUTING_IRQCHIP;
		rt.e[n].u.irqchip.irqchip = i < 8 ? KVM_IRQCHIP_PIC_MASTER : KVM_IRQCHIP_PIC_SLAVE;
		rt.e[n++].u.irqchip.pin = i % 8;
	}
	for (i = 0; i < 24; i++) {
		rt.e[n].gsi = i;
		rt.e[n].type = KVM_IRQ_ROUTING_IRQCHIP;
		rt.e[n].u.irqchip.irqchip = KVM_IRQCHIP_IOAPIC;
		rt.e[n++].u.irqchip.pin = i;
	}
	rt.e[n].gsi = HC_UPCALL_GSI;
	rt.e[n].type = KVM_IRQ_ROUTING_MSI;
	rt.e[n].u.msi.address_lo = MSI_ADDR_BASE;	/* destination: APIC 0 */
	rt.e[n++].u.msi.data = HC_CALLBACK_VECTOR;	/* fixed, edge */
	rt.r.nr = n;
	return ioctl(vm->vm_fd, KVM_SET_GSI_ROUTING, &rt);
}

int hc_pv_init(struct hc_vm *vm, char *err, size_t errlen)
{
	struct kvm_enable_cap msr_cap = {
		.cap = KVM_CAP_X86_USER_SPACE_MSR,
		.args = { KVM_MSR_EXIT_REASON_UNKNOWN },
	};
	struct kvm_irqfd irqfd = { 0 };

	vm->pv.upcall_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vm->pv.upcall_fd < 0)
		goto fail;
	if (ioctl(vm->vm_fd, KVM_ENABLE_CAP, &msr_cap) < 0) {
		snprintf(err, errlen, "KVM_CAP_X86_USER_SPACE_MSR: %s", strerror(errno));
		return -1;
	}
	if (set_routing(vm) < 0) {
		snprintf(err, errlen, "KVM_SET_GSI_ROUTING: %s", strerror(errno));
		return -1;
	}
	irqfd.fd = (uint32_t)vm->pv.upcall_fd;
	irqfd.gsi = HC_UPCALL_GSI;
	if (ioctl(vm->vm_fd, KVM_IRQFD, &irqfd) < 0)
		goto fail;
	if (hc_store_setup(vm)) {
		snprintf(err, errlen, "store: out of memory");
		return -1;
	}
	vm->pv.enabled = 1;
	return 0;
fail:
	snprintf(err, errlen, "PV upcall irqfd: %s", strerror(errno));
	return -1;
}
