// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The driver domain's ring, in process: hc_dd_ring_start() with a vbd
 * attach finds the type in hcall-dd's table, checks the common part,
 * maps the guest and runs the type's ops; a request is served and counted
 * by the vbd engine's counters. Attaches the ring refuses (a type not served,
 * fds missing, a bad port) keep none of their fds.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hcall/abi.h"
#include "hcall/common/ddproto.h"
#include "hcall/dd/blkback.h"
#include "hcall/dd/ddring.h"
#include "hcall/dd/ddtypes.h"
#include "hcall/guestmem.h"
#include "hcall/xenring.h"
#include <xen/grant_table.h>
#include <xen/io/blkif.h>

#include "dd_fixture.h"

#define RAM (16u << 20)
#define TABLE_GPA 0x10000u
#define SHARED_GPA 0x30000u
#define RING_GPA 0x40000u
#define DATA_GPA 0x41000u
#define SECTORS 4096u
#define PORT 9

struct fx {
	int memfd, img;
	uint8_t *ram;
	size_t len;		/* RAM, and what a shim keeps past it */
};

static int setup_len(void **state, size_t len)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct grant_entry_v1 *t;

	f->len = len;
	f->ram = sealed_guest_ram(len, &f->memfd);
	t = (void *)(f->ram + TABLE_GPA);
	t[1] = (struct grant_entry_v1){ GTF_permit_access, 0, RING_GPA >> 12 };
	t[2] = (struct grant_entry_v1){ GTF_permit_access, 0, DATA_GPA >> 12 };
	SHARED_RING_INIT((blkif_sring_t *)(f->ram + RING_GPA));
	f->img = memfd_create("disk", MFD_CLOEXEC);
	assert_int_equal(ftruncate(f->img, SECTORS * 512), 0);
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return setup_len(state, RAM);
}

/* As a shim makes it: the balloon's pages and the ports' targets past RAM. */
static int setup_shim_memfd(void **state)
{
	return setup_len(state, RAM + hc_host_meta_bytes(RAM));
}

static int teardown(void **state)
{
	struct fx *f = *state;

	munmap(f->ram, f->len);
	close(f->memfd);
	close(f->img);
	free(f);
	return 0;
}

static struct hc_dd_attach vbd_attach(void)
{
	struct hc_dd_attach a = {
		.magic = HC_DD_MAGIC, .version = HC_DD_VERSION, .type = HC_DD_TYPE_VBD, .nr_vcpus = 1,
		.nr_rings = 1, .nr_ports = 1, .mem = RAM, .gnttab_gpa = TABLE_GPA,
		.gnttab_entries = 256, .ring_ref = { 1 }, .shared_info_gpa = SHARED_GPA,
		.evtchn_port = { PORT }, .u.vbd = { .sectors = SECTORS, .flags = HC_DD_DISCARD },
	};

	return a;
}

/* Copies of the fds an attach carries (the ring takes them over). */
static void fds_for(struct fx *f, int fds[HC_DD_MAX_FDS], int kick, int upcall)
{
	for (int i = 0; i < HC_DD_MAX_FDS; i++)
		fds[i] = -1;
	fds[HC_DD_FD_RAM] = dup(f->memfd);
	fds[HC_DD_FD_KICK] = dup(kick);
	fds[HC_DD_FD_UPCALL(1)] = dup(upcall);
	fds[HC_DD_FD_TYPE(1, 1)] = dup(f->img);
}

