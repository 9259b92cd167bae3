/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Backend side of grant tables (v1, Xen's wire format): the only way the
 * driver domain touches guest memory. A grant is mapped only if the guest
 * permits access to this backend's domid (and writing, for writes); while
 * mapped it is marked GTF_reading/GTF_writing with compare-and-swap, as Xen
 * does, so the guest cannot revoke a page under I/O.
 *
 * The flags live in the guest's table, so the map counts behind them must
 * be the guest's too: every ring (thread) of one guest shares one struct
 * hc_gnttab (see ddguest.h), and the flags are cleared at the last unmap.
 */
#ifndef HCALL_GNTTAB_H
#define HCALL_GNTTAB_H

#include <pthread.h>
#include <stdint.h>
#include <xen/xen.h>
#include <xen/grant_table.h>

struct hc_gnttab {
	uint8_t *ram;			/* guest RAM, as hc_gpa() sees it */
	uint64_t mem;
	struct grant_entry_v1 *table;	/* in guest memory: hostile */
	uint32_t nr_entries;
	uint16_t domid;			/* the backend's own domid */
	pthread_mutex_t lock;		/* for pins: rings of a guest share them */
	uint16_t *pins;			/* private map counts per ref */
	/*
	 * The shim's released-frame bitmap (hcall/pv/balloon.h) and our map
	 * count per RAM page beside it (guestmem.h); NULL: no balloon.
	 */
	const uint64_t *released;
	uint32_t *mapcount;
};

struct hc_grant_map {
	uint8_t *page;			/* host address of the granted 4 KiB */
	grant_ref_t ref;
	int write;
};

/* Attach to a guest's table of @nr_entries at @table_gpa. -errno on error. */
int hc_gnttab_init(struct hc_gnttab *gt, uint8_t *ram, uint64_t mem,
		   uint64_t table_gpa, uint32_t nr_entries, uint16_t domid);
void hc_gnttab_destroy(struct hc_gnttab *gt);
/*
 * Map @ref for reading (@write = 0) or writing. 0 or a negative errno:
 * -EFAULT for a frame outside RAM or one the guest gave to the balloon.
 */
int hc_gnttab_map(struct hc_gnttab *gt, grant_ref_t ref, int write, struct hc_grant_map *m);
void hc_gnttab_unmap(struct hc_gnttab *gt, struct hc_grant_map *m);
/* Copy between a granted page and a buffer, with map/unmap around it. */
int hc_gnttab_copy_from(struct hc_gnttab *gt, grant_ref_t ref, uint32_t off,
			void *dst, uint32_t len);
int hc_gnttab_copy_to(struct hc_gnttab *gt, grant_ref_t ref, uint32_t off,
		      const void *src, uint32_t len);

#endif
