// SPDX-License-Identifier: GPL-2.0
/*
 * hcall_nethostile: a hostile netif frontend, for the driver domain's
 * tests (tests/integration/nethostile.t). It binds the first vif
 * (device/vif/0) instead of hnetfront, connects tx and rx rings of its own
 * as a real frontend does (docs/netif.md) and sends netback what a
 * malicious guest would: store nodes no backend may accept, bad, reserved,
 * revoked, foreign and out-of-RAM grant refs, read-only grants as receive
 * buffers, empty, runt and page-crossing slots, frames of 19 slots or that
 * never end, bad GSO extras and unknown extra types, garbage ids,
 * producer indices far ahead, and a receive ring left empty while the
 * host floods the NIC. Every attack after which the queue must be cut off
 * gets a connection of its own: this end closes (Closing, until the
 * backend is Closed) and connects again, as netfront after a rebind.
 *
 * Each check prints "HCALL-NETHOSTILE name=value", the value being what
 * came back (OKAY, ERROR, DROPPED, none, cutoff, refused, a count); the
 * test says what each must be. A page never granted, pages granted only in
 * ways the backend must refuse and a guard page after each receive buffer
 * have to come through untouched. Every grant must be revocable once its
 * request is answered, once the queue is cut off (all but the rings) and
 * once the backend is Closed.
 *
 * attack=GROUP[,GROUP...] picks the groups, run in that order: handshake
 * (store nodes the backend must refuse, a connection each), tx (frames
 * refused one by one, on one connection), txcut (frames that cut the
 * queue off), rx (bad receive buffers, a frame received, a producer index
 * far ahead), ring (tx and rx producer indices far ahead in turn, cycles=
 * connections), flood (no receive buffer for hold= seconds while the host
 * floods the NIC, then some). The pages stay allocated after the module
 * is done: the backend may still hold them.
 */
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/etherdevice.h>
#include <linux/if_arp.h>
#include <linux/inet.h>
#include <linux/jiffies.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/unaligned.h>
#include <asm/hcall.h>
#include <asm/hcall_bus.h>
#include <xen/interface/grant_table.h>
#include <xen/interface/io/netif.h>

#define TX_SIZE		__CONST_RING_SIZE(xen_netif_tx, PAGE_SIZE)
#define RX_SIZE		__CONST_RING_SIZE(xen_netif_rx, PAGE_SIZE)
#define MAX_SLOTS	XEN_NETIF_NR_SLOTS_MIN	/* data slots of the largest frame */
#define NR_RXB		24	/* receive buffers: more than the largest frame takes */
#define CANARY		0x5a
#define RO_FILL		0xa5
#define FOREIGN_FILL	0x3c
#define GUARD_FILL	0xc3
#define FOREIGN_DOMID	7
#define BAD_REF		60000	/* far past the guest's grant table */
#define OUTSIDE_GFN	0x10000000UL	/* 1 TiB: no test guest has RAM there */
#define ANSWER_MS	2000	/* an answer comes within this */
#define SILENT_MS	1500	/* none in this long: none will come */
#define ETH_P_NOBODY	0x88b5	/* IEEE local experimental: no one parses it */

static char *attack = "tx";
module_param(attack, charp, 0444);
MODULE_PARM_DESC(attack, "Attack groups, comma separated: handshake, tx, txcut, rx, ring, flood");
static char *ip = "10.77.0.9";
module_param(ip, charp, 0444);
MODULE_PARM_DESC(ip, "This end's IPv4 address, in its ARP requests");
static char *peer = "10.77.0.1";
module_param(peer, charp, 0444);
MODULE_PARM_DESC(peer, "The address its ARP requests ask for");
static unsigned int hold = 15;
module_param(hold, uint, 0444);
MODULE_PARM_DESC(hold, "flood: seconds without a receive buffer posted");
static unsigned int cycles = 6;
module_param(cycles, uint, 0444);
MODULE_PARM_DESC(cycles, "ring: connections whose producer index goes far ahead");

static struct hcall_device *hdev;
static DECLARE_COMPLETION(probed);
static u8 mac[ETH_ALEN], my_ip[4], peer_ip[4];
static int port = -1;
static bool dead;	/* a ring page the backend kept: no more connections */

static struct xen_netif_tx_front_ring tx;
static struct xen_netif_rx_front_ring rx;
static u8 *tx_page, *rx_page;
static int tx_ref = -1, rx_ref = -1;

static u8 *canary, *ro_page, *foreign_page, *arp_page, *junk_page;
static int ro_ref = -1, foreign_ref = -1, outside_ref = -1;

/* Receive buffers: two pages each, the first posted, the second a guard. */
static struct {
	u8 *va;
	int gref;	/* -1 while not granted */
} rxb[NR_RXB];
static s8 rx_buf_at[RX_SIZE];	/* the buffer posted at each ring slot, or -1 */
static u16 rx_id_at[RX_SIZE];	/* and the id it was posted with */

/* Grants of requests never answered: revocable once the backend is Closed. */
static int deferred[64];
static unsigned int nr_deferred;

/* Over every connection, reported at the end. */
static unsigned int grants_held, cut_held, id_mismatch, bad_rsp, close_fail;

/* The frame being built: data slots and extras, as they go on the ring. */
union tx_slot {
	struct xen_netif_tx_request req;
	struct xen_netif_extra_info extra;
};

static struct {
	union tx_slot s[TX_SIZE];
	bool is_extra[TX_SIZE];
	unsigned int n;
	int grants[4];
	unsigned int nr_grants;
} fb;
static u16 next_id;

struct rx_tally {
	unsigned int frames, errors, arp_replies;
};

static void say(const char *name, const char *val)
{
	pr_info("HCALL-NETHOSTILE %s=%s\n", name, val);
}

static void say_n(const char *name, long val)
{
	pr_info("HCALL-NETHOSTILE %s=%ld\n", name, val);
}

static const char *status_name(int st)
{
	static char buf[16];

	switch (st) {
	case XEN_NETIF_RSP_OKAY:
		return "OKAY";
	case XEN_NETIF_RSP_ERROR:
		return "ERROR";
	case XEN_NETIF_RSP_DROPPED:
		return "DROPPED";
	case XEN_NETIF_RSP_NULL:
		return "NULL";
	}
	snprintf(buf, sizeof(buf), "status%d", st);
	return buf;
}

