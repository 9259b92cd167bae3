// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The shim's block toolstack against a hostile frontend, without KVM: the
 * test plays the guest through the store hypercall (as a guest would),
 * with the real hcall-dd behind it. Bad ring refs, ports that are not the
 * guest's backend ports, ports used twice, too many queues and a foreign
 * protocol are refused with the backend closing; a good frontend connects,
 * disconnects and reconnects.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hcall/blkreq.h"
#include "hcall/store.h"
#include "hcall/vbd.h"
#include "hcall/vm.h"

#define RAM (16u << 20)
#define SHARED_GPA 0x20000u
#define TABLE_GPA 0x30000u	/* 4 frames */
#define RING_GPA 0x40000u
#define PATH 0x50000u
#define VAL 0x51000u
#define FE "device/vbd/51712"
#define BE "backend/vbd/1/51712"

struct fx {
	struct hc_vm vm;
	char img[64];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct hc_vm *vm = &f->vm;
	char err[256];
	int fd;

	assert_int_equal(hc_vm_init_state(vm, err, sizeof(err)), 0);
	vm->mem_fd = memfd_create("guest", MFD_CLOEXEC);
	assert_int_equal(ftruncate(vm->mem_fd, RAM), 0);
	vm->ram = mmap(NULL, RAM, PROT_READ | PROT_WRITE, MAP_SHARED, vm->mem_fd, 0);
	vm->mem = RAM;
	vm->ncpus = 1;
	vm->pv.upcall_fd = eventfd(0, EFD_NONBLOCK);
	vm->pv.enabled = 1;
	vm->pv.shared = (void *)(vm->ram + SHARED_GPA);
	vm->pv.gnttab_gpa = TABLE_GPA;
	vm->pv.gnttab_frames = 4;
	assert_int_equal(hc_store_setup(vm), 0);
	snprintf(f->img, sizeof(f->img), "/tmp/hcall-test-vbd.%d", getpid());
	fd = open(f->img, O_CREAT | O_RDWR | O_TRUNC, 0600);
	assert_int_equal(ftruncate(fd, 1 << 20), 0);
	close(fd);
	assert_int_equal(hc_vbd_add(vm, f->img, err, sizeof(err)), 0);
	assert_int_equal(hc_vbd_start(vm, getenv("HCALL_DD") ? getenv("HCALL_DD") :
				      "build/bin/hcall-dd", NULL, err, sizeof(err)), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	hc_pv_destroy(&f->vm);
	hc_vbd_free(&f->vm);
	unlink(f->img);
	munmap(f->vm.ram, RAM);
	close(f->vm.mem_fd);
	close(f->vm.stop_efd);
	free(f->vm.ports);
	free(f);
	return 0;
}

/* The guest writes FE/@node = @val through HCALL_store. */
static int64_t put(struct fx *f, const char *node, const char *val)
{
	uint64_t a[5] = { HCALL_STORE_WRITE, PATH, VAL, strlen(val), 0 };

	snprintf((char *)f->vm.ram + PATH, 256, "%s/%s", FE, node);
	memcpy(f->vm.ram + VAL, val, strlen(val));
	return hc_hypercall(&f->vm, 0, HCALL_store, a);
}

/* Read BE/@node as a number (the backend's side), -1 if absent. */
static long be(struct fx *f, const char *node)
{
	char path[128], buf[32];
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", BE, node);
	if (hc_store_read(f->vm.pv.store, path, buf, sizeof(buf) - 1, &n))
		return -1;
	buf[n] = '\0';
	return strtol(buf, NULL, 10);
}

static int alloc_port(struct fx *f)
{
	const uint64_t a[5] = { HCALL_DOMID_BACKEND };

	return (int)hc_hypercall(&f->vm, 0, HCALL_evtchn_alloc, a);
}

/* A ring page granted to the backend as @ref. */
static void ring(struct fx *f, unsigned int ref)
{
	struct grant_entry_v1 *t = (void *)(f->vm.ram + TABLE_GPA);

	SHARED_RING_INIT((blkif_sring_t *)(f->vm.ram + RING_GPA));
	t[ref].frame = RING_GPA >> 12;
	t[ref].domid = HCALL_DOMID_BACKEND;
	t[ref].flags = GTF_permit_access;
}

/* Start over: frontend Closed, backend back to InitWait, error cleared. */
static void reset(struct fx *f)
{
	char p[64];

	assert_int_equal(put(f, "state", "6"), 0);
	assert_int_equal(be(f, "state"), 2);
	snprintf(p, sizeof(p), "%s/error", BE);
	hc_store_rm(f->vm.pv.store, HC_STORE_TOOL, p);
}

static void refused(struct fx *f, const char *why)
{
	char p[64], msg[128];
	size_t n;

	assert_int_equal(put(f, "state", "3"), 0);
	print_message("%s: backend state %ld\n", why, be(f, "state"));
	assert_int_equal(be(f, "state"), 5);	/* Closing, with a reason */
	snprintf(p, sizeof(p), "%s/error", BE);
	assert_int_equal(hc_store_read(f->vm.pv.store, p, msg, sizeof(msg), &n), 0);
	reset(f);
}

static void hostile_frontends_are_refused(void **state)
{
	struct fx *f = *state;
	int port = alloc_port(f);
	char num[16];

	assert_true(port > 0);
	assert_int_equal(be(f, "state"), 2);	/* InitWait from the start */
	ring(f, 20);
	/* Nothing published. */
	refused(f, "no ring-ref");
	/* A port that is not a backend port of this guest. */
	put(f, "ring-ref", "20");
	put(f, "event-channel", "63");
	refused(f, "unallocated port");
	put(f, "event-channel", "0");
	refused(f, "port 0");
	put(f, "event-channel", "-3");
	refused(f, "negative port");
	put(f, "event-channel", "99999999999");
	refused(f, "huge port");
	/* A ring ref past the table or not granted. */
	snprintf(num, sizeof(num), "%d", port);
	put(f, "event-channel", num);
	put(f, "ring-ref", "4096");
	refused(f, "ring-ref past the table");
	put(f, "ring-ref", "21");
	refused(f, "ring-ref never granted");
	put(f, "ring-ref", "20 ");
	refused(f, "ring-ref with junk");
	/* Another protocol, too many queues. */
	put(f, "ring-ref", "20");
	put(f, "protocol", "x86_32-abi");
	refused(f, "foreign protocol");
	put(f, "protocol", "x86_64-abi");
	put(f, "multi-queue-num-queues", "9");
	refused(f, "9 queues");
	/* Two queues on one port. */
	put(f, "multi-queue-num-queues", "2");
	put(f, "queue-0/ring-ref", "20");
	put(f, "queue-0/event-channel", num);
	put(f, "queue-1/ring-ref", "20");
	put(f, "queue-1/event-channel", num);
	refused(f, "one port twice");
	assert_int_equal(f->vm.vbds->connects, 0);
	assert_false(f->vm.pv.ports[port].attached);	/* nothing left half-attached */
}

static void connects_disconnects_reconnects(void **state)
{
	struct fx *f = *state;
	struct grant_entry_v1 *t = (void *)(f->vm.ram + TABLE_GPA);
	int port = alloc_port(f);
	char num[16];
	int round;

	snprintf(num, sizeof(num), "%d", port);
	ring(f, 20);
	put(f, "ring-ref", "20");
	put(f, "event-channel", num);
	put(f, "protocol", "x86_64-abi");
	for (round = 1; round <= 2; round++) {
		assert_int_equal(put(f, "state", "3"), 0);
		assert_int_equal(be(f, "state"), 4);		/* Connected */
		assert_true(t[20].flags & GTF_writing);		/* hcall-dd holds the ring */
		assert_true(f->vm.pv.ports[port].attached);
		assert_int_equal(put(f, "state", "5"), 0);
		assert_int_equal(be(f, "state"), 6);		/* Closed */
		assert_false(t[20].flags & (GTF_reading | GTF_writing));
		assert_false(f->vm.pv.ports[port].attached);
		assert_int_equal(put(f, "state", "1"), 0);	/* a new frontend */
		assert_int_equal(be(f, "state"), 2);
	}
	assert_int_equal(f->vm.vbds->connects, 2);
	assert_int_equal(f->vm.vbds->disconnects, 2);
	assert_int_equal(be(f, "sectors"), 2048);
	assert_int_equal(be(f, "feature-max-indirect-segments"), HC_BLK_MAX_INDIRECT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(hostile_frontends_are_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(connects_disconnects_reconnects, setup, teardown),
	};

	return cmocka_run_group_tests_name("vbd", tests, NULL, NULL);
}
