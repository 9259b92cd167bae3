/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A guest as the driver domain sees it: its RAM, mapped once from the
 * shim's memfd, and its grant table with one set of in-use counts shared by
 * every ring of that guest. A grant mapped by two rings (two queues, two
 * disks, or a reconnected frontend) keeps GTF_reading/GTF_writing until the
 * last of them lets go.
 */
#ifndef HCALL_DDGUEST_H
#define HCALL_DDGUEST_H

#include <sys/types.h>

#include "hcall/common/ddproto.h"
#include "hcall/dd/gnttab.h"

struct hc_dd_guest {
	struct hc_dd_guest *next;	/* in the process-wide list */
	unsigned int refs;		/* rings using it */
	dev_t dev;			/* the memfd's identity ... */
	ino_t ino;
	uint64_t mem;			/* ... and what the rings were told */
	uint64_t map_len;		/* RAM mapped at ram */
	uint64_t released_len;		/* the balloon's bitmap, read-only; 0: none */
	uint64_t mapcount_len;		/* our map counts after it, read-write */
	uint64_t gnttab_gpa;
	uint32_t gnttab_entries;
	uint16_t domid;
	uint8_t *ram;
	const uint64_t *released;
	uint32_t *mapcount;
	const uint8_t *targets;		/* the ports' vCPUs, read-only; NULL: all on 0 */
	struct hc_gnttab gt;
};

/*
 * The guest whose RAM is @memfd, with @a's size and grant table: mapped at
 * its first ring, shared by the next ones (the caller keeps @memfd). The
 * memfd must be sealed against shrinking and growing, so no peer can make
 * the mapping fault under us. 0 or a negative errno.
 */
int hc_dd_guest_get(int memfd, const struct hc_dd_attach *a, struct hc_dd_guest **g);
/* A ring lets go of @g; the last one unmaps it. */
void hc_dd_guest_put(struct hc_dd_guest *g);

#endif
