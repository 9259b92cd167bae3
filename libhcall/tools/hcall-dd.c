// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * hcall-dd: the driver domain. Serves block rings for guests whose shims
 * connect over a Unix socket and pass the guest's memory and the ring's
 * eventfds (SCM_RIGHTS). It opens nothing itself: after setup it drops to
 * an unprivileged user with no_new_privs, holding only what it was given.
 *
 *   hcall-dd --fd N        serve one shim on an inherited connected socket
 *   hcall-dd --listen PATH serve any number of shims, one thread each
 */
#include <errno.h>
#include <grp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "hcall/dd.h"
#include "hcall/ddring.h"

#define MAX_RINGS 64
#define NOBODY 65534

static void drop_privileges(void)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		perror("hcall-dd: no_new_privs");
		exit(1);
	}
	if (getuid() == 0 && (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
			      setresuid(NOBODY, NOBODY, NOBODY))) {
		perror("hcall-dd: dropping root");
		exit(1);
	}
}

/* Serve one shim until it hangs up; then its rings go away. */
static void *serve(void *arg)
{
	int sock = (int)(intptr_t)arg;
	struct hc_dd_ring *rings = calloc(MAX_RINGS, sizeof(*rings));
	char active[MAX_RINGS] = { 0 };
	int i;

	while (rings) {
		struct hc_dd_attach a;
		struct hc_dd_reply rep = { 0 };
		int fds[HC_DD_NR_FDS];
		int ret = hc_dd_recv_attach(sock, &a, fds);

		if (ret && ret != -EPROTO)
			break;	/* hang-up, or the socket failed */
		if (!ret && a.op == HC_DD_OP_DETACH) {
			/* The shim names the ring; a bad id is an error, not a crash. */
			if (a.ring_id < MAX_RINGS && active[a.ring_id]) {
				hc_dd_ring_stop(&rings[a.ring_id]);
				active[a.ring_id] = 0;
			} else {
				ret = -ENOENT;
			}
		} else if (!ret) {
			for (i = 0; i < MAX_RINGS && active[i]; i++)
				;
			if (i == MAX_RINGS) {
				for (i = 0; i < HC_DD_NR_FDS; i++)
					close(fds[i]);
				ret = -ENOSPC;
			} else {
				ret = hc_dd_ring_start(&rings[i], &a, fds);
				if (!ret) {
					active[i] = 1;
					rep.ring_id = (uint32_t)i;
				}
			}
		}
		rep.status = ret;
		if (send(sock, &rep, sizeof(rep), MSG_NOSIGNAL) != sizeof(rep))
			break;
	}
	for (i = 0; i < MAX_RINGS; i++)
		if (active[i])
			hc_dd_ring_stop(&rings[i]);
	free(rings);
	close(sock);
	return NULL;
}

static int listen_on(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	if (s < 0 || strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "hcall-dd: bad socket path %s\n", path);
		exit(2);
	}
	strcpy(sa.sun_path, path);
	unlink(path);
	if (bind(s, (struct sockaddr *)&sa, sizeof(sa)) || listen(s, 16)) {
		fprintf(stderr, "hcall-dd: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	return s;
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	if (argc == 3 && !strcmp(argv[1], "--fd")) {
		char *end;
		long fd = strtol(argv[2], &end, 10);

		if (*end || fd < 0 || fd > 65535) {
			fprintf(stderr, "hcall-dd: bad --fd %s\n", argv[2]);
			return 2;
		}
		drop_privileges();
		serve((void *)(intptr_t)fd);
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "--listen")) {
		int s = listen_on(argv[2]);

		drop_privileges();
		for (;;) {
			int c = accept4(s, NULL, NULL, SOCK_CLOEXEC);
			pthread_t t;

			if (c < 0) {
				if (errno == EINTR)
					continue;
				perror("hcall-dd: accept");
				return 1;
			}
			if (pthread_create(&t, NULL, serve, (void *)(intptr_t)c) == 0)
				pthread_detach(t);
			else
				close(c);
		}
	}
	fprintf(stderr, "usage: hcall-dd --fd N | --listen PATH\n");
	return 2;
}
