// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Virtual network interfaces (Xen's netif), shim side: the vif backend
 * type. A --net SPEC becomes a NIC of the VM with its host side (a TAP,
 * bridged by the user or on a private host-only bridge, or libslirp's NAT
 * in hcall-slirp); its backend
 * nodes say what the backend offers; a connecting frontend's queues (a tx
 * and an rx ring each) go to hcall-dd with one TAP queue each.
 * docs/netif.md is the contract; everything generic is backend.c's.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/if_tun.h>

#include "hcall/backend/hostnet.h"
#include "hcall/backend/slirpnet.h"
#include "hcall/backend/vif.h"
#include "hcall/common/err.h"
#include "hcall/pv/store.h"

_Static_assert(HC_VIF_MAX_QUEUES <= HC_BACKEND_MAX_RINGS, "a ring per queue");

enum vif_mode { VIF_TAP, VIF_HOST, VIF_USER };

struct hc_vif {
	enum vif_mode mode;
	char ifname[IFNAMSIZ];		/* the TAP */
	char bridge[IFNAMSIZ];		/* tap: the user's (or none); host: ours */
	unsigned int nq;		/* TAP queues (the backend's maximum) */
	int fd[HC_VIF_MAX_QUEUES];
	uint8_t mac[6];
	uint32_t features;		/* HC_DD_VIF_*, as negotiated at connect */
	uint32_t host_addr;		/* host: the bridge's address */
	pid_t slirp;			/* user: hcall-slirp */
	int hostloop;			/* user: the guest may reach our 127.0.0.1 */
	unsigned int nfwd;
	struct hc_slirp_fwd fwd[HC_SLIRP_MAX_FWD];
};

/* The frontend's feature-* nodes, and what each gives the attach. */
static const struct {
	const char *node;
	uint32_t bit;
} fe_features[] = {
	{ "feature-sg", HC_DD_VIF_SG },
	{ "feature-gso-tcpv4", HC_DD_VIF_GSO_TCPV4 },
	{ "feature-gso-tcpv6", HC_DD_VIF_GSO_TCPV6 },
	{ "feature-ipv6-csum-offload", HC_DD_VIF_IPV6_CSUM },
	{ "feature-rx-notify", HC_DD_VIF_RX_NOTIFY },
};

static int parse_mac(const char *s, uint8_t mac[6])
{
	unsigned int b[6];
	char end;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
		   &end) != 6 || strlen(s) != 17)
		return -1;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	/* A NIC's own address: unicast (bit 0 of the first byte clear), not zero. */
	return (mac[0] & 1) || !(mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]) ? -1 : 0;
}

/* "a.b.c.d/n" (host order) */
static int parse_net(const char *s, uint32_t *addr, unsigned int *prefix)
{
	unsigned int a, b, c, d, n;
	char end;

	if (sscanf(s, "%3u.%3u.%3u.%3u/%2u%c", &a, &b, &c, &d, &n, &end) != 5 ||
	    a > 255 || b > 255 || c > 255 || d > 255 || n < 8 || n > 30)
		return -1;
	*addr = a << 24 | b << 16 | c << 8 | d;
	*prefix = n;
	return 0;
}

/* One "key=value" item of a --net spec; item[0..len) is not NUL-terminated. */
static int parse_item(struct hc_vif *v, const char *item, size_t len, uint32_t *net,
		      unsigned int *prefix)
{
	char val[64];
	const char *eq = memchr(item, '=', len);
	size_t klen = eq ? (size_t)(eq - item) : len, vlen = eq ? len - klen - 1 : 0;
	char *end;

	if (!eq || vlen == 0 || vlen >= sizeof(val))
		return -1;
	memcpy(val, eq + 1, vlen);
	val[vlen] = '\0';
	if (klen == 3 && !memcmp(item, "mac", 3))
		return parse_mac(val, v->mac);
	if (klen == 6 && !memcmp(item, "queues", 6)) {
		unsigned long q = strtoul(val, &end, 10);

		if (*end || q < 1 || q > HC_VIF_MAX_QUEUES)
			return -1;
		v->nq = (unsigned int)q;
		return 0;
	}
	if (klen == 6 && !memcmp(item, "bridge", 6) && v->mode == VIF_TAP && vlen < IFNAMSIZ) {
		memcpy(v->bridge, val, vlen + 1);
		return 0;
	}
	if (klen == 3 && !memcmp(item, "net", 3) && v->mode == VIF_HOST)
		return parse_net(val, net, prefix);
	if (klen == 8 && !memcmp(item, "hostloop", 8) && v->mode == VIF_USER &&
	    (!strcmp(val, "on") || !strcmp(val, "off"))) {
		v->hostloop = !strcmp(val, "on");
		return 0;
	}
	if (klen == 7 && !memcmp(item, "hostfwd", 7) && v->mode == VIF_USER &&
	    v->nfwd < HC_SLIRP_MAX_FWD)
		return hc_slirp_parse_fwd(val, &v->fwd[v->nfwd++]);
	return -1;
}

