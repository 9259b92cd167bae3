/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Parsing and validating a Linux x86 bzImage (boot protocol >= 2.12). */
#ifndef HCALL_BZIMAGE_H
#define HCALL_BZIMAGE_H

#include <stddef.h>
#include <stdint.h>

/* What the loader needs from a bzImage's setup header. */
struct hc_bzimage {
	uint16_t version;        /* boot protocol version, e.g. 0x020f */
	uint8_t setup_sects;     /* 512-byte real-mode sectors after the boot sector */
	uint8_t loadflags;
	uint16_t xloadflags;
	uint8_t relocatable;
	uint32_t kernel_alignment;
	uint64_t pref_address;   /* where the protected-mode kernel wants to live */
	uint32_t init_size;      /* bytes needed from the load address while booting */
	uint32_t cmdline_size;   /* maximum command line length, without the NUL */
	uint32_t initrd_addr_max;
	size_t setup_len;        /* bytes of the setup header to copy (0x1f1..) */
	size_t payload_off;      /* file offset of the protected-mode kernel */
	size_t payload_len;
};

/*
 * Parse @img (@len bytes). Returns 0, or -1 with a one-line reason in @err.
 * Refuses anything that is not a 64-bit-bootable bzImage or is truncated.
 */
int hc_bzimage_parse(const uint8_t *img, size_t len, struct hc_bzimage *bz,
		     char *err, size_t errlen);

#endif
