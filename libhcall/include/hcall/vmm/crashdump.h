/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A crashed guest's memory, kept for a post-mortem (as xl dump-core or
 * QEMU's dump-guest-memory do): a sparse file whose byte at offset A is
 * the guest's at guest-physical address A, pages never touched or all
 * zero left as holes. Page-table walks over it need no map of the RAM
 * layout.
 */
#ifndef HCALL_VMM_CRASHDUMP_H
#define HCALL_VMM_CRASHDUMP_H

#include <stddef.h>
#include <stdint.h>

/*
 * Write the guest RAM in @mem_fd (its first @mem bytes, laid out as
 * hcall/layout.h says) to the regular file @path (created mode 0600, or
 * truncated). Only the memfd's data extents are read, so untouched and
 * ballooned-out memory costs nothing. 0, or -1 with a message in @err (a
 * partial file may stay).
 */
int hc_crash_dump(int mem_fd, uint64_t mem, const char *path, char *err, size_t errlen);

#endif
