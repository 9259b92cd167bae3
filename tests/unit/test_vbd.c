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
#include <poll.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "hcall/blkreq.h"
#include "hcall/guestmem.h"
#include "hcall/store.h"
#include "hcall/vbd.h"
#include "hcall/vm.h"

#define GiB (1ull << 30)
#define FE "device/vbd/51712"
#define BE "backend/vbd/1/51712"
#define FE2 "device/vbd/51728"

/* Where the guest keeps things: low in a small guest, above 5 GiB in a big one. */
struct layout {
	uint64_t ram, shared, table, ring, path, val;
	int disks;
};

static const struct layout small = {
	.ram = 16u << 20, .shared = 0x20000, .table = 0x30000, .ring = 0x40000,
	.path = 0x50000, .val = 0x51000, .disks = 1,
};

static const struct layout two_disks = {
	.ram = 16u << 20, .shared = 0x20000, .table = 0x30000, .ring = 0x40000,
	.path = 0x50000, .val = 0x51000, .disks = 2,
};

/* 5 GiB of RAM: the top GiB sits at [5 GiB, 6 GiB), past a host offset's range. */
#define HI (5 * GiB + 0x200000)
static const struct layout big = {
	.ram = 5 * GiB, .shared = HI, .table = HI + 0x10000, .ring = HI + 0x40000,
	.path = HI + 0x50000, .val = HI + 0x51000, .disks = 1,
};

struct fx {
	struct hc_vm vm;
	const struct layout *l;
	char img[2][64];
};

static void *gpa(struct fx *f, uint64_t a)
{
	void *p = hc_gpa(f->vm.ram, f->vm.mem, a, 1);

	assert_non_null(p);
	return p;
}

