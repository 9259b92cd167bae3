/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the guest's CPUID shows of the hypervisor: the three guest modes
 * (plain HVM, HVM with KVM's paravirt leaves, hcall PV beside KVM's
 * leaves) and the per-mechanism switches that mask KVM's features.
 */
#ifndef HCALL_VMM_CPUID_H
#define HCALL_VMM_CPUID_H

#include <stddef.h>
#include <stdint.h>
#include <linux/kvm.h>

#define HC_KVM_CPUID_SIGNATURE	0x40000000u	/* KVM's leaves: "KVMKVMKVM" */
#define HC_KVM_CPUID_FEATURES	0x40000001u	/* eax: KVM_FEATURE_* bits, edx: hints */
#define HC_KVM_CPUID_END	0x400000ffu

/* Pseudo-feature of --pv-off: CPUID.1:ECX.x2APIC, not a KVM leaf bit. */
#define HC_PV_OFF_X2APIC	(1ull << 32)

struct hc_cpu_mode {
	int hcall;		/* the hcall PV platform (leaves at HCALL_CPUID_BASE) */
	int kvm_pv;		/* KVM's paravirt leaves at 0x40000000 */
	uint64_t pv_off;	/* (1 << KVM_FEATURE_*) bits and HC_PV_OFF_X2APIC */
	int page_reporting;	/* hcall offers HCALL_FEAT_PAGE_REPORTING */
};

/*
 * Parse --pv-off's comma-separated LIST (eoi, ipi, tlb, spin, steal, clock,
 * yield, pollctl, asyncpf, iodelay, x2apic, all) and add it to @off (so
 * repeated --pv-off options accumulate). -1 with the first unknown name in
 * @err, @off untouched.
 */
int hc_pv_off_parse(const char *list, uint64_t *off, char *err, size_t errlen);
/* The names --pv-off knows, for --help: "eoi,ipi,...". */
const char *hc_pv_off_names(void);

/*
 * Apply @m to the entries KVM reported as supported: without kvm_pv drop
 * KVM's leaves; with it keep only the supported features not switched
 * off (no async #PF on an hcall guest: its interrupt vector is hcall's
 * upcall) and no hints. An hcall guest left with no KVM feature gets no
 * KVM leaves at all. Hides x2APIC when switched off.
 */
void hc_cpuid_kvm_leaves(struct kvm_cpuid2 *c, const struct hc_cpu_mode *m);

#endif
