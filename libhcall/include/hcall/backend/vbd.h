/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Virtual block devices: the shim's toolstack and backend-control half.
 * It writes both halves of each disk into the store, runs the backend side
 * of the XenbusState handshake, and hands each connected ring to the
 * driver domain (hcall-dd), which does all the I/O. The shim itself never
 * touches a request.
 */
#ifndef HCALL_VBD_H
#define HCALL_VBD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define HC_MAX_DISKS		8
#define HC_VBD_MAX_QUEUES	4
/* A frontend may connect this many times at once, then this many a second. */
#define HC_VBD_CONNECT_BURST	16
#define HC_VBD_CONNECTS_PER_S	4

struct hc_vm;

struct hc_vbd {
	int fd;				/* the image */
	int readonly;
	uint64_t sectors;
	unsigned int vdev;		/* Xen's virtual-device number */
	char fe[48], be[48];		/* store directories of the two halves */
	int dirty;			/* the frontend's state node changed */
	int be_state;			/* what we last wrote (XenbusState) */
	unsigned int nr_rings;
	uint32_t ring_id[HC_VBD_MAX_QUEUES], port[HC_VBD_MAX_QUEUES];
	uint64_t bucket, bucket_ms;	/* connect token bucket (x1000), last refill */
	int throttled;			/* refused for connecting too often (logged) */
};

struct hc_vbds {
	int n;
	struct hc_vbd d[HC_MAX_DISKS];
	int sock;			/* to hcall-dd */
	pid_t pid;			/* a private hcall-dd we spawned, or 0 */
	int stuck;			/* a shared hcall-dd we lost may run rings still */
	uint64_t connects, disconnects, refused;
};

/* Add a disk from "FILE[,ro]" (before hc_vbd_start). 0 or -1 + @err. */
int hc_vbd_add(struct hc_vm *vm, const char *spec, char *err, size_t errlen);
/*
 * Reach the driver domain (spawn @dd_binary on a socketpair, or connect to
 * the listening @dd_socket) and publish every disk. 0 or -1 + @err.
 */
int hc_vbd_start(struct hc_vm *vm, const char *dd_binary, const char *dd_socket,
		 char *err, size_t errlen);
/* Act on frontend state changes; with pv.lock held. */
void hc_vbd_poll(struct hc_vm *vm);
/*
 * Soft reset, with pv.lock held: detach every ring from the driver domain
 * and put each disk back at the start of its handshake (the old kernel's
 * ring keys removed), for the next kernel's frontend. 0: the driver domain
 * no longer touches guest memory. -1: it may (a ring did not stop, or a
 * shared hcall-dd was lost with rings): the memory cannot be handed on.
 */
int hc_vbd_reset(struct hc_vm *vm);
/* Detach everything, close the driver domain, reap a private one. */
void hc_vbd_destroy(struct hc_vm *vm);
/* hc_vbd_destroy() and free what is left (the counters). */
void hc_vbd_free(struct hc_vm *vm);

#endif
