// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The shim's block toolstack against a hostile frontend, without KVM: the
 * test plays the guest through the store hypercall (as a guest would),
 * with the real hcall-dd behind it. Bad ring refs, ports that are not the
 * guest's backend ports, ports used twice, too many queues and a foreign
 * protocol are refused with the backend closing; a good frontend connects,
 * disconnects and reconnects. A fake driver domain (this binary, or a
 * thread of it) that never answers a DETACH plays a hung hcall-dd.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
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
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hcall/backend/vbd.h"
#include "hcall/common/ddproto.h"
#include "hcall/dd/blkreq.h"
#include "hcall/guestmem.h"
#include "hcall/pv/hypercall.h"
#include "hcall/pv/store.h"
#include "hcall/pv/storecall.h"
#include "hcall/vmm/vm.h"

#define GiB (1ull << 30)
#define FE "device/vbd/51712"
#define BE "backend/vbd/1/51712"
#define FE2 "device/vbd/51728"
/* The vbd type's counters (connects, disconnects, refused). */
#define VBD(f) hc_backend_counters(&(f)->vm, &hc_vbd_type)

/* Where the guest keeps things: low in a small guest, above 5 GiB in a big one. */
enum dd_kind { REAL_DD, FAKE_PRIVATE_DD, FAKE_SHARED_DD };

struct layout {
	uint64_t ram, shared, table, ring, path, val;
	int disks;
	enum dd_kind dd;
};

static const struct layout small = {
	.ram = 16u << 20, .shared = 0x20000, .table = 0x30000, .ring = 0x40000,
	.path = 0x50000, .val = 0x51000, .disks = 1,
};

static const struct layout two_disks = {
	.ram = 16u << 20, .shared = 0x20000, .table = 0x30000, .ring = 0x40000,
	.path = 0x50000, .val = 0x51000, .disks = 2,
};

static const struct layout hung_private = {
	.ram = 16u << 20, .shared = 0x20000, .table = 0x30000, .ring = 0x40000,
	.path = 0x50000, .val = 0x51000, .disks = 1, .dd = FAKE_PRIVATE_DD,
};

static const struct layout hung_shared = {
	.ram = 16u << 20, .shared = 0x20000, .table = 0x30000, .ring = 0x40000,
	.path = 0x50000, .val = 0x51000, .disks = 2, .dd = FAKE_SHARED_DD,
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
	char sock_path[64];	/* the fake shared driver domain's */
	int listen_fd;
	pthread_t dd_thread;
};

/*
 * A driver domain that attaches every ring it is given and never answers
 * a DETACH, as a real one stuck joining a ring thread in a slow batch: it
 * holds on until the shim hangs up (or kills it).
 */
static void fake_dd(int sock)
{
	struct hc_dd_attach a;
	struct hc_dd_reply rep = { 0 };
	int fds[HC_DD_MAX_FDS];
	char c;

	while (hc_dd_recv_attach(sock, &a, fds) == 0) {
		if (a.op == HC_DD_OP_DETACH) {
			while (recv(sock, &c, 1, 0) > 0)
				;
			break;
		}
		hc_dd_close_fds(fds);
		rep.status = 0;
		if (send(sock, &rep, sizeof(rep), MSG_NOSIGNAL) != sizeof(rep))
			break;
		rep.ring_id++;
	}
	close(sock);
}

static void *fake_shared_dd(void *arg)
{
	struct fx *f = arg;
	int c = accept(f->listen_fd, NULL, NULL);

	if (c >= 0)
		fake_dd(c);
	return NULL;
}

