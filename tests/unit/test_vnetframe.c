// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * hcall-slirp's view of a netback message: the checksum the guest left
 * to the host comes out as a from-scratch computation says (UDP and TCP,
 * odd and even lengths), a 0 result is sent as 0xffff, and short
 * messages, GSO frames and checksum offsets outside the frame are refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>
#include <linux/virtio_net.h>

#include "hcall/common/vnetframe.h"

#define ETH	14
#define IP4	20

static uint8_t msg[HC_VNET_HDR_LEN + 2048];

static uint32_t add16(uint32_t sum, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* IPv4 + @proto with @plen payload bytes; returns the message length. */
static size_t build(uint8_t proto, size_t plen, unsigned int seed)
{
	uint8_t *f = msg + HC_VNET_HDR_LEN, *ip = f + ETH, *l4 = ip + IP4;
	size_t l4len = (proto == 6 ? 20 : 8) + plen;
	struct virtio_net_hdr h = {
		.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
		.csum_start = ETH + IP4,
		.csum_offset = proto == 6 ? 16 : 6,
	};
	uint8_t pseudo[12];

	memset(msg, 0, sizeof(msg));
	f[12] = 0x08;
	ip[0] = 0x45;
	ip[9] = proto;
	memcpy(ip + 12, (uint8_t[]){ 10, 0, 2, 15, 10, 0, 2, 2 }, 8);
	for (size_t i = 0; i < l4len; i++)
		l4[i] = (uint8_t)(i * 7 + seed);
	memset(l4 + h.csum_offset, 0, 2);
	if (proto == 17) {
		l4[4] = (uint8_t)(l4len >> 8);
		l4[5] = (uint8_t)l4len;
	}
	/* What Linux leaves in the field for CHECKSUM_PARTIAL: the pseudo-header's sum. */
	memcpy(pseudo, ip + 12, 8);
	pseudo[8] = 0;
	pseudo[9] = proto;
	pseudo[10] = (uint8_t)(l4len >> 8);
	pseudo[11] = (uint8_t)l4len;
	uint16_t ph = fold(add16(0, pseudo, sizeof(pseudo)));

	l4[h.csum_offset] = (uint8_t)(ph >> 8);
	l4[h.csum_offset + 1] = (uint8_t)ph;
	memcpy(msg, &h, sizeof(h));
	return HC_VNET_HDR_LEN + ETH + IP4 + l4len;
}

/* The checksum verifies the way a receiver checks it: everything sums to 0xffff. */
static void verifies(uint8_t proto, size_t len)
{
	uint8_t *ip = msg + HC_VNET_HDR_LEN + ETH;
	size_t l4len = len - HC_VNET_HDR_LEN - ETH - IP4;
	uint8_t pseudo[12];

	memcpy(pseudo, ip + 12, 8);
	pseudo[8] = 0;
	pseudo[9] = proto;
	pseudo[10] = (uint8_t)(l4len >> 8);
	pseudo[11] = (uint8_t)l4len;
	assert_int_equal(fold(add16(add16(0, pseudo, 12), ip + IP4, l4len)), 0xffff);
}

static void completes_udp_and_tcp(void **state)
{
	(void)state;
	for (size_t plen = 0; plen < 1500; plen += 37) {
		for (int tcp = 0; tcp < 2; tcp++) {
			uint8_t proto = tcp ? 6 : 17;
			size_t len = build(proto, plen, (unsigned int)plen);

			assert_int_equal(hc_vnet_frame(msg, len), HC_VNET_HDR_LEN);
			verifies(proto, len);
		}
	}
}

static void leaves_complete_frames_alone(void **state)
{
	size_t len = build(17, 100, 1);
	uint8_t before[sizeof(msg)];

	(void)state;
	msg[0] = 0;	/* flags (the header's first byte): no NEEDS_CSUM */
	memcpy(before, msg, sizeof(msg));
	assert_int_equal(hc_vnet_frame(msg, len), HC_VNET_HDR_LEN);
	assert_memory_equal(before, msg, sizeof(msg));
}

static void refuses(void **state)
{
	struct virtio_net_hdr h;
	size_t len = build(17, 20, 3);

	(void)state;
	assert_int_equal(hc_vnet_frame(msg, HC_VNET_HDR_LEN + 13), -1);	/* no Ethernet header */
	memcpy(&h, msg, sizeof(h));
	h.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
	memcpy(msg, &h, sizeof(h));
	assert_int_equal(hc_vnet_frame(msg, len), -1);			/* GSO: not in this mode */
	h.gso_type = VIRTIO_NET_HDR_GSO_NONE;
	h.csum_start = (uint16_t)(len - HC_VNET_HDR_LEN);
	memcpy(msg, &h, sizeof(h));
	assert_int_equal(hc_vnet_frame(msg, len), -1);			/* start past the frame */
	h.csum_start = ETH + IP4;
	h.csum_offset = 0xffff;
	memcpy(msg, &h, sizeof(h));
	assert_int_equal(hc_vnet_frame(msg, len), -1);			/* field past the frame */
	h.csum_offset = (uint16_t)(len - HC_VNET_HDR_LEN - ETH - IP4 - 1);
	memcpy(msg, &h, sizeof(h));
	assert_int_equal(hc_vnet_frame(msg, len), -1);			/* half a field inside */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(completes_udp_and_tcp),
		cmocka_unit_test(leaves_complete_frames_alone),
		cmocka_unit_test(refuses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
