// SPDX-License-Identifier: GPL-2.0
/*
 * hballoon: the hcall balloon. The host sets the size it wants this guest
 * to have in the store's memory/target (KiB, Xen's layout; memory/static-max
 * is the size it booted with). The balloon holds the difference between
 * the memory this kernel had when the module loaded (totalram, as Xen's
 * balloon_stats.current_pages: a mem= boot has less than static-max) and
 * the target. It takes
 * pages from the page allocator and gives their frames to the host in
 * batches of up to HCALL_FRAME_LIST_MAX, one HCALL_memory_op call a batch,
 * and when the target grows it takes frames back and frees the pages.
 * Pages in the balloon leave totalram, so MemTotal follows.
 *
 * It never takes the guest into the OOM killer: allocations neither retry
 * nor dip into reserves, and the balloon stops growing when an allocation
 * fails or when less than a floor of memory would stay available. It then
 * says so in memory/status ("pressure" or "floor") and tries again later
 * from a delayed work. What the guest holds of the host's memory is
 * memory/current: static-max less the frames given (KiB), also in
 * /sys/module/hballoon/parameters/current_kib.
 *
 * The host refuses frames it must keep (its own pages, granted ones): a
 * refused batch is retried a frame at a time, and the frames it still
 * refuses are held in the balloon without being given, so the next
 * allocation does not hand them back. Held pages are still the guest's
 * memory on the host: memory/current counts them.
 *
 * Free page reporting (when the host offers HCALL_FEAT_PAGE_REPORTING):
 * the balloon also registers with mm/page_reporting.c, which hands it
 * blocks of free memory (2 MiB and up) a while after they come free; it
 * passes them on in one HCALL_MEM_DISCARD call a report, and the host
 * drops the memory behind them. The pages stay in the page allocator: one
 * allocated again reads as zeroes, so not with page poisoning, whose
 * pattern the allocator checks.
 */
#include <linux/crash_dump.h>
#include <linux/delay.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/page_reporting.h>
#include <linux/sched.h>
#include <linux/sizes.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include <linux/workqueue.h>
#include <asm/hcall.h>
#include <asm/hcall_bus.h>

#define HB_GFP		(GFP_HIGHUSER | __GFP_NORETRY | __GFP_NOWARN | __GFP_NOMEMALLOC)
#define HB_RETRY	(2 * HZ)
#define HB_PAGES_PER_KIB(kib)	((kib) >> (PAGE_SHIFT - 10))
#define HB_KIB(pages)	((u64)(pages) << (PAGE_SHIFT - 10))

static unsigned int hb_floor_mib = 16;
module_param_named(floor_mib, hb_floor_mib, uint, 0644);
MODULE_PARM_DESC(floor_mib, "MiB of memory the balloon always leaves available (default 16)");

static struct {
	struct mutex lock;		/* everything below but target_kib */
	struct list_head given;		/* pages whose frames the host has */
	struct list_head held;		/* pages the host refused: kept out */
	unsigned long nr_given;
	unsigned long nr_held;
	u64 static_max_kib;		/* memory/static-max */
	unsigned long start_pages;	/* totalram_pages() at load */
	u64 target_kib;			/* memory/target; WRITE_ONCE by the watch */
	struct hcall_frame_list *list;	/* the batch page the host reads */
	const char *status;		/* last memory/status written */
	bool stopping;
	struct delayed_work work;
	struct hcall_watch watch;
	/* Free page reporting: calls serialized by page_reporting itself. */
	struct page_reporting_dev_info reporting;
	struct hcall_extent_list *extents;	/* the report page the host reads */
	atomic64_t reported;		/* pages reported, in all */
} hb;

static unsigned long hb_size(void)
{
	return hb.nr_given + hb.nr_held;
}

/* KiB of the host's memory the guest holds: static-max less what it gave. */
static u64 hb_current_kib(void)
{
	u64 given = HB_KIB(READ_ONCE(hb.nr_given));

	return hb.static_max_kib - min(given, hb.static_max_kib);
}

