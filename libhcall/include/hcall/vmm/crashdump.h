/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A crashed guest's memory, kept for a post-mortem (as xl dump-core or
 * QEMU's dump-guest-memory do): a sparse file whose byte at offset A is
 * the guest's at guest-physical address A, all-zero pages left as holes.
 * Page-table walks over it need no map of the RAM layout.
 */
#ifndef HCALL_VMM_CRASHDUMP_H
#define HCALL_VMM_CRASHDUMP_H

#include <stddef.h>
#include <stdint.h>

/*
 * Write the guest RAM at @ram (@mem bytes, hcall/layout.h's layout) to a
 * new file @path (mode 0600, replaced if there). 0, or -1 with a message
 * in @err.
 */
int hc_crash_dump(const uint8_t *ram, uint64_t mem, const char *path, char *err, size_t errlen);

#endif
