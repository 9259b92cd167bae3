// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The balloon: the frame-list validator on its own (every reason a batch
 * fails, and that a good one comes back sorted as RAM page indices), then
 * HCALL_memory_op on a KVM-free VM whose RAM is a real memfd: released
 * frames leave the memfd (st_blocks), a bad batch changes nothing, a frame
 * taken back reads as zeroes, and the driver domain's grant mapping of a
 * released frame fails.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xen/xen.h>
#include <xen/grant_table.h>

#include "hcall/dd/ddguest.h"
#include "hcall/dd/gnttab.h"
#include "hcall/guestmem.h"
#include "hcall/pv/balloon.h"
#include "hcall/pv/framelist.h"
#include "hcall/pv/hypercall.h"
#include "hcall/vmm/vm.h"

#define MEM (16ull << 20)
#define PAGES (MEM / 4096)

static uint64_t released[PAGES / 64];
static struct grant_entry_v1 table[512];

static const struct hc_gpa_range owned[] = { { 0, 0x100000 }, { 0x200000, 0x400000 } };

static struct hc_frame_ctx ctx(void)
{
	return (struct hc_frame_ctx){ .mem = MEM, .owned = owned, .nowned = 2,
				      .released = released, .gnttab = table,
				      .gnttab_entries = 512 };
}

static int check(uint64_t op, const uint64_t *frames, uint32_t n, uint64_t *idx)
{
	static struct hcall_frame_list l;
	struct hc_frame_ctx c = ctx();
	const char *why;

	memset(&l, 0, sizeof(l));
	l.count = n;
	memcpy(l.frames, frames, n * sizeof(*frames));
	return hc_frames_check(&c, op, &l, idx, &why);
}

static void a_good_batch_comes_back_sorted(void **state)
{
	const uint64_t f[] = { 0xf00, 0x400, 0x401, PAGES - 1, 0x100 };
	uint64_t idx[HCALL_FRAME_LIST_MAX];

	(void)state;
	memset(released, 0, sizeof(released));
	assert_int_equal(check(HCALL_MEM_RELEASE, f, 5, idx), 5);
	assert_int_equal(idx[0], 0x100);
	assert_int_equal(idx[1], 0x400);
	assert_int_equal(idx[2], 0x401);
	assert_int_equal(idx[3], 0xf00);
	assert_int_equal(idx[4], PAGES - 1);
	assert_int_equal(check(HCALL_MEM_RELEASE, f, 0, idx), 0);
}

static void every_bad_batch_fails_whole(void **state)
{
	static const struct {
		uint64_t op;
		uint64_t f[3];
		uint32_t n;
		int err;
	} cases[] = {
		{ 2, { 0x100 }, 1, -HCALL_EINVAL },			/* unknown op */
		{ HCALL_MEM_RELEASE, { 0x100, PAGES }, 2, -HCALL_EINVAL },	/* past RAM */
		{ HCALL_MEM_RELEASE, { 0x100, 1ull << 52 }, 2, -HCALL_EINVAL },
		{ HCALL_MEM_RELEASE, { ~0ull }, 1, -HCALL_EINVAL },	/* gpa overflows */
		{ HCALL_MEM_RELEASE, { 0x100, 0x101, 0x100 }, 3, -HCALL_EINVAL },	/* twice */
		{ HCALL_MEM_RELEASE, { 0x100, 0x10 }, 2, -HCALL_EPERM },	/* boot area */
		{ HCALL_MEM_RELEASE, { 0x3ff, 0x100 }, 2, -HCALL_EPERM },	/* owned range */
		{ HCALL_MEM_RELEASE, { 0x100, 0x777 }, 2, 2 },	/* granted: hc_frames_granted() */
		{ HCALL_MEM_RECLAIM, { 0x100 }, 1, -HCALL_EINVAL },	/* never released */
	};
	uint64_t idx[HCALL_FRAME_LIST_MAX];

	(void)state;
	memset(released, 0, sizeof(released));
	memset(table, 0, sizeof(table));
	table[7].frame = 0x777;
	table[7].domid = 0;
	table[7].flags = GTF_permit_access;
	table[8].frame = 0x100;		/* an ended grant does not hold its frame */
	table[8].flags = 0;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(check(cases[i].op, cases[i].f, cases[i].n, idx), cases[i].err);
	/* Released: not again, but back once. */
	released[0x100 / 64] |= 1ull << (0x100 % 64);
	assert_int_equal(check(HCALL_MEM_RELEASE, (uint64_t[]){ 0x100 }, 1, idx), -HCALL_EINVAL);
	assert_int_equal(check(HCALL_MEM_RECLAIM, (uint64_t[]){ 0x100 }, 1, idx), 1);
	memset(table, 0, sizeof(table));
}

