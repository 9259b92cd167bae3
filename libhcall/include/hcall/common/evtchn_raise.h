/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Raising an event on a guest's port, from the shim or a driver domain. */
#ifndef HCALL_COMMON_EVTCHN_RAISE_H
#define HCALL_COMMON_EVTCHN_RAISE_H

#include <stdint.h>

#include "hcall/abi.h"

/*
 * Where a guest's upcalls go: an irqfd per vCPU (each on an MSI route to
 * that vCPU's APIC) and each port's vCPU (the shim's table, HCALL_NR_EVTCHN
 * bytes; NULL: every port on vCPU 0). A target out of range means vCPU 0:
 * whoever reads the table does not trust it.
 */
struct hc_upcalls {
	const uint8_t *targets;
	const int *fds;
	unsigned int nr_vcpus;		/* fds[0 .. nr_vcpus), at least 1 */
};

/*
 * Mark @port pending and raise the upcall if needed, for any process
 * holding the guest's shared info (@s, may be NULL) and its upcalls: how
 * the shim and a driver domain notify a frontend.
 */
void hc_evtchn_raise(struct hcall_shared_info *s, uint32_t port, const struct hc_upcalls *u);
/*
 * @port is pending and unmasked: tell its vCPU (now), as a raise would have.
 * For a port just moved to another vCPU.
 */
void hc_evtchn_reraise(struct hcall_shared_info *s, uint32_t port, const struct hc_upcalls *u);

#endif
