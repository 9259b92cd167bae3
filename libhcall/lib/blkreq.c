// SPDX-License-Identifier: LGPL-2.1-or-later
/* Copying and validating blkif requests from an untrusted frontend. */
#include <string.h>

#include "hcall/blkreq.h"

void hc_blkreq_copy(const volatile void *slot, struct hc_blk_req *out)
{
	union {
		blkif_request_t rw;
		blkif_request_discard_t discard;
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
	out->nr_segments = req.rw.nr_segments;
	for (i = 0; i < BLKIF_MAX_SEGMENTS_PER_REQUEST; i++) {
		out->seg[i].gref = req.rw.seg[i].gref;
		out->seg[i].first_sect = req.rw.seg[i].first_sect;
		out->seg[i].last_sect = req.rw.seg[i].last_sect;
	}
}

static int in_disk(uint64_t sector, uint64_t count, uint64_t size)
{
	return sector <= size && count <= size - sector;
}

int hc_blkreq_validate(const struct hc_blk_req *r, const struct hc_blk_limits *lim)
{
	uint64_t total = 0;
	unsigned int i;

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
		return BLKIF_RSP_EOPNOTSUPP;	/* indirect and unknown opcodes */
	}
	if (r->op != BLKIF_OP_READ && lim->readonly)
		return BLKIF_RSP_ERROR;
	if (r->nr_segments == 0 || r->nr_segments > BLKIF_MAX_SEGMENTS_PER_REQUEST)
		return BLKIF_RSP_ERROR;
	for (i = 0; i < r->nr_segments; i++) {
		if (r->seg[i].first_sect > r->seg[i].last_sect ||
		    r->seg[i].last_sect >= HC_SECTORS_PER_PAGE)
			return BLKIF_RSP_ERROR;
		total += (uint64_t)r->seg[i].last_sect - r->seg[i].first_sect + 1;
	}
	return in_disk(r->sector, total, lim->sectors) ? 0 : BLKIF_RSP_ERROR;
}
