// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The balloon, shim side: HCALL_memory_op and the store's memory/ nodes.
 * Runs under pv.lock (the hypercall table's HC_LOCKED): the grant table,
 * the console and shared-info pages cannot be registered or forgotten
 * while a batch is checked and applied.
 *
 * Release and hcall-dd's grant mapping race (a guest vCPU can grant a
 * frame while another releases it), so each side writes first and reads
 * the other's word after a seq_cst fence, as in Dekker's algorithm:
 *   shim:    set the frames' released bits; fence; read hcall-dd's map
 *            count of each frame (guestmem.h) and scan the grant table
 *            (an entry permitting access or pinned is busy too: a frame
 *            the guest still offers is not one it gives): any busy,
 *            clear the bits again, -EBUSY; else punch.
 *   hcall-dd: count the map of the frame; fence; test the frame's
 *            released bit: set, uncount and fail.
 * At least one side sees the other's write, so no frame is both punched
 * and mapped by hcall-dd: the counts, unlike the pins in the grant
 * entries, are out of the guest's reach. The balloon is the
 * guest's cooperation, not a fence: a guest that touches a frame it gave
 * back only faults in a zeroed page again, as under Xen's populate on
 * demand; the host's limit on it is its cgroup.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "hcall/guestmem.h"
#include "hcall/pv/balloon.h"
#include "hcall/pv/framelist.h"
#include "hcall/pv/pv.h"
#include "hcall/pv/store.h"
#include "hcall/vmm/vm.h"

#define PAGE 4096ull
#define LOW_RESERVED 0x100000ull	/* boot structures, BIOS area: Linux keeps it */

/* Punch RAM pages [@first, @first + @n) out of the memfd. 0 or -errno. */
static int punch(struct hc_vm *vm, uint64_t first, uint64_t n)
{
	return fallocate(vm->mem_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			 (off_t)(first * PAGE), (off_t)(n * PAGE)) ? -errno : 0;
}

/*
 * @fn on each run of consecutive pages of @idx[0 .. n) (ascending), all
 * of them even after a failure: the first failure, or 0.
 */
static int each_run(struct hc_vm *vm, const uint64_t *idx, int n,
		    int (*fn)(struct hc_vm *, uint64_t, uint64_t))
{
	int ret = 0, r;

	for (int i = 0, j; i < n; i = j) {
		for (j = i + 1; j < n && idx[j] == idx[j - 1] + 1; j++)
			;
		r = fn(vm, idx[i], (uint64_t)(j - i));
		if (r && !ret)
			ret = r;
	}
	return ret;
}

/* -HCALL_EBUSY if hcall-dd has one of RAM pages [@first, @first + @n) mapped now. */
static int mapped(struct hc_vm *vm, uint64_t first, uint64_t n)
{
	for (uint64_t i = 0; vm->pv.mapcount && i < n; i++)
		if (__atomic_load_n(&vm->pv.mapcount[first + i], __ATOMIC_SEQ_CST))
			return -HCALL_EBUSY;
	return 0;
}

/* What a batch may not touch: the shim's own pages, the grant table. */
static void frame_ctx(struct hc_vm *vm, struct hc_frame_ctx *c, struct hc_gpa_range owned[5])
{
	*c = (struct hc_frame_ctx){ .mem = vm->mem, .owned = owned };
	owned[c->nowned++] = (struct hc_gpa_range){ 0, LOW_RESERVED };
	if (vm->pv.shared)
		owned[c->nowned++] = (struct hc_gpa_range){ vm->pv.shared_gpa,
							   vm->pv.shared_gpa + PAGE };
	if (vm->pv.cons)
		owned[c->nowned++] = (struct hc_gpa_range){ vm->pv.cons_gpa, vm->pv.cons_gpa + PAGE };
	if (vm->pv.start_info_gpa)
		owned[c->nowned++] = (struct hc_gpa_range){ vm->pv.start_info_gpa,
							   vm->pv.start_info_gpa + PAGE };
	if (vm->pv.gnttab_frames) {
		uint64_t len = (uint64_t)vm->pv.gnttab_frames * PAGE;

		owned[c->nowned++] = (struct hc_gpa_range){ vm->pv.gnttab_gpa,
							   vm->pv.gnttab_gpa + len };
		c->gnttab = hc_gpa(vm->ram, vm->mem, vm->pv.gnttab_gpa, len);
		c->gnttab_entries = c->gnttab ? (uint32_t)(len / 8) : 0;
	}
	c->released = vm->pv.released;
}

