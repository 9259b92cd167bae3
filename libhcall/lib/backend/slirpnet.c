// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * --net user: start hcall-slirp (tools/hcall-slirp.c) on one end of a
 * SOCK_SEQPACKET pair, the other end going to hcall-dd as the vif's
 * "TAP". A separate program, exec'd, so the NAT that parses the guest's
 * frames holds neither the guest's memory nor the shim's fds.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include "hcall/backend/slirpnet.h"
#include "hcall/common/err.h"
#include "hcall/common/reap.h"
#include "hcall/common/toolpath.h"

#define SLIRP_START_MS	5000
#define SLIRP_REAP_MS	2000

int hc_slirp_parse_fwd(const char *s, struct hc_slirp_fwd *fwd)
{
	char addr[16];
	unsigned int hp, gp;
	const char *p = s;
	char end;
	struct in_addr a;

	memset(fwd, 0, sizeof(*fwd));
	if (!strncmp(p, "tcp:", 4)) {
		p += 4;
	} else if (!strncmp(p, "udp:", 4)) {
		fwd->udp = 1;
		p += 4;
	} else if (*p == ':') {
		p++;	/* tcp, as QEMU defaults */
	} else {
		return -1;
	}
	/* [HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT; the guest's address is 10.0.2.15. */
	if (*p == ':') {
		addr[0] = '\0';
		p++;
	} else if (sscanf(p, "%15[0-9.]:", addr) == 1 && inet_pton(AF_INET, addr, &a) == 1) {
		fwd->host_addr = ntohl(a.s_addr);
		p += strlen(addr) + 1;
	} else {
		return -1;
	}
	if (sscanf(p, "%5u-:%5u%c", &hp, &gp, &end) != 2 &&
	    sscanf(p, "%5u-10.0.2.15:%5u%c", &hp, &gp, &end) != 2)
		return -1;
	if (!hp || hp > 65535 || !gp || gp > 65535)
		return -1;
	fwd->host_port = (uint16_t)hp;
	fwd->guest_port = (uint16_t)gp;
	return 0;
}

/* hcall-slirp's one status line: "OK" or "ERR reason". */
static int read_status(int fd, char *err, size_t errlen)
{
	char line[256];
	size_t got = 0;
	struct pollfd p = { .fd = fd, .events = POLLIN };

	while (got < sizeof(line) - 1 && poll(&p, 1, SLIRP_START_MS) == 1) {
		ssize_t n = read(fd, line + got, sizeof(line) - 1 - got);

		if (n <= 0)
			break;
		got += (size_t)n;
	}
	line[got] = '\0';
	line[strcspn(line, "\n")] = '\0';
	if (!strcmp(line, "OK"))
		return 0;
	return hc_err(err, errlen, "user networking: %s",
		      !strncmp(line, "ERR ", 4) ? line + 4 : "hcall-slirp did not start");
}

int hc_slirp_start(const struct hc_slirp_fwd *fwd, unsigned int nfwd, int hostloop, int *fd,
		   pid_t *pid, char *err, size_t errlen)
{
	char path[4096], arg[HC_SLIRP_MAX_FWD][48], fds[2][12], loop[] = "hostloop";
	char *argv[5 + HC_SLIRP_MAX_FWD];
	unsigned int a = 3;
	const char *bin = hc_tool_path("HCALL_SLIRP", "hcall-slirp", path, sizeof(path));
	int sv[2], st[2];
	unsigned int i;

	if (nfwd > HC_SLIRP_MAX_FWD)
		return hc_err(err, errlen, "at most %d hostfwd", HC_SLIRP_MAX_FWD);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		return hc_err(err, errlen, "socketpair: %s", strerror(errno));
	if (pipe2(st, O_CLOEXEC)) {
		close(sv[0]);
		close(sv[1]);
		return hc_err(err, errlen, "pipe: %s", strerror(errno));
	}
	snprintf(fds[0], sizeof(fds[0]), "%d", sv[1]);
	snprintf(fds[1], sizeof(fds[1]), "%d", st[1]);
	argv[0] = "hcall-slirp";
	argv[1] = fds[0];
	argv[2] = fds[1];
	if (hostloop)
		argv[a++] = loop;
	for (i = 0; i < nfwd; i++) {
		snprintf(arg[i], sizeof(arg[i]), "%d,%u,%u,%u", fwd[i].udp, fwd[i].host_addr,
			 fwd[i].host_port, fwd[i].guest_port);
		argv[a++] = arg[i];
	}
	argv[a] = NULL;
	*pid = fork();
	if (*pid == 0) {
		/* Only the two fds it needs survive the exec (hcall-slirp drops the rest). */
		hc_child_prepare();
		fcntl(sv[1], F_SETFD, 0);
		fcntl(st[1], F_SETFD, 0);
		execvp(bin, argv);
		dprintf(st[1], "ERR cannot run %s: %s\n", bin, strerror(errno));
		_exit(127);
	}
	close(sv[1]);
	close(st[1]);
	if (*pid < 0) {
		close(sv[0]);
		close(st[0]);
		return hc_err(err, errlen, "fork: %s", strerror(errno));
	}
	if (read_status(st[0], err, errlen)) {
		close(st[0]);
		hc_slirp_stop(sv[0], *pid);
		return -1;
	}
	close(st[0]);
	fcntl(sv[0], F_SETFL, O_NONBLOCK);	/* hcall-dd's copy: it polls, never blocks */
	*fd = sv[0];
	return 0;
}

void hc_slirp_stop(int fd, pid_t pid)
{
	if (fd >= 0)
		close(fd);	/* its peer's hang-up ends it ... */
	hc_reap_or_kill(pid, SLIRP_REAP_MS);	/* ... unless it is stuck */
}
