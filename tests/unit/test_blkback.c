// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The block backend engine against a frontend written here with Xen's own
 * ring macros: bytes on disk, flush/FUA, discard, read-only disks, and a
 * hostile frontend (bad grants, foreign grants, read-only grants, ranges,
 * opcodes, a corrupted ring index) that never gets the backend to touch a
 * page it did not grant.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <liburing.h>
#include <sys/syscall.h>

#include "hcall/dd/blkback.h"

/*
 * io_uring submissions as the kernel may answer them: 1, all fail
 * (-EBUSY, nothing taken); 2, the kernel takes only the first entry and
 * every later submission fails.
 */
static int fail_submit;

int io_uring_submit_and_wait(struct io_uring *ring, unsigned wait_nr);
int io_uring_submit_and_wait(struct io_uring *ring, unsigned wait_nr)
{
	int (*real)(struct io_uring *, unsigned);

	if (fail_submit == 1)
		return -EBUSY;
	if (fail_submit == 2) {
		/* Publish the entries as liburing does, let the kernel take one. */
		ring->sq.sqe_head = ring->sq.sqe_tail;
		__atomic_store_n(ring->sq.ktail, ring->sq.sqe_tail, __ATOMIC_RELEASE);
		return (int)syscall(__NR_io_uring_enter, ring->ring_fd, 1, 0, 0, NULL, 0);
	}
	*(void **)&real = dlsym(RTLD_NEXT, "io_uring_submit_and_wait");
	return real(ring, wait_nr);
}

int io_uring_submit(struct io_uring *ring);
int io_uring_submit(struct io_uring *ring)
{
	int (*real)(struct io_uring *);

	if (fail_submit)
		return -EBUSY;
	*(void **)&real = dlsym(RTLD_NEXT, "io_uring_submit");
	return real(ring);
}

/* Waits for completions that fail this many times before they work. */
static int fail_wait;

int io_uring_wait_cqes(struct io_uring *ring, struct io_uring_cqe **cqe_ptr, unsigned wait_nr,
		       struct __kernel_timespec *ts, sigset_t *sigmask);
int io_uring_wait_cqes(struct io_uring *ring, struct io_uring_cqe **cqe_ptr, unsigned wait_nr,
		       struct __kernel_timespec *ts, sigset_t *sigmask)
{
	int (*real)(struct io_uring *, struct io_uring_cqe **, unsigned,
		    struct __kernel_timespec *, sigset_t *);

	if (fail_wait > 0) {
		fail_wait--;
		return -EFAULT;
	}
	*(void **)&real = dlsym(RTLD_NEXT, "io_uring_wait_cqes");
	return real(ring, cqe_ptr, wait_nr, ts, sigmask);
}

#define RAM (16u << 20)
#define TABLE_GPA 0x10000u
#define RING_FRAME 0x20u
#define DATA_FRAME 0x100u	/* data pages: frames 0x100..0x10f, refs 10..25 */
#define CANARY_FRAME 0x200u	/* never granted */
#define DISK_SECTORS 2048u
#define ME 0			/* the backend's domid */

struct fx {
	uint8_t *ram;
	struct grant_entry_v1 *t;
	struct hc_gnttab gt;
	blkif_front_ring_t front;
	struct hc_blkback bb;
	int img;
	int notified;
};

static void on_notify(void *opaque)
{
	((struct fx *)opaque)->notified++;
}

static uint8_t *frame(struct fx *f, uint32_t fr)
{
	return f->ram + (size_t)fr * 4096;
}

static void grant(struct fx *f, grant_ref_t ref, uint32_t fr, uint16_t flags, uint16_t domid)
{
	f->t[ref].frame = fr;
	f->t[ref].domid = domid;
	f->t[ref].flags = flags;
}

static int use_uring;	/* second pass: the io_uring path */

