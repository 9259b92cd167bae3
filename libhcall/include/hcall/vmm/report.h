/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Exit statistics of a finished VM, as a table and as JSON. */
#ifndef HCALL_REPORT_H
#define HCALL_REPORT_H

#include <stdio.h>

#include "hcall/vmm/vm.h"

/* Write a table to @table (may be NULL) and JSON to @json_path (may be NULL). */
int hc_report_stats(struct hc_vm *vm, FILE *table, const char *json_path);
/*
 * The same JSON into @f, while the VM runs: @stats_fd holds each vCPU's
 * KVM stats fd, opened before the vCPUs ran (KVM_GET_STATS_FD waits for a
 * vCPU to leave KVM_RUN; reading the fd does not). 0 or -1.
 */
int hc_report_json(struct hc_vm *vm, const int *stats_fd, FILE *f);

#endif
