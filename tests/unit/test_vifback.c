// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The network backend in process: hc_dd_ring_start() with a vif attach
 * (the type's row in hcall-dd's table), a guest written here with Xen's
 * ring macros in a sealed memfd with a real grant table, and a
 * SOCK_SEQPACKET socketpair standing in for the TAP. Frames the guest
 * queues on its tx ring come out of the socket with the right vnet header
 * and bytes; frames sent into the socket land in the guest's posted rx
 * pages with the right responses. A hostile guest (grants, slots, chains,
 * GSO, ids, ring indices) and a hostile host (floods, a full socket, a
 * hung-up one) never crash the process, never stop another ring, and never
 * get a byte written outside what the guest granted for it (a canary page).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "hcall/abi.h"
#include "hcall/common/ddproto.h"
#include "hcall/dd/ddring.h"
#include "hcall/dd/ddtypes.h"
#include "hcall/dd/vifback.h"
#include <xen/grant_table.h>

#include "dd_fixture.h"
#include "net_fixture.h"

#define RAM (16u << 20)
#define TABLE_GPA 0x10000u
#define NR_GRANTS 512u
#define SHARED_GPA 0x30000u
#define RING_FR 0x40u		/* tx, rx rings of queue A at 0x40, 0x41; queue B at 0x42, 0x43 */
#define TX_FR 0x100u		/* tx pages: refs 10.. -> frames 0x100.., granted read-only */
#define TX_REF 10u
#define NR_TX 64u
#define RX_FR 0x200u		/* rx pages: refs 100.. -> frames 0x200.., writable */
#define RX_REF 100u
#define NR_RX 160u
#define CANARY_FR 0x300u	/* never granted */
#define PORT 9
#define PORT_RX 10
#define ME 0
#define ALL (HC_DD_VIF_SG | HC_DD_VIF_GSO_TCPV4 | HC_DD_VIF_GSO_TCPV6 | HC_DD_VIF_IPV6_CSUM | \
	     HC_DD_VIF_RX_NOTIFY)
#define VH sizeof(struct virtio_net_hdr)
#define BIG 70000

/* One netif queue as the guest drives it, with the host's end of its fd. */
struct queue {
	struct hc_dd_ring r;
	int running;
	int host;		/* our end of the socketpair */
	int kick[2];		/* its doorbells */
	unsigned int nr_ports;
	netif_tx_front_ring_t tx;
	netif_rx_front_ring_t rx;
};

struct fx {
	int memfd;
	uint8_t *ram;
	struct grant_entry_v1 *t;
	int upcall;
	struct queue a, b;
};

static uint8_t *frame(struct fx *f, uint32_t fr)
{
	return f->ram + (size_t)fr * 4096;
}

static void grant(struct fx *f, grant_ref_t ref, uint32_t fr, uint16_t flags, uint16_t domid)
{
	f->t[ref] = (struct grant_entry_v1){ .flags = flags, .domid = domid, .frame = fr };
}

static struct hcall_shared_info *shared(struct fx *f)
{
	return (struct hcall_shared_info *)(f->ram + SHARED_GPA);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	unsigned int i;

