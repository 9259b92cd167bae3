// SPDX-License-Identifier: GPL-2.0
/*
 * hnetfront receive (rx-copy only): each queue keeps pages posted on its rx
 * ring, each granted writable to the backend, which copies frames into
 * them. As in Xen, response k answers request k (its id echoed), and an
 * extra-info slot uses up the buffer of the request at its index.
 *
 * A frame's responses are copied out once, all of them, before any is
 * acted on; a frame whose last response is not there yet waits for it.
 * Broken responses (an id that is not the request at that index, a
 * producer index past the requests published, a frame longer than any
 * allowed, a page still mapped once answered) disable the device; a
 * malformed but well-placed frame is only dropped and its pages posted
 * again.
 */
#include <linux/etherdevice.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/netdevice.h>
#include <linux/skbuff.h>
#include <asm/hcall.h>
#include <asm/hcall_bus.h>

#include "hnetfront.h"

#define HNET_RX_MASK	(HNET_RX_RING_SIZE - 1)

static void hnet_rx_bad(struct hnet_queue *q, const char *why)
{
	hnet_rx_count(q, HNET_RX_BAD_RSP, 1);
	hnet_break(q, why);
}

/* Give a page back: revoke its grant if it has one, free it unless still mapped. */
static void hnet_rx_put(struct hnet_rx_buf *b, unsigned int *leaked)
{
	if (b->gref < 0 || hcall_gnttab_end_access(b->gref))
		__free_page(b->page);
	else
		(*leaked)++;
	b->page = NULL;
	b->gref = -1;
}

/* Keep @b's page (and its grant, if any) to post again. */
static void hnet_rx_keep(struct hnet_queue *q, struct hnet_rx_buf *b)
{
	unsigned int leaked = 0;

	/* Pages posted and spare never outnumber the ring; if they did, let it go. */
	if (q->rx_nr_spare < HNET_RX_RING_SIZE)
		q->rx_spare[q->rx_nr_spare++] = *b;
	else
		hnet_rx_put(b, &leaked);
	b->page = NULL;
	b->gref = -1;
}

/* The buffers of ring indexes [@cons, @cons + @n) are done with: keep what is left. */
static void hnet_rx_done(struct hnet_queue *q, RING_IDX cons, unsigned int n)
{
	struct hnet_rx_buf *b;
	unsigned int j;

	for (j = 0; j < n; j++) {
		b = &q->rx_bufs[(cons + j) & HNET_RX_MASK];
		if (b->page)
			hnet_rx_keep(q, b);
	}
}

/*
 * Copy the responses of the frame at @cons out of the ring into @r: its
 * first data slot, its extras, its other data slots. Returns the slots it
 * takes (its extras in *@nr_extra), 0 if its last response is not there
 * yet, -E2BIG if it already runs past the longest frame allowed.
 */
static int hnet_rx_gather(struct hnet_queue *q, RING_IDX cons, RING_IDX rp,
			  union hnet_rx_rsp *r, unsigned int *nr_extra)
{
	unsigned int n = 1, extras = 0;
	bool extra, more;

	r[0].rsp = READ_ONCE(*RING_GET_RESPONSE(&q->rx, cons));
	extra = r[0].rsp.flags & XEN_NETRXF_extra_info;
	/* The first response's more_data says whether data follows the extras. */
	more = r[0].rsp.flags & XEN_NETRXF_more_data;
	while (extra || more) {
		if (n == HNET_RX_FRAME_MAX)
			return -E2BIG;
		if (cons + n == rp)
			return 0;
		r[n].rsp = READ_ONCE(*RING_GET_RESPONSE(&q->rx, cons + n));
		if (extra) {
			extra = r[n].extra.flags & XEN_NETIF_EXTRA_FLAG_MORE;
			extras++;
		} else {
			more = r[n].rsp.flags & XEN_NETRXF_more_data;
		}
		n++;
	}
	*nr_extra = extras;
	return n;
}

/* Is slot @j of a frame with @extras extras a data slot (not an extra)? */
static bool hnet_rx_is_data(unsigned int j, unsigned int extras)
{
	return !j || j > extras;
}

