/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One vCPU of a VM: its thread, its exits, the halt probe. */
#ifndef HCALL_VCPU_H
#define HCALL_VCPU_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdint.h>

#include "hcall/vmm/stats.h"

struct hc_vm;

struct hc_vcpu {
	struct hc_vm *vm;
	int id;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	struct hc_vcpu_stats stats;
	/* The halt probe (vcpu.c): the vCPU samples itself when kicked. */
	unsigned int probes;	/* samples taken; bumped after @stuck is set */
	int stuck;		/* last sample: halted with IF=0, no NMI, or waiting for SIPI */
};

/* Port I/O and MMIO exits. */
void hc_vm_pio(struct hc_vcpu *v, uint16_t port, int size, int write, uint8_t *data);
/*
 * Kick @v out of KVM_RUN so that it samples, on its own thread, whether it
 * can ever run again (@stuck) and then bumps @probes.
 */
void hc_vcpu_probe(struct hc_vcpu *v);
/* The vCPU thread's body (hc_vm_start() starts one per vCPU); @arg: the hc_vcpu. */
void *hc_vcpu_thread(void *arg);

#endif