static int grant(void *va, bool readonly)
{
	return hcall_gnttab_grant_access(hdev->otherend_id, PFN_DOWN(__pa(va)), readonly);
}

/* Revoke a grant the backend must have let go of by now; false if it had not. */
static bool revoke(int *ref)
{
	bool ok = true;

	if (*ref < 0)
		return true;
	if (!hcall_gnttab_end_access(*ref)) {
		grants_held++;
		say_n("held-grant", *ref);
		ok = false;
	}
	*ref = -1;
	return ok;
}

/* Revoke every receive buffer's grant: the backend must hold none by now. */
static void rx_release_check(void)
{
	unsigned int b;

	for (b = 0; b < NR_RXB; b++)
		revoke(&rxb[b].gref);
}

static void defer(int ref)
{
	if (ref >= 0 && nr_deferred < ARRAY_SIZE(deferred))
		deferred[nr_deferred++] = ref;
}

/* Responses past rsp_cons, at least @n of them, waited for up to @ms. */
static unsigned int wait_rsp(const RING_IDX *prod, RING_IDX cons, unsigned int n,
			     unsigned int ms)
{
	unsigned long end = jiffies + msecs_to_jiffies(ms);
	unsigned int got;

	for (;;) {
		got = READ_ONCE(*prod) - cons;
		if (got >= n || time_after(jiffies, end))
			break;
		usleep_range(500, 1000);
	}
	virt_rmb();	/* the responses after the index that covers them */
	return min(got, n);
}

/* Connecting and closing */

static void hn_close(void)
{
	enum hcall_state be;
	unsigned int i;

	hcall_bus_switch_state(hdev, HCALL_STATE_CLOSING);
	be = hcall_bus_wait_otherend(hdev, BIT(HCALL_STATE_CLOSED), 10 * HZ);
	if (be != HCALL_STATE_CLOSED) {
		close_fail++;
		say_n("close-backend-state", be);
	}
	/* Closed: the backend let go of the rings and of every page it was given. */
	if (!revoke(&tx_ref) || !revoke(&rx_ref))
		dead = true;
	rx_release_check();
	for (i = 0; i < nr_deferred; i++)
		revoke(&deferred[i]);
	nr_deferred = 0;
	hcall_bus_switch_state(hdev, HCALL_STATE_INITIALISING);
}

/*
 * Fresh rings, published as netfront does (one queue: its nodes in the
 * device directory), what an earlier connection left removed; @spoil may
 * then change the nodes. Switches to Connected and returns the backend's
 * answer: Connected, or Closing when it refuses.
 */
static enum hcall_state hn_offer(int (*spoil)(const char *dir))
{
	static const char *const stale[] = {
		"multi-queue-num-queues", "event-channel-tx", "event-channel-rx", "queue-0",
		"queue-1",
	};
	u32 answered = BIT(HCALL_STATE_CONNECTED) | BIT(HCALL_STATE_CLOSING) |
		       BIT(HCALL_STATE_CLOSED);
	const char *dir = hdev->nodename;
	enum hcall_state be;
	unsigned int i;
	int ret;

	if (dead)
		return HCALL_STATE_UNKNOWN;
	be = hcall_bus_wait_otherend(hdev, BIT(HCALL_STATE_INIT_WAIT), 10 * HZ);
	if (be != HCALL_STATE_INIT_WAIT)
		return be;
	memset(tx_page, 0, PAGE_SIZE);
	memset(rx_page, 0, PAGE_SIZE);
	SHARED_RING_INIT((struct xen_netif_tx_sring *)tx_page);
	FRONT_RING_INIT(&tx, (struct xen_netif_tx_sring *)tx_page, PAGE_SIZE);
	SHARED_RING_INIT((struct xen_netif_rx_sring *)rx_page);
	FRONT_RING_INIT(&rx, (struct xen_netif_rx_sring *)rx_page, PAGE_SIZE);
	memset(rx_buf_at, -1, sizeof(rx_buf_at));
	tx_ref = grant(tx_page, false);
	rx_ref = grant(rx_page, false);
	if (tx_ref < 0 || rx_ref < 0)
		return HCALL_STATE_UNKNOWN;
	for (i = 0, ret = 0; i < ARRAY_SIZE(stale) && (!ret || ret == -ENOENT); i++)
		ret = hcall_store_rm(dir, stale[i]);
	ret = ret == -ENOENT ? 0 : ret;
	ret = ret ?: hcall_store_printf(dir, "tx-ring-ref", "%d", tx_ref);
	ret = ret ?: hcall_store_printf(dir, "rx-ring-ref", "%d", rx_ref);
	ret = ret ?: hcall_store_printf(dir, "event-channel", "%d", port);
	ret = ret ?: hcall_store_printf(dir, "request-rx-copy", "%u", 1);
	ret = ret ?: hcall_store_printf(dir, "feature-rx-notify", "%u", 1);
	ret = ret ?: hcall_store_printf(dir, "feature-sg", "%u", 1);
	/* TCPv4 only: a TCPv6 GSO extra is then one the backend must refuse. */
	ret = ret ?: hcall_store_printf(dir, "feature-gso-tcpv4", "%u", 1);
	ret = ret ?: (spoil ? spoil(dir) : 0);
	ret = ret ?: hcall_bus_switch_state(hdev, HCALL_STATE_CONNECTED);
	if (ret) {
		say_n("store-error", ret);
		return HCALL_STATE_UNKNOWN;
	}
	return hcall_bus_wait_otherend(hdev, answered, 10 * HZ);
}

static int hn_connect(void)
{
	enum hcall_state be;
	int try;

	for (try = 0; try < 3; try++) {
		be = hn_offer(NULL);
		if (be == HCALL_STATE_CONNECTED)
			return 0;
		say_n("connect-backend-state", be);
		if (be != HCALL_STATE_CLOSING && be != HCALL_STATE_CLOSED)
			return -ETIMEDOUT;
		/* Refused (connecting too often, say): close and try again later. */
		hn_close();
		msleep(1000);
	}
	return -ECONNREFUSED;
}

/* Transmit */

static void fb_start(void)
{
	fb.n = 0;
	fb.nr_grants = 0;
}

/* A fresh read-only grant of @page for this frame, revoked once it is answered. */
static int fb_grant(void *page)
{
	int ref = grant(page, true);

	if (ref >= 0 && fb.nr_grants < ARRAY_SIZE(fb.grants))
		fb.grants[fb.nr_grants++] = ref;
	return ref;
}