/*
 * Check the frame's content: lengths, extras. Returns its length, 0 for a
 * malformed frame (dropped, not a broken ring), and its GSO extra in
 * *@gso if it has one.
 */
static unsigned int hnet_rx_check(const union hnet_rx_rsp *r, unsigned int n,
				  unsigned int extras, const struct xen_netif_extra_info **gso)
{
	const struct xen_netif_extra_info *e;
	unsigned int j, len = 0;

	*gso = NULL;
	if (n - extras > HNET_MAX_SLOTS)
		return 0;
	for (j = 0; j < n; j++) {
		if (hnet_rx_is_data(j, extras)) {
			if (r[j].rsp.status < 0 ||
			    r[j].rsp.offset + r[j].rsp.status > PAGE_SIZE)
				return 0;
			len += r[j].rsp.status;
			continue;
		}
		e = &r[j].extra;
		if (!e->type || e->type >= XEN_NETIF_EXTRA_TYPE_MAX)
			return 0;
		if (e->type != XEN_NETIF_EXTRA_TYPE_GSO)
			continue;	/* types we did not ask for: ignored, as Xen does */
		if (*gso || !e->u.gso.size ||
		    (e->u.gso.type != XEN_NETIF_GSO_TYPE_TCPV4 &&
		     e->u.gso.type != XEN_NETIF_GSO_TYPE_TCPV6))
			return 0;
		*gso = e;
	}
	return len < ETH_HLEN ? 0 : len;
}

/*
 * Build the skb from the frame's data pages (their grants revoked): up to
 * HNET_RX_COPY bytes copied into its head, the rest as page fragments
 * (the whole first page copied if the fragments would not fit). Pages it
 * does not use stay in rx_bufs. NULL without memory.
 */
static struct sk_buff *hnet_rx_build(struct hnet_queue *q, RING_IDX cons,
				     const union hnet_rx_rsp *r, unsigned int n,
				     unsigned int extras)
{
	const struct xen_netif_rx_response *first = &r[0].rsp;
	struct hnet_rx_buf *b = &q->rx_bufs[cons & HNET_RX_MASK];
	unsigned int j, copy = first->status, frags = n - extras - 1;
	struct sk_buff *skb;

	if (copy > HNET_RX_COPY && frags + 1 <= MAX_SKB_FRAGS)
		copy = HNET_RX_COPY;
	skb = napi_alloc_skb(&q->napi, copy);
	if (unlikely(!skb))
		return NULL;
	skb_put_data(skb, page_address(b->page) + first->offset, copy);
	if (first->status > copy) {
		skb_add_rx_frag(skb, 0, b->page, first->offset + copy, first->status - copy,
				PAGE_SIZE);
		b->page = NULL;
	}
	for (j = extras + 1; j < n; j++) {
		if (!r[j].rsp.status)
			continue;
		b = &q->rx_bufs[(cons + j) & HNET_RX_MASK];
		skb_add_rx_frag(skb, skb_shinfo(skb)->nr_frags, b->page, r[j].rsp.offset,
				r[j].rsp.status, PAGE_SIZE);
		b->page = NULL;
	}
	return skb;
}

