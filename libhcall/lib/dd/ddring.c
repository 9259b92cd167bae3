// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A driver-domain ring: validated attach, the guest's memory (mapped once
 * per guest), a thread that sleeps on the ring's kick eventfds (the guest's
 * doorbells, caught by KVM's ioeventfd), and on the type's own fd when the
 * type asks, and has its device type serve the ring, which answers through
 * the upcall irqfd of the vCPU the guest bound the port to.
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
#include "hcall/dd/ddtypes.h"
#include "hcall/guestmem.h"
#include "hcall/common/evtchn_raise.h"
#include "hcall/dd/ratelimit.h"

/* Guests corrupt rings at will: a few lines per minute say so, not one per ring. */
static struct hc_ratelimit corrupt_log = HC_RATELIMIT_INIT(60, 5);

int hc_dd_ring_type_fd(const struct hc_dd_ring *r, unsigned int i)
{
	if (i >= HC_DD_MAX_TYPE_FDS)
		return -1;
	return r->fds[HC_DD_FD_TYPE(r->nr_ports, r->upcalls.nr_vcpus) + i];
}

static void report_corrupted(const struct hc_dd_ring *r)
{
	unsigned int dropped;

	if (!hc_ratelimit(&corrupt_log, &dropped))
		return;
	if (dropped)
		fprintf(stderr, "hcall-dd: %u more corrupted rings not reported\n", dropped);
	fprintf(stderr, "hcall-dd: frontend corrupted its ring (port %u): disconnected\n",
		r->port[0]);
}

