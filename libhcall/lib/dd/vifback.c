// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The vif device type in the driver domain: one netif queue per attach,
 * its tx ring (ring_ref[0]) and rx ring (ring_ref[1]) served on the host
 * fd the shim passed (viftx.c, vifrx.c). Besides the doorbells, the ring
 * thread waits on that fd for what this queue can use now (fd_events).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "hcall/dd/ddring.h"
#include "hcall/dd/ddtypes.h"
#include "hcall/dd/ratelimit.h"
#include "hcall/dd/vifback.h"

enum { FD_NET };	/* the type's own fds */

#define MIN_MTU	68	/* IPv4's */
#define VLAN_HLEN 4
#define GSO_FEATURES (HC_DD_VIF_GSO_TCPV4 | HC_DD_VIF_GSO_TCPV6)

static struct hc_ratelimit cut_off_log = HC_RATELIMIT_INIT(60, 5);

int hc_vif_cut_off(const struct hc_vifback *vb, const char *dir, unsigned int req,
		   const char *why)
{
	unsigned int dropped;

	if (hc_ratelimit(&cut_off_log, &dropped)) {
		if (dropped)
			fprintf(stderr, "hcall-dd: %u more vif ring errors not reported\n", dropped);
		fprintf(stderr, "hcall-dd: vif queue %u: %s request %u: %s\n", vb->queue, dir, req,
			why);
	}
	return -EPROTO;
}

static int vif_check(const struct hc_dd_ring *r, const struct hc_dd_attach *a)
{
	const struct hc_dd_vif *v = &a->u.vif;
	int fd = hc_dd_ring_type_fd(r, FD_NET), type;
	socklen_t len = sizeof(type);
	struct stat st;
	unsigned int i;

	if (a->nr_rings != 2 || a->nr_ports < 1 || a->nr_ports > 2 ||
	    a->ring_ref[0] == a->ring_ref[1] || (v->features & ~HC_DD_VIF_FEATURES) ||
	    v->mtu < MIN_MTU)
		return -EINVAL;
	/* GSO frames take several slots: no GSO without scatter-gather (the shim agrees). */
	if ((v->features & GSO_FEATURES) && !(v->features & HC_DD_VIF_SG))
		return -EINVAL;
	for (i = 0; i < sizeof(v->pad); i++)
		if (v->pad[i])
			return -EINVAL;
	for (i = sizeof(*v); i < sizeof(a->u); i++)
		if (a->u.room[i])
			return -EINVAL;	/* past the vif part: nothing */
	/* A TAP (a character device) or a socket keeping messages apart; read and written. */
	if (fstat(fd, &st) || (fcntl(fd, F_GETFL) & O_ACCMODE) != O_RDWR)
		return -EBADF;
	if (S_ISSOCK(st.st_mode))
		return getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) || type != SOCK_SEQPACKET
			       ? -EBADF : 0;
	return S_ISCHR(st.st_mode) ? 0 : -EBADF;
}

