/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Virtual block devices: reaching and talking to the driver domain (hcall-dd). */
#ifndef HCALL_BACKEND_VBD_DD_H
#define HCALL_BACKEND_VBD_DD_H

#include <stddef.h>
#include <stdint.h>

#include "hcall/backend/vbd.h"
#include "hcall/common/ddproto.h"

struct hc_vm;

/*
 * Reach the driver domain (spawn @dd_binary on a socketpair, or connect to
 * the listening @dd_socket) and publish every disk. 0 or -1 + @err.
 */
int hc_vbd_start(struct hc_vm *vm, const char *dd_binary, const char *dd_socket,
		 char *err, size_t errlen);
/* Detach everything, close the driver domain, reap a private one. */
void hc_vbd_destroy(struct hc_vm *vm);
/* hc_vbd_destroy() and free what is left (the counters). */
void hc_vbd_free(struct hc_vm *vm);
/*
 * One request to hcall-dd (for vbd_bus.c); a lost or late reply ends the
 * connection: 0, the reply's status or -errno.
 */
int hc_vbd_dd_call(struct hc_vm *vm, const struct hc_dd_attach *a, const int *fds,
		   uint32_t *ring_id);

#endif
