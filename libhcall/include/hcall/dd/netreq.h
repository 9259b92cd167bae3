/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * netif tx requests (Xen's io/netif.h) as the network backend sees them:
 * the caller copies ring slots out of the shared ring exactly once, into a
 * private array; the parser finds where the first frame in it ends and
 * checks it from that copy only (docs/netif.md, "TX").
 *
 * A refused frame is either one the ring can go on from (its slots are
 * known: each is answered, ERROR or NULL for an extra) or one it cannot:
 * the frontend broke the ring's structure or did what Xen's netback treats
 * as malicious, and the ring is cut off.
 */
#ifndef HCALL_NETREQ_H
#define HCALL_NETREQ_H

#include <stdint.h>
#include "hcall/xenring.h"
#include <xen/io/netif.h>

#define HC_NET_PAGE		4096u
#define HC_NET_ETH_HLEN		14u
/* Data slots per frame: Linux netback's XEN_NETBK_LEGACY_SLOTS_MAX. */
#define HC_NET_MAX_SLOTS	XEN_NETIF_NR_SLOTS_MIN
/* Extras per frame: at most one of each type the protocol defines. */
#define HC_NET_MAX_EXTRAS	(XEN_NETIF_EXTRA_TYPE_MAX - 1)
/* Ring slots the largest acceptable frame takes: enough to judge any frame. */
#define HC_NET_MAX_REQS		(HC_NET_MAX_SLOTS + HC_NET_MAX_EXTRAS)

/* What the backend offers; frames are checked against it. */
struct hc_net_limits {
	uint32_t max_frame;	/* bytes of a non-GSO frame (mtu + 14), at most 0xffff */
	int sg;			/* frames may take several data slots */
	unsigned int gso_types;	/* 1u << XEN_NETIF_GSO_TYPE_* for each type offered */
};

/* Why a frame was refused: the *_FATAL ones cut the ring off. */
enum hc_net_why {
	HC_NET_OK,
	/* Fatal: the ring cannot be trusted past this frame. */
	HC_NET_INCOMPLETE,	/* the frame goes on past the published requests */
	HC_NET_TOO_MANY_SLOTS,	/* more than HC_NET_MAX_SLOTS data slots */
	HC_NET_EXTRA_CHAIN,	/* more extras than there are types */
	HC_NET_EXTRA_TYPE,	/* an extra of type NONE or one not defined */
	HC_NET_GSO_BAD,		/* a GSO extra of an undefined type or size 0 */
	HC_NET_PAGE_BOUND,	/* offset + size past the end of the page */
	HC_NET_NR_FATAL,
	/* The frame alone: each of its slots is answered with an error. */
	HC_NET_EXTRA_UNOFFERED = HC_NET_NR_FATAL,	/* multicast, hash: not offered */
	HC_NET_EXTRA_TWICE,	/* two extras of one type */
	HC_NET_GSO_UNOFFERED,	/* a GSO type not negotiated */
	HC_NET_GSO_SIZE,	/* GSO size not below the frame's */
	HC_NET_NO_SG,		/* several data slots without feature-sg */
	HC_NET_EMPTY_SLOT,	/* a data slot with no bytes of its own */
	HC_NET_SIZE_SUM,	/* the later slots hold more than the first slot's size */
	HC_NET_RUNT,		/* shorter than an Ethernet header */
	HC_NET_TOO_BIG,		/* longer than max_frame (without GSO) */
	HC_NET_NR_WHY,
};

/* A frame as the backend serves it: nothing in it points at shared memory. */
struct hc_net_frame {
	unsigned int nr_reqs;	/* ring slots it takes, extras included */
	uint32_t extra_mask;	/* bit i: request i is an extra (answered NULL) */
	unsigned int nr_slots;	/* data slots */
	struct {
		grant_ref_t gref;
		uint16_t offset;
		uint16_t size;	/* this slot's own bytes (the first's: size - the rest) */
	} slot[HC_NET_MAX_SLOTS];
	uint32_t len;		/* the frame: the sum of the slots' bytes */
	int csum_blank;		/* NETTXF_csum_blank: the L4 checksum is ours to have done */
	int data_validated;	/* NETTXF_data_validated */
	uint8_t gso_type;	/* XEN_NETIF_GSO_TYPE_*; NONE without a GSO extra */
	uint16_t gso_size;
	/* When refused: which request (index into the array) and why. */
	unsigned int bad_req;
	enum hc_net_why why;
};

/* Copy one ring slot (hostile, may change under us) into @out; no checks. */
void hc_netreq_copy(const volatile void *slot, netif_tx_request_t *out);
/*
 * Parse and check the frame starting at @req[0], out of @n private copies
 * of consecutive ring slots (all published: pass min(published,
 * HC_NET_MAX_REQS)). Returns 0 with @f filled in; -EINVAL for a frame
 * refused alone (f->nr_reqs slots to answer, f->extra_mask saying which of
 * them are extras); -EPROTO when the ring must be cut off. f->bad_req and
 * f->why say which request was wrong and how.
 */
int hc_netreq_parse(const netif_tx_request_t *req, unsigned int n,
		    const struct hc_net_limits *lim, struct hc_net_frame *f);
/* A few words on @why, for log lines. */
const char *hc_netreq_why(enum hc_net_why why);

#endif