static void *ring_thread(void *arg)
{
	struct hc_dd_ring *r = arg;
	struct pollfd p[HC_DD_MAX_PORTS + 2];
	unsigned int i, np = r->nr_ports, nfds = np + 1;
	int tfd = r->ops->fd_events ? hc_dd_ring_type_fd(r, 0) : -1;
	uint64_t v;
	int n = 0, gone;

	for (i = 0; i < np; i++)
		p[i] = (struct pollfd){ r->fds[HC_DD_FD_KICK + i], POLLIN, 0 };
	p[np] = (struct pollfd){ r->stop_fd, POLLIN, 0 };
	if (tfd >= 0)
		nfds++;		/* p[np + 1]: the type's own fd, events asked each time */
	/* The flag is checked every batch: a flooded ring never sleeps, yet stops. */
	while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
		n = r->ops->process(r);
		r->fd_revents = 0;	/* seen: the next process() gets only news */
		if (n < 0)
			break;
		if (n > 0)
			continue;	/* more waiting: no need to sleep */
		if (tfd >= 0) {
			short ev = r->ops->fd_events(r);

			/* A negative fd is skipped by poll(): no POLLHUP from an fd not asked about. */
			p[np + 1] = (struct pollfd){ ev ? tfd : -1, ev, 0 };
		}
		/* Sleep until a doorbell rings, the type's fd is ready or we are told to stop. */
		if (poll(p, nfds, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (tfd >= 0)
			r->fd_revents = p[np + 1].revents;
		gone = p[np].revents != 0;
		for (i = 0; i < np && !gone; i++)
			if ((p[i].revents & (POLLERR | POLLNVAL)) ||
			    ((p[i].revents & POLLIN) &&
			     read(p[i].fd, &v, sizeof(v)) < 0 && errno != EAGAIN))
				gone = 1;
		if (gone)
			break;
	}
	if (n == -EPROTO)
		report_corrupted(r);
	return NULL;
}

/*
 * Kicks and upcalls must be anonymous inodes (eventfds): never a pipe,
 * socket or file another process could keep full. Not checked by name:
 * /proc/self/fd is closed to us once we run as nobody. The O_NONBLOCK set
 * below is on a file the peer shares: a shim that clears it can stall
 * only its own rings (and its own connection, when it detaches them).
 */
static int anon_inode(int fd)
{
	struct stat st;

	return !fstat(fd, &st) && (st.st_mode & S_IFMT) == 0;
}

/* The common fields: everything but the type's part, rings and fds. */
static int check(const struct hc_dd_attach *a)
{
	unsigned int i;

	if (a->magic != HC_DD_MAGIC || a->version != HC_DD_VERSION)
		return -EPROTO;
	/* nr_ports and nr_vcpus are in range: hc_dd_attach_nr_fds() accepted them. */
	if (a->nr_rings > HC_DD_MAX_RINGS || (a->shared_info_gpa & 0xfff))
		return -EINVAL;
	for (i = 0; i < HC_DD_MAX_PORTS; i++)
		if (i < a->nr_ports ? !a->evtchn_port[i] || a->evtchn_port[i] >= HCALL_NR_EVTCHN
				    : a->evtchn_port[i] != 0)
			return -EINVAL;
	for (i = a->nr_rings; i < HC_DD_MAX_RINGS; i++)
		if (a->ring_ref[i])
			return -EINVAL;	/* nothing unused may carry a value */
	return 0;
}

int hc_dd_ring_start(struct hc_dd_ring *r, const struct hc_dd_attach *a,
		     int fds[HC_DD_MAX_FDS])
{
	struct hc_dd_guest *g;
	int ret, i, nr_fds;

	memset(r, 0, sizeof(*r));
	memcpy(r->fds, fds, sizeof(r->fds));
	for (i = 0; i < HC_DD_MAX_FDS; i++)
		fds[i] = -1;	/* ours now, whatever happens */
	r->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (r->stop_fd < 0) {
		ret = -EMFILE;
		goto fail;
	}
	r->ops = hc_dd_backend_find(a->type);
	nr_fds = hc_dd_attach_nr_fds(a);
	if (!r->ops || nr_fds < 0) {
		ret = -EPROTO;	/* a type this driver domain does not serve */
		goto fail;
	}
	ret = check(a);
	if (ret)
		goto fail;
	r->nr_ports = a->nr_ports;
	r->upcalls.nr_vcpus = a->nr_vcpus;
	r->upcalls.fds = &r->fds[HC_DD_FD_UPCALL(a->nr_ports)];
	r->nr_fds = (unsigned int)nr_fds;
	for (i = 0; i < HC_DD_MAX_FDS; i++)
		if ((i < (int)r->nr_fds) != (r->fds[i] >= 0)) {
			ret = -EBADF;	/* as many fds as the type needs, every one real */
			goto fail;
		}
	/* Kicks are drained, upcalls written: neither may block the thread. */
	for (i = HC_DD_FD_KICK; i < (int)HC_DD_FD_TYPE(a->nr_ports, a->nr_vcpus); i++) {
		if (!anon_inode(r->fds[i])) {
			ret = -EBADF;
			goto fail;
		}
		fcntl(r->fds[i], F_SETFL, fcntl(r->fds[i], F_GETFL) | O_NONBLOCK);
	}
	ret = r->ops->check(r, a);
	if (ret)
		goto fail;
	ret = hc_dd_guest_get(r->fds[HC_DD_FD_RAM], a, &r->guest);
	if (ret)
		goto fail;
	close(r->fds[HC_DD_FD_RAM]);		/* the mapping is all we need */
	r->fds[HC_DD_FD_RAM] = -1;
	g = r->guest;
	/* Without the shim's targets, upcalls go to vCPU 0: a guest of more could miss them. */
	if (!g->targets && a->nr_vcpus > 1) {
		ret = -EINVAL;
		goto fail;
	}
	r->upcalls.targets = g->targets;
	r->shared = hc_gpa(g->ram, g->mem, a->shared_info_gpa, 4096);
	memcpy(r->port, a->evtchn_port, sizeof(r->port));
	if (!r->shared) {
		ret = -EFAULT;
		goto fail;
	}
	r->priv = calloc(1, r->ops->priv_size);
	if (!r->priv) {
		ret = -ENOMEM;
		goto fail;
	}
	ret = r->ops->init(r, a);
	if (ret)
		goto fail;
	r->ready = 1;
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
	if (r->ready)
		r->ops->destroy(r);
	r->ready = 0;
	free(r->priv);
	r->priv = NULL;
	hc_dd_guest_put(r->guest);
	r->guest = NULL;
	hc_dd_close_fds(r->fds);
}
