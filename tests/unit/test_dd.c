// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * hcall-dd as a separate process: this test plays shim and frontend. It
 * hands the driver domain a guest's memory and eventfds over a socket,
 * queues blkif requests, rings the doorbell and waits for the upcall: the
 * bytes must reach the image, the completion must be marked pending in the
 * guest's shared info, and hostile rings or bad attach requests must not
 * take the process down.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hcall/abi.h"
#include "hcall/dd.h"
#include "hcall/xenring.h"
#include <xen/grant_table.h>
#include <xen/io/blkif.h>

#define RAM (16u << 20)
#define TABLE_GPA 0x10000u
#define SHARED_GPA 0x30000u
#define SECTORS 4096u
#define PORT 9

/*
 * In-process calls of hc_dd_recv_attach() go through this recvmsg(): when
 * fail_with_fd is set, the next call writes a well-formed SCM_RIGHTS
 * message naming that fd into the control buffer (as stale stack bytes
 * would look) and fails.
 */
static int fail_with_fd = -1;

ssize_t recvmsg(int fd, struct msghdr *msg, int flags);
ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
	if (fail_with_fd >= 0 && msg->msg_controllen >= CMSG_SPACE(sizeof(int))) {
		struct cmsghdr *cm = (struct cmsghdr *)msg->msg_control;

		cm->cmsg_len = CMSG_LEN(sizeof(int));
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		memcpy(CMSG_DATA(cm), &fail_with_fd, sizeof(int));
		fail_with_fd = -1;
		errno = EIO;
		return -1;
	}
	return syscall(SYS_recvmsg, fd, msg, flags);
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	assert_non_null(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

struct guest {
	int sock, memfd, kick, upcall, img;
	pid_t dd;
	uint8_t *ram;
};

static uint8_t *gpa(struct guest *g, uint64_t a) { return g->ram + a; }

static int setup(void **state)
{
	struct guest *g = calloc(1, sizeof(*g));
	const char *bin = getenv("HCALL_DD") ? getenv("HCALL_DD") : "build/bin/hcall-dd";
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	g->dd = fork();
	if (g->dd == 0) {
		char fd[16];

		close(sv[0]);
		snprintf(fd, sizeof(fd), "%d", sv[1]);
		execl(bin, "hcall-dd", "--fd", fd, (char *)NULL);
		_exit(127);
	}
	close(sv[1]);
	g->sock = sv[0];
	g->memfd = memfd_create("guest", 0);
	assert_int_equal(ftruncate(g->memfd, RAM), 0);
	g->ram = mmap(NULL, RAM, PROT_READ | PROT_WRITE, MAP_SHARED, g->memfd, 0);
	assert_true(g->ram != MAP_FAILED);
	g->img = memfd_create("disk", 0);
	assert_int_equal(ftruncate(g->img, SECTORS * 512), 0);
	*state = g;
	return 0;
}

static int teardown(void **state)
{
	struct guest *g = *state;
	int status;

	close(g->sock);			/* the shim goes away ... */
	assert_int_equal(waitpid(g->dd, &status, 0), g->dd);
	assert_true(WIFEXITED(status));	/* ... and so does its driver domain, cleanly */
	assert_int_equal(WEXITSTATUS(status), 0);
	munmap(g->ram, RAM);
	close(g->memfd);
	close(g->img);
	free(g);
	return 0;
}

static void grant(struct guest *g, grant_ref_t ref, uint32_t frame, uint16_t flags)
{
	struct grant_entry_v1 *t = (void *)gpa(g, TABLE_GPA);

	t[ref].frame = frame;
	t[ref].domid = 0;
	t[ref].flags = flags;
}

/* Send an attach for a ring granted as @ring_ref; returns the reply status. */
static int attach(struct guest *g, grant_ref_t ring_ref, struct hc_dd_attach *override)
{
	struct hc_dd_attach a = {
		.magic = HC_DD_MAGIC, .version = HC_DD_VERSION, .mem = RAM,
		.gnttab_gpa = TABLE_GPA, .gnttab_entries = 256, .ring_ref = ring_ref,
		.shared_info_gpa = SHARED_GPA, .evtchn_port = PORT, .sectors = SECTORS,
		.flags = HC_DD_DISCARD,
	};
	struct hc_dd_reply rep;
	int fds[HC_DD_NR_FDS];

	g->kick = eventfd(0, EFD_NONBLOCK);
	g->upcall = eventfd(0, EFD_NONBLOCK);
	fds[0] = g->memfd;
	fds[1] = g->kick;
	fds[2] = g->upcall;
	fds[3] = g->img;
	if (override)
		a = *override;
	assert_int_equal(hc_dd_send_attach(g->sock, &a, fds), 0);
	assert_int_equal(recv(g->sock, &rep, sizeof(rep), 0), sizeof(rep));
	return rep.status;
}

static void wait_upcall(struct guest *g)
{
	struct pollfd p = { g->upcall, POLLIN, 0 };
	uint64_t v;

	assert_int_equal(poll(&p, 1, 10000), 1);
	assert_int_equal(read(g->upcall, &v, sizeof(v)), sizeof(v));
}

static void serves_a_ring_end_to_end(void **state)
{
	struct guest *g = *state;
	struct hcall_shared_info *sh = (void *)gpa(g, SHARED_GPA);
	blkif_sring_t *sring = (void *)gpa(g, 0x40000);
	blkif_front_ring_t front;
	blkif_request_t *req;
	uint8_t disk[4096];
	uint64_t one = 1;
	int notify;

	grant(g, 1, 0x40, GTF_permit_access);		/* the ring */
	grant(g, 2, 0x41, GTF_permit_access);		/* a data page */
	SHARED_RING_INIT(sring);
	FRONT_RING_INIT(&front, sring, 4096);
	assert_int_equal(attach(g, 1, NULL), 0);

	memset(gpa(g, 0x41000), 'Z', 4096);
	req = RING_GET_REQUEST(&front, front.req_prod_pvt++);
	memset(req, 0, sizeof(*req));
	req->operation = BLKIF_OP_WRITE;
	req->id = 77;
	req->sector_number = 8;
	req->nr_segments = 1;
	req->seg[0].gref = 2;
	req->seg[0].last_sect = 7;
	RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&front, notify);
	assert_true(notify);
	assert_int_equal(write(g->kick, &one, sizeof(one)), sizeof(one));	/* the doorbell */
	wait_upcall(g);
	assert_true(RING_HAS_UNCONSUMED_RESPONSES(&front));
	assert_int_equal(RING_GET_RESPONSE(&front, front.rsp_cons)->id, 77);
	assert_int_equal(RING_GET_RESPONSE(&front, front.rsp_cons)->status, BLKIF_RSP_OKAY);
	front.rsp_cons++;
	/* The completion is an event channel: pending bit, selector, upcall flag. */
	assert_true(sh->evtchn_pending[0] & (1ull << PORT));
	assert_true(sh->vcpu_info[0].evtchn_pending_sel & 1);
	assert_int_equal(sh->vcpu_info[0].evtchn_upcall_pending, 1);
	assert_int_equal(pread(g->img, disk, sizeof(disk), 8 * 512), sizeof(disk));
	assert_int_equal(disk[0], 'Z');
	assert_int_equal(disk[4095], 'Z');
}

