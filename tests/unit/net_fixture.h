/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the network backend's tests share. */
#ifndef HCALL_TEST_NET_FIXTURE_H
#define HCALL_TEST_NET_FIXTURE_H

#include <stdint.h>
#include <string.h>

#include "hcall/xenring.h"
#include <xen/io/netif.h>

/* A tx ring slot holding an extra of @type (for GSO: its size and type); the rest is anything. */
static inline netif_tx_request_t tx_extra(uint8_t type, uint8_t flags, uint16_t gso_size,
					  uint8_t gso_type)
{
	netif_extra_info_t x = { .type = type, .flags = flags };
	netif_tx_request_t r;

	x.u.gso.size = gso_size;
	x.u.gso.type = gso_type;
	memset(&r, 0xee, sizeof(r));
	memcpy(&r, &x, sizeof(x));
	return r;
}

#endif
