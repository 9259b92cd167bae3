// SPDX-License-Identifier: GPL-2.0
/*
 * hnetfront transmit: each frame goes as up to HNET_MAX_SLOTS requests, one
 * per piece of a page, each page granted read-only to the backend; the
 * first request carries the frame's length, its checksum flags and, for a
 * TSO frame, a GSO extra-info slot after it. Completions come back in the
 * queue's NAPI poll; each response is copied once and must name an id in
 * flight whose request was published, or the device is disabled.
 */
#include <linux/etherdevice.h>
#include <linux/mm.h>
#include <linux/netdevice.h>
#include <linux/skbuff.h>
#include <linux/tcp.h>
#include <asm/hcall.h>
#include <asm/hcall_bus.h>

#include "hnetfront.h"

/* A piece of a frame within one page: one tx request. */
struct hnet_chunk {
	unsigned long pfn;
	unsigned int off;
	unsigned int len;
};

/* A tx ring slot holds a request or, after NETTXF_extra_info, an extra. */
union hnet_tx_req {
	struct xen_netif_tx_request req;
	struct xen_netif_extra_info extra;
};

/* Room for a frame of the most slots and ids: otherwise the queue stops. */
bool hnet_tx_room(const struct hnet_queue *q)
{
	return RING_FREE_REQUESTS(&q->tx) >= HNET_TX_FRAME_SLOTS &&
	       q->tx_nr_free >= HNET_MAX_SLOTS;
}

/*
 * Add the pieces of @len bytes at @off in the memory from frame @pfn on
 * to @c (at most HNET_MAX_SLOTS kept) and return how many there are in
 * all, kept or not, counting from @n.
 */
static unsigned int hnet_tx_split(unsigned long pfn, unsigned int off, unsigned int len,
				  struct hnet_chunk *c, unsigned int n)
{
	unsigned int l;

	pfn += off >> PAGE_SHIFT;
	off &= ~PAGE_MASK;
	for (; len; len -= l, pfn++, off = 0, n++) {
		l = min_t(unsigned int, len, PAGE_SIZE - off);
		if (n < HNET_MAX_SLOTS)
			c[n] = (struct hnet_chunk){ .pfn = pfn, .off = off, .len = l };
	}
	return n;
}

/* The frame's requests: its head first, then each fragment. */
static unsigned int hnet_tx_chunks(struct sk_buff *skb, struct hnet_chunk *c)
{
	unsigned int i, n;

	n = hnet_tx_split(PFN_DOWN(__pa(skb->data)), offset_in_page(skb->data),
			  skb_headlen(skb), c, 0);
	for (i = 0; i < skb_shinfo(skb)->nr_frags; i++) {
		const skb_frag_t *f = &skb_shinfo(skb)->frags[i];

		/* A fragment may run over the pages of a compound page. */
		n = hnet_tx_split(page_to_pfn(skb_frag_page(f)), skb_frag_off(f),
				  skb_frag_size(f), c, n);
	}
	return n;
}

/*
 * The bytes the first request must hold: the Ethernet header, and for a
 * frame the backend must checksum or segment, every header up to the
 * checksum field or the end of the TCP header, so the backend finds them
 * in one slot. 0 for a frame that cannot be sent.
 */
static unsigned int hnet_tx_hdr_len(struct sk_buff *skb)
{
	int len = ETH_HLEN;

	if (skb_is_gso(skb)) {
		if (!skb_transport_header_was_set(skb) ||
		    !pskb_may_pull(skb, skb_transport_offset(skb) + sizeof(struct tcphdr)))
			return 0;
		len = skb_tcp_all_headers(skb);
	} else if (skb->ip_summed == CHECKSUM_PARTIAL) {
		len = skb_checksum_start_offset(skb) + skb->csum_offset + sizeof(__sum16);
	}
	if (len < ETH_HLEN || len > skb->len)
		return 0;
	return len;
}

static bool hnet_tx_flush(struct hnet_queue *q);