static int64_t hcall(struct fx *f, uint64_t nr, uint64_t a0, uint64_t a1)
{
	const uint64_t a[5] = { a0, a1 };

	return hc_hypercall(&f->vm, 0, nr, a);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct hc_vm *vm = &f->vm;
	char err[256];
	int fd, i;

	f->l = *state ? *state : &small;
	assert_int_equal(hc_vm_init_state(vm, err, sizeof(err)), 0);
	vm->mem_fd = memfd_create("guest", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	assert_int_equal(ftruncate(vm->mem_fd, (off_t)f->l->ram), 0);
	/* As hc_vm_create() does: hcall-dd maps only a sealed memfd. */
	assert_int_equal(fcntl(vm->mem_fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW), 0);
	vm->ram = mmap(NULL, f->l->ram, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE,
		       vm->mem_fd, 0);
	assert_true(vm->ram != MAP_FAILED);
	vm->mem = f->l->ram;
	vm->ncpus = 1;
	vm->pv.upcall_fd = eventfd(0, EFD_NONBLOCK);
	vm->pv.enabled = 1;
	assert_int_equal(hc_store_setup(vm), 0);
	/* The guest registers its pages as a kernel would. */
	assert_int_equal(hcall(f, HCALL_shared_info, f->l->shared, 0), 0);
	assert_int_equal(hcall(f, HCALL_gnttab_setup, f->l->table, 4), 0);
	for (i = 0; i < f->l->disks; i++) {
		snprintf(f->img[i], sizeof(f->img[i]), "/tmp/hcall-test-vbd.%d.%d", getpid(), i);
		fd = open(f->img[i], O_CREAT | O_RDWR | O_TRUNC, 0600);
		assert_int_equal(ftruncate(fd, 1 << 20), 0);
		close(fd);
		assert_int_equal(hc_vbd_add(vm, f->img[i], err, sizeof(err)), 0);
	}
	assert_int_equal(hc_vbd_start(vm, getenv("HCALL_DD") ? getenv("HCALL_DD") :
				      "build/bin/hcall-dd", NULL, err, sizeof(err)), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	int i;

	hc_pv_destroy(&f->vm);
	hc_vbd_free(&f->vm);
	for (i = 0; i < f->l->disks; i++)
		unlink(f->img[i]);
	munmap(f->vm.ram, f->l->ram);
	close(f->vm.mem_fd);
	close(f->vm.stop_efd);
	free(f->vm.ports);
	free(f);
	return 0;
}

/* The guest writes @dir/@node = @val through HCALL_store. */
static int64_t put_in(struct fx *f, const char *dir, const char *node, const char *val)
{
	uint64_t a[5] = { HCALL_STORE_WRITE, f->l->path, f->l->val, strlen(val), 0 };

	snprintf(gpa(f, f->l->path), 256, "%s/%s", dir, node);
	memcpy(gpa(f, f->l->val), val, strlen(val));
	return hc_hypercall(&f->vm, 0, HCALL_store, a);
}

static int64_t put(struct fx *f, const char *node, const char *val)
{
	return put_in(f, FE, node, val);
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

/* A ring page at @ring_gpa granted to the backend as @ref in the table at @table. */
static void ring_at(struct fx *f, uint64_t table, unsigned int ref, uint64_t ring_gpa)
{
	struct grant_entry_v1 *t = gpa(f, table);

	SHARED_RING_INIT((blkif_sring_t *)gpa(f, ring_gpa));
	t[ref].frame = (uint32_t)(ring_gpa >> 12);
	t[ref].domid = HCALL_DOMID_BACKEND;
	t[ref].flags = GTF_permit_access;
}

static void ring(struct fx *f, unsigned int ref)
{
	ring_at(f, f->l->table, ref, f->l->ring);
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
	struct grant_entry_v1 *t = gpa(f, f->l->table);
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

static long fe_state(struct fx *f, const char *fe)
{
	char path[128], buf[32];
	size_t n;

	snprintf(path, sizeof(path), "%s/state", fe);
	if (hc_store_read(f->vm.pv.store, path, buf, sizeof(buf) - 1, &n))
		return -1;
	buf[n] = '\0';
	return strtol(buf, NULL, 10);
}

/* Frontend publishes ring @ref on @port and says Initialised; backend answers. */
static void connect_ring(struct fx *f, int port, const char *ref)
{
	char num[16];

	snprintf(num, sizeof(num), "%d", port);
	put(f, "ring-ref", ref);
	put(f, "event-channel", num);
	assert_int_equal(put(f, "state", "3"), 0);
}

/*
 * Soft reset with a ring attached: hcall-dd lets go of the ring before the
 * call returns, the disk goes back to the start of its handshake, and the
 * next kernel connects with its own pages.
 */
static void soft_reset_detaches_every_ring(void **state)
{
	struct fx *f = *state;
	struct grant_entry_v1 *t = gpa(f, f->l->table);
	const uint64_t shared2 = 0x80000, table2 = 0x90000, ring2 = 0xa0000;
	struct grant_entry_v1 *t2 = gpa(f, table2);
	int port = alloc_port(f), port2, i;

	ring(f, 20);
	connect_ring(f, port, "20");
	assert_int_equal(be(f, "state"), 4);
	assert_true(t[20].flags & GTF_writing);		/* hcall-dd maps the ring */
	assert_int_equal(hcall(f, HCALL_shutdown, HCALL_SHUTDOWN_SOFT_RESET, 0), 0);
	/* The driver domain unmapped the ring before the call returned. */
	assert_false(t[20].flags & (GTF_reading | GTF_writing));
	assert_int_equal(f->vm.vbds->d[0].nr_rings, 0);
	assert_int_equal(f->vm.vbds->disconnects, 1);
	for (i = 1; i < HC_SHIM_PORTS; i++)
		assert_int_equal(f->vm.pv.ports[i].owner, HC_PORT_FREE);
	assert_int_equal(be(f, "state"), 2);		/* InitWait */
	assert_int_equal(fe_state(f, FE), 1);		/* Initialising */
	/* Until the new kernel registers, a frontend cannot connect. */
	port2 = alloc_port(f);
	connect_ring(f, port2, "20");
	assert_int_equal(be(f, "state"), 5);
	reset(f);
	/* The new kernel: shared info, grant table and ring elsewhere. */
	assert_int_equal(hcall(f, HCALL_shared_info, shared2, 0), 0);
	assert_int_equal(hcall(f, HCALL_gnttab_setup, table2, 2), 0);
	ring_at(f, table2, 7, ring2);
	connect_ring(f, port2, "7");
	assert_int_equal(be(f, "state"), 4);
	assert_true(t2[7].flags & GTF_writing);
	assert_false(t[20].flags & (GTF_reading | GTF_writing));	/* the old table: untouched */
	assert_int_equal(f->vm.vbds->connects, 2);
}

/*
 * A port a ring uses cannot be closed, nor given to a second disk; once
 * the ring is gone it can be closed.
 */
static void ring_ports_have_one_owner(void **state)
{
	struct fx *f = *state;
	int port = alloc_port(f);
	char num[16], path[64], msg[128];
	size_t n;

	ring(f, 20);
	connect_ring(f, port, "20");
	assert_int_equal(be(f, "state"), 4);
	assert_int_equal(hcall(f, HCALL_evtchn_close, (uint64_t)port, 0), -HCALL_EBUSY);
	assert_true(f->vm.pv.ports[port].attached);
	/* The second disk asks for the same port. */
	snprintf(num, sizeof(num), "%d", port);
	ring_at(f, f->l->table, 21, f->l->ring + 0x1000);
	put_in(f, FE2, "ring-ref", "21");
	put_in(f, FE2, "event-channel", num);
	assert_int_equal(put_in(f, FE2, "state", "3"), 0);
	snprintf(path, sizeof(path), "backend/vbd/1/51728/state");
	assert_int_equal(hc_store_read(f->vm.pv.store, path, msg, sizeof(msg), &n), 0);
	assert_memory_equal(msg, "5", 1);	/* refused: Closing */
	assert_int_equal(f->vm.vbds->connects, 1);
	assert_true(f->vm.pv.ports[port].attached);	/* the first disk still has it */
	/* Disconnect the first disk: now the port may go. */
	assert_int_equal(put(f, "state", "5"), 0);
	assert_int_equal(be(f, "state"), 6);
	assert_int_equal(hcall(f, HCALL_evtchn_close, (uint64_t)port, 0), 0);
	assert_int_equal(hcall(f, HCALL_evtchn_close, (uint64_t)port, 0), -HCALL_EINVAL);
}

/* A frontend flapping its state is refused once it exceeds its budget. */
static void reconnect_storms_are_bounded(void **state)
{
	struct fx *f = *state;
	int port = alloc_port(f), i, tries = 40;
	char path[64], msg[160];
	struct timespec t0, t1;
	double secs;
	size_t n;

	ring(f, 20);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < tries; i++) {
		connect_ring(f, port, "20");
		assert_true(be(f, "state") == 4 || be(f, "state") == 5);
		if (be(f, "state") == 5) {
			snprintf(path, sizeof(path), "%s/error", BE);
			assert_int_equal(hc_store_read(f->vm.pv.store, path, msg,
						       sizeof(msg) - 1, &n), 0);
			msg[n] = '\0';
			assert_non_null(strstr(msg, "too often"));
		}
		reset(f);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	print_message("%d tries in %.3f s: %llu connects, %llu refused\n", tries, secs,
		      (unsigned long long)f->vm.vbds->connects,
		      (unsigned long long)f->vm.vbds->refused);
	assert_true(f->vm.vbds->connects <= HC_VBD_CONNECT_BURST + secs * HC_VBD_CONNECTS_PER_S + 1);
	assert_true(f->vm.vbds->connects >= HC_VBD_CONNECT_BURST);
	assert_int_equal(f->vm.vbds->connects + f->vm.vbds->refused, (uint64_t)tries);
	assert_int_equal(f->vm.vbds->disconnects, f->vm.vbds->connects);
}

/*
 * A 5 GiB guest with its shared info, grant table, ring and store strings
 * above 5 GiB: the ring connects and a completion's event lands in the
 * shared info the guest registered (guest-physical, not a host offset).
 */
static void ram_above_4g_connects_and_completes(void **state)
{
	struct fx *f = *state;
	struct hcall_shared_info *sh = gpa(f, f->l->shared);
	blkif_front_ring_t front;
	blkif_request_t *req;
	struct pollfd p = { f->vm.pv.upcall_fd, POLLIN, 0 };
	uint64_t one = 1;
	int port = alloc_port(f), notify;

	ring(f, 20);
	FRONT_RING_INIT(&front, (blkif_sring_t *)gpa(f, f->l->ring), 4096);
	put(f, "protocol", "x86_64-abi");
	connect_ring(f, port, "20");
	assert_int_equal(be(f, "state"), 4);
	req = RING_GET_REQUEST(&front, front.req_prod_pvt++);
	memset(req, 0, sizeof(*req));
	req->operation = BLKIF_OP_FLUSH_DISKCACHE;
	req->id = 99;
	RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&front, notify);
	assert_true(notify);
	assert_int_equal(write(f->vm.pv.ports[port].kick_fd, &one, sizeof(one)), sizeof(one));
	assert_int_equal(poll(&p, 1, 5000), 1);		/* the upcall */
	assert_true(RING_HAS_UNCONSUMED_RESPONSES(&front));
	assert_int_equal(RING_GET_RESPONSE(&front, front.rsp_cons)->id, 99);
	assert_int_equal(RING_GET_RESPONSE(&front, front.rsp_cons)->status, BLKIF_RSP_OKAY);
	assert_true(sh->evtchn_pending[port / 64] & (1ull << (port % 64)));
	assert_int_equal(sh->vcpu_info[0].evtchn_upcall_pending, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(hostile_frontends_are_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(connects_disconnects_reconnects, setup, teardown),
		cmocka_unit_test_setup_teardown(soft_reset_detaches_every_ring, setup, teardown),
		cmocka_unit_test_prestate_setup_teardown(ring_ports_have_one_owner, setup, teardown,
							 (void *)&two_disks),
		cmocka_unit_test_setup_teardown(reconnect_storms_are_bounded, setup, teardown),
		cmocka_unit_test_prestate_setup_teardown(ram_above_4g_connects_and_completes, setup,
							 teardown, (void *)&big),
	};

	return cmocka_run_group_tests_name("vbd", tests, NULL, NULL);
}
