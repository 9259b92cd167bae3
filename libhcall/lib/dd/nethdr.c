// SPDX-License-Identifier: LGPL-2.1-or-later
/* Locating a frame's L4 header and checksum field for checksum and GSO offload. */
#include <errno.h>
#include <netinet/in.h>

#include "hcall/dd/nethdr.h"

#define ETH_HLEN	14u
#define ETH_P_IPV4	0x0800u
#define ETH_P_IPV6	0x86ddu
#define ETH_P_8021Q	0x8100u
#define ETH_P_8021AD	0x88a8u
#define MAX_VLANS	2
#define MAX_IPV6_EXT	8	/* more extension headers than any real frame carries */

static unsigned int be16(const uint8_t *p)
{
	return (unsigned int)p[0] << 8 | p[1];
}

/* The L4 header at @off: TCP or UDP, wholly in the copy and the frame. */
static int l4(const uint8_t *hdr, size_t len, uint32_t frame_len, unsigned int off,
	      uint8_t proto, struct hc_nethdr *h)
{
	unsigned int end;

	if (proto == IPPROTO_TCP) {
		if (off + 20 > len)
			return -EPROTO;
		end = off + (hdr[off + 12] >> 4) * 4u;	/* data offset, in words */
		if (end < off + 20)
			return -EPROTO;
		h->csum_offset = 16;
	} else if (proto == IPPROTO_UDP) {
		end = off + 8;
		h->csum_offset = 6;
	} else {
		return -EPROTO;
	}
	if (end > len || end > frame_len)
		return -EPROTO;
	h->csum_start = (uint16_t)off;
	h->hdr_len = (uint16_t)end;
	h->l4 = proto;
	return 0;
}

static int ipv4(const uint8_t *hdr, size_t len, uint32_t frame_len, unsigned int off,
		struct hc_nethdr *h)
{
	unsigned int ihl;

	if (off + 20 > len || hdr[off] >> 4 != 4)
		return -EPROTO;
	ihl = (hdr[off] & 0xfu) * 4u;
	/* A fragment's L4 header, if any, covers the whole datagram: not ours to fill. */
	if (ihl < 20 || (be16(hdr + off + 6) & 0x3fffu))
		return -EPROTO;
	h->ipv6 = 0;
	return l4(hdr, len, frame_len, off + ihl, hdr[off + 9], h);
}

static int ipv6(const uint8_t *hdr, size_t len, uint32_t frame_len, unsigned int off,
		struct hc_nethdr *h)
{
	uint8_t next, ext;
	int i;

	if (off + 40 > len || hdr[off] >> 4 != 6)
		return -EPROTO;
	next = hdr[off + 6];
	off += 40;
	for (i = 0; i < MAX_IPV6_EXT; i++) {
		switch (next) {
		case IPPROTO_HOPOPTS:
		case IPPROTO_ROUTING:
		case IPPROTO_DSTOPTS:
		case IPPROTO_AH:
			if (off + 8 > len)
				return -EPROTO;
			ext = next;
			next = hdr[off];
			/* AH counts 4-byte words less 2, the others 8-byte words less 1. */
			off += ext == IPPROTO_AH ? (hdr[off + 1] + 2u) * 4u : (hdr[off + 1] + 1u) * 8u;
			continue;
		default:
			/* A fragment header is not skipped, as for IPv4: l4() refuses it. */
			h->ipv6 = 1;
			return l4(hdr, len, frame_len, off, next, h);
		}
	}
	return -EPROTO;
}

int hc_nethdr_parse(const uint8_t *hdr, size_t len, uint32_t frame_len, struct hc_nethdr *h)
{
	unsigned int off = ETH_HLEN, type;
	int vlans;

	if (len > HC_NETHDR_MAX)
		len = HC_NETHDR_MAX;	/* offsets stay far below 16 bits */
	if (len < ETH_HLEN)
		return -EPROTO;
	type = be16(hdr + 12);
	for (vlans = 0; (type == ETH_P_8021Q || type == ETH_P_8021AD) && vlans < MAX_VLANS;
	     vlans++) {
		if (off + 4 > len)
			return -EPROTO;
		type = be16(hdr + off + 2);
		off += 4;
	}
	if (type == ETH_P_IPV4)
		return ipv4(hdr, len, frame_len, off, h);
	if (type == ETH_P_IPV6)
		return ipv6(hdr, len, frame_len, off, h);
	return -EPROTO;
}
