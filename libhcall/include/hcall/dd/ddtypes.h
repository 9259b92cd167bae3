/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The device types the driver domain serves: one struct hc_dd_backend_ops
 * each (lib/dd/<type>back.c), listed once in the table of
 * (lib/dd/types.c). ddring.c does what every type shares: the attach's
 * common fields, the guest's memory and grant table, the ring thread with
 * its doorbells and stop, the completion event.
 */
#ifndef HCALL_DDTYPES_H
#define HCALL_DDTYPES_H

#include <stddef.h>
#include <stdint.h>

#include "hcall/common/ddproto.h"

struct hc_dd_ring;

struct hc_dd_backend_ops {
	uint32_t type;			/* HC_DD_TYPE_* */
	size_t priv_size;		/* per-ring state, zeroed, in r->priv */
	unsigned int ring_fds;		/* fds a running ring holds, all told (fd budget) */
	/*
	 * Check the attach's type part, its ring and port counts and the
	 * type's own fds (hc_dd_ring_type_fd()); nothing is mapped yet. 0 or
	 * a negative errno.
	 */
	int (*check)(const struct hc_dd_ring *r, const struct hc_dd_attach *a);
	/* Map the rings (a->ring_ref[], hostile grants) and get ready. 0 or -errno. */
	int (*init)(struct hc_dd_ring *r, const struct hc_dd_attach *a);
	/*
	 * Serve one bounded batch: > 0 more is waiting (call again before
	 * sleeping), 0 idle, < 0 the ring is dead (-EPROTO: the frontend
	 * corrupted it). Stops early once r->stop is set.
	 */
	int (*process)(struct hc_dd_ring *r);
	/* Undo init(): nothing of the guest's stays mapped. */
	void (*destroy)(struct hc_dd_ring *r);
	/*
	 * Optional, for a type that also serves its own fd 0 (vif: the TAP)
	 * and so must wake for it as well as for the doorbells: the poll()
	 * events to wait for on it in the coming sleep, asked after every
	 * process() that returned 0 (0: leave the fd out this time, so a hung
	 * up fd cannot wake the thread). Whatever wakes the thread, process()
	 * runs next and finds what poll() saw on the fd in r->fd_revents.
	 * NULL: the thread sleeps on the doorbells alone.
	 */
	short (*fd_events)(const struct hc_dd_ring *r);
};

/* The ops serving @type, or NULL. */
const struct hc_dd_backend_ops *hc_dd_backend_find(uint32_t type);
/* The most fds a running ring of any type holds. */
unsigned int hc_dd_max_ring_fds(void);

#endif
