// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Where a frame's L4 checksum goes: IPv4 and IPv6 (with extension
 * headers), TCP and UDP, VLAN tags; everything else, fragments and
 * headers cut short are refused.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <netinet/in.h>
#include <string.h>

#include "hcall/dd/nethdr.h"

static uint8_t frame[HC_NETHDR_MAX];

/* Ethernet with @type at @off (after any tags); returns where the payload starts. */
static size_t eth(uint16_t type, int vlans)
{
	size_t off = 12;

	memset(frame, 0, sizeof(frame));
	for (int i = 0; i < vlans; i++) {
		frame[off] = 0x81;
		frame[off + 1] = 0x00;
		off += 4;
	}
	frame[off] = (uint8_t)(type >> 8);
	frame[off + 1] = (uint8_t)type;
	return off + 2;
}

static size_t ipv4(size_t off, uint8_t proto, unsigned int ihl)
{
	frame[off] = (uint8_t)(0x40 | ihl);
	frame[off + 9] = proto;
	return off + ihl * 4;
}

static size_t ipv6(size_t off, uint8_t next)
{
	frame[off] = 0x60;
	frame[off + 6] = next;
	return off + 40;
}

static void tcp(size_t off, unsigned int doff)
{
	frame[off + 12] = (uint8_t)(doff << 4);
}

static void ipv4_tcp_and_udp(void **state)
{
	struct hc_nethdr h;
	size_t l4;

	(void)state;
	l4 = ipv4(eth(0x0800, 0), IPPROTO_TCP, 5);
	tcp(l4, 5);
	assert_int_equal(hc_nethdr_parse(frame, sizeof(frame), 1514, &h), 0);
	assert_int_equal(h.csum_start, 34);
	assert_int_equal(h.csum_offset, 16);
	assert_int_equal(h.hdr_len, 54);
	assert_int_equal(h.l4, IPPROTO_TCP);
	assert_int_equal(h.ipv6, 0);
	/* IP options and TCP options move the ends. */
	l4 = ipv4(eth(0x0800, 0), IPPROTO_TCP, 7);
	tcp(l4, 8);
	assert_int_equal(hc_nethdr_parse(frame, sizeof(frame), 1514, &h), 0);
	assert_int_equal(h.csum_start, 42);
	assert_int_equal(h.hdr_len, 42 + 32);
	l4 = ipv4(eth(0x0800, 0), IPPROTO_UDP, 5);
	assert_int_equal(hc_nethdr_parse(frame, sizeof(frame), 1514, &h), 0);
	assert_int_equal(h.csum_start, 34);
	assert_int_equal(h.csum_offset, 6);
	assert_int_equal(h.hdr_len, 42);
	assert_int_equal(h.l4, IPPROTO_UDP);
	(void)l4;
}

static void vlan_tags(void **state)
{
	struct hc_nethdr h;

	(void)state;
	tcp(ipv4(eth(0x0800, 1), IPPROTO_TCP, 5), 5);
	assert_int_equal(hc_nethdr_parse(frame, sizeof(frame), 1514, &h), 0);
	assert_int_equal(h.csum_start, 38);
	tcp(ipv4(eth(0x0800, 2), IPPROTO_TCP, 5), 5);
	assert_int_equal(hc_nethdr_parse(frame, sizeof(frame), 1514, &h), 0);
	assert_int_equal(h.csum_start, 42);
	tcp(ipv4(eth(0x0800, 3), IPPROTO_TCP, 5), 5);
	assert_int_equal(hc_nethdr_parse(frame, sizeof(frame), 1514, &h), -EPROTO);
}

