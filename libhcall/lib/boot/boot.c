// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The 64-bit Linux boot protocol: place the kernel, initrd and command line,
 * fill the zero page, and build the identity page tables and GDT that the
 * 64-bit entry point expects (Documentation/arch/x86/boot.rst).
 */
#include <asm/bootparam.h>
#include <stdio.h>
#include <string.h>

#include "hcall/boot/boot.h"
#include "hcall/common/err.h"
#include "hcall/layout.h"

#define PAGE_SIZE     4096ull
#define PTE_P         0x001ull
#define PTE_RW        0x002ull
#define PTE_PS        0x080ull
#define LOADER_UNDEF  0xff

/* Identity-map the first 4 GiB with 2 MiB pages: the boot protocol needs the
 * kernel, zero page, command line and initrd mapped. */
static void build_page_tables(uint8_t *ram)
{
	uint64_t *pml4 = (uint64_t *)(ram + HC_PML4_ADDR);
	uint64_t *pdpt = (uint64_t *)(ram + HC_PDPT_ADDR);
	uint64_t *pd = (uint64_t *)(ram + HC_PD_ADDR);
	int i;

	memset(pml4, 0, PAGE_SIZE * 6);
	pml4[0] = HC_PDPT_ADDR | PTE_P | PTE_RW;
	for (i = 0; i < 4; i++)
		pdpt[i] = (HC_PD_ADDR + i * PAGE_SIZE) | PTE_P | PTE_RW;
	for (i = 0; i < 4 * 512; i++)
		pd[i] = ((uint64_t)i << 21) | PTE_P | PTE_RW | PTE_PS;
}

static void build_gdt(uint8_t *ram)
{
	uint64_t *gdt = (uint64_t *)(ram + HC_GDT_ADDR);

	gdt[0] = 0;
	gdt[1] = 0;
	gdt[HC_BOOT_CS / 8] = 0x00af9b000000ffffull;	/* 64-bit code */
	gdt[HC_BOOT_DS / 8] = 0x00cf93000000ffffull;	/* flat data */
}

int hc_boot_plan(uint64_t mem, const uint8_t *kernel, size_t kernel_len,
		 size_t initrd_len, size_t cmdline_len, int ncpus,
		 struct hc_bzimage *bz, struct hc_boot_info *info,
		 char *err, size_t errlen)
{
	uint64_t low = hc_low_mem(mem), top;

	memset(info, 0, sizeof(*info));
	if (hc_bzimage_parse(kernel, kernel_len, bz, err, errlen))
		return -1;
	if (cmdline_len > bz->cmdline_size || cmdline_len >= HC_CMDLINE_MAX)
		return hc_err(err, errlen, "command line is %llu bytes, the kernel accepts %llu",
			      (unsigned long long)cmdline_len, (unsigned long long)bz->cmdline_size);
	if (ncpus < 1 || ncpus > HC_MAX_VCPUS)
		return hc_err(err, errlen, "cannot describe %llu vCPUs (at most %llu)",
			      (unsigned long long)ncpus, (unsigned long long)HC_MAX_VCPUS);
	if (mem <= HC_HIMEM_ADDR)
		return hc_err(err, errlen, "guest RAM of %llu bytes is too small",
			      (unsigned long long)mem);

	info->kernel_addr = bz->pref_address;
	info->kernel_end = bz->pref_address + bz->init_size;
	info->entry = bz->pref_address + 0x200;	/* startup_64 */
	if (info->kernel_end > low)
		return hc_err(err, errlen, "kernel needs %llu MiB of RAM from its load address; --mem gives %llu MiB",
			      (unsigned long long)((info->kernel_end + (1 << 20) - 1) >> 20),
			      (unsigned long long)(low >> 20));
	if (initrd_len) {
		top = low;
		if (bz->initrd_addr_max && top > (uint64_t)bz->initrd_addr_max + 1)
			top = (uint64_t)bz->initrd_addr_max + 1;
		if (initrd_len > top || ((top - initrd_len) & ~(PAGE_SIZE - 1)) < info->kernel_end)
			return hc_err(err, errlen, "initrd of %llu KiB does not fit in guest RAM above the kernel (%llu MiB)",
				      (unsigned long long)(initrd_len >> 10), (unsigned long long)(mem >> 20));
		info->initrd_addr = (top - initrd_len) & ~(PAGE_SIZE - 1);
		info->initrd_size = initrd_len;
	}
	return 0;
}

int hc_boot_setup(uint8_t *ram, uint64_t mem, const uint8_t *kernel,
		  size_t kernel_len, const uint8_t *initrd, size_t initrd_len,
		  const char *cmdline, int ncpus, struct hc_boot_info *info,
		  char *err, size_t errlen)
{
	struct boot_params *zp = (struct boot_params *)(ram + HC_ZERO_PAGE_ADDR);
	struct hc_e820 map[E820_MAX_ENTRIES_ZEROPAGE];
	size_t cmdlen = strlen(cmdline);
	struct hc_bzimage bz;
	int n, i;

	if (hc_boot_plan(mem, kernel, kernel_len, initrd_len, cmdlen, ncpus, &bz, info,
			 err, errlen))
		return -1;
	memcpy(ram + bz.pref_address, kernel + bz.payload_off, bz.payload_len);
	if (initrd_len)
		memcpy(ram + info->initrd_addr, initrd, initrd_len);
	memcpy(ram + HC_CMDLINE_ADDR, cmdline, cmdlen + 1);

	memset(zp, 0, sizeof(*zp));
	memcpy(&zp->hdr, kernel + 0x1f1, bz.setup_len < sizeof(zp->hdr) ?
	       bz.setup_len : sizeof(zp->hdr));
	zp->hdr.type_of_loader = LOADER_UNDEF;
	zp->hdr.vid_mode = 0xffff;
	zp->hdr.code32_start = (uint32_t)bz.pref_address;
	zp->hdr.cmd_line_ptr = HC_CMDLINE_ADDR;
	zp->hdr.cmdline_size = (uint32_t)cmdlen;
	zp->hdr.ramdisk_image = (uint32_t)info->initrd_addr;
	zp->hdr.ramdisk_size = (uint32_t)info->initrd_size;
	n = hc_e820_build(mem, map, E820_MAX_ENTRIES_ZEROPAGE);
	for (i = 0; i < n; i++) {
		zp->e820_table[i].addr = map[i].addr;
		zp->e820_table[i].size = map[i].size;
		zp->e820_table[i].type = map[i].type;
	}
	zp->e820_entries = (uint8_t)n;

	hc_mptable_build(ram + HC_MPTABLE_ADDR, 0x10000, HC_MPTABLE_ADDR, ncpus);
	build_page_tables(ram);
	build_gdt(ram);
	return 0;
}
