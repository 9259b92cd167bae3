// SPDX-License-Identifier: GPL-2.0
/*
 * hnetfront: the hcall PV network frontend. A net_device ("eth%d") per
 * "vif" device on the hcall bus, whose queues are Xen-format netif tx and
 * rx rings (one per vCPU, up to the backend's maximum) shared with the
 * driver domain; docs/netif.md is the contract with the backend.
 *
 * The handshake: at probe the MAC comes from the store. When the backend
 * waits (InitWait), the rings and event channels are made, published in
 * the store, the net_device registered and this end switched to
 * Connected; the carrier is on only while the backend is Connected too. A
 * backend that closes, restarts or breaks the protocol disables the device
 * for good (carrier off, queues stopped, an error in the store and this end
 * Closing); unbinding the driver (rmmod) takes it down, leaking only pages
 * the backend still maps.
 */
#include <linux/etherdevice.h>
#include <linux/module.h>
#include <linux/netdevice.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <asm/hcall.h>
#include <asm/hcall_bus.h>

#include "hnetfront.h"

#define HNET_CLOSE_TIMEOUT	(5 * HZ)

static unsigned int hnet_max_queues = HNET_MAX_QUEUES;
module_param_named(max_queues, hnet_max_queues, uint, 0644);
MODULE_PARM_DESC(max_queues, "Most queues per interface (1-" __stringify(HNET_MAX_QUEUES)
		 "), read at each connect");

static unsigned int hnet_rx_grants = 256;
module_param_named(rx_grants, hnet_rx_grants, uint, 0644);
MODULE_PARM_DESC(rx_grants,
		 "Rx buffers (grants) posted per interface, split over its queues (32-256 each), read at each connect");
static_assert(HNET_RX_MIN_FILL == 32 && HNET_RX_RING_SIZE == 256);

/*
 * Disable the device for good: nothing more goes to or comes from the
 * rings. Any context. Said once, with the first reason; false if it was
 * already disabled.
 */
bool hnet_disable(struct hnet_info *info, const char *who, const char *why)
{
	if (test_and_set_bit(HNET_BROKEN, &info->flags))
		return false;
	WRITE_ONCE(info->why, why);
	dev_err(&info->dev->dev, "%s: %s: device disabled\n", who, why);
	netif_carrier_off(info->netdev);
	netif_tx_stop_all_queues(info->netdev);
	return true;
}

/*
 * The backend broke the protocol on @q's rings (NAPI or xmit context):
 * disable the device and report it in the store from process context.
 */
void hnet_break(struct hnet_queue *q, const char *why)
{
	if (hnet_disable(q->info, q->name, why))
		schedule_work(&q->info->fatal_work);
}

/* Tell the backend (error node, Closing) once; info->lock held. */
static void hnet_fatal(struct hnet_info *info, int err, const char *why)
{
	lockdep_assert_held(&info->lock);
	if (info->fatal || info->removing)
		return;
	info->fatal = true;
	hcall_bus_dev_fatal(info->dev, err, "%s", why);
}

static void hnet_fatal_work(struct work_struct *work)
{
	struct hnet_info *info = container_of(work, struct hnet_info, fatal_work);

	mutex_lock(&info->lock);
	hnet_fatal(info, -EPROTO, READ_ONCE(info->why));
	mutex_unlock(&info->lock);
}

/* "vif<N>", N the device's id in the store. */
static const char *hnet_devid(struct hcall_device *dev)
{
	const char *id = strrchr(dev->nodename, '/');

	return id ? id + 1 : dev->nodename;
}

/*
 * Queue i's interrupts on the i-th CPU, where its NAPI then runs (best
 * effort: an older host keeps every port on CPU 0).
 */
static void hnet_irq_on_queue_cpu(struct hnet_queue *q, int irq)
{
	irq_set_affinity(irq, cpumask_of(cpumask_local_spread(q->id, NUMA_NO_NODE)));
}

