// SPDX-License-Identifier: LGPL-2.1-or-later
/* The network backend's tx side: the guest's frames, from granted pages to the fd. */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "hcall/dd/ddring.h"
#include "hcall/dd/nethdr.h"
#include "hcall/dd/vifback.h"

#define VNET_HDR_LEN sizeof(struct virtio_net_hdr)

/*
 * Answer the frame's requests at the head of the window: @status for each
 * data slot, NULL for each extra. Each response is built whole, then
 * copied: no stale bytes (XSA-216). Requests and responses stay in step
 * (req_cons == rsp_prod_pvt), so a response only lands in a slot whose
 * request was consumed.
 */
static void respond(struct hc_vifback *vb, const struct hc_net_frame *f, int16_t status)
{
	unsigned int j;

	for (j = 0; j < f->nr_reqs; j++) {
		netif_tx_response_t rsp;

		memset(&rsp, 0, sizeof(rsp));
		if (f->extra_mask & (1u << j)) {
			rsp.status = NETIF_RSP_NULL;
		} else {
			rsp.id = vb->win[j].id;
			rsp.status = status;
		}
		memcpy(RING_GET_RESPONSE(&vb->tx, vb->tx.rsp_prod_pvt), &rsp, sizeof(rsp));
		vb->tx.rsp_prod_pvt++;
	}
	vb->tx.req_cons += f->nr_reqs;
	vb->win_n -= f->nr_reqs;
	memmove(vb->win, vb->win + f->nr_reqs, vb->win_n * sizeof(vb->win[0]));
	if (status == NETIF_RSP_ERROR)
		vb->tx_errors++;
	else if (status == NETIF_RSP_DROPPED)
		vb->tx_dropped++;
}

static void unmap(struct hc_vifback *vb, struct hc_vif_txframe *t, unsigned int n)
{
	while (n)
		hc_gnttab_unmap(vb->gt, &t->map[--n]);
}

void hc_viftx_release(struct hc_vifback *vb)
{
	if (vb->txf.held)
		unmap(vb, &vb->txf, vb->txf.f.nr_slots);
	vb->txf.held = 0;
}

/* The frame's first bytes, copied out of its (mapped) slots. */
static size_t copy_head(const struct hc_vif_txframe *t, uint8_t *buf, size_t max)
{
	size_t got = 0, n;
	unsigned int k;

	for (k = 0; k < t->f.nr_slots && got < max; k++) {
		n = t->iov[1 + k].iov_len < max - got ? t->iov[1 + k].iov_len : max - got;
		memcpy(buf + got, t->iov[1 + k].iov_base, n);
		got += n;
	}
	return got;
}

/*
 * The vnet header: the checksum the guest left blank (NETTXF_csum_blank)
 * for the host to fill, from where the frame's headers put it; GSO from
 * the extra. A GSO frame is always NEEDS_CSUM (as Linux netback forces
 * CHECKSUM_PARTIAL): a frontend that did not blank the field gets wrong
 * checksums on its own segments, nothing worse. 0, or -1 when the headers
 * do not allow what the guest asked.
 */
static int vnet_hdr(struct hc_vif_txframe *t)
{
	uint8_t head[HC_NETHDR_MAX];
	struct hc_nethdr h;
	const struct hc_net_frame *f = &t->f;

	memset(&t->vh, 0, sizeof(t->vh));
	if (!f->csum_blank && f->gso_type == XEN_NETIF_GSO_TYPE_NONE) {
		if (f->data_validated)
			t->vh.flags = VIRTIO_NET_HDR_F_DATA_VALID;
		return 0;
	}
	if (hc_nethdr_parse(head, copy_head(t, head, sizeof(head)), f->len, &h))
		return -1;
	t->vh.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	t->vh.csum_start = h.csum_start;
	t->vh.csum_offset = h.csum_offset;
	if (f->gso_type == XEN_NETIF_GSO_TYPE_NONE)
		return 0;
	if (h.l4 != IPPROTO_TCP || h.ipv6 != (f->gso_type == XEN_NETIF_GSO_TYPE_TCPV6))
		return -1;	/* the extra's type is not what the frame is */
	t->vh.gso_type = h.ipv6 ? VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4;
	t->vh.gso_size = f->gso_size;
	t->vh.hdr_len = h.hdr_len;
	return 0;
}

/* Map every slot read-only and point the iovecs at the granted bytes. */
static int map_frame(struct hc_vifback *vb, struct hc_vif_txframe *t)
{
	unsigned int k;

	for (k = 0; k < t->f.nr_slots; k++) {
		if (hc_gnttab_map(vb->gt, t->f.slot[k].gref, 0, &t->map[k])) {
			unmap(vb, t, k);
			return -1;
		}
		t->iov[1 + k].iov_base = t->map[k].page + t->f.slot[k].offset;
		t->iov[1 + k].iov_len = t->f.slot[k].size;
	}
	t->iov[0].iov_base = &t->vh;
	t->iov[0].iov_len = VNET_HDR_LEN;
	return 0;
}

