/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the driver-domain tests share (include after cmocka.h). */
#ifndef HCALL_TEST_DD_FIXTURE_H
#define HCALL_TEST_DD_FIXTURE_H

#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hcall/xenring.h"
#include <xen/io/blkif.h>

/* Open fds of this process (with the directory's own entries). */
static inline int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	assert_non_null(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/*
 * @size bytes of guest RAM as hcall-dd maps it: a memfd (*@memfd) sealed
 * against shrinking and growing, mapped shared.
 */
static inline uint8_t *sealed_guest_ram(size_t size, int *memfd)
{
	uint8_t *ram;

	*memfd = memfd_create("guest", MFD_ALLOW_SEALING | MFD_CLOEXEC);
	assert_int_equal(ftruncate(*memfd, (off_t)size), 0);
	assert_int_equal(fcntl(*memfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW), 0);
	ram = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, *memfd, 0);
	assert_true(ram != MAP_FAILED);
	return ram;
}

/* Queue a one-page (8-sector) @op of @gref at @sector on @front; publish it. */
static inline void push_one_page(blkif_front_ring_t *front, uint8_t op, uint64_t id,
				 uint64_t sector, grant_ref_t gref)
{
	blkif_request_t *req = RING_GET_REQUEST(front, front->req_prod_pvt++);
	int notify;

	memset(req, 0, sizeof(*req));
	req->operation = op;
	req->id = id;
	req->sector_number = sector;
	req->nr_segments = 1;
	req->seg[0].gref = gref;
	req->seg[0].last_sect = 7;
	RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(front, notify);
	(void)notify;
}

#endif
