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
	if (n != (ssize_t)sizeof(*a) || (msg.msg_flags & MSG_CTRUNC) ||
	    got != (a->op == HC_DD_OP_DETACH ? 0 : HC_DD_NR_FDS)) {
		for (i = 0; i < got; i++)
			close(fds[i]);
		for (i = 0; i < HC_DD_NR_FDS; i++)
			fds[i] = -1;
		return -EPROTO;
	}
	return 0;
}

int hc_dd_send_detach(int sock, uint32_t ring_id)
{
	struct hc_dd_attach a = {
		.magic = HC_DD_MAGIC, .version = HC_DD_VERSION,
		.op = HC_DD_OP_DETACH, .ring_id = ring_id,
	};

	return send(sock, &a, sizeof(a), MSG_NOSIGNAL) == (ssize_t)sizeof(a) ? 0 : -EIO;
}

int hc_dd_call(int sock, const struct hc_dd_attach *a, const int *fds, uint32_t *ring_id)
{
	struct hc_dd_reply rep;
	ssize_t n;
	int ret;

	ret = a->op == HC_DD_OP_DETACH ? hc_dd_send_detach(sock, a->ring_id)
				       : hc_dd_send_attach(sock, a, fds);
	if (ret)
		return ret;
	do
		n = recv(sock, &rep, sizeof(rep), 0);
	while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return -ETIMEDOUT;
	if (n != (ssize_t)sizeof(rep))
		return -EIO;
	if (ring_id)
		*ring_id = rep.ring_id;
	return rep.status;
}