	f->ram = sealed_guest_ram(RAM, &f->memfd);
	f->t = (struct grant_entry_v1 *)(f->ram + TABLE_GPA);
	for (i = 0; i < 4; i++)
		grant(f, 1 + i, RING_FR + i, GTF_permit_access, ME);
	for (i = 0; i < NR_TX; i++)
		grant(f, TX_REF + i, TX_FR + i, GTF_permit_access | GTF_readonly, ME);
	for (i = 0; i < NR_RX; i++)
		grant(f, RX_REF + i, RX_FR + i, GTF_permit_access, ME);
	memset(frame(f, CANARY_FR), 0xc5, 4096);
	for (i = 0; i < 2; i++) {
		f->a.kick[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		f->b.kick[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	}
	f->upcall = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	f->a.host = f->b.host = -1;
	*state = f;
	return 0;
}

static void stop(struct queue *q)
{
	if (q->running)
		hc_dd_ring_stop(&q->r);
	q->running = 0;
	if (q->host >= 0)
		close(q->host);
	q->host = -1;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	uint8_t canary[4096];
	unsigned int i;

	stop(&f->a);
	stop(&f->b);
	/* Whatever happened: the page never granted is untouched, no grant stays pinned. */
	memset(canary, 0xc5, sizeof(canary));
	assert_memory_equal(frame(f, CANARY_FR), canary, sizeof(canary));
	for (i = 0; i < NR_GRANTS; i++)
		assert_int_equal(f->t[i].flags & (GTF_reading | GTF_writing), 0);
	for (i = 0; i < 2; i++) {
		close(f->a.kick[i]);
		close(f->b.kick[i]);
	}
	close(f->upcall);
	munmap(f->ram, RAM);
	close(f->memfd);
	free(f);
	return 0;
}

static struct hc_dd_attach vif_attach(uint32_t features, unsigned int nr_ports, grant_ref_t tx)
{
	struct hc_dd_attach a = {
		.magic = HC_DD_MAGIC, .version = HC_DD_VERSION, .type = HC_DD_TYPE_VIF, .nr_vcpus = 1,
		.nr_rings = 2, .nr_ports = (uint16_t)nr_ports, .mem = RAM, .gnttab_gpa = TABLE_GPA,
		.gnttab_entries = NR_GRANTS, .ring_ref = { tx, tx + 1 },
		.shared_info_gpa = SHARED_GPA, .evtchn_port = { PORT, nr_ports > 1 ? PORT_RX : 0 },
		/* 65535: what the shim passes (a GSO frame's most) */
		.u.vif = { .features = features, .queue = 0, .mtu = 65535,
			   .mac = { 0x52, 0x54, 0, 0x12, 0x34, 0x56 } },
	};

	return a;
}

/* Start @a with @fd as its type fd, @kick its doorbells (copies: the ring takes them). */
static int start_fd(struct fx *f, struct hc_dd_ring *r, const struct hc_dd_attach *a,
		    const int *kick, int fd)
{
	int fds[HC_DD_MAX_FDS];
	unsigned int i;

	for (i = 0; i < HC_DD_MAX_FDS; i++)
		fds[i] = -1;
	fds[HC_DD_FD_RAM] = dup(f->memfd);
	for (i = 0; i < a->nr_ports; i++)
		fds[HC_DD_FD_KICK + i] = dup(kick[i]);
	fds[HC_DD_FD_UPCALL(a->nr_ports)] = dup(f->upcall);
	fds[HC_DD_FD_TYPE(a->nr_ports, a->nr_vcpus)] = dup(fd);
	return hc_dd_ring_start(r, a, fds);
}

/* Queue @q (A: rings 1, 2; B: rings 3, 4) on fresh rings, its fd a socketpair. */
static void start_queue(struct fx *f, struct queue *q, uint32_t features, unsigned int nr_ports)
{
	grant_ref_t ref = q == &f->a ? 1 : 3;
	struct hc_dd_attach a = vif_attach(features, nr_ports, ref);
	netif_tx_sring_t *txs = (netif_tx_sring_t *)frame(f, RING_FR + ref - 1);
	netif_rx_sring_t *rxs = (netif_rx_sring_t *)frame(f, RING_FR + ref);
	int sv[2];

	SHARED_RING_INIT(txs);
	SHARED_RING_INIT(rxs);
	FRONT_RING_INIT(&q->tx, txs, 4096);
	FRONT_RING_INIT(&q->rx, rxs, 4096);
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(start_fd(f, &q->r, &a, q->kick, sv[1]), 0);
	close(sv[1]);		/* the ring holds its own copy */
	q->host = sv[0];
	q->nr_ports = nr_ports;
	q->running = 1;
}

static struct hc_vifback *vb(struct queue *q)
{
	return q->r.priv;
}

static void kick(struct queue *q, unsigned int port)
{
	uint64_t one = 1;

	assert_int_equal(write(q->kick[port], &one, sizeof(one)), sizeof(one));
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Wait (up to 5 s) until *@idx - @base >= @n. */
static void wait_index(const RING_IDX *idx, RING_IDX base, unsigned int n)
{
	long long end = now_ms() + 5000;

	while (__atomic_load_n(idx, __ATOMIC_ACQUIRE) - base < n) {
		assert_true(now_ms() < end);
		usleep(1000);
	}
}

static void wait_flag(const int *flag)
{
	long long end = now_ms() + 5000;

	while (!__atomic_load_n(flag, __ATOMIC_ACQUIRE)) {
		assert_true(now_ms() < end);
		usleep(1000);
	}
}

/* ---- the guest's tx side ---- */

static netif_tx_request_t txreq(grant_ref_t gref, uint16_t off, uint16_t size, uint16_t flags,
				uint16_t id)
{
	return (netif_tx_request_t){ .gref = gref, .offset = off, .flags = flags, .id = id,
				     .size = size };
}

static void tx_put(struct queue *q, netif_tx_request_t r)
{
	memcpy(RING_GET_REQUEST(&q->tx, q->tx.req_prod_pvt), &r, sizeof(r));
	q->tx.req_prod_pvt++;
}

/* Publish what was queued on both rings and ring every doorbell of @q. */
static void publish(struct queue *q)
{
	int notify;

	RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&q->tx, notify);
	RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&q->rx, notify);
	(void)notify;
	for (unsigned int i = 0; i < q->nr_ports; i++)
		kick(q, i);
}

/* The next tx response (waiting for it). */
static int16_t tx_rsp(struct queue *q, uint16_t *id)
{
	netif_tx_response_t rsp;

	wait_index(&q->tx.sring->rsp_prod, q->tx.rsp_cons, 1);
	memcpy(&rsp, RING_GET_RESPONSE(&q->tx, q->tx.rsp_cons), sizeof(rsp));
	q->tx.rsp_cons++;
	if (id)
		*id = rsp.id;
	return rsp.status;
}

/* A frame off the host's end: its length, -1 if none came within @ms. */
static ssize_t host_recv(struct queue *q, struct virtio_net_hdr *vh, uint8_t *buf, int ms)
{
	struct pollfd p = { q->host, POLLIN, 0 };
	struct iovec iov[2] = { { vh, VH }, { buf, BIG } };
	ssize_t n;

	if (poll(&p, 1, ms) != 1)
		return -1;
	n = readv(q->host, iov, 2);
	assert_true(n >= (ssize_t)VH);
	return n - (ssize_t)VH;
}

static void host_send(struct queue *q, const struct virtio_net_hdr *vh, const uint8_t *buf,
		      size_t len)
{
	struct iovec iov[2] = { { (void *)vh, VH }, { (void *)buf, len } };

	assert_int_equal(writev(q->host, iov, 2), (ssize_t)(VH + len));
}

static void pattern(uint8_t *p, size_t len, unsigned int seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(seed + i * 7 + (i >> 8));
}

/* Ethernet + IPv4 (+ TCP or UDP) headers, then a pattern: @len bytes in all. */
static void ip_frame(uint8_t *b, size_t len, int v6, uint8_t proto)
{
	size_t ip = 14, l4 = v6 ? 54 : 34;

	pattern(b, len, 3);
	memset(b + 12, 0, l4 + 20 - 12);
	b[12] = v6 ? 0x86 : 0x08;
	b[13] = v6 ? 0xdd : 0x00;
	if (v6) {
		b[ip] = 0x60;
		b[ip + 6] = proto;
	} else {
		b[ip] = 0x45;
		b[ip + 9] = proto;
	}
	if (proto == 6)
		b[l4 + 12] = 5 << 4;
}

/* Put @len bytes of @src into tx page @i at @off. */
static void tx_page(struct fx *f, unsigned int i, uint16_t off, const uint8_t *src, size_t len)
{
	memcpy(frame(f, TX_FR + i) + off, src, len);
}

static void assert_tx_grants_released(struct fx *f)
{
	for (unsigned int i = 0; i < NR_TX; i++)
		assert_int_equal(f->t[TX_REF + i].flags, GTF_permit_access | GTF_readonly);
}

static void tx_frames_come_out_of_the_fd(void **state)
{
	struct fx *f = *state;
	struct queue *q = &f->a;
	static uint8_t buf[BIG], want[4096];
	struct virtio_net_hdr vh, zero = { 0 };
	uint16_t id;

	start_queue(f, q, ALL, 1);
	pattern(want, 60, 1);
	tx_page(f, 0, 100, want, 60);
	tx_put(q, txreq(TX_REF, 100, 60, 0, 0x1234));
	publish(q);
	assert_int_equal(host_recv(q, &vh, buf, 5000), 60);
	assert_memory_equal(&vh, &zero, VH);
	assert_memory_equal(buf, want, 60);
	assert_int_equal(tx_rsp(q, &id), NETIF_RSP_OKAY);
	assert_int_equal(id, 0x1234);
	/* Three slots, the first's own 1000 bytes, data validated by the guest. */
	pattern(want, 3500, 2);
	tx_page(f, 1, 0, want, 1000);
	tx_page(f, 2, 96, want + 1000, 2000);
	tx_page(f, 3, 3596, want + 3000, 500);
	tx_put(q, txreq(TX_REF + 1, 0, 3500, NETTXF_more_data | NETTXF_data_validated, 1));
	tx_put(q, txreq(TX_REF + 2, 96, 2000, NETTXF_more_data, 2));
	tx_put(q, txreq(TX_REF + 3, 3596, 500, 0, 3));
	publish(q);
	assert_int_equal(host_recv(q, &vh, buf, 5000), 3500);
	assert_int_equal(vh.flags, VIRTIO_NET_HDR_F_DATA_VALID);
	assert_int_equal(vh.gso_type, VIRTIO_NET_HDR_GSO_NONE);
	assert_memory_equal(buf, want, 3500);
	for (uint16_t i = 1; i <= 3; i++) {
		assert_int_equal(tx_rsp(q, &id), NETIF_RSP_OKAY);
		assert_int_equal(id, i);
	}
	assert_true(shared(f)->evtchn_pending[0] & (1ull << PORT));
	assert_int_equal(vb(q)->tx_packets, 2);
	assert_int_equal(vb(q)->tx_bytes, 3560);
	assert_int_equal(vb(q)->tx_errors + vb(q)->tx_dropped, 0);
	assert_tx_grants_released(f);
}

static void tx_offloads_go_in_the_vnet_header(void **state)
{
	struct fx *f = *state;
	struct queue *q = &f->a;
	static uint8_t buf[BIG], want[8192];
	struct virtio_net_hdr vh;
	uint16_t id;

	start_queue(f, q, ALL, 1);
	/* TSO: IPv4/TCP over two slots, checksum left blank, a GSO extra. */
	ip_frame(want, 3054, 0, 6);
	tx_page(f, 0, 0, want, 1000);
	tx_page(f, 1, 0, want + 1000, 2054);
	tx_put(q, txreq(TX_REF, 0, 3054, NETTXF_more_data | NETTXF_extra_info | NETTXF_csum_blank,
			7));
	tx_put(q, tx_extra(XEN_NETIF_EXTRA_TYPE_GSO, 0, 1448, XEN_NETIF_GSO_TYPE_TCPV4));
	tx_put(q, txreq(TX_REF + 1, 0, 2054, 0, 8));
	publish(q);
	assert_int_equal(host_recv(q, &vh, buf, 5000), 3054);
	assert_memory_equal(buf, want, 3054);
	assert_int_equal(vh.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	assert_int_equal(vh.csum_start, 34);
	assert_int_equal(vh.csum_offset, 16);
	assert_int_equal(vh.gso_type, VIRTIO_NET_HDR_GSO_TCPV4);
	assert_int_equal(vh.gso_size, 1448);
	assert_int_equal(vh.hdr_len, 54);
	assert_int_equal(tx_rsp(q, &id), NETIF_RSP_OKAY);
	assert_int_equal(id, 7);
	assert_int_equal(tx_rsp(q, NULL), NETIF_RSP_NULL);	/* the extra's slot */
	assert_int_equal(tx_rsp(q, &id), NETIF_RSP_OKAY);
	assert_int_equal(id, 8);
	/* IPv6/UDP, checksum blank, no GSO. */
	ip_frame(want, 200, 1, 17);
	tx_page(f, 2, 0, want, 200);
	tx_put(q, txreq(TX_REF + 2, 0, 200, NETTXF_csum_blank, 9));
	publish(q);
	assert_int_equal(host_recv(q, &vh, buf, 5000), 200);
	assert_int_equal(vh.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	assert_int_equal(vh.csum_start, 54);
	assert_int_equal(vh.csum_offset, 6);
	assert_int_equal(vh.gso_type, VIRTIO_NET_HDR_GSO_NONE);
	assert_int_equal(tx_rsp(q, NULL), NETIF_RSP_OKAY);
	/* What the headers cannot serve is dropped: a blank checksum in ARP, TCPv6 GSO over IPv4. */
	pattern(want, 60, 5);
	want[12] = 0x08;
	want[13] = 0x06;
	tx_page(f, 3, 0, want, 60);
	tx_put(q, txreq(TX_REF + 3, 0, 60, NETTXF_csum_blank, 10));
	ip_frame(want, 3000, 0, 6);
	tx_page(f, 4, 0, want, 3000);
	tx_put(q, txreq(TX_REF + 4, 0, 3000, NETTXF_extra_info | NETTXF_csum_blank, 11));
	tx_put(q, tx_extra(XEN_NETIF_EXTRA_TYPE_GSO, 0, 1448, XEN_NETIF_GSO_TYPE_TCPV6));
	publish(q);
	assert_int_equal(tx_rsp(q, &id), NETIF_RSP_DROPPED);
	assert_int_equal(id, 10);
	assert_int_equal(tx_rsp(q, &id), NETIF_RSP_DROPPED);
	assert_int_equal(id, 11);
	assert_int_equal(tx_rsp(q, NULL), NETIF_RSP_NULL);
	assert_int_equal(host_recv(q, &vh, buf, 100), -1);
	assert_int_equal(vb(q)->tx_dropped, 2);
	assert_int_equal(vb(q)->tx_packets, 2);
	assert_tx_grants_released(f);
}

static void hostile_tx_frames_fail_alone(void **state)
{
	struct fx *f = *state;
	struct queue *q = &f->a;
	static uint8_t buf[BIG], want[4096];
	struct virtio_net_hdr vh;
	uint16_t id;
	int i;

	start_queue(f, q, ALL, 1);
	grant(f, 300, CANARY_FR, GTF_permit_access, 5);		/* to domain 5 */
	grant(f, 301, 0xfffff, GTF_permit_access, ME);		/* beyond RAM */
	grant(f, 302, CANARY_FR, 0, ME);			/* not granted (any more) */
	pattern(want, 100, 9);
	tx_page(f, 0, 0, want, 100);
	tx_put(q, txreq(300, 0, 60, 0, 100));			/* another domain's grant */
	tx_put(q, txreq(301, 0, 60, 0, 101));			/* a frame outside RAM */
	tx_put(q, txreq(302, 0, 60, 0, 102));			/* ungranted */
	tx_put(q, txreq(NR_GRANTS + 5, 0, 60, 0, 103));		/* past the table */
	tx_put(q, txreq(TX_REF, 0, 10, 0, 104));		/* shorter than Ethernet */
	tx_put(q, txreq(TX_REF, 0, 100, NETTXF_more_data, 105));	/* a slot of 0 bytes */
	tx_put(q, txreq(TX_REF + 1, 0, 0, 0, 106));
	tx_put(q, txreq(TX_REF, 0, 100, NETTXF_more_data, 107));	/* more after than in all */
	tx_put(q, txreq(TX_REF + 1, 0, 200, 0, 108));
	tx_put(q, txreq(TX_REF, 0, 100, NETTXF_extra_info, 109));	/* GSO size over the frame */
	tx_put(q, tx_extra(XEN_NETIF_EXTRA_TYPE_GSO, 0, 100, XEN_NETIF_GSO_TYPE_TCPV4));
	tx_put(q, txreq(TX_REF, 0, 100, NETTXF_extra_info, 110));	/* multicast: not offered */
	tx_put(q, tx_extra(XEN_NETIF_EXTRA_TYPE_MCAST_ADD, 0, 0, 0));
	tx_put(q, txreq(TX_REF, 0, 100, 0, 0xffff));		/* a good one, any id */
	publish(q);
	for (i = 100; i <= 104; i++) {
		assert_int_equal(tx_rsp(q, &id), NETIF_RSP_ERROR);
		assert_int_equal(id, i);
	}
	for (i = 105; i <= 108; i++) {
		assert_int_equal(tx_rsp(q, &id), NETIF_RSP_ERROR);	/* each slot of the frame */
		assert_int_equal(id, i);
	}
	assert_int_equal(tx_rsp(q, &id), NETIF_RSP_ERROR);
	assert_int_equal(id, 109);
	assert_int_equal(tx_rsp(q, NULL), NETIF_RSP_NULL);
	assert_int_equal(tx_rsp(q, &id), NETIF_RSP_ERROR);
	assert_int_equal(id, 110);
	assert_int_equal(tx_rsp(q, NULL), NETIF_RSP_NULL);
	assert_int_equal(tx_rsp(q, &id), NETIF_RSP_OKAY);
	assert_int_equal(id, 0xffff);
	assert_int_equal(host_recv(q, &vh, buf, 5000), 100);	/* only the good one */
	assert_memory_equal(buf, want, 100);
	assert_int_equal(host_recv(q, &vh, buf, 100), -1);
	assert_int_equal(vb(q)->tx_errors, 9);
	assert_int_equal(vb(q)->tx_packets, 1);
	assert_false(vb(q)->broken);
	/* Every grant it did map is let go, the foreign one was never taken. */
	assert_int_equal(f->t[300].flags, GTF_permit_access);
	assert_tx_grants_released(f);
}

/* What cuts queue A off; queue B of the same guest goes on, and so does the process. */
enum fatal_case { NINETEEN_SLOTS, PAST_THE_PAGE, ENDLESS_EXTRAS, GARBAGE_GSO, HALF_PUBLISHED,
		  TX_PROD, RX_PROD, NR_FATAL };

static void do_fatal(struct queue *q, enum fatal_case c)
{
	unsigned int i;

	switch (c) {
	case NINETEEN_SLOTS:
		tx_put(q, txreq(TX_REF, 0, 19 * 100, NETTXF_more_data, 0));
		for (i = 1; i < 19; i++)
			tx_put(q, txreq(TX_REF + i, 0, 100, i < 18 ? NETTXF_more_data : 0, (uint16_t)i));
		break;
	case PAST_THE_PAGE:
		tx_put(q, txreq(TX_REF, 0, 300, NETTXF_more_data, 0));
		tx_put(q, txreq(TX_REF + 1, 4000, 200, 0, 1));
		break;
	case ENDLESS_EXTRAS:
		tx_put(q, txreq(TX_REF, 0, 300, NETTXF_extra_info, 0));
		for (i = 0; i < 30; i++)
			tx_put(q, tx_extra(XEN_NETIF_EXTRA_TYPE_GSO, XEN_NETIF_EXTRA_FLAG_MORE, 100, 1));
		break;
	case GARBAGE_GSO:
		tx_put(q, txreq(TX_REF, 0, 300, NETTXF_extra_info, 0));
		tx_put(q, tx_extra(XEN_NETIF_EXTRA_TYPE_GSO, 0, 100, 0x77));
		break;
	case HALF_PUBLISHED:
		tx_put(q, txreq(TX_REF, 0, 300, NETTXF_more_data, 0));
		break;
	case TX_PROD:
		q->tx.sring->req_prod += 1000;
		kick(q, 0);
		return;
	case RX_PROD:
		q->rx.sring->req_prod += 300;
		kick(q, 0);
		return;
	case NR_FATAL:
		break;
	}
	publish(q);
}

static void fatal_errors_cut_off_only_their_queue(void **state)
{
	struct fx *f = *state;
	static uint8_t buf[BIG], want[200];
	struct virtio_net_hdr vh;
	uint16_t id;

	start_queue(f, &f->b, ALL, 1);
	for (int c = 0; c < NR_FATAL; c++) {
		start_queue(f, &f->a, ALL, 1);
		/* A good frame first: served as usual. */
		pattern(want, 80, (unsigned int)c);
		tx_page(f, 40, 0, want, 80);
		tx_put(&f->a, txreq(TX_REF + 40, 0, 80, 0, 99));
		publish(&f->a);
		assert_int_equal(tx_rsp(&f->a, &id), NETIF_RSP_OKAY);
		assert_int_equal(id, 99);
		assert_int_equal(host_recv(&f->a, &vh, buf, 5000), 80);
		do_fatal(&f->a, (enum fatal_case)c);
		wait_flag(&vb(&f->a)->broken);
		/* Nothing after it is answered, nothing sent. */
		usleep(20000);
		assert_int_equal(f->a.tx.sring->rsp_prod, f->a.tx.rsp_cons);
		assert_int_equal(host_recv(&f->a, &vh, buf, 0), -1);
		/* Queue B is served as before. */
		tx_page(f, 41, 0, want, 80);
		tx_put(&f->b, txreq(TX_REF + 41, 0, 80, 0, (uint16_t)c));
		publish(&f->b);
		assert_int_equal(tx_rsp(&f->b, &id), NETIF_RSP_OKAY);
		assert_int_equal(id, c);
		assert_int_equal(host_recv(&f->b, &vh, buf, 5000), 80);
		assert_memory_equal(buf, want, 80);
		stop(&f->a);
		assert_tx_grants_released(f);
	}
	assert_false(vb(&f->b)->broken);
}

/* ---- the guest's rx side ---- */

static void rx_post(struct queue *q, uint16_t id, grant_ref_t gref)
{
	netif_rx_request_t r = { .id = id, .gref = gref };

	memcpy(RING_GET_REQUEST(&q->rx, q->rx.req_prod_pvt), &r, sizeof(r));
	q->rx.req_prod_pvt++;
}

/* Post buffers with ids @from .. @from + @n - 1, each on the page of ref RX_REF + id. */
static void rx_post_range(struct queue *q, unsigned int from, unsigned int n)
{
	for (unsigned int i = from; i < from + n; i++)
		rx_post(q, (uint16_t)i, RX_REF + i);
	publish(q);
}

static netif_rx_response_t rx_rsp(struct queue *q)
{
	netif_rx_response_t rsp;

	wait_index(&q->rx.sring->rsp_prod, q->rx.rsp_cons, 1);
	memcpy(&rsp, RING_GET_RESPONSE(&q->rx, q->rx.rsp_cons), sizeof(rsp));
	q->rx.rsp_cons++;
	return rsp;
}

static void expect_rx(struct queue *q, uint16_t id, uint16_t flags, int16_t status)
{
	netif_rx_response_t rsp = rx_rsp(q);

	assert_int_equal(rsp.id, id);
	assert_int_equal(rsp.offset, 0);
	assert_int_equal(rsp.flags, flags);
	assert_int_equal(rsp.status, status);
}

static uint8_t *rx_page(struct fx *f, unsigned int id)
{
	return frame(f, RX_FR + id);
}

static void rx_frames_land_in_posted_pages(void **state)
{
	struct fx *f = *state;
	struct queue *q = &f->a;
	static uint8_t want[BIG];
	struct virtio_net_hdr vh = { .flags = VIRTIO_NET_HDR_F_DATA_VALID };
	netif_rx_response_t rsp;
	netif_extra_info_t x;

	start_queue(f, q, ALL, 2);	/* split event channels: rx answers on port 1 */
	shared(f)->evtchn_pending[0] = 0;
	rx_post_range(q, 0, 64);
	pattern(want, 100, 1);
	host_send(q, &vh, want, 100);
	expect_rx(q, 0, NETRXF_data_validated, 100);
	assert_memory_equal(rx_page(f, 0), want, 100);
	assert_true(shared(f)->evtchn_pending[0] & (1ull << PORT_RX));
	assert_false(shared(f)->evtchn_pending[0] & (1ull << PORT));
	/* Over three pages, checksum to be done: in buffers 1, 2, 3, whole pages first. */
	vh.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	vh.csum_start = 34;
	vh.csum_offset = 16;
	pattern(want, 9000, 2);
	host_send(q, &vh, want, 9000);
	expect_rx(q, 1, NETRXF_more_data | NETRXF_csum_blank | NETRXF_data_validated, 4096);
	expect_rx(q, 2, NETRXF_more_data, 4096);
	expect_rx(q, 3, 0, 808);
	assert_memory_equal(rx_page(f, 1), want, 4096);
	assert_memory_equal(rx_page(f, 2), want + 4096, 4096);
	assert_memory_equal(rx_page(f, 3), want + 8192, 808);
	/* GSO: the extra right after the first slot, in the slot of buffer 5. */
	vh = (struct virtio_net_hdr){ .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
				      .gso_type = VIRTIO_NET_HDR_GSO_TCPV4, .gso_size = 1448,
				      .hdr_len = 54, .csum_start = 34, .csum_offset = 16 };
	ip_frame(want, 10000, 0, 6);
	host_send(q, &vh, want, 10000);
	expect_rx(q, 4, NETRXF_more_data | NETRXF_extra_info | NETRXF_csum_blank |
		  NETRXF_data_validated, 4096);
	rsp = rx_rsp(q);
	memcpy(&x, &rsp, sizeof(x));
	assert_int_equal(x.type, XEN_NETIF_EXTRA_TYPE_GSO);
	assert_int_equal(x.flags, 0);
	assert_int_equal(x.u.gso.size, 1448);
	assert_int_equal(x.u.gso.type, XEN_NETIF_GSO_TYPE_TCPV4);
	assert_int_equal(x.u.gso.pad, 0);
	assert_int_equal(x.u.gso.features, 0);
	expect_rx(q, 6, NETRXF_more_data, 4096);
	expect_rx(q, 7, 0, 10000 - 8192);
	assert_memory_equal(rx_page(f, 4), want, 4096);
	assert_memory_equal(rx_page(f, 6), want + 4096, 4096);
	assert_memory_equal(rx_page(f, 7), want + 8192, 10000 - 8192);
	/* A TCPv6 GSO frame of one page still takes its extra. */
	vh.gso_type = VIRTIO_NET_HDR_GSO_TCPV6 | VIRTIO_NET_HDR_GSO_ECN;
	vh.csum_start = 54;
	ip_frame(want, 3000, 1, 6);
	host_send(q, &vh, want, 3000);
	expect_rx(q, 8, NETRXF_extra_info | NETRXF_csum_blank | NETRXF_data_validated, 3000);
	rsp = rx_rsp(q);
	memcpy(&x, &rsp, sizeof(x));
	assert_int_equal(x.u.gso.type, XEN_NETIF_GSO_TYPE_TCPV6);
	assert_memory_equal(rx_page(f, 8), want, 3000);
	assert_int_equal(vb(q)->rx_packets, 4);
	assert_int_equal(vb(q)->rx_bytes, 100 + 9000 + 10000 + 3000);
	assert_int_equal(vb(q)->rx_dropped + vb(q)->rx_errors, 0);
	/* Only the answered buffers are let go; the rest stay posted (and pinned) until stop. */
	assert_int_equal(f->t[RX_REF + 0].flags, GTF_permit_access);
	assert_int_equal(f->t[RX_REF + 9].flags, GTF_permit_access);	/* the last extra's */
	assert_int_equal(f->t[RX_REF + 10].flags, GTF_permit_access | GTF_writing | GTF_reading);
}

/* Frames the guest cannot take are dropped, counted, and leave its buffers posted. */
static void rx_frames_the_guest_cannot_take(void **state)
{
	struct fx *f = *state;
	struct queue *q = &f->a;
	static uint8_t want[BIG];
	struct virtio_net_hdr vh = { .gso_type = VIRTIO_NET_HDR_GSO_TCPV4, .gso_size = 1448 };

	start_queue(f, q, 0, 1);	/* no scatter-gather, no GSO: one page per frame */
	rx_post_range(q, 0, 4);
	ip_frame(want, 3000, 0, 6);
	host_send(q, &vh, want, 3000);			/* GSO it did not ask for */
	vh = (struct virtio_net_hdr){ 0 };
	host_send(q, &vh, want, 5000);			/* more than one page */
	host_send(q, &vh, want, 10);			/* shorter than Ethernet */
	host_send(q, &vh, want, 0);			/* nothing */
	assert_int_equal(send(q->host, "short", 5, 0), 5);	/* not even a vnet header */
	pattern(want, 1514, 4);
	host_send(q, &vh, want, 1514);
	expect_rx(q, 0, 0, 1514);			/* in the first buffer, as if nothing came before */
	assert_memory_equal(rx_page(f, 0), want, 1514);
	assert_int_equal(vb(q)->rx_dropped, 5);
	assert_int_equal(vb(q)->rx_packets, 1);
	stop(q);
	/* A guest that takes TCPv4 GSO only: UDP and TCPv6 GSO are dropped. */
	start_queue(f, q, HC_DD_VIF_SG | HC_DD_VIF_GSO_TCPV4, 1);
	rx_post_range(q, 0, 40);
	vh = (struct virtio_net_hdr){ .gso_type = VIRTIO_NET_HDR_GSO_UDP, .gso_size = 1000 };
	host_send(q, &vh, want, 3000);
	vh.gso_type = VIRTIO_NET_HDR_GSO_TCPV6;
	host_send(q, &vh, want, 3000);
	vh.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
	vh.gso_size = 0;				/* and a GSO size of 0 */
	host_send(q, &vh, want, 3000);
	vh = (struct virtio_net_hdr){ 0 };
	host_send(q, &vh, want, 1000);
	expect_rx(q, 0, 0, 1000);
	assert_int_equal(vb(q)->rx_dropped, 3);
}

static void hostile_rx_requests(void **state)
{
	struct fx *f = *state;
	struct queue *q = &f->a;
	static uint8_t want[BIG], before[4096];
	struct virtio_net_hdr vh = { 0 };
	unsigned int i;

	start_queue(f, q, 0, 1);	/* one buffer per frame */
	grant(f, 300, CANARY_FR, GTF_permit_access, 5);			/* another domain's */
	grant(f, 301, RX_FR + 150, GTF_permit_access | GTF_readonly, ME);	/* read-only */
	grant(f, 302, 0xfffff, GTF_permit_access, ME);			/* outside RAM */
	memcpy(before, rx_page(f, 150), sizeof(before));
	rx_post(q, 0, 300);
	rx_post(q, 1, 301);
	rx_post(q, 2, 302);
	rx_post(q, 3, NR_GRANTS + 1);		/* past the table */
	rx_post(q, 0x4000, RX_REF + 4);	/* an id no slot has */
	rx_post(q, 5, RX_REF + 5);
	publish(q);
	pattern(want, 700, 6);
	host_send(q, &vh, want, 700);
	expect_rx(q, 0, 0, NETIF_RSP_ERROR);
	expect_rx(q, 1, 0, NETIF_RSP_ERROR);
	expect_rx(q, 2, 0, NETIF_RSP_ERROR);
	expect_rx(q, 3, 0, NETIF_RSP_ERROR);
	expect_rx(q, 0x4000, 0, NETIF_RSP_ERROR);
	expect_rx(q, 5, 0, 700);
	assert_memory_equal(rx_page(f, 5), want, 700);
	assert_memory_equal(rx_page(f, 150), before, sizeof(before));
	assert_int_equal(vb(q)->rx_errors, 5);
	assert_int_equal(f->t[301].flags, GTF_permit_access | GTF_readonly);
	stop(q);
	/*
	 * A guest taking GSO needs 18 buffers per frame: a bad one among
	 * them is answered with those before it, all with errors.
	 */
	start_queue(f, q, ALL, 1);
	rx_post(q, 0, RX_REF);
	rx_post(q, 1, RX_REF + 1);
	rx_post(q, 2, 301);
	for (i = 3; i < 21; i++)
		rx_post(q, (uint16_t)i, RX_REF + i);
	publish(q);
	host_send(q, &vh, want, 700);
	for (i = 0; i < 3; i++)
		expect_rx(q, (uint16_t)i, 0, NETIF_RSP_ERROR);
	expect_rx(q, 3, 0, 700);
	assert_memory_equal(rx_page(f, 3), want, 700);
	assert_int_equal(vb(q)->rx_errors, 1);
}

/* Thread CPU time of the ring, in ms. */
static long long ring_cpu_ms(struct queue *q)
{
	struct timespec ts;
	clockid_t c;

	assert_int_equal(pthread_getcpuclockid(q->r.thread, &c), 0);
	assert_int_equal(clock_gettime(c, &ts), 0);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* The host floods a queue that posts too little: the socket's queue fills, nothing else. */
static void no_rx_buffers_while_the_host_floods(void **state)
{
	struct fx *f = *state;
	struct queue *q = &f->a;
	static uint8_t buf[BIG], want[1514];
	struct virtio_net_hdr vh = { 0 };
	struct iovec iov[2] = { { &vh, VH }, { want, sizeof(want) } };
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = 2 };
	long long cpu;
	int sent = 0;
	uint16_t id;

	start_queue(f, q, ALL, 1);
	rx_post_range(q, 0, 17);		/* one short of what a frame may take */
	pattern(want, sizeof(want), 8);
	while (sent < 100000 && sendmsg(q->host, &msg, MSG_DONTWAIT) == (ssize_t)(VH + sizeof(want)))
		sent++;
	assert_int_equal(errno, EAGAIN);	/* the socket's own queue is the only buffer */
	assert_true(sent > 0);
	cpu = ring_cpu_ms(q);
	usleep(200000);
	assert_true(ring_cpu_ms(q) - cpu < 50);	/* not polling the full fd */
	assert_int_equal(q->rx.sring->rsp_prod, 0);
	assert_false(vb(q)->rx_armed);
	/* Another queue of the guest receives meanwhile, this one transmits. */
	start_queue(f, &f->b, ALL, 1);
	rx_post_range(&f->b, 100, 18);
	host_send(&f->b, &vh, want, 600);
	expect_rx(&f->b, 100, 0, 600);
	assert_memory_equal(rx_page(f, 100), want, 600);
	tx_page(f, 0, 0, want, 100);
	tx_put(q, txreq(TX_REF, 0, 100, 0, 1));
	publish(q);
	assert_int_equal(tx_rsp(q, &id), NETIF_RSP_OKAY);
	assert_int_equal(host_recv(q, &vh, buf, 5000), 100);
	/* One more buffer and frames flow, one per buffer while 18 are posted. */
	rx_post_range(q, 17, 20);
	expect_rx(q, 0, 0, sizeof(want));
	assert_memory_equal(rx_page(f, 0), want, sizeof(want));
	wait_index(&q->rx.sring->rsp_prod, 0, 20);
	usleep(20000);
	assert_int_equal(q->rx.sring->rsp_prod, 20);	/* then it waits for more */
	assert_int_equal(vb(q)->rx_packets, 20);
}

/* A full socket: the frame waits for room, none is lost, order is kept. */
static void tx_waits_for_room(void **state)
{
	struct fx *f = *state;
	struct queue *q = &f->a;
	static uint8_t buf[BIG], want[1000];
	struct virtio_net_hdr vh;
	int i, sndbuf = 4096, answered;
	uint16_t id;

	start_queue(f, q, ALL, 1);
	/* The backend's end sends into ours: a small send buffer fills after a few frames. */
	assert_int_equal(setsockopt(hc_dd_ring_type_fd(&q->r, 0), SOL_SOCKET, SO_SNDBUF, &sndbuf,
				    sizeof(sndbuf)), 0);
	for (i = 0; i < 40; i++) {
		memset(want, i, sizeof(want));
		tx_page(f, (unsigned int)i, 0, want, sizeof(want));
		tx_put(q, txreq(TX_REF + (unsigned int)i, 0, sizeof(want), 0, (uint16_t)i));
	}
	publish(q);
	usleep(200000);
	answered = (int)(q->tx.sring->rsp_prod - q->tx.rsp_cons);
	assert_true(answered > 0 && answered < 40);
	assert_true(vb(q)->txf.held);
	for (i = 0; i < 40; i++) {
		assert_int_equal(host_recv(q, &vh, buf, 5000), sizeof(want));
		assert_int_equal(buf[0], i);
		assert_int_equal(buf[sizeof(want) - 1], i);
	}
	for (i = 0; i < 40; i++) {
		assert_int_equal(tx_rsp(q, &id), NETIF_RSP_OKAY);
		assert_int_equal(id, i);
	}
	assert_int_equal(vb(q)->tx_dropped, 0);
	assert_int_equal(vb(q)->tx_packets, 40);
}

/* The host's end goes away: tx frames are dropped (no SIGPIPE), rx reads stop, no spinning. */
static void the_host_hangs_up(void **state)
{
	struct fx *f = *state;
	struct queue *q = &f->a;
	static uint8_t want[100];
	long long cpu;
	uint16_t id;

	start_queue(f, q, ALL, 1);
	rx_post_range(q, 0, 18);
	close(q->host);
	q->host = -1;
	pattern(want, sizeof(want), 1);
	tx_page(f, 0, 0, want, sizeof(want));
	tx_put(q, txreq(TX_REF, 0, sizeof(want), 0, 5));
	publish(q);
	assert_int_equal(tx_rsp(q, &id), NETIF_RSP_DROPPED);
	assert_int_equal(id, 5);
	wait_flag(&vb(q)->fd_dead);
	cpu = ring_cpu_ms(q);
	usleep(200000);
	assert_true(ring_cpu_ms(q) - cpu < 50);
	assert_int_equal(q->rx.sring->rsp_prod, 0);
	assert_int_equal(vb(q)->tx_dropped, 1);
	assert_false(vb(q)->broken);
}

/* A ring stopped with a frame held and buffers posted lets go of every grant. */
static void stop_releases_everything(void **state)
{
	struct fx *f = *state;
	struct queue *q = &f->a;
	static uint8_t want[1000];
	int i, sndbuf = 4096;

	start_queue(f, q, ALL, 1);
	assert_int_equal(setsockopt(hc_dd_ring_type_fd(&q->r, 0), SOL_SOCKET, SO_SNDBUF, &sndbuf,
				    sizeof(sndbuf)), 0);
	rx_post_range(q, 0, 30);
	memset(want, 1, sizeof(want));
	for (i = 0; i < 40; i++) {
		tx_page(f, (unsigned int)i, 0, want, sizeof(want));
		tx_put(q, txreq(TX_REF + (unsigned int)i, 0, sizeof(want), 0, (uint16_t)i));
	}
	publish(q);
	wait_flag(&vb(q)->txf.held);
	stop(q);	/* teardown checks the grants */
}

static void refused_attaches_keep_nothing(void **state)
{
	struct fx *f = *state;
	int sv[2], st[2], before, devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	struct hc_dd_attach a;
	struct hc_dd_ring r;

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, st), 0);
	before = count_fds();
#define REFUSED(field_change, fd, err) do {				\
		a = vif_attach(ALL, 1, 1);				\
		field_change;						\
		assert_int_equal(start_fd(f, &r, &a, f->a.kick, fd), err);	\
		assert_int_equal(count_fds(), before);			\
	} while (0)
	REFUSED(a.nr_rings = 1; a.ring_ref[1] = 0, sv[1], -EINVAL);
	REFUSED(a.ring_ref[1] = 1, sv[1], -EINVAL);		/* one page for both rings */
	REFUSED(a.u.vif.features |= 1u << 5, sv[1], -EINVAL);
	REFUSED(a.u.vif.features = HC_DD_VIF_GSO_TCPV4, sv[1], -EINVAL);	/* GSO without SG */
	REFUSED(a.u.vif.mtu = 67, sv[1], -EINVAL);
	REFUSED(a.u.vif.pad[5] = 1, sv[1], -EINVAL);
	REFUSED(a.u.room[sizeof(struct hc_dd_vif)] = 1, sv[1], -EINVAL);
	REFUSED((void)0, f->memfd, -EBADF);			/* a file */
	REFUSED((void)0, st[1], -EBADF);			/* a stream: frames run together */
	REFUSED((void)0, devnull, -EBADF);			/* read-only */
	REFUSED(a.ring_ref[0] = 300, sv[1], -EPERM);		/* not granted */
	REFUSED(a.ring_ref[1] = 300, sv[1], -EPERM);		/* the tx ring was mapped: let go */
#undef REFUSED
	assert_int_equal(f->t[1].flags, GTF_permit_access);
	/* And the same attach, fixed, works. */
	a = vif_attach(ALL, 1, 1);
	assert_int_equal(start_fd(f, &r, &a, f->a.kick, sv[1]), 0);
	assert_ptr_equal(r.ops, hc_dd_backend_find(HC_DD_TYPE_VIF));
	hc_dd_ring_stop(&r);
	close(sv[0]);
	close(sv[1]);
	close(st[0]);
	close(st[1]);
	close(devnull);
}

int main(void)
{
#define T(t) cmocka_unit_test_setup_teardown(t, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(tx_frames_come_out_of_the_fd),
		T(tx_offloads_go_in_the_vnet_header),
		T(hostile_tx_frames_fail_alone),
		T(fatal_errors_cut_off_only_their_queue),
		T(rx_frames_land_in_posted_pages),
		T(rx_frames_the_guest_cannot_take),
		T(hostile_rx_requests),
		T(no_rx_buffers_while_the_host_floods),
		T(tx_waits_for_room),
		T(the_host_hangs_up),
		T(stop_releases_everything),
		T(refused_attaches_keep_nothing),
	};
#undef T

	return cmocka_run_group_tests_name("vifback", tests, NULL, NULL);
}
