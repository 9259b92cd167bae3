// SPDX-License-Identifier: LGPL-2.1-or-later
/* The network backend's rx side: the fd's frames, straight into the guest's posted pages. */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/uio.h>

#include "hcall/dd/ddring.h"
#include "hcall/dd/vifback.h"

#define VNET_HDR_LEN sizeof(struct virtio_net_hdr)
#define GSO_REFUSED 0xffu	/* a GSO frame the guest cannot take */

_Static_assert(sizeof(netif_extra_info_t) <= sizeof(netif_rx_response_t),
	       "an extra overlays an rx response slot");

/* Write the next response whole, zero-padded (XSA-216), in its request's slot. */
static void put(struct hc_vifback *vb, const void *rsp, size_t len)
{
	union {
		netif_rx_response_t rsp;
		netif_extra_info_t extra;
	} slot;

	memset(&slot, 0, sizeof(slot));
	memcpy(&slot, rsp, len);
	memcpy(RING_GET_RESPONSE(&vb->rx, vb->rx.rsp_prod_pvt), &slot, sizeof(netif_rx_response_t));
	vb->rx.rsp_prod_pvt++;
}

static void put_data(struct hc_vifback *vb, unsigned int i, uint16_t flags, int16_t status)
{
	netif_rx_response_t rsp = { .id = vb->rxq[i].id, .offset = 0, .flags = flags,
				    .status = status };

	put(vb, &rsp, sizeof(rsp));
}

/* The first @used buffers are answered: let go of them. */
static void consume(struct hc_vifback *vb, unsigned int used)
{
	unsigned int j;

	for (j = 0; j < used; j++)
		hc_gnttab_unmap(vb->gt, &vb->rxmap[j]);
	vb->rx.req_cons += used;
	vb->rx_n -= used;
	memmove(vb->rxq, vb->rxq + used, vb->rx_n * sizeof(vb->rxq[0]));
	memmove(vb->rxmap, vb->rxmap + used, vb->rx_n * sizeof(vb->rxmap[0]));
}

void hc_vifrx_release(struct hc_vifback *vb)
{
	while (vb->rx_n)
		hc_gnttab_unmap(vb->gt, &vb->rxmap[--vb->rx_n]);
}

/*
 * Copy the posted requests the window lacks (up to rx_need), once each, and
 * map their pages writable. A request whose id is no slot's (frontends
 * number buffers by slot) or whose grant is not the guest's own, writable,
 * for us, in its RAM, is answered NETIF_RSP_ERROR with those before it
 * (responses go in request order): 1. Else 0.
 */
static int top_up(struct hc_vifback *vb, RING_IDX rp)
{
	unsigned int avail = rp - vb->rx.req_cons, i, j;
	netif_rx_request_t *q;

	while (vb->rx_n < vb->rx_need && vb->rx_n < avail) {
		i = vb->rx_n;
		q = &vb->rxq[i];
		memcpy(q, (const void *)RING_GET_REQUEST(&vb->rx, vb->rx.req_cons + i), sizeof(*q));
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (q->id >= RING_SIZE(&vb->rx) || hc_gnttab_map(vb->gt, q->gref, 1, &vb->rxmap[i])) {
			for (j = 0; j <= i; j++)
				put_data(vb, j, 0, NETIF_RSP_ERROR);
			consume(vb, i);		/* the mapped ones before it */
			vb->rx.req_cons++;	/* and the bad one */
			vb->rx_errors++;
			return 1;
		}
		vb->rx_n++;
	}
	return 0;
}

/* A read of 0 bytes: the peer is gone, or it sent an empty message. */
static int hung_up(int fd)
{
	struct pollfd p = { fd, POLLIN, 0 };

	return poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLERR));
}

/* The GSO type to tell the guest, NONE, or GSO_REFUSED. */
static uint8_t gso_type(const struct hc_vifback *vb, const struct virtio_net_hdr *vh)
{
	switch (vh->gso_type & ~VIRTIO_NET_HDR_GSO_ECN) {
	case VIRTIO_NET_HDR_GSO_NONE:
		return XEN_NETIF_GSO_TYPE_NONE;
	case VIRTIO_NET_HDR_GSO_TCPV4:
		if ((vb->features & HC_DD_VIF_GSO_TCPV4) && vh->gso_size)
			return XEN_NETIF_GSO_TYPE_TCPV4;
		break;
	case VIRTIO_NET_HDR_GSO_TCPV6:
		if ((vb->features & HC_DD_VIF_GSO_TCPV6) && vh->gso_size)
			return XEN_NETIF_GSO_TYPE_TCPV6;
		break;
	}
	return GSO_REFUSED;	/* UDP, or a type the guest did not ask for */
}

/*
 * Read one frame into the buffers (there are rx_need of them) and answer.
 * When the guest may take GSO, the second buffer is left for the extra
 * (netfront finds an extra in the slot after the first response): the
 * frame goes into buffers 0, 2, 3, ..., and a frame that turns out not to
 * be GSO has its pages after the first moved down one buffer (a copy
 * within guest memory, only for non-GSO frames over one page). 1: a frame
 * was read (delivered or dropped); 0: nothing to read, or the fd is done.
 */