/* Drop @skb, counting it as @s too (unless @s is the drop itself). */
static void hnet_tx_drop(struct hnet_queue *q, struct sk_buff *skb, enum hnet_tx_stat s)
{
	unsigned long flags;
	bool notify;

	spin_lock_irqsave(&q->tx_lock, flags);
	hnet_tx_count(q, HNET_TX_DROPPED, 1);
	if (s != HNET_TX_DROPPED)
		hnet_tx_count(q, s, 1);
	notify = hnet_tx_flush(q);
	spin_unlock_irqrestore(&q->tx_lock, flags);
	if (notify)
		hcall_evtchn_send(q->tx_port);
	dev_kfree_skb_any(skb);
}

/* Count a frame that had to be copied to be sent. */
static void hnet_tx_copied(struct hnet_queue *q)
{
	unsigned long flags;

	spin_lock_irqsave(&q->tx_lock, flags);
	hnet_tx_count(q, HNET_TX_LINEARIZED, 1);
	spin_unlock_irqrestore(&q->tx_lock, flags);
}

/*
 * A copy of @skb in place of it: all linear (@whole), or with a new head
 * and the same fragments. NULL without memory (@skb is still the caller's).
 */
static struct sk_buff *hnet_tx_copy(struct hnet_queue *q, struct sk_buff *skb, bool whole)
{
	struct sk_buff *nskb = whole ? skb_copy(skb, GFP_ATOMIC) : pskb_copy(skb, GFP_ATOMIC);

	if (!nskb)
		return NULL;
	dev_consume_skb_any(skb);
	hnet_tx_copied(q);
	return nskb;
}

/*
 * Make @skb sendable: at most HNET_MAX_SLOTS pieces (one without SG),
 * headers in the first. Returns the skb to send (maybe a copy) with its
 * pieces in @c and their number in *@n, or NULL once it is dropped.
 */
static struct sk_buff *hnet_tx_fixup(struct hnet_queue *q, struct sk_buff *skb,
				     struct hnet_chunk *c, unsigned int *n)
{
	unsigned int gso = skb_is_gso(skb) ? skb_shinfo(skb)->gso_type : 0;
	struct sk_buff *nskb;
	unsigned int hdr;

	/* The first request's size is 16 bits; a runt is no frame. */
	if (unlikely(skb->len > XEN_NETIF_MAX_TX_SIZE || skb->len < ETH_HLEN))
		goto drop;
	/* TSO is all the backend segments; the stack splits anything else. */
	if (unlikely(gso && (!(gso & (SKB_GSO_TCPV4 | SKB_GSO_TCPV6)) ||
			     !skb_shinfo(skb)->gso_size)))
		goto drop;
	hdr = hnet_tx_hdr_len(skb);
	if (unlikely(!hdr || !pskb_may_pull(skb, hdr)))
		goto drop;
	*n = hnet_tx_chunks(skb, c);
	if (unlikely(*n > HNET_MAX_SLOTS)) {
		/* Into one buffer: 64 KiB spans 17 pages at most. */
		if (skb_linearize(skb))
			goto drop;
		hnet_tx_copied(q);
		*n = hnet_tx_chunks(skb, c);
	}
	/* Headers running into the next page: a new head (a small one stays in its page). */
	if (unlikely(PAGE_SIZE - offset_in_page(skb->data) < hdr)) {
		nskb = hnet_tx_copy(q, skb, false);
		if (!nskb)
			goto drop;
		skb = nskb;
		*n = hnet_tx_chunks(skb, c);
	}
	/* Without SG one slot: a small linear copy stays within its page. */
	if (unlikely(*n > 1 && !q->info->be_sg)) {
		nskb = hnet_tx_copy(q, skb, true);
		if (!nskb)
			goto drop;
		skb = nskb;
		*n = hnet_tx_chunks(skb, c);
	}
	if (unlikely(*n > (q->info->be_sg ? HNET_MAX_SLOTS : 1) ||
		     PAGE_SIZE - offset_in_page(skb->data) < hdr))
		goto drop;
	return skb;
drop:
	hnet_tx_drop(q, skb, HNET_TX_DROPPED);
	return NULL;
}

