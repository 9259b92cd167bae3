// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A KVM-free guest for the shim's fuzzers: hc_vm_init_state() plus guest
 * RAM of 3 GiB + 2 MiB (so RAM continues above 4 GiB), mapped lazily.
 * Inputs name guest addresses through a few anchors (start of RAM, just
 * below the hole, the hole, 4 GiB, the end of RAM, past it, near 2^64) plus
 * an offset, so the pages touched stay few and every boundary is near.
 */
#ifndef FUZZ_GUEST_FIXTURE_H
#define FUZZ_GUEST_FIXTURE_H

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hcall/guestmem.h"
#include "hcall/pv/hypercall.h"
#include "hcall/pv/storecall.h"
#include "hcall/vmm/vm.h"

#define FX_MEM		(0xc0000000ull + (2ull << 20))
#define FX_END		(HC_4G + (2ull << 20))	/* one past the last guest byte */
#define FX_WINDOW	0x4000ull

static const uint64_t fx_anchor[] = {
	0, 0x100000, 0xc0000000ull - FX_WINDOW, 0xc0000000ull, HC_4G,
	FX_END - FX_WINDOW, FX_END, ~0ull - FX_WINDOW + 1,
};
#define FX_ANCHORS (sizeof(fx_anchor) / sizeof(fx_anchor[0]))

static uint8_t *fx_ram;
static int fx_null = -1;

/* A guest address from two input bytes: anchor, offset and misalignment. */
static inline uint64_t fx_gpa(uint8_t sel, uint8_t off)
{
	uint64_t skew = sel & 0x80 ? (sel >> 3) & 0xf : 0;

	return fx_anchor[sel % FX_ANCHORS] + ((uint64_t)off << 6) + skew;
}

/* Zero what inputs may have written: every window that is RAM. */
static inline void fx_wipe(void)
{
	size_t i;

	for (i = 0; i < FX_ANCHORS; i++) {
		uint8_t *p = hc_gpa(fx_ram, FX_MEM, fx_anchor[i], FX_WINDOW);

		if (p)
			memset(p, 0, FX_WINDOW);
	}
}

/* What lives across inputs: guest RAM and /dev/null. */
static inline void fx_once(void)
{
	if (fx_ram)
		return;
	fx_ram = mmap(NULL, FX_MEM, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	fx_null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (fx_ram == MAP_FAILED || fx_null < 0)
		abort();
}

/* A fresh VM on the shared RAM; the console goes to /dev/null. */
static inline void fx_vm_init(struct hc_vm *vm)
{
	char err[256];

	fx_once();
	fx_wipe();
	if (hc_vm_init_state(vm, err, sizeof(err)))
		abort();
	vm->ram = fx_ram;
	vm->mem = FX_MEM;
	vm->ncpus = 1;
	vm->pv.enabled = 1;
	vm->pv.tsc_khz = 1000000;
	vm->pv.upcall_fd[0] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	vm->console_fd = fx_null;
	vm->console_direct = 1;
	if (vm->pv.upcall_fd[0] < 0 || hc_store_setup(vm))
		abort();
}

static inline void fx_vm_destroy(struct hc_vm *vm)
{
	hc_pv_destroy(vm);
	close(vm->stop_efd);
	free(vm->ports);
}

/* The lowest free fd number: it must not grow from one input to the next. */
static inline int fx_lowest_fd(void)
{
	int fd;

	fx_once();
	fd = dup(0);

	if (fd >= 0)
		close(fd);
	return fd;
}

#endif
