// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The netif tx request parser: each rule of docs/netif.md with a frame it
 * accepts and one it refuses, refused either alone (-EINVAL: the frame's
 * slots are known and answered) or with the ring (-EPROTO).
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "hcall/dd/netreq.h"

#include "net_fixture.h"

#define GSO4 (1u << XEN_NETIF_GSO_TYPE_TCPV4)
#define GSO6 (1u << XEN_NETIF_GSO_TYPE_TCPV6)

/* Jumbo frames (up to what a slot size holds) unless a test says otherwise. */
static const struct hc_net_limits lim = { .max_frame = 0xffff, .sg = 1, .gso_types = GSO4 | GSO6 };

static netif_tx_request_t data(uint16_t off, uint16_t size, uint16_t flags)
{
	static grant_ref_t next = 10;

	return (netif_tx_request_t){ .gref = next++, .offset = off, .flags = flags, .id = 7,
				     .size = size };
}

static int parse(const netif_tx_request_t *r, unsigned int n, struct hc_net_frame *f)
{
	return hc_netreq_parse(r, n, &lim, f);
}

/* @n copies at @r are refused under @l with @ret, for @why at request @bad. */
static void refused(const netif_tx_request_t *r, unsigned int n, const struct hc_net_limits *l,
		    int ret, enum hc_net_why why, unsigned int bad, struct hc_net_frame *f)
{
	assert_int_equal(hc_netreq_parse(r, n, l, f), ret);
	assert_int_equal(f->why, why);
	assert_int_equal(f->bad_req, bad);
}

static void copies_the_slot_once(void **state)
{
	netif_tx_request_t slot = { .gref = 5, .offset = 6, .flags = NETTXF_more_data, .id = 8,
				    .size = 9 }, copy;

	(void)state;
	hc_netreq_copy(&slot, &copy);
	slot.size = 4000;	/* later changes do not reach the copy */
	assert_int_equal(copy.gref, 5);
	assert_int_equal(copy.offset, 6);
	assert_int_equal(copy.flags, NETTXF_more_data);
	assert_int_equal(copy.id, 8);
	assert_int_equal(copy.size, 9);
}

static void one_slot_frames(void **state)
{
	netif_tx_request_t r[2] = { data(100, 60, NETTXF_csum_blank | NETTXF_data_validated),
				    data(0, 1, 0) };
	struct hc_net_frame f;

	(void)state;
	assert_int_equal(parse(r, 2, &f), 0);	/* the next frame's slot is not read */
	assert_int_equal(f.nr_reqs, 1);
	assert_int_equal(f.nr_slots, 1);
	assert_int_equal(f.len, 60);
	assert_int_equal(f.slot[0].gref, r[0].gref);
	assert_int_equal(f.slot[0].offset, 100);
	assert_int_equal(f.slot[0].size, 60);
	assert_true(f.csum_blank);
	assert_true(f.data_validated);
	assert_int_equal(f.gso_type, XEN_NETIF_GSO_TYPE_NONE);
	r[0].flags = 0;
	assert_int_equal(parse(r, 1, &f), 0);
	assert_false(f.csum_blank);
	assert_false(f.data_validated);
	/* Exactly an Ethernet header is a frame; one byte less is not. */
	r[0].size = 14;
	assert_int_equal(parse(r, 1, &f), 0);
	r[0].size = 13;
	refused(r, 1, &lim, -EINVAL, HC_NET_RUNT, 0, &f);
	assert_int_equal(f.nr_reqs, 1);		/* answered alone */
	r[0].size = 0;
	refused(r, 1, &lim, -EINVAL, HC_NET_EMPTY_SLOT, 0, &f);
	/* Nothing copied: nothing to parse (the ring is not published whole). */
	assert_int_equal(parse(r, 0, &f), -EPROTO);
}