static void fb_data(u32 gref, u16 offset, u16 size, u16 flags)
{
	struct xen_netif_tx_request *r = &fb.s[fb.n].req;

	memset(&fb.s[fb.n], 0, sizeof(fb.s[0]));
	r->gref = gref;
	r->offset = offset;
	r->size = size;
	r->flags = flags;
	r->id = next_id++;
	fb.is_extra[fb.n++] = false;
}

static void fb_extra(u8 type, u8 flags, u16 gso_size, u8 gso_type)
{
	struct xen_netif_extra_info *x = &fb.s[fb.n].extra;

	memset(&fb.s[fb.n], 0, sizeof(fb.s[0]));
	x->type = type;
	x->flags = flags;
	if (type == XEN_NETIF_EXTRA_TYPE_GSO) {
		x->u.gso.size = gso_size;
		x->u.gso.type = gso_type;
	}
	fb.is_extra[fb.n++] = true;
}

/* The valid frame: an ARP request for the peer, ETH_ZLEN bytes of arp_page. */
static void fb_arp(u16 flags)
{
	fb_start();
	fb_data(fb_grant(arp_page), 0, ETH_ZLEN, flags);
}

/* One slot of the frame for nobody, with extras to follow it. */
static int fb_junk_extra(u16 size)
{
	int g;

	fb_start();
	g = fb_grant(junk_page);
	fb_data(g, 0, size, XEN_NETTXF_extra_info);
	return g;
}

/*
 * Take the answers to the frame just published (@got of them): the id and
 * status of each data slot, NULL for each extra. All data slots answered
 * alike: that status; else "mixed", "partial" or "none".
 */
static const char *tx_collect(unsigned int got)
{
	struct xen_netif_tx_response rsp;
	bool have = false, bad = got < fb.n;
	unsigned int i;
	int st = 0;

	if (READ_ONCE(tx.sring->rsp_prod) - tx.rsp_cons > tx.req_prod_pvt - tx.rsp_cons)
		bad_rsp++;	/* answers to requests never made */
	for (i = 0; i < got; i++) {
		rsp = READ_ONCE(*RING_GET_RESPONSE(&tx, tx.rsp_cons + i));
		if (fb.is_extra[i]) {
			bad |= rsp.status != XEN_NETIF_RSP_NULL;
			continue;
		}
		if (rsp.id != fb.s[i].req.id) {
			id_mismatch++;
			bad = true;
		}
		if (have && rsp.status != st)
			bad = true;
		st = rsp.status;
		have = true;
	}
	tx.rsp_cons += got;
	/* Answered: the backend let go of the pages. Else it must have by Closed. */
	for (i = 0; i < fb.nr_grants; i++) {
		if (got == fb.n)
			revoke(&fb.grants[i]);
		else
			defer(fb.grants[i]);
	}
	if (!got)
		return "none";
	if (bad)
		return got < fb.n ? "partial" : "mixed";
	return status_name(st);
}

/* Publish the frame built, kick, and say what came back within @ms. */
static const char *tx_send(unsigned int ms)
{
	unsigned int i;

	if (RING_FREE_REQUESTS(&tx) < fb.n)
		return "ring-full";
	for (i = 0; i < fb.n; i++)
		memcpy(RING_GET_REQUEST(&tx, tx.req_prod_pvt++), &fb.s[i], sizeof(fb.s[i]));
	RING_PUSH_REQUESTS(&tx);
	hcall_evtchn_send(port);
	return tx_collect(wait_rsp(&tx.sring->rsp_prod, tx.rsp_cons, fb.n, ms));
}

/* A one-slot frame whose grant is @gref (the backend must refuse it). */
static void tx_ref_check(const char *name, u32 gref)
{
	fb_start();
	fb_data(gref, 0, ETH_ZLEN, 0);
	say(name, tx_send(ANSWER_MS));
}

/*
 * After a frame that must cut the queue off (@got: what it had back): no
 * answer to it, nor to a valid frame after it (a ring the frame filled has
 * no room for one). Cut off, the queue's pages are let go of at once:
 * every receive buffer and every frame's grant is revocable before Closed.
 */
static const char *cut_result(const char *got)
{
	unsigned int held = grants_held, i;

	if (strcmp(got, "none"))
		return got;
	if (!RING_FULL(&tx)) {
		fb_arp(0);
		if (strcmp(tx_send(SILENT_MS), "none"))
			return "answered-later";
	}
	rx_release_check();
	for (i = 0; i < nr_deferred; i++)
		revoke(&deferred[i]);
	nr_deferred = 0;
	cut_held += grants_held - held;
	grants_held = held;
	return "cutoff";
}

/* Receive */

static void rx_post(u16 id, u32 gref, int b)
{
	RING_IDX i = rx.req_prod_pvt++;
	struct xen_netif_rx_request *r = RING_GET_REQUEST(&rx, i);

	r->id = id;
	r->pad = 0;
	r->gref = gref;
	rx_buf_at[i % RX_SIZE] = b;
	rx_id_at[i % RX_SIZE] = id;
}

/* Post buffer @b, freshly granted writable, its ring slot as its id (as netfront). */
static void rx_post_buf(int b)
{
	rxb[b].gref = grant(rxb[b].va, false);
	rx_post(rx.req_prod_pvt % RX_SIZE, rxb[b].gref, b);
}

static void rx_push(void)
{
	RING_PUSH_REQUESTS(&rx);
	hcall_evtchn_send(port);
}

/* Post the first @n buffers not posted yet. */
static void rx_fill(unsigned int n)
{
	unsigned int b;

	for (b = 0; b < NR_RXB && n; b++)
		if (rxb[b].gref < 0) {
			rx_post_buf(b);
			n--;
		}
	rx_push();
}

/* The request at ring index @i is answered: its buffer's grant goes. */
static void rx_done(RING_IDX i)
{
	int b = rx_buf_at[i % RX_SIZE];

	if (b >= 0)
		revoke(&rxb[b].gref);
	rx_buf_at[i % RX_SIZE] = -1;
}

