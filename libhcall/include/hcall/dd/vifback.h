/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The network backend: one queue of a netif (its tx and rx rings, mapped
 * through grants) served on one host fd, a TAP queue or a SOCK_SEQPACKET
 * socket, each frame a 10-byte struct virtio_net_hdr and the bytes
 * (docs/netif.md). lib/dd/vifback.c is the HC_DD_TYPE_VIF type
 * (hc_dd_vif_ops), viftx.c the guest's frames to the fd, vifrx.c the fd's
 * frames to the guest. The frames' bytes go straight between the fd and
 * granted guest pages (readv/writev), never through a copy of ours.
 *
 * The counters are per queue, in the ring's priv (struct hc_vifback).
 */
#ifndef HCALL_VIFBACK_H
#define HCALL_VIFBACK_H

#include <stdint.h>
#include <sys/uio.h>
#include <linux/virtio_net.h>

#include "hcall/dd/gnttab.h"
#include "hcall/dd/netreq.h"

/* Frames per direction served per process() call: then the other direction, the stop flag. */
#define HC_VIF_BATCH	64

/* A tx frame mapped for sending, held while the fd would not take it (EAGAIN). */
struct hc_vif_txframe {
	int held;
	struct hc_net_frame f;
	struct hc_grant_map map[HC_NET_MAX_SLOTS];
	struct virtio_net_hdr vh;
	struct iovec iov[1 + HC_NET_MAX_SLOTS];
};

struct hc_vifback {
	struct hc_gnttab *gt;
	struct hc_dd_ring *ring;	/* for hc_dd_ring_notify() */
	int fd;				/* the TAP queue or socket */
	uint16_t queue;			/* the netif queue's index, for messages */
	int is_socket;			/* send with MSG_NOSIGNAL: a gone peer is no SIGPIPE */
	unsigned int rx_port;		/* port index the rx ring answers on: 0, or 1 when split */
	const int *stop;		/* when set (atomically), stop at the next frame */
	struct hc_grant_map tx_map, rx_map;	/* the shared ring pages, mapped for life */
	netif_tx_back_ring_t tx;	/* private indices over the shared rings */
	netif_rx_back_ring_t rx;
	uint32_t features;		/* HC_DD_VIF_* */
	struct hc_net_limits lim;	/* what tx frames are checked against */
	unsigned int rx_pages;		/* data pages one received frame may fill */
	unsigned int rx_need;		/* rx requests it takes: + 1 for a GSO extra */
	/* Copies of the tx slots from tx.req_cons on, each made once. */
	netif_tx_request_t win[HC_NET_MAX_REQS];
	unsigned int win_n;
	struct hc_vif_txframe txf;
	/* The posted rx buffers from rx.req_cons on: copied once, mapped writable. */
	netif_rx_request_t rxq[HC_NET_MAX_SLOTS];
	struct hc_grant_map rxmap[HC_NET_MAX_SLOTS];
	unsigned int rx_n;
	int rx_armed;			/* rx_need requests posted: wait for the fd's frames */
	int rx_ready;			/* the fd may hold a frame (cleared by EAGAIN) */
	int fd_dead;			/* end of file or a read error: no more reads */
	int broken;			/* the frontend corrupted a ring: cut off */
	/* Counters (this queue). */
	uint64_t tx_packets, tx_bytes;	/* frames written to the fd */
	uint64_t tx_errors;		/* frames answered ERROR: refused, or a grant not mappable */
	uint64_t tx_dropped;		/* frames answered DROPPED: the fd refused them, headers unparsable */
	uint64_t rx_packets, rx_bytes;	/* frames delivered to the guest */
	uint64_t rx_errors;		/* rx requests answered ERROR (bad id or grant), read errors */
	uint64_t rx_dropped;		/* frames read but not delivered (too long, runt, GSO not taken) */
};

static inline int hc_vif_stopping(const struct hc_vifback *vb)
{
	return vb->stop && __atomic_load_n(vb->stop, __ATOMIC_ACQUIRE);
}
/*
 * The frontend broke ring @dir ("tx", "rx") at request @req: say why (rate
 * limited: guests can do it at will) and return -EPROTO, which cuts the
 * queue off. Once per queue, as it is not served again; the ring thread
 * adds its own line.
 */
int hc_vif_cut_off(const struct hc_vifback *vb, const char *dir, unsigned int req,
		   const char *why);

/*
 * Serve the tx ring: at most HC_VIF_BATCH frames. 1: more may be waiting;
 * 0: idle (after RING_FINAL_CHECK_FOR_REQUESTS) or holding a frame until
 * the fd takes it (retried on every call, whatever the last poll saw);
 * -EPROTO: the ring is corrupted.
 */
int hc_viftx_process(struct hc_vifback *vb);
/* Give back a held frame's grants (no response: the ring is going away). */
void hc_viftx_release(struct hc_vifback *vb);
/* Give back the posted rx buffers' grants (no response: the ring is going away). */
void hc_vifrx_release(struct hc_vifback *vb);
/*
 * Serve the rx ring: at most HC_VIF_BATCH frames from the fd into posted
 * buffers. 1: more may be waiting; 0: the fd has nothing (EAGAIN) or too
 * few buffers are posted (the frontend asked to notify when it posts
 * more); -EPROTO: the ring is corrupted.
 */
int hc_vifrx_process(struct hc_vifback *vb, short revents);

#endif
