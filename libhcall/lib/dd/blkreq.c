// SPDX-License-Identifier: LGPL-2.1-or-later
/* Copying and validating blkif requests from an untrusted frontend. */
#include <string.h>

#include "hcall/dd/blkreq.h"

void hc_blkreq_copy(const volatile void *slot, struct hc_blk_req *out)
{
	union {
		blkif_request_t rw;
		blkif_request_discard_t discard;
		blkif_request_indirect_t indirect;
	} req;
	unsigned int i;

	/* One read of the slot; every later decision uses this copy only. */
	memcpy(&req, (const void *)slot, sizeof(req));
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	memset(out, 0, sizeof(*out));
	out->op = req.rw.operation;
	out->id = req.rw.id;
	out->sector = req.rw.sector_number;
	if (out->op == BLKIF_OP_DISCARD) {
		out->nr_sectors = req.discard.nr_sectors;
		return;
	}
	if (out->op == BLKIF_OP_INDIRECT) {
		out->indirect = 1;
		out->op = req.indirect.indirect_op;
		out->id = req.indirect.id;
		out->sector = req.indirect.sector_number;
		out->nr_segments = req.indirect.nr_segments;
		out->indirect_gref = req.indirect.indirect_grefs[0];
		return;
	}
	out->nr_segments = req.rw.nr_segments;
	for (i = 0; i < BLKIF_MAX_SEGMENTS_PER_REQUEST; i++) {
		out->seg[i].gref = req.rw.seg[i].gref;
		out->seg[i].first_sect = req.rw.seg[i].first_sect;
		out->seg[i].last_sect = req.rw.seg[i].last_sect;
	}
}

int hc_blkreq_copy_segments(struct hc_blk_req *r, const volatile void *page,
			    const struct hc_blk_limits *lim)
{
	struct blkif_request_segment segs[HC_BLK_MAX_SEGS];
	unsigned int i;

	if (!r->indirect || r->nr_segments == 0 || r->nr_segments > lim->max_indirect ||
	    r->nr_segments > HC_BLK_MAX_SEGS)
		return BLKIF_RSP_ERROR;
	memcpy(segs, (const void *)page, r->nr_segments * sizeof(segs[0]));
	for (i = 0; i < r->nr_segments; i++) {
		r->seg[i].gref = segs[i].gref;
		r->seg[i].first_sect = segs[i].first_sect;
		r->seg[i].last_sect = segs[i].last_sect;
	}
	return 0;
}

static int in_disk(uint64_t sector, uint64_t count, uint64_t size)
{
	return sector <= size && count <= size - sector;
}

int hc_blkreq_validate(const struct hc_blk_req *r, const struct hc_blk_limits *lim)
{
	unsigned int i, max = BLKIF_MAX_SEGMENTS_PER_REQUEST;
	uint64_t total = 0;

	if (r->indirect) {
		if (r->op == BLKIF_OP_DISCARD || r->op == BLKIF_OP_INDIRECT ||
		    (r->op == BLKIF_OP_FLUSH_DISKCACHE && r->nr_segments == 0))
			return BLKIF_RSP_ERROR;
		max = lim->max_indirect < HC_BLK_MAX_SEGS ? lim->max_indirect : HC_BLK_MAX_SEGS;
	}
	switch (r->op) {
	case BLKIF_OP_READ:
	case BLKIF_OP_WRITE:
	case BLKIF_OP_WRITE_BARRIER:
		break;
	case BLKIF_OP_FLUSH_DISKCACHE:
		/* A flush may carry data (flush + write, as Linux blkfront sends). */
		if (r->nr_segments == 0)
			return 0;
		break;
	case BLKIF_OP_DISCARD:
		if (!lim->discard)
			return BLKIF_RSP_EOPNOTSUPP;
		if (lim->readonly)
			return BLKIF_RSP_ERROR;
		return in_disk(r->sector, r->nr_sectors, lim->sectors) ? 0 : BLKIF_RSP_ERROR;
	default:
		return BLKIF_RSP_EOPNOTSUPP;	/* unknown opcodes */
	}
	if (r->op != BLKIF_OP_READ && lim->readonly)
		return BLKIF_RSP_ERROR;
	if (r->nr_segments == 0 || r->nr_segments > max)
		return BLKIF_RSP_ERROR;
	for (i = 0; i < r->nr_segments; i++) {
		if (r->seg[i].first_sect > r->seg[i].last_sect ||
		    r->seg[i].last_sect >= HC_SECTORS_PER_PAGE)
			return BLKIF_RSP_ERROR;
		total += (uint64_t)r->seg[i].last_sect - r->seg[i].first_sect + 1;
	}
	return in_disk(r->sector, total, lim->sectors) ? 0 : BLKIF_RSP_ERROR;
}
