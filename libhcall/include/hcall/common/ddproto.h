/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The shim <-> driver domain protocol: one message per block device ring
 * over a Unix socket, with the guest's memory and the ring's eventfds
 * passed as SCM_RIGHTS. The driver domain trusts the shim's message only as
 * far as it checks it; the guest memory it then serves is hostile.
 */
#ifndef HCALL_DD_H
#define HCALL_DD_H

#include <stdint.h>

#define HC_DD_MAGIC	0x44444348u	/* "HCDD" */
#define HC_DD_VERSION	1

#define HC_DD_READONLY	(1u << 0)
#define HC_DD_DISCARD	(1u << 1)

/* fds, in order: guest RAM memfd, kick eventfd, upcall irqfd, image. */
#define HC_DD_NR_FDS	4

#define HC_DD_OP_ATTACH	0	/* start a ring; carries HC_DD_NR_FDS fds */
#define HC_DD_OP_DETACH	1	/* stop ring @ring_id; no fds */

struct hc_dd_attach {
	uint32_t magic;
	uint32_t version;
	uint32_t op;			/* HC_DD_OP_* */
	uint32_t ring_id;		/* for HC_DD_OP_DETACH */
	uint64_t mem;			/* guest RAM bytes (the memfd's size) */
	uint64_t gnttab_gpa;
	uint32_t gnttab_entries;
	uint32_t ring_ref;		/* grant of the blkif shared ring page */
	uint64_t shared_info_gpa;	/* where to raise the completion event */
	uint32_t evtchn_port;
	uint16_t backend_domid;
	uint16_t pad0;
	uint64_t sectors;		/* disk size in 512-byte sectors */
	uint32_t flags;			/* HC_DD_* */
	uint32_t pad1;
};

/* The reply: 0 or a negative errno. */
struct hc_dd_reply {
	int32_t status;
	uint32_t ring_id;
};

/* Send one attach with its fds. 0 or a negative errno. */
int hc_dd_send_attach(int sock, const struct hc_dd_attach *a, const int fds[HC_DD_NR_FDS]);
/* Send a detach of @ring_id. 0 or a negative errno. */
int hc_dd_send_detach(int sock, uint32_t ring_id);
/*
 * Receive one message: an attach with exactly HC_DD_NR_FDS fds, or a
 * detach with none (@fds all -1). 0; -EPROTO for a malformed, truncated or
 * unknown message (its fds closed; the connection stays usable); -EAGAIN
 * on a non-blocking socket with nothing queued; -ECONNRESET at hang-up or
 * when receiving fails (the connection is then unusable).
 */
int hc_dd_recv_attach(int sock, struct hc_dd_attach *a, int fds[HC_DD_NR_FDS]);
/*
 * Send a message and wait for the reply: the reply's status, or -errno;
 * -ETIMEDOUT or -EIO mean the connection can no longer be trusted to pair
 * replies with requests.
 */
int hc_dd_call(int sock, const struct hc_dd_attach *a, const int *fds, uint32_t *ring_id);

#endif
