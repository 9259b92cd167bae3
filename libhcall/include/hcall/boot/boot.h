/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Building the x86-64 boot state in guest memory: zero page, e820, MP table. */
#ifndef HCALL_BOOT_H
#define HCALL_BOOT_H

#include <stddef.h>
#include <stdint.h>

#include "hcall/boot/bzimage.h"
#include "hcall/boot/e820.h"
#include "hcall/boot/mptable.h"
#include "hcall/layout.h"

/* Where the pieces of a boot went; filled by hc_boot_setup(). */
struct hc_boot_info {
	uint64_t kernel_addr;
	uint64_t kernel_end;    /* kernel_addr + init_size */
	uint64_t entry;         /* 64-bit entry point */
	uint64_t initrd_addr;
	uint64_t initrd_size;
};

/*
 * Check that a boot fits without touching memory: the kernel image, the
 * command line and initrd sizes against @mem and the header's limits. Fills
 * @bz and @info. Returns 0, or -1 with a reason in @err.
 */
int hc_boot_plan(uint64_t mem, const uint8_t *kernel, size_t kernel_len,
		 size_t initrd_len, size_t cmdline_len, int ncpus,
		 struct hc_bzimage *bz, struct hc_boot_info *info,
		 char *err, size_t errlen);

/*
 * Lay out a boot in @ram (@mem bytes of guest memory, the low part mapped
 * 1:1 at guest-physical 0): kernel payload, initrd, command line, zero page,
 * identity page tables, GDT and MP table. All sizes are checked against
 * @mem and the header's limits. Returns 0, or -1 with a reason in @err.
 */
int hc_boot_setup(uint8_t *ram, uint64_t mem, const uint8_t *kernel,
		  size_t kernel_len, const uint8_t *initrd, size_t initrd_len,
		  const char *cmdline, int ncpus, struct hc_boot_info *info,
		  char *err, size_t errlen);

#endif