/* Take @n answers, each checked against its request; "ERROR" if all are. */
static const char *rx_take(unsigned int n)
{
	struct xen_netif_rx_response rsp;
	unsigned int got, i;
	bool all_error = true;

	got = wait_rsp(&rx.sring->rsp_prod, rx.rsp_cons, n, ANSWER_MS);
	for (i = 0; i < got; i++) {
		rsp = READ_ONCE(*RING_GET_RESPONSE(&rx, rx.rsp_cons));
		if (rsp.id != rx_id_at[rx.rsp_cons % RX_SIZE]) {
			id_mismatch++;
			all_error = false;
		}
		all_error &= rsp.status == XEN_NETIF_RSP_ERROR;
		rx_done(rx.rsp_cons++);
	}
	if (!got)
		return "none";
	if (got < n)
		return "partial";
	return all_error ? "ERROR" : "mixed";
}

/* One request whose id or grant the backend must refuse. */
static const char *rx_bad(u16 id, u32 gref, int b)
{
	rx_post(id, gref, b);
	rx_push();
	return rx_take(1);
}

static bool is_arp_reply(const u8 *p, unsigned int len)
{
	return len >= 42 && !memcmp(p, mac, ETH_ALEN) && get_unaligned_be16(p + 12) == ETH_P_ARP &&
	       get_unaligned_be16(p + 20) == ARPOP_REPLY && !memcmp(p + 28, peer_ip, 4);
}

/* Take the frames that come in @ms, posting each buffer again once answered. */
static void rx_receive(unsigned int ms, struct rx_tally *t)
{
	unsigned long end = jiffies + msecs_to_jiffies(ms);
	bool first = true, extra = false;
	union {
		struct xen_netif_rx_response rsp;
		struct xen_netif_extra_info x;
	} u;
	RING_IDX i;
	int b;

	while (time_before(jiffies, end)) {
		if (READ_ONCE(rx.sring->rsp_prod) == rx.rsp_cons) {
			usleep_range(500, 1000);
			continue;
		}
		virt_rmb();	/* the response after the index that covers it */
		i = rx.rsp_cons++;
		u.rsp = READ_ONCE(*RING_GET_RESPONSE(&rx, i));
		b = rx_buf_at[i % RX_SIZE];
		if (extra) {
			/* An extra-info slot: it used up the buffer posted there. */
			extra = u.x.flags & XEN_NETIF_EXTRA_FLAG_MORE;
		} else if (u.rsp.status < 0) {
			t->errors++;
			first = true;
		} else {
			if (u.rsp.id != rx_id_at[i % RX_SIZE])
				id_mismatch++;
			if (!u.rsp.status || u.rsp.offset + u.rsp.status > PAGE_SIZE)
				bad_rsp++;
			else if (first && b >= 0 &&
				 is_arp_reply(rxb[b].va + u.rsp.offset, u.rsp.status))
				t->arp_replies++;
			extra = first && (u.rsp.flags & XEN_NETRXF_extra_info);
			first = !(u.rsp.flags & XEN_NETRXF_more_data);
			t->frames += first;
		}
		rx_done(i);
		if (b >= 0) {
			rx_post_buf(b);
			rx_push();
		}
	}
}

/* The attacks that cut the queue off, each building and sending its frame */

static const char *cut_19_slots(void)
{
	int g, k;

	fb_start();
	g = fb_grant(junk_page);
	fb_data(g, 0, (MAX_SLOTS + 1) * 60, XEN_NETTXF_more_data);
	for (k = 1; k <= MAX_SLOTS; k++)
		fb_data(g, 64 * k, 60, k < MAX_SLOTS ? XEN_NETTXF_more_data : 0);
	return tx_send(SILENT_MS);
}

/* Every slot of the ring says more data follows. */
static const char *cut_chain_to_ring_end(void)
{
	int g, k;

	fb_start();
	g = fb_grant(junk_page);
	for (k = 0; k < TX_SIZE; k++)
		fb_data(g, 0, 60, XEN_NETTXF_more_data);
	return tx_send(SILENT_MS);
}

/* A frame whose last slot is published only after a while. */
static const char *cut_unpublished(void)
{
	const char *got;
	int g;

	fb_start();
	g = fb_grant(junk_page);
	fb_data(g, 0, 240, XEN_NETTXF_more_data);
	fb_data(g, 1024, 60, XEN_NETTXF_more_data);
	fb_data(g, 2048, 60, XEN_NETTXF_more_data);
	got = tx_send(SILENT_MS);
	if (strcmp(got, "none"))
		return got;
	fb_start();
	fb_data(g, 3072, 60, 0);	/* g is revoked at Closed */
	return tx_send(SILENT_MS);
}

static const char *cut_first_past_page(void)
{
	fb_start();
	fb_data(fb_grant(junk_page), 4000, 200, 0);
	return tx_send(SILENT_MS);
}

static const char *cut_later_past_page(void)
{
	int g;

	fb_start();
	g = fb_grant(junk_page);
	fb_data(g, 0, 260, XEN_NETTXF_more_data);
	fb_data(g, 4000, 200, 0);
	return tx_send(SILENT_MS);
}

static const char *cut_oversized_slot(void)
{
	int g;

	fb_start();
	g = fb_grant(junk_page);
	fb_data(g, 0, 60 + 8192, XEN_NETTXF_more_data);
	fb_data(g, 0, 8192, 0);
	return tx_send(SILENT_MS);
}

static const char *cut_one_slot_65535(void)
{
	fb_start();
	fb_data(fb_grant(junk_page), 0, 65535, 0);
	return tx_send(SILENT_MS);
}

static const char *cut_extra_type0(void)
{
	fb_junk_extra(ETH_ZLEN);
	fb_extra(XEN_NETIF_EXTRA_TYPE_NONE, 0, 0, 0);
	return tx_send(SILENT_MS);
}

/* Type 5 (XDP) is past the types this backend knows, as 0xee is past all. */
static const char *cut_extra_xdp(void)
{
	fb_junk_extra(ETH_ZLEN);
	fb_extra(5, 0, 0, 0);
	return tx_send(SILENT_MS);
}

static const char *cut_extra_unknown(void)
{
	fb_junk_extra(ETH_ZLEN);
	fb_extra(0xee, 0, 0, 0);
	return tx_send(SILENT_MS);
}

/* One extra more than there are types, each saying another follows. */
static const char *cut_extra_chain(void)
{
	fb_junk_extra(1500);
	fb_extra(XEN_NETIF_EXTRA_TYPE_GSO, XEN_NETIF_EXTRA_FLAG_MORE, 1000,
		 XEN_NETIF_GSO_TYPE_TCPV4);
	fb_extra(XEN_NETIF_EXTRA_TYPE_MCAST_ADD, XEN_NETIF_EXTRA_FLAG_MORE, 0, 0);
	fb_extra(XEN_NETIF_EXTRA_TYPE_MCAST_DEL, XEN_NETIF_EXTRA_FLAG_MORE, 0, 0);
	fb_extra(XEN_NETIF_EXTRA_TYPE_HASH, XEN_NETIF_EXTRA_FLAG_MORE, 0, 0);
	fb_extra(XEN_NETIF_EXTRA_TYPE_MCAST_ADD, 0, 0, 0);
	return tx_send(SILENT_MS);
}

