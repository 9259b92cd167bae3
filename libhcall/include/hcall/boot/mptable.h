/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The MP table that describes the guest's vCPUs. */
#ifndef HCALL_BOOT_MPTABLE_H
#define HCALL_BOOT_MPTABLE_H

#include <stddef.h>
#include <stdint.h>

/*
 * Write an MP floating pointer and configuration table for @ncpus at
 * @gpa (host view @dst, @room bytes). Returns bytes used, or -1 if too small.
 */
long hc_mptable_build(uint8_t *dst, size_t room, uint32_t gpa, int ncpus);

#endif
