/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The host side of a vif: TAP queues and Linux bridges, set up with the
 * kernel's ioctls (what `ip tuntap` and `ip link ... master` do). Every
 * call returns 0 or -1 with a one-line reason in @err.
 */
#ifndef HCALL_BACKEND_HOSTNET_H
#define HCALL_BACKEND_HOSTNET_H

#include <stddef.h>
#include <stdint.h>

/*
 * Open @nq queues of the TAP @name (created if it does not exist; @name
 * is filled in with the kernel's choice if empty, IFNAMSIZ bytes) with
 * a virtio-net header before each frame, non-blocking.
 */
int hc_tap_open(char *name, unsigned int nq, int *fds, char *err, size_t errlen);
/* Which offloads (TUN_F_*) frames we read from the TAP may use. */
int hc_tap_set_offload(int fd, unsigned int tun_f);
/* Let the kernel steer frames to queue @fd (1) or not (0). */
int hc_tap_queue_enable(int fd, int on);
/* Bring @ifname up, with its MTU set first if @mtu != 0. */
int hc_if_up(const char *ifname, unsigned int mtu, char *err, size_t errlen);
/* Put @ifname into the existing bridge @br. */
int hc_bridge_addif(const char *br, const char *ifname, char *err, size_t errlen);
/* Create bridge @br with @addr/@prefix (IPv4, host order) and bring it up. */
int hc_bridge_create(const char *br, uint32_t addr, unsigned int prefix, char *err,
		     size_t errlen);
/* -1 + @err if an interface of the host has an IPv4 address overlapping @addr/@prefix. */
int hc_subnet_in_use(uint32_t addr, unsigned int prefix, char *err, size_t errlen);
/* Remove bridge @br (taken down first). */
void hc_bridge_destroy(const char *br);

#endif