static const char *cut_gso_bad_type(void)
{
	fb_junk_extra(1500);
	fb_extra(XEN_NETIF_EXTRA_TYPE_GSO, 0, 1000, 7);
	return tx_send(SILENT_MS);
}

static const char *cut_gso_size0(void)
{
	fb_junk_extra(1500);
	fb_extra(XEN_NETIF_EXTRA_TYPE_GSO, 0, 0, XEN_NETIF_GSO_TYPE_TCPV4);
	return tx_send(SILENT_MS);
}

/* A producer index a ring ahead, for long enough to be seen, then put back. */
static const char *cut_tx_prod(void)
{
	WRITE_ONCE(tx.sring->req_prod, tx.req_prod_pvt + 1000);
	hcall_evtchn_send(port);
	msleep(1000);
	WRITE_ONCE(tx.sring->req_prod, tx.req_prod_pvt);
	return "none";
}

static const char *cut_rx_prod(void)
{
	WRITE_ONCE(rx.sring->req_prod, rx.req_prod_pvt + 1000);
	hcall_evtchn_send(port);
	msleep(1000);
	WRITE_ONCE(rx.sring->req_prod, rx.req_prod_pvt);
	return "none";
}

/*
 * A connection of its own: receive buffers posted (the backend maps them,
 * and must let go when it cuts the queue off), a valid frame answered OKAY,
 * then the attack; "cutoff" if neither it nor a valid frame after it is
 * answered. The grants are checked at Closed.
 */
static const char *cut_run(const char *(*attack_fn)(void))
{
	const char *got;

	msleep(300);	/* after a burst the shim takes 4 connects a second */
	if (hn_connect())
		return "no-connection";
	rx_fill(MAX_SLOTS);
	fb_arp(0);
	got = tx_send(ANSWER_MS);
	if (strcmp(got, "OKAY"))
		got = "valid-frame-not-okay";
	else
		got = cut_result(attack_fn());
	hn_close();
	return got;
}

/* The handshake: nodes the backend must refuse, each on a connection of its own */

static int spoil_no_rx_copy(const char *dir)
{
	return hcall_store_rm(dir, "request-rx-copy");
}

static int spoil_rx_copy_0(const char *dir)
{
	return hcall_store_printf(dir, "request-rx-copy", "%u", 0);
}

static int spoil_same_ref(const char *dir)
{
	return hcall_store_printf(dir, "rx-ring-ref", "%d", tx_ref);
}

static int spoil_ref_bad(const char *dir)
{
	return hcall_store_printf(dir, "tx-ring-ref", "%d", BAD_REF);
}

static int spoil_ref_garbage(const char *dir)
{
	return hcall_store_printf(dir, "tx-ring-ref", "%s", "-5");
}

static int spoil_ref_foreign(const char *dir)
{
	return hcall_store_printf(dir, "tx-ring-ref", "%d", foreign_ref);
}

static int spoil_ref_readonly(const char *dir)
{
	return hcall_store_printf(dir, "rx-ring-ref", "%d", ro_ref);
}

static int spoil_ref_outside(const char *dir)
{
	return hcall_store_printf(dir, "tx-ring-ref", "%d", outside_ref);
}

static int spoil_port_0(const char *dir)
{
	return hcall_store_printf(dir, "event-channel", "%u", 0);
}

static int spoil_port_unknown(const char *dir)
{
	return hcall_store_printf(dir, "event-channel", "%u", 4095);
}

static int spoil_split_same_port(const char *dir)
{
	int ret = hcall_store_rm(dir, "event-channel");

	ret = ret ?: hcall_store_printf(dir, "event-channel-tx", "%d", port);
	return ret ?: hcall_store_printf(dir, "event-channel-rx", "%d", port);
}

static int spoil_queues_0(const char *dir)
{
	return hcall_store_printf(dir, "multi-queue-num-queues", "%u", 0);
}

static int spoil_queues_3(const char *dir)
{
	return hcall_store_printf(dir, "multi-queue-num-queues", "%u", 3);
}

/* Two queues, and the nodes of the first only: it attaches, then must go. */
static int spoil_queue_1_missing(const char *dir)
{
	char q[64];
	int ret;

	snprintf(q, sizeof(q), "%s/queue-0", dir);
	ret = hcall_store_printf(q, "tx-ring-ref", "%d", tx_ref);
	ret = ret ?: hcall_store_printf(q, "rx-ring-ref", "%d", rx_ref);
	ret = ret ?: hcall_store_printf(q, "event-channel", "%d", port);
	return ret ?: hcall_store_printf(dir, "multi-queue-num-queues", "%u", 2);
}

static int spoil_no_sg(const char *dir)
{
	return hcall_store_printf(dir, "feature-sg", "%u", 0);
}

/* Offer rings with @spoil's nodes: "refused" (Closing, with an error node) or "connected". */
static const char *hs_offer(const char *name, int (*spoil)(const char *dir))
{
	enum hcall_state be;
	const char *got;
	char *why;

	msleep(300);
	be = hn_offer(spoil);
	if (be == HCALL_STATE_CONNECTED)
		return "connected";
	if (be != HCALL_STATE_CLOSING)
		return "no-answer";
	why = hcall_store_read_str(hdev->otherend, "error");
	if (IS_ERR(why))
		return "closing-without-error";
	pr_info("HCALL-NETHOSTILE-WHY %s: %s\n", name, why);
	got = strstr(why, "too often") ? "rate-limited" : "refused";
	kfree(why);
	return got;
}

static void hs_case(const char *name, int (*spoil)(const char *dir))
{
	const char *got = hs_offer(name, spoil);

	if (!strcmp(got, "connected")) {
		fb_arp(0);
		if (strcmp(tx_send(ANSWER_MS), "OKAY"))
			got = "connected-not-sending";
	}
	say(name, got);
	hn_close();
}

