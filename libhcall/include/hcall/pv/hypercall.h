/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The hypercall dispatcher of the shim. */
#ifndef HCALL_PV_HYPERCALL_H
#define HCALL_PV_HYPERCALL_H

#include <stdint.h>

struct hc_vm;

/* Run hypercall @nr with @args from vCPU @vcpu; returns the guest's rax. */
int64_t hc_hypercall(struct hc_vm *vm, int vcpu, uint64_t nr, const uint64_t args[5]);

#endif
