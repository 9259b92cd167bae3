// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The three guest modes' CPUID: plain HVM hides KVM's paravirt leaves, the
 * KVM PV modes keep only the supported features not switched off, and
 * --pv-off knows its names and refuses others.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdint.h>
#include <string.h>
#include <asm/kvm_para.h>

#include "hcall/vmm/cpuid.h"

#define X2APIC (1u << 21)

struct leaves {
	struct kvm_cpuid2 c;
	struct kvm_cpuid_entry2 e[5];
};

/* What KVM_GET_SUPPORTED_CPUID gives, in short. */
static void supported(struct leaves *k)
{
	memset(k, 0, sizeof(*k));
	k->c.nent = 5;
	k->e[0] = (struct kvm_cpuid_entry2){ .function = 1, .eax = 0x806f8, .ecx = X2APIC | 1 };
	k->e[1] = (struct kvm_cpuid_entry2){ .function = 0x40000000, .eax = 0x40000001,
					     .ebx = 0x4b4d564b };
	k->e[2] = (struct kvm_cpuid_entry2){ .function = 0x40000001, .eax = 0x01007efb,
					     .edx = 1 };
	k->e[3] = (struct kvm_cpuid_entry2){ .function = 0x80000001, .ecx = 7 };
	k->e[4] = (struct kvm_cpuid_entry2){ .function = 0x400000ff };
}

static const struct kvm_cpuid_entry2 *leaf(const struct leaves *k, uint32_t fn)
{
	for (uint32_t i = 0; i < k->c.nent; i++)
		if (k->c.entries[i].function == fn)
			return &k->c.entries[i];
	return NULL;
}

static void plain_hvm_hides_kvm_leaves(void **state)
{
	struct leaves k;

	(void)state;
	supported(&k);
	hc_cpuid_kvm_leaves(&k.c, &(struct hc_cpu_mode){ 0 });
	assert_int_equal(k.c.nent, 2);
	assert_null(leaf(&k, 0x40000000));
	assert_null(leaf(&k, 0x40000001));
	assert_null(leaf(&k, 0x400000ff));
	assert_int_equal(leaf(&k, 1)->ecx, X2APIC | 1);	/* the CPU itself is untouched */
	assert_int_equal(leaf(&k, 0x80000001)->ecx, 7);
}

static void kvm_pv_keeps_supported_features_without_hints(void **state)
{
	struct leaves k;

	(void)state;
	supported(&k);
	hc_cpuid_kvm_leaves(&k.c, &(struct hc_cpu_mode){ .kvm_pv = 1 });
	assert_int_equal(k.c.nent, 5);
	assert_int_equal(leaf(&k, 0x40000000)->ebx, 0x4b4d564b);
	assert_int_equal(leaf(&k, 0x40000001)->eax, 0x01007efb);	/* async #PF too */
	assert_int_equal(leaf(&k, 0x40000001)->edx, 0);		/* no REALTIME hint */
}

static void hcall_guest_gets_no_async_pf(void **state)
{
	struct leaves k;
	uint32_t apf = 1u << KVM_FEATURE_ASYNC_PF | 1u << KVM_FEATURE_ASYNC_PF_INT |
		       1u << KVM_FEATURE_ASYNC_PF_VMEXIT;

	(void)state;
	supported(&k);
	hc_cpuid_kvm_leaves(&k.c, &(struct hc_cpu_mode){ .hcall = 1, .kvm_pv = 1 });
	assert_int_equal(leaf(&k, 0x40000001)->eax, 0x01007efb & ~apf);
	assert_int_equal(leaf(&k, 1)->ecx, X2APIC | 1);
}

static void pv_off_masks_each_mechanism(void **state)
{
	static const struct {
		const char *list;
		uint32_t gone;
	} cases[] = {
		{ "eoi", 1u << KVM_FEATURE_PV_EOI },
		{ "ipi", 1u << KVM_FEATURE_PV_SEND_IPI },
		{ "tlb", 1u << KVM_FEATURE_PV_TLB_FLUSH },
		{ "spin", 1u << KVM_FEATURE_PV_UNHALT },
		{ "steal", 1u << KVM_FEATURE_STEAL_TIME },
		{ "yield", 1u << KVM_FEATURE_PV_SCHED_YIELD },
		{ "pollctl", 1u << KVM_FEATURE_POLL_CONTROL },
		{ "iodelay", 1u << KVM_FEATURE_NOP_IO_DELAY },
		{ "clock", 1u << KVM_FEATURE_CLOCKSOURCE | 1u << KVM_FEATURE_CLOCKSOURCE2 |
			   1u << KVM_FEATURE_CLOCKSOURCE_STABLE_BIT },
		{ "eoi,ipi", 1u << KVM_FEATURE_PV_EOI | 1u << KVM_FEATURE_PV_SEND_IPI },
	};
	char err[160];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct hc_cpu_mode m = { .kvm_pv = 1 };
		struct leaves k;

		supported(&k);
		assert_int_equal(hc_pv_off_parse(cases[i].list, &m.pv_off, err, sizeof(err)), 0);
		hc_cpuid_kvm_leaves(&k.c, &m);
		assert_int_equal(leaf(&k, 0x40000001)->eax, 0x01007efb & ~cases[i].gone);
		assert_int_equal(leaf(&k, 1)->ecx, X2APIC | 1);
	}
}

