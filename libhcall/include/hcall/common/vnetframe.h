/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One message of a vif's host side as hcall-slirp reads it from netback:
 * a struct virtio_net_hdr then an Ethernet frame. Turned into a frame a
 * plain network stack takes: its L4 checksum completed if the guest left
 * it to the host (VIRTIO_NET_HDR_F_NEEDS_CSUM: the field holds the
 * pseudo-header's sum, as Linux's CHECKSUM_PARTIAL), never a GSO frame.
 */
#ifndef HCALL_COMMON_VNETFRAME_H
#define HCALL_COMMON_VNETFRAME_H

#include <stddef.h>
#include <stdint.h>

#define HC_VNET_HDR_LEN	10	/* struct virtio_net_hdr, without num_buffers */

/*
 * Check @msg (@len bytes) and complete its checksum in place. Returns the
 * frame's offset in @msg (its length is @len minus that), or -1: shorter
 * than a header and an Ethernet header, a GSO frame, or checksum offsets
 * outside the frame.
 */
int hc_vnet_frame(uint8_t *msg, size_t len);

#endif
