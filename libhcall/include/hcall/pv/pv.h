/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The shim's side of the hcall PV platform (see hcall/abi.h). */
#ifndef HCALL_PV_H
#define HCALL_PV_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdint.h>

#include "hcall/abi.h"

/* The PIO transport (abi.h): where the guest's inline "out"s land. */
#define HC_HYPERCALL_PORT	HCALL_PORT_HYPERCALL	/* a call the shim handles */
#define HC_DOORBELL_PORT	HCALL_PORT_DOORBELL	/* evtchn send, caught by an ioeventfd */
#define HC_UPCALL_GSI		24	/* MSI route to HYPERVISOR_CALLBACK_VECTOR */
#define HC_CALLBACK_VECTOR	0xf3

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

struct hc_store;
struct hc_store_events;

#define HC_SHIM_PORTS 64	/* ports the shim itself binds */

struct hc_pv {
	int enabled;		/* PV mode: the hcall CPUID leaves are visible */
	pthread_mutex_t lock;
	uint32_t tsc_khz;
	uint64_t gnttab_gpa;		/* the guest's grant table, for backends */
	uint32_t gnttab_frames;
	struct hcall_shared_info *shared;
	uint64_t shared_gpa;		/* where the guest put it, for backends */
	struct hcall_console_ring *cons;
	uint32_t cons_port;
	uint32_t cons_out_cons, cons_in_prod;	/* private copies of our indices */
	int cons_broken;
	int upcall_fd;		/* irqfd: signalling it injects the upcall vector */
	struct hc_evtchn_port ports[HC_SHIM_PORTS];
	struct hc_store *store;
	struct hc_store_events *events;	/* the guest's queued watch events */
	uint32_t store_port;
	pthread_t cons_thread;
	int cons_thread_started;
	int cons_stop;		/* eventfd: the console thread must stop now */
	int resetting;		/* a soft reset is under way: other calls -EBUSY */
	uint64_t calls[HCALL_NR_HYPERCALLS + 1];	/* last: invalid numbers */
	uint64_t errors;
};

/* Set up PV mode for @vm: irq routing for the upcall, the store. */
int hc_pv_init(struct hc_vm *vm, char *err, size_t errlen);
/* HCALL_FEAT_* the shim offers: one word for CPUID and start info. */
uint32_t hc_pv_features(void);
/*
 * Replace KVM's paravirt CPUID leaves with hcall's; @c needs room for
 * HC_PV_CPUID_LEAVES more entries.
 */
#define HC_PV_CPUID_LEAVES	4
void hc_pv_cpuid(struct hc_vm *vm, struct kvm_cpuid2 *c);
/* Run hypercall @nr with @args from vCPU @vcpu; returns the guest's rax. */
int64_t hc_hypercall(struct hc_vm *vm, int vcpu, uint64_t nr, const uint64_t args[5]);
/* Mark @port pending and raise the upcall if needed. */
void hc_evtchn_notify(struct hc_vm *vm, uint32_t port);
/*
 * The same for any process holding the guest's shared info (@s, may be
 * NULL) and its upcall irqfd: how a driver domain notifies a frontend.
 */
void hc_evtchn_raise(struct hcall_shared_info *s, uint32_t port, int upcall_fd);
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
/* HCALL_store (storecall.c); called with pv.lock held. */
int64_t hc_store_call(struct hc_vm *vm, const uint64_t a[5]);
/* Create the store and its event queue; 0 or -1. */
int hc_store_setup(struct hc_vm *vm);
void hc_store_teardown(struct hc_vm *vm);
/* Drop the guest's watches and queued events (soft reset); pv.lock held. */
void hc_store_reset_guest(struct hc_vm *vm);
/* Console backend: drain guest output, push input; thread-safe. */
void hc_console_drain(struct hc_vm *vm);
unsigned int hc_console_input(struct hc_vm *vm, const uint8_t *buf, unsigned int len);
/* Start the console thread for the registered ring; pv.lock held. 0 or -errno. */
int hc_console_start(struct hc_vm *vm);
/* Stop and join the console thread; pv.lock not held. */
void hc_console_stop(struct hc_vm *vm);
/*
 * Write console output to vm->console_fd without ever blocking for good:
 * a stalled reader costs output, not the VM. Once the VM is stopping,
 * waiting for the reader ends HC_CONSOLE_GRACE_MS after the stop.
 */
#define HC_CONSOLE_GRACE_MS	1000
void hc_console_write(struct hc_vm *vm, const void *buf, size_t len);
/* Make @fd the console output, non-blocking if it is a pipe or a tty. */
void hc_console_set_output(struct hc_vm *vm, int fd);
/*
 * Feed @fd (the host's stdin) to the guest's console until EOF or until the
 * VM stops; runs in its own thread, joined before the VM goes away.
 */
void hc_console_pump_input(struct hc_vm *vm, int fd);
/* HCALL_shutdown(HCALL_SHUTDOWN_SOFT_RESET); pv.lock not held. */
int64_t hc_pv_soft_reset(struct hc_vm *vm);
void hc_pv_destroy(struct hc_vm *vm);

/* pvclock multiplier/shift for a counter running at @khz. */
void hc_pvclock_scale(uint32_t khz, uint32_t *mul, int8_t *shift);

#endif