/*
 * Free page reporting: the frames stay the guest's, so no released bit
 * keeps hcall-dd out. A frame it maps meanwhile (the guest offered a page
 * it calls free) only loses the guest's own data, as would a write by
 * the guest: the busy checks are for an honest guest's mistakes.
 */
static int64_t discard(struct hc_vm *vm, const void *p)
{
	struct hc_page_run runs[HCALL_EXTENT_LIST_MAX];
	struct hcall_extent_list l;
	struct hc_gpa_range owned[5];
	struct hc_frame_ctx c;
	const char *why;
	uint64_t pages = 0;
	int64_t ret = 0;
	int n;

	if (!vm->mode.page_reporting)
		return -HCALL_ENOSYS;
	memcpy(&l, p, sizeof(l));	/* once: the checks see what is applied */
	frame_ctx(vm, &c, owned);
	n = hc_extents_check(&c, &l, runs, &why);
	if (n < 0)
		return n;
	for (int i = 0; i < n; i++)
		if (mapped(vm, runs[i].first, runs[i].n))
			return -HCALL_EBUSY;
	if (hc_runs_granted(&c, runs, (uint32_t)n))
		return -HCALL_EBUSY;
	for (int i = 0; i < n && !ret; i++) {
		ret = punch(vm, runs[i].first, runs[i].n) ? -HCALL_EAGAIN : 0;	/* the rest stays */
		pages += ret ? 0 : runs[i].n;
	}
	__atomic_fetch_add(&vm->pv.discarded_pages, pages, __ATOMIC_RELAXED);
	return ret;
}

static int64_t memory_op(struct hc_vm *vm, uint64_t op, uint64_t gpa)
{
	uint64_t idx[HCALL_FRAME_LIST_MAX];
	struct hcall_frame_list l;
	struct hc_gpa_range owned[5];
	struct hc_frame_ctx c;
	const char *why;
	const void *p;
	int n;

	if (!vm->pv.released)
		return -HCALL_ENOSYS;
	if (gpa & (PAGE - 1))
		return -HCALL_EINVAL;
	p = hc_gpa(vm->ram, vm->mem, gpa, PAGE);
	if (!p)
		return -HCALL_EFAULT;
	if (op == HCALL_MEM_DISCARD)
		return discard(vm, p);
	memcpy(&l, p, sizeof(l));	/* once: the checks see what is applied */
	frame_ctx(vm, &c, owned);
	n = hc_frames_check(&c, op, &l, idx, &why);
	if (n < 0)
		return n;
	if (op == HCALL_MEM_RELEASE) {
		/* Marked, fenced, then the grants: the protocol above. */
		for (int i = 0; i < n; i++)
			__atomic_fetch_or(&vm->pv.released[idx[i] / 64], 1ull << (idx[i] % 64),
					  __ATOMIC_SEQ_CST);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (each_run(vm, idx, n, mapped) || hc_frames_granted(&c, idx, (uint32_t)n)) {
			for (int i = 0; i < n; i++)
				__atomic_fetch_and(&vm->pv.released[idx[i] / 64],
						   ~(1ull << (idx[i] % 64)), __ATOMIC_SEQ_CST);
			return -HCALL_EBUSY;
		}
		each_run(vm, idx, n, punch);	/* a failure leaves memory in use, nothing worse */
		__atomic_fetch_add(&vm->pv.released_pages, (uint64_t)n, __ATOMIC_RELAXED);
	} else {
		/* Punched again: zeroes even if the guest wrote to a frame it gave back. */
		if (each_run(vm, idx, n, punch))
			return -HCALL_EAGAIN;
		/*
		 * Filled by the shim while the bits still keep hcall-dd out. Out
		 * of memory, the frames stay released (punched again) and the
		 * guest may try later.
		 */
		if (each_run(vm, idx, n, hc_vm_populate)) {
			each_run(vm, idx, n, punch);
			return -HCALL_EAGAIN;
		}
		for (int i = 0; i < n; i++)
			__atomic_fetch_and(&vm->pv.released[idx[i] / 64], ~(1ull << (idx[i] % 64)),
					   __ATOMIC_SEQ_CST);
		__atomic_fetch_sub(&vm->pv.released_pages, (uint64_t)n, __ATOMIC_RELAXED);
	}
	return 0;
}