/* Busy: an entry that permits access, or one hcall-dd has pinned whatever its type. */
static void granted_frames_are_busy(void **state)
{
	struct hc_frame_ctx c = ctx();
	const uint64_t idx[] = { 0x100, 0x400, 0x777 };

	(void)state;
	memset(table, 0, sizeof(table));
	assert_int_equal(hc_frames_granted(&c, idx, 3), 0);
	table[7].frame = 0x777;
	table[7].flags = GTF_permit_access;
	assert_int_equal(hc_frames_granted(&c, idx, 3), 1);
	assert_int_equal(hc_frames_granted(&c, idx, 2), 0);
	/* The guest cleared the type of an entry hcall-dd still has pinned. */
	table[7].flags = GTF_reading;
	assert_int_equal(hc_frames_granted(&c, idx, 3), 1);
	table[7].flags = GTF_writing;
	assert_int_equal(hc_frames_granted(&c, idx, 3), 1);
	table[7].flags = GTF_accept_transfer;	/* neither: not held */
	assert_int_equal(hc_frames_granted(&c, idx, 3), 0);
	table[7].flags = 0;
	assert_int_equal(hc_frames_granted(&c, idx, 3), 0);
	/* A frame outside RAM matches nothing, even where its index would. */
	table[9].frame = PAGES + 0x100;
	table[9].flags = GTF_permit_access;
	assert_int_equal(hc_frames_granted(&c, idx, 3), 0);
	c.gnttab = NULL;
	table[7].flags = GTF_permit_access;
	assert_int_equal(hc_frames_granted(&c, idx, 3), 0);
	memset(table, 0, sizeof(table));
}

static void count_and_reserved_are_checked(void **state)
{
	static struct hcall_frame_list l;
	struct hc_frame_ctx c = ctx();
	uint64_t idx[HCALL_FRAME_LIST_MAX];
	const char *why;

	(void)state;
	memset(released, 0, sizeof(released));
	memset(&l, 0, sizeof(l));
	for (uint32_t i = 0; i < HCALL_FRAME_LIST_MAX; i++)
		l.frames[i] = 0x400 + i;
	l.count = HCALL_FRAME_LIST_MAX;
	assert_int_equal(hc_frames_check(&c, HCALL_MEM_RELEASE, &l, idx, &why),
			 HCALL_FRAME_LIST_MAX);
	l.count = HCALL_FRAME_LIST_MAX + 1;
	assert_int_equal(hc_frames_check(&c, HCALL_MEM_RELEASE, &l, idx, &why), -HCALL_EINVAL);
	assert_string_equal(why, "count larger than a page holds");
	l.count = 0xffffffffu;
	assert_int_equal(hc_frames_check(&c, HCALL_MEM_RELEASE, &l, idx, &why), -HCALL_EINVAL);
	l.count = 1;
	l.reserved = 1;
	assert_int_equal(hc_frames_check(&c, HCALL_MEM_RELEASE, &l, idx, &why), -HCALL_EINVAL);
}

/* RAM above the 3 GiB hole: frames past 4 GiB map after the low RAM. */
static void frames_above_the_hole(void **state)
{
	static struct hcall_frame_list l;
	struct hc_frame_ctx c = { .mem = HC_MMIO_HOLE + (1ull << 20) };
	uint64_t idx[HCALL_FRAME_LIST_MAX];
	const char *why;

	(void)state;
	memset(&l, 0, sizeof(l));
	l.count = 2;
	l.frames[0] = HC_4G >> 12;
	l.frames[1] = (HC_MMIO_HOLE >> 12) - 1;
	assert_int_equal(hc_frames_check(&c, HCALL_MEM_RELEASE, &l, idx, &why), 2);
	assert_int_equal(idx[0], (HC_MMIO_HOLE >> 12) - 1);
	assert_int_equal(idx[1], HC_MMIO_HOLE >> 12);
	l.frames[0] = HC_MMIO_HOLE >> 12;	/* the hole itself */
	assert_int_equal(hc_frames_check(&c, HCALL_MEM_RELEASE, &l, idx, &why), -HCALL_EINVAL);
	l.frames[0] = (HC_4G + (1ull << 20)) >> 12;	/* one past the end */
	assert_int_equal(hc_frames_check(&c, HCALL_MEM_RELEASE, &l, idx, &why), -HCALL_EINVAL);
}

static int extents(const struct hc_frame_ctx *c, const uint64_t (*e)[2], uint32_t n,
		   struct hc_page_run *runs, const char **why)
{
	static struct hcall_extent_list l;

	memset(&l, 0, sizeof(l));
	l.count = n;
	for (uint32_t i = 0; i < n; i++)
		l.extents[i] = (struct hcall_extent){ e[i][0], e[i][1] };
	return hc_extents_check(c, &l, runs, why);
}

