// SPDX-License-Identifier: LGPL-2.1-or-later
/* blkif backend engine: one ring, synchronous I/O into granted pages. */
#define _FILE_OFFSET_BITS 64
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "hcall/dd/blkback.h"

#define SECTOR 512u
#define RING_SLOTS 32	/* a one-page blkif ring's slots (checked at init) */

/* A read or write handed to io_uring, with the grants it holds. */
struct hc_blk_inflight {
	struct hc_blk_req r;
	struct hc_grant_map maps[HC_BLK_MAX_SEGS];
	struct iovec iov[HC_BLK_MAX_SEGS];
	int mapped;
	size_t total;
};

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

int hc_blkback_use_uring(struct hc_blkback *bb)
{
	int ret;

	if (RING_SIZE(&bb->ring) > RING_SLOTS)
		return -EINVAL;
	bb->inflight = calloc(RING_SLOTS, sizeof(*bb->inflight));
	bb->uring = calloc(1, sizeof(*bb->uring));
	ret = bb->inflight && bb->uring ? io_uring_queue_init(RING_SLOTS, bb->uring, 0) : -ENOMEM;
	if (ret) {
		free(bb->inflight);
		free(bb->uring);
		bb->inflight = NULL;
		bb->uring = NULL;
	}
	return ret;
}

void hc_blkback_destroy(struct hc_blkback *bb)
{
	if (bb->uring)
		io_uring_queue_exit(bb->uring);
	free(bb->uring);
	free(bb->inflight);
	bb->uring = NULL;
	bb->inflight = NULL;
	if (bb->gt)
		hc_gnttab_unmap(bb->gt, &bb->ring_map);
	bb->gt = NULL;
}

/* Map every segment of @io->r; 0 or BLKIF_RSP_ERROR (nothing left mapped). */
static int map_segments(struct hc_blkback *bb, struct hc_blk_inflight *io, int write)
{
	const struct hc_blk_req *r = &io->r;
	int i;

	io->mapped = 0;
	io->total = 0;
	for (i = 0; i < r->nr_segments; i++) {
		/* A disk write reads guest memory, a disk read writes it. */
		if (hc_gnttab_map(bb->gt, r->seg[i].gref, !write, &io->maps[i])) {
			while (io->mapped)
				hc_gnttab_unmap(bb->gt, &io->maps[--io->mapped]);
			return BLKIF_RSP_ERROR;
		}
		io->mapped++;
		io->iov[i].iov_base = io->maps[i].page + r->seg[i].first_sect * SECTOR;
		io->iov[i].iov_len = (r->seg[i].last_sect - r->seg[i].first_sect + 1u) * SECTOR;
		io->total += io->iov[i].iov_len;
	}
	return 0;
}

/* The I/O is over (@done bytes or -errno): release the grants, say how it went. */
static int finish_rw(struct hc_blkback *bb, struct hc_blk_inflight *io, ssize_t done)
{
	while (io->mapped)
		hc_gnttab_unmap(bb->gt, &io->maps[--io->mapped]);
	if (done != (ssize_t)io->total)
		return BLKIF_RSP_ERROR;
	bb->bytes += io->total;
	return BLKIF_RSP_OKAY;
}

/* The I/O of a mapped request, synchronously, straight into its pages. */
static int rw_now(struct hc_blkback *bb, struct hc_blk_inflight *io, int write)
{
	off_t off = (off_t)(io->r.sector * SECTOR);
	ssize_t n = write ? pwritev(bb->fd, io->iov, io->r.nr_segments, off)
			  : preadv(bb->fd, io->iov, io->r.nr_segments, off);

	return finish_rw(bb, io, n);
}

/* Map, read or write, unmap: a request on the synchronous path. */
static int do_rw(struct hc_blkback *bb, const struct hc_blk_req *r, int write)
{
	struct hc_blk_inflight io;

	io.r = *r;
	if (map_segments(bb, &io, write))
		return BLKIF_RSP_ERROR;
	return rw_now(bb, &io, write);
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
	if (hc_gnttab_map(bb->gt, r->indirect_gref, 0, &m))
		return BLKIF_RSP_ERROR;
	status = hc_blkreq_copy_segments(r, m.page, &bb->lim);
	hc_gnttab_unmap(bb->gt, &m);
	return status;
}

