// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The vbd device type in the driver domain: one blkif ring per attach,
 * served by the block engine (blkback.c) on the image fd the shim passed.
 * The engine is called from this file, not from its own: hcall-dd-test's
 * -Wl,--wrap of hc_blkback_process needs the call to cross object files.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "hcall/dd/blkback.h"
#include "hcall/dd/ddring.h"
#include "hcall/dd/ddtypes.h"

enum { FD_IMAGE };	/* the type's own fds */

static void notify(void *opaque)
{
	hc_dd_ring_notify(opaque, 0);
}

static int vbd_check(const struct hc_dd_ring *r, const struct hc_dd_attach *a)
{
	const struct hc_dd_vbd *v = &a->u.vbd;
	int fd = hc_dd_ring_type_fd(r, FD_IMAGE);
	struct stat st;
	unsigned int i;
	int acc;

	if (a->nr_rings != 1 || a->nr_ports != 1 || v->pad ||
	    (v->flags & ~(HC_DD_READONLY | HC_DD_DISCARD)))
		return -EINVAL;
	for (i = sizeof(*v); i < sizeof(a->u); i++)
		if (a->u.room[i])
			return -EINVAL;	/* past the vbd part: nothing */
	if (fstat(fd, &st) || !(S_ISREG(st.st_mode) || S_ISBLK(st.st_mode)))
		return -EBADF;
	if (S_ISREG(st.st_mode) && (v->sectors > (uint64_t)st.st_size / 512))
		return -ENOSPC;
	acc = fcntl(fd, F_GETFL) & O_ACCMODE;
	if (!(v->flags & HC_DD_READONLY) && acc == O_RDONLY)
		return -EBADF;
	return 0;
}

static int vbd_init(struct hc_dd_ring *r, const struct hc_dd_attach *a)
{
	struct hc_blkback *bb = r->priv;
	struct hc_blk_limits lim = {
		.sectors = a->u.vbd.sectors,
		.readonly = !!(a->u.vbd.flags & HC_DD_READONLY),
		.discard = !!(a->u.vbd.flags & HC_DD_DISCARD),
		.max_indirect = HC_BLK_MAX_INDIRECT,
	};
	int ret;

	ret = hc_blkback_init(bb, &r->guest->gt, a->ring_ref[0], hc_dd_ring_type_fd(r, FD_IMAGE),
			      &lim, notify, r);
	if (ret)
		return ret;
	bb->stop = &r->stop;
	/* Concurrent reads and writes per batch, unless told (or forced) not to. */
	if (!getenv("HCALL_DD_SYNC"))
		hc_blkback_use_uring(bb);
	return 0;
}

static int vbd_process(struct hc_dd_ring *r)
{
	int n = hc_blkback_process(r->priv);

	return n < 0 ? n : n == HC_BLKBACK_BATCH;
}

static void vbd_destroy(struct hc_dd_ring *r)
{
	hc_blkback_destroy(r->priv);
}

const struct hc_dd_backend_ops hc_dd_vbd_ops = {
	.type = HC_DD_TYPE_VBD,
	.priv_size = sizeof(struct hc_blkback),
	/* the image, and the io_uring */
	.ring_fds = HC_DD_RING_FDS(1, 1),
	.check = vbd_check,
	.init = vbd_init,
	.process = vbd_process,
	.destroy = vbd_destroy,
};
