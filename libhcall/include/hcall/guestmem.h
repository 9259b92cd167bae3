/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Bounds-checked access to guest-physical memory. */
#ifndef HCALL_GUESTMEM_H
#define HCALL_GUESTMEM_H

#include <stdint.h>

#include "hcall/abi.h"
#include "hcall/layout.h"

/*
 * Host address of [gpa, gpa + len) if all of it is guest RAM in one slot,
 * else NULL. Overflow-safe: every guest-supplied address goes through here.
 */
static inline void *hc_gpa(uint8_t *ram, uint64_t mem, uint64_t gpa, uint64_t len)
{
	uint64_t low = hc_low_mem(mem);

	if (len == 0 || gpa + len < gpa)
		return 0;
	if (gpa + len <= low)
		return ram + gpa;
	if (gpa >= HC_4G && gpa - HC_4G + len <= mem - low)
		return ram + low + (gpa - HC_4G);
	return 0;
}

/*
 * Bytes of guest RAM from @gpa to the end of the slot holding it (RAM
 * below the 3 GiB hole or above 4 GiB), 0 if @gpa is not RAM. Guest
 * addresses are not host offsets: never compare one with @mem.
 */
static inline uint64_t hc_gpa_span(uint64_t mem, uint64_t gpa)
{
	uint64_t low = hc_low_mem(mem);

	if (gpa < low)
		return low - gpa;
	if (gpa >= HC_4G && gpa - HC_4G < mem - low)
		return mem - low - (gpa - HC_4G);
	return 0;
}

/*
 * The balloon's released-frame bitmap (hcall/pv/balloon.h): a bit per RAM
 * page index (memfd offset / 4096), kept in the memfd past guest RAM;
 * this many bytes of it (whole pages) for @mem bytes of RAM.
 */
static inline uint64_t hc_released_map_bytes(uint64_t mem)
{
	uint64_t bits = mem / 4096, bytes = (bits + 63) / 64 * 8;

	return (bytes + 4095) & ~4095ull;
}

static inline int hc_released_test(const uint64_t *map, uint64_t idx)
{
	return map && (__atomic_load_n(&map[idx / 64], __ATOMIC_ACQUIRE) >> (idx % 64)) & 1;
}

/*
 * After the bitmap, the driver domain's map counts: a uint32_t per RAM
 * page index, written only by hcall-dd (while it has the page mapped) and
 * read by the shim before it punches. Unlike the grant entries' in-use
 * flags, the guest cannot clear them.
 */
static inline uint64_t hc_mapcount_bytes(uint64_t mem)
{
	return (mem / 4096 * 4 + 4095) & ~4095ull;
}

/* The balloon's pages past RAM in the memfd: the bitmap, then the counts. */
static inline uint64_t hc_balloon_meta_bytes(uint64_t mem)
{
	return hc_released_map_bytes(mem) + hc_mapcount_bytes(mem);
}

/*
 * After the balloon's pages, the event channels' targets: a byte per port,
 * the vCPU its upcall goes to (HCALL_evtchn_bind_vcpu), written only by
 * the shim and read by whoever raises the port (the shim, hcall-dd).
 */
#define HC_EVTCHN_TARGETS_BYTES	4096ull
_Static_assert(HCALL_NR_EVTCHN <= HC_EVTCHN_TARGETS_BYTES, "a target byte per port");
_Static_assert(HCALL_MAX_VCPUS <= 256, "a vCPU index fits a byte");

/* Everything past RAM in the memfd, and where the targets start in it. */
static inline uint64_t hc_host_meta_bytes(uint64_t mem)
{
	return hc_balloon_meta_bytes(mem) + HC_EVTCHN_TARGETS_BYTES;
}

static inline uint64_t hc_evtchn_targets_offset(uint64_t mem)
{
	return mem + hc_balloon_meta_bytes(mem);
}

#endif
