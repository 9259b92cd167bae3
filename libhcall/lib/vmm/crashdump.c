// SPDX-License-Identifier: LGPL-2.1-or-later
/* A crashed guest's memory to a sparse file at guest-physical offsets. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "hcall/common/err.h"
#include "hcall/layout.h"
#include "hcall/vmm/crashdump.h"

#define PAGE 4096u

static int page_is_zero(const uint8_t *p)
{
	static const uint8_t zero[PAGE];

	return memcmp(p, zero, PAGE) == 0;
}

/* @len bytes of RAM at @src to @fd at offset @at, skipping zero pages. */
static int dump_range(int fd, const uint8_t *src, uint64_t len, uint64_t at)
{
	uint64_t off;
	ssize_t n;

	for (off = 0; off < len; off += PAGE) {
		size_t chunk = len - off < PAGE ? (size_t)(len - off) : PAGE;

		if (chunk == PAGE && page_is_zero(src + off))
			continue;
		n = pwrite(fd, src + off, chunk, (off_t)(at + off));
		if (n != (ssize_t)chunk)
			return n < 0 ? -errno : -EIO;
	}
	return 0;
}

int hc_crash_dump(const uint8_t *ram, uint64_t mem, const char *path, char *err, size_t errlen)
{
	uint64_t low = hc_low_mem(mem);
	int fd, rc;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return hc_err(err, errlen, "%s: %s", path, strerror(errno));
	/* The file's size is the end of RAM, holes and all. */
	rc = ftruncate(fd, (off_t)(mem > low ? HC_4G + (mem - low) : mem)) ? -errno : 0;
	if (!rc)
		rc = dump_range(fd, ram, low, 0);
	if (!rc && mem > low)
		rc = dump_range(fd, ram + low, mem - low, HC_4G);
	if (close(fd) && !rc)
		rc = -errno;
	if (rc) {
		unlink(path);
		return hc_err(err, errlen, "%s: %s", path, strerror(-rc));
	}
	return 0;
}
