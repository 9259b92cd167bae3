// SPDX-License-Identifier: LGPL-2.1-or-later
/* SCM_RIGHTS framing for the driver domain protocol. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hcall/dd.h"

int hc_dd_send_attach(int sock, const struct hc_dd_attach *a, const int fds[HC_DD_NR_FDS])
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * HC_DD_NR_FDS)];
		struct cmsghdr align;
	} c;
	struct iovec iov = { (void *)a, sizeof(*a) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = c.buf, .msg_controllen = sizeof(c.buf) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

	memset(&c, 0, sizeof(c));
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int) * HC_DD_NR_FDS);
	memcpy(CMSG_DATA(cm), fds, sizeof(int) * HC_DD_NR_FDS);
	return sendmsg(sock, &msg, MSG_NOSIGNAL) == (ssize_t)sizeof(*a) ? 0 : -EIO;
}

int hc_dd_recv_attach(int sock, struct hc_dd_attach *a, int fds[HC_DD_NR_FDS])
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * HC_DD_NR_FDS)];
		struct cmsghdr align;
	} c;
	struct iovec iov = { a, sizeof(*a) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = c.buf, .msg_controllen = sizeof(c.buf) };
	struct cmsghdr *cm;
	ssize_t n;
	int i, got = 0;

	for (i = 0; i < HC_DD_NR_FDS; i++)
		fds[i] = -1;
	n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	if (n == 0)
		return -ECONNRESET;
	for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
		size_t nfd;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		nfd = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		/* Keep what we expect, close anything extra a peer slipped in. */
		for (i = 0; i < (int)nfd; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
			if (got < HC_DD_NR_FDS)
				fds[got++] = fd;
			else
				close(fd);
		}
	}
	if (n != (ssize_t)sizeof(*a) || got != HC_DD_NR_FDS || (msg.msg_flags & MSG_CTRUNC)) {
		for (i = 0; i < got; i++)
			close(fds[i]);
		for (i = 0; i < HC_DD_NR_FDS; i++)
			fds[i] = -1;
		return -EPROTO;
	}
	return 0;
}
