// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Virtual block devices, shim side: a --disk "FILE[,ro]" becomes a disk of
 * the VM (its image opened, its size known, its store directories named).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <linux/fs.h>

#include "hcall/backend/vbd.h"
#include "hcall/backend/vbd_spec.h"
#include "hcall/common/err.h"
#include "hcall/vmm/vm.h"

#define XVDA 51712	/* Xen's virtual-device number of xvda */

int hc_vbd_add(struct hc_vm *vm, const char *spec, char *err, size_t errlen)
{
	char path[PATH_MAX];
	const char *comma = strchr(spec, ',');
	struct hc_vbds *vs = vm->vbds;
	struct hc_vbd *v;
	struct stat st;
	uint64_t bytes;
	size_t len = comma ? (size_t)(comma - spec) : strlen(spec);

	if (!vs) {
		vs = vm->vbds = calloc(1, sizeof(*vs));
		if (!vs)
			return hc_err(err, errlen, "%s", strerror(errno));
		vs->sock = -1;
	}
	if (vs->n == HC_MAX_DISKS) {
		snprintf(err, errlen, "at most %d disks", HC_MAX_DISKS);
		return -1;
	}
	if (!len || len >= sizeof(path) || (comma && strcmp(comma, ",ro"))) {
		snprintf(err, errlen, "bad --disk '%s' (FILE or FILE,ro)", spec);
		return -1;
	}
	v = &vs->d[vs->n];
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
	v->vdev = XVDA + 16u * (unsigned int)vs->n;
	snprintf(v->fe, sizeof(v->fe), "device/vbd/%u", v->vdev);
	snprintf(v->be, sizeof(v->be), "backend/vbd/%u/%u", HCALL_DOMID_SELF, v->vdev);
	vs->n++;
	return 0;
}
