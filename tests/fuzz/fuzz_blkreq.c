// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target for the blkif request validator: any ring slot, any
 * disk geometry and, for indirect requests, any page of segments. A
 * request the validator accepts must describe only whole sectors inside the
 * disk, within the segment limits.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hcall/dd/blkreq.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	union {
		blkif_request_t rw;
		blkif_request_discard_t discard;
		blkif_request_indirect_t indirect;
	} slot;
	struct blkif_request_segment page[512] = { { 0 } };
	struct hc_blk_limits lim = { 0 };
	struct hc_blk_req r;
	uint64_t total = 0;
	unsigned int i;

	if (size < sizeof(slot) + 10)
		return 0;
	memcpy(&slot, data, sizeof(slot));
	memcpy(&lim.sectors, data + sizeof(slot), 8);
	lim.readonly = data[sizeof(slot) + 8] & 1;
	lim.discard = data[sizeof(slot) + 9] & 1;
	lim.max_indirect = data[sizeof(slot) + 9] & 2 ? HC_BLK_MAX_INDIRECT : 0;
	memcpy(page, data + sizeof(slot) + 10,
	       size - sizeof(slot) - 10 < sizeof(page) ? size - sizeof(slot) - 10 : sizeof(page));
	hc_blkreq_copy(&slot, &r);
	if (r.indirect && hc_blkreq_copy_segments(&r, page, &lim))
		return 0;
	if (hc_blkreq_validate(&r, &lim) != 0)
		return 0;
	if (r.op == BLKIF_OP_DISCARD) {
		if (!lim.discard || lim.readonly || r.sector > lim.sectors ||
		    r.nr_sectors > lim.sectors - r.sector)
			abort();
		return 0;
	}
	if (r.op == BLKIF_OP_FLUSH_DISKCACHE && r.nr_segments == 0)
		return 0;
	if (r.nr_segments == 0 ||
	    r.nr_segments > (r.indirect ? lim.max_indirect : BLKIF_MAX_SEGMENTS_PER_REQUEST))
		abort();
	if (r.indirect && (r.op == BLKIF_OP_DISCARD || r.op == BLKIF_OP_INDIRECT))
		abort();
	if (lim.readonly && r.op != BLKIF_OP_READ)
		abort();
	for (i = 0; i < r.nr_segments; i++) {
		if (r.seg[i].first_sect > r.seg[i].last_sect || r.seg[i].last_sect > 7)
			abort();
		total += r.seg[i].last_sect - r.seg[i].first_sect + 1u;
	}
	if (r.sector > lim.sectors || total > lim.sectors - r.sector)
		abort();
	return 0;
}
