// SPDX-License-Identifier: LGPL-2.1-or-later
/* Grant-table v1 backend: checked mapping of guest pages for a backend. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hcall/dd/gnttab.h"
#include "hcall/guestmem.h"

#define PAGE 4096u
#define GTF_IN_USE (GTF_reading | GTF_writing)

int hc_gnttab_init(struct hc_gnttab *gt, uint8_t *ram, uint64_t mem,
		   uint64_t table_gpa, uint32_t nr_entries, uint16_t domid)
{
	memset(gt, 0, sizeof(*gt));
	if (!nr_entries || nr_entries > (1u << 20) || (table_gpa & (PAGE - 1)))
		return -EINVAL;
	gt->table = hc_gpa(ram, mem, table_gpa, (uint64_t)nr_entries * sizeof(*gt->table));
	if (!gt->table)
		return -EFAULT;
	gt->pins = calloc(nr_entries, sizeof(*gt->pins));
	if (!gt->pins)
		return -ENOMEM;
	gt->ram = ram;
	gt->mem = mem;
	gt->nr_entries = nr_entries;
	gt->domid = domid;
	pthread_mutex_init(&gt->lock, NULL);
	return 0;
}

void hc_gnttab_destroy(struct hc_gnttab *gt)
{
	if (!gt->pins)
		return;
	free(gt->pins);
	pthread_mutex_destroy(&gt->lock);
	gt->pins = NULL;
	gt->table = NULL;
}

/*
 * flags and domid share one 32-bit word: swapping it as a whole makes the
 * permission check and the in-use marking one atomic step, so the guest
 * cannot change the domid or revoke access between them.
 */
static uint32_t *entry_word(struct grant_entry_v1 *e)
{
	return (uint32_t *)(void *)e;
}

static int pin(struct hc_gnttab *gt, grant_ref_t ref, int write, uint32_t *frame)
{
	struct grant_entry_v1 *e = &gt->table[ref];
	uint32_t *w = entry_word(e), old, new;
	uint16_t flags, domid, need = write ? (GTF_reading | GTF_writing) : GTF_reading;

	old = __atomic_load_n(w, __ATOMIC_ACQUIRE);
	do {
		flags = (uint16_t)old;
		domid = (uint16_t)(old >> 16);
		if ((flags & GTF_type_mask) != GTF_permit_access || domid != gt->domid)
			return -EPERM;
		if (write && (flags & GTF_readonly))
			return -EROFS;
		new = old | need;
	} while (!__atomic_compare_exchange_n(w, &old, new, 0, __ATOMIC_ACQ_REL,
					      __ATOMIC_ACQUIRE));
	/* The frame is read once, after the entry is pinned. */
	*frame = __atomic_load_n(&e->frame, __ATOMIC_ACQUIRE);
	return 0;
}

/*
 * Count a map of RAM page @idx where the shim looks before it punches;
 * -EBUSY past 2^31 maps (a guest granting one frame that often). Wait-free:
 * the shim can write the word too (it should not), and must not spin us.
 * A shim that zeroes a count only wraps it: its own balloon then refuses.
 */
static int count_map(struct hc_gnttab *gt, uint64_t idx)
{
	uint32_t *c = &gt->mapcount[idx];

	if (__atomic_fetch_add(c, 1, __ATOMIC_SEQ_CST) >= 1u << 31) {
		__atomic_fetch_sub(c, 1, __ATOMIC_RELAXED);
		return -EBUSY;
	}
	return 0;
}

static void uncount_map(struct hc_gnttab *gt, const uint8_t *page)
{
	if (gt->mapcount)
		__atomic_fetch_sub(&gt->mapcount[(uint64_t)(page - gt->ram) / PAGE], 1,
				   __ATOMIC_RELEASE);
}

static void unpin(struct hc_gnttab *gt, grant_ref_t ref)
{
	__atomic_fetch_and(entry_word(&gt->table[ref]), ~(uint32_t)GTF_IN_USE,
			   __ATOMIC_RELEASE);
}

int hc_gnttab_map(struct hc_gnttab *gt, grant_ref_t ref, int write, struct hc_grant_map *m)
{
	uint32_t frame;
	uint8_t *page;
	int ret;

	memset(m, 0, sizeof(*m));
	if (!gt->table || ref >= gt->nr_entries)
		return -EINVAL;
	pthread_mutex_lock(&gt->lock);
	if (gt->pins[ref] == UINT16_MAX) {
		pthread_mutex_unlock(&gt->lock);
		return -EBUSY;
	}
	/* Pinning again also re-checks the permission the guest gives now. */
	ret = pin(gt, ref, write, &frame);
	if (ret) {
		pthread_mutex_unlock(&gt->lock);
		return ret;
	}
	page = hc_gpa(gt->ram, gt->mem, (uint64_t)frame * PAGE, PAGE);
	/*
	 * Count the map, fence, then the released bit; the shim sets the bit,
	 * fences, then reads the counts (pv/balloon.c): one of us sees the
	 * other. The pin in the guest's entry is no such proof: the guest
	 * can clear it.
	 */
	ret = page ? 0 : -EFAULT;
	if (page && gt->mapcount)
		ret = count_map(gt, (uint64_t)(page - gt->ram) / PAGE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!ret && hc_released_test(gt->released, (uint64_t)(page - gt->ram) / PAGE)) {
		uncount_map(gt, page);
		ret = -EFAULT;
	}
	if (ret) {
		if (!gt->pins[ref])
			unpin(gt, ref);
		pthread_mutex_unlock(&gt->lock);
		return ret;
	}
	gt->pins[ref]++;
	pthread_mutex_unlock(&gt->lock);
	m->page = page;
	m->ref = ref;
	m->write = write;
	return 0;
}

void hc_gnttab_unmap(struct hc_gnttab *gt, struct hc_grant_map *m)
{
	if (!m->page)
		return;
	pthread_mutex_lock(&gt->lock);
	uncount_map(gt, m->page);
	if (gt->pins[m->ref] && --gt->pins[m->ref] == 0)
		unpin(gt, m->ref);
	pthread_mutex_unlock(&gt->lock);
	m->page = NULL;
}

static int copy(struct hc_gnttab *gt, grant_ref_t ref, uint32_t off, void *buf,
		uint32_t len, int to_guest)
{
	struct hc_grant_map m;
	int ret;

	if (off > PAGE || len > PAGE - off)
		return -EINVAL;
	ret = hc_gnttab_map(gt, ref, to_guest, &m);
	if (ret)
		return ret;
	if (to_guest)
		memcpy(m.page + off, buf, len);
	else
		memcpy(buf, m.page + off, len);
	hc_gnttab_unmap(gt, &m);
	return 0;
}

int hc_gnttab_copy_from(struct hc_gnttab *gt, grant_ref_t ref, uint32_t off,
			void *dst, uint32_t len)
{
	return copy(gt, ref, off, dst, len, 0);
}

int hc_gnttab_copy_to(struct hc_gnttab *gt, grant_ref_t ref, uint32_t off,
		      const void *src, uint32_t len)
{
	return copy(gt, ref, off, (void *)src, len, 1);
}
