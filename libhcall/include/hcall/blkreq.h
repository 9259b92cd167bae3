/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * blkif requests (Xen's io/blkif.h) as the block backend sees them: copied
 * out of the shared ring exactly once, then validated from the private
 * copy, so a frontend that rewrites the slot meanwhile changes nothing.
 */
#ifndef HCALL_BLKREQ_H
#define HCALL_BLKREQ_H

#include <stdint.h>
#include "hcall/xenring.h"
#include <xen/io/blkif.h>

#define HC_SECTOR_SHIFT		9
#define HC_SECTORS_PER_PAGE	8

/* A validated request: everything the backend needs, nothing shared. */
struct hc_blk_req {
	uint8_t op;			/* BLKIF_OP_* */
	uint8_t nr_segments;
	uint64_t id;			/* echoed in the response */
	uint64_t sector;
	uint64_t nr_sectors;		/* total, over all segments (or the discard) */
	struct {
		grant_ref_t gref;
		uint8_t first_sect, last_sect;
	} seg[BLKIF_MAX_SEGMENTS_PER_REQUEST];
};

/* What the backend offers; requests are checked against it. */
struct hc_blk_limits {
	uint64_t sectors;		/* disk size in 512-byte sectors */
	int readonly;
	int discard;			/* feature-discard advertised */
};

/* Copy one ring slot (hostile, may change under us) into @out; no checks. */
void hc_blkreq_copy(const volatile void *slot, struct hc_blk_req *out);
/*
 * Validate a private copy. Returns 0, or the BLKIF_RSP_* status to answer
 * with: BLKIF_RSP_EOPNOTSUPP for operations not offered, BLKIF_RSP_ERROR for
 * anything malformed (segment counts, sector ranges, past the end of the
 * disk, writes to a read-only disk).
 */
int hc_blkreq_validate(const struct hc_blk_req *r, const struct hc_blk_limits *lim);

#endif
