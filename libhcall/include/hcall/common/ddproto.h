/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The shim <-> driver domain protocol: one message per device ring (a
 * block queue; a network queue's tx + rx pair) over a Unix socket, with
 * the guest's memory, the ring's eventfds and the device's own fds passed
 * as SCM_RIGHTS. The driver domain trusts the shim's message only as far
 * as it checks it; the guest memory it then serves is hostile.
 */
#ifndef HCALL_DD_H
#define HCALL_DD_H

#include <stdint.h>

#include "hcall/abi.h"

#define HC_DD_MAGIC	0x44444348u	/* "HCDD" */
#define HC_DD_VERSION	4	/* 2: device types, refs and ports; 3: map counts; 4: upcall per vCPU */

/* Device types: what the attach's @u is, and which fds follow the common ones. */
#define HC_DD_TYPE_VBD	1	/* Xen blkif: one ring, one port; fds: the image */
#define HC_DD_TYPE_VIF	2	/* Xen netif: tx + rx rings, 1-2 ports; fds: the TAP */
#define HC_DD_NR_TYPES	3

/*
 * The common part carries the ring refs and ports itself, rather than each
 * type's union member: the driver domain checks them (grants are mapped
 * by the common code, ports must name channels the guest can have) and
 * the shim fills them (each port must be a backend port of the guest,
 * used once) the same way for every device. Two of each is what Xen's
 * split devices use: netif has a tx and an rx ring per queue, and with
 * feature-split-event-channels one port for each; blkif uses one and one.
 * A multi-queue device attaches each queue on its own.
 */
#define HC_DD_MAX_RINGS	2
#define HC_DD_MAX_PORTS	2
/* fds a type adds after the common ones, at most (vbd: 1, the image). */
#define HC_DD_MAX_TYPE_FDS 2

/*
 * fds, in order: the guest RAM memfd, one kick eventfd per port (the
 * guest's doorbell, a KVM ioeventfd), the upcall irqfd of each vCPU, then
 * the type's own (hc_dd_type_fds[]). A port's upcall goes to the vCPU the
 * guest bound it to, which can change at any time: the shim keeps the
 * targets in the memfd past RAM (guestmem.h), read when raising.
 */
#define HC_DD_FD_RAM	0
#define HC_DD_FD_KICK	1			/* + port index */
#define HC_DD_FD_UPCALL(nr_ports)	(1 + (nr_ports))	/* + vCPU */
#define HC_DD_FD_TYPE(nr_ports, nr_vcpus)	(1 + (nr_ports) + (nr_vcpus))
#define HC_DD_MAX_FDS	(1 + HC_DD_MAX_PORTS + HCALL_MAX_VCPUS + HC_DD_MAX_TYPE_FDS)
/*
 * What a running ring of a type with @type_fds fds holds at most, for the
 * driver domain's fd budget: its kicks and upcalls (the RAM memfd is
 * closed once mapped), the type's, its stop eventfd and @extra of the
 * type's own making.
 */
#define HC_DD_RING_FDS(type_fds, extra) \
	(HC_DD_MAX_PORTS + HCALL_MAX_VCPUS + (type_fds) + 1 + (extra))

/* The type's own fds, by HC_DD_TYPE_*; 0 for no such type. */
extern const uint8_t hc_dd_type_fds[HC_DD_NR_TYPES];

/* Type-specific parts. */
#define HC_DD_READONLY	(1u << 0)	/* vbd flags */
#define HC_DD_DISCARD	(1u << 1)

struct hc_dd_vbd {
	uint64_t sectors;		/* disk size in 512-byte sectors */
	uint32_t flags;			/* HC_DD_READONLY, HC_DD_DISCARD */
	uint32_t pad;
};

/*
 * vif: one queue of a netif. ring_ref[0] is its tx ring, ring_ref[1] its
 * rx ring; evtchn_port[0] serves both (1 port) or tx only and
 * evtchn_port[1] rx (2 ports, feature-split-event-channels). The type's
 * fd is one queue of a TAP (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR, 10-byte
 * struct virtio_net_hdr) or anything that behaves alike per message (a
 * SOCK_SEQPACKET socket: one vnet header + one frame per message).
 * Features are what the frontend asked for and the backend offers.
 */
#define HC_DD_VIF_SG		(1u << 0)	/* frames over several slots (feature-sg) */
#define HC_DD_VIF_GSO_TCPV4	(1u << 1)	/* feature-gso-tcpv4, both directions */
#define HC_DD_VIF_GSO_TCPV6	(1u << 2)	/* feature-gso-tcpv6 */
#define HC_DD_VIF_IPV6_CSUM	(1u << 3)	/* feature-ipv6-csum-offload */
#define HC_DD_VIF_RX_NOTIFY	(1u << 4)	/* feature-rx-notify */
#define HC_DD_VIF_FEATURES	0x1fu

struct hc_dd_vif {
	uint32_t features;		/* HC_DD_VIF_* */
	uint16_t queue;			/* this queue's index, for messages */
	uint16_t mtu;			/* the largest frame the TAP side takes, less 14 */
	uint8_t mac[6];			/* the guest's, for messages */
	uint8_t pad[6];
};

#define HC_DD_OP_ATTACH	0	/* start a ring; carries hc_dd_attach_nr_fds() fds */
#define HC_DD_OP_DETACH	1	/* stop ring @ring_id; no fds */

struct hc_dd_attach {
	uint32_t magic;
	uint32_t version;
	uint32_t op;			/* HC_DD_OP_* */
	uint32_t ring_id;		/* for HC_DD_OP_DETACH */
	uint32_t type;			/* HC_DD_TYPE_* */
	uint16_t nr_rings;		/* ring_ref[0 .. nr_rings) */
	uint16_t nr_ports;		/* evtchn_port[0 .. nr_ports), as many kick fds */
	uint64_t mem;			/* guest RAM bytes (the memfd's size) */
	uint64_t gnttab_gpa;
	uint32_t gnttab_entries;
	uint16_t backend_domid;
	uint16_t nr_vcpus;		/* the guest's, 1 to HCALL_MAX_VCPUS: as many upcall fds */
	uint64_t shared_info_gpa;	/* where to raise completion events */
	uint32_t ring_ref[HC_DD_MAX_RINGS];	/* grants of the shared ring pages */
	uint32_t evtchn_port[HC_DD_MAX_PORTS];
	union {
		struct hc_dd_vbd vbd;
		struct hc_dd_vif vif;
		uint8_t room[32];	/* the largest type's part, to come */
	} u;
};

/* The reply: 0 or a negative errno. */
struct hc_dd_reply {
	int32_t status;
	uint32_t ring_id;
};

/*
 * How many fds @a carries: 0 for a detach; for an attach the common ones
 * and its type's; -1 for an unknown op or type, or a port count out of
 * range (such a message is refused).
 */
int hc_dd_attach_nr_fds(const struct hc_dd_attach *a);
/* Send one attach with its hc_dd_attach_nr_fds() fds. 0 or a negative errno. */
int hc_dd_send_attach(int sock, const struct hc_dd_attach *a, const int *fds);
/* Send a detach of @ring_id. 0 or a negative errno. */
int hc_dd_send_detach(int sock, uint32_t ring_id);
/* Close every fd of @fds that is one (>= 0) and mark it -1. */
void hc_dd_close_fds(int fds[HC_DD_MAX_FDS]);
/*
 * Receive one message into @fds (HC_DD_MAX_FDS): an attach with exactly
 * the fds its type and port count need, or a detach with none (unused
 * entries -1). 0; -EPROTO for a malformed, truncated or unknown message
 * (an unknown type included; its fds closed; the connection stays
 * usable); -EAGAIN on a non-blocking socket with nothing queued;
 * -ECONNRESET at hang-up or when receiving fails (the connection is then
 * unusable).
 */
int hc_dd_recv_attach(int sock, struct hc_dd_attach *a, int fds[HC_DD_MAX_FDS]);
/*
 * Send a message and wait for the reply: the reply's status, or -errno;
 * -ETIMEDOUT or -EIO mean the connection can no longer be trusted to pair
 * replies with requests.
 */
int hc_dd_call(int sock, const struct hc_dd_attach *a, const int *fds, uint32_t *ring_id);

#endif