static void the_frame_is_the_sum_of_its_slots(void **state)
{
	netif_tx_request_t r[3] = { data(0, 3000, NETTXF_more_data), data(0, 1000, NETTXF_more_data),
				    data(500, 1000, 0) };
	struct hc_net_frame f;

	(void)state;
	assert_int_equal(parse(r, 3, &f), 0);
	assert_int_equal(f.nr_reqs, 3);
	assert_int_equal(f.nr_slots, 3);
	assert_int_equal(f.len, 3000);
	assert_int_equal(f.slot[0].size, 1000);	/* the first slot's own bytes */
	assert_int_equal(f.slot[2].offset, 500);
	assert_int_equal(f.slot[2].gref, r[2].gref);
	/* The later slots fill the frame: the first has nothing of its own. */
	r[0].size = 2000;
	refused(r, 3, &lim, -EINVAL, HC_NET_EMPTY_SLOT, 0, &f);
	assert_int_equal(f.nr_reqs, 3);
	/* They hold more than the frame. */
	r[0].size = 1999;
	refused(r, 3, &lim, -EINVAL, HC_NET_SIZE_SUM, 0, &f);
	assert_int_equal(f.nr_reqs, 3);
	/* A later slot without bytes. */
	r[0].size = 3000;
	r[1].size = 0;
	refused(r, 3, &lim, -EINVAL, HC_NET_EMPTY_SLOT, 1, &f);
}

static void the_first_size_is_not_trusted_over_the_sum(void **state)
{
	/* 5000 in all, 1000 after the first: 4000 of its own, from offset 96. */
	netif_tx_request_t r[2] = { data(96, 5000, NETTXF_more_data), data(0, 1000, 0) };
	struct hc_net_frame f;

	(void)state;
	assert_int_equal(parse(r, 2, &f), 0);
	assert_int_equal(f.slot[0].size, 4000);
	assert_int_equal(f.slot[0].size + f.slot[1].size, f.len);
	/* From offset 100 its own bytes cross the page: fatal, as in Xen. */
	r[0].offset = 100;
	refused(r, 2, &lim, -EPROTO, HC_NET_PAGE_BOUND, 0, &f);
	/* A single slot claiming more than a page. */
	r[0] = data(0, 4097, 0);
	refused(r, 1, &lim, -EPROTO, HC_NET_PAGE_BOUND, 0, &f);
}

static void slots_stay_within_their_page(void **state)
{
	netif_tx_request_t r[3] = { data(0, 600, NETTXF_more_data), data(0, 100, NETTXF_more_data),
				    data(3896, 200, 0) };
	struct hc_net_frame f;

	(void)state;
	assert_int_equal(parse(r, 3, &f), 0);	/* ends at 4096 exactly */
	r[2].offset = 3897;
	refused(r, 3, &lim, -EPROTO, HC_NET_PAGE_BOUND, 2, &f);
	/* An offset alone past the page, with no bytes: still fatal, not merely empty. */
	r[2] = data(5000, 0, 0);
	refused(r, 3, &lim, -EPROTO, HC_NET_PAGE_BOUND, 2, &f);
}

static void at_most_18_slots(void **state)
{
	netif_tx_request_t r[HC_NET_MAX_REQS];
	struct hc_net_frame f;
	unsigned int i;

	(void)state;
	r[0] = data(0, 18 * 100, NETTXF_more_data);
	for (i = 1; i < 18; i++)
		r[i] = data(0, 100, i < 17 ? NETTXF_more_data : 0);
	assert_int_equal(parse(r, 18, &f), 0);
	assert_int_equal(f.nr_slots, 18);
	assert_int_equal(f.len, 1800);
	/* The 18th says more follow: a 19th slot is fatal, published or not. */
	r[0].size = 19 * 100;
	r[17].flags = NETTXF_more_data;
	r[18] = data(0, 100, 0);
	refused(r, 19, &lim, -EPROTO, HC_NET_TOO_MANY_SLOTS, 18, &f);
	refused(r, 18, &lim, -EPROTO, HC_NET_TOO_MANY_SLOTS, 18, &f);
	/* A chain that never ends: every copied slot says more follow. */
	for (i = 0; i < HC_NET_MAX_REQS; i++)
		r[i] = data(0, 100, NETTXF_more_data);
	refused(r, HC_NET_MAX_REQS, &lim, -EPROTO, HC_NET_TOO_MANY_SLOTS, 18, &f);
}

