/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Virtual block devices: the shim's toolstack and backend-control half.
 * It writes both halves of each disk into the store, runs the backend side
 * of the XenbusState handshake, and hands each connected ring to the
 * driver domain (hcall-dd), which does all the I/O. The shim itself never
 * touches a request. The three parts: vbd_spec.h (--disk), vbd_bus.h (the
 * store and the handshake), vbd_dd.h (the driver domain).
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

#endif
