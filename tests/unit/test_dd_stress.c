// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Concurrent-mutation stress of the block backend engine: while the real
 * engine (hc_blkback_process, preadv/pwritev and io_uring) serves two rings
 * of one guest (two threads, one shared grant table) over a real image
 * file, a hostile frontend thread rewrites ring slots, indirect segment
 * pages, grant entries and the producer indices at random.
 * Built plain and under ASan + UBSan. Invariants:
 *  - no grant ever names a page outside the pool's even frames. Between
 *    them sit canary pages (odd frames): the kernel's I/O on a stray
 *    address would change them (a disk read) or copy them to the image (a
 *    disk write), and both are checked; every other page is PROT_NONE, so
 *    a stray access by the engine itself crashes the test;
 *  - every consumed request is answered exactly once, and only consumed
 *    ones (the private response index tracks the consumer index);
 *  - once the frontend stops, valid requests get their own ids back;
 *  - no grant stays mapped when the rings are idle (the shared counts of
 *    both threads add up).
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "hcall/dd/blkback.h"

#define PAGE 4096u
#define RAM (8u << 20)
#define TABLE_FRAME 0x10u
#define RING_FRAME 0x20u	/* ring k on frame 0x20 + k, granted as ref 1 + k */
#define POOL_FRAME 0x100u	/* data pages: even frames 0x100..0x17e, */
#define CANARY 0xc5		/* odd ones (and 0x180) canaries */
#define POOL_PAGES 64
#define NR_GRANTS 256
#define RING_REF 1		/* the rings' grants: the frontend leaves them alone */
#define NR_RINGS 2
#define DISK_SECTORS 2048u
#define TAG 0xa5a5000000000000ull	/* every id the frontend writes */
#define ME 0
#define SECONDS_PER_MODE 2

struct fx;

struct engine {			/* one ring and the thread serving it */
	struct fx *f;
	unsigned int k;
	struct hc_blkback bb;
	uint64_t served, broken, bad;
};

struct fx {
	uint8_t *ram;
	struct grant_entry_v1 *t;
	struct hc_gnttab gt;	/* shared by both rings, as hcall-dd does per guest */
	struct engine e[NR_RINGS];
	struct hc_blk_limits lim;
	int img, uring;
	int stop;		/* the frontend thread stops */
};

static uint32_t pool_frame(unsigned int i)
{
	return POOL_FRAME + 2 * (i % POOL_PAGES);
}

/* xorshift: each thread its own, reproducible from the seed printed. */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static blkif_sring_t *sring(struct fx *f, unsigned int k)
{
	return (blkif_sring_t *)(void *)(f->ram + (RING_FRAME + k) * PAGE);
}