/* Hand a frame to the stack: checksum state and GSO from the backend's flags. */
static void hnet_rx_deliver(struct hnet_queue *q, struct sk_buff *skb, u16 flags,
			    const struct xen_netif_extra_info *gso, unsigned int len)
{
	struct net_device *netdev = q->info->netdev;
	bool recalc = false;

	if (!pskb_may_pull(skb, ETH_HLEN))
		goto error;
	skb->protocol = eth_type_trans(skb, netdev);
	skb_reset_network_header(skb);
	/* csum_blank: the checksum field holds only the pseudo-header's sum. */
	if (flags & XEN_NETRXF_csum_blank)
		skb->ip_summed = CHECKSUM_PARTIAL;
	else if ((flags & XEN_NETRXF_data_validated) && (netdev->features & NETIF_F_RXCSUM))
		skb->ip_summed = CHECKSUM_UNNECESSARY;
	if (gso) {
		skb_shinfo(skb)->gso_size = gso->u.gso.size;
		skb_shinfo(skb)->gso_type = gso->u.gso.type == XEN_NETIF_GSO_TYPE_TCPV4 ?
					    SKB_GSO_TCPV4 : SKB_GSO_TCPV6;
		/* Not ours: the stack checks the headers and counts the segments. */
		skb_shinfo(skb)->gso_type |= SKB_GSO_DODGY;
		skb_shinfo(skb)->gso_segs = 0;
		/* A GSO frame must be CHECKSUM_PARTIAL; set it up if the backend did not. */
		if (skb->ip_summed != CHECKSUM_PARTIAL) {
			skb->ip_summed = CHECKSUM_PARTIAL;
			recalc = true;
			hnet_rx_count(q, HNET_RX_CSUM_FIXUP, 1);
		}
	}
	/* Where the checksum starts, from headers now in our own memory. */
	if (skb->ip_summed == CHECKSUM_PARTIAL && skb_checksum_setup(skb, recalc))
		goto error;
	skb_record_rx_queue(skb, q->id);
	u64_stats_update_begin(&q->rx_syncp);
	u64_stats_inc(&q->rx_stats[HNET_RX_PACKETS]);
	u64_stats_add(&q->rx_stats[HNET_RX_BYTES], len);
	u64_stats_update_end(&q->rx_syncp);
	napi_gro_receive(&q->napi, skb);
	return;
error:
	hnet_rx_count(q, HNET_RX_ERRORS, 1);
	kfree_skb(skb);
}

/*
 * One frame of @n slots at @cons, its responses in @r. 0 once it is dealt
 * with (delivered or dropped, its slots consumed), -EPROTO if the backend
 * broke the protocol (nothing consumed, the device disabled).
 */
static int hnet_rx_frame(struct hnet_queue *q, RING_IDX cons, const union hnet_rx_rsp *r,
			 unsigned int n, unsigned int extras)
{
	const struct xen_netif_extra_info *gso;
	struct hnet_rx_buf *b;
	struct sk_buff *skb;
	unsigned int j, len;
	RING_IDX idx;

	/* Every slot is a posted request's; a data slot names its own. */
	for (j = 0; j < n; j++) {
		idx = (cons + j) & HNET_RX_MASK;
		if (!q->rx_bufs[idx].page ||
		    (hnet_rx_is_data(j, extras) && r[j].rsp.id != idx)) {
			hnet_rx_bad(q, "rx response to no request");
			return -EPROTO;
		}
	}
	len = hnet_rx_check(r, n, extras, &gso);
	if (!len) {
		/* Nothing read: the pages go back on the ring as they are. */
		hnet_rx_count(q, HNET_RX_ERRORS, 1);
		hnet_rx_done(q, cons, n);
		return 0;
	}
	/* The data pages are ours again before a byte of them is read. */
	for (j = 0; j < n; j++) {
		if (!hnet_rx_is_data(j, extras))
			continue;
		b = &q->rx_bufs[(cons + j) & HNET_RX_MASK];
		if (!hcall_gnttab_end_access(b->gref)) {
			hnet_rx_bad(q, "backend still maps an rx page it answered for");
			return -EPROTO;
		}
		b->gref = -1;
	}
	skb = hnet_rx_build(q, cons, r, n, extras);
	hnet_rx_done(q, cons, n);
	if (!skb) {
		hnet_rx_count(q, HNET_RX_DROPPED, 1);
		return 0;
	}
	hnet_rx_deliver(q, skb, r[0].rsp.flags, gso, len);
	return 0;
}

/*
 * Post buffers until rx_target are out: spare pages first, then new
 * zeroed ones. A refill cut short (no page, no grant reference) is
 * retried from a timer, so receive picks up again without waiting for
 * traffic that cannot come.
 */