static int hnet_setup_queue(struct hnet_info *info, struct hnet_queue *q)
{
	struct hcall_device *dev = info->dev;
	struct xen_netif_tx_sring *txs;
	struct xen_netif_rx_sring *rxs;
	int ret;

	/* Nobody reads a ring before its ref is in the store. */
	ret = hcall_bus_setup_ring(dev, GFP_KERNEL, (void **)&txs, &q->tx_ring_ref);
	if (ret)
		return ret;
	XEN_FRONT_RING_INIT(&q->tx, txs, PAGE_SIZE);
	ret = hcall_bus_setup_ring(dev, GFP_KERNEL, (void **)&rxs, &q->rx_ring_ref);
	if (ret)
		return ret;
	XEN_FRONT_RING_INIT(&q->rx, rxs, PAGE_SIZE);
	/* The handler only schedules NAPI, which stays off until the device is up. */
	if (!info->split_evtchn) {
		ret = hcall_bus_setup_evtchn(dev, hnet_interrupt, 0, q->name, q, &q->tx_port);
		if (ret < 0)
			return ret;
		q->tx_irq = ret;
		q->rx_port = q->tx_port;
		hnet_irq_on_queue_cpu(q, q->tx_irq);
		return 0;
	}
	ret = hcall_bus_setup_evtchn(dev, hnet_interrupt, 0, q->tx_irq_name, q, &q->tx_port);
	if (ret < 0)
		return ret;
	q->tx_irq = ret;
	ret = hcall_bus_setup_evtchn(dev, hnet_interrupt, 0, q->rx_irq_name, q, &q->rx_port);
	if (ret < 0)
		return ret;
	q->rx_irq = ret;
	hnet_irq_on_queue_cpu(q, q->tx_irq);
	hnet_irq_on_queue_cpu(q, q->rx_irq);
	return 0;
}

/*
 * Undo the queues, with NAPI off and the device unregistered (or never
 * registered): no handler runs once the irqs are freed; then every page
 * the backend was granted is revoked and freed, or leaked if it still maps
 * it (it had time to let go: the backend is closed or timed out).
 */
static void hnet_free_queues(struct hnet_info *info)
{
	unsigned int i, leaked = 0;
	struct hnet_queue *q;

	for (i = 0; info->queues && i < info->nr_queues; i++) {
		q = &info->queues[i];
		hcall_bus_teardown_evtchn(&q->tx_irq, q);
		hcall_bus_teardown_evtchn(&q->rx_irq, q);
		netif_napi_del(&q->napi);
		timer_delete_sync(&q->refill_timer);
		hnet_tx_release(q, &leaked);
		hnet_rx_release(q, &leaked);
		/* A ring the backend still maps is leaked (and said so) there. */
		hcall_bus_teardown_ring(info->dev, (void **)&q->tx.sring, &q->tx_ring_ref);
		hcall_bus_teardown_ring(info->dev, (void **)&q->rx.sring, &q->rx_ring_ref);
	}
	if (leaked)
		dev_warn(&info->dev->dev, "%u page(s) still mapped by the backend: leaked\n",
			 leaked);
	kvfree(info->queues);
	info->queues = NULL;
	info->nr_queues = 0;
}

/* Remove @node below @dir; one that is not there is fine. */
static int hnet_store_rm(const char *dir, const char *node)
{
	int ret = hcall_store_rm(dir, node);

	return ret == -ENOENT ? 0 : ret;
}

/*
 * Remove every ring node an earlier binding left (this driver before an
 * rmmod, or a kernel before kexec, each with its own number of queues and
 * channels): the backend must find ours only.
 */
static int hnet_clear_rings(struct hcall_device *dev)
{
	static const char *const nodes[] = {
		"tx-ring-ref", "rx-ring-ref", "event-channel", "event-channel-tx",
		"event-channel-rx", "multi-queue-num-queues",
	};
	char *names, *name;
	unsigned int i;
	int len, ret = 0;

	for (i = 0; i < ARRAY_SIZE(nodes) && !ret; i++)
		ret = hnet_store_rm(dev->nodename, nodes[i]);
	if (ret)
		return ret;
	names = kmalloc(HCALL_STORE_MAX_VALUE, GFP_KERNEL);
	if (!names)
		return -ENOMEM;
	len = hcall_store_directory(dev->nodename, names, HCALL_STORE_MAX_VALUE);
	ret = len < 0 ? len : 0;
	for (name = names; len > 0 && name < names + len && !ret; name += strlen(name) + 1)
		if (str_has_prefix(name, "queue-"))
			ret = hnet_store_rm(dev->nodename, name);
	kfree(names);
	return ret;
}

/* One queue's rings and channels, in @dir (the device's, or its queue-<n>). */
static int hnet_write_queue(struct hnet_info *info, struct hnet_queue *q, const char *dir)
{
	int ret;

	ret = hcall_store_printf(dir, "tx-ring-ref", "%d", q->tx_ring_ref);
	ret = ret ?: hcall_store_printf(dir, "rx-ring-ref", "%d", q->rx_ring_ref);
	if (ret || !info->split_evtchn)
		return ret ?: hcall_store_printf(dir, "event-channel", "%u", q->tx_port);
	ret = hcall_store_printf(dir, "event-channel-tx", "%u", q->tx_port);
	return ret ?: hcall_store_printf(dir, "event-channel-rx", "%u", q->rx_port);
}