static int hb_current_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%llu\n", hb_current_kib());
}

static int hb_size_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%llu\n",
			  HB_KIB(READ_ONCE(hb.nr_given) + READ_ONCE(hb.nr_held)));
}

/* memory/status as last written: "ok", "floor", "pressure" or "error". */
static int hb_status_get(char *buf, const struct kernel_param *kp)
{
	const char *status = READ_ONCE(hb.status);

	return sysfs_emit(buf, "%s\n", status ? status : "ok");
}

static int hb_reported_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%llu\n", HB_KIB(atomic64_read(&hb.reported)));
}

static const struct kernel_param_ops hb_current_ops = { .get = hb_current_get };
static const struct kernel_param_ops hb_reported_ops = { .get = hb_reported_get };
static const struct kernel_param_ops hb_size_ops = { .get = hb_size_get };
static const struct kernel_param_ops hb_status_ops = { .get = hb_status_get };
module_param_cb(current_kib, &hb_current_ops, NULL, 0444);
MODULE_PARM_DESC(current_kib, "KiB of host memory the guest has now (static-max less given)");
module_param_cb(balloon_kib, &hb_size_ops, NULL, 0444);
MODULE_PARM_DESC(balloon_kib, "KiB in the balloon now");
module_param_cb(status, &hb_status_ops, NULL, 0444);
MODULE_PARM_DESC(status, "memory/status as last written (ok, floor, pressure, error)");
module_param_cb(reported_kib, &hb_reported_ops, NULL, 0444);
MODULE_PARM_DESC(reported_kib, "KiB of free memory reported to the host, in all (0: not offered)");

static long hb_call(unsigned int op, unsigned int count)
{
	hb.list->count = count;
	hb.list->reserved = 0;
	return hcall_call2(HCALL_memory_op, op, virt_to_phys(hb.list));
}

/*
 * Take @page out of the guest: the host has its frame, or refused it.
 * PageOffline, as Xen's balloon and virtio-balloon mark theirs: dumps and
 * /proc/kcore skip it, and nothing reads a frame the host may have.
 */
static void hb_keep(struct page *page, bool given)
{
	__folio_set_offline(page_folio(page));
	adjust_managed_page_count(page, -1);
	if (given) {
		list_add(&page->lru, &hb.given);
		hb.nr_given++;
	} else {
		list_add(&page->lru, &hb.held);
		hb.nr_held++;
	}
}

/* Give a page out of the balloon back to the page allocator. */
static void hb_free(struct page *page)
{
	__folio_clear_offline(page_folio(page));
	adjust_managed_page_count(page, 1);
	__free_page(page);
}

/*
 * The host will not take this frame as it is (its own page, granted, or
 * one it holds already): hold it. -EAGAIN and the rest are passing.
 */
static bool hb_refused(long ret)
{
	return ret == -EPERM || ret == -EBUSY || ret == -EINVAL;
}

/* HCALL_MEM_DISCARD of hb.extents' first @n extents: 0 or -errno. */
static long hb_discard(unsigned int n)
{
	hb.extents->count = n;
	hb.extents->reserved = 0;
	return hcall_call2(HCALL_memory_op, HCALL_MEM_DISCARD, virt_to_phys(hb.extents));
}

/*
 * page_reporting's callback: @nents blocks of free memory, isolated from
 * the allocator until we return. One call for them all. A block the host
 * will not take (a page it keeps, as the freed boot page it wrote start
 * info to, or one still granted) would fail the list at every pass and
 * stop all reporting, so a refused list is retried a block a call and
 * what is refused then counts as reported: it is offered again once it
 * has been allocated and freed. Another error (-EAGAIN: the host failed to
 * drop memory) puts them all back for a later pass.
 */
