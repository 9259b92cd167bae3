// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Test-only misbehaviour for hcall-dd, linked into build/bin/hcall-dd-test
 * alone (never into hcall-dd) with -Wl,--wrap of the backend's calls named
 * below. $HCALL_DD_TEST picks it:
 *
 *   noflush  answer every flush and barrier with BLKIF_RSP_EOPNOTSUPP
 *   count    print "hcall-dd-test: fdatasync" on stderr for each fdatasync
 *   hostile  break the protocol for one disk read each (4 KiB, direct):
 *            at sector HC_TEST_WRONG_OP the response names the wrong
 *            operation, from HC_TEST_BAD_PROD on the response index of
 *            that ring jumps past anything asked for, at HC_TEST_HOLD the data page stays
 *            pinned (GTF_writing) after the response, for good; after a
 *            read at HC_TEST_EARLY that ring answers requests the frontend
 *            wrote but did not publish yet (up to EARLY_MAX, each said on
 *            stderr); a read at HC_TEST_EXIT makes the whole driver domain
 *            exit, as if it died
 *
 * Everything else is the real backend.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hcall/dd/blkback.h"
#include "hcall/dd/blkreq.h"
#include "hcall/dd/gnttab.h"

#define HC_TEST_WRONG_OP	2048	/* 1 MiB into the disk */
#define HC_TEST_BAD_PROD	4096	/* 2 MiB */
#define HC_TEST_HOLD		6144	/* 3 MiB */
#define HC_TEST_EARLY		8192	/* 4 MiB */
#define HC_TEST_EXIT		10240	/* 5 MiB */
#define HELD_MAX		16
#define EARLY_MAX		20
#define EARLY_SPIN_NS		200000000LL	/* how long an idle ring watches */

int __real_hc_blkreq_validate(const struct hc_blk_req *r, const struct hc_blk_limits *lim);
int __real_hc_blkback_process(struct hc_blkback *bb);
int __real_hc_gnttab_map(struct hc_gnttab *gt, grant_ref_t ref, int write,
			 struct hc_grant_map *m);
void __real_hc_gnttab_unmap(struct hc_gnttab *gt, struct hc_grant_map *m);
int __real_fdatasync(int fd);

int __wrap_hc_blkreq_validate(const struct hc_blk_req *r, const struct hc_blk_limits *lim);
int __wrap_hc_blkback_process(struct hc_blkback *bb);
int __wrap_hc_gnttab_map(struct hc_gnttab *gt, grant_ref_t ref, int write,
			 struct hc_grant_map *m);
void __wrap_hc_gnttab_unmap(struct hc_gnttab *gt, struct hc_grant_map *m);
int __wrap_fdatasync(int fd);

/* Per ring thread: what the request just validated asked for. */
static __thread int hold_next;		/* pin the pages this request maps */
static __thread int corrupt_prod;	/* after each batch, a bogus rsp_prod */
static __thread struct { struct hc_gnttab *gt; grant_ref_t ref; } held[HELD_MAX];
static __thread int nr_held;
static __thread int early;		/* unpublished requests answered so far, +1 */

static int mode(const char *m)
{
	const char *v = getenv("HCALL_DD_TEST");

	return v && !strcmp(v, m);
}

static int is_target(const struct hc_blk_req *r, uint64_t sector)
{
	/* One 4 KiB read (the guest's trigger), not a piece of a larger one. */
	return r->op == BLKIF_OP_READ && !r->indirect && r->sector == sector &&
	       r->nr_segments == 1 && r->seg[0].first_sect == 0 && r->seg[0].last_sect == 7;
}