static void hnet_rx_refill(struct hnet_queue *q)
{
	struct hnet_info *info = q->info;
	RING_IDX prod = q->rx.req_prod_pvt;
	struct xen_netif_rx_request req;
	bool short_of = false;
	struct hnet_rx_buf b;
	int notify, ref;

	if (hnet_broken(info))
		return;
	while (prod - q->rx.rsp_cons < info->rx_target) {
		if (q->rx_nr_spare) {
			b = q->rx_spare[--q->rx_nr_spare];
		} else {
			/* Zeroed: the backend may read a page before it writes it. */
			b.page = alloc_page(GFP_ATOMIC | __GFP_NOWARN | __GFP_ZERO);
			b.gref = -1;
			if (!b.page) {
				hnet_rx_count(q, HNET_RX_ALLOC_FAIL, 1);
				short_of = true;
				break;
			}
		}
		if (b.gref < 0) {
			ref = hcall_gnttab_grant_access(info->dev->otherend_id,
							page_to_pfn(b.page), false);
			if (ref < 0) {
				/* Shared by every device: try again later. */
				q->rx_spare[q->rx_nr_spare++] = b;
				hnet_rx_count(q, HNET_RX_GRANT_FAIL, 1);
				short_of = true;
				break;
			}
			b.gref = ref;
		}
		/* Id = index: its previous request (one ring ago) is consumed. */
		req.id = prod & HNET_RX_MASK;
		req.pad = 0;
		req.gref = b.gref;
		q->rx_bufs[req.id] = b;
		*RING_GET_REQUEST(&q->rx, prod) = req;
		prod++;
	}
	q->rx.req_prod_pvt = prod;
	if (short_of)
		mod_timer(&q->refill_timer, jiffies + HNET_REFILL_RETRY);
	if (prod == q->rx_pushed)
		return;
	/* Answers to buffers written but not yet published: caught before they are. */
	if (READ_ONCE(q->rx.sring->rsp_prod) - q->rx.rsp_cons > q->rx_pushed - q->rx.rsp_cons) {
		hnet_rx_bad(q, "rx response to a request not yet published");
		return;
	}
	RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&q->rx, notify);
	q->rx_pushed = prod;
	if (notify)
		hcall_evtchn_send(q->rx_port);
}

/*
 * Receive up to @budget frames, then post buffers again. Runs in the
 * queue's NAPI poll; returns the frames dealt with.
 */
int hnet_rx(struct hnet_queue *q, int budget)
{
	union hnet_rx_rsp r[HNET_RX_FRAME_MAX];
	RING_IDX cons = q->rx.rsp_cons, rp;
	unsigned int extras = 0;
	int n, work = 0;

	rp = READ_ONCE(q->rx.sring->rsp_prod);
	virt_rmb();	/* the responses after the index that covers them */
	/* No more answers than buffers published. */
	if (rp - cons > q->rx_pushed - cons) {
		hnet_rx_bad(q, "rx response index past the requests");
		return 0;
	}
	q->rx_seen = rp;
	while (cons != rp && work < budget) {
		n = hnet_rx_gather(q, cons, rp, r, &extras);
		if (n < 0) {
			hnet_rx_bad(q, "rx frame longer than any allowed");
			return work;
		}
		if (!n)
			break;	/* its last response is still to come */
		if (hnet_rx_frame(q, cons, r, n, extras))
			return work;
		cons += n;
		q->rx.rsp_cons = cons;
		work++;
	}
	hnet_rx_refill(q);
	return work;
}

/*
 * Before the poll sleeps: ask for an event on the next response after
 * those seen (one past a frame still incomplete, so it does not spin on
 * it). True if one came in meanwhile.
 */
bool hnet_rx_rearm(struct hnet_queue *q)
{
	WRITE_ONCE(q->rx.sring->rsp_event, q->rx_seen + 1);
	virt_mb();	/* the event index before the producer is read again */
	return READ_ONCE(q->rx.sring->rsp_prod) != q->rx_seen;
}

void hnet_refill_timer(struct timer_list *t)
{
	struct hnet_queue *q = from_timer(q, t, refill_timer);

	napi_schedule(&q->napi);
}

/*
 * Teardown, with NAPI off and the device unregistered: free every posted
 * and spare page whose grant can be revoked. One the backend still maps is
 * left to it for good; *@leaked counts those.
 */
void hnet_rx_release(struct hnet_queue *q, unsigned int *leaked)
{
	unsigned int i;

	for (i = 0; i < HNET_RX_RING_SIZE; i++)
		if (q->rx_bufs[i].page)
			hnet_rx_put(&q->rx_bufs[i], leaked);
	while (q->rx_nr_spare)
		hnet_rx_put(&q->rx_spare[--q->rx_nr_spare], leaked);
}