static int listen_fake_dd(struct fx *f)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	snprintf(f->sock_path, sizeof(f->sock_path), "/tmp/hcall-test-vbd.%d.sock", getpid());
	strcpy(sa.sun_path, f->sock_path);
	unlink(f->sock_path);
	f->listen_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	assert_true(f->listen_fd >= 0);
	assert_int_equal(bind(f->listen_fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(f->listen_fd, 1), 0);
	assert_int_equal(pthread_create(&f->dd_thread, NULL, fake_shared_dd, f), 0);
	return 0;
}

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
	vm->pv.upcall_fd[0] = eventfd(0, EFD_NONBLOCK);
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
		assert_int_equal(hc_backend_add(vm, &hc_vbd_type, f->img[i], err, sizeof(err)), 0);
	}
	f->listen_fd = -1;
	if (f->l->dd == REAL_DD) {
		assert_int_equal(hc_backends_start(vm, getenv("HCALL_DD") ? getenv("HCALL_DD") :
						   "build/bin/hcall-dd", NULL, err, sizeof(err)), 0);
	} else if (f->l->dd == FAKE_PRIVATE_DD) {
		/* This binary, run with --fd, is the fake (see main). */
		assert_int_equal(hc_backends_start(vm, "/proc/self/exe", NULL, err, sizeof(err)), 0);
	} else {
		listen_fake_dd(f);
		assert_int_equal(hc_backends_start(vm, NULL, f->sock_path, err, sizeof(err)), 0);
	}
	if (f->l->dd != REAL_DD) {
		/* The shim's 5 s patience, shortened: the fake never answers. */
		struct timeval tv = { .tv_usec = 200000 };

		assert_int_equal(setsockopt(vm->backends->sock, SOL_SOCKET, SO_RCVTIMEO, &tv,
					    sizeof(tv)), 0);
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	int i;

	hc_pv_destroy(&f->vm);
	hc_backends_free(&f->vm);
	if (f->listen_fd >= 0) {
		pthread_join(f->dd_thread, NULL);	/* it ends at the shim's hang-up */
		close(f->listen_fd);
		unlink(f->sock_path);
	}
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

/* @be_dir/@node as a number; -1 if absent. */
static long be_of(struct fx *f, const char *be_dir, const char *node)
{
	char path[128], buf[32];
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", be_dir, node);
	if (hc_store_read(f->vm.pv.store, path, buf, sizeof(buf) - 1, &n))
		return -1;
	buf[n] = '\0';
	return strtol(buf, NULL, 10);
}

/* Read BE/@node as a number (the backend's side), -1 if absent. */
static long be(struct fx *f, const char *node)
{
	return be_of(f, BE, node);
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
	assert_int_equal(VBD(f)->connects, 0);
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
	assert_int_equal(VBD(f)->connects, 2);
	assert_int_equal(VBD(f)->disconnects, 2);
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
	assert_int_equal(f->vm.backends->d[0].nr_rings, 0);
	assert_int_equal(VBD(f)->disconnects, 1);
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
	assert_int_equal(VBD(f)->connects, 2);
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
	assert_int_equal(VBD(f)->connects, 1);
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
		      (unsigned long long)VBD(f)->connects,
		      (unsigned long long)VBD(f)->refused);
	assert_true(VBD(f)->connects <= HC_BACKEND_CONNECT_BURST + secs * HC_BACKEND_CONNECTS_PER_S + 1);
	assert_true(VBD(f)->connects >= HC_BACKEND_CONNECT_BURST);
	assert_int_equal(VBD(f)->connects + VBD(f)->refused, (uint64_t)tries);
	assert_int_equal(VBD(f)->disconnects, VBD(f)->connects);
}


static int has_error(struct fx *f, const char *be_dir, const char *what)
{
	char path[128], msg[160];
	size_t n;

	snprintf(path, sizeof(path), "%s/error", be_dir);
	if (hc_store_read(f->vm.pv.store, path, msg, sizeof(msg) - 1, &n))
		return 0;
	msg[n] = '\0';
	return strstr(msg, what) != NULL;
}

/*
 * Review F1 (outside a reset) and F7: hcall-dd stops answering a DETACH.
 * That ring may still run: its port stays taken and its disk Closing. The
 * connection is gone, so the other, connected disk is told (error and
 * Closing) instead of hanging its frontend. A soft reset then cannot
 * promise the memory is free: it fails and stops the VM.
 */
static void hung_detach_keeps_the_ring_and_closes_every_disk(void **state)
{
	struct fx *f = *state;
	int port0 = alloc_port(f), port1 = alloc_port(f);
	char num[16];
	const char *be2 = "backend/vbd/1/51728";

	ring(f, 20);
	ring_at(f, f->l->table, 21, f->l->ring + 0x1000);
	connect_ring(f, port0, "20");
	assert_int_equal(be(f, "state"), 4);
	snprintf(num, sizeof(num), "%d", port1);
	put_in(f, FE2, "ring-ref", "21");
	put_in(f, FE2, "event-channel", num);
	assert_int_equal(put_in(f, FE2, "state", "3"), 0);
	assert_int_equal(be_of(f, be2, "state"), 4);
	/* The second frontend closes; the driver domain never answers. */
	assert_int_equal(put_in(f, FE2, "state", "5"), 0);
	assert_int_equal(be_of(f, be2, "state"), 5);		/* not Closed */
	assert_true(f->vm.pv.ports[port1].attached);
	assert_int_equal(f->vm.backends->d[1].nr_rings, 1);
	assert_int_equal(hcall(f, HCALL_evtchn_close, (uint64_t)port1, 0), -HCALL_EBUSY);
	/* The first disk was connected: now it is told its backend is gone. */
	assert_int_equal(be(f, "state"), 5);
	assert_true(has_error(f, BE, "disk gone"));
	assert_true(f->vm.pv.ports[port0].attached);	/* its ring may still run too */
	/* A new kernel must not get this memory. */
	assert_int_equal(f->vm.stop_reason, HC_STOP_NONE);
	assert_int_equal(hcall(f, HCALL_shutdown, HCALL_SHUTDOWN_SOFT_RESET, 0), -HCALL_EBUSY);
	assert_int_equal(f->vm.stop_reason, HC_STOP_ERROR);
}

