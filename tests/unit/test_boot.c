// SPDX-License-Identifier: LGPL-2.1-or-later
/* Boot state construction: e820, MP table, zero page, page tables, limits. */
#include <asm/bootparam.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "fake_bzimage.h"
#include "hcall/boot/boot.h"
#include "hcall/layout.h"

#define MiB (1ull << 20)

static void e820_small_guest(void **state)
{
	struct hc_e820 m[8];
	int n = hc_e820_build(256 * MiB, m, 8);

	(void)state;
	assert_int_equal(n, 3);
	assert_int_equal(m[0].addr, 0);
	assert_int_equal(m[0].type, HC_E820_RAM);
	assert_int_equal(m[1].addr, HC_EBDA_ADDR);
	assert_int_equal(m[1].type, HC_E820_RESERVED);
	assert_int_equal(m[2].addr, HC_HIMEM_ADDR);
	assert_int_equal(m[2].addr + m[2].size, 256 * MiB);
}

static void e820_large_guest_skips_hole(void **state)
{
	struct hc_e820 m[8];
	int n = hc_e820_build(5ull << 30, m, 8);
	uint64_t ram = 0;
	int i;

	(void)state;
	assert_int_equal(n, 4);
	assert_int_equal(m[2].addr + m[2].size, HC_MMIO_HOLE);
	assert_int_equal(m[3].addr, HC_4G);
	for (i = 0; i < n; i++)
		if (m[i].type == HC_E820_RAM)
			ram += m[i].size;
	/* Everything but the reserved low area is usable RAM. */
	assert_int_equal(ram, (5ull << 30) - (HC_HIMEM_ADDR - HC_EBDA_ADDR));
	assert_int_equal(hc_e820_build(MiB / 2, m, 8), -1);
	assert_int_equal(hc_e820_build(256 * MiB, m, 2), -1);
}

static uint8_t sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s += *p++;
	return s;
}

static void mptable_is_well_formed(void **state)
{
	uint8_t buf[4096];
	long len = hc_mptable_build(buf, sizeof(buf), HC_MPTABLE_ADDR, 4);
	const uint8_t *mpc = buf + 16, *e;
	int cpus = 0, bsp = 0, ioapic = 0, intsrc = 0, lint = 0;
	uint16_t count, i;

	(void)state;
	assert_true(len > 0);
	assert_memory_equal(buf, "_MP_", 4);
	assert_int_equal(sum(buf, 16), 0);
	assert_int_equal(buf[4] | buf[5] << 8 | buf[6] << 16 | (uint32_t)buf[7] << 24,
			 HC_MPTABLE_ADDR + 16);
	assert_memory_equal(mpc, "PCMP", 4);
	assert_int_equal(sum(mpc, (size_t)(mpc[4] | mpc[5] << 8)), 0);
	count = (uint16_t)(mpc[34] | mpc[35] << 8);
	for (i = 0, e = mpc + 44; i < count; i++) {
		switch (e[0]) {
		case 0: cpus++; bsp += !!(e[3] & 2); assert_int_equal(e[1], cpus - 1); e += 20; break;
		case 1: e += 8; break;
		case 2: ioapic++; assert_int_equal(e[1], 4); e += 8; break;
		case 3: intsrc++; assert_int_equal(e[5], e[7]); e += 8; break;
		case 4: lint++; e += 8; break;
		default: fail();
		}
	}
	assert_int_equal(e - buf, len);
	assert_int_equal(cpus, 4);
	assert_int_equal(bsp, 1);
	assert_int_equal(ioapic, 1);
	assert_int_equal(intsrc, 16);
	assert_int_equal(lint, 2);
	assert_int_equal(hc_mptable_build(buf, sizeof(buf), HC_MPTABLE_ADDR, 0), -1);
	assert_int_equal(hc_mptable_build(buf, sizeof(buf), HC_MPTABLE_ADDR, HC_MAX_VCPUS + 1), -1);
	assert_int_equal(hc_mptable_build(buf, 32, HC_MPTABLE_ADDR, 1), -1);
}

struct guest {
	uint8_t *ram;
	uint64_t mem;
	uint8_t *kernel;
	size_t klen;
};

static int guest_setup(void **state)
{
	struct guest *g = calloc(1, sizeof(*g));

	g->mem = 64 * MiB;
	g->ram = calloc(1, g->mem);
	g->kernel = fake_bzimage(&g->klen);
	*state = g;
	return 0;
}

