// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Split devices, shim side, for every device type: add and publish each
 * device in the store and run the toolstack's (backend) side of the
 * XenbusState handshake; the type reads its rings from the frontend and
 * hc_backend_attach() hands each to the driver domain. Everything read
 * from the frontend's half of the store is hostile: numbers are parsed
 * strictly, ports must be ones this guest allocated for a backend and not
 * already in use.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hcall/backend/backend.h"
#include "hcall/common/ddproto.h"
#include "hcall/common/err.h"
#include "hcall/dd/gnttab.h"	/* Xen's grant_table.h */
#include "hcall/pv/store.h"
#include "hcall/vmm/vm.h"
#include <xen/io/xenbus.h>

/* "dir/node" into @path (HC_STORE_MAX_PATH bytes); -E2BIG if it does not fit. */
static int node_path(char *path, const char *dir, const char *node)
{
	int n = snprintf(path, HC_STORE_MAX_PATH, "%s/%s", dir, node);

	return n < 0 || n >= HC_STORE_MAX_PATH ? -E2BIG : 0;
}

/* Write "dir/node" = printf(...) as the toolstack. */
int hc_backend_put(struct hc_vm *vm, const char *dir, const char *node, const char *fmt, ...)
{
	char path[HC_STORE_MAX_PATH], val[128];
	va_list ap;
	int n;

	if (node_path(path, dir, node))
		return -E2BIG;
	va_start(ap, fmt);
	n = vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(val))
		return -E2BIG;
	return hc_store_write(vm->pv.store, HC_STORE_TOOL, path, val, (size_t)n);
}

int hc_backend_get(struct hc_vm *vm, const char *dir, const char *node, char *val, size_t size)
{
	char path[HC_STORE_MAX_PATH];
	size_t n;

	if (!size || node_path(path, dir, node) ||
	    hc_store_read(vm->pv.store, path, val, size - 1, &n))
		return -1;
	val[n] = '\0';
	return (int)n;
}

long long hc_backend_get_num(struct hc_vm *vm, const char *dir, const char *node)
{
	char val[32];
	char *end;
	unsigned long long x;

	if (hc_backend_get(vm, dir, node, val, sizeof(val)) <= 0)
		return -1;
	if (val[0] < '0' || val[0] > '9')
		return -1;
	errno = 0;
	x = strtoull(val, &end, 10);
	if (errno || *end || x > UINT32_MAX)
		return -1;
	return (long long)x;
}

void hc_backend_rm(struct hc_vm *vm, const char *dir, const char *node)
{
	char path[HC_STORE_MAX_PATH];

	if (!node_path(path, dir, node))
		hc_store_rm(vm->pv.store, HC_STORE_TOOL, path);
}

uint64_t hc_backend_gnttab_entries(const struct hc_vm *vm)
{
	return (uint64_t)vm->pv.gnttab_frames * 4096 / sizeof(grant_entry_v1_t);
}

struct hc_backend_counters *hc_backend_counters_of(struct hc_vm *vm,
						   const struct hc_backend_type *t)
{
	unsigned int i;

	for (i = 0; vm->backends && hc_backend_types[i] && i < HC_BACKEND_MAX_TYPES; i++)
		if (hc_backend_types[i] == t)
			return &vm->backends->counters[i];
	return NULL;
}

const struct hc_backend_counters *hc_backend_counters(struct hc_vm *vm,
						      const struct hc_backend_type *t)
{
	const struct hc_backend_counters *c = hc_backend_counters_of(vm, t);

	return c && c->added ? c : NULL;
}

const char *hc_backends_nouns(const struct hc_backends *bs)
{
	int i;

	for (i = 1; i < bs->n; i++)
		if (bs->d[i].type != bs->d[0].type)
			return "devices";
	return bs->n ? bs->d[0].type->nouns : "devices";
}

