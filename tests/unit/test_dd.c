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
#include <pthread.h>
#include <sched.h>
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
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hcall/abi.h"
#include "hcall/common/ddproto.h"
#include "hcall/xenring.h"
#include <xen/grant_table.h>
#include <xen/io/blkif.h>

#include "dd_fixture.h"

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

struct guest {
	int sock, memfd, kick, upcall, img, log;
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
	g->kick = g->upcall = -1;
	g->log = memfd_create("dd-stderr", 0);	/* what hcall-dd says, to count */
	g->dd = fork();
	if (g->dd == 0) {
		char fd[16];

		close(sv[0]);
		dup2(g->log, 2);
		snprintf(fd, sizeof(fd), "%d", sv[1]);
		execl(bin, "hcall-dd", "--fd", fd, (char *)NULL);
		_exit(127);
	}
	close(sv[1]);
	g->sock = sv[0];
	g->ram = sealed_guest_ram(RAM, &g->memfd);
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
	if (g->kick >= 0)
		close(g->kick);
	if (g->upcall >= 0)
		close(g->upcall);
	munmap(g->ram, RAM);
	close(g->memfd);
	close(g->img);
	close(g->log);
	free(g);
	return 0;
}

/* How many lines of hcall-dd's stderr contain @what. */
static int log_lines(struct guest *g, const char *what)
{
	char buf[65536], *p = buf;
	ssize_t n = pread(g->log, buf, sizeof(buf) - 1, 0);
	int count = 0;

	assert_true(n >= 0);
	buf[n] = 0;
	while ((p = strstr(p, what))) {
		count++;
		p += strlen(what);
	}
	return count;
}

/* Open fds of process @pid. */
static int count_fds_of(pid_t pid)
{
	char path[64];
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	d = opendir(path);
	assert_non_null(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n - 2;
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
		.magic = HC_DD_MAGIC, .version = HC_DD_VERSION, .type = HC_DD_TYPE_VBD, .nr_vcpus = 1,
		.nr_rings = 1, .nr_ports = 1, .mem = RAM,
		.gnttab_gpa = TABLE_GPA, .gnttab_entries = 256, .ring_ref = { ring_ref },
		.shared_info_gpa = SHARED_GPA, .evtchn_port = { PORT },
		.u.vbd = { .sectors = SECTORS, .flags = HC_DD_DISCARD },
	};
	struct hc_dd_reply rep;
	int fds[HC_DD_MAX_FDS];

	if (g->kick >= 0)
		close(g->kick);		/* hcall-dd has its own copies */
	if (g->upcall >= 0)
		close(g->upcall);
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
	struct hc_dd_attach a = {
		.magic = HC_DD_MAGIC, .version = HC_DD_VERSION, .type = HC_DD_TYPE_VBD, .nr_vcpus = 1,
		.nr_rings = 1, .nr_ports = 1, .mem = RAM,
		.gnttab_gpa = TABLE_GPA, .gnttab_entries = 256, .ring_ref = { 3 },
		.shared_info_gpa = SHARED_GPA, .evtchn_port = { PORT }, .u.vbd.sectors = SECTORS,
	};
	uint64_t one = 1;

	/* Bad attach requests are refused, the process stays. */
	a.magic = 0;
	assert_int_equal(attach(g, 3, &a), -EPROTO);
	a.magic = HC_DD_MAGIC;
	a.mem = RAM * 2;			/* not the memfd's size */
	assert_int_equal(attach(g, 3, &a), -EINVAL);
	a.mem = RAM;
	a.u.vbd.sectors = SECTORS * 2;		/* larger than the image */
	assert_int_equal(attach(g, 3, &a), -ENOSPC);
	a.u.vbd.sectors = SECTORS;
	/* Fields the vbd type does not use, or not so, are refused. */
	a.nr_rings = 2;
	assert_int_equal(attach(g, 3, &a), -EINVAL);
	a.nr_rings = 1;
	a.ring_ref[1] = 7;			/* an unused ref with a value */
	assert_int_equal(attach(g, 3, &a), -EINVAL);
	a.ring_ref[1] = 0;
	a.u.vbd.flags = 1u << 5;		/* a flag nobody defined */
	assert_int_equal(attach(g, 3, &a), -EINVAL);
	a.u.vbd.flags = 0;
	a.u.room[sizeof(a.u.vbd)] = 1;		/* past the vbd part */
	assert_int_equal(attach(g, 3, &a), -EINVAL);
	a.u.room[sizeof(a.u.vbd)] = 0;
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
	push_one_page(&front, BLKIF_OP_READ, 5, 0, 5);
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
}

