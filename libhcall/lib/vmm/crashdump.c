// SPDX-License-Identifier: LGPL-2.1-or-later
/* A crashed guest's memory to a sparse file at guest-physical offsets. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hcall/common/err.h"
#include "hcall/layout.h"
#include "hcall/vmm/crashdump.h"

#define PAGE	4096u
#define CHUNK	(256u * PAGE)

static uint8_t buf[CHUNK];	/* one dump per process, at its end: not reentrant */

static int page_is_zero(const uint8_t *p)
{
	static const uint8_t zero[PAGE];

	return memcmp(p, zero, PAGE) == 0;
}

/* All @len bytes of @p to @fd at @at; a short write goes on. */
static int write_all(int fd, const uint8_t *p, size_t len, uint64_t at)
{
	while (len) {
		ssize_t n = pwrite(fd, p, len, (off_t)at);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		p += n;
		len -= (size_t)n;
		at += (uint64_t)n;
	}
	return 0;
}

/* Memfd bytes [off, end) to @out at guest-physical offsets, zero pages skipped. */
static int copy_extent(int mem_fd, int out, uint64_t off, uint64_t end, uint64_t low)
{
	while (off < end) {
		size_t len = end - off < CHUNK ? (size_t)(end - off) : CHUNK, i;
		ssize_t n = pread(mem_fd, buf, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		/* A memfd read is whole; a short one would shift pages across the hole. */
		if (n != (ssize_t)len)
			return n < 0 ? -errno : -EIO;
		for (i = 0; i < (size_t)n; i += PAGE) {
			size_t part = (size_t)n - i < PAGE ? (size_t)n - i : PAGE;
			uint64_t ram = off + i;
			int rc;

			if (part == PAGE && page_is_zero(buf + i))
				continue;
			/* RAM past the 3 GiB hole lives past 4 GiB. */
			rc = write_all(out, buf + i, part, ram < low ? ram : HC_4G + (ram - low));
			if (rc)
				return rc;
		}
		off += (uint64_t)n;
	}
	return 0;
}

int hc_crash_dump(int mem_fd, uint64_t mem, const char *path, char *err, size_t errlen)
{
	uint64_t low = hc_low_mem(mem), off = 0, end;
	struct stat st;
	off_t data, hole;
	int out, rc = 0;

	/* Non-blocking and not truncated until known to be a regular file (a FIFO, a device). */
	out = open(path, O_WRONLY | O_CREAT | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (out < 0)
		return hc_err(err, errlen, "%s: %s", path, strerror(errno));
	if (fstat(out, &st) || !S_ISREG(st.st_mode)) {
		close(out);
		return hc_err(err, errlen, "%s: not a regular file", path);
	}
	/* The file's size is the end of RAM, holes and all. */
	if (ftruncate(out, 0) || ftruncate(out, (off_t)(mem > low ? HC_4G + (mem - low) : mem)))
		rc = -errno;
	while (!rc && off < mem) {
		data = lseek(mem_fd, (off_t)off, SEEK_DATA);
		if (data < 0 || (uint64_t)data >= mem) {
			rc = data < 0 && errno != ENXIO ? -errno : 0;
			break;
		}
		hole = lseek(mem_fd, data, SEEK_HOLE);
		if (hole < 0) {
			rc = -errno;
			break;
		}
		end = (uint64_t)hole > mem ? mem : (uint64_t)hole;
		rc = copy_extent(mem_fd, out, (uint64_t)data, end, low);
		off = end;
	}
	if (close(out) && !rc)
		rc = -errno;
	if (rc)
		return hc_err(err, errlen, "%s: %s", path, strerror(-rc));
	return 0;
}