/* Serve a validated request now. */
static int serve(struct hc_blkback *bb, const struct hc_blk_req *r)
{
	int status;

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

/*
 * Run the *@queued reads and writes held in bb->inflight, concurrently
 * through io_uring when there is more than one, answer each as it
 * completes, and reset *@queued. io_uring_enter() may take fewer entries
 * than offered (a count, not an error): the rest are offered again. If a
 * submission fails, the ring is declared broken; what the kernel never took
 * never runs (no SQPOLL), so those requests are answered with an error and
 * their grants released at once, and the ones it took are waited for.
 * Waiting never gives up: a request the kernel took may still write guest
 * memory, so the ring's owner (and DETACH) must not go on before it ends.
 */
/*
 * One completion. The exported io_uring_wait_cqes() rather than the inline
 * io_uring_wait_cqe(): the same wait, and a test can make it fail.
 */
static int wait_one(struct hc_blkback *bb, struct io_uring_cqe **cqe)
{
	return io_uring_wait_cqes(bb->uring, cqe, 1, NULL, NULL);
}

static int run_batch(struct hc_blkback *bb, unsigned int *queued)
{
	unsigned int done = 0, n = *queued, taken = 0;
	int ret, failed = 0;

	*queued = 0;

	if (!n)
		return 0;
	if (n == 1) {
		/* Nothing to overlap: a direct call beats a trip through io_uring. */
		struct hc_blk_inflight *io = &bb->inflight[0];
		int status = rw_now(bb, io, io->r.op == BLKIF_OP_WRITE);

		if (status)
			bb->errors++;
		respond(bb, &io->r, status);
		return 0;
	}
	for (unsigned int k = 0; k < n; k++) {
		struct hc_blk_inflight *io = &bb->inflight[k];
		struct io_uring_sqe *sqe = io_uring_get_sqe(bb->uring);	/* n <= entries */

		if (io->r.op == BLKIF_OP_WRITE)
			io_uring_prep_writev(sqe, bb->fd, io->iov, io->r.nr_segments,
					     io->r.sector * SECTOR);
		else
			io_uring_prep_readv(sqe, bb->fd, io->iov, io->r.nr_segments,
					    io->r.sector * SECTOR);
		io_uring_sqe_set_data64(sqe, k);
	}
	bb->batches++;
	bb->submitted += n;
	while (taken < n) {
		ret = taken ? io_uring_submit(bb->uring) : io_uring_submit_and_wait(bb->uring, n);
		if (ret == -EINTR)
			continue;
		if (ret <= 0)
			break;
		taken += (unsigned int)ret;	/* entries are taken in order */
	}
	if (taken < n) {
		bb->broken = 1;
		failed = 1;
		for (unsigned int k = taken; k < n; k++) {
			bb->errors++;
			respond(bb, &bb->inflight[k].r, finish_rw(bb, &bb->inflight[k], -EIO));
		}
		n = taken;
	}
	while (done < n) {
		struct io_uring_cqe *cqe;
		struct hc_blk_inflight *io;
		int status;

		ret = wait_one(bb, &cqe);
		if (ret < 0) {
			/* Never return with I/O in flight: wait again, without spinning. */
			nanosleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL);
			continue;
		}
		io = &bb->inflight[cqe->user_data % RING_SLOTS];
		status = finish_rw(bb, io, cqe->res);
		io_uring_cqe_seen(bb->uring, cqe);
		if (status)
			bb->errors++;
		respond(bb, &io->r, status);
		done++;
	}
	return failed ? -EIO : 0;
}

/* Hold a validated read or write for the batch; nonzero status if it cannot be. */
static int queue_rw(struct hc_blkback *bb, const struct hc_blk_req *r, unsigned int slot)
{
	struct hc_blk_inflight *io = &bb->inflight[slot];

	io->r = *r;
	return map_segments(bb, io, r->op == BLKIF_OP_WRITE);
}

static int stopping(const struct hc_blkback *bb)
{
	return bb->stop && __atomic_load_n(bb->stop, __ATOMIC_ACQUIRE);
}

/* Publish the responses written so far; notify if the frontend asked. */
static void push(struct hc_blkback *bb)
{
	int notify;

	RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&bb->ring, notify);
	if (notify && bb->notify)
		bb->notify(bb->opaque);
}

int hc_blkback_process(struct hc_blkback *bb)
{
	int served = 0, more = 0;
	unsigned int queued = 0;

	if (bb->broken)
		return -EPROTO;
	do {
		RING_IDX rp = __atomic_load_n(&bb->ring.sring->req_prod, __ATOMIC_ACQUIRE);

		if (RING_REQUEST_PROD_OVERFLOW(&bb->ring, rp)) {
			bb->broken = 1;	/* a producer index no frontend can honestly reach */
			return -EPROTO;
		}
		/* Bounded batches: a busy frontend cannot keep us here forever. */
		while (bb->ring.req_cons != rp && served < HC_BLKBACK_BATCH && !stopping(bb)) {
			struct hc_blk_req r;
			int status;

			hc_blkreq_copy(RING_GET_REQUEST(&bb->ring, bb->ring.req_cons), &r);
			bb->ring.req_cons++;
			bb->requests++;
			served++;
			status = fetch_segments(bb, &r);
			if (!status)
				status = hc_blkreq_validate(&r, &bb->lim);
			if (!status && bb->uring &&
			    (r.op == BLKIF_OP_READ || r.op == BLKIF_OP_WRITE)) {
				status = queue_rw(bb, &r, queued);
				if (!status) {
					/* Answered when its batch completes. */
					if (++queued == RING_SLOTS && run_batch(bb, &queued))
						goto broken;
					continue;
				}
			} else if (!status) {
				/* Flush, barrier, discard: after everything before them. */
				if (run_batch(bb, &queued))
					goto broken;
				status = serve(bb, &r);
			}
			if (status)
				bb->errors++;
			respond(bb, &r, status);
		}
		if (run_batch(bb, &queued))
			goto broken;
		push(bb);
		if (served >= HC_BLKBACK_BATCH || stopping(bb))
			return served;	/* the caller comes back for the rest */
		RING_FINAL_CHECK_FOR_REQUESTS(&bb->ring, more);
	} while (more);
	return served;
broken:
	push(bb);	/* the errors answered so far */
	return -EPROTO;
}