static void ipv6_and_its_extension_headers(void **state)
{
	struct hc_nethdr h;
	size_t off;

	(void)state;
	tcp(ipv6(eth(0x86dd, 0), IPPROTO_TCP), 5);
	assert_int_equal(hc_nethdr_parse(frame, sizeof(frame), 1514, &h), 0);
	assert_int_equal(h.csum_start, 54);
	assert_int_equal(h.hdr_len, 74);
	assert_int_equal(h.ipv6, 1);
	/* Hop-by-hop (16 bytes), then AH (12 bytes), then UDP. */
	off = ipv6(eth(0x86dd, 0), IPPROTO_HOPOPTS);
	frame[off] = IPPROTO_AH;
	frame[off + 1] = 1;
	frame[off + 16] = IPPROTO_UDP;
	frame[off + 17] = 1;
	assert_int_equal(hc_nethdr_parse(frame, sizeof(frame), 1514, &h), 0);
	assert_int_equal(h.csum_start, 54 + 16 + 12);
	assert_int_equal(h.csum_offset, 6);
	/* A fragment header: refused. */
	ipv6(eth(0x86dd, 0), IPPROTO_FRAGMENT);
	assert_int_equal(hc_nethdr_parse(frame, sizeof(frame), 1514, &h), -EPROTO);
	/* Extension headers running past the copy. */
	off = ipv6(eth(0x86dd, 0), IPPROTO_DSTOPTS);
	frame[off] = IPPROTO_TCP;
	frame[off + 1] = 40;
	assert_int_equal(hc_nethdr_parse(frame, sizeof(frame), 1514, &h), -EPROTO);
	/* One looping to itself, past any real frame's count. */
	off = ipv6(eth(0x86dd, 0), IPPROTO_HOPOPTS);
	for (int i = 0; off + 8 <= sizeof(frame); i++, off += 8)
		frame[off] = IPPROTO_HOPOPTS;
	assert_int_equal(hc_nethdr_parse(frame, sizeof(frame), 1514, &h), -EPROTO);
}

static void refuses_what_it_cannot_place(void **state)
{
	struct hc_nethdr h;
	size_t l4;

	(void)state;
	eth(0x0806, 0);		/* ARP */
	assert_int_equal(hc_nethdr_parse(frame, sizeof(frame), 1514, &h), -EPROTO);
	ipv4(eth(0x0800, 0), IPPROTO_ICMP, 5);
	assert_int_equal(hc_nethdr_parse(frame, sizeof(frame), 1514, &h), -EPROTO);
	/* A fragment (more fragments; an offset). */
	l4 = ipv4(eth(0x0800, 0), IPPROTO_UDP, 5);
	frame[14 + 6] = 0x20;
	assert_int_equal(hc_nethdr_parse(frame, sizeof(frame), 1514, &h), -EPROTO);
	frame[14 + 6] = 0;
	frame[14 + 7] = 1;
	assert_int_equal(hc_nethdr_parse(frame, sizeof(frame), 1514, &h), -EPROTO);
	frame[14 + 6] = 0x40;	/* don't fragment: fine */
	frame[14 + 7] = 0;
	assert_int_equal(hc_nethdr_parse(frame, sizeof(frame), 1514, &h), 0);
	/* Version and header length that do not fit. */
	frame[14] = 0x65;
	assert_int_equal(hc_nethdr_parse(frame, sizeof(frame), 1514, &h), -EPROTO);
	frame[14] = 0x44;
	assert_int_equal(hc_nethdr_parse(frame, sizeof(frame), 1514, &h), -EPROTO);
	/* TCP with a data offset under 5 words. */
	tcp(ipv4(eth(0x0800, 0), IPPROTO_TCP, 5), 4);
	assert_int_equal(hc_nethdr_parse(frame, sizeof(frame), 1514, &h), -EPROTO);
	/* Headers past the bytes copied, or past the frame. */
	tcp(ipv4(eth(0x0800, 0), IPPROTO_TCP, 5), 5);
	assert_int_equal(hc_nethdr_parse(frame, 53, 1514, &h), -EPROTO);
	assert_int_equal(hc_nethdr_parse(frame, 54, 1514, &h), 0);
	assert_int_equal(hc_nethdr_parse(frame, sizeof(frame), 53, &h), -EPROTO);
	assert_int_equal(hc_nethdr_parse(frame, 13, 1514, &h), -EPROTO);
	(void)l4;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ipv4_tcp_and_udp),
		cmocka_unit_test(vlan_tags),
		cmocka_unit_test(ipv6_and_its_extension_headers),
		cmocka_unit_test(refuses_what_it_cannot_place),
	};

	return cmocka_run_group_tests_name("nethdr", tests, NULL, NULL);
}
