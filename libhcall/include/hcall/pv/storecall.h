/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* HCALL_store: the guest's access to its store, watch events and their port. */
#ifndef HCALL_PV_STORECALL_H
#define HCALL_PV_STORECALL_H

#include <stdint.h>

struct hc_vm;

/* HCALL_store; called with pv.lock held. */
int64_t hc_store_call(struct hc_vm *vm, const uint64_t a[5]);
/* Create the store and its event queue; 0 or -1. */
int hc_store_setup(struct hc_vm *vm);
void hc_store_teardown(struct hc_vm *vm);
/* Drop the guest's watches and queued events (soft reset); pv.lock held. */
void hc_store_reset_guest(struct hc_vm *vm);

#endif