static void attack_handshake(void)
{
	int g;

	hs_case("hs-no-rx-copy", spoil_no_rx_copy);
	hs_case("hs-rx-copy-0", spoil_rx_copy_0);
	hs_case("hs-same-ring-ref", spoil_same_ref);
	hs_case("hs-ring-ref-bad", spoil_ref_bad);
	hs_case("hs-ring-ref-garbage", spoil_ref_garbage);
	hs_case("hs-ring-ref-foreign", spoil_ref_foreign);
	hs_case("hs-ring-ref-readonly", spoil_ref_readonly);
	hs_case("hs-ring-ref-outside-ram", spoil_ref_outside);
	hs_case("hs-port-0", spoil_port_0);
	hs_case("hs-port-unknown", spoil_port_unknown);
	hs_case("hs-split-same-port", spoil_split_same_port);
	hs_case("hs-queues-0", spoil_queues_0);
	hs_case("hs-queues-too-many", spoil_queues_3);
	hs_case("hs-queue-1-missing", spoil_queue_1_missing);
	/* GSO without SG is not refused: the shim drops GSO, netback checks for both. */
	say("hs-gso-without-sg", hs_offer("hs-gso-without-sg", spoil_no_sg));
	if (READ_ONCE(hdev->otherend_state) == HCALL_STATE_CONNECTED) {
		fb_start();
		g = fb_grant(junk_page);
		fb_data(g, 0, 120, XEN_NETTXF_more_data);
		fb_data(g, 1024, 60, 0);
		say("hs-no-sg-two-slots", tx_send(ANSWER_MS));
		fb_junk_extra(1500);
		fb_extra(XEN_NETIF_EXTRA_TYPE_GSO, 0, 1000, XEN_NETIF_GSO_TYPE_TCPV4);
		say("hs-no-sg-gso", tx_send(ANSWER_MS));
		fb_arp(0);
		say("hs-no-sg-valid", tx_send(ANSWER_MS));
	}
	hn_close();
	hs_case("hs-valid", NULL);
}

/* The groups */

static void attack_tx(void)
{
	int g, k;

	if (hn_connect()) {
		say("tx", "no-connection");
		return;
	}
	fb_arp(0);
	say("tx-valid", tx_send(ANSWER_MS));
	fb_arp(0);
	fb.s[0].req.id = 0xffff;	/* netfront numbers by slot; the backend only echoes */
	say("tx-id-garbage", tx_send(ANSWER_MS));

	tx_ref_check("tx-gref-out-of-range", BAD_REF);
	tx_ref_check("tx-gref-max", U32_MAX);
	tx_ref_check("tx-gref-reserved", 0);
	g = grant(arp_page, true);
	hcall_gnttab_end_access(g);
	tx_ref_check("tx-gref-revoked", g);
	tx_ref_check("tx-gref-foreign", foreign_ref);
	tx_ref_check("tx-gref-outside-ram", outside_ref);
	/* The first two slots map: they must be let go of with the third refused. */
	fb_start();
	g = fb_grant(junk_page);
	fb_data(g, 0, 180, XEN_NETTXF_more_data);
	fb_data(g, 1024, 60, XEN_NETTXF_more_data);
	fb_data(foreign_ref, 0, 60, 0);
	say("tx-gref-foreign-third-slot", tx_send(ANSWER_MS));

	fb_start();
	fb_data(fb_grant(junk_page), 0, 0, 0);
	say("tx-empty-frame", tx_send(ANSWER_MS));
	fb_start();
	g = fb_grant(junk_page);
	fb_data(g, 0, 120, XEN_NETTXF_more_data);
	fb_data(g, 1024, 0, XEN_NETTXF_more_data);
	fb_data(g, 2048, 60, 0);
	say("tx-empty-later-slot", tx_send(ANSWER_MS));
	fb_start();
	fb_data(fb_grant(junk_page), 0, ETH_HLEN - 1, 0);
	say("tx-runt", tx_send(ANSWER_MS));
	fb_start();
	g = fb_grant(junk_page);
	fb_data(g, 0, 100, XEN_NETTXF_more_data);
	fb_data(g, 1024, 60, XEN_NETTXF_more_data);
	fb_data(g, 2048, 60, 0);
	say("tx-later-slots-exceed-size", tx_send(ANSWER_MS));

	/* The largest frames allowed: 18 slots; 65535 bytes (4095 + 15 pages). */
	fb_start();
	g = fb_grant(junk_page);
	fb_data(g, 0, MAX_SLOTS * 60, XEN_NETTXF_more_data);
	for (k = 1; k < MAX_SLOTS; k++)
		fb_data(g, 64 * k, 60, k + 1 < MAX_SLOTS ? XEN_NETTXF_more_data : 0);
	say("tx-18-slots", tx_send(ANSWER_MS));
	fb_start();
	g = fb_grant(junk_page);
	fb_data(g, 0, 65535, XEN_NETTXF_more_data);
	for (k = 1; k <= 15; k++)
		fb_data(g, 0, PAGE_SIZE, k < 15 ? XEN_NETTXF_more_data : 0);
	say("tx-65535-bytes", tx_send(ANSWER_MS));

	fb_junk_extra(1500);
	fb_extra(XEN_NETIF_EXTRA_TYPE_GSO, 0, 1000, XEN_NETIF_GSO_TYPE_TCPV6);
	say("tx-gso-not-negotiated", tx_send(ANSWER_MS));
	fb_junk_extra(1500);
	fb_extra(XEN_NETIF_EXTRA_TYPE_GSO, 0, 1500, XEN_NETIF_GSO_TYPE_TCPV4);
	say("tx-gso-size-not-below-frame", tx_send(ANSWER_MS));
	fb_junk_extra(1500);
	fb_extra(XEN_NETIF_EXTRA_TYPE_GSO, 0, 1000, XEN_NETIF_GSO_TYPE_TCPV4);
	say("tx-gso-not-tcp", tx_send(ANSWER_MS));
	fb_arp(XEN_NETTXF_csum_blank);
	say("tx-csum-blank-not-ip", tx_send(ANSWER_MS));
	fb_junk_extra(1500);
	fb_extra(XEN_NETIF_EXTRA_TYPE_GSO, XEN_NETIF_EXTRA_FLAG_MORE, 1000,
		 XEN_NETIF_GSO_TYPE_TCPV4);
	fb_extra(XEN_NETIF_EXTRA_TYPE_GSO, 0, 1000, XEN_NETIF_GSO_TYPE_TCPV4);
	say("tx-gso-extra-twice", tx_send(ANSWER_MS));
	fb_junk_extra(ETH_ZLEN);
	fb_extra(XEN_NETIF_EXTRA_TYPE_MCAST_ADD, 0, 0, 0);
	say("tx-extra-mcast", tx_send(ANSWER_MS));
	fb_junk_extra(ETH_ZLEN);
	fb_extra(XEN_NETIF_EXTRA_TYPE_HASH, 0, 0, 0);
	say("tx-extra-hash", tx_send(ANSWER_MS));
	/* The longest chain allowed: one extra of each type. */
	fb_junk_extra(1500);
	fb_extra(XEN_NETIF_EXTRA_TYPE_GSO, XEN_NETIF_EXTRA_FLAG_MORE, 1000,
		 XEN_NETIF_GSO_TYPE_TCPV4);
	fb_extra(XEN_NETIF_EXTRA_TYPE_MCAST_ADD, XEN_NETIF_EXTRA_FLAG_MORE, 0, 0);
	fb_extra(XEN_NETIF_EXTRA_TYPE_MCAST_DEL, XEN_NETIF_EXTRA_FLAG_MORE, 0, 0);
	fb_extra(XEN_NETIF_EXTRA_TYPE_HASH, 0, 0, 0);
	say("tx-four-extras", tx_send(ANSWER_MS));

	fb_arp(0);
	say("tx-valid-after", tx_send(ANSWER_MS));
	hn_close();
}

