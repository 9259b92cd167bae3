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
/* Most segments in one indirect request (one page of segments is enough). */
#define HC_BLK_MAX_INDIRECT	32
#define HC_BLK_MAX_SEGS		HC_BLK_MAX_INDIRECT

/* A validated request: everything the backend needs, nothing shared. */
struct hc_blk_req {
	uint8_t op;			/* BLKIF_OP_* (an indirect request's indirect_op) */
	uint8_t indirect;		/* came as BLKIF_OP_INDIRECT */
	uint16_t nr_segments;
	grant_ref_t indirect_gref;	/* the page holding the segments */
	uint64_t id;			/* echoed in the response */
	uint64_t sector;
	uint64_t nr_sectors;		/* total, over all segments (or the discard) */
	struct {
		grant_ref_t gref;
		uint8_t first_sect, last_sect;
	} seg[HC_BLK_MAX_SEGS];
};

/* What the backend offers; requests are checked against it. */
struct hc_blk_limits {
	uint64_t sectors;		/* disk size in 512-byte sectors */
	int readonly;
	int discard;			/* feature-discard advertised */
	unsigned int max_indirect;	/* feature-max-indirect-segments, 0: none */
};

/*
 * Copy one ring slot (hostile, may change under us) into @out; no checks.
 * An indirect request's segments are not in the slot: fetch them with
 * hc_blkreq_copy_segments() from the page its indirect_gref grants.
 */
void hc_blkreq_copy(const volatile void *slot, struct hc_blk_req *out);
/*
 * Copy an indirect request's @r->nr_segments segments, once, out of the
 * granted page @page (hostile). Returns 0, or BLKIF_RSP_ERROR if the count
 * is over @lim (nothing is read then).
 */
int hc_blkreq_copy_segments(struct hc_blk_req *r, const volatile void *page,
			    const struct hc_blk_limits *lim);
/*
 * Validate a private copy. Returns 0, or the BLKIF_RSP_* status to answer
 * with: BLKIF_RSP_EOPNOTSUPP for operations not offered, BLKIF_RSP_ERROR for
 * anything malformed (segment counts, sector ranges, past the end of the
 * disk, writes to a read-only disk). Indirect requests may carry READ,
 * WRITE, WRITE_BARRIER or FLUSH_DISKCACHE with data, up to lim->max_indirect
 * segments; direct ones up to BLKIF_MAX_SEGMENTS_PER_REQUEST.
 */
int hc_blkreq_validate(const struct hc_blk_req *r, const struct hc_blk_limits *lim);

#endif
