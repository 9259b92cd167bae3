/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Event channels, shim side: the ports the shim binds for the guest. */
#ifndef HCALL_PV_EVTCHN_H
#define HCALL_PV_EVTCHN_H

#include <stdint.h>

#include "hcall/common/evtchn_raise.h"

struct hc_vm;

enum hc_port_owner {
	HC_PORT_FREE,
	HC_PORT_CONSOLE,
	HC_PORT_STORE,		/* watch events pending */
	HC_PORT_BACKEND,	/* allocated by the guest for a backend ring */
};

struct hc_evtchn_port {
	enum hc_port_owner owner;
	int kick_fd;		/* eventfd the guest's send signals (ioeventfd) */
	int doorbell;		/* an in-kernel ioeventfd is registered */
	int attached;		/* a backend ring holds this port */
};

#define HC_SHIM_PORTS 64	/* ports the shim itself binds */

/* The VM's upcall irqfds and port targets, for hc_evtchn_raise(). */
struct hc_upcalls hc_evtchn_upcalls(const struct hc_vm *vm);
/*
 * Mark @port pending and raise the upcall if needed (hc_evtchn_raise() of
 * hcall/common/evtchn_raise.h on the VM's shared info and upcalls).
 */
void hc_evtchn_notify(struct hc_vm *vm, uint32_t port);
/* HCALL_evtchn_bind_vcpu: 0, or -HCALL_EINVAL for a free port or no such vCPU. */
int hc_evtchn_bind_vcpu(struct hc_vm *vm, uint64_t port, uint64_t vcpu);
/*
 * Bind a shim-side port (returns port or -errno); HCALL_evtchn_close (-EBUSY
 * for a port the console, the store or a ring uses); close every port;
 * slow-path send.
 */
int hc_evtchn_bind(struct hc_vm *vm, enum hc_port_owner owner);
int hc_evtchn_close(struct hc_vm *vm, uint64_t port);
/* Forget @port whatever its owner: the caller made sure nobody uses it. */
void hc_evtchn_release(struct hc_vm *vm, uint32_t port);
void hc_evtchn_reset(struct hc_vm *vm);
int64_t hc_evtchn_send_slow(struct hc_vm *vm, uint64_t port);
/* HCALL_evtchn_alloc: a port the guest hands to a backend. */
int64_t hc_evtchn_alloc(struct hc_vm *vm, uint64_t remote_domid);

#endif