/* Free page reporting's list: every reason it fails, runs when it is good. */
static void extents_are_checked(void **state)
{
	static const struct {
		uint64_t e[2][2];
		int err;
		const char *why;
	} bad[] = {
		{ { { 0x400, 0 } }, -HCALL_EINVAL, "extent empty, or more than 1 GiB in all" },
		{ { { 0x400, HCALL_EXTENT_MAX_FRAMES + 1 } }, -HCALL_EINVAL,
		  "extent empty, or more than 1 GiB in all" },
		{ { { PAGES - 1, 2 } }, -HCALL_EINVAL, "extent outside guest RAM" },
		{ { { PAGES, 1 } }, -HCALL_EINVAL, "extent outside guest RAM" },
		{ { { ~0ull >> 12, 1 } }, -HCALL_EINVAL, "extent outside guest RAM" },
		{ { { ~0ull, 1 } }, -HCALL_EINVAL, "extent outside guest RAM" },
		{ { { 0xf0, 0x20 } }, -HCALL_EPERM, "extent holds a page the hypervisor uses" },
		{ { { 0x1f0, 0x20 } }, -HCALL_EPERM, "extent holds a page the hypervisor uses" },
		{ { { 0x800, 0x10 }, { 0x80f, 1 } }, -HCALL_EINVAL, "extents overlap" },
		{ { { 0x810, 1 }, { 0x800, 0x11 } }, -HCALL_EINVAL, "extents overlap" },
		{ { { 0x900, 0x10 }, { 0x800, 0x200 } }, -HCALL_EINVAL, "extents overlap" },
		{ { { 0xa00, 0x10 } }, -HCALL_EINVAL, "extent holds a released frame" },
	};
	struct hc_page_run runs[HCALL_EXTENT_LIST_MAX];
	struct hc_frame_ctx c = ctx();
	static struct hcall_extent_list l;
	const char *why;

	(void)state;
	memset(released, 0, sizeof(released));
	released[0xa0f / 64] |= 1ull << (0xa0f % 64);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint32_t n = bad[i].e[1][1] ? 2 : 1;

		assert_int_equal(extents(&c, bad[i].e, n, runs, &why), bad[i].err);
		assert_string_equal(why, bad[i].why);
	}
	/* Good: sorted, touching is not overlapping, the page after a released one. */
	assert_int_equal(extents(&c, (const uint64_t[][2]){ { 0xa10, 0x100 }, { 0x800, 0x200 },
							    { 0x400, 0x400 } }, 3, runs, &why), 3);
	assert_int_equal(runs[0].first, 0x400);
	assert_int_equal(runs[0].n, 0x400);
	assert_int_equal(runs[1].first, 0x800);
	assert_int_equal(runs[2].first, 0xa10);
	assert_int_equal(runs[2].n, 0x100);
	assert_int_equal(extents(&c, NULL, 0, runs, &why), 0);
	/* The count and the reserved word. */
	memset(&l, 0, sizeof(l));
	for (uint32_t i = 0; i < HCALL_EXTENT_LIST_MAX; i++)
		l.extents[i] = (struct hcall_extent){ 0x400 + 2 * i, 2 };
	l.count = HCALL_EXTENT_LIST_MAX;
	assert_int_equal(hc_extents_check(&c, &l, runs, &why), HCALL_EXTENT_LIST_MAX);
	l.count = HCALL_EXTENT_LIST_MAX + 1;
	assert_int_equal(hc_extents_check(&c, &l, runs, &why), -HCALL_EINVAL);
	l.count = 0xffffffffu;
	assert_int_equal(hc_extents_check(&c, &l, runs, &why), -HCALL_EINVAL);
	l.count = 1;
	l.reserved = 1;
	assert_int_equal(hc_extents_check(&c, &l, runs, &why), -HCALL_EINVAL);
	assert_string_equal(why, "reserved word not zero");
	memset(released, 0, sizeof(released));
}

/* One list names 1 GiB at most, however it is cut. */
static void a_list_names_1_gib_at_most(void **state)
{
	struct hc_frame_ctx c = { .mem = 2ull << 30 };
	struct hc_page_run runs[HCALL_EXTENT_LIST_MAX];
	const char *why;

	(void)state;
	assert_int_equal(extents(&c, (const uint64_t[][2]){ { 0x1000, 0x20000 },
							    { 0x40000, 0x20000 } }, 2, runs, &why), 2);
	assert_int_equal(extents(&c, (const uint64_t[][2]){ { 0x1000, 0x20000 },
							    { 0x40000, 0x20001 } }, 2, runs, &why),
			 -HCALL_EINVAL);
	assert_string_equal(why, "extent empty, or more than 1 GiB in all");
	assert_int_equal(extents(&c, (const uint64_t[][2]){ { 0x1000, ~0ull } }, 1, runs, &why),
			 -HCALL_EINVAL);
}

