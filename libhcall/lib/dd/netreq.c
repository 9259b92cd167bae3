// SPDX-License-Identifier: LGPL-2.1-or-later
/* Parsing and checking netif tx requests from an untrusted frontend. */
#include <errno.h>
#include <string.h>

#include "hcall/dd/netreq.h"

_Static_assert(sizeof(netif_extra_info_t) <= sizeof(netif_tx_request_t),
	       "an extra overlays a tx request slot");
_Static_assert(HC_NET_MAX_REQS <= 32, "extra_mask has a bit per request");

void hc_netreq_copy(const volatile void *slot, netif_tx_request_t *out)
{
	/* One read of the slot; every later decision uses this copy only. */
	memcpy(out, (const void *)slot, sizeof(*out));
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
}

static const char *const whys[HC_NET_NR_WHY] = {
	[HC_NET_OK] = "ok",
	[HC_NET_INCOMPLETE] = "frame continues past the published requests",
	[HC_NET_TOO_MANY_SLOTS] = "more than 18 slots",
	[HC_NET_EXTRA_CHAIN] = "extra-info chain longer than the types",
	[HC_NET_EXTRA_TYPE] = "extra info of no known type",
	[HC_NET_GSO_BAD] = "GSO extra of no known type or size 0",
	[HC_NET_PAGE_BOUND] = "slot crosses its page",
	[HC_NET_EXTRA_UNOFFERED] = "extra info of a type not offered",
	[HC_NET_EXTRA_TWICE] = "two extras of one type",
	[HC_NET_GSO_UNOFFERED] = "GSO type not negotiated",
	[HC_NET_GSO_SIZE] = "GSO size not below the frame",
	[HC_NET_NO_SG] = "several slots without feature-sg",
	[HC_NET_EMPTY_SLOT] = "slot without bytes",
	[HC_NET_SIZE_SUM] = "slots hold more than the frame's size",
	[HC_NET_RUNT] = "frame shorter than an Ethernet header",
	[HC_NET_TOO_BIG] = "frame longer than the MTU",
};

const char *hc_netreq_why(enum hc_net_why why)
{
	return (unsigned int)why < HC_NET_NR_WHY ? whys[why] : "?";
}

static int refuse(struct hc_net_frame *f, unsigned int req, enum hc_net_why why)
{
	f->bad_req = req;
	f->why = why;
	return why < HC_NET_NR_FATAL ? -EPROTO : -EINVAL;
}

/* Keep the first frame-only error found; the fatal checks still run after it. */
static void note(struct hc_net_frame *f, unsigned int req, enum hc_net_why why)
{
	if (f->why == HC_NET_OK) {
		f->bad_req = req;
		f->why = why;
	}
}

