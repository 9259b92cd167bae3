/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Raising an event on a guest's port, from the shim or a driver domain. */
#ifndef HCALL_COMMON_EVTCHN_RAISE_H
#define HCALL_COMMON_EVTCHN_RAISE_H

#include <stdint.h>

#include "hcall/abi.h"

/*
 * Mark @port pending and raise the upcall if needed, for any process
 * holding the guest's shared info (@s, may be NULL) and its upcall irqfd:
 * how the shim and a driver domain notify a frontend.
 */
void hc_evtchn_raise(struct hcall_shared_info *s, uint32_t port, int upcall_fd);

#endif
