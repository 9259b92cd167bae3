// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Virtual block devices, shim side: publish each disk in the store and run
 * the toolstack's (backend) side of the XenbusState handshake. Everything
 * read from the frontend's half of the store is hostile: numbers are parsed
 * strictly, ports must be ones this guest allocated for a backend and not
 * already in use.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hcall/backend/vbd.h"
#include "hcall/backend/vbd_bus.h"
#include "hcall/backend/vbd_dd.h"
#include "hcall/common/ddproto.h"
#include "hcall/dd/blkreq.h"	/* Xen's io/blkif.h with its prerequisites */
#include "hcall/dd/gnttab.h"	/* Xen's grant_table.h */
#include "hcall/pv/store.h"
#include "hcall/vmm/vm.h"
#include <xen/io/protocols.h>
#include <xen/io/xenbus.h>

/* Write "dir/node" = printf(...) as the toolstack. */
int hc_vbd_put(struct hc_vm *vm, const char *dir, const char *node, const char *fmt, ...)
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

void hc_vbd_set_state(struct hc_vm *vm, struct hc_vbd *v, int state)
{
	if (v->be_state == state)
		return;
	v->be_state = state;
	hc_vbd_put(vm, v->be, "state", "%d", state);
}

/* Ring @q of @v no longer runs anywhere: its port is the guest's again. */
static void forget_ring(struct hc_vm *vm, struct hc_vbd *v, unsigned int q)
{
	if (v->port[q] < HC_SHIM_PORTS)
		vm->pv.ports[v->port[q]].attached = 0;
}

void hc_vbd_forget_rings(struct hc_vm *vm, struct hc_vbd *v)
{
	unsigned int q;

	for (q = 0; q < v->nr_rings; q++)
		forget_ring(vm, v, q);
	if (v->nr_rings)
		vm->vbds->disconnects++;
	v->nr_rings = 0;
}

/*
 * Stop every ring of @v. A ring whose DETACH failed may still run (e.g.
 * its thread is finishing a slow batch): it stays attached, port and all,
 * and -1 is returned. 0 once none is left.
 */
int hc_vbd_detach(struct hc_vm *vm, struct hc_vbd *v)
{
	struct hc_dd_attach a = {
		.magic = HC_DD_MAGIC, .version = HC_DD_VERSION, .op = HC_DD_OP_DETACH,
	};
	uint32_t keep_id[HC_VBD_MAX_QUEUES], keep_port[HC_VBD_MAX_QUEUES];
	unsigned int q, kept = 0;
	int ret;

	for (q = 0; q < v->nr_rings; q++) {
		a.ring_id = v->ring_id[q];
		ret = hc_vbd_dd_call(vm, &a, NULL, NULL);
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
		.type = HC_DD_TYPE_VBD, .nr_rings = 1, .nr_ports = 1,
		.mem = vm->mem,
		.gnttab_gpa = vm->pv.gnttab_gpa,
		.gnttab_entries = vm->pv.gnttab_frames * (4096 / sizeof(grant_entry_v1_t)),
		.shared_info_gpa = vm->pv.shared_gpa,	/* guest-physical, not a host offset */
		.backend_domid = HCALL_DOMID_BACKEND,
		.u.vbd = {
			.sectors = v->sectors,
			.flags = v->readonly ? HC_DD_READONLY : HC_DD_DISCARD,
		},
	};
	int fds[HC_DD_MAX_FDS];
	int ret;

	if (ref < 0 || port <= 0 || port >= HC_SHIM_PORTS)
		return -EINVAL;
	p = &vm->pv.ports[port];
	if (p->owner != HC_PORT_BACKEND || p->attached || p->kick_fd < 0)
		return -EINVAL;	/* not a backend port of this guest, or taken */
	a.ring_ref[0] = (uint32_t)ref;
	a.evtchn_port[0] = (uint32_t)port;
	fds[0] = vm->mem_fd;
	fds[1] = p->kick_fd;
	fds[2] = vm->pv.upcall_fd;
	fds[3] = v->fd;
	*asked = 1;
	ret = hc_vbd_dd_call(vm, &a, fds, &v->ring_id[q]);
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
	if (!hc_vbd_detach(vm, v))
		return 0;
	hc_vbd_put(vm, v->be, "error", "the driver domain did not stop a ring: disk gone");
	hc_vbd_set_state(vm, v, XenbusStateClosing);
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
			hc_vbd_put(vm, v->be, "error", "connecting too often (at most %d a second): "
				   "try again later", HC_VBD_CONNECTS_PER_S);
			hc_vbd_set_state(vm, v, XenbusStateClosing);
			break;
		}
		v->throttled = 0;
		ret = connect_rings(vm, v, &asked);
		charge_connect(v, asked);
		if (ret) {
			vm->vbds->refused++;
			if (detach_or_close(vm, v))
				break;	/* a queue that did attach would not stop */
			hc_vbd_put(vm, v->be, "error", "%d connecting rings: %s", -ret, strerror(-ret));
			hc_vbd_set_state(vm, v, XenbusStateClosing);
			break;
		}
		vm->vbds->connects++;
		hc_vbd_set_state(vm, v, XenbusStateConnected);
		break;
	case XenbusStateClosing:
		if (!detach_or_close(vm, v))
			hc_vbd_set_state(vm, v, XenbusStateClosed);
		break;
	case XenbusStateClosed:
	case XenbusStateInitialising:
		/* The frontend is gone or starting over: be ready for it. */
		if (!detach_or_close(vm, v))
			hc_vbd_set_state(vm, v, XenbusStateInitWait);
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

		if (hc_vbd_detach(vm, v))
			ret = -1;
		rm(vm, v->be, "error");
		forget_frontend_rings(vm, v);
		hc_vbd_put(vm, v->fe, "state", "%d", XenbusStateInitialising);
		hc_vbd_set_state(vm, v, XenbusStateInitWait);
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