static void hostile_rings_cost_only_themselves(void **state)
{
	struct guest *g = *state;
	blkif_sring_t *bad = (void *)gpa(g, 0x50000), *good = (void *)gpa(g, 0x60000);
	blkif_front_ring_t front;
	blkif_request_t *req;
	struct hc_dd_attach a = {
		.magic = HC_DD_MAGIC, .version = HC_DD_VERSION, .mem = RAM,
		.gnttab_gpa = TABLE_GPA, .gnttab_entries = 256, .ring_ref = 3,
		.shared_info_gpa = SHARED_GPA, .evtchn_port = PORT, .sectors = SECTORS,
	};
	uint64_t one = 1;
	int notify;

	/* Bad attach requests are refused, the process stays. */
	a.magic = 0;
	assert_int_equal(attach(g, 3, &a), -EPROTO);
	a.magic = HC_DD_MAGIC;
	a.mem = RAM * 2;			/* not the memfd's size */
	assert_int_equal(attach(g, 3, &a), -EINVAL);
	a.mem = RAM;
	a.sectors = SECTORS * 2;		/* larger than the image */
	assert_int_equal(attach(g, 3, &a), -ENOSPC);
	a.sectors = SECTORS;
	a.shared_info_gpa = RAM + 4096;		/* outside the guest */
	assert_int_equal(attach(g, 3, &a), -EFAULT);
	assert_int_equal(attach(g, 99, NULL), -EPERM);	/* ring page not granted */

	/* A ring whose producer index runs past its size. */
	grant(g, 3, 0x50, GTF_permit_access);
	SHARED_RING_INIT(bad);
	assert_int_equal(attach(g, 3, NULL), 0);
	bad->req_prod = 1000;
	assert_int_equal(write(g->kick, &one, sizeof(one)), sizeof(one));

	/* Another ring of the same process still works. */
	grant(g, 4, 0x60, GTF_permit_access);
	grant(g, 5, 0x61, GTF_permit_access);
	SHARED_RING_INIT(good);
	FRONT_RING_INIT(&front, good, 4096);
	assert_int_equal(attach(g, 4, NULL), 0);
	req = RING_GET_REQUEST(&front, front.req_prod_pvt++);
	memset(req, 0, sizeof(*req));
	req->operation = BLKIF_OP_READ;
	req->id = 5;
	req->nr_segments = 1;
	req->seg[0].gref = 5;
	req->seg[0].last_sect = 7;
	RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&front, notify);
	(void)notify;
	assert_int_equal(write(g->kick, &one, sizeof(one)), sizeof(one));
	wait_upcall(g);
	assert_int_equal(RING_GET_RESPONSE(&front, front.rsp_cons)->status, BLKIF_RSP_OKAY);
	assert_int_equal(kill(g->dd, 0), 0);
}