int __wrap_hc_blkreq_validate(const struct hc_blk_req *r, const struct hc_blk_limits *lim)
{
	int status = __real_hc_blkreq_validate(r, lim);

	hold_next = 0;
	if (status)
		return status;
	if (mode("noflush") &&
	    (r->op == BLKIF_OP_FLUSH_DISKCACHE || r->op == BLKIF_OP_WRITE_BARRIER))
		return BLKIF_RSP_EOPNOTSUPP;
	if (!mode("hostile"))
		return 0;
	/*
	 * @r is the backend's private, writable copy: marked indirect after
	 * validation it is served as the direct read it is but answered as
	 * BLKIF_OP_INDIRECT.
	 */
	if (is_target(r, HC_TEST_WRONG_OP))
		((struct hc_blk_req *)r)->indirect = 1;
	if (is_target(r, HC_TEST_BAD_PROD))
		corrupt_prod = 1;
	if (is_target(r, HC_TEST_HOLD))
		hold_next = 1;
	if (is_target(r, HC_TEST_EARLY) && !early)
		early = 1;
	if (is_target(r, HC_TEST_EXIT)) {
		/* Before mapping anything: no grant is left marked in use. */
		fprintf(stderr, "hcall-dd-test: exiting\n");
		_exit(1);
	}
	return 0;
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/*
 * On an idle ring, watch the slot the frontend fills next: once it writes
 * a request there, answer it (and skip it later) before it is published.
 * The slot is only read until then: a request written before we looked
 * is left alone (it is published soon).
 */
static void answer_early(struct hc_blkback *bb)
{
	blkif_back_ring_t *ring = &bb->ring;
	RING_IDX p = ring->req_cons;
	blkif_request_t *slot = RING_GET_REQUEST(ring, p);
	blkif_request_t old, now;
	blkif_response_t rsp = { 0 };
	long long end = now_ns() + EARLY_SPIN_NS;
	uint64_t id;
	uint8_t op;

	if (__atomic_load_n(&ring->sring->req_prod, __ATOMIC_ACQUIRE) != p ||
	    ring->rsp_prod_pvt != p)
		return;
	/*
	 * The whole slot, not just its id and operation: blkfront reuses ids,
	 * so a new request often lands with the old one's id and operation.
	 */
	memcpy(&old, slot, sizeof(old));
	for (;;) {
		if (now_ns() > end ||
		    __atomic_load_n(&ring->sring->req_prod, __ATOMIC_ACQUIRE) != p)
			return;		/* nothing new, or published first */
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		memcpy(&now, slot, sizeof(now));
		if (memcmp(&now, &old, sizeof(now)))
			break;
	}
	/*
	 * Answer at once: the frontend publishes soon. The id sits at the same
	 * offset in a direct and an indirect request; one still being written
	 * is a response to no request, which must disable the disk as well.
	 */
	id = __atomic_load_n(&slot->id, __ATOMIC_ACQUIRE);
	op = __atomic_load_n(&slot->operation, __ATOMIC_ACQUIRE);
	if (op != BLKIF_OP_READ && op != BLKIF_OP_INDIRECT)
		return;
	rsp.id = id;
	rsp.operation = op;
	rsp.status = BLKIF_RSP_OKAY;
	memcpy(RING_GET_RESPONSE(ring, p), &rsp, sizeof(rsp));
	ring->req_cons = p + 1;
	ring->rsp_prod_pvt = p + 1;
	__atomic_store_n(&ring->sring->rsp_prod, p + 1, __ATOMIC_SEQ_CST);
	/*
	 * Still unpublished well after our answer was: answered early for
	 * sure, and a frontend that checked the response index just before we
	 * answered has had time to publish (then it does not count).
	 */
	usleep(10000);
	if (__atomic_load_n(&ring->sring->req_prod, __ATOMIC_SEQ_CST) == p) {
		fprintf(stderr, "hcall-dd-test: answered an unpublished request\n");
		early++;
	}
	if (bb->notify)
		bb->notify(bb->opaque);
}

int __wrap_hc_blkback_process(struct hc_blkback *bb)
{
	int n = __real_hc_blkback_process(bb);

	if (n >= 0 && early && early <= EARLY_MAX && !bb->broken)
		answer_early(bb);

	/*
	 * From then on, after every batch of this ring: a later honest push
	 * must not hide the bogus index from a frontend slow to look.
	 */
	if (corrupt_prod) {
		/* Far more responses than the frontend has requests out. */
		__atomic_store_n(&bb->ring.sring->rsp_prod, bb->ring.rsp_prod_pvt + 1000,
				 __ATOMIC_RELEASE);
		if (bb->notify)
			bb->notify(bb->opaque);
	}
	return n;
}

int __wrap_hc_gnttab_map(struct hc_gnttab *gt, grant_ref_t ref, int write,
			 struct hc_grant_map *m)
{
	int ret = __real_hc_gnttab_map(gt, ref, write, m);

	/* The data pages of a disk read (the backend writes them). */
	if (!ret && hold_next && write && nr_held < HELD_MAX) {
		held[nr_held].gt = gt;
		held[nr_held++].ref = ref;
	}
	return ret;
}

void __wrap_hc_gnttab_unmap(struct hc_gnttab *gt, struct hc_grant_map *m)
{
	int i;

	for (i = 0; m->page && i < nr_held; i++)
		if (held[i].gt == gt && held[i].ref == m->ref) {
			m->page = NULL;	/* never unpinned: GTF_writing stays */
			return;
		}
	__real_hc_gnttab_unmap(gt, m);
}

int __wrap_fdatasync(int fd)
{
	if (mode("count"))
		fprintf(stderr, "hcall-dd-test: fdatasync\n");
	return __real_fdatasync(fd);
}
