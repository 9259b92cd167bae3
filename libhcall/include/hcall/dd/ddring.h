/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One block ring served by the driver domain: its guest, fds and thread. */
#ifndef HCALL_DDRING_H
#define HCALL_DDRING_H

#include <pthread.h>

#include "hcall/dd/blkback.h"
#include "hcall/common/ddproto.h"
#include "hcall/dd/ddguest.h"

/*
 * fds a running ring holds: kick, upcall, image, its stop eventfd and its
 * io_uring (the RAM memfd is closed once mapped). An attach briefly holds
 * HC_DD_NR_FDS more.
 */
#define HC_DD_RING_FDS	5

struct hc_dd_ring {
	struct hc_dd_guest *guest;	/* RAM and grant table, shared per guest */
	struct hc_blkback bb;
	int bb_ready;
	struct hcall_shared_info *shared;
	uint32_t port;
	int fds[HC_DD_NR_FDS];
	pthread_t thread;
	int thread_started;
	int stop;		/* set (atomically) to make the thread exit ... */
	int stop_fd;		/* ... and this eventfd wakes it to see that */
};

/*
 * Check an attach request and its fds (taken over: closed on failure),
 * map the guest, start the ring's thread. 0 or a negative errno.
 */
int hc_dd_ring_start(struct hc_dd_ring *r, const struct hc_dd_attach *a,
		     int fds[HC_DD_NR_FDS]);
/* Stop the thread (within one request, however busy the ring) and free all. */
void hc_dd_ring_stop(struct hc_dd_ring *r);

#endif