static int hb_report(struct page_reporting_dev_info *prd, struct scatterlist *sgl,
		     unsigned int nents)
{
	struct hcall_extent_list *l = hb.extents;
	struct scatterlist *sg;
	unsigned long pages = 0;
	unsigned int i;
	long ret;

	BUILD_BUG_ON(PAGE_REPORTING_CAPACITY > HCALL_EXTENT_LIST_MAX);
	if (WARN_ON_ONCE(nents > HCALL_EXTENT_LIST_MAX))
		return -EINVAL;
	for_each_sg(sgl, sg, nents, i) {
		l->extents[i].frame = page_to_pfn(sg_page(sg));
		l->extents[i].count = sg->length >> PAGE_SHIFT;
		pages += sg->length >> PAGE_SHIFT;
	}
	ret = hb_discard(nents);
	if (!ret) {
		atomic64_add(pages, &hb.reported);
		return 0;
	}
	if (!hb_refused(ret)) {
		pr_warn_ratelimited("hballoon: the host failed a free page report: %ld\n", ret);
		return ret;
	}
	for_each_sg(sgl, sg, nents, i) {
		l->extents[0].frame = page_to_pfn(sg_page(sg));
		l->extents[0].count = sg->length >> PAGE_SHIFT;
		ret = hb_discard(1);
		if (!ret)
			atomic64_add(sg->length >> PAGE_SHIFT, &hb.reported);
		else if (hb_refused(ret))
			pr_info_ratelimited("hballoon: the host keeps pfn %llx (+%u pages): %ld\n",
					    l->extents[0].frame, sg->length >> PAGE_SHIFT, ret);
		else	/* all back unreported; a block dropped twice is no harm */
			return ret;
	}
	return 0;
}

/* Register with page reporting if the host offers it: 0 or -errno. */
static int hb_reporting_start(void)
{
	int ret;

	if (!IS_ENABLED(CONFIG_PAGE_REPORTING) ||
	    !hcall_has_feature(HCALL_FEAT_PAGE_REPORTING))
		return 0;
	if (page_poisoning_enabled_static()) {
		pr_info("hballoon: page poisoning on: free pages not reported\n");
		return 0;
	}
	hb.extents = (void *)get_zeroed_page(GFP_KERNEL);
	if (!hb.extents)
		return -ENOMEM;
	hb.reporting.report = hb_report;
	hb.reporting.order = get_order(SZ_2M);
	ret = page_reporting_register(&hb.reporting);
	if (ret) {
		free_page((unsigned long)hb.extents);
		hb.extents = NULL;
	}
	return ret;
}

static void hb_reporting_stop(void)
{
	if (!IS_ENABLED(CONFIG_PAGE_REPORTING) || !hb.extents)
		return;
	/* Returns once no report runs: the host reads the page only in one. */
	page_reporting_unregister(&hb.reporting);
	free_page((unsigned long)hb.extents);
	hb.extents = NULL;
}

/*
 * Give up to @want pages. Returns how many went into the balloon (given or
 * held), or a negative errno when the host failed the call for a reason
 * other than refusing frames; sets *@short_of when allocation stopped it.
 */
