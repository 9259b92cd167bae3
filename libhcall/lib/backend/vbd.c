// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Virtual block devices (Xen's blkif), shim side: the vbd backend type. A
 * --disk "FILE[,ro]" becomes a disk of the VM (its image opened, its size
 * known); its backend nodes say what the disk offers; a connecting
 * frontend's rings (one, or multi-queue-num-queues queue-N) go to hcall-dd
 * with the image. Everything else is backend.c's.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <linux/fs.h>

#include "hcall/backend/vbd.h"
#include "hcall/common/err.h"
#include "hcall/dd/blkreq.h"	/* Xen's io/blkif.h with its prerequisites */
#include "hcall/pv/store.h"
#include "hcall/vmm/vm.h"
#include <xen/io/protocols.h>

#define XVDA 51712	/* Xen's virtual-device number of xvda */

_Static_assert(HC_VBD_MAX_QUEUES <= HC_BACKEND_MAX_RINGS, "a ring per queue");

struct hc_vbd {
	int fd;				/* the image */
	int readonly;
	uint64_t sectors;
};

static int vbd_add(struct hc_backend_dev *d, unsigned int nth, const char *spec,
		   char *err, size_t errlen)
{
	char path[PATH_MAX];
	const char *comma = strchr(spec, ',');
	struct hc_vbd *v;
	struct stat st;
	uint64_t bytes;
	size_t len = comma ? (size_t)(comma - spec) : strlen(spec);

	if (!len || len >= sizeof(path) || (comma && strcmp(comma, ",ro"))) {
		snprintf(err, errlen, "bad --disk '%s' (FILE or FILE,ro)", spec);
		return -1;
	}
	v = d->priv = calloc(1, sizeof(*v));
	if (!v)
		return hc_err(err, errlen, "%s", strerror(errno));
	memcpy(path, spec, len);
	path[len] = '\0';
	v->readonly = comma != NULL;
	v->fd = open(path, (v->readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (v->fd < 0 || fstat(v->fd, &st))
		return hc_err(err, errlen, "%s: %s", path, strerror(errno));
	if (S_ISBLK(st.st_mode)) {
		if (ioctl(v->fd, BLKGETSIZE64, &bytes))
			return hc_err(err, errlen, "%s: %s", path, strerror(errno));
	} else if (S_ISREG(st.st_mode)) {
		bytes = (uint64_t)st.st_size;
	} else {
		snprintf(err, errlen, "%s: not a file or block device", path);
		return -1;
	}
	v->sectors = bytes / 512;
	if (!v->sectors) {
		snprintf(err, errlen, "%s: smaller than one sector", path);
		return -1;
	}
	d->devid = XVDA + 16u * nth;
	return 0;
}

static void vbd_release(struct hc_backend_dev *d)
{
	struct hc_vbd *v = d->priv;

	if (v && v->fd >= 0)
		close(v->fd);
	free(v);
	d->priv = NULL;
}

static int vbd_publish(struct hc_vm *vm, const struct hc_backend_dev *d)
{
	const struct hc_vbd *v = d->priv;
	int r = 0;

	r |= hc_backend_put(vm, d->fe, "virtual-device", "%u", d->devid);
	r |= hc_backend_put(vm, d->fe, "device-type", "disk");
	r |= hc_backend_put(vm, d->be, "sectors", "%llu", (unsigned long long)v->sectors);
	r |= hc_backend_put(vm, d->be, "sector-size", "512");
	r |= hc_backend_put(vm, d->be, "physical-sector-size", "512");
	r |= hc_backend_put(vm, d->be, "info", "%d", v->readonly ? VDISK_READONLY : 0);
	r |= hc_backend_put(vm, d->be, "mode", v->readonly ? "r" : "w");
	r |= hc_backend_put(vm, d->be, "feature-flush-cache", "1");
	r |= hc_backend_put(vm, d->be, "feature-barrier", "1");
	r |= hc_backend_put(vm, d->be, "feature-discard", "%d", !v->readonly);
	r |= hc_backend_put(vm, d->be, "discard-granularity", "4096");
	r |= hc_backend_put(vm, d->be, "discard-alignment", "0");
	r |= hc_backend_put(vm, d->be, "multi-queue-max-queues", "%d", HC_VBD_MAX_QUEUES);
	r |= hc_backend_put(vm, d->be, "feature-max-indirect-segments", "%d", HC_BLK_MAX_INDIRECT);
	return r;
}

/* Attach the queue whose ring-ref and event-channel are under @dir. */
static int attach_queue(struct hc_vm *vm, struct hc_backend_dev *d, const char *dir, int *asked)
{
	long long ref = hc_backend_get_num(vm, dir, "ring-ref");
	long long port = hc_backend_get_num(vm, dir, "event-channel");

	return hc_backend_attach(vm, d, 1, &ref, 1, &port, asked);
}

static int vbd_connect(struct hc_vm *vm, struct hc_backend_dev *d, int *asked)
{
	char dir[HC_STORE_MAX_PATH], proto[32];
	long long nq = hc_backend_get_num(vm, d->fe, "multi-queue-num-queues");
	int n = hc_backend_get(vm, d->fe, "protocol", proto, sizeof(proto));
	unsigned int q;
	int ret = 0;

	if (n >= 0 && ((size_t)n != strlen(XEN_IO_PROTO_ABI_X86_64) ||
		       memcmp(proto, XEN_IO_PROTO_ABI_X86_64, (size_t)n)))
		return -EPROTONOSUPPORT;
	if (nq < 0)
		return attach_queue(vm, d, d->fe, asked);
	if (nq < 1 || nq > HC_VBD_MAX_QUEUES)
		return -EINVAL;
	for (q = 0; q < nq && !ret; q++) {
		snprintf(dir, sizeof(dir), "%s/queue-%u", d->fe, q);
		ret = attach_queue(vm, d, dir, asked);
	}
	return ret;
}

static int vbd_attach_part(const struct hc_backend_dev *d, unsigned int ring,
			   struct hc_dd_attach *a, int *fds)
{
	const struct hc_vbd *v = d->priv;

	(void)ring;	/* every queue serves the same image */
	a->u.vbd.sectors = v->sectors;
	a->u.vbd.flags = v->readonly ? HC_DD_READONLY : HC_DD_DISCARD;
	fds[0] = v->fd;
	return 1;
}

/*
 * The old kernel's ring keys go too: a next kernel with fewer queues (a
 * one-CPU kdump kernel) must not find the old multi-queue-num-queues and
 * queue-N with its refs and ports. Only queue-0..HC_VBD_MAX_QUEUES-1 are
 * ever read.
 */
static void vbd_forget_frontend(struct hc_vm *vm, const struct hc_backend_dev *d)
{
	static const char *const nodes[] = {
		"ring-ref", "event-channel", "multi-queue-num-queues", "protocol",
	};
	char queue[16];
	unsigned int k;

	for (k = 0; k < sizeof(nodes) / sizeof(nodes[0]); k++)
		hc_backend_rm(vm, d->fe, nodes[k]);
	for (k = 0; k < HC_VBD_MAX_QUEUES; k++) {
		snprintf(queue, sizeof(queue), "queue-%u", k);
		hc_backend_rm(vm, d->fe, queue);
	}
}

const struct hc_backend_type hc_vbd_type = {
	.name = "vbd",
	.option = "disk",
	.help = "  --disk FILE[,ro]  PV block device (xvda, xvdb, ...) served by hcall-dd; up to 8\n",
	.noun = "disk",
	.nouns = "disks",
	.max_devs = HC_MAX_DISKS,
	.dd_type = HC_DD_TYPE_VBD,
	.add = vbd_add,
	.publish = vbd_publish,
	.connect = vbd_connect,
	.attach_part = vbd_attach_part,
	.forget_frontend = vbd_forget_frontend,
	.release = vbd_release,
};