/* Guest RAM: only the table, the ring and the even pool pages are mapped. */
static void map_guest(struct fx *f)
{
	unsigned int i;

	f->ram = mmap(NULL, RAM, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(f->ram != MAP_FAILED);
	assert_int_equal(mprotect(f->ram + TABLE_FRAME * PAGE, PAGE, PROT_READ | PROT_WRITE), 0);
	assert_int_equal(mprotect(f->ram + RING_FRAME * PAGE, NR_RINGS * PAGE,
				  PROT_READ | PROT_WRITE), 0);
	assert_int_equal(mprotect(f->ram + (size_t)POOL_FRAME * PAGE, (2 * POOL_PAGES + 1) * PAGE,
				  PROT_READ | PROT_WRITE), 0);
	for (i = 0; i < 2 * POOL_PAGES + 1; i++)
		memset(f->ram + (size_t)(POOL_FRAME + i) * PAGE, i & 1 || i == 2 * POOL_PAGES ?
		       CANARY : 0x11, PAGE);
	f->t = (struct grant_entry_v1 *)(void *)(f->ram + TABLE_FRAME * PAGE);
}

/* A grant as a guest writes it: the frame, then flags and domid in one store. */
static void grant(struct fx *f, grant_ref_t ref, uint32_t frame, uint16_t flags, uint16_t domid)
{
	__atomic_store_n(&f->t[ref].frame, frame, __ATOMIC_RELAXED);
	__atomic_store_n((uint32_t *)(void *)&f->t[ref], (uint32_t)flags | (uint32_t)domid << 16,
			 __ATOMIC_RELEASE);
}

/* (Re)connect ring @e; 0 or -errno (no cmocka asserts: runs in threads). */
static int start_ring(struct engine *e)
{
	struct fx *f = e->f;
	int ret;

	SHARED_RING_INIT(sring(f, e->k));
	ret = hc_blkback_init(&e->bb, &f->gt, RING_REF + e->k, f->img, &f->lim, NULL, NULL);
	if (!ret && f->uring)
		ret = hc_blkback_use_uring(&e->bb);
	return ret;
}

/* One random request in slot @i; ids always tagged, everything else hostile. */
static void random_request(struct fx *f, unsigned int ring, uint64_t *s, RING_IDX i)
{
	static const uint8_t ops[] = {
		BLKIF_OP_READ, BLKIF_OP_WRITE, BLKIF_OP_FLUSH_DISKCACHE, BLKIF_OP_WRITE_BARRIER,
		BLKIF_OP_DISCARD, BLKIF_OP_INDIRECT, BLKIF_OP_READ, BLKIF_OP_WRITE, 0x7f,
	};
	union blkif_sring_entry e;
	uint64_t r = rnd(s), id = TAG | (rnd(s) & 0xffffffffffffull);
	unsigned int k;

	if ((r & 15) == 0) {
		for (k = 0; k < sizeof(e) / 8; k++) {
			uint64_t w = rnd(s);

			memcpy((uint8_t *)&e + 8 * k, &w, 8);
		}
	} else {
		memset(&e, 0, sizeof(e));
		e.req.operation = ops[(r >> 4) % sizeof(ops)];
		e.req.nr_segments = (uint8_t)((r >> 8) % 13);
		e.req.sector_number = (r >> 16) & 1 ? rnd(s) : (r >> 20) % (DISK_SECTORS + 8);
		for (k = 0; k < BLKIF_MAX_SEGMENTS_PER_REQUEST; k++) {
			uint64_t x = rnd(s);

			e.req.seg[k].gref = (grant_ref_t)(x % (NR_GRANTS + 16));
			e.req.seg[k].first_sect = (uint8_t)((x >> 16) % 9);
			e.req.seg[k].last_sect = (uint8_t)((x >> 24) % 9);
		}
		if (e.req.operation == BLKIF_OP_INDIRECT) {
			blkif_request_indirect_t *ind = (void *)&e.req;

			ind->indirect_op = ops[(r >> 32) % 4];
			ind->nr_segments = (uint16_t)((r >> 36) % 40);
			ind->indirect_grefs[0] = (grant_ref_t)((r >> 44) % (NR_GRANTS + 16));
		}
	}
	memcpy((uint8_t *)&e + 8, &id, 8);	/* the id, at offset 8 for every layout */
	memcpy((void *)&sring(f, ring)->ring[i % 32], &e, sizeof(e));
}

static void *frontend(void *arg)
{
	struct fx *f = arg;
	uint64_t s = 0x9e3779b97f4a7c15ull ^ (uint64_t)time(NULL);

	while (!__atomic_load_n(&f->stop, __ATOMIC_ACQUIRE)) {
		uint64_t r = rnd(&s);
		unsigned int k = (unsigned int)(r >> 60) % NR_RINGS;
		blkif_sring_t *sr = sring(f, k);

		switch (r % 8) {
		case 0:
		case 1:		/* a slot, anywhere in the ring */
			random_request(f, k, &s, (RING_IDX)(r >> 8));
			break;
		case 2: {	/* an entry of some page used as a segment list */
			struct blkif_request_segment *seg =
				(void *)(f->ram + (size_t)pool_frame((unsigned int)(r >> 8)) * PAGE);
			uint64_t x = rnd(&s);

			seg[(r >> 16) % 512].gref = (grant_ref_t)(x % (NR_GRANTS + 16));
			seg[(r >> 16) % 512].first_sect = (uint8_t)((x >> 16) % 9);
			seg[(r >> 16) % 512].last_sect = (uint8_t)((x >> 24) % 9);
			break;
		}
		case 3: {	/* a grant: granted, read-only, revoked, foreign, off RAM */
			grant_ref_t ref = RING_REF + NR_RINGS +
					  (grant_ref_t)((r >> 8) % (NR_GRANTS - RING_REF - NR_RINGS));
			uint64_t x = rnd(&s);
			static const uint16_t flags[] = {
				GTF_permit_access, GTF_permit_access, GTF_permit_access | GTF_readonly,
				GTF_invalid, GTF_accept_transfer,
			};

			grant(f, ref, x & 0x10 ? 0xfffff000u : pool_frame((unsigned int)(x >> 8)),
			      flags[(x >> 32) % 5], (x >> 40) % 8 ? ME : 7);
			break;
		}
		case 4:
		case 5:		/* publish up to a ring's worth (rarely more) */
			__atomic_store_n(&sr->req_prod,
					 sr->rsp_prod + (RING_IDX)((r >> 8) % ((r >> 20) % 64 ? 33 : 64)),
					 __ATOMIC_RELEASE);
			break;
		case 6:		/* producer and event indices, anything */
			if ((r >> 8) % 64 == 0)
				__atomic_store_n(&sr->req_prod, (RING_IDX)(r >> 32), __ATOMIC_RELEASE);
			else
				sr->rsp_event = (RING_IDX)(r >> 32);
			break;
		default:	/* a sane request now and then, so I/O happens */
			random_request(f, k, &s, sr->req_prod);
			break;
		}
	}
	return NULL;
}

/* Serve until told to stop; a broken ring is reset (a reconnect). */
static void *serve(void *arg)
{
	struct engine *e = arg;

	while (!__atomic_load_n(&e->f->stop, __ATOMIC_ACQUIRE)) {
		int n = hc_blkback_process(&e->bb);

		if (n < 0) {
			e->bad += n != -EPROTO;
			e->broken++;
			hc_blkback_destroy(&e->bb);
			if (start_ring(e)) {
				e->bad++;
				break;
			}
			continue;
		}
		e->served += (uint64_t)n;
		/* Each consumed request answered once, nothing else answered. */
		e->bad += e->bb.ring.rsp_prod_pvt != e->bb.ring.req_cons;
	}
	return NULL;
}

/* Canary pages untouched, and never a sector of them on the disk. */
static void check_canaries(struct fx *f)
{
	uint8_t canary[PAGE], buf[512];
	unsigned int i;

	memset(canary, CANARY, sizeof(canary));
	for (i = 1; i <= 2 * POOL_PAGES; i += 2)
		assert_memory_equal(f->ram + (size_t)(POOL_FRAME + i) * PAGE, canary, PAGE);
	for (i = 0; i < DISK_SECTORS; i++) {
		assert_int_equal(pread(f->img, buf, sizeof(buf), (off_t)i * 512), sizeof(buf));
		assert_memory_not_equal(buf, canary, sizeof(buf));
	}
}

/* After the storm: honest requests get exactly their ids back. */
static void check_honest_round(struct fx *f)
{
	struct engine *e = &f->e[0];
	blkif_front_ring_t front;
	int seen[16] = { 0 }, i;

	hc_blkback_destroy(&e->bb);
	assert_int_equal(start_ring(e), 0);
	FRONT_RING_INIT(&front, sring(f, 0), PAGE);
	for (i = 0; i < 16; i++)
		grant(f, (grant_ref_t)(8 + i), pool_frame((unsigned int)i), GTF_permit_access, ME);
	for (i = 0; i < 16; i++) {
		blkif_request_t *r = RING_GET_REQUEST(&front, front.req_prod_pvt++);

		memset(r, 0, sizeof(*r));
		r->operation = i & 1 ? BLKIF_OP_WRITE : BLKIF_OP_READ;
		r->id = TAG | 0x1000 | (uint64_t)i;
		r->sector_number = 8 * (uint64_t)i;
		r->nr_segments = 1;
		r->seg[0].gref = (grant_ref_t)(8 + i);
		r->seg[0].last_sect = 7;
	}
	RING_PUSH_REQUESTS(&front);
	assert_int_equal(hc_blkback_process(&e->bb), 16);
	for (i = 0; i < 16; i++) {
		blkif_response_t *rsp = RING_GET_RESPONSE(&front, front.rsp_cons++);
		uint64_t k = rsp->id - (TAG | 0x1000);

		assert_true(k < 16 && !seen[k]);
		seen[k] = 1;
		assert_int_equal(rsp->status, BLKIF_RSP_OKAY);
	}
	assert_int_equal(front.rsp_cons, sring(f, 0)->rsp_prod);
}

static void storm(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char path[] = "/tmp/hcall-test-dd-stress.XXXXXX";
	pthread_t fe, be[NR_RINGS];
	unsigned int i, k;

	(void)state;
	map_guest(f);
	f->img = mkstemp(path);
	assert_true(f->img >= 0);
	unlink(path);
	assert_int_equal(ftruncate(f->img, DISK_SECTORS * 512), 0);
	f->lim = (struct hc_blk_limits){ .sectors = DISK_SECTORS, .discard = 1,
					 .max_indirect = HC_BLK_MAX_INDIRECT };
	assert_int_equal(hc_gnttab_init(&f->gt, f->ram, RAM, TABLE_FRAME * PAGE, NR_GRANTS, ME), 0);
	for (k = 0; k < NR_RINGS; k++)
		grant(f, RING_REF + k, RING_FRAME + k, GTF_permit_access, ME);
	for (i = RING_REF + NR_RINGS; i < NR_GRANTS; i++)
		grant(f, i, pool_frame(i), GTF_permit_access, ME);
	for (f->uring = 0; f->uring < 2; f->uring++) {
		struct timespec t = { SECONDS_PER_MODE, 0 };

		f->stop = 0;
		for (k = 0; k < NR_RINGS; k++) {
			f->e[k] = (struct engine){ .f = f, .k = k };
			assert_int_equal(start_ring(&f->e[k]), 0);
			assert_int_equal(pthread_create(&be[k], NULL, serve, &f->e[k]), 0);
		}
		assert_int_equal(pthread_create(&fe, NULL, frontend, f), 0);
		nanosleep(&t, NULL);	/* the storm's length, not a synchronisation */
		__atomic_store_n(&f->stop, 1, __ATOMIC_RELEASE);
		pthread_join(fe, NULL);
		for (k = 0; k < NR_RINGS; k++) {
			pthread_join(be[k], NULL);
			print_message("%s ring %u: %llu requests served, %llu times broken and reset\n",
				      f->uring ? "io_uring" : "preadv/pwritev", k,
				      (unsigned long long)f->e[k].served,
				      (unsigned long long)f->e[k].broken);
			assert_int_equal(f->e[k].bad, 0);
			assert_true(f->e[k].served > 0);
		}
		check_canaries(f);
		/* Idle: every grant but the rings' is let go, counted over both threads. */
		for (i = 0; i < NR_GRANTS; i++)
			assert_int_equal(f->gt.pins[i], i >= RING_REF && i < RING_REF + NR_RINGS);
		check_honest_round(f);
		for (k = 0; k < NR_RINGS; k++)
			hc_blkback_destroy(&f->e[k].bb);
		for (i = 0; i < NR_GRANTS; i++)
			assert_int_equal(f->gt.pins[i], 0);
	}
	hc_gnttab_destroy(&f->gt);
	close(f->img);
	munmap(f->ram, RAM);
	free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(storm),
	};

	return cmocka_run_group_tests_name("blkback under a hostile frontend", tests, NULL, NULL);
}
