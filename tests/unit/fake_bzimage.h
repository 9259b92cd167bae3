/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Synthetic bzImages for the loader tests: a valid 2.15 header + payload. */
#ifndef FAKE_BZIMAGE_H
#define FAKE_BZIMAGE_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FAKE_SETUP_SECTS 4
#define FAKE_PAYLOAD (64 * 1024)
#define FAKE_LEN ((FAKE_SETUP_SECTS + 1) * 512 + FAKE_PAYLOAD)

static inline void put_le(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Caller frees. init_size is 1 MiB, preferred address 16 MiB. */
static inline uint8_t *fake_bzimage(size_t *len)
{
	uint8_t *b = calloc(1, FAKE_LEN);

	b[0x1f1] = FAKE_SETUP_SECTS;
	put_le(b + 0x1f4, FAKE_PAYLOAD / 16, 4);	/* syssize */
	put_le(b + 0x1fe, 0xaa55, 2);
	b[0x200] = 0xeb;
	b[0x201] = 0x6a;				/* header ends at 0x26c */
	memcpy(b + 0x202, "HdrS", 4);
	put_le(b + 0x206, 0x020f, 2);
	b[0x211] = 0x01;				/* LOADED_HIGH */
	put_le(b + 0x22c, 0x7fffffff, 4);		/* initrd_addr_max */
	put_le(b + 0x230, 0x200000, 4);
	b[0x234] = 1;
	put_le(b + 0x236, 0x1, 2);			/* XLF_KERNEL_64 */
	put_le(b + 0x238, 2047, 4);			/* cmdline_size */
	put_le(b + 0x258, 0x1000000, 8);		/* pref_address */
	put_le(b + 0x260, 0x100000, 4);			/* init_size */
	for (size_t i = 0; i < FAKE_PAYLOAD; i++)
		b[(FAKE_SETUP_SECTS + 1) * 512 + i] = (uint8_t)(i * 7 + 3);
	*len = FAKE_LEN;
	return b;
}

#endif
