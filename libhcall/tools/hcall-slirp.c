// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * hcall-slirp FD STATUS_FD [hostloop] [FWD...]: the user-mode NAT of one vif, spawned
 * by hcall-run (--net user). It runs libslirp, QEMU's user networking, in
 * a process of its own that holds nothing of the guest but FD: a
 * SOCK_SEQPACKET socket whose peer (hcall-dd's netback) sends and takes one
 * 10-byte virtio_net_hdr + one Ethernet frame per message. Guest 10.0.2.15,
 * host and gateway 10.0.2.2, DNS 10.0.2.3, DHCP from 10.0.2.15; the
 * host's loopback (10.0.2.2 as a destination) only with "hostloop": a
 * guest must not reach services bound to 127.0.0.1 unasked. Each FWD
 * is "UDP,HOSTADDR,HOSTPORT,GUESTPORT" (numbers, host order) as hcall-run
 * parsed it from hostfwd=. "OK" or "ERR reason" goes to STATUS_FD once
 * the forwards are listening; the process ends when FD's peer hangs up.
 * libslirp parses the guest's frames: before it sees one, this process
 * keeps no other fd, leaves the terminal's session, and gives up root
 * (after binding the forwards) and the right to gain privileges.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>
#include <grp.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <linux/virtio_net.h>
#include <slirp/libslirp.h>

#include "hcall/common/vnetframe.h"

#define MAX_TIMERS	16
#define MAX_POLL	1024	/* slirp's sockets: one per NAT'd connection */
#define FRAME_MAX	(10 + 65535 + 14)

struct timer {
	SlirpTimerCb cb;
	void *opaque;
	int64_t expire_ms;	/* -1: not armed */
	int used;
};

static struct timer timers[MAX_TIMERS];
static struct pollfd pfd[MAX_POLL];
static unsigned int npfd;
static int guest_fd;
static unsigned long long dropped;

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* slirp -> guest: a frame without offloads (its checksums are complete). */
static ssize_t send_packet(const void *buf, size_t len, void *opaque)
{
	struct virtio_net_hdr hdr = { .gso_type = VIRTIO_NET_HDR_GSO_NONE };
	struct iovec iov[2] = { { &hdr, sizeof(hdr) }, { (void *)buf, len } };
	struct msghdr m = { .msg_iov = iov, .msg_iovlen = 2 };

	(void)opaque;
	/* A guest not taking frames: drop, as slirp allows; TCP resends. */
	if (sendmsg(guest_fd, &m, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		dropped++;
	return (ssize_t)len;
}

static void guest_error(const char *msg, void *opaque)
{
	(void)opaque;
	fprintf(stderr, "hcall-slirp: guest error: %s\n", msg);
}

static int64_t clock_get_ns(void *opaque)
{
	(void)opaque;
	return now_ns();
}

static void *timer_new(SlirpTimerCb cb, void *cb_opaque, void *opaque)
{
	(void)opaque;
	for (int i = 0; i < MAX_TIMERS; i++)
		if (!timers[i].used) {
			timers[i] = (struct timer){ cb, cb_opaque, -1, 1 };
			return &timers[i];
		}
	fprintf(stderr, "hcall-slirp: out of timers\n");
	abort();	/* slirp cannot take a NULL timer; it uses one or two */
}

static void timer_free(void *t, void *opaque)
{
	(void)opaque;
	((struct timer *)t)->used = 0;
}

static void timer_mod(void *t, int64_t expire_ms, void *opaque)
{
	(void)opaque;
	((struct timer *)t)->expire_ms = expire_ms;
}

static void no_fd(int fd, void *opaque)
{
	(void)fd;
	(void)opaque;
}

static void no_notify(void *opaque)
{
	(void)opaque;
}

static int add_poll(int fd, int events, void *opaque)
{
	short e = 0;

	(void)opaque;
	if (npfd == MAX_POLL)
		return -1;	/* slirp skips a socket it could not add */
	e |= events & SLIRP_POLL_IN ? POLLIN : 0;
	e |= events & SLIRP_POLL_OUT ? POLLOUT : 0;
	e |= events & SLIRP_POLL_PRI ? POLLPRI : 0;
	pfd[npfd] = (struct pollfd){ .fd = fd, .events = e };
	return (int)npfd++;
}

static int get_revents(int idx, void *opaque)
{
	short r;

	(void)opaque;
	if (idx < 0 || (unsigned int)idx >= npfd)
		return 0;
	r = pfd[idx].revents;
	return (r & POLLIN ? SLIRP_POLL_IN : 0) | (r & POLLOUT ? SLIRP_POLL_OUT : 0) |
	       (r & POLLPRI ? SLIRP_POLL_PRI : 0) | (r & POLLERR ? SLIRP_POLL_ERR : 0) |
	       (r & POLLHUP ? SLIRP_POLL_HUP : 0);
}

/* guest -> slirp: every frame waiting on the socket. 0, or -1 once it hung up. */
static int from_guest(Slirp *s)
{
	static uint8_t buf[FRAME_MAX];
	int off;

	for (int i = 0; i < 64; i++) {
		ssize_t n = recv(guest_fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC);

		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		if (n == 0)
			return -1;
		/* A frame cut short (MSG_TRUNC: n is its real length), a GSO one
		 * (none was offered in this mode) or bad checksum offsets. */
		off = (size_t)n <= sizeof(buf) ? hc_vnet_frame(buf, (size_t)n) : -1;
		if (off < 0) {
			dropped++;
			continue;
		}
		slirp_input(s, buf + off, (int)((size_t)n - (size_t)off));
	}
	return 0;
}

static void run_timers(void)
{
	int64_t now = now_ns() / 1000000;

	for (int i = 0; i < MAX_TIMERS; i++)
		if (timers[i].used && timers[i].expire_ms >= 0 && timers[i].expire_ms <= now) {
			timers[i].expire_ms = -1;
			timers[i].cb(timers[i].opaque);
		}
}

static uint32_t timer_wait_ms(uint32_t t)
{
	int64_t now = now_ns() / 1000000;

	for (int i = 0; i < MAX_TIMERS; i++)
		if (timers[i].used && timers[i].expire_ms >= 0)
			t = timers[i].expire_ms <= now ? 0 :
			    (uint32_t)(timers[i].expire_ms - now < t ? timers[i].expire_ms - now : t);
	return t;
}

static void status(int fd, const char *fmt, const char *arg)
{
	dprintf(fd, fmt, arg);
	close(fd);
}

/* Keep the socket as fd 3 and the status pipe as fd 4, nothing else open. */
static int keep_only(int *guest, int *st)
{
	int g = fcntl(*guest, F_DUPFD_CLOEXEC, 10), s = fcntl(*st, F_DUPFD_CLOEXEC, 10);
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

	if (g < 0 || s < 0 || null < 0 || dup2(null, 0) < 0 || dup2(g, 3) < 0 || dup2(s, 4) < 0)
		return -1;
	*guest = 3;
	*st = 4;
	return close_range(5, ~0u, 0);	/* stdout/stderr stay: messages */
}

/* No way back to root, and no new privileges from anything we could exec. */
static int drop_privileges(void)
{
	if (geteuid() == 0 &&
	    (setgroups(0, NULL) || setgid(65534) || setuid(65534) || setuid(0) != -1))
		return -1;
	return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
}

int main(int argc, char **argv)
{
	static const SlirpCb cb = {
		.send_packet = send_packet, .guest_error = guest_error,
		.clock_get_ns = clock_get_ns, .timer_new = timer_new,
		.timer_free = timer_free, .timer_mod = timer_mod,
		.register_poll_fd = no_fd, .unregister_poll_fd = no_fd, .notify = no_notify,
	};
	SlirpConfig cfg = { .version = 1, .in_enabled = true, .disable_host_loopback = true };
	int status_fd, first = 3;
	Slirp *s;

	if (argc < 3) {
		fprintf(stderr, "usage: hcall-slirp FD STATUS_FD [hostloop] [UDP,HOSTADDR,HOSTPORT,GUESTPORT...]"
			" (hcall-run starts it for --net user)\n");
		return 2;
	}
	guest_fd = atoi(argv[1]);
	status_fd = atoi(argv[2]);
	prctl(PR_SET_PDEATHSIG, SIGKILL);	/* never outlive the guest's shim */
	signal(SIGPIPE, SIG_IGN);
	if (keep_only(&guest_fd, &status_fd) || setsid() < 0) {
		fprintf(stderr, "hcall-slirp: cannot shed fds or the terminal: %s\n", strerror(errno));
		return 1;
	}
	if (argc > 3 && !strcmp(argv[3], "hostloop")) {
		cfg.disable_host_loopback = false;
		first = 4;
	}
	inet_pton(AF_INET, "10.0.2.0", &cfg.vnetwork);
	inet_pton(AF_INET, "255.255.255.0", &cfg.vnetmask);
	inet_pton(AF_INET, "10.0.2.2", &cfg.vhost);
	inet_pton(AF_INET, "10.0.2.15", &cfg.vdhcp_start);
	inet_pton(AF_INET, "10.0.2.3", &cfg.vnameserver);
	s = slirp_new(&cfg, &cb, NULL);
	if (!s) {
		status(status_fd, "ERR %s\n", "libslirp would not start");
		return 1;
	}
	for (int i = first; i < argc; i++) {
		unsigned int udp, haddr, hport, gport;
		struct in_addr h, g;

		if (sscanf(argv[i], "%u,%u,%u,%u", &udp, &haddr, &hport, &gport) != 4 ||
		    hport > 65535 || gport > 65535) {
			status(status_fd, "ERR bad forward %s\n", argv[i]);
			return 2;
		}
		h.s_addr = htonl(haddr);
		inet_pton(AF_INET, "10.0.2.15", &g);
		if (slirp_add_hostfwd(s, (int)udp, h, (int)hport, g, (int)gport)) {
			char why[64];

			snprintf(why, sizeof(why), "%s port %u", udp ? "udp" : "tcp", hport);
			status(status_fd, "ERR cannot listen on host %s (in use?)\n", why);
			return 1;
		}
	}
	if (drop_privileges()) {
		status(status_fd, "ERR cannot drop privileges: %s\n", strerror(errno));
		return 1;
	}
	status(status_fd, "%s\n", "OK");
	for (;;) {
		uint32_t wait = 1000;
		int n;

		npfd = 1;
		pfd[0] = (struct pollfd){ .fd = guest_fd, .events = POLLIN };
		slirp_pollfds_fill(s, &wait, add_poll, NULL);
		n = poll(pfd, npfd, (int)timer_wait_ms(wait));
		if (n < 0 && errno != EINTR)
			break;
		if ((pfd[0].revents & (POLLHUP | POLLERR | POLLNVAL)) ||
		    ((pfd[0].revents & POLLIN) && from_guest(s)))
			break;
		slirp_pollfds_poll(s, n < 0, get_revents, NULL);
		run_timers();
	}
	if (dropped)
		fprintf(stderr, "hcall-slirp: %llu frames dropped\n", dropped);
	slirp_cleanup(s);
	return 0;
}