static int guest_teardown(void **state)
{
	struct guest *g = *state;

	free(g->ram);
	free(g->kernel);
	free(g);
	return 0;
}

static void boot_lays_out_everything(void **state)
{
	struct guest *g = *state;
	struct hc_boot_info info;
	uint8_t initrd[10000];
	char err[160];
	struct boot_params *zp = (struct boot_params *)(g->ram + HC_ZERO_PAGE_ADDR);
	uint64_t *pd = (uint64_t *)(g->ram + HC_PD_ADDR);

	memset(initrd, 0x5a, sizeof(initrd));
	assert_int_equal(hc_boot_setup(g->ram, g->mem, g->kernel, g->klen, initrd,
				       sizeof(initrd), "console=ttyS0 root=/dev/x", 2,
				       &info, err, sizeof(err)), 0);
	assert_int_equal(info.kernel_addr, 0x1000000);
	assert_int_equal(info.entry, 0x1000200);
	assert_memory_equal(g->ram + 0x1000000, g->kernel + 5 * 512, FAKE_PAYLOAD);
	/* The initrd sits page-aligned at the top of RAM, above the kernel. */
	assert_int_equal(info.initrd_addr & 0xfff, 0);
	assert_true(info.initrd_addr >= info.kernel_end);
	assert_true(info.initrd_addr + sizeof(initrd) <= g->mem);
	assert_memory_equal(g->ram + info.initrd_addr, initrd, sizeof(initrd));
	assert_int_equal(zp->hdr.ramdisk_image, info.initrd_addr);
	assert_int_equal(zp->hdr.ramdisk_size, sizeof(initrd));
	assert_int_equal(zp->hdr.cmd_line_ptr, HC_CMDLINE_ADDR);
	assert_string_equal((char *)g->ram + HC_CMDLINE_ADDR, "console=ttyS0 root=/dev/x");
	assert_memory_equal(&zp->hdr.header, "HdrS", 4);
	assert_int_equal(zp->hdr.type_of_loader, 0xff);
	assert_int_equal(zp->e820_entries, 3);
	assert_int_equal(zp->e820_table[2].addr + zp->e820_table[2].size, g->mem);
	/* Identity mapping: the kernel's 2 MiB page maps to itself. */
	assert_int_equal(pd[8] & ~0xfffull, 8ull << 21);
	assert_int_equal(pd[2047] & ~0xfffull, 2047ull << 21);
	assert_memory_equal(g->ram + HC_MPTABLE_ADDR, "_MP_", 4);
}

static void boot_refuses_what_does_not_fit(void **state)
{
	struct guest *g = *state;
	struct hc_boot_info info;
	char err[160], *cmd;
	uint8_t *big;

	cmd = malloc(3000);
	memset(cmd, 'a', 2999);
	cmd[2999] = 0;
	assert_int_equal(hc_boot_setup(g->ram, g->mem, g->kernel, g->klen, NULL, 0, cmd, 1,
				       &info, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "command line"));
	free(cmd);

	/* init_size past the end of RAM: the kernel is too big for --mem. */
	put_le(g->kernel + 0x260, 60 * MiB, 4);
	assert_int_equal(hc_boot_setup(g->ram, g->mem, g->kernel, g->klen, NULL, 0, "", 1,
				       &info, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "--mem"));
	put_le(g->kernel + 0x260, 0x100000, 4);

	big = calloc(1, 48 * MiB);
	assert_int_equal(hc_boot_setup(g->ram, g->mem, g->kernel, g->klen, big, 48 * MiB, "",
				       1, &info, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "initrd"));
	free(big);

	assert_int_equal(hc_boot_setup(g->ram, g->mem, g->kernel, g->klen, NULL, 0, "", 9,
				       &info, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "vCPUs"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(e820_small_guest),
		cmocka_unit_test(e820_large_guest_skips_hole),
		cmocka_unit_test(mptable_is_well_formed),
		cmocka_unit_test_setup_teardown(boot_lays_out_everything, guest_setup, guest_teardown),
		cmocka_unit_test_setup_teardown(boot_refuses_what_does_not_fit, guest_setup, guest_teardown),
	};

	return cmocka_run_group_tests_name("boot", tests, NULL, NULL);
}
