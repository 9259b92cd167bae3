// SPDX-License-Identifier: LGPL-2.1-or-later
/* bzImage header parsing: valid, malformed and truncated images. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "fake_bzimage.h"
#include "hcall/boot/bzimage.h"

static void parses_valid_image(void **state)
{
	struct hc_bzimage bz;
	char err[128] = "";
	size_t len;
	uint8_t *img = fake_bzimage(&len);

	(void)state;
	assert_int_equal(hc_bzimage_parse(img, len, &bz, err, sizeof(err)), 0);
	assert_int_equal(bz.version, 0x020f);
	assert_int_equal(bz.payload_off, 5 * 512);
	assert_int_equal(bz.payload_len, FAKE_PAYLOAD);
	assert_int_equal(bz.pref_address, 0x1000000);
	assert_int_equal(bz.init_size, 0x100000);
	assert_int_equal(bz.cmdline_size, 2047);
	assert_int_equal(bz.setup_len, 0x26c - 0x1f1);
	free(img);
}

/* One corruption of an otherwise valid image, and what the error must say. */
static const struct {
	size_t off;
	int width;
	uint64_t value;
	const char *why;
} corruptions[] = {
	{ 0x202, 1, 'X', "not a bzImage" },		/* HdrS magic */
	{ 0x1fe, 2, 0, "not a bzImage" },		/* boot flag */
	{ 0x206, 2, 0x020b, "older than 2.12" },
	{ 0x236, 2, 0, "64-bit" },			/* XLF_KERNEL_64 */
	{ 0x258, 8, 0x1234, "load address" },
	{ 0x260, 4, 16, "init_size" },
	{ 0x1f1, 1, 200, "truncated" },			/* more setup sectors than the file */
	{ 0x201, 1, 0, "inconsistent" },		/* header shorter than 2.12's */
};

static void rejects_malformed_headers(void **state)
{
	struct hc_bzimage bz;
	char err[128];
	size_t i, len;

	(void)state;
	for (i = 0; i < sizeof(corruptions) / sizeof(corruptions[0]); i++) {
		uint8_t *img = fake_bzimage(&len);

		put_le(img + corruptions[i].off, corruptions[i].value, corruptions[i].width);
		err[0] = '\0';
		assert_int_equal(hc_bzimage_parse(img, len, &bz, err, sizeof(err)), -1);
		assert_non_null(strstr(err, corruptions[i].why));
		free(img);
	}
}

/* Every prefix of a valid image is refused cleanly (ASan checks the reads). */
static void rejects_every_truncation(void **state)
{
	struct hc_bzimage bz;
	char err[128];
	size_t len, cut;
	uint8_t *img = fake_bzimage(&len);

	(void)state;
	for (cut = 0; cut < len; cut += (cut < 4096 ? 1 : 509)) {
		uint8_t *copy = malloc(cut ? cut : 1);

		memcpy(copy, img, cut);
		assert_int_equal(hc_bzimage_parse(copy, cut, &bz, err, sizeof(err)), -1);
		free(copy);
	}
	free(img);
}

/* Random corruption of the header never crashes the parser. */
static void survives_random_corruption(void **state)
{
	struct hc_bzimage bz;
	char err[128];
	size_t len;
	uint8_t *img = fake_bzimage(&len);
	unsigned int seed = 12345;
	int i;

	(void)state;
	for (i = 0; i < 20000; i++) {
		uint8_t *copy = malloc(len);
		size_t off = 0x1f1 + rand_r(&seed) % (0x270 - 0x1f1);

		memcpy(copy, img, len);
		copy[off] = (uint8_t)rand_r(&seed);
		if (hc_bzimage_parse(copy, len, &bz, err, sizeof(err)) == 0) {
			assert_true(bz.payload_off + bz.payload_len == len);
			assert_true(bz.setup_len + 0x1f1 <= len);
		}
		free(copy);
	}
	free(img);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parses_valid_image),
		cmocka_unit_test(rejects_malformed_headers),
		cmocka_unit_test(rejects_every_truncation),
		cmocka_unit_test(survives_random_corruption),
	};

	return cmocka_run_group_tests_name("bzimage", tests, NULL, NULL);
}