static void serves_and_counts_through_the_type_ops(void **state)
{
	struct fx *f = *state;
	const struct hc_dd_backend_ops *ops = hc_dd_backend_find(HC_DD_TYPE_VBD);
	struct hc_dd_attach a = vbd_attach();
	int kick = eventfd(0, EFD_NONBLOCK), upcall = eventfd(0, EFD_NONBLOCK);
	struct pollfd p = { upcall, POLLIN, 0 };
	struct hc_dd_ring r;
	blkif_front_ring_t front;
	int fds[HC_DD_MAX_FDS];
	const struct hc_blkback *bb;
	uint64_t one = 1;

	assert_non_null(ops);
	assert_null(hc_dd_backend_find(0));	/* no type has number 0 */
	fds_for(f, fds, kick, upcall);
	assert_int_equal(hc_dd_ring_start(&r, &a, fds), 0);
	assert_ptr_equal(r.ops, ops);
	FRONT_RING_INIT(&front, (blkif_sring_t *)(f->ram + RING_GPA), 4096);
	memset(f->ram + DATA_GPA, 'Q', 4096);
	push_one_page(&front, BLKIF_OP_WRITE, 5, 0, 2);
	assert_int_equal(write(kick, &one, sizeof(one)), sizeof(one));
	assert_int_equal(poll(&p, 1, 10000), 1);
	assert_int_equal(RING_GET_RESPONSE(&front, front.rsp_cons)->status, BLKIF_RSP_OKAY);
	bb = r.priv;	/* the vbd engine counted it */
	assert_int_equal(bb->requests, 1);
	assert_int_equal(bb->errors, 0);
	assert_int_equal(bb->bytes, 4096);
	hc_dd_ring_stop(&r);
	close(kick);
	close(upcall);
}

static void refused_attaches_keep_no_fds(void **state)
{
	struct fx *f = *state;
	int kick = eventfd(0, 0), upcall = eventfd(0, 0), before = count_fds();
	struct hc_dd_attach a;
	struct hc_dd_ring r;
	int fds[HC_DD_MAX_FDS];

	a = vbd_attach();
	a.type = 0;			/* no ops for it in this driver domain */
	fds_for(f, fds, kick, upcall);
	assert_int_equal(hc_dd_ring_start(&r, &a, fds), -EPROTO);
	assert_int_equal(count_fds(), before);
	a = vbd_attach();
	fds_for(f, fds, kick, upcall);
	close(fds[HC_DD_FD_TYPE(1, 1)]);
	fds[HC_DD_FD_TYPE(1, 1)] = -1;	/* the image missing */
	assert_int_equal(hc_dd_ring_start(&r, &a, fds), -EBADF);
	assert_int_equal(count_fds(), before);
	a.evtchn_port[0] = HCALL_NR_EVTCHN;
	fds_for(f, fds, kick, upcall);
	assert_int_equal(hc_dd_ring_start(&r, &a, fds), -EINVAL);
	assert_int_equal(count_fds(), before);
	a = vbd_attach();
	a.evtchn_port[1] = 3;		/* a second port the attach does not count */
	fds_for(f, fds, kick, upcall);
	assert_int_equal(hc_dd_ring_start(&r, &a, fds), -EINVAL);
	assert_int_equal(count_fds(), before);
	close(kick);
	close(upcall);
}

static int readable(int fd)
{
	struct pollfd p = { fd, POLLIN, 0 };

	return poll(&p, 1, 0) == 1;
}

/*
 * A port's completions go to the irqfd of the vCPU the shim's table names
 * (read at each raise), and a target no vCPU of the attach has means vCPU
 * 0: never the fd after the upcalls (the disk image).
 */
