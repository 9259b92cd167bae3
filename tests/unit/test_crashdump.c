// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * hcall-run --crash-dump: a guest's memfd written at guest-physical
 * offsets. Bytes land where the guest had them (RAM past the 3 GiB hole at
 * 4 GiB on), untouched and all-zero pages stay holes, and a path that is
 * not a regular file (a device, a FIFO without a reader, a symlink) is
 * refused without blocking and left alone.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hcall/layout.h"
#include "hcall/vmm/crashdump.h"

#define MIB (1ull << 20)

static char path[64];

static int setup(void **state)
{
	(void)state;
	snprintf(path, sizeof(path), "/tmp/hcall-crashdump-test.%d", (int)getpid());
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(path);
	return 0;
}

/* A memfd of @mem bytes with @tag written at each RAM offset in @at. */
static int ram_with(uint64_t mem, const uint64_t *at, int n, const char *tag)
{
	int fd = memfd_create("crashdump-test", MFD_CLOEXEC), i;

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)mem), 0);
	for (i = 0; i < n; i++)
		assert_int_equal(pwrite(fd, tag, strlen(tag), (off_t)at[i]), (ssize_t)strlen(tag));
	return fd;
}

static void expect_at(int fd, uint64_t gpa, const char *tag)
{
	char got[32] = "";

	assert_int_equal(pread(fd, got, strlen(tag), (off_t)gpa), (ssize_t)strlen(tag));
	assert_memory_equal(got, tag, strlen(tag));
}

static void bytes_land_at_their_guest_physical_address(void **state)
{
	/* 3 GiB + 64 MiB: the last 64 MiB of RAM live at 4 GiB on. */
	uint64_t mem = HC_MMIO_HOLE + 64 * MIB, low = HC_MMIO_HOLE;
	uint64_t at[] = { 0, 5 * MIB + 17, low - 4096, low + 8192 };
	char err[128];
	struct stat st;
	int ram, out;

	(void)state;
	ram = ram_with(mem, at, 4, "GUEST-BYTES");
	/* A page written with zeroes is data in the memfd but a hole in the dump. */
	assert_int_equal(pwrite(ram, (char[4096]){ 0 }, 4096, 100 * MIB), 4096);
	assert_int_equal(hc_crash_dump(ram, mem, path, err, sizeof(err)), 0);
	out = open(path, O_RDONLY);
	assert_true(out >= 0);
	assert_int_equal(fstat(out, &st), 0);
	assert_int_equal((uint64_t)st.st_size, HC_4G + 64 * MIB);
	assert_int_equal(st.st_mode & 0777, 0600);
	expect_at(out, 0, "GUEST-BYTES");
	expect_at(out, 5 * MIB + 17, "GUEST-BYTES");
	expect_at(out, low - 4096, "GUEST-BYTES");
	expect_at(out, HC_4G + 8192, "GUEST-BYTES");
	/* The zero page and the hole are holes; the file holds four pages, not 3 GiB. */
	assert_int_equal(lseek(out, (off_t)(100 * MIB), SEEK_DATA), (off_t)(low - 4096));
	assert_int_equal(lseek(out, (off_t)low, SEEK_DATA), (off_t)HC_4G + 8192);
	assert_true((uint64_t)st.st_blocks * 512 <= 64 * 4096);
	close(out);
	close(ram);
}

static void a_second_dump_replaces_the_first(void **state)
{
	uint64_t at[] = { 12288 };
	char err[128], got[8] = "";
	int ram, out;

	(void)state;
	ram = ram_with(64 * MIB, at, 1, "FIRST");
	assert_int_equal(hc_crash_dump(ram, 64 * MIB, path, err, sizeof(err)), 0);
	close(ram);
	ram = ram_with(16 * MIB, NULL, 0, "");
	assert_int_equal(hc_crash_dump(ram, 16 * MIB, path, err, sizeof(err)), 0);
	out = open(path, O_RDONLY);
	assert_true(out >= 0);
	assert_int_equal(lseek(out, 0, SEEK_END), (off_t)(16 * MIB));
	assert_int_equal(pread(out, got, 5, 12288), 5);
	assert_memory_equal(got, "\0\0\0\0\0", 5);
	close(out);
	close(ram);
}

static void a_path_that_is_not_a_regular_file_is_refused(void **state)
{
	char err[128] = "";
	struct stat before, after;
	int ram;

	(void)state;
	ram = ram_with(MIB, NULL, 0, "");
	assert_int_equal(stat("/dev/null", &before), 0);
	assert_int_equal(hc_crash_dump(ram, MIB, "/dev/null", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a regular file"));
	assert_int_equal(stat("/dev/null", &after), 0);
	assert_true(S_ISCHR(after.st_mode) && after.st_rdev == before.st_rdev);
	/* A FIFO is neither opened for good (no reader: that would block) nor replaced. */
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(hc_crash_dump(ram, MIB, path, err, sizeof(err)), -1);
	assert_int_equal(lstat(path, &after), 0);
	assert_true(S_ISFIFO(after.st_mode));
	unlink(path);
	/* A symlink is not followed. */
	assert_int_equal(symlink("/dev/null", path), 0);
	assert_int_equal(hc_crash_dump(ram, MIB, path, err, sizeof(err)), -1);
	assert_int_equal(lstat(path, &after), 0);
	assert_true(S_ISLNK(after.st_mode));
	assert_int_equal(hc_crash_dump(ram, MIB, "/nonexistent/dir/dump", err, sizeof(err)), -1);
	close(ram);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(bytes_land_at_their_guest_physical_address, setup,
						teardown),
		cmocka_unit_test_setup_teardown(a_second_dump_replaces_the_first, setup, teardown),
		cmocka_unit_test_setup_teardown(a_path_that_is_not_a_regular_file_is_refused, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