/* An extent lies in one stretch of RAM: below the hole or above 4 GiB. */
static void extents_do_not_span_the_hole(void **state)
{
	struct hc_frame_ctx c = { .mem = HC_MMIO_HOLE + (1ull << 20) };
	struct hc_page_run runs[HCALL_EXTENT_LIST_MAX];
	const uint64_t low = HC_MMIO_HOLE >> 12, high = HC_4G >> 12;
	const char *why;

	(void)state;
	assert_int_equal(extents(&c, (const uint64_t[][2]){ { high, 256 }, { low - 16, 16 } }, 2,
				 runs, &why), 2);
	assert_int_equal(runs[0].first, low - 16);
	assert_int_equal(runs[1].first, low);
	assert_int_equal(runs[1].n, 256);
	assert_int_equal(extents(&c, (const uint64_t[][2]){ { low - 16, 17 } }, 1, runs, &why),
			 -HCALL_EINVAL);
	assert_int_equal(extents(&c, (const uint64_t[][2]){ { high, 257 } }, 1, runs, &why),
			 -HCALL_EINVAL);
	assert_int_equal(extents(&c, (const uint64_t[][2]){ { low, 1 } }, 1, runs, &why),
			 -HCALL_EINVAL);
}

/* Busy runs: a grant entry of a frame inside one, not one beside it. */
static void granted_runs_are_busy(void **state)
{
	struct hc_frame_ctx c = ctx();
	const struct hc_page_run runs[] = { { 0x400, 0x10 }, { 0x800, 0x200 } };

	(void)state;
	memset(table, 0, sizeof(table));
	table[3].frame = 0x410;
	table[3].flags = GTF_permit_access;
	table[4].frame = 0x7ff;
	table[4].flags = GTF_permit_access;
	table[5].frame = 0xa00;
	table[5].flags = GTF_reading;
	assert_int_equal(hc_runs_granted(&c, runs, 2), 0);
	table[4].frame = 0x9ff;
	assert_int_equal(hc_runs_granted(&c, runs, 2), 1);
	assert_int_equal(hc_runs_granted(&c, runs, 1), 0);
	table[4].flags = 0;
	table[5].frame = 0x40f;
	assert_int_equal(hc_runs_granted(&c, runs, 2), 1);
	memset(table, 0, sizeof(table));
}

/* A KVM-free VM on a memfd laid out as hc_vm_create() lays it out. */
struct fx {
	struct hc_vm vm;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char err[256];

	assert_int_equal(hc_vm_init_state(&f->vm, err, sizeof(err)), 0);
	f->vm.mem = MEM;
	f->vm.mem_fd = memfd_create("test-ram", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	assert_true(f->vm.mem_fd >= 0);
	assert_int_equal(ftruncate(f->vm.mem_fd, (off_t)(MEM + hc_host_meta_bytes(MEM))), 0);
	f->vm.ram = mmap(NULL, MEM + hc_host_meta_bytes(MEM), PROT_READ | PROT_WRITE,
			 MAP_SHARED, f->vm.mem_fd, 0);
	assert_true(f->vm.ram != MAP_FAILED);
	f->vm.pv.released = (uint64_t *)(void *)(f->vm.ram + MEM);
	f->vm.pv.mapcount = (const uint32_t *)(const void *)(f->vm.ram + MEM +
							      hc_released_map_bytes(MEM));
	f->vm.pv.gnttab_gpa = 0x200000;
	f->vm.pv.gnttab_frames = 1;
	memset(f->vm.ram, 0xaa, MEM);	/* every page backed, */
	memset(f->vm.pv.released, 0, hc_host_meta_bytes(MEM));	/* the bitmap's too */
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	munmap(f->vm.ram, MEM + hc_host_meta_bytes(MEM));
	close(f->vm.mem_fd);
	close(f->vm.stop_efd);
	free(f->vm.ports);
	free(f);
	return 0;
}

static long long blocks(struct fx *f)
{
	struct stat st;

	assert_int_equal(fstat(f->vm.mem_fd, &st), 0);
	return (long long)st.st_blocks * 512;
}

static int64_t call(struct fx *f, uint64_t op, uint64_t list_gpa)
{
	const uint64_t a[5] = { op, list_gpa };

	return hc_call_memory_op(&f->vm, 0, a);
}

#define LIST_GPA 0x300000ull

static struct hcall_frame_list *list(struct fx *f, uint32_t n, uint64_t first)
{
	struct hcall_frame_list *l = (void *)(f->vm.ram + LIST_GPA);

