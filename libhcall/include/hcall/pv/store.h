/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A per-guest key/value store with watches, in Xen's xenstore layout
 * (device/vbd/0/..., backend/vbd/<domid>/0/...). Everything a guest or a
 * frontend sends is hostile: paths are validated, sizes and counts bounded,
 * and each requester may only write its own part of the tree.
 */
#ifndef HCALL_STORE_H
#define HCALL_STORE_H

#include <stddef.h>
#include <stdint.h>

#define HC_STORE_MAX_PATH	256	/* including the NUL */
#define HC_STORE_MAX_VALUE	4096
#define HC_STORE_MAX_ENTRIES	2048
#define HC_STORE_MAX_WATCHES	128

/* Who asks: decides what may be written (everyone may read). */
enum hc_store_who {
	HC_STORE_TOOL,		/* the shim: sets up both halves of a device */
	HC_STORE_GUEST,		/* the guest: device/, data/, control/ */
	HC_STORE_BACKEND,	/* the driver domain: backend/ */
};

struct hc_store;

/* Called with the path that changed and the watch's token. */
typedef void (*hc_store_watch_fn)(void *opaque, const char *path, const char *token);

struct hc_store *hc_store_new(void);
void hc_store_free(struct hc_store *st);

/* 0 if @path is a well-formed store path, else -EINVAL. */
int hc_store_check_path(const char *path);
/* Each returns 0 or a negative errno (EINVAL, EACCES, ENOENT, ENOSPC, E2BIG, ERANGE). */
int hc_store_write(struct hc_store *st, enum hc_store_who who, const char *path,
		   const void *value, size_t len);
int hc_store_read(struct hc_store *st, const char *path, void *buf, size_t size,
		  size_t *len);
int hc_store_rm(struct hc_store *st, enum hc_store_who who, const char *path);
/* Child names of @path, NUL-separated, into @buf; total bytes in @len. */
int hc_store_directory(struct hc_store *st, const char *path, char *buf, size_t size,
		       size_t *len);
/*
 * Fires once at once (as xenstore does), then on every change at, below or
 * (for removals) above @path. @fn runs with the store locked: it must not
 * call back into the store; queue the event instead.
 */
int hc_store_watch(struct hc_store *st, const char *path, const char *token,
		   hc_store_watch_fn fn, void *opaque);
int hc_store_unwatch(struct hc_store *st, const char *path, const char *token);
/* Remove every watch that calls @fn: all of one client's watches. */
void hc_store_unwatch_all(struct hc_store *st, hc_store_watch_fn fn);

#endif