int hc_netreq_parse(const netif_tx_request_t *req, unsigned int n,
		    const struct hc_net_limits *lim, struct hc_net_frame *f)
{
	unsigned int i = 1, k, extras = 0, seen = 0, gso_req = 0, req_of[HC_NET_MAX_SLOTS];
	netif_extra_info_t x, gso = { 0 };
	uint32_t rest = 0, own;
	int more;

	memset(f, 0, sizeof(*f));
	if (!n)
		return refuse(f, 0, HC_NET_INCOMPLETE);
	/*
	 * Where the frame ends first: extras follow the first slot while each
	 * says another follows, then the data slots while each says so. Past
	 * the limits no frontend honestly goes, and the ring's later slots
	 * could not be told apart from this frame's: fatal, as in Xen.
	 */
	more = req[0].flags & NETTXF_extra_info;
	while (more) {
		if (extras == HC_NET_MAX_EXTRAS)
			return refuse(f, i, HC_NET_EXTRA_CHAIN);
		if (i >= n)
			return refuse(f, i, HC_NET_INCOMPLETE);
		memcpy(&x, &req[i], sizeof(x));
		if (x.type == XEN_NETIF_EXTRA_TYPE_NONE || x.type >= XEN_NETIF_EXTRA_TYPE_MAX)
			return refuse(f, i, HC_NET_EXTRA_TYPE);
		if (seen & (1u << x.type))
			note(f, i, HC_NET_EXTRA_TWICE);
		else if (x.type != XEN_NETIF_EXTRA_TYPE_GSO)
			note(f, i, HC_NET_EXTRA_UNOFFERED);	/* no multicast control, no hash */
		else {
			gso = x;
			gso_req = i;
		}
		seen |= 1u << x.type;
		f->extra_mask |= 1u << i;
		more = x.flags & XEN_NETIF_EXTRA_FLAG_MORE;
		extras++;
		i++;
	}
	req_of[0] = 0;
	f->nr_slots = 1;
	more = req[0].flags & NETTXF_more_data;
	while (more) {
		if (f->nr_slots == HC_NET_MAX_SLOTS)
			return refuse(f, i, HC_NET_TOO_MANY_SLOTS);
		if (i >= n)
			return refuse(f, i, HC_NET_INCOMPLETE);
		k = f->nr_slots++;
		req_of[k] = i;
		f->slot[k].gref = req[i].gref;
		f->slot[k].offset = req[i].offset;
		f->slot[k].size = req[i].size;
		rest += req[i].size;
		more = req[i].flags & NETTXF_more_data;
		i++;
	}
	f->nr_reqs = i;

	/* Fatal as in Xen: a slot past its page, a GSO extra no one can serve. */
	for (k = 1; k < f->nr_slots; k++)
		if ((uint32_t)f->slot[k].offset + f->slot[k].size > HC_NET_PAGE)
			return refuse(f, req_of[k], HC_NET_PAGE_BOUND);
	if (gso.type == XEN_NETIF_EXTRA_TYPE_GSO &&
	    ((gso.u.gso.type != XEN_NETIF_GSO_TYPE_TCPV4 &&
	      gso.u.gso.type != XEN_NETIF_GSO_TYPE_TCPV6) || !gso.u.gso.size))
		return refuse(f, gso_req, HC_NET_GSO_BAD);
	/*
	 * The first slot's size is the frame's; its own bytes are what the
	 * later slots leave. Only the slots' own sizes are used from here on,
	 * so the frame is their sum whatever the first slot claimed.
	 */
	own = rest < req[0].size ? req[0].size - rest : 0;
	if ((uint32_t)req[0].offset + own > HC_NET_PAGE)
		return refuse(f, 0, HC_NET_PAGE_BOUND);
	f->slot[0].gref = req[0].gref;
	f->slot[0].offset = req[0].offset;
	f->slot[0].size = (uint16_t)own;
	f->len = own + rest;
	f->csum_blank = !!(req[0].flags & NETTXF_csum_blank);
	f->data_validated = !!(req[0].flags & NETTXF_data_validated);
	if (gso.type == XEN_NETIF_EXTRA_TYPE_GSO) {
		f->gso_type = gso.u.gso.type;
		f->gso_size = gso.u.gso.size;
	}

	/* The rest fails this frame alone. */
	if (f->why != HC_NET_OK)
		return refuse(f, f->bad_req, f->why);
	if (f->nr_slots > 1 && !lim->sg)
		return refuse(f, req_of[1], HC_NET_NO_SG);
	for (k = 1; k < f->nr_slots; k++)
		if (!f->slot[k].size)
			return refuse(f, req_of[k], HC_NET_EMPTY_SLOT);
	if (rest > req[0].size)
		return refuse(f, 0, HC_NET_SIZE_SUM);
	if (!own)
		return refuse(f, 0, HC_NET_EMPTY_SLOT);
	if (f->len < HC_NET_ETH_HLEN)
		return refuse(f, 0, HC_NET_RUNT);
	if (f->gso_type == XEN_NETIF_GSO_TYPE_NONE && f->len > lim->max_frame)
		return refuse(f, 0, HC_NET_TOO_BIG);
	if (f->gso_type != XEN_NETIF_GSO_TYPE_NONE) {
		if (!(lim->gso_types & (1u << f->gso_type)))
			return refuse(f, gso_req, HC_NET_GSO_UNOFFERED);
		if (f->gso_size >= f->len)
			return refuse(f, gso_req, HC_NET_GSO_SIZE);
	}
	return 0;
}