/* Send @len bytes of @a with @nfd (at most HC_DD_MAX_FDS + 1) copies of @fd; sendmsg()'s result. */
static ssize_t send_raw(int sock, const void *a, size_t len, int fd, int nfd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * (HC_DD_MAX_FDS + 1))];
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

static void expect_no_fds(const int fds[HC_DD_MAX_FDS])
{
	for (int i = 0; i < HC_DD_MAX_FDS; i++)
		assert_int_equal(fds[i], -1);
}

/* A failed recvmsg() leaves nothing to walk: no fd of ours is closed. */
static void failed_receive_closes_nothing(void **state)
{
	struct hc_dd_attach a;
	int sv[2], fds[HC_DD_MAX_FDS], canary = eventfd(0, 0), ret;

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
	struct hc_dd_attach a = { .magic = HC_DD_MAGIC, .version = HC_DD_VERSION,
				  .type = HC_DD_TYPE_VBD, .nr_rings = 1, .nr_ports = 1, .nr_vcpus = 1 },
			    big[2] = { a, a }, got;
	int sv[2], fds[HC_DD_MAX_FDS], ev = eventfd(0, 0), before;

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
	/* A type nobody defined, past the table and within it (0), too many ports. */
	a.type = 99;
	assert_true(send_raw(sv[0], &a, sizeof(a), ev, 4) > 0);
	assert_int_equal(hc_dd_recv_attach(sv[1], &got, fds), -EPROTO);
	expect_no_fds(fds);
	a.type = 0;
	assert_true(send_raw(sv[0], &a, sizeof(a), ev, 4) > 0);
	assert_int_equal(hc_dd_recv_attach(sv[1], &got, fds), -EPROTO);
	a.type = HC_DD_TYPE_VBD;
	a.nr_ports = HC_DD_MAX_PORTS + 1;
	assert_true(send_raw(sv[0], &a, sizeof(a), ev, 6) > 0);
	assert_int_equal(hc_dd_recv_attach(sv[1], &got, fds), -EPROTO);
	expect_no_fds(fds);
	/* No vCPU, or more than a guest can have: no upcall fds to take. */
	a.nr_ports = 1;
	a.nr_vcpus = 0;
	assert_true(send_raw(sv[0], &a, sizeof(a), ev, 3) > 0);
	assert_int_equal(hc_dd_recv_attach(sv[1], &got, fds), -EPROTO);
	expect_no_fds(fds);
	a.nr_vcpus = HCALL_MAX_VCPUS + 1;
	assert_true(send_raw(sv[0], &a, sizeof(a), ev, HC_DD_MAX_FDS) > 0);
	assert_int_equal(hc_dd_recv_attach(sv[1], &got, fds), -EPROTO);
	expect_no_fds(fds);
	a.nr_vcpus = 1;
	/* Two ports need two kick fds: four are one short. */
	a.nr_ports = 2;
	assert_true(send_raw(sv[0], &a, sizeof(a), ev, 4) > 0);
	assert_int_equal(hc_dd_recv_attach(sv[1], &got, fds), -EPROTO);
	a.nr_ports = 1;
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
	for (int i = 0; i < HC_DD_MAX_FDS; i++) {
		assert_true((fds[i] >= 0) == (i < 4));	/* RAM, kick, upcall, image */
		if (fds[i] >= 0)
			close(fds[i]);
	}
	assert_int_equal(count_fds(), before);
	close(ev);
	close(sv[0]);
	close(sv[1]);
}


static struct hc_dd_attach detach_msg(uint32_t ring_id)
{
	struct hc_dd_attach d = {
		.magic = HC_DD_MAGIC, .version = HC_DD_VERSION, .op = HC_DD_OP_DETACH,
		.ring_id = ring_id,
	};

	return d;
}

/* A memfd a peer could shrink under hcall-dd (SIGBUS) is not mapped. */
static void unsealed_guest_memory_is_refused(void **state)
{
	struct guest *g = *state;
	int sealed = g->memfd, loose = memfd_create("loose", MFD_ALLOW_SEALING);

	SHARED_RING_INIT((blkif_sring_t *)gpa(g, 0x40000));
	grant(g, 1, 0x40, GTF_permit_access);
	/* The same guest memory (ring and grant included), just not sealed. */
	assert_int_equal(pwrite(loose, g->ram, RAM, 0), RAM);
	g->memfd = loose;
	assert_int_equal(attach(g, 1, NULL), -EPERM);		/* no seals */
	assert_int_equal(fcntl(loose, F_ADD_SEALS, F_SEAL_SHRINK), 0);
	assert_int_equal(attach(g, 1, NULL), -EPERM);		/* still growable */
	/* Sealed, but hugetlbfs: a hole there is SIGBUS (where the kernel has it). */
	close(loose);
	loose = memfd_create("huge", MFD_ALLOW_SEALING | MFD_HUGETLB);
	if (loose >= 0 && !ftruncate(loose, RAM) &&
	    !fcntl(loose, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW)) {
		g->memfd = loose;
		assert_int_equal(attach(g, 1, NULL), -EPERM);
	}
	g->memfd = sealed;
	assert_int_equal(attach(g, 1, NULL), 0);
	if (loose >= 0)
		close(loose);
}

