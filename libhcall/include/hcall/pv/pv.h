/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The shim's side of the hcall PV platform (see hcall/abi.h). */
#ifndef HCALL_PV_H
#define HCALL_PV_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "hcall/abi.h"
#include "hcall/pv/evtchn.h"
#include "hcall/pv/hypercall.h"

/* The PIO transport (abi.h): where the guest's inline "out"s land. */
#define HC_HYPERCALL_PORT	HCALL_PORT_HYPERCALL	/* a call the shim handles */
#define HC_DOORBELL_PORT	HCALL_PORT_DOORBELL	/* evtchn send, caught by an ioeventfd */
#define HC_UPCALL_GSI		24	/* + vCPU: its MSI route to HYPERVISOR_CALLBACK_VECTOR */
#define HC_CALLBACK_VECTOR	0xf3

struct hc_vm;
struct hc_store;
struct hc_store_events;

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
	int upcall_fd[HCALL_MAX_VCPUS];	/* irqfds: signalling one injects the upcall on its vCPU */
	uint8_t *targets;	/* each port's vCPU, in the memfd past RAM (guestmem.h) */
	struct hc_evtchn_port ports[HC_SHIM_PORTS];
	/*
	 * Taken (inside pv.lock, where that is held) to change a port's owner
	 * or target: HCALL_evtchn_bind_vcpu runs without pv.lock, since the
	 * guest calls it with interrupts off and pv.lock can be held across a
	 * round trip to hcall-dd. Never held across I/O.
	 */
	pthread_mutex_t evtchn_lock;
	struct hc_store *store;
	struct hc_store_events *events;	/* the guest's queued watch events */
	uint32_t store_port;
	pthread_t cons_thread;
	int cons_thread_started;
	int cons_stop;		/* eventfd: the console thread must stop now */
	int resetting;		/* a soft reset is under way: other calls -EAGAIN */
	/* The balloon (balloon.c): frames the guest gave back, by RAM page index. */
	uint64_t *released;	/* bitmap in the memfd past RAM: hcall-dd maps it too */
	uint64_t released_pages;	/* bits set in it (atomic loads from outside pv.lock) */
	uint64_t discarded_pages;	/* HCALL_MEM_DISCARD's, in all (atomic, as above) */
	const uint32_t *mapcount;	/* after it: hcall-dd's maps per page (guestmem.h) */
	uint64_t start_info_gpa;	/* the last start info page filled */
	uint64_t cons_gpa;		/* the console ring, while pv.cons is set */
	uint64_t calls[HCALL_NR_HYPERCALLS + 1];	/* last: invalid numbers */
	uint64_t errors;
};

/* Set up PV mode for @vm of @ncpus vCPUs: an upcall route per vCPU, the store. */
int hc_pv_init(struct hc_vm *vm, int ncpus, char *err, size_t errlen);
/* Features that are not hypercalls of their own (a shutdown reason). */
#define HC_PV_FEATURES_OTHER	HCALL_FEAT_SOFT_RESET
/* HCALL_FEAT_* the shim offers: the hypercall table's and the others. */
#define HC_PV_FEATURES		(HC_HYPERCALL_FEATURES | HC_PV_FEATURES_OTHER)
/*
 * The one word CPUID leaf 0x40000001 and start info show: HC_PV_FEATURES,
 * and what @vm's user asked for (HCALL_FEAT_PAGE_REPORTING).
 */
uint32_t hc_pv_features(const struct hc_vm *vm);
/*
 * Add hcall's CPUID leaves at HCALL_CPUID_BASE, beside KVM's at 0x40000000
 * (hc_cpuid_kvm_leaves() decides what is left of those); @c needs room
 * for HC_PV_CPUID_LEAVES more entries.
 */
#define HC_PV_CPUID_LEAVES	4
void hc_pv_cpuid(struct hc_vm *vm, struct kvm_cpuid2 *c);
/* pvclock multiplier/shift for a counter running at @khz. */
void hc_pvclock_scale(uint32_t khz, uint32_t *mul, int8_t *shift);
/* Tear the PV platform down: console, disks, store, ports, upcall. */
void hc_pv_destroy(struct hc_vm *vm);

#endif
