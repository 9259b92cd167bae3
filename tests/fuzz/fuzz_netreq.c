// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target for the netif tx request parser and the L4 header
 * locator: any run of ring slots, any limits, any frame head. A frame the
 * parser accepts must be what netback may send as is: at most 18 data
 * slots, each non-empty and inside its page, the frame the sum of them,
 * an Ethernet header at least, within the MTU unless GSO (then of a type
 * offered, its size below the frame); an accepted header location must
 * lie within the frame and the bytes parsed.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hcall/dd/nethdr.h"
#include "hcall/dd/netreq.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_frame(const struct hc_net_frame *f, unsigned int n,
			const struct hc_net_limits *lim)
{
	uint32_t sum = 0;
	unsigned int k, extras = 0;

	if (f->nr_reqs < 1 || f->nr_reqs > n || f->nr_slots < 1 || f->nr_slots > HC_NET_MAX_SLOTS ||
	    (f->extra_mask & 1u) || (f->extra_mask >> f->nr_reqs))
		abort();
	for (k = 0; k < f->nr_reqs; k++)
		extras += (f->extra_mask >> k) & 1u;
	if (extras > HC_NET_MAX_EXTRAS || extras + f->nr_slots != f->nr_reqs)
		abort();
	for (k = 0; k < f->nr_slots; k++) {
		if (!f->slot[k].size || (uint32_t)f->slot[k].offset + f->slot[k].size > HC_NET_PAGE)
			abort();
		sum += f->slot[k].size;
	}
	if (sum != f->len || f->len < HC_NET_ETH_HLEN || (f->nr_slots > 1 && !lim->sg))
		abort();
	if (f->gso_type == XEN_NETIF_GSO_TYPE_NONE) {
		if (f->len > lim->max_frame)
			abort();
	} else if (!(lim->gso_types & (1u << f->gso_type)) || !f->gso_size ||
		   f->gso_size >= f->len) {
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	netif_tx_request_t req[HC_NET_MAX_REQS];
	struct hc_net_limits lim;
	struct hc_net_frame f;
	struct hc_nethdr h;
	const size_t head = 4 + sizeof(req);
	unsigned int n;
	uint32_t frame_len;
	int ret;

	if (size < head)
		return 0;
	n = data[0] % (HC_NET_MAX_REQS + 1);
	lim.sg = data[1] & 1;
	lim.gso_types = data[1] & 6u;	/* the TCPV4 and TCPV6 bits */
	lim.max_frame = (uint32_t)data[2] << 8 | data[3];
	memcpy(req, data + 4, sizeof(req));
	ret = hc_netreq_parse(req, n, &lim, &f);
	if (ret == 0)
		check_frame(&f, n, &lim);
	else if (ret == -EINVAL && (f.nr_reqs < 1 || f.nr_reqs > n || f.why < HC_NET_NR_FATAL ||
				    f.bad_req >= f.nr_reqs))
		abort();	/* a frame answered alone: its slots are known, within the copy */
	else if (ret == -EPROTO && (f.why == HC_NET_OK || f.why >= HC_NET_NR_FATAL))
		abort();
	else if (ret != 0 && ret != -EINVAL && ret != -EPROTO)
		abort();

	/* The rest is a frame's head; its length from the first slot. */
	frame_len = req[0].size;
	if (hc_nethdr_parse(data + head, size - head, frame_len, &h) == 0) {
		if (h.hdr_len > frame_len || h.hdr_len > size - head ||
		    h.hdr_len > HC_NETHDR_MAX || h.csum_start < 14 ||
		    (uint32_t)h.csum_start + h.csum_offset + 2 > h.hdr_len)
			abort();
	}
	return 0;
}