static int vif_init(struct hc_dd_ring *r, const struct hc_dd_attach *a)
{
	struct hc_vifback *vb = r->priv;
	const struct hc_dd_vif *v = &a->u.vif;
	unsigned int max_rx;
	struct stat st;
	int fl, ret;

	vb->fd = hc_dd_ring_type_fd(r, FD_NET);
	/* Never block the ring thread: it waits in poll() with the doorbells. */
	fl = fcntl(vb->fd, F_GETFL);
	if (fl < 0 || fcntl(vb->fd, F_SETFL, fl | O_NONBLOCK) || fstat(vb->fd, &st))
		return -errno;
	vb->is_socket = S_ISSOCK(st.st_mode);
	/* The ring pages, writable: the responses are ours to write. */
	ret = hc_gnttab_map(&r->guest->gt, a->ring_ref[0], 1, &vb->tx_map);
	if (ret)
		return ret;
	ret = hc_gnttab_map(&r->guest->gt, a->ring_ref[1], 1, &vb->rx_map);
	if (ret) {
		hc_gnttab_unmap(&r->guest->gt, &vb->tx_map);	/* destroy() is not called */
		return ret;
	}
	vb->gt = &r->guest->gt;
	vb->ring = r;
	vb->stop = &r->stop;
	vb->queue = v->queue;
	vb->rx_port = a->nr_ports - 1u;	/* split event channels: rx on the second */
	vb->features = v->features;
	/* Indices start from what the frontend initialised; ours stay private. */
	BACK_RING_ATTACH(&vb->tx, (netif_tx_sring_t *)vb->tx_map.page,
			 ((netif_tx_sring_t *)vb->tx_map.page)->rsp_prod, HC_NET_PAGE);
	BACK_RING_ATTACH(&vb->rx, (netif_rx_sring_t *)vb->rx_map.page,
			 ((netif_rx_sring_t *)vb->rx_map.page)->rsp_prod, HC_NET_PAGE);
	/* What one 16-bit slot size describes, at most. */
	vb->lim.max_frame = v->mtu + HC_NET_ETH_HLEN < 0xffffu ? v->mtu + HC_NET_ETH_HLEN
							       : 0xffffu;
	vb->lim.sg = !!(v->features & HC_DD_VIF_SG);
	vb->lim.gso_types = (v->features & HC_DD_VIF_GSO_TCPV4 ? 1u << XEN_NETIF_GSO_TYPE_TCPV4 : 0) |
			    (v->features & HC_DD_VIF_GSO_TCPV6 ? 1u << XEN_NETIF_GSO_TYPE_TCPV6 : 0);
	/*
	 * The largest frame the fd may hand us: a GSO one (64 KiB of IP and
	 * its Ethernet header) when the guest takes GSO, else the MTU's, a
	 * VLAN tag included. Without scatter-gather, one page.
	 */
	max_rx = (v->features & GSO_FEATURES) ? 0xffffu + HC_NET_ETH_HLEN + VLAN_HLEN
					       : v->mtu + HC_NET_ETH_HLEN + VLAN_HLEN;
	vb->rx_pages = !vb->lim.sg ? 1 : (max_rx + HC_NET_PAGE - 1) / HC_NET_PAGE;
	/* One more for the GSO extra, within the 18 slots a frame may take. */
	vb->rx_need = (v->features & GSO_FEATURES) ? 1 : 0;
	if (vb->rx_pages > HC_NET_MAX_SLOTS - vb->rx_need)
		vb->rx_pages = HC_NET_MAX_SLOTS - vb->rx_need;
	vb->rx_need += vb->rx_pages;
	vb->rx_ready = 1;	/* until a read says otherwise */
	return 0;
}

static int vif_process(struct hc_dd_ring *r)
{
	struct hc_vifback *vb = r->priv;
	int tx, rx;

	if (vb->broken)
		return -EPROTO;
	tx = hc_viftx_process(vb);
	rx = tx < 0 ? tx : hc_vifrx_process(vb, r->fd_revents);
	if (tx < 0 || rx < 0) {
		/* Cut off: nothing of the guest's stays pinned for a ring no longer served. */
		vb->broken = 1;
		hc_viftx_release(vb);
		hc_vifrx_release(vb);
		return -EPROTO;
	}
	return tx || rx;
}

static short vif_fd_events(const struct hc_dd_ring *r)
{
	const struct hc_vifback *vb = r->priv;
	short ev = 0;

	if (vb->txf.held)
		ev |= POLLOUT;	/* a frame waits for room */
	if (vb->rx_armed && !vb->fd_dead)
		ev |= POLLIN;	/* buffers are posted for the next frame */
	return ev;
}

static void vif_destroy(struct hc_dd_ring *r)
{
	struct hc_vifback *vb = r->priv;

	if (!vb->gt)
		return;
	hc_viftx_release(vb);
	hc_vifrx_release(vb);
	hc_gnttab_unmap(vb->gt, &vb->rx_map);
	hc_gnttab_unmap(vb->gt, &vb->tx_map);
	vb->gt = NULL;
}

const struct hc_dd_backend_ops hc_dd_vif_ops = {
	.type = HC_DD_TYPE_VIF,
	.priv_size = sizeof(struct hc_vifback),
	/* the TAP */
	.ring_fds = HC_DD_RING_FDS(1, 0),
	.check = vif_check,
	.init = vif_init,
	.process = vif_process,
	.destroy = vif_destroy,
	.fd_events = vif_fd_events,
};
