// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target: the balloon's frame-list validator on a hostile list
 * and a hostile grant table. The input is the list page (count, reserved
 * word, frames, each frame near a boundary: RAM's start and end, the 3 GiB
 * hole, 4 GiB, 2^52, 2^64, an owned range), then grant entries, then which
 * frames are released. Whatever it says, an accepted batch must be what
 * the shim may apply: sorted RAM page indices, no two the same, none owned
 * or (to release) released already, and exactly count of them; and the
 * grant scan finds a busy one exactly when an entry permits access to one
 * of them or is pinned. Operation 2 (free page reporting) reads the same
 * input as extents (a frame, a length) and holds their runs to the same:
 * in one stretch of RAM, sorted and apart, none owned or released, and
 * 1 GiB at most in all.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <xen/xen.h>
#include <xen/grant_table.h>

#include "hcall/guestmem.h"
#include "hcall/pv/framelist.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MEM (HC_MMIO_HOLE + (4ull << 20))	/* RAM on both sides of the hole */
#define PAGES (MEM / 4096)
#define GRANTS 64

static uint64_t released[PAGES / 64 + 1];

static const uint64_t anchors[] = {
	0, 0x100, 0x1000, (HC_MMIO_HOLE >> 12) - 8, HC_MMIO_HOLE >> 12, HC_4G >> 12,
	((HC_4G + (4ull << 20)) >> 12) - 8, 1ull << 52, ~0ull - 16,
};

static const struct hc_gpa_range owned[] = {
	{ 0, 0x100000 }, { 0x1000000, 0x1400000 }, { HC_4G + 0x2000, HC_4G + 0x3000 },
};

static uint64_t frame(const uint8_t *p)
{
	return anchors[p[0] % (sizeof(anchors) / sizeof(anchors[0]))] + (p[1] & 0x1f);
}

/* The RAM page index of @gfn (known to be RAM), as the validator computes it. */
static uint64_t index_of(uint64_t gfn)
{
	uint64_t gpa = gfn << 12;

	return (gpa < HC_MMIO_HOLE ? gpa : HC_MMIO_HOLE + gpa - HC_4G) >> 12;
}

/* 1 if a grant of table[0 .. GRANTS) holds a frame whose index is in [lo, hi). */
static int granted_in(const struct grant_entry_v1 *table, uint64_t lo, uint64_t hi)
{
	for (size_t g = 0; g < GRANTS; g++) {
		uint64_t f = table[g].frame;

		if (((table[g].flags & GTF_type_mask) == GTF_permit_access ||
		     (table[g].flags & (GTF_reading | GTF_writing))) &&
		    hc_gpa_span(MEM, f << 12) >= 4096 && index_of(f) >= lo && index_of(f) < hi)
			return 1;
	}
	return 0;
}

