/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Soft reset: the guest's registrations, ports, watches and rings dropped. */
#ifndef HCALL_PV_SOFTRESET_H
#define HCALL_PV_SOFTRESET_H

#include <stdint.h>

struct hc_vm;

/* HCALL_shutdown(HCALL_SHUTDOWN_SOFT_RESET); pv.lock not held. */
int64_t hc_pv_soft_reset(struct hc_vm *vm);

#endif