/*
 * Two rings of one guest map the same grant (here both use one ring page,
 * as a frontend that reconnects or a hostile one may): the guest's in-use
 * flag stays until the last of them lets go.
 */
static void a_grant_shared_by_two_rings_stays_in_use(void **state)
{
	struct guest *g = *state;
	struct grant_entry_v1 *t = (void *)gpa(g, TABLE_GPA);
	struct hc_dd_attach d;
	uint32_t a_id, b_id;

	SHARED_RING_INIT((blkif_sring_t *)gpa(g, 0x40000));
	grant(g, 20, 0x40, GTF_permit_access);
	assert_int_equal(attach(g, 20, NULL), 0);
	a_id = 0;
	assert_int_equal(attach(g, 20, NULL), 0);
	b_id = 1;
	d = detach_msg(a_id);
	assert_int_equal(hc_dd_call(g->sock, &d, NULL, NULL), 0);
	assert_int_equal(t[20].flags & (GTF_reading | GTF_writing), GTF_reading | GTF_writing);
	d = detach_msg(b_id);
	assert_int_equal(hc_dd_call(g->sock, &d, NULL, NULL), 0);
	assert_int_equal(t[20].flags, GTF_permit_access);
}

/* One peer gets at most 32 rings (8 disks x 4 queues), each a few fds. */
static void a_peer_has_a_bounded_share_of_rings_and_fds(void **state)
{
	struct guest *g = *state;
	int base, i;

	SHARED_RING_INIT((blkif_sring_t *)gpa(g, 0x40000));
	grant(g, 1, 0x40, GTF_permit_access);
	base = count_fds_of(g->dd);
	for (i = 0; i < 32; i++)
		assert_int_equal(attach(g, 1, NULL), 0);
	assert_int_equal(attach(g, 1, NULL), -ENOSPC);
	/* A ring holds kick, upcall, image, stop eventfd, io_uring: no more. */
	assert_true(count_fds_of(g->dd) <= base + 32 * 5);
}

/* A guest corrupting ring after ring does not flood the log. */
static void corrupted_rings_are_reported_rate_limited(void **state)
{
	struct guest *g = *state;
	blkif_sring_t *bad = (void *)gpa(g, 0x50000);
	int i;

	grant(g, 3, 0x50, GTF_permit_access);
	SHARED_RING_INIT(bad);
	bad->req_prod = 1000;		/* each ring dies as it starts */
	for (i = 0; i < 12; i++)
		assert_int_equal(attach(g, 3, NULL), 0);
	for (i = 0; i < 12; i++) {	/* once detached, each thread has reported */
		struct hc_dd_attach d = detach_msg((uint32_t)i);

		assert_int_equal(hc_dd_call(g->sock, &d, NULL, NULL), 0);
	}
	assert_true(log_lines(g, "corrupted its ring") >= 1);
	assert_true(log_lines(g, "corrupted its ring") <= 5);
}

/*
 * The flooder: a frontend that refills each slot the moment its response
 * is written, so the ring is never empty and hcall-dd never sleeps. Each
 * request is a write with a cache flush before and after (a real file: each
 * takes a while), so the backend, not the flooder, sets the pace.
 */
#define FLOOD_ID 0x5a5a5a5a5a5a5a5aull

struct flood {
	struct guest *g;
	blkif_sring_t *sring;
	int stop;
	uint64_t answered;
};

/* Slot @i: a 128 KiB write between two flushes, its segments on page 0x72. */
static void flood_request(struct flood *f, RING_IDX i)
{
	blkif_request_indirect_t req;

	memset(&req, 0, sizeof(req));
	req.operation = BLKIF_OP_INDIRECT;
	req.indirect_op = BLKIF_OP_FLUSH_DISKCACHE;
	req.nr_segments = 32;
	req.id = FLOOD_ID;
	req.sector_number = 256 * (i % 8);
	req.indirect_grefs[0] = 32;
	memcpy(&f->sring->ring[i % 32].req, &req, sizeof(req));
}

