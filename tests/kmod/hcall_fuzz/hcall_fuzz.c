// SPDX-License-Identifier: GPL-2.0
/*
 * hcall_fuzz: fire hypercalls with garbage numbers and arguments at the
 * shim for a bounded time, and walk event channels through their whole
 * life (allocate, send, close, close again) among the ports the console and
 * the store own. The shim must answer each call with a result (an error for
 * garbage), never let this module close a port it does not own, and keep
 * the guest running; the retired hypercall-page MSR must fault.
 *
 * Garbage is kept from the few calls that would legitimately end or
 * corrupt this guest: a valid shutdown reason, a writable page address.
 */
#include <linux/jiffies.h>
#include <linux/module.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <asm/hcall.h>
#include <asm/hcall_bus.h>
#include <asm/msr.h>

#define RETIRED_HYPERCALL_PAGE_MSR	0x40000200
#define FUZZ_PORTS			8
#define FOREIGN_PORTS			64	/* the console's and store's are among them */

static unsigned int seconds = 3;
module_param(seconds, uint, 0444);
MODULE_PARM_DESC(seconds, "How long to fire hypercalls");

struct fuzz_stats {
	unsigned long calls, errors, ok, bad;
	unsigned long allocs, sends, closes, foreign_refused;
	unsigned long msr_tries, msr_faults;
};

/* The transport with every argument register chosen by the caller. */
static long fuzz_raw(unsigned long nr, const unsigned long a[5])
{
	register unsigned long rdi asm("rdi") = a[0];
	register unsigned long rsi asm("rsi") = a[1];
	register unsigned long rdx asm("rdx") = a[2];
	register unsigned long r10 asm("r10") = a[3];
	register unsigned long r8 asm("r8") = a[4];
	unsigned long rax = nr;

	asm volatile("outl %%eax, %[port]"
		     : "+a" (rax)
		     : [port] "N" (HCALL_PORT_HYPERCALL), "r" (rdi), "r" (rsi),
		       "r" (rdx), "r" (r10), "r" (r8)
		     : "memory");
	return rax;
}

static long fuzz_call1(unsigned long nr, unsigned long a0)
{
	unsigned long a[5] = { a0 };

	return fuzz_raw(nr, a);
}

/* An address the shim must refuse: unaligned, or far beyond guest RAM. */
static unsigned long bad_gpa(unsigned long r)
{
	return (r & 1) ? r : r | (1UL << 45);
}

static bool owned(const long *ports, long port)
{
	int i;

	for (i = 0; i < FUZZ_PORTS; i++)
		if (ports[i] == port)
			return true;
	return false;
}

/* One step of an event channel's life on a port of ours or someone else's. */
static void fuzz_evtchn(struct fuzz_stats *st, long *ports)
{
	int i = get_random_u32_below(FUZZ_PORTS);
	long port, ret;

	switch (get_random_u32_below(4)) {
	case 0:
		if (ports[i])
			break;
		ret = fuzz_call1(HCALL_evtchn_alloc, HCALL_DOMID_BACKEND);
		if (ret > 0) {
			ports[i] = ret;
			st->allocs++;
		} else if (ret != -HCALL_ENOSPC) {
			st->bad++;
		}
		break;
	case 1:
		if (!ports[i])
			break;
		if (fuzz_call1(HCALL_evtchn_send, ports[i]) < 0)
			st->bad++;
		st->sends++;
		break;
	case 2:
		if (!ports[i])
			break;
		/* Closing our own port works once, and only once. */
		if (fuzz_call1(HCALL_evtchn_close, ports[i]) != 0)
			st->bad++;
		if (fuzz_call1(HCALL_evtchn_close, ports[i]) >= 0)
			st->bad++;
		ports[i] = 0;
		st->closes++;
		break;
	case 3:
		port = 1 + get_random_u32_below(FOREIGN_PORTS - 1);
		if (owned(ports, port))
			break;
		/* The console's, the store's or nobody's: never ours to close. */
		if (fuzz_call1(HCALL_evtchn_close, port) >= 0)
			st->bad++;
		else
			st->foreign_refused++;
		break;
	}
}

static void fuzz_garbage(struct fuzz_stats *st)
{
	unsigned long nr = get_random_u32_below(256), a[5];
	long ret;

	get_random_bytes(a, sizeof(a));
	switch (nr) {
	case HCALL_start_info:
	case HCALL_shared_info:
	case HCALL_console_setup:
	case HCALL_gnttab_setup:
		a[0] = bad_gpa(a[0]);
		break;
	case HCALL_evtchn_close:
		/* Ports of the console and store are small: keep this garbage big. */
		a[0] |= 1UL << 40;
		break;
	case HCALL_shutdown:
		a[0] |= 0x100;
		break;
	}
	ret = fuzz_raw(nr, a);
	st->calls++;
	if (ret < 0)
		st->errors++;
	else
		st->ok++;
	/* Garbage must fail; only null and a send to a bound port succeed. */
	if (nr >= HCALL_NR_HYPERCALLS && ret != -HCALL_ENOSYS)
		st->bad++;
	if (nr != HCALL_null && nr != HCALL_evtchn_send && ret >= 0)
		st->bad++;
}

static int __init hcall_fuzz_init(void)
{
	unsigned long end = jiffies + seconds * HZ, a[5];
	struct fuzz_stats st = {};
	long ports[FUZZ_PORTS] = {};
	unsigned int back = 0;
	int i, store;

	if (!hcall_platform())
		return -ENODEV;
	while (time_before(jiffies, end)) {
		fuzz_garbage(&st);
		if (!(st.calls % 8))
			fuzz_evtchn(&st, ports);
		/* A raw exit with garbage in every register. */
		if (!(st.calls % 64)) {
			get_random_bytes(a, sizeof(a));
			fuzz_raw(get_random_u32() | 0x80000000, a);
		}
		if (!(st.calls % 256)) {
			st.msr_tries++;
			if (wrmsrl_safe(RETIRED_HYPERCALL_PAGE_MSR, bad_gpa(get_random_long())))
				st.msr_faults++;
		}
		if (!(st.calls % 1024))
			cond_resched();
	}
	for (i = 0; i < FUZZ_PORTS; i++)
		if (ports[i] && fuzz_call1(HCALL_evtchn_close, ports[i]) != 0)
			st.bad++;
	/* The store still answers after all that: a write read back. */
	store = hcall_store_printf("data", "hcall-fuzz", "%u", (unsigned int)st.calls);
	if (!store)
		store = hcall_store_read_uint("data", "hcall-fuzz", &back);
	if (!store && back != (unsigned int)st.calls)
		store = -EIO;
	pr_info("HCALL-FUZZ calls=%lu errors=%lu ok=%lu bad=%lu allocs=%lu sends=%lu closes=%lu foreign_refused=%lu msr_tries=%lu msr_faults=%lu store=%d\n",
		st.calls, st.errors, st.ok, st.bad, st.allocs, st.sends, st.closes,
		st.foreign_refused, st.msr_tries, st.msr_faults, store);
	return 0;
}

static void __exit hcall_fuzz_exit(void)
{
}

module_init(hcall_fuzz_init);
module_exit(hcall_fuzz_exit);
MODULE_DESCRIPTION("hcall hypercall fuzzer (test module)");
MODULE_LICENSE("GPL");
