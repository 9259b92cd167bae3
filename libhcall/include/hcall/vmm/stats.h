/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* VM exit accounting: the shim's own counters plus KVM's binary stats. */
#ifndef HCALL_STATS_H
#define HCALL_STATS_H

#include <stdint.h>
#include <stdio.h>

/* Userspace exits, by KVM exit reason, per vCPU (no sharing, no atomics). */
#define HC_EXIT_REASONS 64
struct hc_vcpu_stats {
	uint64_t exits[HC_EXIT_REASONS];
};

/* Port I/O exits per port, shared by all vCPUs. */
struct hc_port_stats {
	uint64_t count[65536];
};

/* A named counter summed over vCPUs. */
struct hc_counter {
	char name[48];
	uint64_t value;
};

#define HC_KVM_COUNTERS 96

struct hc_kvm_stats {
	int n;
	struct hc_counter c[HC_KVM_COUNTERS];
};

/* Add the cumulative counters of the KVM binary stats fd @fd into @ks. */
int hc_kvm_stats_add(struct hc_kvm_stats *ks, int fd);
uint64_t hc_kvm_stats_get(const struct hc_kvm_stats *ks, const char *name);
const char *hc_exit_reason_name(unsigned int reason);

#endif