/* HCALL_MEM_DISCARD's list: 3 bytes an extent, the lengths near 1 and 1 GiB. */
static int extents_case(const struct hc_frame_ctx *c, struct grant_entry_v1 *table,
			const uint8_t *data, size_t size, uint32_t count, int reserved)
{
	static struct hcall_extent_list l;
	static struct hc_page_run runs[HCALL_EXTENT_LIST_MAX];
	const char *why;
	size_t n = size / 3 < HCALL_EXTENT_LIST_MAX ? size / 3 : HCALL_EXTENT_LIST_MAX, i;
	int ret, busy = 0;
	uint64_t total = 0;

	memset(&l, 0, sizeof(l));
	l.count = count;
	l.reserved = (uint32_t)reserved;
	for (i = 0; i < n; i++) {
		const uint8_t *p = data + 3 * i;

		l.extents[i].frame = frame(p);
		l.extents[i].count = p[2] & 0x80 ? HCALL_EXTENT_MAX_FRAMES + 1 - (p[2] & 0x7f) :
			p[2] * 7ull;
		if (p[1] & 0x20 && i < GRANTS) {
			table[i].flags = GTF_permit_access;
			table[i].frame = (uint32_t)(l.extents[i].frame + (p[2] & 3));
		}
		if (p[1] & 0x80 && hc_gpa_span(MEM, l.extents[i].frame << 12) >= 4096 &&
		    l.extents[i].frame <= UINT64_MAX >> 12) {
			uint64_t x = index_of(l.extents[i].frame);

			released[x / 64] |= 1ull << (x % 64);
		}
	}
	ret = hc_extents_check(c, &l, runs, &why);
	if (ret < 0) {
		if ((ret != -HCALL_EINVAL && ret != -HCALL_EPERM) || !why || !*why)
			abort();
		return 0;
	}
	if (reserved || (uint32_t)ret != count || count > n)
		abort();
	for (i = 0; i < (size_t)ret; i++) {
		const struct hc_page_run *r = &runs[i];

		total += r->n;
		if (!r->n || total > HCALL_EXTENT_MAX_FRAMES || r->first + r->n > PAGES ||
		    (i && runs[i - 1].first + runs[i - 1].n > r->first))
			abort();	/* in RAM, sorted, apart, 1 GiB in all */
		for (uint64_t k = 0; k < r->n; k++)
			if (hc_released_test(released, r->first + k))
				abort();
		busy |= granted_in(table, r->first, r->first + r->n);
	}
	/* Each extent is a run, gpa for gpa, and holds no owned page. */
	for (i = 0; i < count; i++) {
		uint64_t gpa = l.extents[i].frame << 12, len = l.extents[i].count << 12, x;
		size_t k;

		if (hc_gpa_span(MEM, gpa) < len)
			abort();
		x = index_of(l.extents[i].frame);
		for (k = 0; k < (size_t)ret && (runs[k].first != x ||
						runs[k].n != l.extents[i].count); k++)
			;
		if (k == (size_t)ret)
			abort();
		for (k = 0; k < 3; k++)
			if (gpa < owned[k].end && gpa + len > owned[k].start)
				abort();
	}
	if (hc_runs_granted(c, runs, (uint32_t)ret) != busy)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct hcall_frame_list l;
	static uint64_t idx[HCALL_FRAME_LIST_MAX];
	static struct grant_entry_v1 table[GRANTS];
	struct hc_frame_ctx c = { .mem = MEM, .owned = owned, .nowned = 3, .released = released,
				  .gnttab = table, .gnttab_entries = GRANTS };
	const char *why;
	uint64_t op;
	size_t n, i;
	int ret, busy;

	if (size < 4)
		return 0;
	op = data[0] & 3;	/* two ops, discard, a bad one */
	memset(&l, 0, sizeof(l));
	l.count = data[1] & 0x80 ? 0xffffff00u | data[2] : data[2];	/* past the page too */
	l.reserved = data[3] == 0xff;
	data += 4;
	size -= 4;
	memset(table, 0, sizeof(table));
	memset(released, 0, sizeof(released));
	if (op == HCALL_MEM_DISCARD)
		return extents_case(&c, table, data, size, l.count, (int)l.reserved);
	n = size / 2 < HCALL_FRAME_LIST_MAX ? size / 2 : HCALL_FRAME_LIST_MAX;
	for (i = 0; i < n; i++)
		l.frames[i] = frame(data + 2 * i);
	/* What is left over names granted frames and released ones. */
	for (i = 0; i < l.count && i < n && i < GRANTS; i++)
		if (data[2 * i + 1] & 0x20) {
			table[i].flags = data[2 * i + 1] & 0x40 ? GTF_permit_access : GTF_accept_transfer;
			if (data[2 * i] & 0x80)	/* pinned by hcall-dd */
				table[i].flags |= GTF_reading;
			table[i].frame = (uint32_t)l.frames[i];
		}
	for (i = 0; i < n; i++)
		if ((data[2 * i + 1] & 0x80) && hc_gpa_span(MEM, l.frames[i] << 12) >= 4096 &&
		    l.frames[i] <= UINT64_MAX >> 12) {
			uint64_t x = index_of(l.frames[i]);

			released[x / 64] |= 1ull << (x % 64);
		}

	ret = hc_frames_check(&c, op, &l, idx, &why);
	if (ret < 0) {
		if (ret != -HCALL_EINVAL && ret != -HCALL_EPERM)
			abort();
		if (!why || !*why)
			abort();	/* every refusal says why */
		return 0;
	}
	if (op > HCALL_MEM_RECLAIM || l.reserved || (uint32_t)ret != l.count ||
	    l.count > HCALL_FRAME_LIST_MAX)
		abort();
	for (i = 0; i < (size_t)ret; i++) {
		if (idx[i] >= PAGES || (i && idx[i] <= idx[i - 1]))
			abort();	/* in RAM, sorted, no twins */
		if (hc_released_test(released, idx[i]) != (op == HCALL_MEM_RECLAIM))
			abort();
	}
	/* Each listed frame is one of the indices, none owned; granted says if one is busy. */
	busy = 0;
	for (i = 0; i < l.count; i++) {
		uint64_t gpa = l.frames[i] << 12, x = index_of(l.frames[i]);

		size_t k;

		for (k = 0; k < (size_t)ret && idx[k] != x; k++)
			;
		if (k == (size_t)ret)
			abort();
		for (k = 0; k < 3; k++)
			if (gpa < owned[k].end && gpa + 4096 > owned[k].start)
				abort();
		for (size_t g = 0; g < GRANTS; g++)
			if (((table[g].flags & GTF_type_mask) == GTF_permit_access ||
			     (table[g].flags & (GTF_reading | GTF_writing))) &&
			    table[g].frame == l.frames[i])
				busy = 1;
	}
	if (hc_frames_granted(&c, idx, (uint32_t)ret) != busy)
		abort();
	return 0;
}