int64_t hc_call_memory_op(struct hc_vm *vm, int vcpu, const uint64_t a[5])
{
	(void)vcpu;
	return memory_op(vm, a[0], a[1]);
}

static int write_kib(struct hc_vm *vm, const char *node, uint64_t bytes)
{
	char v[24];
	int n = snprintf(v, sizeof(v), "%llu", (unsigned long long)(bytes >> 10));

	return hc_store_write(vm->pv.store, HC_STORE_TOOL, node, v, (size_t)n);
}

int hc_balloon_publish(struct hc_vm *vm)
{
	if (!vm->pv.store)
		return -ENOENT;
	if (write_kib(vm, "memory/static-max", vm->mem))
		return -ENOMEM;
	return write_kib(vm, "memory/target", vm->mem);
}

int hc_balloon_set_target(struct hc_vm *vm, uint64_t bytes)
{
	if (!bytes || bytes > vm->mem || (bytes & (PAGE - 1)))
		return -EINVAL;
	if (!vm->pv.store)
		return -ENOENT;
	return write_kib(vm, "memory/target", bytes);
}

/*
 * The frames still released come back to the next kernel: punched (zeroes
 * even if the old kernel wrote to one it gave back), then filled by the
 * shim before their bits clear, so hcall-dd is never the first to touch
 * one. A fill the shim's cgroup refuses is a write that faults instead:
 * the shim's cgroup deals with it, as with any page of its guest.
 */
static void reset_released(struct hc_vm *vm)
{
	uint64_t pages = vm->mem / PAGE;

	for (uint64_t i = 0, j; i < pages; i = j) {
		if (!hc_released_test(vm->pv.released, i)) {
			j = i + 1;
			continue;
		}
		for (j = i + 1; j < pages && hc_released_test(vm->pv.released, j); j++)
			;
		punch(vm, i, j - i);
		if (hc_vm_populate(vm, i, j - i))
			for (uint64_t k = i; k < j; k++)
				*(volatile uint8_t *)(vm->ram + k * PAGE) = 0;
	}
	/* hcall-dd reads the words atomically: cleared the same way. */
	for (uint64_t w = 0; w < hc_released_map_bytes(vm->mem) / 8; w++)
		__atomic_store_n(&vm->pv.released[w], 0, __ATOMIC_SEQ_CST);
}

void hc_balloon_reset(struct hc_vm *vm)
{
	if (vm->pv.released)
		reset_released(vm);
	__atomic_store_n(&vm->pv.released_pages, 0, __ATOMIC_RELAXED);
	if (vm->pv.store) {
		hc_store_rm(vm->pv.store, HC_STORE_TOOL, "memory/current");
		hc_store_rm(vm->pv.store, HC_STORE_TOOL, "memory/status");
	}
}

void hc_balloon_forget_maps(struct hc_vm *vm)
{
	uint64_t len = hc_mapcount_bytes(vm->mem);
	uint32_t *c;

	if (!vm->pv.mapcount)
		return;
	/* Read-only in our mapping on purpose: a second one, for this alone. */
	c = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, vm->mem_fd,
		 (off_t)(vm->mem + hc_released_map_bytes(vm->mem)));
	if (c == MAP_FAILED)
		return;	/* the frames it had stay unreleasable: safe */
	for (uint64_t i = 0; i < len / 4; i++)
		if (__atomic_load_n(&c[i], __ATOMIC_RELAXED))
			__atomic_store_n(&c[i], 0, __ATOMIC_RELEASE);
	munmap(c, len);
}

int hc_balloon_range_released(struct hc_vm *vm, const void *p, uint64_t len)
{
	uint64_t off = (uint64_t)((const uint8_t *)p - vm->ram);

	for (uint64_t i = off / PAGE; i < (off + len + PAGE - 1) / PAGE; i++)
		if (hc_released_test(vm->pv.released, i))
			return 1;
	return 0;
}

uint64_t hc_balloon_released(struct hc_vm *vm)
{
	return __atomic_load_n(&vm->pv.released_pages, __ATOMIC_RELAXED) * PAGE;
}

uint64_t hc_balloon_discarded(struct hc_vm *vm)
{
	return __atomic_load_n(&vm->pv.discarded_pages, __ATOMIC_RELAXED) * PAGE;
}
