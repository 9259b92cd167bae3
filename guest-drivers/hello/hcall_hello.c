// SPDX-License-Identifier: GPL-2.0
/*
 * hcall_hello: the smallest out-of-tree module, proving the kbuild M= path
 * against the patched tree. It exposes a parameter so the guest can check
 * that the module really is loaded and running.
 */
#include <linux/init.h>
#include <linux/module.h>

static int answer = 42;
module_param(answer, int, 0444);
MODULE_PARM_DESC(answer, "A value the guest reads back from sysfs");

static int __init hcall_hello_init(void)
{
	pr_info("hcall_hello: loaded, answer=%d\n", answer);
	return 0;
}

static void __exit hcall_hello_exit(void)
{
	pr_info("hcall_hello: unloaded\n");
}

module_init(hcall_hello_init);
module_exit(hcall_hello_exit);
MODULE_DESCRIPTION("hcall out-of-tree module smoke test");
MODULE_LICENSE("GPL");
