/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Where a frame's L4 checksum and headers are, for the offloads a vnet
 * header describes (VIRTIO_NET_HDR_F_NEEDS_CSUM: csum_start/csum_offset;
 * GSO: hdr_len). Read from a private copy of the frame's first bytes:
 * the frame itself stays in guest memory, which the guest may rewrite, so
 * the kernel receiving it checks the vnet header against the bytes again.
 */
#ifndef HCALL_NETHDR_H
#define HCALL_NETHDR_H

#include <stddef.h>
#include <stdint.h>

/* Enough for Ethernet, two VLAN tags, IPv4 with options or IPv6 with a few extension headers, TCP with options. */
#define HC_NETHDR_MAX	256u

struct hc_nethdr {
	uint16_t csum_start;	/* the L4 header's offset in the frame */
	uint16_t csum_offset;	/* of the checksum field, from csum_start */
	uint16_t hdr_len;	/* Ethernet, IP and L4 headers together */
	uint8_t l4;		/* IPPROTO_TCP or IPPROTO_UDP */
	uint8_t ipv6;		/* 0: IPv4 */
};

/*
 * Parse @len bytes (@hdr: the frame's first bytes, a private copy) of a
 * frame of @frame_len bytes: Ethernet, up to two VLAN tags, IPv4 (not a
 * fragment) or IPv6 (hop-by-hop, routing, destination options and AH
 * headers skipped; not a fragment), TCP or UDP. 0, or -EPROTO for anything
 * else or headers not wholly within @len and @frame_len.
 */
int hc_nethdr_parse(const uint8_t *hdr, size_t len, uint32_t frame_len, struct hc_nethdr *h);

#endif
