// SPDX-License-Identifier: LGPL-2.1-or-later
/* blkif backend engine: one ring, synchronous I/O into granted pages. */
#define _FILE_OFFSET_BITS 64
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "hcall/blkback.h"

#define SECTOR 512u

int hc_blkback_init(struct hc_blkback *bb, struct hc_gnttab *gt, grant_ref_t ring_ref,
		    int fd, const struct hc_blk_limits *lim,
		    void (*notify)(void *), void *opaque)
{
	int ret;

	memset(bb, 0, sizeof(*bb));
	ret = hc_gnttab_map(gt, ring_ref, 1, &bb->ring_map);
	if (ret)
		return ret;
	bb->gt = gt;
	/* Indices start from what the frontend initialised; ours stay private. */
	BACK_RING_ATTACH(&bb->ring, (blkif_sring_t *)bb->ring_map.page,
			 ((blkif_sring_t *)bb->ring_map.page)->rsp_prod, 4096);
	bb->fd = fd;
	bb->lim = *lim;
	bb->notify = notify;
	bb->opaque = opaque;
	return 0;
}

void hc_blkback_destroy(struct hc_blkback *bb)
{
	if (bb->gt)
		hc_gnttab_unmap(bb->gt, &bb->ring_map);
	bb->gt = NULL;
}

/* Read or write every segment straight into its granted page. */
static int do_rw(struct hc_blkback *bb, const struct hc_blk_req *r, int write)
{
	struct hc_grant_map maps[HC_BLK_MAX_SEGS];
	struct iovec iov[HC_BLK_MAX_SEGS];
	size_t total = 0;
	ssize_t n;
	int i, mapped = 0, status = BLKIF_RSP_OKAY;

	for (i = 0; i < r->nr_segments; i++) {
		/* A disk write reads guest memory, a disk read writes it. */
		if (hc_gnttab_map(bb->gt, r->seg[i].gref, !write, &maps[i])) {
			status = BLKIF_RSP_ERROR;
			goto out;
		}
		mapped++;
		iov[i].iov_base = maps[i].page + r->seg[i].first_sect * SECTOR;
		iov[i].iov_len = (r->seg[i].last_sect - r->seg[i].first_sect + 1u) * SECTOR;
		total += iov[i].iov_len;
	}
	if (write)
		n = pwritev(bb->fd, iov, r->nr_segments, (off_t)(r->sector * SECTOR));
	else
		n = preadv(bb->fd, iov, r->nr_segments, (off_t)(r->sector * SECTOR));
	if (n != (ssize_t)total)
		status = BLKIF_RSP_ERROR;
	else
		bb->bytes += total;
out:
	for (i = 0; i < mapped; i++)
		hc_gnttab_unmap(bb->gt, &maps[i]);
	return status;
}

/* An indirect request's segments: copied once from their granted page. */
static int fetch_segments(struct hc_blkback *bb, struct hc_blk_req *r)
{
	struct hc_grant_map m;
	int status;

	if (!r->indirect)
		return 0;
	if (!bb->lim.max_indirect)
		return BLKIF_RSP_EOPNOTSUPP;	/* not offered */
	if (r->nr_segments == 0 || r->nr_segments > bb->lim.max_indirect)
		return BLKIF_RSP_ERROR;
	if (hc_gnttab_map(bb->gt, r->indirect_gref, 0, &m))
		return BLKIF_RSP_ERROR;
	status = hc_blkreq_copy_segments(r, m.page, &bb->lim);
	hc_gnttab_unmap(bb->gt, &m);
	return status;
}

static int serve(struct hc_blkback *bb, struct hc_blk_req *r)
{
	int status = fetch_segments(bb, r);

	if (!status)
		status = hc_blkreq_validate(r, &bb->lim);

	if (status)
		return status;
	switch (r->op) {
	case BLKIF_OP_READ:
		return do_rw(bb, r, 0);
	case BLKIF_OP_WRITE:
		return do_rw(bb, r, 1);
	case BLKIF_OP_WRITE_BARRIER:
	case BLKIF_OP_FLUSH_DISKCACHE:
		/* Everything acknowledged before is durable first (barrier). */
		if (fdatasync(bb->fd))
			return BLKIF_RSP_ERROR;
		if (r->nr_segments == 0)
			return BLKIF_RSP_OKAY;
		status = do_rw(bb, r, 1);
		/* And this write itself before it is acknowledged (FUA). */
		if (status == BLKIF_RSP_OKAY && fdatasync(bb->fd))
			status = BLKIF_RSP_ERROR;
		return status;
	case BLKIF_OP_DISCARD:
		if (fallocate(bb->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			      (off_t)(r->sector * SECTOR), (off_t)(r->nr_sectors * SECTOR)))
			return errno == EOPNOTSUPP ? BLKIF_RSP_EOPNOTSUPP : BLKIF_RSP_ERROR;
		return BLKIF_RSP_OKAY;
	}
	return BLKIF_RSP_EOPNOTSUPP;
}

static void respond(struct hc_blkback *bb, const struct hc_blk_req *r, int status)
{
	blkif_response_t rsp;

	/* Built privately, copied whole: no stale or uninitialised bytes. */
	memset(&rsp, 0, sizeof(rsp));
	rsp.id = r->id;
	rsp.operation = r->indirect ? BLKIF_OP_INDIRECT : r->op;
	rsp.status = (int16_t)status;
	memcpy(RING_GET_RESPONSE(&bb->ring, bb->ring.rsp_prod_pvt), &rsp, sizeof(rsp));
	bb->ring.rsp_prod_pvt++;
}

int hc_blkback_process(struct hc_blkback *bb)
{
	int served = 0, more = 0, notify;

	if (bb->broken)
		return -EPROTO;
	do {
		RING_IDX rp = __atomic_load_n(&bb->ring.sring->req_prod, __ATOMIC_ACQUIRE);

		if (RING_REQUEST_PROD_OVERFLOW(&bb->ring, rp)) {
			bb->broken = 1;	/* a producer index no frontend can honestly reach */
			return -EPROTO;
		}
		/* Bounded batches: a busy frontend cannot keep us here forever. */
		while (bb->ring.req_cons != rp && served < HC_BLKBACK_BATCH) {
			struct hc_blk_req r;
			int status;

			hc_blkreq_copy(RING_GET_REQUEST(&bb->ring, bb->ring.req_cons), &r);
			bb->ring.req_cons++;
			status = serve(bb, &r);
			bb->requests++;
			if (status)
				bb->errors++;
			respond(bb, &r, status);
			served++;
		}
		RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&bb->ring, notify);
		if (notify && bb->notify)
			bb->notify(bb->opaque);
		if (served >= HC_BLKBACK_BATCH)
			return served;	/* the caller comes back for the rest */
		RING_FINAL_CHECK_FOR_REQUESTS(&bb->ring, more);
	} while (more);
	return served;
}