static int setup_disk(void **state, int readonly)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct hc_blk_limits lim = { .sectors = DISK_SECTORS, .readonly = readonly, .discard = 1 };
	blkif_sring_t *sring;
	int i;

	f->ram = calloc(1, RAM);
	f->t = (struct grant_entry_v1 *)(f->ram + TABLE_GPA);
	assert_int_equal(hc_gnttab_init(&f->gt, f->ram, RAM, TABLE_GPA, 64, ME), 0);
	grant(f, 1, RING_FRAME, GTF_permit_access, ME);
	for (i = 0; i < 16; i++)
		grant(f, 10 + i, DATA_FRAME + i, GTF_permit_access, ME);
	memset(frame(f, CANARY_FRAME), 0xc5, 4096);
	sring = (blkif_sring_t *)frame(f, RING_FRAME);
	SHARED_RING_INIT(sring);
	FRONT_RING_INIT(&f->front, sring, 4096);
	f->img = memfd_create("disk", 0);
	assert_int_equal(ftruncate(f->img, DISK_SECTORS * 512), 0);
	assert_int_equal(hc_blkback_init(&f->bb, &f->gt, 1, f->img, &lim, on_notify, f), 0);
	if (use_uring)
		assert_int_equal(hc_blkback_use_uring(&f->bb), 0);
	*state = f;
	return 0;
}

static int setup(void **state) { return setup_disk(state, 0); }
static int setup_ro(void **state) { return setup_disk(state, 1); }

static int teardown(void **state)
{
	struct fx *f = *state;
	uint8_t canary[4096];

	/* Whatever happened, the page never granted is untouched. */
	memset(canary, 0xc5, sizeof(canary));
	assert_memory_equal(frame(f, CANARY_FRAME), canary, sizeof(canary));
	hc_blkback_destroy(&f->bb);
	hc_gnttab_destroy(&f->gt);
	close(f->img);
	free(f->ram);
	free(f);
	return 0;
}

/* Queue one request; segments are whole pages of consecutive refs. */
static void push(struct fx *f, uint8_t op, uint64_t id, uint64_t sector, grant_ref_t ref, int segs)
{
	blkif_request_t *r = RING_GET_REQUEST(&f->front, f->front.req_prod_pvt);
	int i;

	memset(r, 0, sizeof(*r));
	r->operation = op;
	r->id = id;
	r->sector_number = sector;
	r->nr_segments = (uint8_t)segs;
	for (i = 0; i < segs && i < BLKIF_MAX_SEGMENTS_PER_REQUEST; i++) {
		r->seg[i].gref = ref + (grant_ref_t)i;
		r->seg[i].first_sect = 0;
		r->seg[i].last_sect = 7;
	}
	f->front.req_prod_pvt++;
}

static void kick(struct fx *f, int expect_served)
{
	int notify;

	RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&f->front, notify);
	(void)notify;
	assert_int_equal(hc_blkback_process(&f->bb), expect_served);
}

static int16_t response(struct fx *f, uint64_t *id)
{
	blkif_response_t *rsp;

	assert_true(RING_HAS_UNCONSUMED_RESPONSES(&f->front));
	rsp = RING_GET_RESPONSE(&f->front, f->front.rsp_cons);
	f->front.rsp_cons++;
	if (id)
		*id = rsp->id;
	return rsp->status;
}

static void writes_reach_the_disk_and_read_back(void **state)
{
	struct fx *f = *state;
	uint8_t disk[8192];
	uint64_t id;

	memset(frame(f, DATA_FRAME), 'A', 4096);
	memset(frame(f, DATA_FRAME + 1), 'B', 4096);
	push(f, BLKIF_OP_WRITE, 0xfeed, 16, 10, 2);
	kick(f, 1);
	assert_int_equal(response(f, &id), BLKIF_RSP_OKAY);
	assert_int_equal(id, 0xfeed);
	assert_true(f->notified > 0);
	assert_int_equal(pread(f->img, disk, sizeof(disk), 16 * 512), sizeof(disk));
	assert_int_equal(disk[0], 'A');
	assert_int_equal(disk[4096], 'B');
	assert_int_equal(disk[8191], 'B');
	/* Read into other pages, one sector into a segment. */
	push(f, BLKIF_OP_READ, 2, 16, 12, 2);
	kick(f, 1);
	assert_int_equal(response(f, NULL), BLKIF_RSP_OKAY);
	assert_memory_equal(frame(f, DATA_FRAME + 2), disk, 8192);
	/* The grants are released afterwards. */
	assert_int_equal(f->t[12].flags, GTF_permit_access);
	assert_int_equal(f->bb.bytes, 16384);
}

