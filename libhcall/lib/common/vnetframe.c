// SPDX-License-Identifier: LGPL-2.1-or-later
#include <string.h>
#include <linux/virtio_net.h>

#include "hcall/common/vnetframe.h"

_Static_assert(sizeof(struct virtio_net_hdr) == HC_VNET_HDR_LEN, "the 10-byte header");

/* Fold in f[start..len) and store the result at f[at], as skb_checksum_help() does. */
static void complete_csum(uint8_t *f, size_t len, size_t start, size_t at)
{
	uint32_t sum = 0;
	uint16_t c;

	for (size_t i = start; i + 1 < len; i += 2)
		sum += (uint32_t)f[i] << 8 | f[i + 1];
	if ((len - start) & 1)
		sum += (uint32_t)f[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	c = (uint16_t)~sum;
	if (!c)
		c = 0xffff;	/* 0 would mean "no checksum" to UDP */
	f[at] = (uint8_t)(c >> 8);
	f[at + 1] = (uint8_t)c;
}

int hc_vnet_frame(uint8_t *msg, size_t len)
{
	struct virtio_net_hdr h;
	uint8_t *f = msg + HC_VNET_HDR_LEN;
	size_t flen, start, at;

	if (len < HC_VNET_HDR_LEN + 14)
		return -1;
	memcpy(&h, msg, sizeof(h));
	flen = len - HC_VNET_HDR_LEN;
	if (h.gso_type != VIRTIO_NET_HDR_GSO_NONE)
		return -1;
	if (h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
		start = h.csum_start;
		at = start + h.csum_offset;
		if (start >= flen || at + 2 > flen)
			return -1;
		complete_csum(f, flen, start, at);
	}
	return HC_VNET_HDR_LEN;
}