/* Detach frees a ring (its grant released) and its slot; bad ids are errors. */
static void detach_and_reattach(void **state)
{
	struct guest *g = *state;
	struct grant_entry_v1 *t = (void *)gpa(g, TABLE_GPA);
	struct hc_dd_attach d = {
		.magic = HC_DD_MAGIC, .version = HC_DD_VERSION, .op = HC_DD_OP_DETACH,
	};
	uint32_t id = 99;

	SHARED_RING_INIT((blkif_sring_t *)gpa(g, 0x40000));
	grant(g, 12, 0x40, GTF_permit_access);
	assert_int_equal(attach(g, 12, NULL), 0);
	assert_true(t[12].flags & GTF_writing);	/* the ring page is in use */
	d.ring_id = 0;
	assert_int_equal(hc_dd_call(g->sock, &d, NULL, &id), 0);
	assert_false(t[12].flags & (GTF_reading | GTF_writing));	/* let go */
	assert_int_equal(hc_dd_call(g->sock, &d, NULL, NULL), -ENOENT);
	d.ring_id = 1000000;
	assert_int_equal(hc_dd_call(g->sock, &d, NULL, NULL), -ENOENT);
	/* The slot is free again: the same ring attaches anew. */
	assert_int_equal(attach(g, 12, NULL), 0);
	close(g->kick);
	close(g->upcall);
}

/* Send @len bytes of @a with @nfd copies of @fd; returns sendmsg()'s result. */
static ssize_t send_raw(int sock, const void *a, size_t len, int fd, int nfd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * 8)];
		struct cmsghdr align;
	} c;
	struct iovec iov = { (void *)a, len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;
	int i;

	memset(&c, 0, sizeof(c));
	if (nfd) {
		msg.msg_control = c.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfd);
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfd);
		for (i = 0; i < nfd; i++)
			memcpy(CMSG_DATA(cm) + i * sizeof(int), &fd, sizeof(int));
	}
	return sendmsg(sock, &msg, MSG_NOSIGNAL);
}

static void expect_no_fds(const int fds[HC_DD_NR_FDS])
{
	for (int i = 0; i < HC_DD_NR_FDS; i++)
		assert_int_equal(fds[i], -1);
}