/*
 * Revoke grants made for a frame that is not going out. False if the
 * backend already maps one (it was never sent the reference): then the
 * frame's pages stay with it and the device is disabled.
 */
static bool hnet_tx_ungrant(struct hnet_queue *q, const int *grefs, unsigned int n)
{
	bool all = true;
	unsigned int i;

	for (i = 0; i < n; i++)
		if (!hcall_gnttab_end_access(grefs[i]))
			all = false;
	if (!all) {
		hnet_tx_count(q, HNET_TX_BAD_RSP, 1);
		hnet_break(q, "backend maps a grant it was never sent");
	}
	return all;
}

/* Was the request of @s published? One written but not pushed is not the backend's. */
static bool hnet_tx_published(const struct hnet_queue *q, const struct hnet_tx_slot *s)
{
	return s->idx - q->tx_pushed >= q->tx.req_prod_pvt - q->tx_pushed;
}

/* Publish the requests written so far; true if the backend wants a kick. */
static bool hnet_tx_push(struct hnet_queue *q)
{
	int notify;

	lockdep_assert_held(&q->tx_lock);
	/*
	 * More answers than requests published: the backend read slots we had
	 * only written. Caught here, before publishing would make them look
	 * legitimate.
	 */
	if (READ_ONCE(q->tx.sring->rsp_prod) - q->tx.rsp_cons > q->tx_pushed - q->tx.rsp_cons) {
		hnet_tx_count(q, HNET_TX_BAD_RSP, 1);
		hnet_break(q, "tx response to a request not yet published");
	}
	if (hnet_broken(q->info))
		return false;
	RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&q->tx, notify);
	q->tx_pushed = q->tx.req_prod_pvt;
	return notify;
}

/*
 * The last frame of a batch was dropped: publish the ones written before
 * it (xmit_more held them back), or they wait for the next transmit.
 */
static bool hnet_tx_flush(struct hnet_queue *q)
{
	lockdep_assert_held(&q->tx_lock);
	if (netdev_xmit_more() || q->tx.req_prod_pvt == q->tx_pushed)
		return false;
	return hnet_tx_push(q);
}

/* The first request's checksum flags. */
static u16 hnet_tx_csum_flags(const struct sk_buff *skb)
{
	if (skb->ip_summed == CHECKSUM_PARTIAL)
		return XEN_NETTXF_csum_blank | XEN_NETTXF_data_validated;
	if (skb->ip_summed == CHECKSUM_UNNECESSARY)
		return XEN_NETTXF_data_validated;
	return 0;
}

/* Write @skb's requests (@n pieces in @c, all granted in @grefs) to the ring. */
static void hnet_tx_write(struct hnet_queue *q, struct sk_buff *skb,
			  const struct hnet_chunk *c, const int *grefs, unsigned int n)
{
	RING_IDX idx = q->tx.req_prod_pvt;
	union hnet_tx_req slot;
	unsigned int i;
	u16 id;

	for (i = 0; i < n; i++) {
		struct hnet_tx_slot *s;

		id = q->tx_free[--q->tx_nr_free];
		s = &q->tx_slots[id];
		/* Each slot holds a reference: the last response frees the skb. */
		s->skb = i ? skb_get(skb) : skb;
		s->gref = grefs[i];
		s->idx = idx;
		s->len = i ? 0 : skb->len;
		memset(&slot, 0, sizeof(slot));
		slot.req.gref = grefs[i];
		slot.req.offset = c[i].off;
		slot.req.id = id;
		/* The first request's size is the whole frame's. */
		slot.req.size = i ? c[i].len : skb->len;
		if (i + 1 < n)
			slot.req.flags |= XEN_NETTXF_more_data;
		if (!i) {
			slot.req.flags |= hnet_tx_csum_flags(skb);
			if (skb_is_gso(skb))
				slot.req.flags |= XEN_NETTXF_extra_info;
		}
		*RING_GET_REQUEST(&q->tx, idx++) = slot.req;
		if (i || !skb_is_gso(skb))
			continue;
		memset(&slot, 0, sizeof(slot));
		slot.extra.type = XEN_NETIF_EXTRA_TYPE_GSO;
		slot.extra.u.gso.size = skb_shinfo(skb)->gso_size;
		slot.extra.u.gso.type = skb_shinfo(skb)->gso_type & SKB_GSO_TCPV6 ?
					XEN_NETIF_GSO_TYPE_TCPV6 : XEN_NETIF_GSO_TYPE_TCPV4;
		*RING_GET_REQUEST(&q->tx, idx++) = slot.req;
		q->tx_nulls++;
	}
	q->tx.req_prod_pvt = idx;
}

