// SPDX-License-Identifier: LGPL-2.1-or-later
/* Grant-table backend checks: permission, domid, read-only, range, pins. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "hcall/dd/gnttab.h"

#define RAM (16u << 20)
#define TABLE_GPA 0x10000u
#define BACKEND 0	/* the driver domain's domid */

struct fx {
	uint8_t *ram;
	struct grant_entry_v1 *t;
	struct hc_gnttab gt;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	f->ram = calloc(1, RAM);
	f->t = (struct grant_entry_v1 *)(f->ram + TABLE_GPA);
	assert_int_equal(hc_gnttab_init(&f->gt, f->ram, RAM, TABLE_GPA, 512, BACKEND), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	hc_gnttab_destroy(&f->gt);
	free(f->ram);
	free(f);
	return 0;
}

static void grant(struct fx *f, grant_ref_t ref, uint16_t flags, uint16_t domid, uint32_t frame)
{
	f->t[ref].frame = frame;
	f->t[ref].domid = domid;
	f->t[ref].flags = flags;
}

static void init_refuses_bad_tables(void **state)
{
	struct hc_gnttab gt;
	uint8_t ram[8192];

	(void)state;
	assert_int_equal(hc_gnttab_init(&gt, ram, sizeof(ram), 0x10, 1, 0), -EINVAL);
	assert_int_equal(hc_gnttab_init(&gt, ram, sizeof(ram), 0, 0, 0), -EINVAL);
	assert_int_equal(hc_gnttab_init(&gt, ram, sizeof(ram), 0x1000, 1024, 0), -EFAULT);
	assert_int_equal(hc_gnttab_init(&gt, ram, sizeof(ram), 0, 1u << 21, 0), -EINVAL);
}

static void maps_only_what_is_granted(void **state)
{
	struct fx *f = *state;
	struct hc_grant_map m;

	grant(f, 1, GTF_permit_access, BACKEND, 0x100);
	assert_int_equal(hc_gnttab_map(&f->gt, 1, 0, &m), 0);
	assert_ptr_equal(m.page, f->ram + 0x100 * 4096);
	assert_true(f->t[1].flags & GTF_reading);
	assert_false(f->t[1].flags & GTF_writing);
	hc_gnttab_unmap(&f->gt, &m);
	assert_int_equal(f->t[1].flags, GTF_permit_access);

	grant(f, 2, GTF_permit_access, 7, 0x100);		/* another domain's */
	assert_int_equal(hc_gnttab_map(&f->gt, 2, 0, &m), -EPERM);
	grant(f, 3, GTF_invalid, BACKEND, 0x100);		/* revoked */
	assert_int_equal(hc_gnttab_map(&f->gt, 3, 0, &m), -EPERM);
	grant(f, 4, GTF_accept_transfer, BACKEND, 0x100);	/* wrong type */
	assert_int_equal(hc_gnttab_map(&f->gt, 4, 0, &m), -EPERM);
	grant(f, 5, GTF_permit_access | GTF_readonly, BACKEND, 0x100);
	assert_int_equal(hc_gnttab_map(&f->gt, 5, 1, &m), -EROFS);
	assert_int_equal(f->t[5].flags, GTF_permit_access | GTF_readonly);
	assert_int_equal(hc_gnttab_map(&f->gt, 5, 0, &m), 0);
	hc_gnttab_unmap(&f->gt, &m);
	assert_int_equal(hc_gnttab_map(&f->gt, 512, 0, &m), -EINVAL);
	assert_int_equal(hc_gnttab_map(&f->gt, ~0u, 0, &m), -EINVAL);
	assert_null(m.page);
}

static void frames_outside_ram_fault_and_leave_no_pin(void **state)
{
	struct fx *f = *state;
	struct hc_grant_map m;

	grant(f, 9, GTF_permit_access, BACKEND, RAM / 4096);
	assert_int_equal(hc_gnttab_map(&f->gt, 9, 1, &m), -EFAULT);
	assert_int_equal(f->t[9].flags, GTF_permit_access);
	grant(f, 9, GTF_permit_access, BACKEND, 0xffffffffu);
	assert_int_equal(hc_gnttab_map(&f->gt, 9, 0, &m), -EFAULT);
	assert_int_equal(f->t[9].flags, GTF_permit_access);
}

static void pins_nest_and_writes_mark_writing(void **state)
{
	struct fx *f = *state;
	struct hc_grant_map a, b;

	grant(f, 6, GTF_permit_access, BACKEND, 0x200);
	assert_int_equal(hc_gnttab_map(&f->gt, 6, 0, &a), 0);
	assert_int_equal(hc_gnttab_map(&f->gt, 6, 1, &b), 0);
	assert_int_equal(f->t[6].flags, GTF_permit_access | GTF_reading | GTF_writing);
	hc_gnttab_unmap(&f->gt, &a);
	assert_int_equal(f->t[6].flags & (GTF_reading | GTF_writing), GTF_reading | GTF_writing);
	hc_gnttab_unmap(&f->gt, &b);
	assert_int_equal(f->t[6].flags, GTF_permit_access);
	hc_gnttab_unmap(&f->gt, &b);	/* double unmap is harmless */
	assert_int_equal(f->t[6].flags, GTF_permit_access);
}

static void copies_stay_inside_the_granted_page(void **state)
{
	struct fx *f = *state;
	uint8_t *page = f->ram + 0x300 * 4096, buf[4096];

	memset(f->ram + 0x2ff * 4096, 0xa5, 3 * 4096);	/* canaries around it */
	grant(f, 8, GTF_permit_access, BACKEND, 0x300);
	memset(buf, 0x11, sizeof(buf));
	assert_int_equal(hc_gnttab_copy_to(&f->gt, 8, 0, buf, 4096), 0);
	assert_int_equal(page[0], 0x11);
	assert_int_equal(page[4095], 0x11);
	assert_int_equal(page[-1], 0xa5);
	assert_int_equal(page[4096], 0xa5);
	assert_int_equal(hc_gnttab_copy_to(&f->gt, 8, 1, buf, 4096), -EINVAL);
	assert_int_equal(hc_gnttab_copy_to(&f->gt, 8, 4097, buf, 0), -EINVAL);
	assert_int_equal(hc_gnttab_copy_from(&f->gt, 8, 4000, buf, 97), -EINVAL);
	assert_int_equal(hc_gnttab_copy_from(&f->gt, 8, 4000, buf, 96), 0);
	assert_int_equal(page[4096], 0xa5);
	f->t[8].flags |= GTF_readonly;
	assert_int_equal(hc_gnttab_copy_to(&f->gt, 8, 0, buf, 1), -EROFS);
	assert_int_equal(f->t[8].flags, GTF_permit_access | GTF_readonly);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(init_refuses_bad_tables),
		cmocka_unit_test_setup_teardown(maps_only_what_is_granted, setup, teardown),
		cmocka_unit_test_setup_teardown(frames_outside_ram_fault_and_leave_no_pin, setup, teardown),
		cmocka_unit_test_setup_teardown(pins_nest_and_writes_mark_writing, setup, teardown),
		cmocka_unit_test_setup_teardown(copies_stay_inside_the_granted_page, setup, teardown),
	};

	return cmocka_run_group_tests_name("gnttab", tests, NULL, NULL);
}
