// SPDX-License-Identifier: LGPL-2.1-or-later
/* The blkif request validator: every malformed request is refused. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "hcall/dd/blkreq.h"

static const struct hc_blk_limits disk = { .sectors = 2048, .readonly = 0, .discard = 1 };
static const struct hc_blk_limits rodisk = { .sectors = 2048, .readonly = 1, .discard = 1 };

static struct hc_blk_req rw(uint8_t op, uint64_t sector, int segs)
{
	struct hc_blk_req r = { .op = op, .nr_segments = (uint16_t)segs, .id = 7, .sector = sector };
	int i;

	for (i = 0; i < segs && i < BLKIF_MAX_SEGMENTS_PER_REQUEST; i++) {
		r.seg[i].gref = (grant_ref_t)(10 + i);
		r.seg[i].first_sect = 0;
		r.seg[i].last_sect = 7;
	}
	return r;
}

static void copies_the_slot_once(void **state)
{
	/* A ring slot is as large as the largest request type. */
	union {
		blkif_request_t rw;
		blkif_request_discard_t discard;
	} s1 = { .rw = { .operation = BLKIF_OP_WRITE, .nr_segments = 2, .id = 0x1234,
			 .sector_number = 99 } },
	  s2 = { .discard = { .operation = BLKIF_OP_DISCARD, .id = 5, .sector_number = 8,
			      .nr_sectors = 16 } };
	blkif_request_t *slot = &s1.rw;
	struct hc_blk_req r;

	(void)state;
	slot->seg[1].gref = 42;
	slot->seg[1].first_sect = 1;
	slot->seg[1].last_sect = 3;
	hc_blkreq_copy(slot, &r);
	assert_int_equal(r.op, BLKIF_OP_WRITE);
	assert_int_equal(r.id, 0x1234);
	assert_int_equal(r.sector, 99);
	assert_int_equal(r.nr_segments, 2);
	assert_int_equal(r.seg[1].gref, 42);
	/* Later changes to the slot do not reach the copy. */
	slot->nr_segments = 200;
	assert_int_equal(r.nr_segments, 2);
	hc_blkreq_copy(&s2, &r);
	assert_int_equal(r.op, BLKIF_OP_DISCARD);
	assert_int_equal(r.nr_sectors, 16);
	assert_int_equal(r.sector, 8);
}

static void accepts_well_formed_requests(void **state)
{
	struct hc_blk_req r = rw(BLKIF_OP_READ, 0, BLKIF_MAX_SEGMENTS_PER_REQUEST);
	struct hc_blk_req flush = { .op = BLKIF_OP_FLUSH_DISKCACHE };
	struct hc_blk_req discard = { .op = BLKIF_OP_DISCARD, .sector = 2000, .nr_sectors = 48 };

	(void)state;
	assert_int_equal(hc_blkreq_validate(&r, &disk), 0);
	r = rw(BLKIF_OP_WRITE, 2048 - 8, 1);		/* the very last page */
	assert_int_equal(hc_blkreq_validate(&r, &disk), 0);
	assert_int_equal(hc_blkreq_validate(&flush, &disk), 0);
	assert_int_equal(hc_blkreq_validate(&discard, &disk), 0);
	r = rw(BLKIF_OP_READ, 0, 1);
	assert_int_equal(hc_blkreq_validate(&r, &rodisk), 0);
}

static void refuses_malformed_requests(void **state)
{
	struct hc_blk_req r;
	struct hc_blk_limits nodiscard = disk;

	(void)state;
	r = rw(BLKIF_OP_READ, 0, 0);
	assert_int_equal(hc_blkreq_validate(&r, &disk), BLKIF_RSP_ERROR);
	r = rw(BLKIF_OP_READ, 0, BLKIF_MAX_SEGMENTS_PER_REQUEST);
	r.nr_segments = BLKIF_MAX_SEGMENTS_PER_REQUEST + 1;
	assert_int_equal(hc_blkreq_validate(&r, &disk), BLKIF_RSP_ERROR);
	r = rw(BLKIF_OP_READ, 0, 1);
	r.seg[0].first_sect = 5;
	r.seg[0].last_sect = 4;
	assert_int_equal(hc_blkreq_validate(&r, &disk), BLKIF_RSP_ERROR);
	r.seg[0].first_sect = 0;
	r.seg[0].last_sect = 8;				/* past the page */
	assert_int_equal(hc_blkreq_validate(&r, &disk), BLKIF_RSP_ERROR);
	r = rw(BLKIF_OP_WRITE, 2048 - 7, 1);		/* one sector past the end */
	assert_int_equal(hc_blkreq_validate(&r, &disk), BLKIF_RSP_ERROR);
	r = rw(BLKIF_OP_WRITE, ~0ull - 3, 1);		/* wraps around */
	assert_int_equal(hc_blkreq_validate(&r, &disk), BLKIF_RSP_ERROR);
	r = rw(BLKIF_OP_WRITE, 0, 1);
	assert_int_equal(hc_blkreq_validate(&r, &rodisk), BLKIF_RSP_ERROR);
	r = rw(BLKIF_OP_FLUSH_DISKCACHE, 0, 1);
	assert_int_equal(hc_blkreq_validate(&r, &rodisk), BLKIF_RSP_ERROR);
	r = rw(BLKIF_OP_INDIRECT, 0, 1);
	assert_int_equal(hc_blkreq_validate(&r, &disk), BLKIF_RSP_EOPNOTSUPP);
	r = rw(0xff, 0, 1);
	assert_int_equal(hc_blkreq_validate(&r, &disk), BLKIF_RSP_EOPNOTSUPP);
	r = (struct hc_blk_req){ .op = BLKIF_OP_DISCARD, .sector = 2000, .nr_sectors = 49 };
	assert_int_equal(hc_blkreq_validate(&r, &disk), BLKIF_RSP_ERROR);
	r.sector = 1;
	r.nr_sectors = ~0ull;
	assert_int_equal(hc_blkreq_validate(&r, &disk), BLKIF_RSP_ERROR);
	r.nr_sectors = 1;
	assert_int_equal(hc_blkreq_validate(&r, &rodisk), BLKIF_RSP_ERROR);
	nodiscard.discard = 0;
	assert_int_equal(hc_blkreq_validate(&r, &nodiscard), BLKIF_RSP_EOPNOTSUPP);
}

