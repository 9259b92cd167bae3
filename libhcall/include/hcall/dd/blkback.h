/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The block backend's ring engine: takes requests off one blkif ring
 * (mapped through a grant), validates each private copy, does the I/O on
 * the image file straight into granted pages, and answers. Transport-free:
 * the caller wakes it (ioeventfd) and supplies the notify (irqfd).
 *
 * Reads and writes of one batch run concurrently through io_uring when the
 * kernel offers it (hc_blkback_use_uring), else one after the other with
 * preadv/pwritev. Flushes, barriers and discards wait for everything
 * before them, so their ordering promises hold in both modes.
 */
#ifndef HCALL_BLKBACK_H
#define HCALL_BLKBACK_H

#include <stdint.h>
#include "hcall/xenring.h"
#include <xen/io/blkif.h>

#include "hcall/dd/blkreq.h"
#include "hcall/dd/gnttab.h"

struct io_uring;
struct hc_blk_inflight;

struct hc_blkback {
	struct hc_gnttab *gt;
	struct hc_grant_map ring_map;	/* the shared ring page, mapped for life */
	blkif_back_ring_t ring;		/* private indices over the shared ring */
	int fd;				/* the image */
	struct hc_blk_limits lim;
	int broken;			/* ring corrupted: disconnected */
	void (*notify)(void *opaque);
	void *opaque;
	struct io_uring *uring;		/* NULL: synchronous preadv/pwritev */
	struct hc_blk_inflight *inflight;	/* one per ring slot, with uring */
	const int *stop;		/* when set (atomically), stop at the next request */
	uint64_t requests, errors, bytes;
	uint64_t batches, submitted;	/* io_uring submissions and requests in them */
};

/* Map the ring page granted as @ring_ref. 0 or a negative errno. */
int hc_blkback_init(struct hc_blkback *bb, struct hc_gnttab *gt, grant_ref_t ring_ref,
		    int fd, const struct hc_blk_limits *lim,
		    void (*notify)(void *), void *opaque);
#define HC_BLKBACK_BATCH 128

/*
 * Serve the requests on the ring, at most HC_BLKBACK_BATCH per call (call
 * again while it returns that many; fewer once *stop is set). Returns the
 * number served, or -EPROTO once the frontend corrupted the ring or its I/O
 * could not be submitted: the ring is then dead, the process and other
 * rings are not, and no grant stays mapped for a request it answered.
 */
int hc_blkback_process(struct hc_blkback *bb);
/* Serve reads and writes through an io_uring. 0, or a negative errno (sync stays). */
int hc_blkback_use_uring(struct hc_blkback *bb);
void hc_blkback_destroy(struct hc_blkback *bb);

#endif