static void attack_txcut(void)
{
	say("tx-19-slots", cut_run(cut_19_slots));
	say("tx-chain-to-ring-end", cut_run(cut_chain_to_ring_end));
	say("tx-chain-unpublished", cut_run(cut_unpublished));
	say("tx-first-slot-past-page", cut_run(cut_first_past_page));
	say("tx-later-slot-past-page", cut_run(cut_later_past_page));
	say("tx-oversized-slot", cut_run(cut_oversized_slot));
	say("tx-one-slot-65535", cut_run(cut_one_slot_65535));
	say("tx-extra-type0", cut_run(cut_extra_type0));
	say("tx-extra-xdp", cut_run(cut_extra_xdp));
	say("tx-extra-unknown", cut_run(cut_extra_unknown));
	say("tx-extra-chain-too-long", cut_run(cut_extra_chain));
	say("tx-gso-bad-type", cut_run(cut_gso_bad_type));
	say("tx-gso-size0", cut_run(cut_gso_size0));
	say("tx-req-prod-ahead", cut_run(cut_tx_prod));
}

static void attack_rx(void)
{
	struct rx_tally t = {};
	int g;

	msleep(300);
	if (hn_connect()) {
		say("rx", "no-connection");
		return;
	}
	say("rx-gref-out-of-range", rx_bad(rx.req_prod_pvt % RX_SIZE, BAD_REF, -1));
	say("rx-gref-reserved", rx_bad(rx.req_prod_pvt % RX_SIZE, 0, -1));
	g = grant(rxb[0].va, false);
	hcall_gnttab_end_access(g);
	say("rx-gref-revoked", rx_bad(rx.req_prod_pvt % RX_SIZE, g, -1));
	say("rx-gref-foreign", rx_bad(rx.req_prod_pvt % RX_SIZE, foreign_ref, -1));
	say("rx-gref-readonly", rx_bad(rx.req_prod_pvt % RX_SIZE, ro_ref, -1));
	say("rx-gref-outside-ram", rx_bad(rx.req_prod_pvt % RX_SIZE, outside_ref, -1));
	rxb[0].gref = grant(rxb[0].va, false);
	say("rx-id-garbage", rx_bad(0xffff, rxb[0].gref, 0));
	rxb[0].gref = grant(rxb[0].va, false);
	say("rx-id-ring-size", rx_bad(RX_SIZE, rxb[0].gref, 0));
	/* Two good buffers, then a bad one: all three answered ERROR, in order. */
	rx_post_buf(0);
	rx_post_buf(1);
	rx_post(rx.req_prod_pvt % RX_SIZE, foreign_ref, -1);
	rx_push();
	say("rx-bad-after-good", rx_take(3));

	/* The queue still receives: the peer's answer to an ARP request comes in. */
	rx_fill(NR_RXB);
	fb_arp(0);
	say("rx-tx-valid", tx_send(ANSWER_MS));
	rx_receive(3000, &t);
	say_n("rx-arp-reply", !!t.arp_replies);
	say_n("rx-error-frames", t.errors);
	hn_close();
	say("rx-req-prod-ahead", cut_run(cut_rx_prod));
}

static void attack_ring(void)
{
	unsigned int c, before = 0, cut = 0;
	const char *got;

	say("ring-phase", "begin");
	for (c = 0; c < cycles; c++) {
		msleep(300);
		if (hn_connect())
			break;
		rx_fill(MAX_SLOTS);
		fb_arp(0);
		before += !strcmp(tx_send(ANSWER_MS), "OKAY");
		got = cut_result(c % 2 ? cut_rx_prod() : cut_tx_prod());
		cut += !strcmp(got, "cutoff");
		hn_close();
	}
	say_n("ring-cycles", c);
	say_n("ring-okay-before", before);
	say_n("ring-cutoffs", cut);
	say("ring-phase", "end");
}

static void attack_flood(void)
{
	unsigned int sent = 0, okay = 0;
	unsigned long end;
	struct rx_tally t = {};

	msleep(300);
	if (hn_connect()) {
		say("flood", "no-connection");
		return;
	}
	fb_arp(0);	/* and the bridge learns where this MAC is */
	say("flood-tx-before", tx_send(ANSWER_MS));
	say("flood-hold", "begin");
	end = jiffies + hold * HZ;
	while (time_before(jiffies, end)) {
		msleep(1000);
		fb_arp(0);
		sent++;
		okay += !strcmp(tx_send(ANSWER_MS), "OKAY");
	}
	/* No buffer posted: no answer may be either. */
	say_n("flood-rx-rsp-during-hold", READ_ONCE(rx.sring->rsp_prod));
	say("flood-hold", "end");
	say_n("flood-tx-during-hold", sent);
	say_n("flood-tx-okay-during-hold", okay);
	/* The host stops flooding when it sees the end: take what the TAP kept. */
	msleep(2000);
	rx_fill(NR_RXB);
	rx_receive(3000, &t);
	say_n("flood-rx-after", t.frames);
	say_n("flood-rx-error-frames", t.errors);
	fb_arp(0);
	say("flood-tx-after", tx_send(ANSWER_MS));
	hn_close();
}