/*
 * Publish the rings and what this end takes on receive. One queue: its
 * nodes in the device directory, no multi-queue-num-queues; several: the
 * count and a queue-<n> directory each.
 */
static int hnet_publish(struct hnet_info *info)
{
	static const char *const features[] = {
		"request-rx-copy", "feature-rx-notify", "feature-sg", "feature-gso-tcpv4",
		"feature-gso-tcpv6", "feature-ipv6-csum-offload",
	};
	struct hcall_device *dev = info->dev;
	unsigned int i;
	char dir[64];
	int ret;

	ret = hnet_clear_rings(dev);
	if (ret)
		return ret;
	if (info->nr_queues == 1) {
		ret = hnet_write_queue(info, &info->queues[0], dev->nodename);
	} else {
		for (i = 0; i < info->nr_queues && !ret; i++) {
			snprintf(dir, sizeof(dir), "%s/queue-%u", dev->nodename, i);
			ret = hnet_write_queue(info, &info->queues[i], dir);
		}
		ret = ret ?: hcall_store_printf(dev->nodename, "multi-queue-num-queues", "%u",
						info->nr_queues);
	}
	/* Receive takes all of these: rx-copy, SG, GSO frames, IPv6 csum_blank. */
	for (i = 0; i < ARRAY_SIZE(features) && !ret; i++)
		ret = hcall_store_printf(dev->nodename, features[i], "%u", 1);
	return ret;
}

static unsigned int hnet_feature(struct hnet_info *info, const char *node)
{
	unsigned int val = 0;

	hcall_store_read_uint(info->dev->otherend, node, &val);
	return val;
}

/*
 * What the backend takes on transmit decides the offloads and the MTU
 * range: up to HNET_MAX_MTU with scatter-gather (a frame's length is 16
 * bits on the ring), one page's worth of Ethernet without. The backend's
 * mtu node, as in Xen, is the MTU to start with, not a limit.
 */
static void hnet_set_features(struct hnet_info *info)
{
	struct net_device *netdev = info->netdev;
	netdev_features_t hw = NETIF_F_IP_CSUM | NETIF_F_RXCSUM;
	unsigned int mtu = ETH_DATA_LEN;

	info->be_sg = hnet_feature(info, "feature-sg");
	if (info->be_sg)
		hw |= NETIF_F_SG;
	if (hnet_feature(info, "feature-ipv6-csum-offload"))
		hw |= NETIF_F_IPV6_CSUM;
	/* TSO needs SG; the core drops it otherwise. */
	if (hnet_feature(info, "feature-gso-tcpv4"))
		hw |= NETIF_F_TSO;
	if (hnet_feature(info, "feature-gso-tcpv6"))
		hw |= NETIF_F_TSO6;
	netdev->hw_features = hw;
	netdev->features = hw;
	netif_set_tso_max_size(netdev, XEN_NETIF_MAX_TX_SIZE);
	netdev->max_mtu = info->be_sg ? HNET_MAX_MTU : ETH_DATA_LEN;
	hcall_store_read_uint(info->dev->otherend, "mtu", &mtu);
	netdev->mtu = clamp(mtu, ETH_MIN_MTU, netdev->max_mtu);
}

/* Before any queue is set up: each can be torn down from here on. */
static void hnet_init_queue(struct hnet_info *info, struct hnet_queue *q, unsigned int i)
{
	unsigned int k;

	q->info = info;
	q->id = i;
	q->tx_ring_ref = -1;
	q->rx_ring_ref = -1;
	spin_lock_init(&q->tx_lock);
	u64_stats_init(&q->tx_syncp);
	u64_stats_init(&q->rx_syncp);
	for (k = 0; k < HNET_TX_RING_SIZE; k++)
		q->tx_free[k] = HNET_TX_RING_SIZE - 1 - k;
	q->tx_nr_free = HNET_TX_RING_SIZE;
	for (k = 0; k < HNET_RX_RING_SIZE; k++)
		q->rx_bufs[k].gref = -1;
	timer_setup(&q->refill_timer, hnet_refill_timer, 0);
	snprintf(q->name, sizeof(q->name), "vif%s-q%u", hnet_devid(info->dev), i);
	snprintf(q->tx_irq_name, sizeof(q->tx_irq_name), "%s-tx", q->name);
	snprintf(q->rx_irq_name, sizeof(q->rx_irq_name), "%s-rx", q->name);
	netif_napi_add(info->netdev, &q->napi, hnet_poll);
}