static int rx_frame(struct hc_vifback *vb)
{
	struct iovec iov[2 + HC_NET_MAX_SLOTS];
	unsigned int skip = vb->rx_need - vb->rx_pages, niov = 0, i, k, used;
	struct virtio_net_hdr vh;
	uint16_t flags;
	uint8_t sink, gso;
	size_t len, left;
	ssize_t n;

	iov[niov++] = (struct iovec){ &vh, VNET_HDR_LEN };
	for (i = 0; i < vb->rx_pages; i++)
		iov[niov++] = (struct iovec){ vb->rxmap[i ? i + skip : 0].page, HC_NET_PAGE };
	/* A byte landing here: longer than the buffers (a TAP says so too, returning more). */
	iov[niov++] = (struct iovec){ &sink, 1 };
	do
		n = readv(vb->fd, iov, (int)niov);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			vb->rx_ready = 0;
			return 0;
		}
		vb->rx_errors++;
		/*
		 * One frame the TAP could not hand over (a GSO type its vnet
		 * header cannot describe, a fault copying it): gone, the
		 * buffers untouched; the next one may pass.
		 */
		if (errno == EINVAL || errno == EFAULT || errno == EMSGSIZE || errno == ENOBUFS)
			return 1;
		vb->fd_dead = 1;	/* the TAP went away: reads stop, tx answers DROPPED */
		return 0;
	}
	if (n == 0 && hung_up(vb->fd)) {
		vb->fd_dead = 1;
		return 0;
	}
	if ((size_t)n < VNET_HDR_LEN + HC_NET_ETH_HLEN ||
	    (size_t)n > VNET_HDR_LEN + (size_t)vb->rx_pages * HC_NET_PAGE ||
	    (gso = gso_type(vb, &vh)) == GSO_REFUSED) {
		vb->rx_dropped++;	/* the buffers are untouched as far as the guest knows */
		return 1;
	}
	len = (size_t)n - VNET_HDR_LEN;
	k = (unsigned int)((len + HC_NET_PAGE - 1) / HC_NET_PAGE);
	if (skip && gso == XEN_NETIF_GSO_TYPE_NONE)
		for (i = 1; i < k; i++)
			memcpy(vb->rxmap[i].page, vb->rxmap[i + 1].page,
			       i + 1 < k ? HC_NET_PAGE : len - (size_t)i * HC_NET_PAGE);
	flags = k > 1 ? NETRXF_more_data : 0;
	if (vh.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM)
		flags |= NETRXF_csum_blank | NETRXF_data_validated;
	else if (vh.flags & VIRTIO_NET_HDR_F_DATA_VALID)
		flags |= NETRXF_data_validated;
	if (gso != XEN_NETIF_GSO_TYPE_NONE)
		flags |= NETRXF_extra_info;
	left = len;
	for (i = 0, used = 0; i < k; i++) {
		uint16_t chunk = (uint16_t)(left < HC_NET_PAGE ? left : HC_NET_PAGE);

		put_data(vb, used++, i ? (i + 1 < k ? NETRXF_more_data : 0) : flags, (int16_t)chunk);
		left -= chunk;
		if (!i && gso != XEN_NETIF_GSO_TYPE_NONE) {
			netif_extra_info_t x = { .type = XEN_NETIF_EXTRA_TYPE_GSO };

			x.u.gso.size = vh.gso_size;
			x.u.gso.type = gso;
			put(vb, &x, sizeof(x));
			used++;
		}
	}
	consume(vb, used);
	vb->rx_packets++;
	vb->rx_bytes += len;
	return 1;
}

static void push(struct hc_vifback *vb)
{
	int notify;

	RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&vb->rx, notify);
	if (notify)
		hc_dd_ring_notify(vb->ring, vb->rx_port);
}

int hc_vifrx_process(struct hc_vifback *vb, short revents)
{
	unsigned int rounds = 0;
	RING_IDX rp;

	if (revents & (POLLIN | POLLHUP | POLLERR))
		vb->rx_ready = 1;
	/* Every round counts, frames or not: a guest toggling req_prod gets a bounded batch too. */
	for (; rounds < HC_VIF_BATCH && !hc_vif_stopping(vb); rounds++) {
		rp = __atomic_load_n(&vb->rx.sring->req_prod, __ATOMIC_ACQUIRE);
		if (RING_REQUEST_PROD_OVERFLOW(&vb->rx, rp)) {
			push(vb);
			return hc_vif_cut_off(vb, "rx", rp, "more requests published than the ring holds");
		}
		if (top_up(vb, rp))
			continue;
		if (vb->rx_n < vb->rx_need) {
			/*
			 * Too few buffers for the largest frame: leave the fd
			 * alone (its own queue is the only buffer, XSA-392) and
			 * have the frontend notify at its next one. This is
			 * RING_FINAL_CHECK_FOR_REQUESTS for rx_need requests
			 * rather than one.
			 */
			__atomic_store_n(&vb->rx.sring->req_event, rp + 1, __ATOMIC_SEQ_CST);
			if (__atomic_load_n(&vb->rx.sring->req_prod, __ATOMIC_SEQ_CST) != rp)
				continue;
			vb->rx_armed = 0;
			break;
		}
		vb->rx_armed = 1;
		if (!vb->rx_ready || vb->fd_dead || !rx_frame(vb))
			break;
	}
	push(vb);
	return rounds >= HC_VIF_BATCH;
}
