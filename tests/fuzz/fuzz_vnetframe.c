// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target for hcall-slirp's check of a netback message (vnet
 * header + frame): any bytes. An accepted message is a frame of at least
 * an Ethernet header after the header, never GSO, and only its checksum
 * field may have changed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <linux/virtio_net.h>

#include "hcall/common/vnetframe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *m = malloc(size ? size : 1);
	struct virtio_net_hdr h;
	int off;

	if (!m)
		return 0;
	memcpy(m, data, size);
	off = hc_vnet_frame(m, size);
	if (off >= 0) {
		memcpy(&h, data, sizeof(h));
		if (off != HC_VNET_HDR_LEN || size < (size_t)off + 14 ||
		    h.gso_type != VIRTIO_NET_HDR_GSO_NONE)
			abort();
		for (size_t i = 0; i < size; i++) {
			size_t at = (size_t)off + h.csum_start + h.csum_offset;
			int in_field = (h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) && (i == at || i == at + 1);

			if (m[i] != data[i] && !in_field)
				abort();
		}
	} else if (off != -1) {
		abort();
	}
	free(m);
	return 0;
}