/*
 * The backend waits (InitWait): make the queues, publish them, register
 * the net_device and switch to Connected. On failure before registration
 * everything is undone and the error goes to the store.
 */
static void hnet_connect(struct hnet_info *info)
{
	struct hcall_device *dev = info->dev;
	unsigned int i, nq, max_queues = 1;
	const char *what;
	int ret;

	lockdep_assert_held(&info->lock);
	if (!hnet_feature(info, "feature-rx-copy")) {
		ret = -EOPNOTSUPP;
		what = "backend has no feature-rx-copy";
		goto fail;
	}
	hcall_store_read_uint(dev->otherend, "multi-queue-max-queues", &max_queues);
	nq = clamp(min3(num_online_cpus(), max_queues, READ_ONCE(hnet_max_queues)),
		   1U, HNET_MAX_QUEUES);
	info->rx_target = clamp(READ_ONCE(hnet_rx_grants) / nq, HNET_RX_MIN_FILL,
				HNET_RX_RING_SIZE);
	info->split_evtchn = hnet_feature(info, "feature-split-event-channels");
	what = "setting up the rings";
	info->queues = kvcalloc(nq, sizeof(*info->queues), GFP_KERNEL);
	if (!info->queues) {
		ret = -ENOMEM;
		goto fail;
	}
	info->nr_queues = nq;
	for (i = 0; i < nq; i++)
		hnet_init_queue(info, &info->queues[i], i);
	for (i = 0; i < nq; i++) {
		ret = hnet_setup_queue(info, &info->queues[i]);
		if (ret)
			goto fail;
	}
	what = "publishing the rings";
	ret = hnet_publish(info);
	if (ret)
		goto fail;
	hnet_set_features(info);
	what = "registering the interface";
	ret = netif_set_real_num_queues(info->netdev, nq, nq);
	ret = ret ?: register_netdev(info->netdev);
	if (ret)
		goto fail;
	info->registered = true;
	netdev_info(info->netdev, "%s: MAC %pM, %u queue(s)%s, MTU %u (max %u)\n",
		    dev_name(&dev->dev), info->netdev->dev_addr, nq,
		    info->split_evtchn ? ", split event channels" : "", info->netdev->mtu,
		    info->netdev->max_mtu);
	/* The backend reads it all now; the carrier waits for its Connected. */
	ret = hcall_bus_switch_state(dev, HCALL_STATE_CONNECTED);
	if (ret && hnet_disable(info, dev_name(&dev->dev), "cannot switch to Connected"))
		hnet_fatal(info, ret, "switching to Connected");
	return;
fail:
	hnet_fatal(info, ret, what);
	hnet_free_queues(info);
}

/* Carrier on: both ends Connected, nothing broken. */
static void hnet_carrier_on(struct hnet_info *info)
{
	unsigned int i;

	netif_carrier_on(info->netdev);
	/* hnet_disable() sets the flag before its carrier off: one of us wins. */
	if (hnet_broken(info)) {
		netif_carrier_off(info->netdev);
		return;
	}
	/* The backend attached the rings just now: make sure it looks. */
	for (i = 0; i < info->nr_queues; i++) {
		hcall_evtchn_send(info->queues[i].tx_port);
		if (info->split_evtchn)
			hcall_evtchn_send(info->queues[i].rx_port);
	}
	netdev_notify_peers(info->netdev);
}

/* The backend left (closed, restarted, vanished) under a set-up device. */
static void hnet_backend_gone(struct hnet_info *info, enum hcall_state state)
{
	struct hcall_device *dev = info->dev;
	char *err;

	err = hcall_store_read_str(dev->otherend, "error");
	/* After our own error the backend is expected to close. */
	if (hnet_broken(info))
		dev_info(&dev->dev, "backend went to state %d: %s\n", state,
			 IS_ERR(err) ? "no reason given" : err);
	else
		dev_err(&dev->dev, "backend went to state %d: %s\n", state,
			IS_ERR(err) ? "no reason given" : err);
	if (!IS_ERR(err))
		kfree(err);
	hnet_disable(info, dev_name(&dev->dev), "backend gone");
	hnet_fatal(info, -ENOLINK, "backend gone");
}

