// SPDX-License-Identifier: GPL-2.0
/*
 * hcall_triple: triple-fault the CPU on load, so a test can check that the
 * VMM reports it as a crash. An empty IDT turns the int3 into #GP, the #GP
 * into #DF and the #DF into a shutdown.
 */
#include <linux/irqflags.h>
#include <linux/module.h>
#include <asm/desc.h>

static int __init hcall_triple_init(void)
{
	struct desc_ptr empty = { .size = 0, .address = 0 };

	local_irq_disable();
	load_idt(&empty);
	asm volatile("int3");
	return -EIO;	/* not reached */
}
module_init(hcall_triple_init);

MODULE_DESCRIPTION("hcall test: triple-fault the CPU on load");
MODULE_LICENSE("GPL");
