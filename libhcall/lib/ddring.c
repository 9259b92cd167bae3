// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A driver-domain ring: validated attach, guest memory mapped from the
 * memfd, a thread that sleeps on the ring's kick eventfd (the guest's
 * doorbell, caught by KVM's ioeventfd) and answers through the upcall irqfd.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hcall/abi.h"
#include "hcall/ddring.h"
#include "hcall/guestmem.h"
#include "hcall/pv.h"

enum { FD_RAM, FD_KICK, FD_UPCALL, FD_IMAGE };

static void notify(void *opaque)
{
	struct hc_dd_ring *r = opaque;

	hc_evtchn_raise(r->shared, r->port, r->fds[FD_UPCALL]);
}

static void *ring_thread(void *arg)
{
	struct hc_dd_ring *r = arg;
	struct pollfd p[2] = { { r->fds[FD_KICK], POLLIN, 0 }, { r->stop_fd, POLLIN, 0 } };
	uint64_t v;
	int n = 0;

	for (;;) {
		n = hc_blkback_process(&r->bb);
		if (n < 0)
			break;
		if (n == HC_BLKBACK_BATCH)
			continue;	/* more waiting: no need to sleep */
		/* Sleep until the doorbell rings or we are told to stop. */
		if (poll(p, 2, -1) < 0 || p[1].revents)
			break;
		if (read(r->fds[FD_KICK], &v, sizeof(v)) < 0 && errno != EAGAIN)
			break;
	}
	if (n == -EPROTO)
		fprintf(stderr, "hcall-dd: frontend corrupted its ring (port %u): disconnected\n",
			r->port);
	return NULL;
}

static int check(const struct hc_dd_attach *a, const int fds[HC_DD_NR_FDS])
{
	struct stat st;
	int acc;

	if (a->magic != HC_DD_MAGIC || a->version != HC_DD_VERSION)
		return -EPROTO;
	if (a->mem < (1u << 20) || a->mem > (1ull << 40) || (a->mem & 0xfff) ||
	    fstat(fds[FD_RAM], &st) || (uint64_t)st.st_size != a->mem)
		return -EINVAL;
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
	int ret, i;

	memset(r, 0, sizeof(*r));
	memcpy(r->fds, fds, sizeof(r->fds));
	r->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (r->stop_fd < 0) {
		ret = -EMFILE;
		goto fail;
	}
	ret = check(a, fds);
	if (ret)
		goto fail;
	r->ram = mmap(NULL, a->mem, PROT_READ | PROT_WRITE, MAP_SHARED, fds[FD_RAM], 0);
	if (r->ram == MAP_FAILED) {
		r->ram = NULL;
		ret = -ENOMEM;
		goto fail;
	}
	r->mem = a->mem;
	r->shared = hc_gpa(r->ram, r->mem, a->shared_info_gpa, 4096);
	r->port = a->evtchn_port;
	if (!r->shared) {
		ret = -EFAULT;
		goto fail;
	}
	ret = hc_gnttab_init(&r->gt, r->ram, r->mem, a->gnttab_gpa, a->gnttab_entries,
			     a->backend_domid);
	if (ret)
		goto fail;
	ret = hc_blkback_init(&r->bb, &r->gt, a->ring_ref, fds[FD_IMAGE], &lim, notify, r);
	if (ret)
		goto fail;
	r->bb_ready = 1;
	/* Concurrent reads and writes per batch, unless told (or forced) not to. */
	if (!getenv("HCALL_DD_SYNC"))
		hc_blkback_use_uring(&r->bb);
	fcntl(fds[FD_KICK], F_SETFL, fcntl(fds[FD_KICK], F_GETFL) | O_NONBLOCK);
	if (pthread_create(&r->thread, NULL, ring_thread, r)) {
		ret = -EAGAIN;
		goto fail;
	}
	r->thread_started = 1;
	return 0;
fail:
	hc_dd_ring_stop(r);
	for (i = 0; i < HC_DD_NR_FDS; i++)
		fds[i] = -1;
	return ret;
}

void hc_dd_ring_stop(struct hc_dd_ring *r)
{
	int i;

	if (r->thread_started) {
		uint64_t one = 1;

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
	if (r->gt.pins)
		hc_gnttab_destroy(&r->gt);
	if (r->ram)
		munmap(r->ram, r->mem);
	r->ram = NULL;
	for (i = 0; i < HC_DD_NR_FDS; i++)
		if (r->fds[i] >= 0) {
			close(r->fds[i]);
			r->fds[i] = -1;
		}
}