static int parse_spec(struct hc_vif *v, unsigned int nth, const char *spec, uint32_t *net,
		      unsigned int *prefix)
{
	const char *p = spec, *comma;
	size_t len;

	if (!strncmp(spec, "tap=", 4)) {
		v->mode = VIF_TAP;
		len = strcspn(spec + 4, ",");
		if (!len || len >= IFNAMSIZ)
			return -1;
		memcpy(v->ifname, spec + 4, len);
		p = spec + 4 + len;
	} else if (!strncmp(spec, "host", 4) && (spec[4] == ',' || !spec[4])) {
		v->mode = VIF_HOST;
		p = spec + 4;
	} else if (!strncmp(spec, "user", 4) && (spec[4] == ',' || !spec[4])) {
		v->mode = VIF_USER;
		p = spec + 4;
	} else {
		return -1;
	}
	/* QEMU's defaults: 52:54:00:12:34:56 for the first NIC. */
	memcpy(v->mac, (uint8_t[6]){ 0x52, 0x54, 0x00, 0x12, 0x34, (uint8_t)(0x56 + nth) }, 6);
	*net = (192u << 24 | 168u << 16 | (100u + nth) << 8 | 1u);
	*prefix = 24;
	v->nq = v->mode == VIF_USER ? 1 : HC_VIF_MAX_QUEUES;
	while (*p == ',') {
		p++;
		comma = strchr(p, ',');
		len = comma ? (size_t)(comma - p) : strlen(p);
		if (parse_item(v, p, len, net, prefix))
			return -1;
		p += len;
	}
	/* One NAT, one socket: a single queue. */
	return *p || (v->mode == VIF_USER && v->nq != 1) ? -1 : 0;
}

static int vif_add(struct hc_backend_dev *d, unsigned int nth, const char *spec,
		   char *err, size_t errlen)
{
	struct hc_vif *v;
	uint32_t net;
	unsigned int prefix, q;

	v = d->priv = calloc(1, sizeof(*v));
	if (!v)
		return hc_err(err, errlen, "%s", strerror(errno));
	for (q = 0; q < HC_VIF_MAX_QUEUES; q++)
		v->fd[q] = -1;
	if (parse_spec(v, nth, spec, &net, &prefix)) {
		snprintf(err, errlen, "'%s': want tap=NAME[,bridge=BR], host[,net=A.B.C.D/N] or"
			 " user[,hostfwd=tcp::HOSTPORT-:GUESTPORT]...[,hostloop=on], each with [,mac=MAC]"
			 "[,queues=1-%d] (user: 1)", spec, HC_VIF_MAX_QUEUES);
		return -1;
	}
	d->devid = nth;
	if (v->mode == VIF_USER)
		return hc_slirp_start(v->fwd, v->nfwd, v->hostloop, &v->fd[0], &v->slirp, err,
				      errlen);
	if (v->mode == VIF_HOST) {
		/* A subnet the host already has would take over its traffic. */
		if (hc_subnet_in_use(net, prefix, err, errlen))
			return -1;
		/* Ours alone: named after the process, removed at exit. */
		snprintf(v->bridge, sizeof(v->bridge), "hcbr%u-%d", nth, (int)getpid() % 1000000);
		if (hc_bridge_create(v->bridge, net, prefix, err, errlen)) {
			v->bridge[0] = '\0';
			return -1;
		}
		v->host_addr = net;
	}
	if (hc_tap_open(v->ifname, v->nq, v->fd, err, errlen))
		return -1;
	if (v->bridge[0] && hc_bridge_addif(v->bridge, v->ifname, err, errlen))
		return -1;
	return hc_if_up(v->ifname, 0, err, errlen);
}