static void frames_are_published_whole(void **state)
{
	netif_tx_request_t r[3] = { data(0, 300, NETTXF_more_data | NETTXF_extra_info),
				    tx_extra(XEN_NETIF_EXTRA_TYPE_GSO, 0, 100, XEN_NETIF_GSO_TYPE_TCPV4),
				    data(0, 100, 0) };
	struct hc_net_frame f;

	(void)state;
	assert_int_equal(parse(r, 3, &f), 0);
	assert_int_equal(parse(r, 2, &f), -EPROTO);	/* the last data slot missing */
	assert_int_equal(f.why, HC_NET_INCOMPLETE);
	assert_int_equal(f.bad_req, 2);
	assert_int_equal(parse(r, 1, &f), -EPROTO);	/* the extra missing */
	assert_int_equal(f.why, HC_NET_INCOMPLETE);
	assert_int_equal(f.bad_req, 1);
}

static void several_slots_need_sg(void **state)
{
	struct hc_net_limits nosg = lim;
	netif_tx_request_t r[2] = { data(0, 200, NETTXF_more_data), data(0, 100, 0) };
	struct hc_net_frame f;

	(void)state;
	nosg.sg = 0;
	assert_int_equal(hc_netreq_parse(r, 2, &lim, &f), 0);
	refused(r, 2, &nosg, -EINVAL, HC_NET_NO_SG, 1, &f);
	assert_int_equal(f.nr_reqs, 2);
	r[0] = data(0, 200, 0);
	assert_int_equal(hc_netreq_parse(r, 1, &nosg, &f), 0);
}

static void one_gso_extra(void **state)
{
	struct hc_net_limits only4 = lim;
	netif_tx_request_t r[4] = { data(0, 3000, NETTXF_more_data | NETTXF_extra_info),
				    tx_extra(XEN_NETIF_EXTRA_TYPE_GSO, 0, 1448, XEN_NETIF_GSO_TYPE_TCPV4),
				    data(0, 1000, NETTXF_more_data), data(0, 1000, 0) };
	struct hc_net_frame f;

	(void)state;
	assert_int_equal(parse(r, 4, &f), 0);
	assert_int_equal(f.nr_reqs, 4);
	assert_int_equal(f.nr_slots, 3);
	assert_int_equal(f.extra_mask, 1u << 1);
	assert_int_equal(f.gso_type, XEN_NETIF_GSO_TYPE_TCPV4);
	assert_int_equal(f.gso_size, 1448);
	assert_int_equal(f.slot[1].gref, r[2].gref);	/* data slots skip the extra */
	r[1] = tx_extra(XEN_NETIF_EXTRA_TYPE_GSO, 0, 1448, XEN_NETIF_GSO_TYPE_TCPV6);
	assert_int_equal(parse(r, 4, &f), 0);
	assert_int_equal(f.gso_type, XEN_NETIF_GSO_TYPE_TCPV6);
	/* A type not negotiated: this frame only. */
	only4.gso_types = GSO4;
	refused(r, 4, &only4, -EINVAL, HC_NET_GSO_UNOFFERED, 1, &f);
	/* Sizes: 1 up to one below the frame. */
	r[1] = tx_extra(XEN_NETIF_EXTRA_TYPE_GSO, 0, 2999, XEN_NETIF_GSO_TYPE_TCPV4);
	assert_int_equal(parse(r, 4, &f), 0);
	r[1] = tx_extra(XEN_NETIF_EXTRA_TYPE_GSO, 0, 1, XEN_NETIF_GSO_TYPE_TCPV4);
	assert_int_equal(parse(r, 4, &f), 0);
	r[1] = tx_extra(XEN_NETIF_EXTRA_TYPE_GSO, 0, 3000, XEN_NETIF_GSO_TYPE_TCPV4);
	refused(r, 4, &lim, -EINVAL, HC_NET_GSO_SIZE, 1, &f);
	assert_int_equal(f.nr_reqs, 4);
	assert_int_equal(f.extra_mask, 1u << 1);
	/* Garbage GSO, as Xen sees it: fatal. */
	r[1] = tx_extra(XEN_NETIF_EXTRA_TYPE_GSO, 0, 0, XEN_NETIF_GSO_TYPE_TCPV4);
	refused(r, 4, &lim, -EPROTO, HC_NET_GSO_BAD, 1, &f);
	r[1] = tx_extra(XEN_NETIF_EXTRA_TYPE_GSO, 0, 1448, 3);
	refused(r, 4, &lim, -EPROTO, HC_NET_GSO_BAD, 1, &f);
	r[1] = tx_extra(XEN_NETIF_EXTRA_TYPE_GSO, 0, 1448, XEN_NETIF_GSO_TYPE_NONE);
	assert_int_equal(parse(r, 4, &f), -EPROTO);
}