int hc_vbd_publish(struct hc_vm *vm, struct hc_vbd *v)
{
	int r = 0;

	r |= hc_vbd_put(vm, v->fe, "backend", "%s", v->be);
	r |= hc_vbd_put(vm, v->fe, "backend-id", "%d", HCALL_DOMID_BACKEND);
	r |= hc_vbd_put(vm, v->fe, "virtual-device", "%u", v->vdev);
	r |= hc_vbd_put(vm, v->fe, "device-type", "disk");
	r |= hc_vbd_put(vm, v->fe, "state", "%d", XenbusStateInitialising);
	r |= hc_vbd_put(vm, v->be, "frontend", "%s", v->fe);
	r |= hc_vbd_put(vm, v->be, "frontend-id", "%d", HCALL_DOMID_SELF);
	r |= hc_vbd_put(vm, v->be, "sectors", "%llu", (unsigned long long)v->sectors);
	r |= hc_vbd_put(vm, v->be, "sector-size", "512");
	r |= hc_vbd_put(vm, v->be, "physical-sector-size", "512");
	r |= hc_vbd_put(vm, v->be, "info", "%d", v->readonly ? VDISK_READONLY : 0);
	r |= hc_vbd_put(vm, v->be, "mode", v->readonly ? "r" : "w");
	r |= hc_vbd_put(vm, v->be, "feature-flush-cache", "1");
	r |= hc_vbd_put(vm, v->be, "feature-barrier", "1");
	r |= hc_vbd_put(vm, v->be, "feature-discard", "%d", !v->readonly);
	r |= hc_vbd_put(vm, v->be, "discard-granularity", "4096");
	r |= hc_vbd_put(vm, v->be, "discard-alignment", "0");
	r |= hc_vbd_put(vm, v->be, "multi-queue-max-queues", "%d", HC_VBD_MAX_QUEUES);
	r |= hc_vbd_put(vm, v->be, "feature-max-indirect-segments", "%d", HC_BLK_MAX_INDIRECT);
	if (r)
		return -1;
	hc_vbd_set_state(vm, v, XenbusStateInitWait);
	return hc_store_watch(vm->pv.store, v->fe, "vbd", frontend_moved, v);
}