static const struct {
	const char *name;
	void (*run)(void);
} groups[] = {
	{ "handshake", attack_handshake },
	{ "tx", attack_tx },
	{ "txcut", attack_txcut },
	{ "rx", attack_rx },
	{ "ring", attack_ring },
	{ "flood", attack_flood },
};

static void run_group(const char *name)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(groups); i++)
		if (!strcmp(name, groups[i].name)) {
			groups[i].run();
			return;
		}
	say("unknown-group", name);
}

/* Setup */

static void build_frames(void)
{
	static const u8 nobody[ETH_ALEN] = { 0x02, 0, 0, 0, 0, 0x01 };
	u8 *p = arp_page;

	/* Who has the peer's address? Broadcast, from this end's MAC. */
	eth_broadcast_addr(p);
	memcpy(p + ETH_ALEN, mac, ETH_ALEN);
	put_unaligned_be16(ETH_P_ARP, p + 12);
	put_unaligned_be16(ARPHRD_ETHER, p + 14);
	put_unaligned_be16(ETH_P_IP, p + 16);
	p[18] = ETH_ALEN;
	p[19] = 4;
	put_unaligned_be16(ARPOP_REQUEST, p + 20);
	memcpy(p + 22, mac, ETH_ALEN);
	memcpy(p + 28, my_ip, 4);
	memcpy(p + 38, peer_ip, 4);
	/* A frame for nobody: a unicast address no port has, a type no one parses. */
	p = junk_page;
	memcpy(p, nobody, ETH_ALEN);
	memcpy(p + ETH_ALEN, mac, ETH_ALEN);
	put_unaligned_be16(ETH_P_NOBODY, p + 12);
}

static int setup_pages(void)
{
	u8 **pages[] = { &canary, &ro_page, &foreign_page, &arp_page, &junk_page, &tx_page,
			 &rx_page };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(pages); i++) {
		*pages[i] = (u8 *)get_zeroed_page(GFP_KERNEL);
		if (!*pages[i])
			return -ENOMEM;
	}
	for (i = 0; i < NR_RXB; i++) {
		rxb[i].va = (u8 *)__get_free_pages(GFP_KERNEL | __GFP_ZERO, 1);
		if (!rxb[i].va)
			return -ENOMEM;
		memset(rxb[i].va + PAGE_SIZE, GUARD_FILL, PAGE_SIZE);
		rxb[i].gref = -1;
	}
	memset(canary, CANARY, PAGE_SIZE);
	memset(ro_page, RO_FILL, PAGE_SIZE);
	memset(foreign_page, FOREIGN_FILL, PAGE_SIZE);
	return 0;
}

static const char *intact(const u8 *p, int fill)
{
	return memchr_inv(p, fill, PAGE_SIZE) ? "touched" : "intact";
}

static void final_checks(void)
{
	unsigned int i, guards = 0;

	for (i = 0; i < NR_RXB; i++)
		guards += !!memchr_inv(rxb[i].va + PAGE_SIZE, GUARD_FILL, PAGE_SIZE);
	say("canary", intact(canary, CANARY));
	say("readonly-page", intact(ro_page, RO_FILL));
	say("foreign-page", intact(foreign_page, FOREIGN_FILL));
	say_n("rx-guard-pages-touched", guards);
	say_n("readonly-grant-revocable", hcall_gnttab_end_access(ro_ref));
	say_n("foreign-grant-revocable", hcall_gnttab_end_access(foreign_ref));
	say_n("outside-grant-revocable", hcall_gnttab_end_access(outside_ref));
	say_n("grants-held", grants_held);
	say_n("grants-held-after-cutoff", cut_held);
	say_n("id-mismatch", id_mismatch);
	say_n("bad-rsp", bad_rsp);
	say_n("close-fail", close_fail);
}

static int hostile_probe(struct hcall_device *dev)
{
	char *s;
	int ret = 0;

	if (strcmp(dev->nodename, "device/vif/0"))
		return -ENODEV;	/* vif 0 only: any other stays for hnetfront */
	s = hcall_store_read_str(dev->nodename, "mac");
	if (IS_ERR(s))
		return PTR_ERR(s);
	if (!mac_pton(s, mac))
		ret = -EINVAL;
	kfree(s);
	if (ret)
		return ret;
	hdev = dev;
	complete(&probed);
	return 0;
}

static void hostile_remove(struct hcall_device *dev)
{
	/* The pages stay allocated and granted: the backend may hold them. */
}

static const char *const hostile_types[] = { "vif", NULL };

static struct hcall_driver hostile_driver = {
	.types = hostile_types,
	.probe = hostile_probe,
	.remove = hostile_remove,
	.driver.name = "hcall_nethostile",
};

static int __init hostile_init(void)
{
	char *list, *rest, *name;
	int ret;

	if (!in4_pton(ip, -1, my_ip, -1, NULL) || !in4_pton(peer, -1, peer_ip, -1, NULL))
		return -EINVAL;
	ret = setup_pages();
	if (ret)
		return ret;	/* what was allocated is leaked: a test module */
	ret = hcall_driver_register(&hostile_driver);
	if (ret)
		return ret;
	if (!wait_for_completion_timeout(&probed, 10 * HZ)) {
		say("probed", "0");
		return 0;
	}
	port = hcall_evtchn_alloc();
	ro_ref = grant(ro_page, true);
	foreign_ref = hcall_gnttab_grant_access(FOREIGN_DOMID, PFN_DOWN(__pa(foreign_page)), false);
	/* Writable, so that only where it points can be wrong with it. */
	outside_ref = hcall_gnttab_grant_access(hdev->otherend_id, OUTSIDE_GFN, false);
	if (port <= 0 || ro_ref < 0 || foreign_ref < 0 || outside_ref < 0) {
		say("setup", "failed");
		return 0;
	}
	build_frames();
	list = kstrdup(attack, GFP_KERNEL);
	for (rest = list; list && (name = strsep(&rest, ","));)
		run_group(name);
	kfree(list);
	final_checks();
	say("done", "1");
	return 0;
}
module_init(hostile_init);

static void __exit hostile_exit(void)
{
	hcall_driver_unregister(&hostile_driver);
}
module_exit(hostile_exit);

MODULE_DESCRIPTION("hcall test: a hostile netif frontend");
MODULE_LICENSE("GPL");