static long hb_inflate(unsigned long want, bool *short_of)
{
	struct page *page, *tmp;
	LIST_HEAD(batch);
	unsigned int n = 0, i;
	long ret;

	want = min_t(unsigned long, want, HCALL_FRAME_LIST_MAX);
	while (n < want) {
		page = alloc_page(HB_GFP);
		if (!page) {
			*short_of = true;
			break;
		}
		list_add_tail(&page->lru, &batch);
		hb.list->frames[n++] = page_to_pfn(page);
	}
	if (!n)
		return 0;
	ret = hb_call(HCALL_MEM_RELEASE, n);
	if (!ret) {
		list_for_each_entry_safe(page, tmp, &batch, lru) {
			list_del(&page->lru);
			hb_keep(page, true);
		}
		return n;
	}
	if (!hb_refused(ret)) {
		list_for_each_entry_safe(page, tmp, &batch, lru) {
			list_del(&page->lru);
			__free_page(page);
		}
		return ret;
	}
	/*
	 * Some frame the host keeps: find which, one frame a call. A refused
	 * page is held (the next allocation must not hand it back); any other
	 * failure frees the rest and stops.
	 */
	i = 0;
	list_for_each_entry_safe(page, tmp, &batch, lru) {
		list_del(&page->lru);
		if (!ret || hb_refused(ret)) {
			hb.list->frames[0] = page_to_pfn(page);
			ret = hb_call(HCALL_MEM_RELEASE, 1);
		}
		if (!ret || hb_refused(ret)) {
			hb_keep(page, !ret);
			i++;
		} else {
			__free_page(page);
		}
	}
	/* The pages kept are counted; a failure still makes the worker back off. */
	return ret && !hb_refused(ret) ? ret : i;
}

/* Take back and free up to @want pages: held ones first, no call needed. */
static long hb_deflate(unsigned long want)
{
	struct page *page, *tmp;
	LIST_HEAD(batch);
	unsigned int n = 0;
	long ret;

	want = min_t(unsigned long, want, HCALL_FRAME_LIST_MAX);
	while (n < want && !list_empty(&hb.held)) {
		page = list_first_entry(&hb.held, struct page, lru);
		list_del(&page->lru);
		hb.nr_held--;
		hb_free(page);
		n++;
	}
	if (n)
		return n;
	while (n < want && !list_empty(&hb.given)) {
		page = list_first_entry(&hb.given, struct page, lru);
		list_move_tail(&page->lru, &batch);
		hb.list->frames[n++] = page_to_pfn(page);
	}
	if (!n)
		return 0;
	ret = hb_call(HCALL_MEM_RECLAIM, n);
	if (ret) {
		list_splice(&batch, &hb.given);
		return ret;
	}
	list_for_each_entry_safe(page, tmp, &batch, lru) {
		list_del(&page->lru);
		hb.nr_given--;
		hb_free(page);
	}
	return n;
}

/* Pages the balloon should hold for the host's target: from what we had. */
static unsigned long hb_goal(void)
{
	u64 target = HB_PAGES_PER_KIB(READ_ONCE(hb.target_kib));

	return target >= hb.start_pages ? 0 : hb.start_pages - target;
}

static void hb_publish(const char *status)
{
	hcall_store_printf("memory", "current", "%llu", hb_current_kib());
	if (status != hb.status) {
		hcall_store_printf("memory", "status", "%s", status);
		WRITE_ONCE(hb.status, status);
	}
}

static void hb_work_fn(struct work_struct *work)
{
	unsigned long floor = (unsigned long)hb_floor_mib << (20 - PAGE_SHIFT);
	const char *status = "ok";
	bool short_of = false;
	unsigned long retry = HB_RETRY;
	long ret = 0;

	mutex_lock(&hb.lock);
	while (!hb.stopping) {
		unsigned long goal = hb_goal(), size = hb_size();

		if (size < goal) {
			if (si_mem_available() <= (long)(floor + HCALL_FRAME_LIST_MAX)) {
				status = "floor";
				break;
			}
			ret = hb_inflate(goal - size, &short_of);
		} else if (size > goal) {
			ret = hb_deflate(size - goal);
		} else {
			break;
		}
		if (ret < 0) {
			pr_warn_ratelimited("hballoon: the host failed a batch: %ld\n", ret);
			status = "error";
			/* -EAGAIN: a soft reset, or the host short of memory now. */
			retry = ret == -EAGAIN ? HB_RETRY : 30 * HB_RETRY;
			break;
		}
		if (short_of) {
			status = "pressure";
			break;
		}
		if (!ret)
			break;
		cond_resched();
	}
	if (!hb.stopping) {
		hb_publish(status);
		/* Memory may come free later: try again (an error too, slowly). */
		if (strcmp(status, "ok"))
			schedule_delayed_work(&hb.work, retry);
	}
	mutex_unlock(&hb.lock);
}