	memset(l, 0, sizeof(*l));
	l->count = n;
	for (uint32_t i = 0; i < n; i++)
		l->frames[i] = first + i;
	return l;
}

static void release_punches_and_reclaim_reads_zeroes(void **state)
{
	struct fx *f = *state;
	long long before = blocks(f);
	struct hcall_frame_list *l = list(f, 256, 0x800);

	assert_int_equal(call(f, HCALL_MEM_RELEASE, LIST_GPA), 0);
	assert_true(before - blocks(f) >= 256 * 4096);
	assert_int_equal(hc_balloon_released(&f->vm), 256 * 4096);
	assert_true(hc_released_test(f->vm.pv.released, 0x800));
	assert_true(hc_released_test(f->vm.pv.released, 0x8ff));
	assert_false(hc_released_test(f->vm.pv.released, 0x900));
	/* A guest that writes a frame it gave away still gets zeroes back. */
	f->vm.ram[0x801 * 4096] = 1;
	l = list(f, 256, 0x800);
	assert_int_equal(call(f, HCALL_MEM_RECLAIM, LIST_GPA), 0);
	assert_int_equal(hc_balloon_released(&f->vm), 0);
	/* Filled by the shim before hcall-dd may touch them: backed again. */
	assert_true(blocks(f) >= before);
	for (uint64_t p = 0x800; p < 0x900; p++)
		for (int i = 0; i < 4096; i += 512)
			assert_int_equal(f->vm.ram[p * 4096 + i], 0);
	assert_int_equal(f->vm.ram[0x900 * 4096], 0xaa);
	/* Taken back once: a second reclaim of the same list fails. */
	l = list(f, 256, 0x800);
	assert_int_equal(call(f, HCALL_MEM_RECLAIM, LIST_GPA), -HCALL_EINVAL);
	(void)l;
}

static void a_bad_batch_releases_nothing(void **state)
{
	struct fx *f = *state;
	struct grant_entry_v1 *t = (void *)(f->vm.ram + f->vm.pv.gnttab_gpa);
	long long before = blocks(f);
	struct hcall_frame_list *l;

	memset(t, 0, 4096);
	/* Good frames, then one bad one of each kind at the end. */
	static const struct {
		uint64_t bad;
		int64_t err;
	} cases[] = {
		{ PAGES + 5, -HCALL_EINVAL },		/* outside RAM */
		{ 0x800, -HCALL_EINVAL },		/* a duplicate */
		{ 0x200, -HCALL_EPERM },		/* the grant table */
		{ 0x20, -HCALL_EPERM },			/* below 1 MiB */
		{ 0xe00, -HCALL_EBUSY },		/* granted */
		{ 0xe01, -HCALL_EBUSY },		/* pinned, type cleared */
	};
	t[3].frame = 0xe00;
	t[3].flags = GTF_permit_access;
	t[4].frame = 0xe01;
	t[4].flags = GTF_reading | GTF_writing;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		l = list(f, 100, 0x800);
		l->frames[l->count++] = cases[i].bad;
		assert_int_equal(call(f, HCALL_MEM_RELEASE, LIST_GPA), cases[i].err);
	}
	l = list(f, 1, 0x800);
	l->count = HCALL_FRAME_LIST_MAX + 1;
	assert_int_equal(call(f, HCALL_MEM_RELEASE, LIST_GPA), -HCALL_EINVAL);
	/* The list page itself: misaligned, outside RAM, past the end. */
	assert_int_equal(call(f, HCALL_MEM_RELEASE, LIST_GPA + 8), -HCALL_EINVAL);
	assert_int_equal(call(f, HCALL_MEM_RELEASE, MEM), -HCALL_EFAULT);
	assert_int_equal(call(f, HCALL_MEM_RELEASE, 0xfffffffffffff000ull), -HCALL_EFAULT);
	assert_int_equal(call(f, 7, LIST_GPA), -HCALL_EINVAL);
	assert_int_equal(blocks(f), before);
	assert_int_equal(hc_balloon_released(&f->vm), 0);
	for (uint64_t i = 0; i < PAGES / 64; i++)
		assert_int_equal(f->vm.pv.released[i], 0);
}

/* hcall-dd's view of the fixture's grant table, bitmap and map counts. */
static void dd_gnttab(struct fx *f, struct hc_gnttab *gt)
{
	assert_int_equal(hc_gnttab_init(gt, f->vm.ram, MEM, f->vm.pv.gnttab_gpa, 512, 0), 0);
	gt->released = f->vm.pv.released;
	gt->mapcount = (uint32_t *)(uintptr_t)f->vm.pv.mapcount;
}

static void grant_to_dd(struct grant_entry_v1 *t, grant_ref_t ref, uint32_t frame)
{
	t[ref].frame = frame;
	t[ref].flags = GTF_permit_access;
}

