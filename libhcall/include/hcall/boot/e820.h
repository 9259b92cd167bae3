/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The guest's e820 memory map. */
#ifndef HCALL_BOOT_E820_H
#define HCALL_BOOT_E820_H

#include <stdint.h>

struct hc_e820 {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
};

#define HC_E820_RAM      1
#define HC_E820_RESERVED 2

/* Fill @out (room for @max) with the map for @mem bytes of RAM; returns count. */
int hc_e820_build(uint64_t mem, struct hc_e820 *out, int max);

#endif
