// SPDX-License-Identifier: GPL-2.0
/*
 * hnetfront's net_device: open and stop, the NAPI poll and the interrupt
 * that schedules it (one per queue, for both rings), MTU and features,
 * statistics and ethtool.
 */
#include <linux/bottom_half.h>
#include <linux/ethtool.h>
#include <linux/etherdevice.h>
#include <linux/netdevice.h>
#include <asm/hcall_bus.h>

#include "hnetfront.h"

const char *const hnet_tx_stat_names[HNET_TX_NR_STATS] = {
	[HNET_TX_PACKETS] = "packets",
	[HNET_TX_BYTES] = "bytes",
	[HNET_TX_DROPPED] = "dropped",
	[HNET_TX_ERRORS] = "errors",
	[HNET_TX_RING_FULL] = "ring_full",
	[HNET_TX_GRANT_FAIL] = "grant_fail",
	[HNET_TX_LINEARIZED] = "linearized",
	[HNET_TX_BAD_RSP] = "bad_rsp",
};

const char *const hnet_rx_stat_names[HNET_RX_NR_STATS] = {
	[HNET_RX_PACKETS] = "packets",
	[HNET_RX_BYTES] = "bytes",
	[HNET_RX_DROPPED] = "dropped",
	[HNET_RX_ERRORS] = "errors",
	[HNET_RX_GRANT_FAIL] = "grant_fail",
	[HNET_RX_ALLOC_FAIL] = "alloc_fail",
	[HNET_RX_CSUM_FIXUP] = "gso_csum_fixup",
	[HNET_RX_BAD_RSP] = "bad_rsp",
};

/*
 * Either ring's event: the poll does the work. Once the device is
 * disabled the rings are not looked at again.
 */
irqreturn_t hnet_interrupt(int irq, void *dev_id)
{
	struct hnet_queue *q = dev_id;

	if (likely(!hnet_broken(q->info)))
		napi_schedule(&q->napi);
	return IRQ_HANDLED;
}

/* Tx completions (not counted against @budget), then up to @budget frames in. */
int hnet_poll(struct napi_struct *napi, int budget)
{
	struct hnet_queue *q = container_of(napi, struct hnet_queue, napi);
	int more_tx, work = 0;

	hnet_tx_complete(q, budget);
	if (budget && !hnet_broken(q->info))
		work = hnet_rx(q, budget);
	if (work == budget || !napi_complete_done(napi, work))
		return work;
	if (hnet_broken(q->info))
		return work;
	/* Sleep only if neither ring got a response since it was read. */
	RING_FINAL_CHECK_FOR_RESPONSES(&q->tx, more_tx);
	if (hnet_rx_rearm(q) || more_tx)
		napi_schedule(napi);
	return work;
}

static int hnet_open(struct net_device *netdev)
{
	struct hnet_info *info = netdev_priv(netdev);
	struct hnet_queue *q;
	unsigned long flags;
	unsigned int i;

	for (i = 0; i < info->nr_queues; i++) {
		q = &info->queues[i];
		napi_enable(&q->napi);
		/* A ring still full from before the stop is woken by its completions. */
		spin_lock_irqsave(&q->tx_lock, flags);
		if (hnet_tx_room(q) && !hnet_broken(info))
			netif_tx_start_queue(netdev_get_tx_queue(netdev, i));
		spin_unlock_irqrestore(&q->tx_lock, flags);
		/* The first poll posts the rx buffers and takes what came in. */
		local_bh_disable();
		napi_schedule(&q->napi);
		local_bh_enable();
	}
	return 0;
}

/*
 * The rx buffers stay posted (the backend owns them until it answers) and
 * the frames in flight stay on the ring: the next open or the teardown
 * takes them.
 */
static int hnet_stop(struct net_device *netdev)
{
	struct hnet_info *info = netdev_priv(netdev);
	unsigned int i;

	netif_tx_disable(netdev);
	for (i = 0; i < info->nr_queues; i++) {
		napi_disable(&info->queues[i].napi);
		timer_delete_sync(&info->queues[i].refill_timer);
	}
	return 0;
}

/* Frames over one page's worth of MTU need scatter-gather. */
static int hnet_change_mtu(struct net_device *netdev, int mtu)
{
	if (mtu > ETH_DATA_LEN && !(netdev->features & NETIF_F_SG))
		return -EINVAL;
	WRITE_ONCE(netdev->mtu, mtu);
	return 0;
}

static netdev_features_t hnet_fix_features(struct net_device *netdev,
					   netdev_features_t features)
{
	/* SG stays on while the MTU needs it (hw_features has it only if the backend does). */
	if (netdev->mtu > ETH_DATA_LEN && (netdev->hw_features & NETIF_F_SG))
		features |= NETIF_F_SG;
	return features;
}