int hc_backend_add(struct hc_vm *vm, const struct hc_backend_type *t, const char *spec,
		   char *err, size_t errlen)
{
	struct hc_backends *bs = vm->backends;
	struct hc_backend_counters *c;
	struct hc_backend_dev *d;
	unsigned int nth = 0;
	int i, ret;

	if (!bs) {
		bs = vm->backends = calloc(1, sizeof(*bs));
		if (!bs)
			return hc_err(err, errlen, "%s", strerror(errno));
		bs->sock = -1;
	}
	c = hc_backend_counters_of(vm, t);
	if (!c) {
		snprintf(err, errlen, "no such device type");
		return -1;
	}
	for (i = 0; i < bs->n; i++)
		nth += bs->d[i].type == t;
	if (nth == t->max_devs || bs->n == HC_BACKEND_MAX_DEVS) {
		snprintf(err, errlen, "at most %u %s", t->max_devs, t->nouns);
		return -1;
	}
	d = &bs->d[bs->n];
	memset(d, 0, sizeof(*d));
	d->type = t;
	ret = t->add(d, nth, spec, err, errlen);
	if (ret) {
		t->release(d);
		return ret;
	}
	snprintf(d->fe, sizeof(d->fe), "device/%s/%u", t->name, d->devid);
	snprintf(d->be, sizeof(d->be), "backend/%s/%u/%u", t->name, HCALL_DOMID_SELF, d->devid);
	c->added++;
	bs->n++;
	return 0;
}

void hc_backend_set_state(struct hc_vm *vm, struct hc_backend_dev *d, int state)
{
	if (d->be_state == state)
		return;
	d->be_state = state;
	hc_backend_put(vm, d->be, "state", "%d", state);
}

/* Ring @q of @d no longer runs anywhere: its ports are the guest's again. */
static void forget_ring(struct hc_vm *vm, struct hc_backend_dev *d, unsigned int q)
{
	unsigned int k;

	for (k = 0; k < d->ring[q].nr_ports; k++)
		if (d->ring[q].port[k] < HC_SHIM_PORTS)
			vm->pv.ports[d->ring[q].port[k]].attached = 0;
}

void hc_backend_forget_rings(struct hc_vm *vm, struct hc_backend_dev *d)
{
	unsigned int q;

	for (q = 0; q < d->nr_rings; q++)
		forget_ring(vm, d, q);
	if (d->nr_rings)
		hc_backend_counters_of(vm, d->type)->disconnects++;
	d->nr_rings = 0;
}

int hc_backend_detach(struct hc_vm *vm, struct hc_backend_dev *d)
{
	struct hc_dd_attach a = {
		.magic = HC_DD_MAGIC, .version = HC_DD_VERSION, .op = HC_DD_OP_DETACH,
	};
	struct hc_backend_ring keep[HC_BACKEND_MAX_RINGS];
	unsigned int q, kept = 0;
	int ret;

	for (q = 0; q < d->nr_rings; q++) {
		a.ring_id = d->ring[q].id;
		ret = hc_backend_dd_call(vm, &a, NULL, NULL);
		if (!d->nr_rings)
			return 0;	/* a private hcall-dd died, its rings with it */
		if (ret == 0 || ret == -ENOENT)	/* stopped, or never ran */
			forget_ring(vm, d, q);
		else
			keep[kept++] = d->ring[q];
	}
	if (!kept) {
		d->nr_rings = 0;
		if (q)
			hc_backend_counters_of(vm, d->type)->disconnects++;
		return 0;
	}
	memcpy(d->ring, keep, kept * sizeof(keep[0]));
	d->nr_rings = kept;
	return -1;
}

