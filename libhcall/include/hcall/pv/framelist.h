/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The balloon's frame-list validator (HCALL_memory_op, abi.h): every frame
 * of one guest batch checked from the shim's private copy of the list,
 * before anything is released or taken back. Pure: no VM, no syscalls, so
 * the unit tests and the fuzzer drive it directly.
 */
#ifndef HCALL_PV_FRAMELIST_H
#define HCALL_PV_FRAMELIST_H

#include <stdint.h>

#include "hcall/abi.h"
#include "hcall/guestmem.h"

struct grant_entry_v1;

/* A guest-physical range the shim owns: [start, end). */
struct hc_gpa_range {
	uint64_t start, end;
};

struct hc_frame_ctx {
	uint64_t mem;				/* guest RAM bytes (hc_gpa()'s layout) */
	const struct hc_gpa_range *owned;	/* pages no batch may name */
	unsigned int nowned;
	const uint64_t *released;		/* bit per RAM page index; NULL: none */
	/* The guest's live grant table (hostile, read atomically); NULL: none. */
	const struct grant_entry_v1 *gnttab;
	uint32_t gnttab_entries;
};

/*
 * Check @l (the shim's copy of the guest's page) for @op (HCALL_MEM_*).
 * On success returns the frame count and fills @idx[0 .. count) with the
 * RAM page index of each frame (its offset in the guest-memory memfd /
 * 4096), in ascending order. On failure returns -HCALL_EINVAL (a bad op,
 * count, reserved word, a frame outside RAM, listed twice, or to reclaim
 * one not released; to release one released already) or -HCALL_EPERM (a
 * page of @owned), with *@why saying which (a static string), and @idx is
 * garbage. Grants are not looked at: see hc_frames_granted().
 */
int hc_frames_check(const struct hc_frame_ctx *c, uint64_t op, const struct hcall_frame_list *l,
		    uint64_t idx[HCALL_FRAME_LIST_MAX], const char **why);

/* A run of RAM page indices (memfd offset / 4096): [first, first + n). */
struct hc_page_run {
	uint64_t first, n;
};

/*
 * Check @l (the shim's copy of the guest's page) for HCALL_MEM_DISCARD.
 * On success returns the extent count and fills @runs[0 .. count) with
 * each extent's RAM page indices, ascending and apart. On failure returns
 * -HCALL_EINVAL (a bad count, reserved word, an extent empty, more than
 * HCALL_EXTENT_MAX_FRAMES in all, an extent not inside one stretch of RAM, overlapping another, or holding a
 * released frame) or -HCALL_EPERM (a page of @owned), *@why saying which.
 * Grants: hc_runs_granted().
 */
int hc_extents_check(const struct hc_frame_ctx *c, const struct hcall_extent_list *l,
		     struct hc_page_run runs[HCALL_EXTENT_LIST_MAX], const char **why);

/* hc_frames_granted() for the sorted, disjoint runs @runs[0 .. n). */
int hc_runs_granted(const struct hc_frame_ctx *c, const struct hc_page_run *runs, uint32_t n);

/*
 * 1 if a grant entry of @c's table holds a frame of @idx[0 .. n) (sorted
 * RAM page indices, as hc_frames_check() returns them): it permits access
 * (GTF_permit_access) or hcall-dd has it pinned (GTF_reading or
 * GTF_writing, whatever its type says now); else 0. A release calls it
 * after it has set the frames' released bits and a seq_cst fence: see
 * balloon.c for why that order.
 */
int hc_frames_granted(const struct hc_frame_ctx *c, const uint64_t *idx, uint32_t n);

#endif
