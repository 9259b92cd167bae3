// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The balloon's frame-list validator. The list is the shim's own copy of
 * the guest's page, so it cannot change under the checks. All of a batch
 * is checked before the caller changes anything; the grant table, the
 * guest's live one read an entry at a time, is checked apart
 * (hc_frames_granted()), after the caller has marked the frames released.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <xen/xen.h>
#include <xen/grant_table.h>

#include "hcall/guestmem.h"
#include "hcall/pv/framelist.h"

#define PAGE_SHIFT 12

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static int fail(const char **why, const char *msg, int err)
{
	*why = msg;
	return err;
}

/* The RAM page index (memfd offset / 4096) of frame @gfn, known to be RAM. */
static uint64_t ram_index(uint64_t mem, uint64_t gfn)
{
	uint64_t gpa = gfn << PAGE_SHIFT, low = hc_low_mem(mem);

	return (gpa < low ? gpa : low + (gpa - HC_4G)) >> PAGE_SHIFT;
}

static int cmp_run(const void *a, const void *b)
{
	const struct hc_page_run *x = a, *y = b;

	return (x->first > y->first) - (x->first < y->first);
}

/* bsearch's key against a run: 0 inside it. */
static int in_run(const void *key, const void *run)
{
	uint64_t x = *(const uint64_t *)key;
	const struct hc_page_run *r = run;

	return x < r->first ? -1 : x - r->first >= r->n;
}

/*
 * 1 if a grant entry of @c's table holds a RAM page index that
 * bsearch(@cmp) finds in @set (@n elements of @size bytes).
 */
static int granted(const struct hc_frame_ctx *c, const void *set, uint32_t n, size_t size,
		   int (*cmp)(const void *, const void *))
{
	for (uint32_t i = 0; c->gnttab && i < c->gnttab_entries; i++) {
		const struct grant_entry_v1 *e = &c->gnttab[i];
		uint16_t flags = __atomic_load_n(&e->flags, __ATOMIC_SEQ_CST);
		uint64_t frame, x;

		/*
		 * Busy while it permits access, and while hcall-dd has it pinned
		 * even if the guest has since cleared its type.
		 */
		if ((flags & GTF_type_mask) != GTF_permit_access &&
		    !(flags & (GTF_reading | GTF_writing)))
			continue;
		frame = __atomic_load_n(&e->frame, __ATOMIC_SEQ_CST);
		if (hc_gpa_span(c->mem, frame << PAGE_SHIFT) < 4096)
			continue;	/* not RAM: hcall-dd cannot map it either */
		x = ram_index(c->mem, frame);
		if (bsearch(&x, set, n, size, cmp))
			return 1;
	}
	return 0;
}

int hc_frames_granted(const struct hc_frame_ctx *c, const uint64_t *idx, uint32_t n)
{
	return granted(c, idx, n, sizeof(*idx), cmp_u64);
}

int hc_runs_granted(const struct hc_frame_ctx *c, const struct hc_page_run *runs, uint32_t n)
{
	return granted(c, runs, n, sizeof(*runs), in_run);
}

int hc_frames_check(const struct hc_frame_ctx *c, uint64_t op, const struct hcall_frame_list *l,
		    uint64_t idx[HCALL_FRAME_LIST_MAX], const char **why)
{
	uint32_t n = l->count;

	*why = "";
	if (op != HCALL_MEM_RELEASE && op != HCALL_MEM_RECLAIM)
		return fail(why, "unknown operation", -HCALL_EINVAL);
	if (n > HCALL_FRAME_LIST_MAX)
		return fail(why, "count larger than a page holds", -HCALL_EINVAL);
	if (l->reserved)
		return fail(why, "reserved word not zero", -HCALL_EINVAL);
	/* Sorted, so a duplicate is next to its twin and grants are a bsearch. */
	memcpy(idx, l->frames, n * sizeof(*idx));
	qsort(idx, n, sizeof(*idx), cmp_u64);
	for (uint32_t i = 0; i < n; i++) {
		uint64_t gfn = idx[i], gpa = gfn << PAGE_SHIFT;

		if (gfn > UINT64_MAX >> PAGE_SHIFT || hc_gpa_span(c->mem, gpa) < 4096)
			return fail(why, "frame outside guest RAM", -HCALL_EINVAL);
		if (i && gfn == idx[i - 1])
			return fail(why, "frame listed twice", -HCALL_EINVAL);
		for (unsigned int k = 0; k < c->nowned; k++)
			if (gpa < c->owned[k].end && gpa + 4096 > c->owned[k].start)
				return fail(why, "frame the hypervisor uses", -HCALL_EPERM);
		if (hc_released_test(c->released, ram_index(c->mem, gfn)) !=
		    (op == HCALL_MEM_RECLAIM))
			return fail(why, op == HCALL_MEM_RECLAIM ? "frame not released" :
				    "frame released already", -HCALL_EINVAL);
	}
	/* The order holds: RAM below the hole comes first in the memfd too. */
	for (uint32_t i = 0; i < n; i++)
		idx[i] = ram_index(c->mem, idx[i]);
	return (int)n;
}

int hc_extents_check(const struct hc_frame_ctx *c, const struct hcall_extent_list *l,
		     struct hc_page_run runs[HCALL_EXTENT_LIST_MAX], const char **why)
{
	uint32_t n = l->count;
	uint64_t total = 0;

	*why = "";
	if (n > HCALL_EXTENT_LIST_MAX)
		return fail(why, "count larger than a page holds", -HCALL_EINVAL);
	if (l->reserved)
		return fail(why, "reserved word not zero", -HCALL_EINVAL);
	for (uint32_t i = 0; i < n; i++) {
		uint64_t gfn = l->extents[i].frame, len = l->extents[i].count, gpa;

		/* A bound on one call's work, all under pv.lock. */
		if (!len || len > HCALL_EXTENT_MAX_FRAMES - total)
			return fail(why, "extent empty, or more than 1 GiB in all", -HCALL_EINVAL);
		total += len;
		if (gfn > (UINT64_MAX >> PAGE_SHIFT) - len)
			return fail(why, "extent outside guest RAM", -HCALL_EINVAL);
		gpa = gfn << PAGE_SHIFT;
		/* One stretch: RAM below the hole, or above 4 GiB, never both. */
		if (hc_gpa_span(c->mem, gpa) < len << PAGE_SHIFT)
			return fail(why, "extent outside guest RAM", -HCALL_EINVAL);
		for (unsigned int k = 0; k < c->nowned; k++)
			if (gpa < c->owned[k].end && gpa + (len << PAGE_SHIFT) > c->owned[k].start)
				return fail(why, "extent holds a page the hypervisor uses",
					    -HCALL_EPERM);
		/* Contiguous in the memfd too: the stretch has no hole inside. */
		runs[i] = (struct hc_page_run){ ram_index(c->mem, gfn), len };
	}
	/* Sorted, each must end before the next begins. */
	qsort(runs, n, sizeof(*runs), cmp_run);
	for (uint32_t i = 1; i < n; i++)
		if (runs[i - 1].first + runs[i - 1].n > runs[i].first)
			return fail(why, "extents overlap", -HCALL_EINVAL);
	/* Apart, so this reads each bit of guest RAM once at most. */
	for (uint32_t i = 0; c->released && i < n; i++)
		for (uint64_t k = 0; k < runs[i].n; k++)
			if (hc_released_test(c->released, runs[i].first + k))
				return fail(why, "extent holds a released frame", -HCALL_EINVAL);
	return (int)n;
}