/* A failed recvmsg() leaves nothing to walk: no fd of ours is closed. */
static void failed_receive_closes_nothing(void **state)
{
	struct hc_dd_attach a;
	int sv[2], fds[HC_DD_NR_FDS], canary = eventfd(0, 0), ret;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	fail_with_fd = canary;
	ret = hc_dd_recv_attach(sv[1], &a, fds);
	assert_int_not_equal(fcntl(canary, F_GETFD), -1);	/* still ours */
	assert_int_equal(ret, -ECONNRESET);
	expect_no_fds(fds);
	/* A socket that is no socket at all fails the same way. */
	assert_int_equal(hc_dd_recv_attach(canary, &a, fds), -ECONNRESET);
	expect_no_fds(fds);
	close(canary);
	close(sv[0]);
	close(sv[1]);
}

/* Truncated, oversized, fd-less, fd-laden or unknown messages keep no fds. */
static void rejected_messages_keep_no_fds(void **state)
{
	struct hc_dd_attach a = { .magic = HC_DD_MAGIC, .version = HC_DD_VERSION },
			    big[2] = { a, a }, got;
	int sv[2], fds[HC_DD_NR_FDS], ev = eventfd(0, 0), before;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	before = count_fds();
	/* Longer than a message: MSG_TRUNC. */
	assert_true(send_raw(sv[0], big, sizeof(big), ev, 4) > 0);
	assert_int_equal(hc_dd_recv_attach(sv[1], &got, fds), -EPROTO);
	expect_no_fds(fds);
	/* Shorter. */
	assert_true(send_raw(sv[0], &a, sizeof(a) - 1, ev, 4) > 0);
	assert_int_equal(hc_dd_recv_attach(sv[1], &got, fds), -EPROTO);
	/* More fds than the control buffer holds: MSG_CTRUNC. */
	assert_true(send_raw(sv[0], &a, sizeof(a), ev, 7) > 0);
	assert_int_equal(hc_dd_recv_attach(sv[1], &got, fds), -EPROTO);
	/* Too few for an attach. */
	assert_true(send_raw(sv[0], &a, sizeof(a), ev, 3) > 0);
	assert_int_equal(hc_dd_recv_attach(sv[1], &got, fds), -EPROTO);
	/* A detach carrying fds. */
	a.op = HC_DD_OP_DETACH;
	assert_true(send_raw(sv[0], &a, sizeof(a), ev, 2) > 0);
	assert_int_equal(hc_dd_recv_attach(sv[1], &got, fds), -EPROTO);
	/* An operation nobody defined. */
	a.op = 7;
	assert_true(send_raw(sv[0], &a, sizeof(a), ev, 4) > 0);
	assert_int_equal(hc_dd_recv_attach(sv[1], &got, fds), -EPROTO);
	expect_no_fds(fds);
	/* An empty message reads as a hang-up, but its fds still go. */
	assert_int_equal(send_raw(sv[0], &a, 0, ev, 4), 0);
	assert_int_equal(hc_dd_recv_attach(sv[1], &got, fds), -ECONNRESET);
	assert_int_equal(count_fds(), before);
	/* And a good attach still works on the same connection. */
	a.op = HC_DD_OP_ATTACH;
	assert_true(send_raw(sv[0], &a, sizeof(a), ev, 4) > 0);
	assert_int_equal(hc_dd_recv_attach(sv[1], &got, fds), 0);
	for (int i = 0; i < HC_DD_NR_FDS; i++) {
		assert_true(fds[i] >= 0);
		close(fds[i]);
	}
	assert_int_equal(count_fds(), before);
	close(ev);
	close(sv[0]);
	close(sv[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(failed_receive_closes_nothing),
		cmocka_unit_test(rejected_messages_keep_no_fds),
		cmocka_unit_test_setup_teardown(serves_a_ring_end_to_end, setup, teardown),
		cmocka_unit_test_setup_teardown(hostile_rings_cost_only_themselves, setup, teardown),
		cmocka_unit_test_setup_teardown(detach_and_reattach, setup, teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests_name("hcall-dd", tests, NULL, NULL);
}