static void pv_off_all_and_x2apic(void **state)
{
	struct hc_cpu_mode m = { .hcall = 1, .kvm_pv = 1 };
	struct leaves k;
	char err[160];

	(void)state;
	supported(&k);
	assert_int_equal(hc_pv_off_parse("x2apic", &m.pv_off, err, sizeof(err)), 0);
	hc_cpuid_kvm_leaves(&k.c, &m);
	assert_int_equal(leaf(&k, 1)->ecx, 1);
	assert_int_not_equal(leaf(&k, 0x40000001)->eax, 0);

	/* An hcall guest with every KVM feature off sees no KVM leaves at all... */
	supported(&k);
	assert_int_equal(hc_pv_off_parse("all", &m.pv_off, err, sizeof(err)), 0);
	hc_cpuid_kvm_leaves(&k.c, &m);
	assert_int_equal(leaf(&k, 1)->ecx, 1);
	assert_null(leaf(&k, 0x40000000));
	assert_null(leaf(&k, 0x40000001));
	assert_null(leaf(&k, 0x400000ff));
	assert_int_equal(k.c.nent, 2);

	/* ...nor when the names add up to all KVM supports, async #PF aside. */
	m.pv_off = 0;
	supported(&k);
	assert_int_equal(hc_pv_off_parse("eoi,ipi,tlb,spin,steal,clock,yield,pollctl",
					 &m.pv_off, err, sizeof(err)), 0);
	assert_int_equal(hc_pv_off_parse("iodelay", &m.pv_off, err, sizeof(err)), 0);
	hc_cpuid_kvm_leaves(&k.c, &m);
	assert_null(leaf(&k, 0x40000000));
	assert_int_equal(leaf(&k, 1)->ecx, X2APIC | 1);

	/* --hvm --kvm-pv --pv-off all keeps the signature, as KVM users have it. */
	m = (struct hc_cpu_mode){ .kvm_pv = 1 };
	supported(&k);
	assert_int_equal(hc_pv_off_parse("all", &m.pv_off, err, sizeof(err)), 0);
	hc_cpuid_kvm_leaves(&k.c, &m);
	assert_int_equal(leaf(&k, 0x40000001)->eax, 0);
	assert_non_null(leaf(&k, 0x40000000));
}

static void pv_off_accumulates(void **state)
{
	uint64_t off = 0;
	char err[160];

	(void)state;
	assert_int_equal(hc_pv_off_parse("eoi", &off, err, sizeof(err)), 0);
	assert_int_equal(hc_pv_off_parse("ipi,x2apic", &off, err, sizeof(err)), 0);
	assert_true(off == (1ull << KVM_FEATURE_PV_EOI | 1ull << KVM_FEATURE_PV_SEND_IPI |
			    HC_PV_OFF_X2APIC));
	/* A refused list adds nothing, not even its good names. */
	assert_int_equal(hc_pv_off_parse("tlb,bogus", &off, err, sizeof(err)), -1);
	assert_true(off == (1ull << KVM_FEATURE_PV_EOI | 1ull << KVM_FEATURE_PV_SEND_IPI |
			    HC_PV_OFF_X2APIC));
}

static void pv_off_refuses_unknown_names(void **state)
{
	uint64_t off = 123;
	char err[160];

	(void)state;
	assert_int_equal(hc_pv_off_parse("eoi,bogus", &off, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "'bogus'"));
	assert_int_equal(hc_pv_off_parse("", &off, err, sizeof(err)), -1);
	assert_int_equal(hc_pv_off_parse("eoi,", &off, err, sizeof(err)), -1);
	assert_int_equal(hc_pv_off_parse("eo", &off, err, sizeof(err)), -1);
	assert_int_equal(hc_pv_off_parse("eoix", &off, err, sizeof(err)), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(plain_hvm_hides_kvm_leaves),
		cmocka_unit_test(kvm_pv_keeps_supported_features_without_hints),
		cmocka_unit_test(hcall_guest_gets_no_async_pf),
		cmocka_unit_test(pv_off_masks_each_mechanism),
		cmocka_unit_test(pv_off_all_and_x2apic),
		cmocka_unit_test(pv_off_accumulates),
		cmocka_unit_test(pv_off_refuses_unknown_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
