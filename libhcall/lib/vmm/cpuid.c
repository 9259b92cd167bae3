// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The guest's view of KVM's paravirt CPUID leaves. KVM serves kvmclock,
 * PV EOI, PV IPIs, PV TLB flush, PV spinlock kicks, steal time and sched
 * yield inside the host kernel; a guest uses each only if leaf 0x40000001
 * shows it, and KVM_CAP_ENFORCE_PV_FEATURE_CPUID (vm.c) makes KVM refuse
 * what it does not show, so masking a bit here switches a mechanism off.
 */
#include <stdio.h>
#include <string.h>
#include <asm/kvm_para.h>

#include "hcall/vmm/cpuid.h"

#define BIT(f)		(1ull << (f))
#define CPUID_X2APIC	(1u << 21)	/* leaf 1, ecx */

static const struct {
	const char *name;
	uint64_t bits;
} pv_names[] = {
	{ "eoi", BIT(KVM_FEATURE_PV_EOI) },
	{ "ipi", BIT(KVM_FEATURE_PV_SEND_IPI) },
	{ "tlb", BIT(KVM_FEATURE_PV_TLB_FLUSH) },
	{ "spin", BIT(KVM_FEATURE_PV_UNHALT) },
	{ "steal", BIT(KVM_FEATURE_STEAL_TIME) },
	{ "clock", BIT(KVM_FEATURE_CLOCKSOURCE) | BIT(KVM_FEATURE_CLOCKSOURCE2) |
		   BIT(KVM_FEATURE_CLOCKSOURCE_STABLE_BIT) },
	{ "yield", BIT(KVM_FEATURE_PV_SCHED_YIELD) },
	{ "pollctl", BIT(KVM_FEATURE_POLL_CONTROL) },
	{ "asyncpf", BIT(KVM_FEATURE_ASYNC_PF) | BIT(KVM_FEATURE_ASYNC_PF_VMEXIT) |
		     BIT(KVM_FEATURE_ASYNC_PF_INT) },
	{ "iodelay", BIT(KVM_FEATURE_NOP_IO_DELAY) },
	{ "x2apic", HC_PV_OFF_X2APIC },
	{ "all", 0xffffffffull | HC_PV_OFF_X2APIC },
};

const char *hc_pv_off_names(void)
{
	return "eoi,ipi,tlb,spin,steal,clock,yield,pollctl,asyncpf,iodelay,x2apic,all";
}

int hc_pv_off_parse(const char *list, uint64_t *off, char *err, size_t errlen)
{
	const char *p = list;
	uint64_t add = 0;

	for (;;) {
		size_t len = strcspn(p, ","), i;

		for (i = 0; i < sizeof(pv_names) / sizeof(pv_names[0]); i++)
			if (strlen(pv_names[i].name) == len && !strncmp(p, pv_names[i].name, len))
				break;
		if (i == sizeof(pv_names) / sizeof(pv_names[0])) {
			snprintf(err, errlen, "unknown --pv-off name '%.*s' (known: %s)",
				 (int)len, p, hc_pv_off_names());
			return -1;
		}
		add |= pv_names[i].bits;
		if (!p[len]) {
			*off |= add;	/* a second --pv-off adds to the first */
			return 0;
		}
		p += len + 1;
	}
}

void hc_cpuid_kvm_leaves(struct kvm_cpuid2 *c, const struct hc_cpu_mode *m)
{
	uint64_t off = m->pv_off;
	uint32_t i, n = 0;
	int show = m->kvm_pv;

	/* Async #PF interrupts come on the vector that is hcall's upcall. */
	if (m->hcall)
		off |= BIT(KVM_FEATURE_ASYNC_PF) | BIT(KVM_FEATURE_ASYNC_PF_VMEXIT) |
		       BIT(KVM_FEATURE_ASYNC_PF_INT);
	/*
	 * An hcall guest left with no KVM feature sees no KVM leaves at all
	 * (--pv-off all): it is the hcall guest it was before KVM's CPU
	 * operations came beside the platform, with none of KVM's guest setup
	 * (which runs on the signature alone). --hvm --kvm-pv keeps the
	 * signature: that is what a KVM user with every feature off gets.
	 */
	for (i = 0; show && m->hcall && i < c->nent; i++)
		if (c->entries[i].function == HC_KVM_CPUID_FEATURES &&
		    !(c->entries[i].eax & ~(uint32_t)off))
			show = 0;
	for (i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];
		int kvm = e->function >= HC_KVM_CPUID_SIGNATURE &&
			  e->function <= HC_KVM_CPUID_END;

		if (kvm && !show)
			continue;
		if (e->function == HC_KVM_CPUID_FEATURES) {
			e->eax &= ~(uint32_t)off;	/* only what KVM supports, minus switches */
			e->edx = 0;	/* no hints: vCPUs are not pinned (no KVM_HINTS_REALTIME) */
		}
		if (e->function == 1 && (off & HC_PV_OFF_X2APIC))
			e->ecx &= ~CPUID_X2APIC;
		c->entries[n++] = *e;
	}
	c->nent = n;
}
