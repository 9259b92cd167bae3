/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Virtual block devices (Xen's blkif): the vbd backend type (lib/backend/vbd.c). */
#ifndef HCALL_BACKEND_VBD_H
#define HCALL_BACKEND_VBD_H

#include "hcall/backend/backend.h"

#define HC_MAX_DISKS		8
#define HC_VBD_MAX_QUEUES	4

extern const struct hc_backend_type hc_vbd_type;

#endif