/* Read the counters of @q, consistently per direction. */
static void hnet_read_stats(struct hnet_queue *q, u64 *tx, u64 *rx)
{
	unsigned int start, s;

	do {
		start = u64_stats_fetch_begin(&q->tx_syncp);
		for (s = 0; s < HNET_TX_NR_STATS; s++)
			tx[s] = u64_stats_read(&q->tx_stats[s]);
	} while (u64_stats_fetch_retry(&q->tx_syncp, start));
	do {
		start = u64_stats_fetch_begin(&q->rx_syncp);
		for (s = 0; s < HNET_RX_NR_STATS; s++)
			rx[s] = u64_stats_read(&q->rx_stats[s]);
	} while (u64_stats_fetch_retry(&q->rx_syncp, start));
}

static void hnet_get_stats64(struct net_device *netdev, struct rtnl_link_stats64 *tot)
{
	struct hnet_info *info = netdev_priv(netdev);
	u64 tx[HNET_TX_NR_STATS], rx[HNET_RX_NR_STATS];
	unsigned int i;

	for (i = 0; i < info->nr_queues; i++) {
		hnet_read_stats(&info->queues[i], tx, rx);
		tot->tx_packets += tx[HNET_TX_PACKETS];
		tot->tx_bytes += tx[HNET_TX_BYTES];
		tot->tx_dropped += tx[HNET_TX_DROPPED];
		tot->tx_errors += tx[HNET_TX_ERRORS];
		tot->rx_packets += rx[HNET_RX_PACKETS];
		tot->rx_bytes += rx[HNET_RX_BYTES];
		tot->rx_dropped += rx[HNET_RX_DROPPED];
		tot->rx_errors += rx[HNET_RX_ERRORS];
	}
}

const struct net_device_ops hnet_netdev_ops = {
	.ndo_open = hnet_open,
	.ndo_stop = hnet_stop,
	.ndo_start_xmit = hnet_start_xmit,
	.ndo_change_mtu = hnet_change_mtu,
	.ndo_fix_features = hnet_fix_features,
	.ndo_get_stats64 = hnet_get_stats64,
	.ndo_set_mac_address = eth_mac_addr,
	.ndo_validate_addr = eth_validate_addr,
};

static void hnet_get_drvinfo(struct net_device *netdev, struct ethtool_drvinfo *drvinfo)
{
	struct hnet_info *info = netdev_priv(netdev);

	strscpy(drvinfo->driver, KBUILD_MODNAME, sizeof(drvinfo->driver));
	strscpy(drvinfo->bus_info, dev_name(&info->dev->dev), sizeof(drvinfo->bus_info));
}

static void hnet_get_channels(struct net_device *netdev, struct ethtool_channels *ch)
{
	struct hnet_info *info = netdev_priv(netdev);

	ch->max_combined = info->nr_queues;
	ch->combined_count = info->nr_queues;
}

static int hnet_get_sset_count(struct net_device *netdev, int sset)
{
	struct hnet_info *info = netdev_priv(netdev);

	if (sset != ETH_SS_STATS)
		return -EOPNOTSUPP;
	return info->nr_queues * (HNET_TX_NR_STATS + HNET_RX_NR_STATS);
}

static void hnet_get_strings(struct net_device *netdev, u32 sset, u8 *data)
{
	struct hnet_info *info = netdev_priv(netdev);
	unsigned int i, s;

	if (sset != ETH_SS_STATS)
		return;
	for (i = 0; i < info->nr_queues; i++) {
		for (s = 0; s < HNET_TX_NR_STATS; s++)
			ethtool_sprintf(&data, "tx_queue_%u_%s", i, hnet_tx_stat_names[s]);
		for (s = 0; s < HNET_RX_NR_STATS; s++)
			ethtool_sprintf(&data, "rx_queue_%u_%s", i, hnet_rx_stat_names[s]);
	}
}

static void hnet_get_ethtool_stats(struct net_device *netdev, struct ethtool_stats *stats,
				   u64 *data)
{
	struct hnet_info *info = netdev_priv(netdev);
	unsigned int i;

	for (i = 0; i < info->nr_queues; i++) {
		hnet_read_stats(&info->queues[i], data, data + HNET_TX_NR_STATS);
		data += HNET_TX_NR_STATS + HNET_RX_NR_STATS;
	}
}

const struct ethtool_ops hnet_ethtool_ops = {
	.get_drvinfo = hnet_get_drvinfo,
	.get_link = ethtool_op_get_link,
	.get_channels = hnet_get_channels,
	.get_sset_count = hnet_get_sset_count,
	.get_strings = hnet_get_strings,
	.get_ethtool_stats = hnet_get_ethtool_stats,
	.get_ts_info = ethtool_op_get_ts_info,
};