static void completions_go_to_the_ports_vcpu(void **state)
{
	struct fx *f = *state;
	struct hc_dd_attach a = vbd_attach();
	int kick = eventfd(0, EFD_NONBLOCK), up[2] = { eventfd(0, EFD_NONBLOCK), eventfd(0, EFD_NONBLOCK) };
	uint8_t *targets = f->ram + hc_evtchn_targets_offset(RAM);
	struct hcall_shared_info *sh = (void *)(f->ram + SHARED_GPA);
	struct pollfd p[2] = { { up[0], POLLIN, 0 }, { up[1], POLLIN, 0 } };
	struct hc_dd_ring r;
	blkif_front_ring_t front;
	int fds[HC_DD_MAX_FDS], i, more;
	uint64_t v, one = 1;
	off_t img_size;

	a.nr_vcpus = 2;
	for (i = 0; i < HC_DD_MAX_FDS; i++)
		fds[i] = -1;
	fds[HC_DD_FD_RAM] = dup(f->memfd);
	fds[HC_DD_FD_KICK] = dup(kick);
	fds[HC_DD_FD_UPCALL(1)] = dup(up[0]);
	fds[HC_DD_FD_UPCALL(1) + 1] = dup(up[1]);
	fds[HC_DD_FD_TYPE(1, 2)] = dup(f->img);
	img_size = lseek(f->img, 0, SEEK_END);
	targets[PORT] = 1;
	assert_int_equal(hc_dd_ring_start(&r, &a, fds), 0);
	FRONT_RING_INIT(&front, (blkif_sring_t *)(f->ram + RING_GPA), 4096);
	push_one_page(&front, BLKIF_OP_WRITE, 1, 0, 2);
	assert_int_equal(write(kick, &one, sizeof(one)), sizeof(one));
	assert_int_equal(poll(&p[1], 1, 10000), 1);
	assert_false(readable(up[0]));
	assert_int_equal(sh->vcpu_info[1].evtchn_upcall_pending, 1);
	assert_int_equal(sh->vcpu_info[1].evtchn_pending_sel, 1ull << (PORT / 64));
	assert_int_equal(sh->vcpu_info[0].evtchn_upcall_pending, 0);
	/* The guest took it; the shim's table now says a vCPU the ring was not given. */
	assert_int_equal(read(up[1], &v, sizeof(v)), sizeof(v));
	front.rsp_cons = front.sring->rsp_prod;
	RING_FINAL_CHECK_FOR_RESPONSES(&front, more);	/* and asks for the next */
	assert_int_equal(more, 0);
	sh->vcpu_info[1].evtchn_upcall_pending = 0;
	sh->evtchn_pending[PORT / 64] = 0;
	targets[PORT] = 2;
	push_one_page(&front, BLKIF_OP_WRITE, 2, 8, 2);
	assert_int_equal(write(kick, &one, sizeof(one)), sizeof(one));
	assert_int_equal(poll(&p[0], 1, 10000), 1);
	assert_false(readable(up[1]));
	assert_int_equal(sh->vcpu_info[0].evtchn_upcall_pending, 1);
	hc_dd_ring_stop(&r);
	assert_int_equal(lseek(f->img, 0, SEEK_END), img_size);	/* nothing written past it */
	assert_int_equal(pread(f->img, &v, sizeof(v), 8 * 512 + 4096), sizeof(v));
	/* Two vCPUs on a bare RAM memfd (no targets to read): refused. */
	{
		int ram_fd, before;
		uint8_t *bare = sealed_guest_ram(RAM, &ram_fd);

		before = count_fds();
		fds_for(f, fds, kick, up[0]);
		close(fds[HC_DD_FD_RAM]);
		fds[HC_DD_FD_RAM] = dup(ram_fd);
		fds[HC_DD_FD_TYPE(1, 2)] = fds[HC_DD_FD_TYPE(1, 1)];
		fds[HC_DD_FD_UPCALL(1) + 1] = dup(up[1]);
		a = vbd_attach();
		a.nr_vcpus = 2;
		assert_int_equal(hc_dd_ring_start(&r, &a, fds), -EINVAL);
		assert_int_equal(count_fds(), before);
		munmap(bare, RAM);
		close(ram_fd);
	}
	/* An upcall that is not an eventfd (a pipe a write could block on): refused. */
	{
		int pipefd[2], before = count_fds();

		assert_int_equal(pipe(pipefd), 0);
		before = count_fds();
		fds_for(f, fds, kick, up[0]);
		a = vbd_attach();
		close(fds[HC_DD_FD_UPCALL(1)]);
		fds[HC_DD_FD_UPCALL(1)] = dup(pipefd[1]);
		assert_int_equal(hc_dd_ring_start(&r, &a, fds), -EBADF);
		assert_int_equal(count_fds(), before);
		close(pipefd[0]);
		close(pipefd[1]);
	}
	close(kick);
	close(up[0]);
	close(up[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(serves_and_counts_through_the_type_ops, setup,
						teardown),
		cmocka_unit_test_setup_teardown(refused_attaches_keep_no_fds, setup, teardown),
		cmocka_unit_test_setup_teardown(completions_go_to_the_ports_vcpu, setup_shim_memfd,
						teardown),
	};

	return cmocka_run_group_tests_name("ddring", tests, NULL, NULL);
}
