/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Guest-physical layout the shim builds before the first instruction. */
#ifndef HCALL_LAYOUT_H
#define HCALL_LAYOUT_H

#include <stdint.h>

#define HC_GDT_ADDR        0x00500ull
#define HC_ZERO_PAGE_ADDR  0x07000ull
#define HC_PML4_ADDR       0x09000ull
#define HC_PDPT_ADDR       0x0a000ull
#define HC_PD_ADDR         0x0b000ull   /* four PDs: identity-map 4 GiB */
#define HC_CMDLINE_ADDR    0x20000ull
#define HC_CMDLINE_MAX     0x10000ull
#define HC_EBDA_ADDR       0x9fc00ull   /* start of the reserved low area */
#define HC_MPTABLE_ADDR    0xf0000ull   /* in the BIOS area Linux scans */
#define HC_HIMEM_ADDR      0x100000ull
#define HC_MMIO_HOLE       0xc0000000ull /* RAM above 3 GiB moves past 4 GiB */
#define HC_4G              0x100000000ull

#define HC_BOOT_CS         0x10         /* __BOOT_CS */
#define HC_BOOT_DS         0x18         /* __BOOT_DS */

#define HC_LAPIC_ADDR      0xfee00000u
#define HC_IOAPIC_ADDR     0xfec00000u

#define HC_MAX_VCPUS       8

/* Bytes of guest RAM mapped below the 3 GiB hole. */
static inline uint64_t hc_low_mem(uint64_t mem)
{
	return mem < HC_MMIO_HOLE ? mem : HC_MMIO_HOLE;
}

#endif