/* A full batch of writes then reads: each answered once, bytes in place. */
static void a_batch_of_requests(void **state)
{
	struct fx *f = *state;
	uint8_t disk[4096];
	int seen[16] = { 0 };
	uint64_t id;
	int i;

	for (i = 0; i < 8; i++) {
		memset(frame(f, DATA_FRAME + i), 'a' + i, 4096);
		push(f, BLKIF_OP_WRITE, (uint64_t)i, 100 + 8 * i, 10 + i, 1);
	}
	kick(f, 8);
	for (i = 0; i < 8; i++) {
		assert_int_equal(response(f, &id), BLKIF_RSP_OKAY);
		assert_true(id < 8 && !seen[id]);
		seen[id] = 1;
	}
	for (i = 0; i < 8; i++) {
		assert_int_equal(pread(f->img, disk, 4096, (100 + 8 * i) * 512), 4096);
		assert_int_equal(disk[0], 'a' + i);
		assert_int_equal(disk[4095], 'a' + i);
	}
	for (i = 0; i < 8; i++)	/* read them back reversed into pages 8-15 */
		push(f, BLKIF_OP_READ, 8 + (uint64_t)i, 100 + 8 * (7 - i), 18 + i, 1);
	kick(f, 8);
	for (i = 0; i < 8; i++) {
		assert_int_equal(response(f, &id), BLKIF_RSP_OKAY);
		assert_true(id >= 8 && id < 16 && !seen[id]);
		seen[id] = 1;
	}
	for (i = 0; i < 8; i++)
		assert_int_equal(frame(f, DATA_FRAME + 8 + i)[100], 'a' + 7 - i);
	for (i = 10; i < 26; i++)
		assert_int_equal(f->t[i].flags, GTF_permit_access);	/* all released */
	if (use_uring)
		assert_true(f->bb.batches >= 2 && f->bb.submitted == 16);
}

static void flush_fua_and_discard(void **state)
{
	struct fx *f = *state;
	uint8_t buf[4096], zero[4096] = { 0 };

	memset(frame(f, DATA_FRAME), 'F', 4096);
	push(f, BLKIF_OP_FLUSH_DISKCACHE, 1, 0, 0, 0);		/* a pure flush */
	push(f, BLKIF_OP_FLUSH_DISKCACHE, 2, 64, 10, 1);	/* flush + write (FUA) */
	push(f, BLKIF_OP_WRITE_BARRIER, 3, 72, 10, 1);
	kick(f, 3);
	assert_int_equal(response(f, NULL), BLKIF_RSP_OKAY);
	assert_int_equal(response(f, NULL), BLKIF_RSP_OKAY);
	assert_int_equal(response(f, NULL), BLKIF_RSP_OKAY);
	assert_int_equal(pread(f->img, buf, 4096, 64 * 512), 4096);
	assert_int_equal(buf[100], 'F');
	{
		blkif_request_discard_t *d = (void *)RING_GET_REQUEST(&f->front, f->front.req_prod_pvt);

		memset(d, 0, sizeof(*d));
		d->operation = BLKIF_OP_DISCARD;
		d->id = 4;
		d->sector_number = 64;
		d->nr_sectors = 8;
		f->front.req_prod_pvt++;
	}
	kick(f, 1);
	assert_int_equal(response(f, NULL), BLKIF_RSP_OKAY);
	assert_int_equal(pread(f->img, buf, 4096, 64 * 512), 4096);
	assert_memory_equal(buf, zero, 4096);
}