static void vif_release(struct hc_backend_dev *d)
{
	struct hc_vif *v = d->priv;

	if (!v)
		return;
	if (v->mode == VIF_USER && v->slirp > 0) {
		hc_slirp_stop(v->fd[0], v->slirp);
		v->fd[0] = -1;
	}
	for (unsigned int q = 0; q < HC_VIF_MAX_QUEUES; q++)
		if (v->fd[q] >= 0)
			close(v->fd[q]);	/* a TAP we made goes with its last queue */
	if (v->mode == VIF_HOST && v->bridge[0])
		hc_bridge_destroy(v->bridge);
	free(v);
	d->priv = NULL;
}

static int vif_publish(struct hc_vm *vm, const struct hc_backend_dev *d)
{
	const struct hc_vif *v = d->priv;
	char mac[18];
	int r = 0;

	snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x",
		 v->mac[0], v->mac[1], v->mac[2], v->mac[3], v->mac[4], v->mac[5]);
	r |= hc_backend_put(vm, d->fe, "mac", "%s", mac);
	r |= hc_backend_put(vm, d->fe, "handle", "%u", d->devid);
	r |= hc_backend_put(vm, d->be, "mac", "%s", mac);
	r |= hc_backend_put(vm, d->be, "handle", "%u", d->devid);
	r |= hc_backend_put(vm, d->be, "feature-sg", "1");
	/* libslirp takes whole frames only: no GSO in user mode. */
	r |= hc_backend_put(vm, d->be, "feature-gso-tcpv4", "%d", v->mode != VIF_USER);
	r |= hc_backend_put(vm, d->be, "feature-gso-tcpv6", "%d", v->mode != VIF_USER);
	r |= hc_backend_put(vm, d->be, "feature-ipv6-csum-offload", "1");
	r |= hc_backend_put(vm, d->be, "feature-rx-copy", "1");
	r |= hc_backend_put(vm, d->be, "feature-rx-flip", "0");
	r |= hc_backend_put(vm, d->be, "feature-rx-notify", "1");
	r |= hc_backend_put(vm, d->be, "feature-split-event-channels", "1");
	r |= hc_backend_put(vm, d->be, "multi-queue-max-queues", "%u", v->nq);
	r |= hc_backend_put(vm, d->be, "mtu", "1500");
	return r;
}

/* Attach the queue whose refs and ports are under @dir. */
static int attach_queue(struct hc_vm *vm, struct hc_backend_dev *d, const char *dir, int *asked)
{
	long long refs[2] = {
		hc_backend_get_num(vm, dir, "tx-ring-ref"),
		hc_backend_get_num(vm, dir, "rx-ring-ref"),
	};
	long long ports[2] = {
		hc_backend_get_num(vm, dir, "event-channel-tx"),
		hc_backend_get_num(vm, dir, "event-channel-rx"),
	};

	if (ports[0] < 0 && ports[1] < 0) {	/* one channel for both rings */
		ports[0] = hc_backend_get_num(vm, dir, "event-channel");
		return hc_backend_attach(vm, d, 2, refs, 1, ports, asked);
	}
	return hc_backend_attach(vm, d, 2, refs, 2, ports, asked);
}

