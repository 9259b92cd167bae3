/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * User-mode networking for a vif (--net user): libslirp, the NAT QEMU's
 * -netdev user uses, run in a child process of its own, so the code that
 * parses the guest's frames shares nothing with the shim but one socket.
 * The guest side of the socket behaves like a TAP queue to hcall-dd: one
 * SOCK_SEQPACKET message = a 10-byte virtio_net_hdr + one Ethernet frame.
 */
#ifndef HCALL_BACKEND_SLIRPNET_H
#define HCALL_BACKEND_SLIRPNET_H

#include <stddef.h>
#include <sys/types.h>

#define HC_SLIRP_MAX_FWD	8

struct hc_slirp_fwd {
	int udp;
	uint32_t host_addr;		/* host order; 0: any */
	uint16_t host_port, guest_port;
};

/*
 * Start the NAT with @nfwd port forwards: the guest is 10.0.2.15, host
 * and gateway 10.0.2.2, DNS 10.0.2.3, DHCP; with @hostloop the guest may
 * reach the host's loopback at 10.0.2.2 (QEMU's default, off here: it
 * exposes every service bound to 127.0.0.1). Returns the socket end for
 * hcall-dd in *@fd and the child in *@pid. 0 or -1 + @err (a forward
 * whose host port is taken is an error here, before the guest runs).
 */
int hc_slirp_start(const struct hc_slirp_fwd *fwd, unsigned int nfwd, int hostloop, int *fd,
		   pid_t *pid, char *err, size_t errlen);
/* Parse one QEMU hostfwd value "[tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT". */
int hc_slirp_parse_fwd(const char *s, struct hc_slirp_fwd *fwd);
/* Stop the child (it also ends when @fd's peer closes) and reap it. */
void hc_slirp_stop(int fd, pid_t pid);

#endif