static void the_driver_domain_cannot_map_a_released_frame(void **state)
{
	struct fx *f = *state;
	struct grant_entry_v1 *t = (void *)(f->vm.ram + f->vm.pv.gnttab_gpa);
	struct hc_gnttab gt;
	struct hc_grant_map m;

	memset(t, 0, 4096);
	list(f, 1, 0xd00);
	assert_int_equal(call(f, HCALL_MEM_RELEASE, LIST_GPA), 0);
	/* The guest grants it afterwards (hostile or confused). */
	grant_to_dd(t, 5, 0xd00);
	grant_to_dd(t, 6, 0xd01);
	dd_gnttab(f, &gt);
	assert_int_equal(hc_gnttab_map(&gt, 5, 0, &m), -EFAULT);
	assert_int_equal(f->vm.pv.mapcount[0xd00], 0);	/* uncounted again */
	assert_int_equal(t[5].flags, GTF_permit_access);	/* unpinned again */
	assert_int_equal(hc_gnttab_map(&gt, 6, 1, &m), 0);
	hc_gnttab_unmap(&gt, &m);
	/* Taken back, it maps again. */
	memset(t, 0, 4096);
	list(f, 1, 0xd00);
	assert_int_equal(call(f, HCALL_MEM_RECLAIM, LIST_GPA), 0);
	grant_to_dd(t, 5, 0xd00);
	assert_int_equal(hc_gnttab_map(&gt, 5, 0, &m), 0);
	hc_gnttab_unmap(&gt, &m);
	hc_gnttab_destroy(&gt);
}

/*
 * A guest that clears the in-use flags of a grant hcall-dd has mapped
 * still cannot give that frame away: the shim reads hcall-dd's count.
 */
static void a_frame_the_driver_domain_maps_is_busy(void **state)
{
	struct fx *f = *state;
	struct grant_entry_v1 *t = (void *)(f->vm.ram + f->vm.pv.gnttab_gpa);
	long long before = blocks(f);
	struct hc_grant_map m, m2;
	struct hc_gnttab gt;

	memset(t, 0, 4096);
	grant_to_dd(t, 7, 0xd10);
	grant_to_dd(t, 8, 0xd10);
	dd_gnttab(f, &gt);
	assert_int_equal(hc_gnttab_map(&gt, 7, 1, &m), 0);
	assert_int_equal(hc_gnttab_map(&gt, 8, 0, &m2), 0);
	assert_int_equal(f->vm.pv.mapcount[0xd10], 2);
	memset(t, 0, 4096);	/* the guest forgets both grants, pins and all */
	list(f, 4, 0xd0e);
	assert_int_equal(call(f, HCALL_MEM_RELEASE, LIST_GPA), -HCALL_EBUSY);
	assert_false(hc_released_test(f->vm.pv.released, 0xd0e));
	assert_false(hc_released_test(f->vm.pv.released, 0xd10));
	hc_gnttab_unmap(&gt, &m);
	list(f, 4, 0xd0e);
	assert_int_equal(call(f, HCALL_MEM_RELEASE, LIST_GPA), -HCALL_EBUSY);
	hc_gnttab_unmap(&gt, &m2);
	assert_int_equal(f->vm.pv.mapcount[0xd10], 0);
	assert_int_equal(blocks(f), before);
	/* Unmapped, it goes. */
	list(f, 4, 0xd0e);
	assert_int_equal(call(f, HCALL_MEM_RELEASE, LIST_GPA), 0);
	assert_true(hc_released_test(f->vm.pv.released, 0xd10));
	hc_gnttab_destroy(&gt);
}

#define EXT_GPA 0x301000ull

static struct hcall_extent_list *ext(struct fx *f, uint32_t n, const uint64_t (*e)[2])
{
	struct hcall_extent_list *l = (void *)(f->vm.ram + EXT_GPA);

	memset(l, 0, sizeof(*l));
	l->count = n;
	for (uint32_t i = 0; i < n; i++)
		l->extents[i] = (struct hcall_extent){ e[i][0], e[i][1] };
	return l;
}

/*
 * Free page reporting: offered or not, the memory behind the extents
 * leaves the memfd, the frames stay the guest's (no released bit; it uses
 * them again with no call and reads zeroes), and info counts them.
 */
static void discard_drops_memory_the_guest_keeps(void **state)
{
	struct fx *f = *state;
	long long before = blocks(f);

	ext(f, 2, (const uint64_t[][2]){ { 0xc00, 0x200 }, { 0x800, 0x100 } });
	assert_int_equal(call(f, HCALL_MEM_DISCARD, EXT_GPA), -HCALL_ENOSYS);
	assert_int_equal(blocks(f), before);
	f->vm.mode.page_reporting = 1;
	assert_int_equal(call(f, HCALL_MEM_DISCARD, EXT_GPA), 0);
	assert_true(before - blocks(f) >= 0x300 * 4096);
	assert_int_equal(hc_balloon_discarded(&f->vm), 0x300 * 4096);
	assert_int_equal(hc_balloon_released(&f->vm), 0);
	assert_false(hc_released_test(f->vm.pv.released, 0x800));
	for (uint64_t p = 0x800; p < 0xe00; p += 0x80)
		assert_int_equal(f->vm.ram[p * 4096], p < 0x900 || p >= 0xc00 ? 0 : 0xaa);
	assert_int_equal(f->vm.ram[0x900 * 4096], 0xaa);
	/* The guest's again, no call: written, then a balloon may take it. */
	f->vm.ram[0x850 * 4096] = 7;
	assert_int_equal(f->vm.ram[0x850 * 4096], 7);
	list(f, 1, 0x850);
	assert_int_equal(call(f, HCALL_MEM_RELEASE, LIST_GPA), 0);
	/* A released frame is the host's already: not discarded again. */
	ext(f, 1, (const uint64_t[][2]){ { 0x840, 0x20 } });
	assert_int_equal(call(f, HCALL_MEM_DISCARD, EXT_GPA), -HCALL_EINVAL);
	assert_int_equal(hc_balloon_discarded(&f->vm), 0x300 * 4096);
}