/*
 * One gather write of the vnet header and the granted bytes: a TAP or a
 * SOCK_SEQPACKET socket takes it as one frame, whole or not at all.
 * 0 sent, -EAGAIN not now, -EIO refused.
 */
static int send_frame(struct hc_vifback *vb, struct hc_vif_txframe *t)
{
	struct msghdr msg = { .msg_iov = t->iov, .msg_iovlen = 1 + t->f.nr_slots };
	ssize_t n;

	do
		n = vb->is_socket ? sendmsg(vb->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT)
				  : writev(vb->fd, t->iov, (int)msg.msg_iovlen);
	while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return -EAGAIN;
	return n == (ssize_t)(VNET_HDR_LEN + t->f.len) ? 0 : -EIO;
}

/* The frame went out or never will: answer it and let go of its pages. */
static void finish(struct hc_vifback *vb, struct hc_vif_txframe *t, int sent)
{
	if (!sent) {
		respond(vb, &t->f, NETIF_RSP_DROPPED);
	} else {
		respond(vb, &t->f, NETIF_RSP_OKAY);
		vb->tx_packets++;
		vb->tx_bytes += t->f.len;
	}
	unmap(vb, t, t->f.nr_slots);
	t->held = 0;
}

/*
 * The next frame: copied (what the window lacks), checked, mapped, sent,
 * answered. 1 answered, 0 held (the fd is full), -EPROTO fatal.
 */
static int serve_frame(struct hc_vifback *vb, RING_IDX rp)
{
	struct hc_vif_txframe *t = &vb->txf;
	unsigned int avail = rp - vb->tx.req_cons;
	int ret;

	if (avail > HC_NET_MAX_REQS)
		avail = HC_NET_MAX_REQS;
	while (vb->win_n < avail) {
		hc_netreq_copy(RING_GET_REQUEST(&vb->tx, vb->tx.req_cons + vb->win_n),
			       &vb->win[vb->win_n]);
		vb->win_n++;
	}
	ret = hc_netreq_parse(vb->win, vb->win_n, &vb->lim, &t->f);
	if (ret == -EPROTO)
		return hc_vif_cut_off(vb, "tx", vb->tx.req_cons + t->f.bad_req,
				       hc_netreq_why(t->f.why));
	if (ret) {
		respond(vb, &t->f, NETIF_RSP_ERROR);
		return 1;
	}
	/* The guest's own grants, for this backend, in its RAM: else ERROR. */
	if (map_frame(vb, t)) {
		respond(vb, &t->f, NETIF_RSP_ERROR);
		return 1;
	}
	if (vnet_hdr(t)) {
		finish(vb, t, 0);
		return 1;
	}
	ret = send_frame(vb, t);
	if (ret == -EAGAIN) {
		/*
		 * The fd is full (a socket whose reader lags; a TAP hardly
		 * ever): keep the frame, mapped and unanswered, and wait for
		 * POLLOUT rather than drop it. The frontend runs out of tx
		 * slots and stops its queue: back-pressure, as from a NIC.
		 */
		t->held = 1;
		return 0;
	}
	finish(vb, t, ret == 0);
	return 1;
}

/* Publish the responses written so far; notify if the frontend asked. */
static void push(struct hc_vifback *vb)
{
	int notify;

	RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&vb->tx, notify);
	if (notify)
		hc_dd_ring_notify(vb->ring, 0);
}

int hc_viftx_process(struct hc_vifback *vb)
{
	struct hc_vif_txframe *t = &vb->txf;
	int served = 0, more = 0, ret;

	if (t->held) {
		/*
		 * Try again whatever the last poll saw: under a steady rx load
		 * the thread may not sleep (and poll) for a long time.
		 */
		ret = send_frame(vb, t);
		if (ret == -EAGAIN)
			return 0;
		finish(vb, t, ret == 0);
		served++;
	}
	do {
		RING_IDX rp = __atomic_load_n(&vb->tx.sring->req_prod, __ATOMIC_ACQUIRE);

		/* A producer index no frontend can honestly reach. */
		if (RING_REQUEST_PROD_OVERFLOW(&vb->tx, rp))
			return hc_vif_cut_off(vb, "tx", rp, "more requests published than the ring holds");
		while (vb->tx.req_cons != rp && served < HC_VIF_BATCH && !hc_vif_stopping(vb)) {
			ret = serve_frame(vb, rp);
			if (ret < 0) {
				push(vb);
				return ret;
			}
			if (!ret) {
				push(vb);
				return 0;	/* held: the thread waits for POLLOUT */
			}
			served++;
		}
		push(vb);
		if (served >= HC_VIF_BATCH || hc_vif_stopping(vb))
			return 1;	/* the caller comes back for the rest */
		RING_FINAL_CHECK_FOR_REQUESTS(&vb->tx, more);
	} while (more);
	return 0;
}
