/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The shim's half of the balloon: HCALL_memory_op (abi.h) releases guest
 * frames (punched out of the guest-memory memfd) or takes them back, and
 * the store's memory/ nodes carry the target and the guest's answer. With
 * free page reporting, it also drops the memory behind frames the guest
 * says are free and keeps (HCALL_MEM_DISCARD).
 *
 * Released frames are a bitmap by RAM page index that lives in the memfd
 * itself, in the pages past guest RAM (hc_released_map_bytes()): no KVM
 * slot maps it, so the guest never sees it, and hcall-dd, which maps the
 * whole memfd, refuses a grant of a released frame with no extra channel
 * between the two processes.
 */
#ifndef HCALL_PV_BALLOON_H
#define HCALL_PV_BALLOON_H

#include <stdint.h>

#include "hcall/pv/hypercall.h"

struct hc_vm;

hc_hypercall_fn hc_call_memory_op;

/* Publish memory/static-max and memory/target (KiB) in a new store. */
int hc_balloon_publish(struct hc_vm *vm);
/* Set memory/target to @bytes (a page multiple <= the guest's RAM); 0 or -errno. */
int hc_balloon_set_target(struct hc_vm *vm, uint64_t bytes);
/* Soft reset (under pv.lock): the next kernel owns every frame again. */
void hc_balloon_reset(struct hc_vm *vm);
/*
 * 1 if a page of guest RAM at host address @p .. @p + @len (inside
 * vm->ram, from hc_gpa()) is released: the shim must not register it
 * (under pv.lock, so no batch is applied meanwhile).
 */
int hc_balloon_range_released(struct hc_vm *vm, const void *p, uint64_t len);
/*
 * The private driver domain is dead and reaped: none of its map counts
 * stand any more, so its frames may be released again.
 */
void hc_balloon_forget_maps(struct hc_vm *vm);
/* Bytes the guest has given back now (no lock needed). */
uint64_t hc_balloon_released(struct hc_vm *vm);
/* Bytes of free memory the guest reported (HCALL_MEM_DISCARD), in all. */
uint64_t hc_balloon_discarded(struct hc_vm *vm);

#endif
