/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Within the control socket: what the commands (control.c) and the server share. */
#ifndef HCALL_VMM_CONTROL_IMPL_H
#define HCALL_VMM_CONTROL_IMPL_H

#include <pthread.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/un.h>

#include "hcall/layout.h"
#include "hcall/vmm/control.h"

struct hc_control_client;

struct hc_control {
	struct hc_vm *vm;
	int stats_fd[HC_MAX_VCPUS];	/* each vCPU's KVM stats, opened before it ran */
	int listen_fd, wake_fd;
	int lock_fd;			/* flock on lock_path, held till hc_control_free */
	unsigned int idle_ms;		/* a client completing no line for so long goes */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char lock_path[sizeof(((struct sockaddr_un *)0)->sun_path) + 5];
	dev_t dev;			/* the socket we bound: unlinked only if still ours */
	ino_t ino;
	pthread_t thread;
	int running;
	struct hc_control_client *cl[HC_CONTROL_MAX_CLIENTS];
	/* The server thread's alone (the commands run on it too). */
	unsigned int nclients;
	uint64_t served, dropped, refused;
};

#endif