static void hnet_otherend_changed(struct hcall_device *dev, enum hcall_state state)
{
	struct hnet_info *info = dev_get_drvdata(&dev->dev);

	mutex_lock(&info->lock);
	switch (state) {
	case HCALL_STATE_INIT_WAIT:
		if (!info->queues && !info->fatal && dev->state == HCALL_STATE_INITIALISING)
			hnet_connect(info);
		else if (info->queues)
			hnet_backend_gone(info, state);	/* restarted: no reconnect */
		break;
	case HCALL_STATE_CONNECTED:
		if (info->registered && dev->state == HCALL_STATE_CONNECTED)
			hnet_carrier_on(info);
		break;
	case HCALL_STATE_CLOSING:
	case HCALL_STATE_CLOSED:
	case HCALL_STATE_UNKNOWN:
		/* Nothing set up yet: nothing to undo, it may come back. */
		if (info->queues)
			hnet_backend_gone(info, state);
		break;
	default:
		/* The link follows the backend: down while it is not Connected. */
		netif_carrier_off(info->netdev);
		break;
	}
	mutex_unlock(&info->lock);
}

/* The MAC, "aa:bb:cc:dd:ee:ff" in the store; anything else is an error. */
static int hnet_read_mac(struct hcall_device *dev, u8 *mac)
{
	char *s = hcall_store_read_str(dev->nodename, "mac");
	int ret = 0;

	if (IS_ERR(s))
		return PTR_ERR(s);
	if (strlen(s) != 3 * ETH_ALEN - 1 || !mac_pton(s, mac) || !is_valid_ether_addr(mac))
		ret = -EINVAL;
	kfree(s);
	return ret;
}

static int hnet_probe(struct hcall_device *dev)
{
	struct net_device *netdev;
	struct hnet_info *info;
	u8 mac[ETH_ALEN];
	int ret;

	ret = hnet_read_mac(dev, mac);
	if (ret) {
		hcall_bus_dev_fatal(dev, ret, "reading %s/mac", dev->nodename);
		return ret;
	}
	netdev = alloc_etherdev_mqs(sizeof(*info), HNET_MAX_QUEUES, HNET_MAX_QUEUES);
	if (!netdev)
		return -ENOMEM;
	info = netdev_priv(netdev);
	info->netdev = netdev;
	info->dev = dev;
	mutex_init(&info->lock);
	INIT_WORK(&info->fatal_work, hnet_fatal_work);
	eth_hw_addr_set(netdev, mac);
	netdev->netdev_ops = &hnet_netdev_ops;
	netdev->ethtool_ops = &hnet_ethtool_ops;
	netdev->min_mtu = ETH_MIN_MTU;
	netdev->max_mtu = ETH_DATA_LEN;
	SET_NETDEV_DEV(netdev, &dev->dev);
	netif_carrier_off(netdev);
	dev_set_drvdata(&dev->dev, info);
	return 0;
}

/* Ask the backend to let go of the rings and the pages, and wait a while. */
static void hnet_close_backend(struct hnet_info *info)
{
	u32 gone = BIT(HCALL_STATE_CLOSED) | BIT(HCALL_STATE_INIT_WAIT) |
		   BIT(HCALL_STATE_UNKNOWN);
	struct hcall_device *dev = info->dev;
	enum hcall_state be;

	hcall_bus_switch_state(dev, HCALL_STATE_CLOSING);
	be = hcall_bus_wait_otherend(dev, gone, HNET_CLOSE_TIMEOUT);
	if (!(BIT(be) & gone))
		dev_warn(&dev->dev, "backend did not close (state %d)\n", be);
}

static void hnet_remove(struct hcall_device *dev)
{
	struct hnet_info *info = dev_get_drvdata(&dev->dev);
	struct net_device *netdev = info->netdev;

	/* The bus makes sure no otherend_changed() runs from here on. */
	mutex_lock(&info->lock);
	info->removing = true;
	mutex_unlock(&info->lock);
	/* Stops the device: no transmit, no poll once it returns. */
	if (info->registered)
		unregister_netdev(netdev);
	cancel_work_sync(&info->fatal_work);
	mutex_lock(&info->lock);
	if (info->queues) {
		hnet_close_backend(info);
		hnet_free_queues(info);
	}
	mutex_unlock(&info->lock);
	free_netdev(netdev);
}

static const char *const hnet_types[] = { "vif", NULL };

static struct hcall_driver hnet_driver = {
	.types = hnet_types,
	.probe = hnet_probe,
	.remove = hnet_remove,
	.otherend_changed = hnet_otherend_changed,
	.driver.name = "hnetfront",
};

static int __init hnet_init(void)
{
	return hcall_driver_register(&hnet_driver);
}
module_init(hnet_init);

static void __exit hnet_exit(void)
{
	hcall_driver_unregister(&hnet_driver);
}
module_exit(hnet_exit);

MODULE_DESCRIPTION("hcall PV network frontend (Xen netif rings)");
MODULE_LICENSE("GPL");