static void gso_frames_may_pass_the_mtu(void **state)
{
	const struct hc_net_limits mtu1500 = { .max_frame = 1514, .sg = 1, .gso_types = GSO4 };
	netif_tx_request_t r[4] = { data(0, 1514, 0) };
	struct hc_net_frame f;

	(void)state;
	assert_int_equal(hc_netreq_parse(r, 1, &mtu1500, &f), 0);
	r[0].size = 1515;
	refused(r, 1, &mtu1500, -EINVAL, HC_NET_TOO_BIG, 0, &f);
	r[0] = data(0, 8000, NETTXF_more_data | NETTXF_extra_info);
	r[1] = tx_extra(XEN_NETIF_EXTRA_TYPE_GSO, 0, 1448, XEN_NETIF_GSO_TYPE_TCPV4);
	r[2] = data(0, 4000, NETTXF_more_data);
	r[3] = data(0, 4000, 0);
	/* The first slot has nothing left. */
	refused(r, 4, &mtu1500, -EINVAL, HC_NET_EMPTY_SLOT, 0, &f);
	r[0].size = 9000;
	assert_int_equal(hc_netreq_parse(r, 4, &mtu1500, &f), 0);
	assert_int_equal(f.len, 9000);
	/* Without the extra the same frame is too big. */
	r[0].flags = NETTXF_more_data;
	r[1] = r[0];
	refused(r + 1, 3, &mtu1500, -EINVAL, HC_NET_TOO_BIG, 0, &f);
}

static void the_largest_frame(void **state)
{
	netif_tx_request_t r[HC_NET_MAX_REQS];
	struct hc_net_frame f;
	unsigned int i;

	(void)state;
	/* 18 slots of 3640 bytes and a GSO extra: 65520 bytes, 19 requests. */
	r[0] = data(0, 18 * 3640, NETTXF_more_data | NETTXF_extra_info);
	r[1] = tx_extra(XEN_NETIF_EXTRA_TYPE_GSO, 0, 1448, XEN_NETIF_GSO_TYPE_TCPV6);
	for (i = 2; i < 19; i++)
		r[i] = data(456, 3640, i < 18 ? NETTXF_more_data : 0);
	assert_int_equal(parse(r, 19, &f), 0);
	assert_int_equal(f.nr_reqs, 19);
	assert_int_equal(f.nr_slots, 18);
	assert_int_equal(f.len, 65520);
}

static void extras_of_known_types_only(void **state)
{
	netif_tx_request_t r[3] = { data(0, 100, NETTXF_extra_info),
				    tx_extra(XEN_NETIF_EXTRA_TYPE_NONE, 0, 0, 0), data(0, 1, 0) };
	struct hc_net_frame f;

	(void)state;
	refused(r, 3, &lim, -EPROTO, HC_NET_EXTRA_TYPE, 1, &f);
	r[1] = tx_extra(XEN_NETIF_EXTRA_TYPE_MAX, 0, 0, 0);
	refused(r, 3, &lim, -EPROTO, HC_NET_EXTRA_TYPE, 1, &f);
	r[1] = tx_extra(0xff, 0, 0, 0);
	assert_int_equal(parse(r, 3, &f), -EPROTO);
	/* Multicast control and hashing are Xen's, not offered here: the frame only. */
	r[1] = tx_extra(XEN_NETIF_EXTRA_TYPE_MCAST_ADD, 0, 0, 0);
	refused(r, 3, &lim, -EINVAL, HC_NET_EXTRA_UNOFFERED, 1, &f);
	assert_int_equal(f.nr_reqs, 2);
	assert_int_equal(f.extra_mask, 1u << 1);
	r[1] = tx_extra(XEN_NETIF_EXTRA_TYPE_HASH, 0, 0, 0);
	assert_int_equal(parse(r, 3, &f), -EINVAL);
	/* Two GSO extras. */
	r[0] = data(0, 100, NETTXF_extra_info);
	r[1] = tx_extra(XEN_NETIF_EXTRA_TYPE_GSO, XEN_NETIF_EXTRA_FLAG_MORE, 50, 1);
	r[2] = tx_extra(XEN_NETIF_EXTRA_TYPE_GSO, 0, 50, 1);
	refused(r, 3, &lim, -EINVAL, HC_NET_EXTRA_TWICE, 2, &f);
	assert_int_equal(f.nr_reqs, 3);
	assert_int_equal(f.extra_mask, 3u << 1);
	/* One GSO extra alone is fine. */
	r[1] = tx_extra(XEN_NETIF_EXTRA_TYPE_GSO, 0, 50, 1);
	assert_int_equal(parse(r, 2, &f), 0);
}

