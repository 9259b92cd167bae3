/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The hypercall dispatcher of the shim, and the one table of hypercalls
 * every other list is made from: the dispatch (hypercall.c), the feature
 * word of CPUID and start info (pv.h, HC_PV_FEATURES), the doorbell's call
 * (vcpu.c) and the names in the statistics (report.c). The numbers
 * themselves stay in abi.h, which the guest kernel shares byte for byte.
 */
#ifndef HCALL_PV_HYPERCALL_H
#define HCALL_PV_HYPERCALL_H

#include <stdint.h>

#include "hcall/abi.h"

struct hc_vm;

/* How a call reaches the shim (abi.h: HCALL_XPORT_PIO). */
enum hc_xport {
	/* "out %eax,$HCALL_PORT_HYPERCALL": an exit to the shim. */
	HC_XPORT_EXIT,
	/*
	 * That, or "out %eax,$HCALL_PORT_DOORBELL" with the first argument
	 * in eax: a KVM ioeventfd ends it in the host kernel for a port that
	 * has one; for any other port it exits and runs as this call.
	 */
	HC_XPORT_DOORBELL,
};

/* What the dispatcher holds around the handler. */
enum hc_call_lock {
	HC_LOCKED,	/* pv.lock; -EAGAIN while a soft reset is under way */
	HC_UNLOCKED,	/* nothing: the handler takes what it needs */
};

/*
 * X(number, name, transport, handler, feature, lock): one row a hypercall,
 * in number order, every number below HCALL_NR_HYPERCALLS exactly once.
 * @feature is the HCALL_FEAT_* bit that promises the call (0: every hcall
 * platform has it); the shim offers the bits of its rows, plus the
 * features that are not calls of their own (HC_PV_FEATURES_OTHER).
 * Handlers are hc_hypercall_fn, defined in hypercall.c.
 */
#define HC_HYPERCALLS(X)                                                                           \
	X(HCALL_null, "null", HC_XPORT_EXIT, hc_call_null, 0, HC_UNLOCKED)                         \
	X(HCALL_start_info, "start_info", HC_XPORT_EXIT, hc_call_start_info, 0, HC_LOCKED)         \
	X(HCALL_shared_info, "shared_info", HC_XPORT_EXIT, hc_call_shared_info,                    \
	  HCALL_FEAT_CLOCK, HC_LOCKED)                                                             \
	X(HCALL_console_setup, "console_setup", HC_XPORT_EXIT, hc_call_console_setup,              \
	  HCALL_FEAT_CONSOLE, HC_LOCKED)                                                           \
	X(HCALL_evtchn_send, "evtchn_send", HC_XPORT_DOORBELL, hc_call_evtchn_send,                \
	  HCALL_FEAT_EVTCHN, HC_LOCKED)                                                            \
	X(HCALL_evtchn_close, "evtchn_close", HC_XPORT_EXIT, hc_call_evtchn_close,                 \
	  HCALL_FEAT_EVTCHN, HC_LOCKED)                                                            \
	/* soft reset runs without pv.lock, the other reasons with it */                           \
	X(HCALL_shutdown, "shutdown", HC_XPORT_EXIT, hc_call_shutdown, HCALL_FEAT_SHUTDOWN,        \
	  HC_UNLOCKED)                                                                             \
	X(HCALL_gnttab_setup, "gnttab_setup", HC_XPORT_EXIT, hc_call_gnttab_setup,                 \
	  HCALL_FEAT_STORE, HC_LOCKED)                                                             \
	X(HCALL_evtchn_alloc, "evtchn_alloc", HC_XPORT_EXIT, hc_call_evtchn_alloc,                 \
	  HCALL_FEAT_STORE, HC_LOCKED)                                                             \
	X(HCALL_store, "store", HC_XPORT_EXIT, hc_call_store, HCALL_FEAT_STORE, HC_LOCKED)         \
	X(HCALL_memory_op, "memory_op", HC_XPORT_EXIT, hc_call_memory_op, HCALL_FEAT_BALLOON,      \
	  HC_LOCKED)                                                                               \
	/* the guest calls it with interrupts off: pv.evtchn_lock only */                         \
	X(HCALL_evtchn_bind_vcpu, "evtchn_bind_vcpu", HC_XPORT_EXIT, hc_call_evtchn_bind_vcpu,     \
	  HCALL_FEAT_EVTCHN_VCPU, HC_UNLOCKED)

/* Made from the table (constant expressions). */
#define HC_X_FEATURE_(nr, name, xport, fn, feature, lock) | (feature)
#define HC_X_COUNT_(nr, name, xport, fn, feature, lock) + 1
#define HC_X_DOORBELL_(nr, name, xport, fn, feature, lock) + ((xport) == HC_XPORT_DOORBELL ? (nr) : 0)
#define HC_X_DOORBELLS_(nr, name, xport, fn, feature, lock) + ((xport) == HC_XPORT_DOORBELL)
/* The HCALL_FEAT_* bits of the calls in the table. */
#define HC_HYPERCALL_FEATURES	(0u HC_HYPERCALLS(HC_X_FEATURE_))
/* The call a doorbell exit runs (the table has exactly one). */
#define HC_DOORBELL_HYPERCALL	(0 HC_HYPERCALLS(HC_X_DOORBELL_))

_Static_assert((0 HC_HYPERCALLS(HC_X_COUNT_)) == HCALL_NR_HYPERCALLS,
	       "one row in HC_HYPERCALLS for every hypercall number in abi.h");
_Static_assert((0 HC_HYPERCALLS(HC_X_DOORBELLS_)) == 1, "one call behind the doorbell");

/* A handler: the guest's rax from its arguments, on vCPU @vcpu. */
typedef int64_t hc_hypercall_fn(struct hc_vm *vm, int vcpu, const uint64_t a[5]);

struct hc_hypercall {
	uint32_t nr;
	const char *name;
	enum hc_xport xport;
	hc_hypercall_fn *fn;
	uint32_t feature;
	enum hc_call_lock lock;
};

/* HC_HYPERCALLS as data, indexed by number. */
extern const struct hc_hypercall hc_hypercalls[HCALL_NR_HYPERCALLS];

/*
 * Run hypercall @nr with @args from vCPU @vcpu; returns the guest's rax:
 * -HCALL_ENOSYS for a number the table does not have.
 */
int64_t hc_hypercall(struct hc_vm *vm, int vcpu, uint64_t nr, const uint64_t args[5]);
/* The name of hypercall @nr for statistics; "invalid" past the table. */
const char *hc_hypercall_name(uint64_t nr);

#endif
