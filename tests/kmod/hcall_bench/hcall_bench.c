// SPDX-License-Identifier: GPL-2.0
/*
 * hcall_bench: the cost of getting to the hypervisor, measured in the
 * guest with the guest's own clock: a null hypercall (exit to the shim),
 * CPUID (exit handled inside KVM), a bare port write nobody claims (exit to
 * the shim) and an event-channel send (doorbell caught by an ioeventfd).
 */
#include <linux/io.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <asm/hcall.h>
#include <asm/processor.h>

static unsigned int iters = 2000;
module_param(iters, uint, 0444);
MODULE_PARM_DESC(iters, "Round trips per operation");

static unsigned int port = 1;
module_param(port, uint, 0444);
MODULE_PARM_DESC(port, "Event channel to send on (1: the console)");

#define BENCH_PIO_PORT 0x510	/* no device: every write exits to the VMM */

static void report(const char *op, u64 start)
{
	u64 ns = ktime_get_ns() - start;

	pr_info("HCALL-BENCH op=%s iters=%u ns_per_op=%llu\n", op, iters,
		div_u64(ns, iters));
}

static int __init hcall_bench_init(void)
{
	unsigned int i, a, b, c, d;
	u64 t;

	if (hcall_platform()) {
		t = ktime_get_ns();
		for (i = 0; i < iters; i++)
			hcall_call0(HCALL_null);
		report("null_hypercall", t);
		t = ktime_get_ns();
		for (i = 0; i < iters; i++)
			hcall_evtchn_send(port);
		report("evtchn_send", t);
	}
	t = ktime_get_ns();
	for (i = 0; i < iters; i++)
		cpuid(0, &a, &b, &c, &d);
	report("cpuid", t);
	t = ktime_get_ns();
	for (i = 0; i < iters; i++)
		outb(0, BENCH_PIO_PORT);
	report("pio_exit", t);
	return 0;
}

static void __exit hcall_bench_exit(void)
{
}

module_init(hcall_bench_init);
module_exit(hcall_bench_exit);
MODULE_DESCRIPTION("hcall exit-cost microbenchmark (test module)");
MODULE_LICENSE("GPL");
