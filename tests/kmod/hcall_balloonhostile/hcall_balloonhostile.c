// SPDX-License-Identifier: GPL-2.0
/*
 * hcall_balloonhostile: HCALL_memory_op as a hostile or broken balloon
 * would make it, on load. Each case prints "HCALL-BALLOONHOSTILE
 * case=NAME ret=N"; every one of them must fail without the host giving
 * up any memory: each bad batch also lists a good page holding a pattern,
 * and "intact=1" says the pattern is still there afterwards. Last, a good
 * batch is given and taken back and must read as zeroes ("zeroed=1").
 *
 * With free page reporting offered, the same for HCALL_MEM_DISCARD lists
 * ("case=d-NAME"): each bad list also names the good page, which must
 * keep its pattern; a good list drops it, and it reads as zeroes with no
 * call to take it back.
 */
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/string.h>
#include <asm/hcall.h>

/* The last byte of RAM, from /proc/iomem: max_pfn is not exported. */
static unsigned long ram_end;
module_param(ram_end, ulong, 0444);
MODULE_PARM_DESC(ram_end, "physical address of the last byte of RAM (0: assume 64 TiB)");

static struct hcall_frame_list *list;
static struct page *good, *other;

static long call(unsigned int op, unsigned long gpa)
{
	return hcall_call2(HCALL_memory_op, op, gpa);
}

/* A batch of the good page, then @bad frames; the result. */
static long batch(const u64 *bad, unsigned int n)
{
	unsigned int i;

	memset(list, 0, PAGE_SIZE);
	list->frames[0] = page_to_pfn(good);
	for (i = 0; i < n; i++)
		list->frames[1 + i] = bad[i];
	list->count = 1 + n;
	return call(HCALL_MEM_RELEASE, virt_to_phys(list));
}

static bool intact(void)
{
	const u8 *p = page_address(good);
	size_t i;

	for (i = 0; i < PAGE_SIZE; i++)
		if (p[i] != 0x5a)
			return false;
	return true;
}

static void report(const char *name, long ret)
{
	pr_info("HCALL-BALLOONHOSTILE case=%s ret=%ld intact=%d\n", name, ret, intact());
}

/*
 * The header both lists start with (count, reserved) made bad, the list
 * page naming the good page first: counts past the page (@max entries),
 * a reserved word. Left with count 1, reserved 0.
 */
static void header_cases(const char *prefix, unsigned int op, u32 max)
{
	u32 *hdr = (u32 *)list;
	char name[32];

	hdr[0] = max + 1;
	snprintf(name, sizeof(name), "%scount-%u", prefix, max + 1);
	report(name, call(op, virt_to_phys(list)));
	hdr[0] = 0xffffffffu;
	snprintf(name, sizeof(name), "%scount-huge", prefix);
	report(name, call(op, virt_to_phys(list)));
	hdr[0] = 1;
	hdr[1] = 1;
	snprintf(name, sizeof(name), "%sreserved", prefix);
	report(name, call(op, virt_to_phys(list)));
	hdr[1] = 0;
}

/* A discard of the good page, then the extent (@frame, @count); the result. */
static long discard(u64 frame, u64 count)
{
	struct hcall_extent_list *l = (void *)list;

	memset(l, 0, PAGE_SIZE);
	l->extents[0] = (struct hcall_extent){ page_to_pfn(good), 1 };
	l->extents[1] = (struct hcall_extent){ frame, count };
	l->count = 2;
	return call(HCALL_MEM_DISCARD, virt_to_phys(l));
}

static void discard_cases(u64 end_pfn, u64 pfn_other)
{
	struct hcall_extent_list *l = (void *)list;
	u64 g = page_to_pfn(good);
	long ret;
	int ref;

	report("d-out-of-range", discard(end_pfn, 1));
	report("d-past-the-end", discard(end_pfn - 1, 2));
	report("d-hole", discard(0xc0000, 1));
	report("d-huge-frame", discard(1ull << 52, 1));
	report("d-wraps", discard(~0ull - 1, 4));
	report("d-empty", discard(pfn_other, 0));
	report("d-too-long", discard(pfn_other, HCALL_EXTENT_MAX_FRAMES + 1));
	report("d-overlap", discard(g - 1, 2));
	report("d-low-page", discard(0x10, 1));
	ref = hcall_gnttab_grant_access(0, pfn_other, true);
	if (ref >= 0) {
		report("d-granted", discard(pfn_other, 1));
		hcall_gnttab_end_access(ref);
	} else {
		pr_info("HCALL-BALLOONHOSTILE case=d-granted skipped=%d\n", ref);
	}
	/* A frame in the balloon is the host's: not the guest's to report. */
	memset(list, 0, PAGE_SIZE);
	list->frames[0] = pfn_other;
	list->count = 1;
	if (!call(HCALL_MEM_RELEASE, virt_to_phys(list))) {
		report("d-released", discard(pfn_other, 1));
		memset(list, 0, PAGE_SIZE);
		list->frames[0] = pfn_other;
		list->count = 1;
		call(HCALL_MEM_RECLAIM, virt_to_phys(list));
	}
	memset(l, 0, PAGE_SIZE);
	l->extents[0] = (struct hcall_extent){ g, 1 };
	header_cases("d-", HCALL_MEM_DISCARD, HCALL_EXTENT_LIST_MAX);
	report("d-list-outside-ram", call(HCALL_MEM_DISCARD, PFN_PHYS(end_pfn)));
	/* Good: dropped, and the page reads as zeroes with no call. */
	ret = call(HCALL_MEM_DISCARD, virt_to_phys(l));
	pr_info("HCALL-BALLOONHOSTILE case=d-good ret=%ld zeroed=%d\n", ret,
		!ret && !memchr_inv(page_address(good), 0, PAGE_SIZE));
	memset(page_address(good), 0x5a, PAGE_SIZE);
}

