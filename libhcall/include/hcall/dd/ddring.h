/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One device ring served by the driver domain: its guest, fds and thread.
 * What the ring carries is its type's business (ddtypes.h): this part
 * checks the common fields of the attach, maps the guest, and runs the
 * thread that sleeps on the kick eventfds (and on the type's own fd, for
 * the events the type asks for) and calls the type's process().
 */
#ifndef HCALL_DDRING_H
#define HCALL_DDRING_H

#include <pthread.h>

#include "hcall/common/ddproto.h"
#include "hcall/common/evtchn_raise.h"
#include "hcall/dd/ddguest.h"

struct hc_dd_backend_ops;

struct hc_dd_ring {
	struct hc_dd_guest *guest;	/* RAM and grant table, shared per guest */
	const struct hc_dd_backend_ops *ops;	/* the device type */
	void *priv;			/* the type's state (ops->priv_size bytes) */
	int ready;			/* ops->init() succeeded: ops->destroy() due */
	struct hcall_shared_info *shared;
	unsigned int nr_ports;
	uint32_t port[HC_DD_MAX_PORTS];
	struct hc_upcalls upcalls;	/* into @fds, and the guest's targets */
	unsigned int nr_fds;		/* of @fds, as the attach carried them */
	int fds[HC_DD_MAX_FDS];		/* HC_DD_FD_*; the RAM memfd closed once mapped */
	pthread_t thread;
	int thread_started;
	int stop;		/* set (atomically) to make the thread exit ... */
	int stop_fd;		/* ... and this eventfd wakes it to see that */
	short fd_revents;	/* ops->fd_events: the type's fd 0 in the last sleep (0: none since) */
};

/*
 * Check an attach request and its fds (taken over: closed on failure),
 * map the guest, start the ring's thread. 0 or a negative errno; -EPROTO
 * for a type this driver domain does not serve.
 */
int hc_dd_ring_start(struct hc_dd_ring *r, const struct hc_dd_attach *a,
		     int fds[HC_DD_MAX_FDS]);
/* Stop the thread (within one request, however busy the ring) and free all. */
void hc_dd_ring_stop(struct hc_dd_ring *r);
/* Raise the ring's port @i in the guest (for the types' completions). */
static inline void hc_dd_ring_notify(struct hc_dd_ring *r, unsigned int i)
{
	hc_evtchn_raise(r->shared, r->port[i], &r->upcalls);
}
/* The type's own fd @i (after the common ones). */
int hc_dd_ring_type_fd(const struct hc_dd_ring *r, unsigned int i);

#endif
