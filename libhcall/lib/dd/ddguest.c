// SPDX-License-Identifier: LGPL-2.1-or-later
/* The driver domain's guests: one RAM mapping and one grant table each. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include "hcall/dd/ddguest.h"
#include "hcall/guestmem.h"

#define SEALS (F_SEAL_SHRINK | F_SEAL_GROW)

static pthread_mutex_t guests_lock = PTHREAD_MUTEX_INITIALIZER;
static struct hc_dd_guest *guests;

static int same(const struct hc_dd_guest *g, const struct stat *st, const struct hc_dd_attach *a)
{
	return g->dev == st->st_dev && g->ino == st->st_ino && g->mem == a->mem &&
	       g->gnttab_gpa == a->gnttab_gpa && g->gnttab_entries == a->gnttab_entries &&
	       g->domid == a->backend_domid;
}

/* Unmap what create() mapped (a NULL pointer was not) and free @g. */
static void destroy(struct hc_dd_guest *g)
{
	if (g->released)
		munmap((void *)(uintptr_t)g->released, g->released_len);
	if (g->mapcount)
		munmap(g->mapcount, g->mapcount_len);
	if (g->targets)
		munmap((void *)(uintptr_t)g->targets, HC_EVTCHN_TARGETS_BYTES);
	if (g->ram)
		munmap(g->ram, g->map_len);
	free(g);
}

/* mmap() of @len bytes of @fd at @off, or NULL. */
static void *map_or_null(uint64_t len, int prot, int fd, uint64_t off)
{
	void *p = mmap(NULL, len, prot, MAP_SHARED | MAP_NORESERVE, fd, (off_t)off);

	return p == MAP_FAILED ? NULL : p;
}

/* A new guest: check the memfd, map it, attach to its grant table. */
static int create(int memfd, const struct stat *st, const struct hc_dd_attach *a,
		  struct hc_dd_guest **out)
{
	struct hc_dd_guest *g;
	uint64_t map, counts;
	struct statfs fs;
	struct stat now;
	int seals, ret;

	/* @st's size may predate the seals: measured again below. */
	if (a->mem < (1u << 20) || a->mem > (1ull << 40) || (a->mem & 0xfff))
		return -EINVAL;
	/*
	 * An unsealed memfd could be shrunk under us: SIGBUS for every guest.
	 * Sealed first, then measured: the size cannot change after that.
	 */
	seals = fcntl(memfd, F_GET_SEALS);
	if (seals < 0 || (seals & SEALS) != SEALS)
		return -EPERM;
	/*
	 * Only shmem: a hugetlbfs memfd seals as well, but a page with no huge
	 * page behind it (a hole, an empty pool) is SIGBUS, not a zero page.
	 */
	if (fstatfs(memfd, &fs) || fs.f_type != TMPFS_MAGIC)
		return -EPERM;
	if (fstat(memfd, &now))
		return -EINVAL;
	/*
	 * RAM, and after it (from a shim; a bare RAM memfd has none) the
	 * balloon's released-frame bitmap, our map counts and the ports'
	 * upcall targets.
	 */
	map = hc_released_map_bytes(a->mem);
	counts = hc_mapcount_bytes(a->mem);
	if ((uint64_t)now.st_size == a->mem)
		map = counts = 0;
	else if ((uint64_t)now.st_size != a->mem + hc_host_meta_bytes(a->mem))
		return -EINVAL;
	g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	g->map_len = a->mem;
	g->released_len = map;
	g->mapcount_len = counts;
	g->ram = map_or_null(a->mem, PROT_READ | PROT_WRITE, memfd, 0);
	/* The bitmap is the shim's alone to write: read-only here. */
	if (map) {
		g->released = map_or_null(map, PROT_READ, memfd, a->mem);
		g->mapcount = map_or_null(counts, PROT_READ | PROT_WRITE, memfd, a->mem + map);
		g->targets = map_or_null(HC_EVTCHN_TARGETS_BYTES, PROT_READ, memfd,
					 hc_evtchn_targets_offset(a->mem));
	}
	if (!g->ram || (map && (!g->released || !g->mapcount || !g->targets))) {
		destroy(g);
		return -ENOMEM;
	}
	g->dev = st->st_dev;
	g->ino = st->st_ino;
	g->mem = a->mem;
	g->gnttab_gpa = a->gnttab_gpa;
	g->gnttab_entries = a->gnttab_entries;
	g->domid = a->backend_domid;
	ret = hc_gnttab_init(&g->gt, g->ram, g->mem, a->gnttab_gpa, a->gnttab_entries,
			     a->backend_domid);
	if (!ret && map) {
		g->gt.released = g->released;
		g->gt.mapcount = g->mapcount;
	}
	if (ret) {
		destroy(g);
		return ret;
	}
	*out = g;
	return 0;
}

int hc_dd_guest_get(int memfd, const struct hc_dd_attach *a, struct hc_dd_guest **out)
{
	struct hc_dd_guest *g;
	struct stat st;
	int ret = 0;

	*out = NULL;
	if (fstat(memfd, &st) || !S_ISREG(st.st_mode))
		return -EINVAL;
	pthread_mutex_lock(&guests_lock);
	for (g = guests; g && !same(g, &st, a); g = g->next)
		;
	if (g) {
		g->refs++;
	} else {
		ret = create(memfd, &st, a, &g);
		if (!ret) {
			g->refs = 1;
			g->next = guests;
			guests = g;
		}
	}
	pthread_mutex_unlock(&guests_lock);
	if (!ret)
		*out = g;
	return ret;
}

void hc_dd_guest_put(struct hc_dd_guest *g)
{
	struct hc_dd_guest **p;

	if (!g)
		return;
	pthread_mutex_lock(&guests_lock);
	if (--g->refs) {
		pthread_mutex_unlock(&guests_lock);
		return;
	}
	for (p = &guests; *p != g; p = &(*p)->next)
		;
	*p = g->next;
	pthread_mutex_unlock(&guests_lock);
	hc_gnttab_destroy(&g->gt);
	destroy(g);
}
