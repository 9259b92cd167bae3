// SPDX-License-Identifier: GPL-2.0
/*
 * hcall_storeread: the guest tests' window on the store, which has no
 * other reader inside the guest. Loading it logs one line per path in
 * nodes=, "HCALL-STORE <path>=<value>", or "HCALL-STORE <path>=(<errno>)"
 * when the node cannot be read (-2: there is none). It does nothing else
 * and is removed again with rmmod.
 */
#include <linux/err.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <asm/hcall.h>
#include <asm/hcall_bus.h>

#define STOREREAD_MAX	8

static char *nodes[STOREREAD_MAX];
static int nr_nodes;
module_param_array(nodes, charp, &nr_nodes, 0444);
MODULE_PARM_DESC(nodes, "store paths to log, comma-separated");

static int __init storeread_init(void)
{
	char *val;
	int i;

	if (!hcall_platform())
		return -ENODEV;
	for (i = 0; i < nr_nodes; i++) {
		val = hcall_store_read_str(nodes[i], "");
		if (IS_ERR(val)) {
			pr_info("HCALL-STORE %s=(%ld)\n", nodes[i], PTR_ERR(val));
			continue;
		}
		pr_info("HCALL-STORE %s=%s\n", nodes[i], val);
		kfree(val);
	}
	return 0;
}
module_init(storeread_init);

static void __exit storeread_exit(void)
{
}
module_exit(storeread_exit);

MODULE_DESCRIPTION("hcall test: log store nodes named at load time");
MODULE_LICENSE("GPL");
