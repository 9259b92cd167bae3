/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Virtual block devices: both halves of each disk in the store, and the
 * toolstack's (backend) side of the XenbusState handshake.
 */
#ifndef HCALL_BACKEND_VBD_BUS_H
#define HCALL_BACKEND_VBD_BUS_H

#include "hcall/backend/vbd.h"

struct hc_vm;

/* Act on frontend state changes; with pv.lock held. */
void hc_vbd_poll(struct hc_vm *vm);
/*
 * Soft reset, with pv.lock held: detach every ring from the driver domain
 * and put each disk back at the start of its handshake (the old kernel's
 * ring keys removed), for the next kernel's frontend. 0: the driver domain
 * no longer touches guest memory. -1: it may (a ring did not stop, or a
 * shared hcall-dd was lost with rings): the memory cannot be handed on.
 */
int hc_vbd_reset(struct hc_vm *vm);

/* For vbd_dd.c. */
/* Write "dir/node" = printf(...) as the toolstack. */
int hc_vbd_put(struct hc_vm *vm, const char *dir, const char *node, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Write our (backend) XenbusState of @v if it changed. */
void hc_vbd_set_state(struct hc_vm *vm, struct hc_vbd *v, int state);
/* Every ring of @v is gone: their ports are the guest's again. */
void hc_vbd_forget_rings(struct hc_vm *vm, struct hc_vbd *v);
/*
 * Stop every ring of @v. A ring whose DETACH failed may still run (e.g.
 * its thread is finishing a slow batch): it stays attached, port and all,
 * and -1 is returned. 0 once none is left.
 */
int hc_vbd_detach(struct hc_vm *vm, struct hc_vbd *v);
/* Write both halves of @v into the store and watch the frontend. 0 or -1. */
int hc_vbd_publish(struct hc_vm *vm, struct hc_vbd *v);

#endif