static void a_bad_discard_drops_nothing(void **state)
{
	struct fx *f = *state;
	struct grant_entry_v1 *t = (void *)(f->vm.ram + f->vm.pv.gnttab_gpa);
	long long before = blocks(f);
	static const struct {
		uint64_t e[2];
		int64_t err;
	} cases[] = {
		{ { PAGES - 4, 8 }, -HCALL_EINVAL },	/* past RAM */
		{ { 0x800, 4 }, -HCALL_EINVAL },	/* overlaps the good one */
		{ { 0x1ff, 2 }, -HCALL_EPERM },		/* the grant table */
		{ { 0xf0, 0x20 }, -HCALL_EPERM },	/* below 1 MiB */
		{ { 0xdf0, 0x20 }, -HCALL_EBUSY },	/* granted */
		{ { 0xe01, 1 }, -HCALL_EBUSY },		/* pinned, type cleared */
	};
	struct hc_grant_map m;
	struct hc_gnttab gt;

	f->vm.mode.page_reporting = 1;
	memset(t, 0, 4096);
	t[3].frame = 0xe00;
	t[3].flags = GTF_permit_access;
	t[4].frame = 0xe01;
	t[4].flags = GTF_reading | GTF_writing;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ext(f, 2, (const uint64_t[][2]){ { 0x800, 0x10 }, { cases[i].e[0], cases[i].e[1] } });
		assert_int_equal(call(f, HCALL_MEM_DISCARD, EXT_GPA), cases[i].err);
	}
	/* A frame hcall-dd maps, with no grant left to show it. */
	memset(t, 0, 4096);
	grant_to_dd(t, 7, 0xd10);
	dd_gnttab(f, &gt);
	assert_int_equal(hc_gnttab_map(&gt, 7, 1, &m), 0);
	memset(t, 0, 4096);
	ext(f, 1, (const uint64_t[][2]){ { 0xd00, 0x20 } });
	assert_int_equal(call(f, HCALL_MEM_DISCARD, EXT_GPA), -HCALL_EBUSY);
	/* The list page itself: misaligned, outside RAM. */
	assert_int_equal(call(f, HCALL_MEM_DISCARD, EXT_GPA + 8), -HCALL_EINVAL);
	assert_int_equal(call(f, HCALL_MEM_DISCARD, MEM), -HCALL_EFAULT);
	assert_int_equal(blocks(f), before);
	assert_int_equal(hc_balloon_discarded(&f->vm), 0);
	hc_gnttab_unmap(&gt, &m);
	assert_int_equal(call(f, HCALL_MEM_DISCARD, EXT_GPA), 0);
	assert_true(before - blocks(f) >= 0x20 * 4096);
	hc_gnttab_destroy(&gt);
}

/* A soft reset hands released frames to the next kernel zeroed and backed. */
static void a_reset_fills_released_frames(void **state)
{
	struct fx *f = *state;
	long long before = blocks(f);

	list(f, 64, 0x800);
	assert_int_equal(call(f, HCALL_MEM_RELEASE, LIST_GPA), 0);
	list(f, 3, 0xc00);
	assert_int_equal(call(f, HCALL_MEM_RELEASE, LIST_GPA), 0);
	assert_true(before - blocks(f) >= 67 * 4096);
	f->vm.ram[0x810 * 4096 + 5] = 7;	/* written after it was given back */
	hc_balloon_reset(&f->vm);
	assert_true(blocks(f) >= before);
	assert_int_equal(hc_balloon_released(&f->vm), 0);
	for (uint64_t i = 0; i < PAGES / 64; i++)
		assert_int_equal(f->vm.pv.released[i], 0);
	for (uint64_t p = 0x800; p < 0x840; p++)
		assert_int_equal(f->vm.ram[p * 4096 + 5], 0);
	assert_int_equal(f->vm.ram[0xc02 * 4096], 0);
	assert_int_equal(f->vm.ram[0xc03 * 4096], 0xaa);
}