static void indirect_requests(void **state)
{
	struct hc_blk_limits lim = disk;
	blkif_request_indirect_t slot = {
		.indirect_op = BLKIF_OP_WRITE, .nr_segments = 20, .id = 99,
		.sector_number = 64, .indirect_grefs = { 33 },
	};
	struct blkif_request_segment page[512];
	struct hc_blk_req r;
	union {
		blkif_request_t rw;
		blkif_request_indirect_t indirect;
	} ring_slot;
	int i;

	(void)state;
	memset(&ring_slot, 0, sizeof(ring_slot));
	memcpy(&ring_slot, &slot, sizeof(slot));
	ring_slot.indirect.operation = BLKIF_OP_INDIRECT;
	hc_blkreq_copy(&ring_slot, &r);
	assert_true(r.indirect);
	assert_int_equal(r.op, BLKIF_OP_WRITE);
	assert_int_equal(r.nr_segments, 20);
	assert_int_equal(r.indirect_gref, 33);
	assert_int_equal(r.id, 99);
	for (i = 0; i < 512; i++)
		page[i] = (struct blkif_request_segment){ .gref = (grant_ref_t)(100 + i),
							  .first_sect = 0, .last_sect = 7 };
	/* Without feature-max-indirect-segments nothing is read. */
	lim.max_indirect = 0;
	assert_int_equal(hc_blkreq_copy_segments(&r, page, &lim), BLKIF_RSP_ERROR);
	lim.max_indirect = HC_BLK_MAX_INDIRECT;
	assert_int_equal(hc_blkreq_copy_segments(&r, page, &lim), 0);
	assert_int_equal(r.seg[19].gref, 119);
	assert_int_equal(hc_blkreq_validate(&r, &lim), 0);
	/* The private copy is what counts: rewriting the page changes nothing. */
	page[3].last_sect = 200;
	assert_int_equal(hc_blkreq_validate(&r, &lim), 0);
	/* Over the limit, zero segments, a bad segment, discard inside: refused. */
	r.nr_segments = HC_BLK_MAX_INDIRECT + 1;
	assert_int_equal(hc_blkreq_copy_segments(&r, page, &lim), BLKIF_RSP_ERROR);
	assert_int_equal(hc_blkreq_validate(&r, &lim), BLKIF_RSP_ERROR);
	r.nr_segments = 0;
	assert_int_equal(hc_blkreq_validate(&r, &lim), BLKIF_RSP_ERROR);
	r.nr_segments = 4;
	assert_int_equal(hc_blkreq_copy_segments(&r, page, &lim), 0);
	assert_int_equal(hc_blkreq_validate(&r, &lim), BLKIF_RSP_ERROR);
	r.op = BLKIF_OP_DISCARD;
	assert_int_equal(hc_blkreq_validate(&r, &lim), BLKIF_RSP_ERROR);
	/* An indirect request on a direct-only disk: 12 segments is too many. */
	r = (struct hc_blk_req){ .op = BLKIF_OP_READ, .indirect = 1, .nr_segments = 12 };
	for (i = 0; i < 12; i++)
		r.seg[i].last_sect = 7;
	lim.max_indirect = 0;
	assert_int_equal(hc_blkreq_validate(&r, &lim), BLKIF_RSP_ERROR);
	lim.max_indirect = HC_BLK_MAX_INDIRECT;
	assert_int_equal(hc_blkreq_validate(&r, &lim), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(copies_the_slot_once),
		cmocka_unit_test(accepts_well_formed_requests),
		cmocka_unit_test(refuses_malformed_requests),
		cmocka_unit_test(indirect_requests),
	};

	return cmocka_run_group_tests_name("blkreq", tests, NULL, NULL);
}