static int __init hostile_init(void)
{
	u64 pfn_other, end_pfn, f[2];
	int ref;
	long ret;
	u8 *p;

	list = (void *)get_zeroed_page(GFP_KERNEL);
	good = alloc_page(GFP_KERNEL);
	other = alloc_page(GFP_KERNEL);
	if (!list || !good || !other) {
		free_page((unsigned long)list);
		if (good)
			__free_page(good);
		if (other)
			__free_page(other);
		return -ENOMEM;
	}
	memset(page_address(good), 0x5a, PAGE_SIZE);
	pfn_other = page_to_pfn(other);
	end_pfn = ram_end ? PFN_DOWN(ram_end) + 1 : 1ull << 34;

	f[0] = end_pfn;				/* just past the end of RAM */
	report("out-of-range", batch(f, 1));
	f[0] = 0xc0000;				/* the MMIO hole below 4 GiB */
	report("hole", batch(f, 1));
	f[0] = 1ull << 52;			/* its address overflows */
	report("huge-frame", batch(f, 1));
	f[0] = pfn_other;
	f[1] = pfn_other;
	report("duplicate", batch(f, 2));
	f[0] = page_to_pfn(good);
	report("duplicate-first", batch(f, 1));
	f[0] = 0x10;				/* boot structures below 1 MiB */
	report("low-page", batch(f, 1));

	/* A page under a grant, even a read-only one to the backend. */
	ref = hcall_gnttab_grant_access(0, pfn_other, true);
	if (ref >= 0) {
		f[0] = pfn_other;
		report("granted", batch(f, 1));
		hcall_gnttab_end_access(ref);
	} else {
		pr_info("HCALL-BALLOONHOSTILE case=granted skipped=%d\n", ref);
	}

	/* The list page itself: outside RAM, in the hole, misaligned. */
	report("list-outside-ram", call(HCALL_MEM_RELEASE, PFN_PHYS(end_pfn)));
	report("list-in-hole", call(HCALL_MEM_RELEASE, 0xc0000000ul));
	report("list-past-2^64", call(HCALL_MEM_RELEASE, ~0ul & PAGE_MASK));
	report("list-misaligned", call(HCALL_MEM_RELEASE, virt_to_phys(list) + 8));
	/* Counts past the page, a reserved word, an unknown operation. */
	memset(list, 0, PAGE_SIZE);
	list->frames[0] = page_to_pfn(good);
	header_cases("", HCALL_MEM_RELEASE, HCALL_FRAME_LIST_MAX);
	report("bad-op", call(7, virt_to_phys(list)));
	report("reclaim-not-released", call(HCALL_MEM_RECLAIM, virt_to_phys(list)));

	if (hcall_has_feature(HCALL_FEAT_PAGE_REPORTING)) {
		discard_cases(end_pfn, pfn_other);
	} else {
		struct hcall_extent_list *l = (void *)list;

		/* Not offered: refused, and the good page stays. */
		memset(l, 0, PAGE_SIZE);
		l->extents[0] = (struct hcall_extent){ page_to_pfn(good), 1 };
		l->count = 1;
		report("d-not-offered", call(HCALL_MEM_DISCARD, virt_to_phys(l)));
	}
	memset(list, 0, PAGE_SIZE);
	list->frames[0] = page_to_pfn(good);
	list->count = 1;

	/* A good batch: given, then taken back as zeroes. */
	ret = call(HCALL_MEM_RELEASE, virt_to_phys(list));
	pr_info("HCALL-BALLOONHOSTILE case=good-release ret=%ld\n", ret);
	if (!ret) {
		ret = call(HCALL_MEM_RELEASE, virt_to_phys(list));
		pr_info("HCALL-BALLOONHOSTILE case=release-twice ret=%ld\n", ret);
		ret = call(HCALL_MEM_RECLAIM, virt_to_phys(list));
		p = page_address(good);
		pr_info("HCALL-BALLOONHOSTILE case=good-reclaim ret=%ld zeroed=%d\n", ret,
			!ret && !memchr_inv(p, 0, PAGE_SIZE));
	}
	pr_info("HCALL-BALLOONHOSTILE done\n");
	__free_page(good);
	__free_page(other);
	free_page((unsigned long)list);
	return 0;
}
module_init(hostile_init);

static void __exit hostile_exit(void)
{
}
module_exit(hostile_exit);

MODULE_DESCRIPTION("hcall test: hostile balloon batches");
MODULE_LICENSE("GPL");
