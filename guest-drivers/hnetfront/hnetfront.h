/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hnetfront: the hcall PV network frontend (Xen netif rings). What the
 * files share: bus.c runs the store handshake and sets the queues up and
 * down, netdev.c is the net_device side (open, stop, MTU, statistics,
 * ethtool), tx.c and rx.c move frames over the rings.
 *
 * Locking:
 * - hnet_info.lock (mutex) serialises the handshake: the backend's state
 *   changes, the deferred fatal error and removal. It protects queues and
 *   nr_queues while they are set up or freed, registered, fatal and
 *   removing. It is taken before rtnl (register_netdev(),
 *   netdev_notify_peers()); no net_device callback takes it.
 * - hnet_queue.tx_lock (spinlock, irqsave: netpoll may take it from hard-irq
 *   context; xen-netfront does the same) protects the tx
 *   ring (req_prod_pvt, rsp_cons, tx_pushed, tx_nulls), the tx slots and
 *   free ids, and the tx counters. Taken in ndo_start_xmit (inside the
 *   stack's per-queue xmit lock) and in the queue's NAPI poll. It nests
 *   the grant table's own lock.
 * - The rx ring, rx buffers, spare pages and rx counters belong to the
 *   queue's NAPI poll; setup and teardown touch them only while NAPI is
 *   off (before registration, after unregister_netdev()).
 * - hnet_info.flags (HNET_BROKEN) is atomic: once set, nothing more is
 *   published to or taken from the rings.
 * Nothing about the rings is trusted: every response is copied once and
 * checked against what is outstanding; a backend that breaks the protocol
 * disables the device (carrier off, queues stopped, store error).
 */
#ifndef HNETFRONT_H
#define HNETFRONT_H

#include <linux/interrupt.h>
#include <linux/mutex.h>
#include <linux/netdevice.h>
#include <linux/spinlock.h>
#include <linux/timer.h>
#include <linux/u64_stats_sync.h>
#include <linux/workqueue.h>
#include <xen/interface/io/netif.h>

#define HNET_MAX_QUEUES		4
#define HNET_TX_RING_SIZE	__CONST_RING_SIZE(xen_netif_tx, PAGE_SIZE)
#define HNET_RX_RING_SIZE	__CONST_RING_SIZE(xen_netif_rx, PAGE_SIZE)
/* Data slots of one frame, either way (XEN_NETBK_LEGACY_SLOTS_MAX). */
#define HNET_MAX_SLOTS		XEN_NETIF_NR_SLOTS_MIN
/* Ring slots one tx frame takes: its data and a GSO extra. */
#define HNET_TX_FRAME_SLOTS	(HNET_MAX_SLOTS + 1)
/* The most ring slots an rx frame may take: data and one extra of each type. */
#define HNET_RX_FRAME_MAX	(HNET_MAX_SLOTS + XEN_NETIF_EXTRA_TYPE_MAX - 1)
/* Rx buffers a queue keeps posted: room for the longest frame, at least. */
#define HNET_RX_MIN_FILL	32
#define HNET_RX_COPY		256	/* bytes copied into an rx skb's head */
#define HNET_REFILL_RETRY	(HZ / 10)
/* The largest MTU whose frames fit a tx request's 16-bit size. */
#define HNET_MAX_MTU		(XEN_NETIF_MAX_TX_SIZE - ETH_HLEN)

/* Ids are 16 bits. */
static_assert(HNET_TX_RING_SIZE <= 65536);
static_assert(HNET_RX_RING_SIZE <= 65536);
static_assert(HNET_RX_MIN_FILL >= HNET_RX_FRAME_MAX);
static_assert(HNET_RX_MIN_FILL <= HNET_RX_RING_SIZE);
/* An rx frame's pages after the first fit an skb's frags. */
static_assert(HNET_MAX_SLOTS - 1 <= MAX_SKB_FRAGS);

/* Per-queue counters, in ethtool -S order: tx_queue_<n>_<name>. */
enum hnet_tx_stat {
	HNET_TX_PACKETS,	/* frames the backend sent (OKAY) */
	HNET_TX_BYTES,
	HNET_TX_DROPPED,	/* dropped here, or DROPPED by the backend */
	HNET_TX_ERRORS,		/* ERROR (or a status it should not use) */
	HNET_TX_RING_FULL,	/* the queue stopped for ring slots or ids */
	HNET_TX_GRANT_FAIL,	/* frames dropped: no grant reference free */
	HNET_TX_LINEARIZED,	/* frames copied to fit 18 slots or headers */
	HNET_TX_BAD_RSP,	/* protocol violations seen on the tx ring */
	HNET_TX_NR_STATS,
};

/* rx_queue_<n>_<name>. */
enum hnet_rx_stat {
	HNET_RX_PACKETS,
	HNET_RX_BYTES,
	HNET_RX_DROPPED,	/* no memory for the skb */
	HNET_RX_ERRORS,		/* malformed frames, dropped */
	HNET_RX_GRANT_FAIL,	/* refills cut short: no grant reference free */
	HNET_RX_ALLOC_FAIL,	/* refills cut short: no page */
	HNET_RX_CSUM_FIXUP,	/* GSO frames without csum_blank, fixed up */
	HNET_RX_BAD_RSP,	/* protocol violations seen on the rx ring */
	HNET_RX_NR_STATS,
};

extern const char *const hnet_tx_stat_names[HNET_TX_NR_STATS];
extern const char *const hnet_rx_stat_names[HNET_RX_NR_STATS];

/* One tx id: a request on the ring until its response comes back. */
struct hnet_tx_slot {
	struct sk_buff *skb;	/* NULL: the id is free; one skb reference per slot */
	int gref;		/* the read-only grant of its bytes */
	RING_IDX idx;		/* the ring index of its request */
	u32 len;		/* the frame's length on its first slot, else 0 */
};

/* One rx page: posted at ring index id (id = index % ring size), or spare. */
struct hnet_rx_buf {
	struct page *page;
	int gref;		/* its writable grant, or -1 once revoked */
};

/* An rx ring slot holds a response or, after NETRXF_extra_info, an extra. */
union hnet_rx_rsp {
	struct xen_netif_rx_response rsp;
	struct xen_netif_extra_info extra;
};

static_assert(sizeof(struct xen_netif_rx_response) == sizeof(struct xen_netif_extra_info));

struct hnet_info;

struct hnet_queue {
	struct hnet_info *info;
	unsigned int id;
	struct napi_struct napi;

	/* tx: tx_lock */
	spinlock_t tx_lock;
	struct xen_netif_tx_front_ring tx;
	RING_IDX tx_pushed;		/* req_prod as published to the backend */
	unsigned int tx_nulls;		/* GSO extras written, NULL responses due */
	unsigned int tx_nr_free;
	u16 tx_free[HNET_TX_RING_SIZE];	/* stack of free ids */
	struct hnet_tx_slot tx_slots[HNET_TX_RING_SIZE];
	struct u64_stats_sync tx_syncp;
	u64_stats_t tx_stats[HNET_TX_NR_STATS];

	/* rx: the NAPI poll */
	struct xen_netif_rx_front_ring rx ____cacheline_aligned_in_smp;
	RING_IDX rx_pushed;		/* req_prod as published to the backend */
	RING_IDX rx_seen;		/* rsp_prod as last read by the poll */
	unsigned int rx_nr_spare;
	struct hnet_rx_buf rx_bufs[HNET_RX_RING_SIZE];	/* by id */
	struct hnet_rx_buf rx_spare[HNET_RX_RING_SIZE];	/* pages to post again */
	struct timer_list refill_timer;	/* retries a refill cut short */
	struct u64_stats_sync rx_syncp;
	u64_stats_t rx_stats[HNET_RX_NR_STATS];

	/* Set up at connect, gone at removal. */
	int tx_ring_ref;
	int rx_ring_ref;
	unsigned int tx_port;
	unsigned int rx_port;		/* = tx_port without split channels */
	int tx_irq;			/* the only one without split channels */
	int rx_irq;			/* 0 without split channels */
	char name[16];			/* vif<N>-q<n> */
	char tx_irq_name[20];
	char rx_irq_name[20];
};

/* hnet_info.flags */
enum {
	HNET_BROKEN,	/* the backend broke the protocol or went away */
};

struct hnet_info {
	struct net_device *netdev;
	struct hcall_device *dev;
	unsigned long flags;
	const char *why;		/* the first reason for HNET_BROKEN */

	struct mutex lock;		/* see the top of this file */
	struct hnet_queue *queues;	/* nr_queues, from connect to removal */
	unsigned int nr_queues;
	unsigned int rx_target;		/* rx buffers each queue keeps posted */
	bool split_evtchn;
	bool be_sg;			/* the backend takes frames over several slots */
	bool registered;		/* register_netdev() done */
	bool fatal;			/* hcall_bus_dev_fatal() done */
	bool removing;
	struct work_struct fatal_work;	/* hcall_bus_dev_fatal() for a broken ring */
};

static inline bool hnet_broken(const struct hnet_info *info)
{
	return test_bit(HNET_BROKEN, &info->flags);
}

/* Count @n of tx counter @s; the caller holds tx_lock. */
static inline void hnet_tx_count(struct hnet_queue *q, enum hnet_tx_stat s, u64 n)
{
	lockdep_assert_held(&q->tx_lock);
	u64_stats_update_begin(&q->tx_syncp);
	u64_stats_add(&q->tx_stats[s], n);
	u64_stats_update_end(&q->tx_syncp);
}

/* Count @n of rx counter @s; only the queue's NAPI poll calls this. */
static inline void hnet_rx_count(struct hnet_queue *q, enum hnet_rx_stat s, u64 n)
{
	u64_stats_update_begin(&q->rx_syncp);
	u64_stats_add(&q->rx_stats[s], n);
	u64_stats_update_end(&q->rx_syncp);
}

bool hnet_disable(struct hnet_info *info, const char *who, const char *why);
void hnet_break(struct hnet_queue *q, const char *why);

/* netdev.c */
extern const struct net_device_ops hnet_netdev_ops;
extern const struct ethtool_ops hnet_ethtool_ops;

/* tx.c */
netdev_tx_t hnet_start_xmit(struct sk_buff *skb, struct net_device *netdev);
void hnet_tx_complete(struct hnet_queue *q, int budget);
bool hnet_tx_room(const struct hnet_queue *q);
void hnet_tx_release(struct hnet_queue *q, unsigned int *leaked);

/* rx.c */
int hnet_rx(struct hnet_queue *q, int budget);
bool hnet_rx_rearm(struct hnet_queue *q);
void hnet_refill_timer(struct timer_list *t);
void hnet_rx_release(struct hnet_queue *q, unsigned int *leaked);

/* netdev.c: the NAPI poll and the interrupt, for both rings */
int hnet_poll(struct napi_struct *napi, int budget);
irqreturn_t hnet_interrupt(int irq, void *dev_id);

#endif /* HNETFRONT_H */