static void hostile_requests_fail_one_by_one(void **state)
{
	struct fx *f = *state;
	uint8_t before[4096];
	uint64_t id;

	grant(f, 30, CANARY_FRAME, GTF_permit_access, 5);		/* to domain 5 */
	grant(f, 31, DATA_FRAME + 5, GTF_permit_access | GTF_readonly, ME);
	grant(f, 32, 0xfffff, GTF_permit_access, ME);			/* beyond RAM */
	memcpy(before, frame(f, DATA_FRAME + 5), 4096);
	push(f, BLKIF_OP_READ, 100, 0, 30, 1);		/* another domain's grant */
	push(f, BLKIF_OP_READ, 101, 0, 31, 1);		/* read-only grant as a read target */
	push(f, BLKIF_OP_READ, 102, 0, 63, 1);		/* ungranted ref */
	push(f, BLKIF_OP_READ, 103, 0, 64000, 1);	/* ref past the table */
	push(f, BLKIF_OP_READ, 104, 0, 32, 1);		/* frame outside RAM */
	push(f, BLKIF_OP_READ, 105, DISK_SECTORS - 4, 10, 1);	/* past the end */
	push(f, 0x7f, 106, 0, 10, 1);			/* unknown opcode */
	push(f, BLKIF_OP_INDIRECT, 107, 0, 10, 1);	/* not offered here */
	push(f, BLKIF_OP_READ, 108, 0, 10, 0);		/* no segments */
	push(f, BLKIF_OP_READ, ~0ull, 0, 10, 1);	/* a good one, odd id */
	kick(f, 10);
	for (int i = 0; i < 6; i++) {
		assert_int_equal(response(f, &id), BLKIF_RSP_ERROR);
		assert_int_equal(id, 100u + i);
	}
	assert_int_equal(response(f, NULL), BLKIF_RSP_EOPNOTSUPP);
	assert_int_equal(response(f, NULL), BLKIF_RSP_EOPNOTSUPP);
	assert_int_equal(response(f, NULL), BLKIF_RSP_ERROR);
	assert_int_equal(response(f, &id), BLKIF_RSP_OKAY);
	assert_int_equal(id, ~0ull);
	assert_memory_equal(frame(f, DATA_FRAME + 5), before, 4096);
	assert_int_equal(f->t[31].flags, GTF_permit_access | GTF_readonly);
	assert_int_equal(f->bb.errors, 9);
}

static void corrupted_ring_index_disconnects(void **state)
{
	struct fx *f = *state;

	push(f, BLKIF_OP_READ, 1, 0, 10, 1);
	kick(f, 1);
	f->front.sring->req_prod += 1000;	/* more requests than slots */
	assert_int_equal(hc_blkback_process(&f->bb), -EPROTO);
	assert_true(f->bb.broken);
	f->front.sring->req_prod -= 999;
	assert_int_equal(hc_blkback_process(&f->bb), -EPROTO);	/* stays dead */
}

/* A batch io_uring would not take: each request answered, no grant kept. */
static void failed_submission_releases_grants(void **state)
{
	struct fx *f = *state;
	int i;

	if (!use_uring)
		skip();
	push(f, BLKIF_OP_READ, 1, 0, 10, 2);
	push(f, BLKIF_OP_WRITE, 2, 16, 12, 3);
	push(f, BLKIF_OP_READ, 3, 32, 15, 1);
	fail_submit = 1;
	kick(f, -EPROTO);
	fail_submit = 0;
	for (i = 10; i < 16; i++)
		assert_int_equal(f->t[i].flags, GTF_permit_access);	/* let go */
	for (i = 0; i < 3; i++)
		assert_int_equal(response(f, NULL), BLKIF_RSP_ERROR);
	assert_true(f->bb.broken);
	assert_int_equal(hc_blkback_process(&f->bb), -EPROTO);
}

