// SPDX-License-Identifier: GPL-2.0
/*
 * hcall_fuzz: fire hypercalls with garbage numbers and arguments at the
 * shim for a bounded time, through the hypercall page, straight at the
 * hypercall port and through the hypercall-page MSR. The shim must answer
 * each with a result (an error for garbage) and keep the guest running.
 *
 * Garbage is kept from the few calls that would legitimately end or
 * corrupt this guest: a valid shutdown reason, a writable page address, the
 * console's port.
 */
#include <linux/io.h>
#include <linux/jiffies.h>
#include <linux/module.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <asm/hcall.h>
#include <asm/msr.h>
#include <asm/nospec-branch.h>

static unsigned int seconds = 3;
module_param(seconds, uint, 0444);
MODULE_PARM_DESC(seconds, "How long to fire hypercalls");

static long hcall_fuzz_call(unsigned int slot, unsigned long a1, unsigned long a2,
			    unsigned long a3, unsigned long a4, unsigned long a5)
{
	register unsigned long rdi asm("rdi") = a1;
	register unsigned long rsi asm("rsi") = a2;
	register unsigned long rdx asm("rdx") = a3;
	register unsigned long r10 asm("r10") = a4;
	register unsigned long r8 asm("r8") = a5;
	register unsigned long rax asm("rax");
	void *target = hcall_hypercall_page + slot * HCALL_HYPERCALL_STRIDE;

	asm volatile(CALL_NOSPEC
		     : "=r" (rax), "+r" (rdi), "+r" (rsi), "+r" (rdx), "+r" (r10),
		       "+r" (r8), ASM_CALL_CONSTRAINT
		     : [thunk_target] "r" (target)
		     : "memory", "rcx", "r11");
	return rax;
}

/* An address the shim must refuse: unaligned, or far beyond guest RAM. */
static unsigned long bad_gpa(unsigned long r)
{
	return (r & 1) ? r : r | (1UL << 45);
}

static int __init hcall_fuzz_init(void)
{
	unsigned long calls = 0, errors = 0, ok = 0, bad = 0, msr_faults = 0;
	unsigned long end = jiffies + seconds * HZ;

	if (!hcall_platform())
		return -ENODEV;
	while (time_before(jiffies, end)) {
		unsigned int slot = get_random_u32_below(HCALL_NR_SLOTS);
		unsigned long a[5];
		long ret;

		get_random_bytes(a, sizeof(a));
		switch (slot) {
		case HCALL_start_info:
		case HCALL_shared_info:
		case HCALL_console_setup:
		case HCALL_gnttab_setup:
			a[0] = bad_gpa(a[0]);
			break;
		case HCALL_evtchn_close:
			if (a[0] < 2)
				a[0] = 2;
			break;
		case HCALL_shutdown:
			a[0] |= 0x100;
			break;
		}
		ret = hcall_fuzz_call(slot, a[0], a[1], a[2], a[3], a[4]);
		calls++;
		if (ret < 0)
			errors++;
		else
			ok++;
		/* Garbage must fail; only null and a send to a bound port succeed. */
		if (slot >= HCALL_NR_HYPERCALLS && ret != -HCALL_ENOSYS)
			bad++;
		if (slot != HCALL_null && slot != HCALL_evtchn_send && ret >= 0)
			bad++;

		/* A raw exit with garbage in every register. */
		if (!(calls % 64))
			outl(get_random_u32() | 0x80000000, 0xe8);
		if (!(calls % 256) &&
		    wrmsrl_safe(HCALL_MSR_HYPERCALL_PAGE, bad_gpa(get_random_long())))
			msr_faults++;
		if (!(calls % 1024))
			cond_resched();
	}
	pr_info("HCALL-FUZZ calls=%lu errors=%lu ok=%lu bad=%lu msr_faults=%lu\n",
		calls, errors, ok, bad, msr_faults);
	return 0;
}

static void __exit hcall_fuzz_exit(void)
{
}

module_init(hcall_fuzz_init);
module_exit(hcall_fuzz_exit);
MODULE_DESCRIPTION("hcall hypercall fuzzer (test module)");
MODULE_LICENSE("GPL");