static void *flooder(void *arg)
{
	struct flood *f = arg;
	RING_IDX next = 0;	/* the next response to wait for */
	uint64_t one = 1;

	/* Keep up even on a busy machine (best effort: needs CAP_SYS_NICE). */
	if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), -10)) {
		/* Unprivileged: the flood is only less steady. */
	}

	while (!__atomic_load_n(&f->stop, __ATOMIC_ACQUIRE)) {
		volatile uint64_t *w = (volatile uint64_t *)(void *)&f->sring->ring[next % 32];

		/* Both halves of the response written: the slot is free again. */
		if (w[0] != FLOOD_ID || w[1] == FLOOD_ID)
			continue;
		flood_request(f, next + 32);
		__atomic_store_n(&f->sring->req_prod, next + 32, __ATOMIC_RELEASE);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		/* The backend caught up and went to sleep: ring its doorbell. */
		if (__atomic_load_n(&f->sring->req_event, __ATOMIC_ACQUIRE) == next + 32 &&
		    write(f->g->kick, &one, sizeof(one)) != sizeof(one))
			break;
		__atomic_store_n(&f->answered, (uint64_t)next + 1, __ATOMIC_RELEASE);
		next++;
	}
	return NULL;
}

static void a_flooded_ring_still_detaches(void **state)
{
	struct guest *g = *state;
	struct flood f = { .g = g, .sring = (void *)gpa(g, 0x70000) };
	struct hc_dd_attach d = detach_msg(0);
	struct timeval tv = { .tv_sec = 5 };
	struct timespec t0, t1;
	char path[] = "/tmp/hcall-test-dd-flood.XXXXXX";
	pthread_t t;
	uint64_t one = 1;
	int mem_img = g->img, ret;
	RING_IDX i;

	/* A real file: its flushes cost time, as a busy disk's do. */
	g->img = mkstemp(path);
	assert_true(g->img >= 0);
	unlink(path);
	assert_int_equal(ftruncate(g->img, SECTORS * 512), 0);
	grant(g, 30, 0x70, GTF_permit_access);
	grant(g, 31, 0x71, GTF_permit_access);
	grant(g, 32, 0x72, GTF_permit_access);
	for (i = 0; i < 32; i++) {
		struct blkif_request_segment *seg = (void *)gpa(g, 0x72000);

		seg[i].gref = 31;
		seg[i].first_sect = 0;
		seg[i].last_sect = 7;
	}
	SHARED_RING_INIT(f.sring);
	for (i = 0; i < 32; i++)
		flood_request(&f, i);
	f.sring->rsp_event = 1u << 30;	/* no upcalls wanted */
	assert_int_equal(attach(g, 30, NULL), 0);
	assert_int_equal(pthread_create(&t, NULL, flooder, &f), 0);
	__atomic_store_n(&f.sring->req_prod, 32, __ATOMIC_RELEASE);
	assert_int_equal(write(g->kick, &one, sizeof(one)), sizeof(one));
	/* Busy: more answered than a few batches of 128. */
	while (__atomic_load_n(&f.answered, __ATOMIC_ACQUIRE) < 300)
		sched_yield();
	assert_int_equal(setsockopt(g->sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ret = hc_dd_call(g->sock, &d, NULL, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	__atomic_store_n(&f.stop, 1, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	assert_int_equal(ret, 0);		/* not -ETIMEDOUT */
	assert_true(t1.tv_sec - t0.tv_sec < 3);
	close(g->img);
	g->img = mem_img;
}
int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(failed_receive_closes_nothing),
		cmocka_unit_test(rejected_messages_keep_no_fds),
		cmocka_unit_test_setup_teardown(serves_a_ring_end_to_end, setup, teardown),
		cmocka_unit_test_setup_teardown(hostile_rings_cost_only_themselves, setup, teardown),
		cmocka_unit_test_setup_teardown(detach_and_reattach, setup, teardown),
		cmocka_unit_test_setup_teardown(unsealed_guest_memory_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(a_grant_shared_by_two_rings_stays_in_use, setup, teardown),
		cmocka_unit_test_setup_teardown(a_peer_has_a_bounded_share_of_rings_and_fds, setup, teardown),
		cmocka_unit_test_setup_teardown(corrupted_rings_are_reported_rate_limited, setup, teardown),
		cmocka_unit_test_setup_teardown(a_flooded_ring_still_detaches, setup, teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests_name("hcall-dd", tests, NULL, NULL);
}