static int vif_connect(struct hc_vm *vm, struct hc_backend_dev *d, int *asked)
{
	struct hc_vif *v = d->priv;
	long long nq = hc_backend_get_num(vm, d->fe, "multi-queue-num-queues");
	char dir[HC_STORE_MAX_PATH];
	unsigned int q, tun_f = 0;
	int ret = 0;

	/* Page flipping is gone from Xen and was never ours. */
	if (hc_backend_get_num(vm, d->fe, "request-rx-copy") != 1)
		return -EPROTONOSUPPORT;
	v->features = 0;
	for (q = 0; q < sizeof(fe_features) / sizeof(fe_features[0]); q++)
		if (hc_backend_get_num(vm, d->fe, fe_features[q].node) == 1)
			v->features |= fe_features[q].bit;
	/* GSO frames need more than one slot; user mode offered none. */
	if (!(v->features & HC_DD_VIF_SG) || v->mode == VIF_USER)
		v->features &= ~(HC_DD_VIF_GSO_TCPV4 | HC_DD_VIF_GSO_TCPV6);
	/*
	 * Frames to the guest may leave their checksum to it (csum_blank) only
	 * if it takes that for IPv4 (unless feature-no-csum-offload) and IPv6
	 * alike: the TAP has one switch for both. TSO needs it.
	 */
	if (hc_backend_get_num(vm, d->fe, "feature-no-csum-offload") != 1 &&
	    (v->features & HC_DD_VIF_IPV6_CSUM)) {
		tun_f = TUN_F_CSUM;
		tun_f |= v->features & HC_DD_VIF_GSO_TCPV4 ? TUN_F_TSO4 : 0;
		tun_f |= v->features & HC_DD_VIF_GSO_TCPV6 ? TUN_F_TSO6 : 0;
	}
	/* No multi-queue-num-queues: one queue, its nodes in the device's directory. */
	if (nq != -1 && (nq < 1 || nq > (long long)v->nq))
		return -EINVAL;
	/* Frames the host sends go only to the queues the guest runs. */
	for (q = 0; q < v->nq && v->mode != VIF_USER; q++)
		if (hc_tap_queue_enable(v->fd[q], q < (nq < 0 ? 1 : nq)) ||
		    hc_tap_set_offload(v->fd[q], tun_f))
			return -errno;
	/* One queue keeps its nodes in the device's directory, with or without
	 * multi-queue-num-queues=1 (Linux's netfront writes it, as Xen reads it). */
	if (nq <= 1)
		return attach_queue(vm, d, d->fe, asked);
	for (q = 0; q < nq && !ret; q++) {
		snprintf(dir, sizeof(dir), "%s/queue-%u", d->fe, q);
		ret = attach_queue(vm, d, dir, asked);
	}
	return ret;
}

static int vif_attach_part(const struct hc_backend_dev *d, unsigned int ring,
			   struct hc_dd_attach *a, int *fds)
{
	const struct hc_vif *v = d->priv;

	a->u.vif.features = v->features;
	a->u.vif.queue = (uint16_t)ring;
	a->u.vif.mtu = 65535;	/* a GSO frame: what one vnet header can describe */
	memcpy(a->u.vif.mac, v->mac, sizeof(v->mac));
	fds[0] = ring < v->nq ? v->fd[ring] : -1;
	return 1;
}

static void vif_forget_frontend(struct hc_vm *vm, const struct hc_backend_dev *d)
{
	static const char *const nodes[] = {
		"tx-ring-ref", "rx-ring-ref", "event-channel", "event-channel-tx",
		"event-channel-rx", "multi-queue-num-queues", "request-rx-copy",
		"feature-no-csum-offload",
	};
	char queue[16];
	unsigned int k;

	for (k = 0; k < sizeof(nodes) / sizeof(nodes[0]); k++)
		hc_backend_rm(vm, d->fe, nodes[k]);
	for (k = 0; k < sizeof(fe_features) / sizeof(fe_features[0]); k++)
		hc_backend_rm(vm, d->fe, fe_features[k].node);
	for (k = 0; k < HC_VIF_MAX_QUEUES; k++) {
		snprintf(queue, sizeof(queue), "queue-%u", k);
		hc_backend_rm(vm, d->fe, queue);
	}
}

const struct hc_backend_type hc_vif_type = {
	.name = "vif",
	.option = "net",
	.help = "  --net SPEC        PV network interface (eth0, eth1, ...) served by hcall-dd; up to 4:\n"
		"                    tap=NAME[,bridge=BR] (a TAP, joined to your bridge) or\n"
		"                    host[,net=A.B.C.D/N] (host-only: a private bridge, no route out) or\n"
		"                    user[,hostfwd=tcp::HOSTPORT-:GUESTPORT]...[,hostloop=on] (NAT by\n"
		"                    libslirp: guest 10.0.2.15, gateway 10.0.2.2, DNS 10.0.2.3, DHCP;\n"
		"                    hostloop=on lets the guest reach this host's 127.0.0.1);\n"
		"                    each with [,mac=MAC][,queues=1-4] (user: 1)\n",
	.noun = "NIC",
	.nouns = "NICs",
	.max_devs = HC_MAX_NICS,
	.dd_type = HC_DD_TYPE_VIF,
	.add = vif_add,
	.publish = vif_publish,
	.connect = vif_connect,
	.attach_part = vif_attach_part,
	.forget_frontend = vif_forget_frontend,
	.release = vif_release,
};