/* No page the guest gave back can become one the shim writes. */
static void released_frames_cannot_be_registered(void **state)
{
	struct fx *f = *state;
	uint64_t a[5] = { 0xd00000 };

	list(f, 2, 0xd00);
	assert_int_equal(call(f, HCALL_MEM_RELEASE, LIST_GPA), 0);
	f->vm.pv.gnttab_frames = 0;
	assert_int_equal(hc_hypercall(&f->vm, 0, HCALL_start_info, a), -HCALL_EBUSY);
	assert_int_equal(f->vm.pv.start_info_gpa, 0);
	assert_int_equal(hc_hypercall(&f->vm, 0, HCALL_shared_info, a), -HCALL_EBUSY);
	assert_null(f->vm.pv.shared);
	a[0] = 0xd01000;
	assert_int_equal(hc_hypercall(&f->vm, 0, HCALL_console_setup, a), -HCALL_EBUSY);
	assert_null(f->vm.pv.cons);
	/* A grant table overlapping a released frame by its last page. */
	a[0] = 0xcfe000;
	a[1] = 3;
	assert_int_equal(hc_hypercall(&f->vm, 0, HCALL_gnttab_setup, a), -HCALL_EBUSY);
	assert_int_equal(f->vm.pv.gnttab_frames, 0);
	a[1] = 2;
	assert_int_equal(hc_hypercall(&f->vm, 0, HCALL_gnttab_setup, a), 0);
	a[0] = 0xd02000;
	assert_int_equal(hc_hypercall(&f->vm, 0, HCALL_start_info, a), 0);
	assert_int_equal(f->vm.pv.start_info_gpa, 0xd02000);
}

/* The permissions of the mapping that starts at @p, from /proc/self/maps. */
static void perms_of(const void *p, char perms[5])
{
	char line[512], want[32];
	FILE *m = fopen("/proc/self/maps", "r");

	assert_non_null(m);
	snprintf(want, sizeof(want), "%lx-", (unsigned long)(uintptr_t)p);
	perms[0] = 0;
	while (fgets(line, sizeof(line), m))
		if (!strncmp(line, want, strlen(want)))
			sscanf(line, "%*s %4s", perms);
	fclose(m);
}

/* hcall-dd maps the bitmap read-only, apart from RAM, and sees the shim's bits. */
static void the_driver_domain_maps_the_bitmap_read_only(void **state)
{
	struct fx *f = *state;
	struct hc_dd_attach a = { .mem = MEM, .gnttab_gpa = f->vm.pv.gnttab_gpa,
				  .gnttab_entries = 512 };
	struct hc_dd_guest *g;
	char perms[5];

	assert_int_equal(fcntl(f->vm.mem_fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW), 0);
	assert_int_equal(hc_dd_guest_get(f->vm.mem_fd, &a, &g), 0);
	assert_ptr_equal(g->gt.released, g->released);
	assert_ptr_equal(g->gt.mapcount, g->mapcount);
	assert_int_equal(g->map_len, MEM);
	perms_of(g->released, perms);
	assert_string_equal(perms, "r--s");
	perms_of(g->mapcount, perms);	/* the counts are hcall-dd's to write */
	assert_string_equal(perms, "rw-s");
	perms_of(g->ram, perms);
	assert_string_equal(perms, "rw-s");
	list(f, 1, 0xd00);
	assert_int_equal(call(f, HCALL_MEM_RELEASE, LIST_GPA), 0);
	assert_true(hc_released_test(g->released, 0xd00));
	hc_dd_guest_put(g);
}

static void without_a_bitmap_there_is_no_balloon(void **state)
{
	struct fx *f = *state;

	f->vm.pv.released = NULL;
	list(f, 1, 0x800);
	assert_int_equal(call(f, HCALL_MEM_RELEASE, LIST_GPA), -HCALL_ENOSYS);
	f->vm.pv.released = (uint64_t *)(void *)(f->vm.ram + MEM);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_good_batch_comes_back_sorted),
		cmocka_unit_test(every_bad_batch_fails_whole),
		cmocka_unit_test(granted_frames_are_busy),
		cmocka_unit_test(count_and_reserved_are_checked),
		cmocka_unit_test(frames_above_the_hole),
		cmocka_unit_test(extents_are_checked),
		cmocka_unit_test(extents_do_not_span_the_hole),
		cmocka_unit_test(a_list_names_1_gib_at_most),
		cmocka_unit_test(granted_runs_are_busy),
		cmocka_unit_test_setup_teardown(release_punches_and_reclaim_reads_zeroes, setup,
						teardown),
		cmocka_unit_test_setup_teardown(a_bad_batch_releases_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(the_driver_domain_cannot_map_a_released_frame, setup,
						teardown),
		cmocka_unit_test_setup_teardown(a_frame_the_driver_domain_maps_is_busy, setup,
						teardown),
		cmocka_unit_test_setup_teardown(a_reset_fills_released_frames, setup, teardown),
		cmocka_unit_test_setup_teardown(discard_drops_memory_the_guest_keeps, setup,
						teardown),
		cmocka_unit_test_setup_teardown(a_bad_discard_drops_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(released_frames_cannot_be_registered, setup,
						teardown),
		cmocka_unit_test_setup_teardown(the_driver_domain_maps_the_bitmap_read_only, setup,
						teardown),
		cmocka_unit_test_setup_teardown(without_a_bitmap_there_is_no_balloon, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