/* Grant @skb's pieces and put it on the ring, or drop it; consumes @skb. */
static void hnet_tx_submit(struct hnet_queue *q, struct sk_buff *skb,
			   const struct hnet_chunk *c, unsigned int n)
{
	struct hnet_info *info = q->info;
	struct netdev_queue *txq = netdev_get_tx_queue(info->netdev, q->id);
	unsigned int i, len = skb->len, slots = n + !!skb_is_gso(skb);
	enum hnet_tx_stat why = HNET_TX_DROPPED;
	int grefs[HNET_MAX_SLOTS];
	unsigned long flags;
	bool notify = false;
	int ref;

	spin_lock_irqsave(&q->tx_lock, flags);
	if (unlikely(hnet_broken(info) || !netif_carrier_ok(info->netdev)))
		goto drop;
	if (unlikely(RING_FREE_REQUESTS(&q->tx) < slots || q->tx_nr_free < n)) {
		/* The queue stops before this can happen; a raw socket may not care. */
		netif_tx_stop_queue(txq);
		why = HNET_TX_RING_FULL;
		goto drop;
	}
	for (i = 0; i < n; i++) {
		ref = hcall_gnttab_grant_access(info->dev->otherend_id, c[i].pfn, true);
		if (ref < 0) {
			/* Grants are shared by every device: drop, do not wait. */
			if (!hnet_tx_ungrant(q, grefs, i)) {
				/* Its pages may be mapped: keep the skb for good. */
				hnet_tx_count(q, HNET_TX_DROPPED, 1);
				notify = hnet_tx_flush(q);
				spin_unlock_irqrestore(&q->tx_lock, flags);
				if (notify)
					hcall_evtchn_send(q->tx_port);
				return;
			}
			why = HNET_TX_GRANT_FAIL;
			goto drop;
		}
		grefs[i] = ref;
	}
	hnet_tx_write(q, skb, c, grefs, n);
	if (!hnet_tx_room(q)) {
		netif_tx_stop_queue(txq);
		hnet_tx_count(q, HNET_TX_RING_FULL, 1);
	}
	skb_tx_timestamp(skb);
	/* One doorbell per batch; always when the queue just stopped. */
	if (__netdev_tx_sent_queue(txq, len, netdev_xmit_more()))
		notify = hnet_tx_push(q);
	spin_unlock_irqrestore(&q->tx_lock, flags);
	if (notify)
		hcall_evtchn_send(q->tx_port);
	return;
drop:
	hnet_tx_count(q, HNET_TX_DROPPED, 1);
	if (why != HNET_TX_DROPPED)
		hnet_tx_count(q, why, 1);
	notify = hnet_tx_flush(q);
	spin_unlock_irqrestore(&q->tx_lock, flags);
	if (notify)
		hcall_evtchn_send(q->tx_port);
	dev_kfree_skb_any(skb);
}

netdev_tx_t hnet_start_xmit(struct sk_buff *skb, struct net_device *netdev)
{
	struct hnet_info *info = netdev_priv(netdev);
	struct hnet_chunk c[HNET_MAX_SLOTS];
	u16 qid = skb_get_queue_mapping(skb);
	struct hnet_queue *q;
	unsigned int n;

	/* The stack maps to the real queues, nr_queues of them. */
	q = &info->queues[qid < info->nr_queues ? qid : 0];
	skb = hnet_tx_fixup(q, skb, c, &n);
	if (skb)
		hnet_tx_submit(q, skb, c, n);
	return NETDEV_TX_OK;
}