static void extra_chains_end(void **state)
{
	netif_tx_request_t r[HC_NET_MAX_REQS];
	struct hc_net_frame f;
	unsigned int i;

	(void)state;
	/* One of each type: as long as a chain can be; refused for what it carries. */
	r[0] = data(0, 100, NETTXF_extra_info);
	r[1] = tx_extra(XEN_NETIF_EXTRA_TYPE_GSO, XEN_NETIF_EXTRA_FLAG_MORE, 50, 1);
	r[2] = tx_extra(XEN_NETIF_EXTRA_TYPE_MCAST_ADD, XEN_NETIF_EXTRA_FLAG_MORE, 0, 0);
	r[3] = tx_extra(XEN_NETIF_EXTRA_TYPE_MCAST_DEL, XEN_NETIF_EXTRA_FLAG_MORE, 0, 0);
	r[4] = tx_extra(XEN_NETIF_EXTRA_TYPE_HASH, 0, 0, 0);
	refused(r, 5, &lim, -EINVAL, HC_NET_EXTRA_UNOFFERED, 2, &f);
	assert_int_equal(f.nr_reqs, 5);
	/* A fifth: fatal. */
	r[4] = tx_extra(XEN_NETIF_EXTRA_TYPE_HASH, XEN_NETIF_EXTRA_FLAG_MORE, 0, 0);
	r[5] = tx_extra(XEN_NETIF_EXTRA_TYPE_GSO, 0, 50, 1);
	refused(r, 6, &lim, -EPROTO, HC_NET_EXTRA_CHAIN, 5, &f);
	/* A chain that never ends. */
	for (i = 1; i < HC_NET_MAX_REQS; i++)
		r[i] = tx_extra(XEN_NETIF_EXTRA_TYPE_GSO, XEN_NETIF_EXTRA_FLAG_MORE, 50, 1);
	refused(r, HC_NET_MAX_REQS, &lim, -EPROTO, HC_NET_EXTRA_CHAIN, 5, &f);
}

/* The first frame-only error found is reported, but a fatal one after it still wins. */
static void fatal_beats_frame_errors(void **state)
{
	netif_tx_request_t r[3] = { data(0, 100, NETTXF_more_data | NETTXF_extra_info),
				    tx_extra(XEN_NETIF_EXTRA_TYPE_HASH, 0, 0, 0),
				    data(4000, 200, 0) };
	struct hc_net_frame f;

	(void)state;
	refused(r, 3, &lim, -EPROTO, HC_NET_PAGE_BOUND, 2, &f);
}

static void reasons_have_words(void **state)
{
	(void)state;
	for (int w = 0; w < HC_NET_NR_WHY; w++)
		assert_non_null(hc_netreq_why((enum hc_net_why)w));
	assert_string_equal(hc_netreq_why(HC_NET_NR_WHY), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(copies_the_slot_once),
		cmocka_unit_test(one_slot_frames),
		cmocka_unit_test(the_frame_is_the_sum_of_its_slots),
		cmocka_unit_test(the_first_size_is_not_trusted_over_the_sum),
		cmocka_unit_test(slots_stay_within_their_page),
		cmocka_unit_test(at_most_18_slots),
		cmocka_unit_test(frames_are_published_whole),
		cmocka_unit_test(several_slots_need_sg),
		cmocka_unit_test(one_gso_extra),
		cmocka_unit_test(gso_frames_may_pass_the_mtu),
		cmocka_unit_test(the_largest_frame),
		cmocka_unit_test(extras_of_known_types_only),
		cmocka_unit_test(extra_chains_end),
		cmocka_unit_test(fatal_beats_frame_errors),
		cmocka_unit_test(reasons_have_words),
	};

	return cmocka_run_group_tests_name("netreq", tests, NULL, NULL);
}