/* The kernel takes one entry of three, then nothing: that one completes. */
static void partly_taken_submission_answers_all(void **state)
{
	struct fx *f = *state;
	int i, ok = 0, err = 0;
	uint64_t id;

	if (!use_uring)
		skip();
	memset(frame(f, DATA_FRAME + 6), 'P', 4096);
	push(f, BLKIF_OP_WRITE, 1, 64, 16, 1);
	push(f, BLKIF_OP_READ, 2, 0, 10, 2);
	push(f, BLKIF_OP_READ, 3, 32, 12, 3);
	fail_submit = 2;
	kick(f, -EPROTO);
	fail_submit = 0;
	for (i = 10; i < 17; i++)
		assert_int_equal(f->t[i].flags, GTF_permit_access);
	for (i = 0; i < 3; i++) {
		int16_t st = response(f, &id);

		if (st == BLKIF_RSP_OKAY) {
			assert_int_equal(id, 1);	/* the one the kernel took */
			ok++;
		} else {
			assert_int_equal(st, BLKIF_RSP_ERROR);
			err++;
		}
	}
	assert_int_equal(ok, 1);
	assert_int_equal(err, 2);
}

/*
 * Waiting for completions fails: the backend waits again rather than
 * leave I/O in flight (it could land in guest memory after a detach).
 * Every request is answered and every grant released before it returns.
 */
static void failed_wait_still_reaps_every_request(void **state)
{
	struct fx *f = *state;
	uint64_t id;
	int i, seen[4] = { 0 };

	if (!use_uring)
		skip();
	memset(frame(f, DATA_FRAME + 6), 'R', 4096);
	push(f, BLKIF_OP_WRITE, 1, 64, 16, 1);
	push(f, BLKIF_OP_READ, 2, 0, 10, 2);
	push(f, BLKIF_OP_READ, 3, 32, 12, 3);
	fail_wait = 3;
	kick(f, 3);
	assert_int_equal(fail_wait, 0);		/* the failures were met */
	for (i = 0; i < 3; i++) {
		assert_int_equal(response(f, &id), BLKIF_RSP_OKAY);
		assert_true(id >= 1 && id <= 3 && !seen[id]);
		seen[id] = 1;
	}
	for (i = 10; i < 17; i++)
		assert_int_equal(f->t[i].flags, GTF_permit_access);
	assert_false(f->bb.broken);
}

static void readonly_disk_refuses_writes(void **state)
{
	struct fx *f = *state;
	uint8_t buf[4096], zero[4096] = { 0 };

	memset(frame(f, DATA_FRAME), 'W', 4096);
	push(f, BLKIF_OP_WRITE, 1, 0, 10, 1);
	push(f, BLKIF_OP_READ, 2, 0, 11, 1);
	kick(f, 2);
	assert_int_equal(response(f, NULL), BLKIF_RSP_ERROR);
	assert_int_equal(response(f, NULL), BLKIF_RSP_OKAY);
	assert_int_equal(pread(f->img, buf, 4096, 0), 4096);
	assert_memory_equal(buf, zero, 4096);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(writes_reach_the_disk_and_read_back, setup, teardown),
		cmocka_unit_test_setup_teardown(a_batch_of_requests, setup, teardown),
		cmocka_unit_test_setup_teardown(flush_fua_and_discard, setup, teardown),
		cmocka_unit_test_setup_teardown(hostile_requests_fail_one_by_one, setup, teardown),
		cmocka_unit_test_setup_teardown(corrupted_ring_index_disconnects, setup, teardown),
		cmocka_unit_test_setup_teardown(failed_submission_releases_grants, setup, teardown),
		cmocka_unit_test_setup_teardown(partly_taken_submission_answers_all, setup, teardown),
		cmocka_unit_test_setup_teardown(failed_wait_still_reaps_every_request, setup, teardown),
		cmocka_unit_test_setup_teardown(readonly_disk_refuses_writes, setup_ro, teardown),
	};

	int failed = cmocka_run_group_tests_name("blkback (preadv/pwritev)", tests, NULL, NULL);

	use_uring = 1;
	return failed + cmocka_run_group_tests_name("blkback (io_uring)", tests, NULL, NULL);
}