/* Count a frame's outcome from its first slot's response. */
static void hnet_tx_status(struct hnet_queue *q, s16 status, u32 len)
{
	switch (status) {
	case XEN_NETIF_RSP_OKAY:
		hnet_tx_count(q, HNET_TX_PACKETS, 1);
		hnet_tx_count(q, HNET_TX_BYTES, len);
		break;
	case XEN_NETIF_RSP_DROPPED:
		hnet_tx_count(q, HNET_TX_DROPPED, 1);
		break;
	default:
		hnet_tx_count(q, HNET_TX_ERRORS, 1);
		break;
	}
}

static void hnet_tx_bad(struct hnet_queue *q, const char *why)
{
	hnet_tx_count(q, HNET_TX_BAD_RSP, 1);
	hnet_break(q, why);
}

/*
 * Take the tx responses in: revoke each answered request's grant, free its
 * id and its reference to the skb, and wake the queue once there is room.
 * Runs in the queue's NAPI poll.
 */
void hnet_tx_complete(struct hnet_queue *q, int budget)
{
	struct netdev_queue *txq = netdev_get_tx_queue(q->info->netdev, q->id);
	unsigned int pkts = 0, bytes = 0;
	struct xen_netif_tx_response rsp;
	struct hnet_tx_slot *s;
	unsigned long flags;
	RING_IDX i, rp;

	/* irqsave: netpoll may enter from hard-irq context. */
	spin_lock_irqsave(&q->tx_lock, flags);
	if (hnet_broken(q->info))
		goto out;
	rp = READ_ONCE(q->tx.sring->rsp_prod);
	virt_rmb();	/* the responses after the index that covers them */
	/* No more answers than requests published, not just written. */
	if (rp - q->tx.rsp_cons > q->tx_pushed - q->tx.rsp_cons) {
		hnet_tx_bad(q, "tx response index past the requests");
		goto out;
	}
	for (i = q->tx.rsp_cons; i != rp; i++) {
		rsp = READ_ONCE(*RING_GET_RESPONSE(&q->tx, i));
		if (rsp.status == XEN_NETIF_RSP_NULL) {
			/* The answer to a GSO extra slot; it has no id. */
			if (!q->tx_nulls) {
				hnet_tx_bad(q, "tx NULL response to no extra slot");
				break;
			}
			q->tx_nulls--;
			continue;
		}
		if (rsp.id >= HNET_TX_RING_SIZE || !q->tx_slots[rsp.id].skb ||
		    !hnet_tx_published(q, &q->tx_slots[rsp.id])) {
			hnet_tx_bad(q, "tx response to no request");
			break;
		}
		s = &q->tx_slots[rsp.id];
		/* Answered but still mapped: the page stays with the skb. */
		if (!hcall_gnttab_end_access(s->gref)) {
			hnet_tx_bad(q, "backend still maps a tx page it answered for");
			break;
		}
		if (s->len) {
			pkts++;
			bytes += s->len;
			hnet_tx_status(q, rsp.status, s->len);
		}
		napi_consume_skb(s->skb, budget);
		s->skb = NULL;
		q->tx_free[q->tx_nr_free++] = rsp.id;
	}
	q->tx.rsp_cons = i;
	if (pkts)
		netdev_tx_completed_queue(txq, pkts, bytes);
	if (!hnet_broken(q->info) && netif_tx_queue_stopped(txq) && hnet_tx_room(q))
		netif_tx_wake_queue(txq);
out:
	spin_unlock_irqrestore(&q->tx_lock, flags);
}

/*
 * Teardown, with NAPI off and the device unregistered: free every skb
 * still on the ring whose grant can be revoked. One the backend still maps
 * keeps its skb (and pages) for good; *@leaked counts those.
 */
void hnet_tx_release(struct hnet_queue *q, unsigned int *leaked)
{
	struct hnet_tx_slot *s;
	unsigned int id;

	for (id = 0; id < HNET_TX_RING_SIZE; id++) {
		s = &q->tx_slots[id];
		if (!s->skb)
			continue;
		if (hcall_gnttab_end_access(s->gref))
			dev_kfree_skb_any(s->skb);
		else
			(*leaked)++;
		s->skb = NULL;
	}
}