static void hb_target_changed(struct hcall_watch *watch, const char *path)
{
	u64 kib;

	if (hcall_store_read_u64("memory", "target", &kib))
		return;
	WRITE_ONCE(hb.target_kib, kib);
	mod_delayed_work(system_wq, &hb.work, 0);
}

static int __init hb_init(void)
{
	int ret;

	if (!hcall_platform() || !hcall_has_feature(HCALL_FEAT_BALLOON) ||
	    !hcall_has_feature(HCALL_FEAT_STORE))
		return -ENODEV;
	/* A crash kernel lives in its reservation: the target is not its size. */
	if (is_kdump_kernel())
		return -ENODEV;
	ret = hcall_store_read_u64("memory", "static-max", &hb.static_max_kib);
	if (ret)
		return ret;
	hb.target_kib = hb.static_max_kib;
	hb.start_pages = totalram_pages();
	hb.list = (void *)get_zeroed_page(GFP_KERNEL);
	if (!hb.list)
		return -ENOMEM;
	mutex_init(&hb.lock);
	INIT_LIST_HEAD(&hb.given);
	INIT_LIST_HEAD(&hb.held);
	INIT_DELAYED_WORK(&hb.work, hb_work_fn);
	hb.watch.path = "memory/target";
	hb.watch.callback = hb_target_changed;
	/* The balloon works without it: another driver may report already. */
	ret = hb_reporting_start();
	if (ret)
		pr_warn("hballoon: free page reporting not started: %d\n", ret);
	ret = hcall_watch_register(&hb.watch);
	if (ret) {
		hb_reporting_stop();
		free_page((unsigned long)hb.list);
		return ret;
	}
	pr_info("hballoon: %llu KiB here (%llu KiB static-max), following memory/target%s\n",
		HB_KIB(hb.start_pages), hb.static_max_kib,
		hb.extents ? ", reporting free pages" : "");
	return 0;
}
module_init(hb_init);

/* Take back every given page a frame a call; those the host keeps stay out. */
static void hb_deflate_each(void)
{
	struct page *page, *tmp;

	list_for_each_entry_safe(page, tmp, &hb.given, lru) {
		hb.list->frames[0] = page_to_pfn(page);
		if (hb_call(HCALL_MEM_RECLAIM, 1))
			continue;
		list_del(&page->lru);
		hb.nr_given--;
		hb_free(page);
	}
}

static void __exit hb_exit(void)
{
	unsigned int again = 0;
	long ret;

	hcall_watch_unregister(&hb.watch);
	hb_reporting_stop();
	mutex_lock(&hb.lock);
	hb.stopping = true;
	mutex_unlock(&hb.lock);
	cancel_delayed_work_sync(&hb.work);
	mutex_lock(&hb.lock);
	/* -EAGAIN: the host is short of memory for a moment; 5 s at most. */
	while (hb_size()) {
		ret = hb_deflate(hb_size());
		if (ret > 0)
			continue;
		if (ret != -EAGAIN || ++again > 50)
			break;
		msleep(100);
	}
	/* A failed batch: one bad frame must not keep the others out. */
	if (hb.nr_given)
		hb_deflate_each();
	/* Frames the host will not give back stay out: leaked, not reused. */
	if (hb_size())
		pr_warn("hballoon: %lu pages not taken back\n", hb_size());
	hcall_store_rm("memory", "current");
	hcall_store_rm("memory", "status");
	mutex_unlock(&hb.lock);
	/* The host reads the list page only during a call: it holds no reference. */
	free_page((unsigned long)hb.list);
}
module_exit(hb_exit);

MODULE_DESCRIPTION("hcall balloon: gives guest memory back to the host (memory/target)");
MODULE_LICENSE("GPL");
