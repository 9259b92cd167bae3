// SPDX-License-Identifier: LGPL-2.1-or-later
/* bzImage setup header parsing (Documentation/arch/x86/boot.rst). */
#include <stdio.h>
#include <string.h>

#include "hcall/boot/bzimage.h"
#include "hcall/common/err.h"

#define HDR_SETUP_SECTS   0x1f1
#define HDR_SYSSIZE       0x1f4
#define HDR_BOOT_FLAG     0x1fe
#define HDR_JUMP          0x200
#define HDR_HEADER        0x202
#define HDR_VERSION       0x206
#define HDR_LOADFLAGS     0x211
#define HDR_INITRD_MAX    0x22c
#define HDR_ALIGN         0x230
#define HDR_RELOCATABLE   0x234
#define HDR_XLOADFLAGS    0x236
#define HDR_CMDLINE_SIZE  0x238
#define HDR_PREF_ADDRESS  0x258
#define HDR_INIT_SIZE     0x260
#define HDR_END_MIN       0x264 /* protocol 2.12 header ends past init_size */

#define LOADED_HIGH       0x01
#define XLF_KERNEL_64     0x01

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t rd32(const uint8_t *p) { return rd16(p) | (uint32_t)rd16(p + 2) << 16; }
static uint64_t rd64(const uint8_t *p) { return rd32(p) | (uint64_t)rd32(p + 4) << 32; }

int hc_bzimage_parse(const uint8_t *img, size_t len, struct hc_bzimage *bz,
		     char *err, size_t errlen)
{
	memset(bz, 0, sizeof(*bz));
	if (len < HDR_END_MIN)
		return hc_err(err, errlen, "not a bzImage: file too short for a setup header");
	if (rd16(img + HDR_BOOT_FLAG) != 0xaa55 || memcmp(img + HDR_HEADER, "HdrS", 4))
		return hc_err(err, errlen, "not a bzImage: no boot signature or HdrS magic");
	bz->version = rd16(img + HDR_VERSION);
	if (bz->version < 0x020c)
		return hc_err(err, errlen, "bzImage boot protocol older than 2.12 (no 64-bit entry)");
	bz->loadflags = img[HDR_LOADFLAGS];
	bz->xloadflags = rd16(img + HDR_XLOADFLAGS);
	if (!(bz->loadflags & LOADED_HIGH) || !(bz->xloadflags & XLF_KERNEL_64))
		return hc_err(err, errlen, "bzImage has no 64-bit entry point (XLF_KERNEL_64)");

	bz->setup_sects = img[HDR_SETUP_SECTS] ? img[HDR_SETUP_SECTS] : 4;
	/* The header's own length is encoded in the jump at 0x200. */
	bz->setup_len = (size_t)HDR_HEADER + img[HDR_JUMP + 1] - HDR_SETUP_SECTS;
	if (HDR_SETUP_SECTS + bz->setup_len > len || bz->setup_len < HDR_END_MIN - HDR_SETUP_SECTS)
		return hc_err(err, errlen, "bzImage setup header length is inconsistent");
	bz->payload_off = ((size_t)bz->setup_sects + 1) * 512;
	if (bz->payload_off >= len)
		return hc_err(err, errlen, "bzImage truncated: no protected-mode kernel");
	bz->payload_len = len - bz->payload_off;
	if ((uint64_t)rd32(img + HDR_SYSSIZE) * 16 > bz->payload_len)
		return hc_err(err, errlen, "bzImage truncated: shorter than its syssize field");

	bz->initrd_addr_max = rd32(img + HDR_INITRD_MAX);
	bz->kernel_alignment = rd32(img + HDR_ALIGN);
	bz->relocatable = img[HDR_RELOCATABLE];
	bz->cmdline_size = rd32(img + HDR_CMDLINE_SIZE);
	bz->pref_address = rd64(img + HDR_PREF_ADDRESS);
	bz->init_size = rd32(img + HDR_INIT_SIZE);
	if (bz->pref_address < 0x100000 || bz->pref_address >= (1ull << 32) ||
	    (bz->pref_address & 0xfff))
		return hc_err(err, errlen, "bzImage preferred load address is unusable");
	if (bz->init_size < bz->payload_len)
		return hc_err(err, errlen, "bzImage init_size is smaller than the kernel");
	return 0;
}