int hc_backend_attach(struct hc_vm *vm, struct hc_backend_dev *d, unsigned int nr_refs,
		      const long long *refs, unsigned int nr_ports, const long long *ports,
		      int *asked)
{
	struct hc_dd_attach a = {
		.magic = HC_DD_MAGIC, .version = HC_DD_VERSION, .op = HC_DD_OP_ATTACH,
		.type = d->type->dd_type,
		.nr_rings = (uint16_t)nr_refs,
		.nr_ports = (uint16_t)nr_ports,
		.mem = vm->mem,
		.gnttab_gpa = vm->pv.gnttab_gpa,
		.gnttab_entries = (uint32_t)hc_backend_gnttab_entries(vm),
		.shared_info_gpa = vm->pv.shared_gpa,	/* guest-physical, not a host offset */
		.backend_domid = HCALL_DOMID_BACKEND,
		.nr_vcpus = (uint16_t)vm->ncpus,
	};
	unsigned int type_fd = HC_DD_FD_TYPE(nr_ports, (unsigned int)vm->ncpus);
	struct hc_evtchn_port *p[HC_DD_MAX_PORTS];
	struct hc_backend_ring *ring = &d->ring[d->nr_rings];
	int fds[HC_DD_MAX_FDS];
	unsigned int i, k;
	int ret, own;

	for (i = 0; i < HC_DD_MAX_FDS; i++)
		fds[i] = -1;	/* never a stray shim fd in SCM_RIGHTS */
	if (d->nr_rings == HC_BACKEND_MAX_RINGS || nr_refs > HC_DD_MAX_RINGS ||
	    !nr_ports || nr_ports > HC_DD_MAX_PORTS)
		return -EINVAL;
	for (i = 0; i < nr_refs; i++) {
		if (refs[i] < 0)
			return -EINVAL;
		a.ring_ref[i] = (uint32_t)refs[i];
	}
	for (i = 0; i < nr_ports; i++) {
		if (ports[i] <= 0 || ports[i] >= HC_SHIM_PORTS)
			return -EINVAL;
		p[i] = &vm->pv.ports[ports[i]];
		if (p[i]->owner != HC_PORT_BACKEND || p[i]->attached || p[i]->kick_fd < 0)
			return -EINVAL;	/* not a backend port of this guest, or taken */
		for (k = 0; k < i; k++)
			if (ports[k] == ports[i])
				return -EINVAL;	/* one port twice */
		a.evtchn_port[i] = (uint32_t)ports[i];
		fds[HC_DD_FD_KICK + i] = p[i]->kick_fd;
	}
	fds[HC_DD_FD_RAM] = vm->mem_fd;
	for (i = 0; i < (unsigned int)vm->ncpus; i++)
		fds[HC_DD_FD_UPCALL(nr_ports) + i] = vm->pv.upcall_fd[i];
	own = d->type->attach_part(d, d->nr_rings, &a, &fds[type_fd]);
	if (own != hc_dd_type_fds[a.type])
		return -EINVAL;	/* the type and the protocol disagree: a bug of ours */
	for (i = 0; i < (unsigned int)own; i++)
		if (fds[type_fd + i] < 0)
			return -EINVAL;
	*asked = 1;
	ret = hc_backend_dd_call(vm, &a, fds, &ring->id);
	for (i = 0; i < nr_ports; i++)
		if (!ret || ((ret == -ETIMEDOUT || ret == -EIO) && vm->backends->stuck))
			p[i]->attached = 1;	/* a lost hcall-dd may have started it: never reuse */
	if (ret)
		return ret;
	ring->nr_ports = nr_ports;
	for (i = 0; i < nr_ports; i++)
		ring->port[i] = (uint32_t)ports[i];
	d->nr_rings++;
	return 0;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * Attaching maps all of guest RAM, sets up the ring's engine and starts a
 * thread in the driver domain per ring: a token bucket per device bounds
 * how often a frontend toggling its state can make us do that.
 */
static int may_connect(struct hc_backend_dev *d)
{
	const uint64_t full = HC_BACKEND_CONNECT_BURST * 1000ull;
	uint64_t now = now_ms();

	/* In thousandths of a connect: HC_BACKEND_CONNECTS_PER_S come back a second. */
	if (!d->bucket_ms)
		d->bucket = full;
	else
		d->bucket += (now - d->bucket_ms) * HC_BACKEND_CONNECTS_PER_S;
	if (d->bucket > full)
		d->bucket = full;
	d->bucket_ms = now;
	return d->bucket >= 1000;
}

/*
 * Every attempt that reached hcall-dd costs, attached or not: even a bad
 * ring ref makes it map and unmap all of guest RAM. Refusals of our own
 * are cheap.
 */
static void charge_connect(struct hc_backend_dev *d, int asked)
{
	if (asked)
		d->bucket -= 1000;	/* may_connect() saw at least 1000 */
}

/* Stop every ring of @d; one that may still run keeps the device Closing. */
static int detach_or_close(struct hc_vm *vm, struct hc_backend_dev *d)
{
	if (!hc_backend_detach(vm, d))
		return 0;
	hc_backend_put(vm, d->be, "error", "the driver domain did not stop a ring: %s gone",
		       d->type->noun);
	hc_backend_set_state(vm, d, XenbusStateClosing);
	return -1;
}

/* The frontend is ready: attach its rings, or refuse it with a reason. */
static void connect(struct hc_vm *vm, struct hc_backend_dev *d)
{
	struct hc_backend_counters *c = hc_backend_counters_of(vm, d->type);
	int ret, asked = 0;

	if (!may_connect(d)) {
		if (!d->throttled)
			fprintf(stderr, "hcall-run: %s %u: the frontend reconnects more than "
				"%d times a second: refused until it slows down\n", d->type->name,
				d->devid, HC_BACKEND_CONNECTS_PER_S);
		d->throttled = 1;
		c->refused++;
		hc_backend_put(vm, d->be, "error", "connecting too often (at most %d a second): "
			       "try again later", HC_BACKEND_CONNECTS_PER_S);
		hc_backend_set_state(vm, d, XenbusStateClosing);
		return;
	}
	d->throttled = 0;
	ret = vm->pv.shared && vm->pv.gnttab_frames ? d->type->connect(vm, d, &asked) : -ENXIO;
	charge_connect(d, asked);
	if (ret) {
		c->refused++;
		if (detach_or_close(vm, d))
			return;	/* a ring that did attach would not stop */
		hc_backend_put(vm, d->be, "error", "%d connecting rings: %s", -ret, strerror(-ret));
		hc_backend_set_state(vm, d, XenbusStateClosing);
		return;
	}
	c->connects++;
	hc_backend_set_state(vm, d, XenbusStateConnected);
}

/* The backend half of the XenbusState handshake for one device. */
static void step(struct hc_vm *vm, struct hc_backend_dev *d)
{
	switch (hc_backend_get_num(vm, d->fe, "state")) {
	case XenbusStateInitialised:
	case XenbusStateConnected:
		if (!d->nr_rings && d->be_state == XenbusStateInitWait)
			connect(vm, d);
		break;
	case XenbusStateClosing:
		if (!detach_or_close(vm, d))
			hc_backend_set_state(vm, d, XenbusStateClosed);
		break;
	case XenbusStateClosed:
	case XenbusStateInitialising:
		/* The frontend is gone or starting over: be ready for it. */
		if (!detach_or_close(vm, d))
			hc_backend_set_state(vm, d, XenbusStateInitWait);
		break;
	default:
		break;
	}
}

void hc_backends_poll(struct hc_vm *vm)
{
	struct hc_backends *bs = vm->backends;
	int i;

	for (i = 0; bs && i < bs->n; i++)
		if (bs->d[i].dirty) {
			bs->d[i].dirty = 0;
			step(vm, &bs->d[i]);
		}
}

int hc_backends_reset(struct hc_vm *vm)
{
	struct hc_backends *bs = vm->backends;
	int i, ret = 0;

	for (i = 0; bs && i < bs->n; i++) {
		struct hc_backend_dev *d = &bs->d[i];

		if (hc_backend_detach(vm, d))
			ret = -1;
		hc_backend_rm(vm, d->be, "error");
		d->type->forget_frontend(vm, d);
		hc_backend_put(vm, d->fe, "state", "%d", XenbusStateInitialising);
		hc_backend_set_state(vm, d, XenbusStateInitWait);
		d->dirty = 0;	/* our own writes: nothing the frontend did */
	}
	return bs && bs->stuck ? -1 : ret;
}

/* Runs inside the store lock: only note it. */
static void frontend_moved(void *opaque, const char *path, const char *token)
{
	(void)path;
	(void)token;
	((struct hc_backend_dev *)opaque)->dirty = 1;
}

int hc_backend_publish(struct hc_vm *vm, struct hc_backend_dev *d)
{
	int r = 0;

	/* Each directory's nodes in xenstore's usual order; the type's in between. */
	r |= hc_backend_put(vm, d->fe, "backend", "%s", d->be);
	r |= hc_backend_put(vm, d->fe, "backend-id", "%d", HCALL_DOMID_BACKEND);
	r |= hc_backend_put(vm, d->be, "frontend", "%s", d->fe);
	r |= hc_backend_put(vm, d->be, "frontend-id", "%d", HCALL_DOMID_SELF);
	r |= d->type->publish(vm, d);
	r |= hc_backend_put(vm, d->fe, "state", "%d", XenbusStateInitialising);
	if (r)
		return -1;
	hc_backend_set_state(vm, d, XenbusStateInitWait);
	return hc_store_watch(vm->pv.store, d->fe, d->type->name, frontend_moved, d);
}

void hc_backends_report_json(struct hc_vm *vm, FILE *f)
{
	const struct hc_backend_counters *c;
	unsigned int i;

	for (i = 0; hc_backend_types[i]; i++) {
		c = hc_backend_counters(vm, hc_backend_types[i]);
		if (c)
			fprintf(f, "\n  \"%s\": { \"connects\": %llu, "
				"\"disconnects\": %llu, \"refused\": %llu },",
				hc_backend_types[i]->name, (unsigned long long)c->connects,
				(unsigned long long)c->disconnects, (unsigned long long)c->refused);
	}
}
