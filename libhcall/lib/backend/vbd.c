// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Virtual block devices, shim side: publish, handshake, hand rings to the
 * driver domain. Everything read from the frontend's half of the store is
 * hostile: numbers are parsed strictly, ports must be ones this guest
 * allocated for a backend and not already in use.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/fs.h>

#include "hcall/dd/blkreq.h"	/* Xen's io/blkif.h with its prerequisites */
#include "hcall/common/ddproto.h"
#include "hcall/dd/gnttab.h"	/* Xen's grant_table.h */
#include "hcall/guestmem.h"
#include "hcall/pv/store.h"
#include "hcall/backend/vbd.h"
#include "hcall/vmm/vm.h"
#include <xen/io/protocols.h>
#include <xen/io/xenbus.h>

#define XVDA 51712	/* Xen's virtual-device number of xvda */
#define DD_REAP_MS 5000	/* for a killed private hcall-dd to exit */

static int fail(char *err, size_t errlen, const char *fmt, const char *arg)
{
	snprintf(err, errlen, fmt, arg, strerror(errno));
	return -1;
}

int hc_vbd_add(struct hc_vm *vm, const char *spec, char *err, size_t errlen)
{
	char path[PATH_MAX];
	const char *comma = strchr(spec, ',');
	struct hc_vbds *vs = vm->vbds;
	struct hc_vbd *v;
	struct stat st;
	uint64_t bytes;
	size_t len = comma ? (size_t)(comma - spec) : strlen(spec);

	if (!vs) {
		vs = vm->vbds = calloc(1, sizeof(*vs));
		if (!vs)
			return fail(err, errlen, "%s%s", "");
		vs->sock = -1;
	}
	if (vs->n == HC_MAX_DISKS) {
		snprintf(err, errlen, "at most %d disks", HC_MAX_DISKS);
		return -1;
	}
	if (!len || len >= sizeof(path) || (comma && strcmp(comma, ",ro"))) {
		snprintf(err, errlen, "bad --disk '%s' (FILE or FILE,ro)", spec);
		return -1;
	}
	v = &vs->d[vs->n];
	memcpy(path, spec, len);
	path[len] = '\0';
	v->readonly = comma != NULL;
	v->fd = open(path, (v->readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (v->fd < 0 || fstat(v->fd, &st))
		return fail(err, errlen, "%s: %s", path);
	if (S_ISBLK(st.st_mode)) {
		if (ioctl(v->fd, BLKGETSIZE64, &bytes))
			return fail(err, errlen, "%s: %s", path);
	} else if (S_ISREG(st.st_mode)) {
		bytes = (uint64_t)st.st_size;
	} else {
		snprintf(err, errlen, "%s: not a file or block device", path);
		return -1;
	}
	v->sectors = bytes / 512;
	if (!v->sectors) {
		snprintf(err, errlen, "%s: smaller than one sector", path);
		return -1;
	}
	v->vdev = XVDA + 16u * (unsigned int)vs->n;
	snprintf(v->fe, sizeof(v->fe), "device/vbd/%u", v->vdev);
	snprintf(v->be, sizeof(v->be), "backend/vbd/%u/%u", HCALL_DOMID_SELF, v->vdev);
	vs->n++;
	return 0;
}

/* Write "dir/node" = printf(...) as the toolstack. */
static int put(struct hc_vm *vm, const char *dir, const char *node, const char *fmt, ...)
{
	char path[HC_STORE_MAX_PATH], val[128];
	va_list ap;
	int n;

	snprintf(path, sizeof(path), "%s/%s", dir, node);
	va_start(ap, fmt);
	n = vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	return hc_store_write(vm->pv.store, HC_STORE_TOOL, path, val, (size_t)n);
}

/* Read "dir/node" as an unsigned number; -1 if absent or not a number. */
static long long get_num(struct hc_vm *vm, const char *dir, const char *node)
{
	char path[HC_STORE_MAX_PATH], val[32];
	size_t n;
	char *end;
	unsigned long long x;

	snprintf(path, sizeof(path), "%s/%s", dir, node);
	if (hc_store_read(vm->pv.store, path, val, sizeof(val) - 1, &n) || !n)
		return -1;
	val[n] = '\0';
	if (val[0] < '0' || val[0] > '9')
		return -1;
	errno = 0;
	x = strtoull(val, &end, 10);
	if (errno || *end || x > UINT32_MAX)
		return -1;
	return (long long)x;
}

static void set_state(struct hc_vm *vm, struct hc_vbd *v, int state)
{
	if (v->be_state == state)
		return;
	v->be_state = state;
	put(vm, v->be, "state", "%d", state);
}

/* Ring @q of @v no longer runs anywhere: its port is the guest's again. */
static void forget_ring(struct hc_vm *vm, struct hc_vbd *v, unsigned int q)
{
	if (v->port[q] < HC_SHIM_PORTS)
		vm->pv.ports[v->port[q]].attached = 0;
}

static void forget_rings(struct hc_vm *vm, struct hc_vbd *v)
{
	unsigned int q;

	for (q = 0; q < v->nr_rings; q++)
		forget_ring(vm, v, q);
	if (v->nr_rings)
		vm->vbds->disconnects++;
	v->nr_rings = 0;
}

/*
 * The connection to hcall-dd is gone, or can no longer pair replies with
 * requests. A private hcall-dd is killed and reaped before we go on (its
 * exit ends its rings, io_uring and mappings): its rings are then gone. A
 * shared one serves on until it notices the hang-up, and we cannot know
 * when: its rings stay attached in our books, their ports taken, and the
 * guest's memory counts as still mapped (vs->stuck). Either way every disk
 * is gone, and each frontend is told so.
 */
/*
 * A killed hcall-dd's exit may wait for I/O the kernel cannot cancel (a
 * stalled network image): wait a bounded time, the caller holds pv.lock.
 */
static int reap_dd(pid_t pid)
{
	int i;

	for (i = 0; i < DD_REAP_MS / 10; i++) {
		pid_t r = waitpid(pid, NULL, WNOHANG);

		if (r == pid || (r < 0 && errno == ECHILD))
			return 0;
		usleep(10000);
	}
	return -1;
}

/*
 * A dead hcall-dd cannot unpin the grants it had mapped: clear their
 * GTF_reading/GTF_writing for it (as Xen does when a backend domain dies),
 * so the frontend can end access and fail those requests.
 */
static void unpin_dead_dd(struct hc_vm *vm)
{
	uint64_t n = (uint64_t)vm->pv.gnttab_frames * 4096 / sizeof(struct grant_entry_v1);
	struct grant_entry_v1 *t;
	uint64_t i;

	t = n ? hc_gpa(vm->ram, vm->mem, vm->pv.gnttab_gpa, n * sizeof(*t)) : NULL;
	for (i = 0; t && i < n; i++) {
		uint16_t f = __atomic_load_n(&t[i].flags, __ATOMIC_ACQUIRE);

		if (__atomic_load_n(&t[i].domid, __ATOMIC_RELAXED) != HCALL_DOMID_BACKEND)
			continue;
		while ((f & (GTF_reading | GTF_writing)) &&
		       !__atomic_compare_exchange_n(&t[i].flags, &f,
						    f & ~(GTF_reading | GTF_writing), 0,
						    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			;
	}
}

static void lose_dd(struct hc_vm *vm, int why)
{
	struct hc_vbds *vs = vm->vbds;
	int i;

	fprintf(stderr, "hcall-run: driver domain %s: its disks are gone\n",
		why == -EIO ? "hung up" : "stopped answering");
	close(vs->sock);
	vs->sock = -1;
	if (vs->pid > 0)
		kill(vs->pid, SIGKILL);
	if (vs->pid > 0 && !reap_dd(vs->pid)) {
		vs->pid = 0;
		for (i = 0; i < vs->n; i++)
			forget_rings(vm, &vs->d[i]);
		unpin_dead_dd(vm);
	} else {
		if (vs->pid > 0)
			fprintf(stderr, "hcall-run: the killed driver domain has not exited after %d ms: its rings count as running\n",
				DD_REAP_MS);
		vs->stuck = 1;
	}
	for (i = 0; i < vs->n; i++) {
		put(vm, vs->d[i].be, "error", "the driver domain %s: disk gone",
		    why == -EIO ? "hung up" : "stopped answering");
		set_state(vm, &vs->d[i], XenbusStateClosing);
	}
}

/* One request to hcall-dd; a lost or late reply ends the connection. */
static int dd_call(struct hc_vm *vm, const struct hc_dd_attach *a, const int *fds,
		   uint32_t *ring_id)
{
	struct hc_vbds *vs = vm->vbds;
	int ret;

	if (vs->sock < 0)
		return -ENXIO;
	ret = hc_dd_call(vs->sock, a, fds, ring_id);
	if (ret == -ETIMEDOUT || ret == -EIO)
		lose_dd(vm, ret);
	return ret;
}

/*
 * Stop every ring of @v. A ring whose DETACH failed may still run (e.g.
 * its thread is finishing a slow batch): it stays attached, port and all,
 * and -1 is returned. 0 once none is left.
 */
static int detach(struct hc_vm *vm, struct hc_vbd *v)
{
	struct hc_dd_attach a = {
		.magic = HC_DD_MAGIC, .version = HC_DD_VERSION, .op = HC_DD_OP_DETACH,
	};
	uint32_t keep_id[HC_VBD_MAX_QUEUES], keep_port[HC_VBD_MAX_QUEUES];
	unsigned int q, kept = 0;
	int ret;

	for (q = 0; q < v->nr_rings; q++) {
		a.ring_id = v->ring_id[q];
		ret = dd_call(vm, &a, NULL, NULL);
		if (!v->nr_rings)
			return 0;	/* a private hcall-dd died, its rings with it */
		if (ret == 0 || ret == -ENOENT) {	/* stopped, or never ran */
			forget_ring(vm, v, q);
		} else {
			keep_id[kept] = v->ring_id[q];
			keep_port[kept++] = v->port[q];
		}
	}
	if (!kept) {
		v->nr_rings = 0;
		if (q)
			vm->vbds->disconnects++;
		return 0;
	}
	memcpy(v->ring_id, keep_id, kept * sizeof(keep_id[0]));
	memcpy(v->port, keep_port, kept * sizeof(keep_port[0]));
	v->nr_rings = kept;
	return -1;
}

/*
 * Attach queue @q whose keys are under @dir. 0 or a negative errno;
 * *@asked is set once hcall-dd was asked (the attempt then costs).
 */
static int attach_queue(struct hc_vm *vm, struct hc_vbd *v, unsigned int q, const char *dir,
			int *asked)
{
	long long ref = get_num(vm, dir, "ring-ref");
	long long port = get_num(vm, dir, "event-channel");
	struct hc_evtchn_port *p;
	struct hc_dd_attach a = {
		.magic = HC_DD_MAGIC, .version = HC_DD_VERSION, .op = HC_DD_OP_ATTACH,
		.mem = vm->mem,
		.gnttab_gpa = vm->pv.gnttab_gpa,
		.gnttab_entries = vm->pv.gnttab_frames * (4096 / sizeof(grant_entry_v1_t)),
		.shared_info_gpa = vm->pv.shared_gpa,	/* guest-physical, not a host offset */
		.backend_domid = HCALL_DOMID_BACKEND,
		.sectors = v->sectors,
		.flags = v->readonly ? HC_DD_READONLY : HC_DD_DISCARD,
	};
	int fds[HC_DD_NR_FDS];
	int ret;

	if (ref < 0 || port <= 0 || port >= HC_SHIM_PORTS)
		return -EINVAL;
	p = &vm->pv.ports[port];
	if (p->owner != HC_PORT_BACKEND || p->attached || p->kick_fd < 0)
		return -EINVAL;	/* not a backend port of this guest, or taken */
	a.ring_ref = (uint32_t)ref;
	a.evtchn_port = (uint32_t)port;
	fds[0] = vm->mem_fd;
	fds[1] = p->kick_fd;
	fds[2] = vm->pv.upcall_fd;
	fds[3] = v->fd;
	*asked = 1;
	ret = dd_call(vm, &a, fds, &v->ring_id[q]);
	if ((ret == -ETIMEDOUT || ret == -EIO) && vm->vbds->stuck)
		p->attached = 1;	/* the lost hcall-dd may have started it: never reuse */
	if (ret)
		return ret;
	p->attached = 1;
	v->port[q] = (uint32_t)port;
	v->nr_rings = q + 1;
	return 0;
}

static int connect_rings(struct hc_vm *vm, struct hc_vbd *v, int *asked)
{
	char dir[HC_STORE_MAX_PATH], proto[32];
	long long nq = get_num(vm, v->fe, "multi-queue-num-queues");
	unsigned int q;
	size_t n;
	int ret = 0;

	if (!vm->pv.shared || !vm->pv.gnttab_frames)
		return -ENXIO;
	snprintf(dir, sizeof(dir), "%s/protocol", v->fe);
	if (!hc_store_read(vm->pv.store, dir, proto, sizeof(proto), &n) &&
	    (n != strlen(XEN_IO_PROTO_ABI_X86_64) || memcmp(proto, XEN_IO_PROTO_ABI_X86_64, n)))
		return -EPROTONOSUPPORT;
	if (nq < 0)
		return attach_queue(vm, v, 0, v->fe, asked);
	if (nq < 1 || nq > HC_VBD_MAX_QUEUES)
		return -EINVAL;
	for (q = 0; q < nq && !ret; q++) {
		snprintf(dir, sizeof(dir), "%s/queue-%u", v->fe, q);
		ret = attach_queue(vm, v, q, dir, asked);
	}
	return ret;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * Attaching maps all of guest RAM, sets up an io_uring and starts a thread
 * in the driver domain per ring: a token bucket per disk bounds how often
 * a frontend toggling its state can make us do that.
 */
static int may_connect(struct hc_vbd *v)
{
	const uint64_t full = HC_VBD_CONNECT_BURST * 1000ull;
	uint64_t now = now_ms();

	/* In thousandths of a connect: HC_VBD_CONNECTS_PER_S come back a second. */
	if (!v->bucket_ms)
		v->bucket = full;
	else
		v->bucket += (now - v->bucket_ms) * HC_VBD_CONNECTS_PER_S;
	if (v->bucket > full)
		v->bucket = full;
	v->bucket_ms = now;
	return v->bucket >= 1000;
}

/*
 * Every attempt that reached hcall-dd costs, attached or not: even a bad
 * ring ref makes it map and unmap all of guest RAM. Refusals of our own
 * are cheap.
 */
static void charge_connect(struct hc_vbd *v, int asked)
{
	if (asked)
		v->bucket -= 1000;	/* may_connect() saw at least 1000 */
}

/* Stop every ring of @v; one that may still run keeps the disk Closing. */
static int detach_or_close(struct hc_vm *vm, struct hc_vbd *v)
{
	if (!detach(vm, v))
		return 0;
	put(vm, v->be, "error", "the driver domain did not stop a ring: disk gone");
	set_state(vm, v, XenbusStateClosing);
	return -1;
}

/* The backend half of the XenbusState handshake for one disk. */
static void step(struct hc_vm *vm, struct hc_vbd *v)
{
	long long fe = get_num(vm, v->fe, "state");
	int ret, asked = 0;

	switch (fe) {
	case XenbusStateInitialised:
	case XenbusStateConnected:
		if (v->nr_rings || v->be_state != XenbusStateInitWait)
			break;
		if (!may_connect(v)) {
			if (!v->throttled)
				fprintf(stderr, "hcall-run: vbd %u: the frontend reconnects more than "
					"%d times a second: refused until it slows down\n", v->vdev,
					HC_VBD_CONNECTS_PER_S);
			v->throttled = 1;
			vm->vbds->refused++;
			put(vm, v->be, "error", "connecting too often (at most %d a second): "
			    "try again later", HC_VBD_CONNECTS_PER_S);
			set_state(vm, v, XenbusStateClosing);
			break;
		}
		v->throttled = 0;
		ret = connect_rings(vm, v, &asked);
		charge_connect(v, asked);
		if (ret) {
			vm->vbds->refused++;
			if (detach_or_close(vm, v))
				break;	/* a queue that did attach would not stop */
			put(vm, v->be, "error", "%d connecting rings: %s", -ret, strerror(-ret));
			set_state(vm, v, XenbusStateClosing);
			break;
		}
		vm->vbds->connects++;
		set_state(vm, v, XenbusStateConnected);
		break;
	case XenbusStateClosing:
		if (!detach_or_close(vm, v))
			set_state(vm, v, XenbusStateClosed);
		break;
	case XenbusStateClosed:
	case XenbusStateInitialising:
		/* The frontend is gone or starting over: be ready for it. */
		if (!detach_or_close(vm, v))
			set_state(vm, v, XenbusStateInitWait);
		break;
	default:
		break;
	}
}

void hc_vbd_poll(struct hc_vm *vm)
{
	struct hc_vbds *vs = vm->vbds;
	int i;

	for (i = 0; vs && i < vs->n; i++)
		if (vs->d[i].dirty) {
			vs->d[i].dirty = 0;
			step(vm, &vs->d[i]);
		}
}

static void rm(struct hc_vm *vm, const char *dir, const char *node)
{
	char path[HC_STORE_MAX_PATH];

	snprintf(path, sizeof(path), "%s/%s", dir, node);
	hc_store_rm(vm->pv.store, HC_STORE_TOOL, path);
}

/*
 * The old kernel's ring keys go too: a next kernel with fewer queues (a
 * one-CPU kdump kernel) must not find the old multi-queue-num-queues and
 * queue-N with its refs and ports. Only queue-0..HC_VBD_MAX_QUEUES-1 are
 * ever read.
 */
static void forget_frontend_rings(struct hc_vm *vm, struct hc_vbd *v)
{
	static const char *const nodes[] = {
		"ring-ref", "event-channel", "multi-queue-num-queues", "protocol",
	};
	char queue[16];
	unsigned int k;

	for (k = 0; k < sizeof(nodes) / sizeof(nodes[0]); k++)
		rm(vm, v->fe, nodes[k]);
	for (k = 0; k < HC_VBD_MAX_QUEUES; k++) {
		snprintf(queue, sizeof(queue), "queue-%u", k);
		rm(vm, v->fe, queue);
	}
}

int hc_vbd_reset(struct hc_vm *vm)
{
	struct hc_vbds *vs = vm->vbds;
	int i, ret = 0;

	for (i = 0; vs && i < vs->n; i++) {
		struct hc_vbd *v = &vs->d[i];

		if (detach(vm, v))
			ret = -1;
		rm(vm, v->be, "error");
		forget_frontend_rings(vm, v);
		put(vm, v->fe, "state", "%d", XenbusStateInitialising);
		set_state(vm, v, XenbusStateInitWait);
		v->dirty = 0;	/* our own writes: nothing the frontend did */
	}
	return vs && vs->stuck ? -1 : ret;
}

/* Runs inside the store lock: only note it. */
static void frontend_moved(void *opaque, const char *path, const char *token)
{
	(void)path;
	(void)token;
	((struct hc_vbd *)opaque)->dirty = 1;
}

static int publish(struct hc_vm *vm, struct hc_vbd *v)
{
	int r = 0;

	r |= put(vm, v->fe, "backend", "%s", v->be);
	r |= put(vm, v->fe, "backend-id", "%d", HCALL_DOMID_BACKEND);
	r |= put(vm, v->fe, "virtual-device", "%u", v->vdev);
	r |= put(vm, v->fe, "device-type", "disk");
	r |= put(vm, v->fe, "state", "%d", XenbusStateInitialising);
	r |= put(vm, v->be, "frontend", "%s", v->fe);
	r |= put(vm, v->be, "frontend-id", "%d", HCALL_DOMID_SELF);
	r |= put(vm, v->be, "sectors", "%llu", (unsigned long long)v->sectors);
	r |= put(vm, v->be, "sector-size", "512");
	r |= put(vm, v->be, "physical-sector-size", "512");
	r |= put(vm, v->be, "info", "%d", v->readonly ? VDISK_READONLY : 0);
	r |= put(vm, v->be, "mode", v->readonly ? "r" : "w");
	r |= put(vm, v->be, "feature-flush-cache", "1");
	r |= put(vm, v->be, "feature-barrier", "1");
	r |= put(vm, v->be, "feature-discard", "%d", !v->readonly);
	r |= put(vm, v->be, "discard-granularity", "4096");
	r |= put(vm, v->be, "discard-alignment", "0");
	r |= put(vm, v->be, "multi-queue-max-queues", "%d", HC_VBD_MAX_QUEUES);
	r |= put(vm, v->be, "feature-max-indirect-segments", "%d", HC_BLK_MAX_INDIRECT);
	if (r)
		return -1;
	set_state(vm, v, XenbusStateInitWait);
	return hc_store_watch(vm->pv.store, v->fe, "vbd", frontend_moved, v);
}

static int spawn_dd(struct hc_vbds *vs, const char *binary, char *err, size_t errlen)
{
	int sv[2];
	char fdarg[16];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		return fail(err, errlen, "%s%s", "socketpair: ");
	vs->pid = fork();
	if (vs->pid < 0)
		return fail(err, errlen, "%s%s", "fork: ");
	if (vs->pid == 0) {
		/* The driver domain dies with its shim, holding only its socket. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (fcntl(sv[1], F_SETFD, 0) == 0) {
			snprintf(fdarg, sizeof(fdarg), "%d", sv[1]);
			execl(binary, "hcall-dd", "--fd", fdarg, (char *)NULL);
		}
		fprintf(stderr, "hcall-run: cannot run %s: %s\n", binary, strerror(errno));
		_exit(127);
	}
	close(sv[1]);
	vs->sock = sv[0];
	return 0;
}

static int connect_dd(struct hc_vbds *vs, const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	vs->sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (vs->sock < 0 || strlen(path) >= sizeof(sa.sun_path))
		return fail(err, errlen, "%s: %s", path);
	strcpy(sa.sun_path, path);
	if (connect(vs->sock, (struct sockaddr *)&sa, sizeof(sa)))
		return fail(err, errlen, "driver domain at %s: %s", path);
	return 0;
}

/*
 * The shim waits for the driver domain's answers with the guest's store
 * call in progress: a hung (shared) hcall-dd must cost that disk, not the VM.
 */
static void bound_replies(int sock)
{
	struct timeval tv = { .tv_sec = 5 };

	setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(sock, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

int hc_vbd_start(struct hc_vm *vm, const char *dd_binary, const char *dd_socket,
		 char *err, size_t errlen)
{
	struct hc_vbds *vs = vm->vbds;
	int i, ret;

	if (!vs || !vs->n)
		return 0;
	if (!vm->pv.store) {
		snprintf(err, errlen, "PV disks need the hcall platform (not --hvm)");
		return -1;
	}
	ret = dd_socket ? connect_dd(vs, dd_socket, err, errlen)
			: spawn_dd(vs, dd_binary, err, errlen);
	if (ret)
		return ret;
	bound_replies(vs->sock);
	pthread_mutex_lock(&vm->pv.lock);
	for (i = 0; i < vs->n && !ret; i++)
		ret = publish(vm, &vs->d[i]);
	for (i = 0; i < vs->n; i++)
		vs->d[i].dirty = 0;	/* the watches' first firing: nothing moved */
	pthread_mutex_unlock(&vm->pv.lock);
	if (ret)
		snprintf(err, errlen, "publishing disks in the store failed");
	return ret ? -1 : 0;
}

void hc_vbd_destroy(struct hc_vm *vm)
{
	struct hc_vbds *vs = vm->vbds;
	int i;

	if (!vs)
		return;
	if (vs->sock >= 0) {
		for (i = 0; i < vs->n; i++)
			detach(vm, &vs->d[i]);
		close(vs->sock);	/* a private hcall-dd exits when this closes */
	}
	if (vs->pid > 0)
		waitpid(vs->pid, NULL, 0);
	vs->sock = -1;
	vs->pid = 0;
	for (i = 0; i < vs->n; i++)
		if (vs->d[i].fd >= 0)
			close(vs->d[i].fd);
	vs->n = 0;	/* the counters stay for the exit report */
}

void hc_vbd_free(struct hc_vm *vm)
{
	hc_vbd_destroy(vm);
	free(vm->vbds);
	vm->vbds = NULL;
}
