// SPDX-License-Identifier: LGPL-2.1-or-later
/* SCM_RIGHTS framing for the driver domain protocol. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hcall/common/ddproto.h"

/* The protocol's types: how many fds of their own follow the common ones. */
const uint8_t hc_dd_type_fds[HC_DD_NR_TYPES] = {
	[HC_DD_TYPE_VBD] = 1,	/* the image */
	[HC_DD_TYPE_VIF] = 1,	/* the TAP (queue) */
};

int hc_dd_attach_nr_fds(const struct hc_dd_attach *a)
{
	if (a->op == HC_DD_OP_DETACH) {
		/* Nothing but the ring's id: a v3 detach must not be misread. */
		struct hc_dd_attach rest = *a;

		rest.magic = rest.version = rest.op = rest.ring_id = 0;
		return memcmp(&rest, &(struct hc_dd_attach){ 0 }, sizeof(rest)) ? -1 : 0;
	}
	if (a->ring_id)
		return -1;	/* an attach gets its id in the reply */
	if (a->op != HC_DD_OP_ATTACH || a->type >= HC_DD_NR_TYPES || !hc_dd_type_fds[a->type] ||
	    hc_dd_type_fds[a->type] > HC_DD_MAX_TYPE_FDS ||
	    !a->nr_ports || a->nr_ports > HC_DD_MAX_PORTS ||
	    !a->nr_vcpus || a->nr_vcpus > HCALL_MAX_VCPUS)
		return -1;
	return HC_DD_FD_TYPE(a->nr_ports, a->nr_vcpus) + hc_dd_type_fds[a->type];
}

void hc_dd_close_fds(int fds[HC_DD_MAX_FDS])
{
	for (int i = 0; i < HC_DD_MAX_FDS; i++)
		if (fds[i] >= 0) {
			close(fds[i]);
			fds[i] = -1;
		}
}

int hc_dd_send_attach(int sock, const struct hc_dd_attach *a, const int *fds)
{
	int nfd = hc_dd_attach_nr_fds(a);
	union {
		char buf[CMSG_SPACE(sizeof(int) * HC_DD_MAX_FDS)];
		struct cmsghdr align;
	} c;
	struct iovec iov = { (void *)a, sizeof(*a) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = c.buf };
	struct cmsghdr *cm;

	if (nfd <= 0 || nfd > HC_DD_MAX_FDS)
		return -EINVAL;
	memset(&c, 0, sizeof(c));
	msg.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfd);
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfd);
	memcpy(CMSG_DATA(cm), fds, sizeof(int) * (size_t)nfd);
	return sendmsg(sock, &msg, MSG_NOSIGNAL) == (ssize_t)sizeof(*a) ? 0 : -EIO;
}

/*
 * Collect the fds of every SCM_RIGHTS message in @msg, walking only the
 * control bytes the kernel wrote (msg_controllen): the first
 * HC_DD_MAX_FDS go to @got, the rest are closed and counted in *@extra.
 */
static int take_fds(struct msghdr *msg, int got[HC_DD_MAX_FDS], int *extra)
{
	const char *end = (const char *)msg->msg_control + msg->msg_controllen;
	struct cmsghdr *cm;
	int ngot = 0;

	*extra = 0;
	for (cm = CMSG_FIRSTHDR(msg); cm; cm = CMSG_NXTHDR(msg, cm)) {
		size_t len, nfd, i;

		if (cm->cmsg_len < CMSG_LEN(0))
			break;
		len = cm->cmsg_len;
		if (len > (size_t)(end - (const char *)cm))
			len = (size_t)(end - (const char *)cm);
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		nfd = (len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < nfd; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
			if (fd < 0)
				continue;
			if (ngot < HC_DD_MAX_FDS) {
				got[ngot++] = fd;
			} else {
				close(fd);
				(*extra)++;
			}
		}
	}
	return ngot;
}

int hc_dd_recv_attach(int sock, struct hc_dd_attach *a, int fds[HC_DD_MAX_FDS])
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * HC_DD_MAX_FDS)];
		struct cmsghdr align;
	} c;
	struct iovec iov = { a, sizeof(*a) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = c.buf, .msg_controllen = sizeof(c.buf) };
	int got[HC_DD_MAX_FDS];
	int i, ngot, extra;
	ssize_t n;

	/* Nothing below reads a byte recvmsg() did not write. */
	memset(&c, 0, sizeof(c));
	memset(a, 0, sizeof(*a));
	for (i = 0; i < HC_DD_MAX_FDS; i++)
		fds[i] = -1;
	do
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)	/* no message, no fds: the connection is unusable */
		return errno == EAGAIN || errno == EWOULDBLOCK ? -EAGAIN : -ECONNRESET;
	ngot = take_fds(&msg, got, &extra);
	if (n != (ssize_t)sizeof(*a) || (msg.msg_flags & (MSG_CTRUNC | MSG_TRUNC)) || extra ||
	    a->magic != HC_DD_MAGIC || a->version != HC_DD_VERSION ||
	    ngot != hc_dd_attach_nr_fds(a)) {	/* -1: unknown op or type */
		/* A rejected message keeps none of its fds. */
		for (i = 0; i < ngot; i++)
			close(got[i]);
		return n == 0 ? -ECONNRESET : -EPROTO;	/* 0 bytes: hang-up */
	}
	memcpy(fds, got, sizeof(int) * (size_t)ngot);
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
