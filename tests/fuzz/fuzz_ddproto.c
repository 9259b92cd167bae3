// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target for the driver domain's receive path (hc_dd_recv_attach):
 * any message bytes, sent over a real SOCK_SEQPACKET socketpair with any
 * control messages (SCM_RIGHTS carrying several real fds, other types and
 * levels, lengths cut short or padded), or a receive that fails after
 * leaving arbitrary bytes in the control buffer. Invariants: no crash, no fd
 * leaked or closed that the message did not bring, an accepted message
 * hands over exactly the fds its op, type and port count promise, a
 * rejected one none.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "hcall/common/ddproto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define POOL 6

static int sv[2] = { -1, -1 }, pool[POOL], pipefd[2];

/* Set by an input: the next recvmsg() fails after writing these bytes. */
static const uint8_t *garbage;
static size_t garbage_len;

ssize_t recvmsg(int fd, struct msghdr *msg, int flags);
ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
	if (garbage) {
		size_t n = garbage_len < msg->msg_controllen ? garbage_len : msg->msg_controllen;

		memcpy(msg->msg_control, garbage, n);
		garbage = NULL;
		errno = EFAULT;
		return -1;
	}
	return syscall(SYS_recvmsg, fd, msg, flags);
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		abort();
	while ((e = readdir(d)))
		n++;
	closedir(d);
	return n;
}

static void init(void)
{
	if (sv[0] >= 0)
		return;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) ||
	    pipe2(pipefd, O_NONBLOCK | O_CLOEXEC))
		abort();
	pool[0] = eventfd(0, EFD_CLOEXEC);
	pool[1] = eventfd(0, EFD_CLOEXEC);
	pool[2] = memfd_create("fuzz-ram", MFD_CLOEXEC);
	pool[3] = open("/dev/null", O_RDWR | O_CLOEXEC);
	pool[4] = pipefd[0];
	pool[5] = pipefd[1];
	for (int i = 0; i < POOL; i++)
		if (pool[i] < 0)
			abort();
}

/* Lay out control messages described by @p into @ctl; returns its length. */
static size_t build_control(const uint8_t *p, size_t n, char *ctl, size_t cap)
{
	size_t off = 0;

	while (n >= 3) {
		uint8_t kind = p[0], nfd = p[1] % 9, lenfix = p[2];
		size_t payload = (size_t)nfd * sizeof(int), space = CMSG_SPACE(payload);
		struct cmsghdr *cm = (struct cmsghdr *)(void *)(ctl + off);

		p += 3;
		n -= 3;
		if (off + space > cap)
			break;
		memset(cm, 0, space);
		cm->cmsg_level = kind & 1 ? SOL_SOCKET : (kind & 2 ? IPPROTO_IP : 0x1234);
		cm->cmsg_type = kind & 4 ? SCM_RIGHTS : (kind & 8 ? SCM_CREDENTIALS : kind >> 4);
		cm->cmsg_len = CMSG_LEN(payload);
		if (lenfix & 0x80)	/* cut short or run past the payload */
			cm->cmsg_len = (lenfix & 0x40) ? cm->cmsg_len - (lenfix & 7)
						       : cm->cmsg_len + (lenfix & 7);
		for (unsigned int i = 0; i < nfd; i++) {
			int fd = pool[(lenfix + i) % POOL];

			memcpy(CMSG_DATA(cm) + i * sizeof(int), &fd, sizeof(int));
		}
		off += space;
	}
	return off;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	union {
		char buf[512];
		struct cmsghdr align;
	} ctl;
	uint8_t msgbuf[2 * sizeof(struct hc_dd_attach)];
	struct hc_dd_attach a;
	int fds[HC_DD_MAX_FDS];
	size_t len, msglen;
	int before, ret, i, sock;

	init();
	if (size < 2)
		return 0;
	before = count_fds();
	msglen = data[1] % (sizeof(msgbuf) + 1);
	if (msglen > size - 2)
		msglen = size - 2;
	memcpy(msgbuf, data + 2, msglen);
	sock = sv[1];
	if (data[0] & 1) {
		/* The receive fails, leaving the rest of the input as control bytes. */
		garbage = data + 2;
		garbage_len = size - 2;
	} else if (data[0] & 2) {
		sock = pipefd[0];	/* not a socket: recvmsg() itself fails */
	} else {
		struct iovec iov = { msgbuf, msglen };
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };

		len = build_control(data + 2 + msglen, size - 2 - msglen, ctl.buf, sizeof(ctl.buf));
		if (len) {
			msg.msg_control = ctl.buf;
			msg.msg_controllen = len;
		}
		if (sendmsg(sv[0], &msg, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
			return 0;	/* refused by the kernel: nothing queued */
	}
	ret = hc_dd_recv_attach(sock, &a, fds);
	garbage = NULL;
	if (ret == 0) {
		int want = hc_dd_attach_nr_fds(&a);

		if (want < 0)
			abort();	/* an unknown op or type was accepted */
		for (i = 0; i < HC_DD_MAX_FDS; i++) {
			if ((i < want) != (fds[i] >= 0))
				abort();
			if (fds[i] >= 0) {
				if (fcntl(fds[i], F_GETFD) < 0)
					abort();
				close(fds[i]);
			}
		}
	} else {
		for (i = 0; i < HC_DD_MAX_FDS; i++)
			if (fds[i] != -1)
				abort();
	}
	/* Nothing leaked, and nothing of ours closed behind our back. */
	if (count_fds() != before)
		abort();
	for (i = 0; i < POOL; i++)
		if (fcntl(pool[i], F_GETFD) < 0)
			abort();
	/* Whatever is left (a message refused half-way) must not reach the next input. */
	while (hc_dd_recv_attach(sv[1], &a, fds) != -EAGAIN)
		for (i = 0; i < HC_DD_MAX_FDS; i++)
			if (fds[i] >= 0)
				close(fds[i]);
	return 0;
}
