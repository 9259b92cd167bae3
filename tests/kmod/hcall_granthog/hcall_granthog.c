// SPDX-License-Identifier: GPL-2.0
/*
 * hcall_granthog: takes every free grant reference while loaded, as a
 * busy disk (or any other frontend) can, and gives them all back on
 * unload. For the tests of frontends that must not stall for good when
 * grants run out: their own interrupts are not what frees these.
 */
#include <linux/gfp.h>
#include <linux/module.h>
#include <linux/vmalloc.h>
#include <asm/hcall.h>

#define HOG_MAX		65536

static int *refs;
static unsigned int taken;
static unsigned long page;

static int __init hog_init(void)
{
	int ref;

	refs = vmalloc_array(HOG_MAX, sizeof(*refs));
	page = get_zeroed_page(GFP_KERNEL);
	if (!refs || !page) {
		vfree(refs);
		free_page(page);
		return -ENOMEM;
	}
	/* Granted to a domain that maps nothing: the entries are only held. */
	while (taken < HOG_MAX) {
		ref = hcall_gnttab_grant_access(0, PFN_DOWN(__pa(page)), true);
		if (ref < 0)
			break;
		refs[taken++] = ref;
	}
	pr_info("HCALL-GRANTHOG took=%u\n", taken);
	return 0;
}
module_init(hog_init);

static void __exit hog_exit(void)
{
	unsigned int i, kept = 0;

	for (i = 0; i < taken; i++)
		if (!hcall_gnttab_end_access(refs[i]))
			kept++;
	vfree(refs);
	/* A grant someone mapped after all keeps its page. */
	if (!kept)
		free_page(page);
	pr_info("HCALL-GRANTHOG released=%u\n", taken - kept);
}
module_exit(hog_exit);

MODULE_DESCRIPTION("hcall test: hold every free grant reference while loaded");
MODULE_LICENSE("GPL");
