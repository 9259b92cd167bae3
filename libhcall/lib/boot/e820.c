// SPDX-License-Identifier: LGPL-2.1-or-later
/* The guest's BIOS-style memory map. */
#include "hcall/boot/e820.h"
#include "hcall/layout.h"

int hc_e820_build(uint64_t mem, struct hc_e820 *out, int max)
{
	uint64_t low = hc_low_mem(mem);
	int n = 0;

	if (max < 4 || mem <= HC_HIMEM_ADDR)
		return -1;
	out[n++] = (struct hc_e820){ 0, HC_EBDA_ADDR, HC_E820_RAM };
	/* EBDA, VGA hole and BIOS area: the MP table lives here. */
	out[n++] = (struct hc_e820){ HC_EBDA_ADDR, HC_HIMEM_ADDR - HC_EBDA_ADDR,
				     HC_E820_RESERVED };
	out[n++] = (struct hc_e820){ HC_HIMEM_ADDR, low - HC_HIMEM_ADDR, HC_E820_RAM };
	if (mem > low)
		out[n++] = (struct hc_e820){ HC_4G, mem - low, HC_E820_RAM };
	return n;
}
