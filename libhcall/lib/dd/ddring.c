// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A driver-domain ring: validated attach, the guest's memory (mapped once
 * per guest), a thread that sleeps on the ring's kick eventfd (the guest's
 * doorbell, caught by KVM's ioeventfd) and answers through the upcall irqfd.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hcall/abi.h"
#include "hcall/dd/ddring.h"
#include "hcall/guestmem.h"
#include "hcall/common/evtchn_raise.h"
#include "hcall/dd/ratelimit.h"

enum { FD_RAM, FD_KICK, FD_UPCALL, FD_IMAGE };

/* Guests corrupt rings at will: a few lines per minute say so, not one per ring. */
static struct hc_ratelimit corrupt_log = HC_RATELIMIT_INIT(60, 5);

static void notify(void *opaque)
{
	struct hc_dd_ring *r = opaque;

	hc_evtchn_raise(r->shared, r->port, r->fds[FD_UPCALL]);
}

static void report_corrupted(const struct hc_dd_ring *r)
{
	unsigned int dropped;

	if (!hc_ratelimit(&corrupt_log, &dropped))
		return;
	if (dropped)
		fprintf(stderr, "hcall-dd: %u more corrupted rings not reported\n", dropped);
	fprintf(stderr, "hcall-dd: frontend corrupted its ring (port %u): disconnected\n",
		r->port);
}

static void *ring_thread(void *arg)
{
	struct hc_dd_ring *r = arg;
	struct pollfd p[2] = { { r->fds[FD_KICK], POLLIN, 0 }, { r->stop_fd, POLLIN, 0 } };
	uint64_t v;
	int n = 0;

	/* The flag is checked every batch: a flooded ring never sleeps, yet stops. */
	while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
		n = hc_blkback_process(&r->bb);
		if (n < 0)
			break;
		if (n == HC_BLKBACK_BATCH)
			continue;	/* more waiting: no need to sleep */
		/* Sleep until the doorbell rings or we are told to stop. */
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[1].revents || (p[0].revents & (POLLERR | POLLNVAL)))
			break;
		if (read(r->fds[FD_KICK], &v, sizeof(v)) < 0 && errno != EAGAIN)
			break;
	}
	if (n == -EPROTO)
		report_corrupted(r);
	return NULL;
}

static int check(const struct hc_dd_attach *a, const int fds[HC_DD_NR_FDS])
{
	struct stat st;
	int acc;

	if (a->magic != HC_DD_MAGIC || a->version != HC_DD_VERSION)
		return -EPROTO;
	if (!a->evtchn_port || a->evtchn_port >= HCALL_NR_EVTCHN || (a->shared_info_gpa & 0xfff))
		return -EINVAL;
	if (fstat(fds[FD_IMAGE], &st) || !(S_ISREG(st.st_mode) || S_ISBLK(st.st_mode)))
		return -EBADF;
	if (S_ISREG(st.st_mode) && (a->sectors > (uint64_t)st.st_size / 512))
		return -ENOSPC;
	acc = fcntl(fds[FD_IMAGE], F_GETFL) & O_ACCMODE;
	if (!(a->flags & HC_DD_READONLY) && acc == O_RDONLY)
		return -EBADF;
	return 0;
}

int hc_dd_ring_start(struct hc_dd_ring *r, const struct hc_dd_attach *a,
		     int fds[HC_DD_NR_FDS])
{
	struct hc_blk_limits lim = {
		.sectors = a->sectors,
		.readonly = !!(a->flags & HC_DD_READONLY),
		.discard = !!(a->flags & HC_DD_DISCARD),
		.max_indirect = HC_BLK_MAX_INDIRECT,
	};
	struct hc_dd_guest *g;
	int ret, i;

	memset(r, 0, sizeof(*r));
	memcpy(r->fds, fds, sizeof(r->fds));
	for (i = 0; i < HC_DD_NR_FDS; i++)
		fds[i] = -1;	/* ours now, whatever happens */
	r->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (r->stop_fd < 0) {
		ret = -EMFILE;
		goto fail;
	}
	ret = check(a, r->fds);
	if (ret)
		goto fail;
	ret = hc_dd_guest_get(r->fds[FD_RAM], a, &r->guest);
	if (ret)
		goto fail;
	close(r->fds[FD_RAM]);		/* the mapping is all we need */
	r->fds[FD_RAM] = -1;
	g = r->guest;
	r->shared = hc_gpa(g->ram, g->mem, a->shared_info_gpa, 4096);
	r->port = a->evtchn_port;
	if (!r->shared) {
		ret = -EFAULT;
		goto fail;
	}
	ret = hc_blkback_init(&r->bb, &g->gt, a->ring_ref, r->fds[FD_IMAGE], &lim, notify, r);
	if (ret)
		goto fail;
	r->bb_ready = 1;
	r->bb.stop = &r->stop;
	/* Concurrent reads and writes per batch, unless told (or forced) not to. */
	if (!getenv("HCALL_DD_SYNC"))
		hc_blkback_use_uring(&r->bb);
	fcntl(r->fds[FD_KICK], F_SETFL, fcntl(r->fds[FD_KICK], F_GETFL) | O_NONBLOCK);
	if (pthread_create(&r->thread, NULL, ring_thread, r)) {
		ret = -EAGAIN;
		goto fail;
	}
	r->thread_started = 1;
	return 0;
fail:
	hc_dd_ring_stop(r);
	return ret;
}

void hc_dd_ring_stop(struct hc_dd_ring *r)
{
	int i;

	if (r->thread_started) {
		uint64_t one = 1;

		__atomic_store_n(&r->stop, 1, __ATOMIC_RELEASE);
		if (write(r->stop_fd, &one, sizeof(one)) != sizeof(one)) {
			/* Cannot fail: the counter is nowhere near overflow. */
		}
		pthread_join(r->thread, NULL);
		r->thread_started = 0;
	}
	if (r->stop_fd >= 0)
		close(r->stop_fd);
	r->stop_fd = -1;
	if (r->bb_ready)
		hc_blkback_destroy(&r->bb);
	r->bb_ready = 0;
	hc_dd_guest_put(r->guest);
	r->guest = NULL;
	for (i = 0; i < HC_DD_NR_FDS; i++)
		if (r->fds[i] >= 0) {
			close(r->fds[i]);
			r->fds[i] = -1;
		}
}
