/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One block ring served by the driver domain: its memory, fds and thread. */
#ifndef HCALL_DDRING_H
#define HCALL_DDRING_H

#include <pthread.h>

#include "hcall/blkback.h"
#include "hcall/dd.h"
#include "hcall/gnttab.h"

struct hc_dd_ring {
	uint8_t *ram;
	uint64_t mem;
	struct hc_gnttab gt;
	struct hc_blkback bb;
	int bb_ready;
	struct hcall_shared_info *shared;
	uint32_t port;
	int fds[HC_DD_NR_FDS];
	pthread_t thread;
	int thread_started;
	int stop_fd;		/* eventfd: wakes the ring thread to exit */
};

/*
 * Check an attach request and its fds (taken over: closed on failure),
 * map the guest, start the ring's thread. 0 or a negative errno.
 */
int hc_dd_ring_start(struct hc_dd_ring *r, const struct hc_dd_attach *a,
		     int fds[HC_DD_NR_FDS]);
void hc_dd_ring_stop(struct hc_dd_ring *r);

#endif