/*
 * Review F1: a soft reset whose DETACH a private hcall-dd never answers.
 * The shim kills it and reaps it before the reset returns (its exit ends
 * its rings and their I/O), then the reset succeeds.
 */
static void soft_reset_reaps_a_hung_private_dd(void **state)
{
	struct fx *f = *state;
	pid_t pid = f->vm.backends->pid;
	int port = alloc_port(f);

	struct grant_entry_v1 *t = gpa(f, f->l->table);

	assert_true(pid > 0);
	ring(f, 20);
	connect_ring(f, port, "20");
	assert_int_equal(be(f, "state"), 4);
	/* A data page the dd had pinned when it hung, and one granted elsewhere. */
	t[30] = (struct grant_entry_v1){ .flags = GTF_permit_access | GTF_writing,
					 .domid = HCALL_DOMID_BACKEND, .frame = 0x50 };
	t[31] = (struct grant_entry_v1){ .flags = GTF_permit_access | GTF_reading,
					 .domid = 7, .frame = 0x51 };
	assert_int_equal(hcall(f, HCALL_shutdown, HCALL_SHUTDOWN_SOFT_RESET, 0), 0);
	/* The dead dd's pin is released for it; nobody else's is touched. */
	assert_int_equal(t[30].flags, GTF_permit_access);
	assert_int_equal(t[31].flags, GTF_permit_access | GTF_reading);
	assert_int_equal(f->vm.stop_reason, HC_STOP_NONE);
	/* Already reaped: nothing of it runs on. */
	errno = 0;
	assert_int_equal(waitpid(pid, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
	assert_int_equal(f->vm.backends->pid, 0);
	assert_int_equal(f->vm.backends->d[0].nr_rings, 0);
	assert_int_equal(be(f, "state"), 2);		/* ready for the next kernel */
}

/*
 * hcall-dd killed between requests, a ring attached: hcall-run's main loop
 * sees the hang-up on hc_backends_dd_fd() and hc_backends_dd_hangup() loses
 * the driver domain at once (not at the frontend's next request): reaped,
 * its grants unpinned, the disk told (error and Closing). Not while a soft
 * reset runs (that detaches everything itself), and only once.
 */
static void a_dd_killed_between_requests_closes_the_disk(void **state)
{
	struct fx *f = *state;
	struct grant_entry_v1 *t = gpa(f, f->l->table);
	pid_t pid = f->vm.backends->pid;
	int port = alloc_port(f), fd = hc_backends_dd_fd(&f->vm);
	struct pollfd p = { fd, 0, 0 };

	assert_true(pid > 0 && fd >= 0);
	ring(f, 20);
	connect_ring(f, port, "20");
	assert_int_equal(be(f, "state"), 4);
	assert_true(t[20].flags & GTF_writing);
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(poll(&p, 1, 5000), 1);		/* what the main loop waits for */
	assert_true(p.revents & POLLHUP);
	f->vm.pv.resetting = 1;
	assert_int_equal(hc_backends_dd_hangup(&f->vm, fd), 0);	/* later */
	assert_int_equal(be(f, "state"), 4);
	f->vm.pv.resetting = 0;
	assert_int_equal(hc_backends_dd_hangup(&f->vm, fd), 1);
	assert_int_equal(be(f, "state"), 5);		/* Closing */
	assert_true(has_error(f, BE, "hung up"));
	assert_false(t[20].flags & (GTF_reading | GTF_writing));
	errno = 0;
	assert_int_equal(waitpid(pid, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
	assert_int_equal(f->vm.backends->d[0].nr_rings, 0);
	assert_int_equal(hc_backends_dd_fd(&f->vm), -1);
	assert_int_equal(hc_backends_dd_hangup(&f->vm, fd), 1);	/* already lost */
	assert_int_equal(f->vm.stop_reason, HC_STOP_NONE);
}

/*
 * Review F3: a 2-queue kernel kexecs into a 1-queue one (a kdump kernel
 * with nr_cpus=1). Its frontend writes only the top-level ring keys; the
 * old multi-queue-num-queues and queue-N must not be found.
 */
static void reconnects_with_fewer_queues_after_reset(void **state)
{
	struct fx *f = *state;
	const uint64_t shared2 = 0x80000, table2 = 0x90000, ring2 = 0xa0000;
	int p0 = alloc_port(f), p1 = alloc_port(f), p2;
	char num[16], path[64], buf[8];
	size_t n;

	ring(f, 20);
	ring_at(f, f->l->table, 21, f->l->ring + 0x1000);
	put(f, "protocol", "x86_64-abi");
	put(f, "multi-queue-num-queues", "2");
	put(f, "queue-0/ring-ref", "20");
	snprintf(num, sizeof(num), "%d", p0);
	put(f, "queue-0/event-channel", num);
	put(f, "queue-1/ring-ref", "21");
	snprintf(num, sizeof(num), "%d", p1);
	put(f, "queue-1/event-channel", num);
	assert_int_equal(put(f, "state", "3"), 0);
	assert_int_equal(be(f, "state"), 4);
	assert_int_equal(f->vm.backends->d[0].nr_rings, 2);
	assert_int_equal(hcall(f, HCALL_shutdown, HCALL_SHUTDOWN_SOFT_RESET, 0), 0);
	snprintf(path, sizeof(path), "%s/multi-queue-num-queues", FE);
	assert_int_equal(hc_store_read(f->vm.pv.store, path, buf, sizeof(buf), &n), -ENOENT);
	snprintf(path, sizeof(path), "%s/queue-1/ring-ref", FE);
	assert_int_equal(hc_store_read(f->vm.pv.store, path, buf, sizeof(buf), &n), -ENOENT);
	/* The one-queue kernel. */
	assert_int_equal(hcall(f, HCALL_shared_info, shared2, 0), 0);
	assert_int_equal(hcall(f, HCALL_gnttab_setup, table2, 2), 0);
	ring_at(f, table2, 7, ring2);
	p2 = alloc_port(f);
	connect_ring(f, p2, "7");
	assert_int_equal(be(f, "state"), 4);
	assert_int_equal(f->vm.backends->d[0].nr_rings, 1);
}

/*
 * Review F8b: a frontend flapping with a bad ring ref never gets a ring,
 * but each try makes hcall-dd map and check all of guest RAM: those tries
 * run out of budget like good ones.
 */
static void failed_connects_are_charged(void **state)
{
	struct fx *f = *state;
	int port = alloc_port(f), i, tries = 40, throttled = 0;
	struct timespec t0, t1;
	double secs;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < tries; i++) {
		connect_ring(f, port, "21");	/* never granted: hcall-dd refuses it */
		assert_int_equal(be(f, "state"), 5);
		throttled += has_error(f, BE, "too often");
		reset(f);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	print_message("%d tries in %.3f s: %d throttled\n", tries, secs, throttled);
	assert_int_equal(VBD(f)->connects, 0);
	assert_true(tries - throttled <= HC_BACKEND_CONNECT_BURST + secs * HC_BACKEND_CONNECTS_PER_S + 1);
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
	struct pollfd p = { f->vm.pv.upcall_fd[0], POLLIN, 0 };
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

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "--fd")) {
		fake_dd(atoi(argv[2]));	/* spawned by the shim as its hcall-dd */
		return 0;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(hostile_frontends_are_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(connects_disconnects_reconnects, setup, teardown),
		cmocka_unit_test_setup_teardown(soft_reset_detaches_every_ring, setup, teardown),
		cmocka_unit_test_prestate_setup_teardown(ring_ports_have_one_owner, setup, teardown,
							 (void *)&two_disks),
		cmocka_unit_test_setup_teardown(reconnect_storms_are_bounded, setup, teardown),
		cmocka_unit_test_prestate_setup_teardown(ram_above_4g_connects_and_completes, setup,
							 teardown, (void *)&big),
		cmocka_unit_test_prestate_setup_teardown(hung_detach_keeps_the_ring_and_closes_every_disk,
							 setup, teardown, (void *)&hung_shared),
		cmocka_unit_test_prestate_setup_teardown(soft_reset_reaps_a_hung_private_dd, setup,
							 teardown, (void *)&hung_private),
		cmocka_unit_test_setup_teardown(a_dd_killed_between_requests_closes_the_disk, setup,
						teardown),
		cmocka_unit_test_setup_teardown(reconnects_with_fewer_queues_after_reset, setup,
						teardown),
		cmocka_unit_test_setup_teardown(failed_connects_are_charged, setup, teardown),
	};

	return cmocka_run_group_tests_name("vbd", tests, NULL, NULL);
}
