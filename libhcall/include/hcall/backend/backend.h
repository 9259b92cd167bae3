/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Split devices, the shim's toolstack and backend-control half. For every
 * device it writes both halves into the store, runs the backend side of
 * the XenbusState handshake, and hands each connected ring to the driver
 * domain (hcall-dd), which does all the I/O: the shim never touches a
 * request. What differs between device kinds is one struct
 * hc_backend_type each (lib/backend/<type>.c), listed once in
 * hc_backend_types[] (lib/backend/types.c); the rest is written once:
 * backend.c (store nodes, handshake, connect budget, soft reset) and
 * ddconn.c (reaching, calling and losing the driver domain).
 */
#ifndef HCALL_BACKEND_H
#define HCALL_BACKEND_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "hcall/common/ddproto.h"

#define HC_BACKEND_MAX_TYPES	8
#define HC_BACKEND_MAX_DEVS	16	/* of all types together */
#define HC_BACKEND_MAX_RINGS	4	/* hcall-dd rings (queues) per device */
/* A frontend may connect this many times at once, then this many a second. */
#define HC_BACKEND_CONNECT_BURST	16
#define HC_BACKEND_CONNECTS_PER_S	4

struct hc_vm;
struct hc_backend_dev;

/* A device kind: what the generic half asks of it. */
struct hc_backend_type {
	const char *name;	/* "vbd": device/<name>/..., watch token, report key */
	const char *option;	/* "disk": hcall-run's --disk adds one */
	const char *help;	/* its lines in hcall-run --help */
	const char *noun, *nouns;	/* "disk", "disks": in messages */
	unsigned int max_devs;	/* how many a VM may have */
	uint32_t dd_type;	/* HC_DD_TYPE_*: what hcall-dd serves it with */
	/*
	 * Make @d the @nth device of this type from hcall-run's option value
	 * @spec: set d->devid (the store's device id) and d->priv, open what
	 * it needs. 0 or -1 + @err; the caller calls release() either way.
	 */
	int (*add)(struct hc_backend_dev *d, unsigned int nth, const char *spec,
		   char *err, size_t errlen);
	/* Write the type's nodes of both halves (d->fe, d->be). 0 or -1. */
	int (*publish)(struct hc_vm *vm, const struct hc_backend_dev *d);
	/*
	 * The frontend says it is ready: read its ring refs and ports (all
	 * hostile) and attach each ring with hc_backend_attach(). 0 or a
	 * negative errno (rings attached so far are detached by the caller).
	 */
	int (*connect)(struct hc_vm *vm, struct hc_backend_dev *d, int *asked);
	/*
	 * Fill the attach's type part @a->u and the type's own fds for the
	 * device's ring (queue) @ring, the rings before it attached; returns
	 * how many fds.
	 */
	int (*attach_part)(const struct hc_backend_dev *d, unsigned int ring,
			   struct hc_dd_attach *a, int *fds);
	/* Soft reset: remove the old kernel's ring nodes from d->fe. */
	void (*forget_frontend)(struct hc_vm *vm, const struct hc_backend_dev *d);
	/* Close and free what add() opened. */
	void (*release)(struct hc_backend_dev *d);
};

/* Every type, NULL-terminated (lib/backend/types.c). */
extern const struct hc_backend_type *const hc_backend_types[];

/* One ring of a device in hcall-dd. */
struct hc_backend_ring {
	uint32_t id;			/* hcall-dd's ring id */
	unsigned int nr_ports;
	uint32_t port[HC_DD_MAX_PORTS];
};

struct hc_backend_dev {
	const struct hc_backend_type *type;
	void *priv;			/* the type's */
	unsigned int devid;		/* device/<type>/<devid> */
	char fe[48], be[48];		/* store directories of the two halves */
	int dirty;			/* the frontend's state node changed */
	int be_state;			/* what we last wrote (XenbusState) */
	unsigned int nr_rings;
	struct hc_backend_ring ring[HC_BACKEND_MAX_RINGS];
	uint64_t bucket, bucket_ms;	/* connect token bucket (x1000), last refill */
	int throttled;			/* refused for connecting too often (logged) */
};

/* Per type (by its index in hc_backend_types[]). */
struct hc_backend_counters {
	unsigned int added;		/* devices of the type ever added */
	uint64_t connects, disconnects, refused;
};

struct hc_backends {
	int n;
	struct hc_backend_dev d[HC_BACKEND_MAX_DEVS];
	struct hc_backend_counters counters[HC_BACKEND_MAX_TYPES];
	int sock;			/* to hcall-dd */
	pid_t pid;			/* a private hcall-dd we spawned, or 0 */
	int stuck;			/* a shared hcall-dd we lost may run rings still */
	int unstopped;			/* at destroy: a ring of ours may still run */
};

/* For the tools. */
/* Add a device of @t from @spec (before hc_backends_start). 0 or -1 + @err. */
int hc_backend_add(struct hc_vm *vm, const struct hc_backend_type *t, const char *spec,
		   char *err, size_t errlen);
/*
 * Reach the driver domain (spawn @dd_binary on a socketpair, or connect to
 * the listening @dd_socket) and publish every device. 0 or -1 + @err.
 */
int hc_backends_start(struct hc_vm *vm, const char *dd_binary, const char *dd_socket,
		      char *err, size_t errlen);
/* Act on frontend state changes; with pv.lock held. */
void hc_backends_poll(struct hc_vm *vm);
/*
 * Soft reset, with pv.lock held: detach every ring from the driver domain
 * and put each device back at the start of its handshake (the old kernel's
 * ring nodes removed), for the next kernel's frontend. 0: the driver
 * domain no longer touches guest memory. -1: it may (a ring did not stop,
 * or a shared hcall-dd was lost with rings): the memory cannot be handed on.
 */
int hc_backends_reset(struct hc_vm *vm);
/*
 * The connection to the driver domain, -1 without one: the tool's main loop
 * watches it for a hang-up (poll events 0, so only POLLHUP and POLLERR).
 * Read it before the vCPUs run (a failed request may close it later).
 */
int hc_backends_dd_fd(struct hc_vm *vm);
/*
 * The driver domain's connection @fd reported POLLHUP or POLLERR: it died
 * between requests (killed, crashed). Lose it as a failed request would,
 * so every device is gone and each frontend is told now, not at its next
 * request (a NIC's link would stay up meanwhile). 1: done with @fd (lost,
 * or already lost); 0: look again later (a soft reset is under way).
 */
int hc_backends_dd_hangup(struct hc_vm *vm, int fd);
/* Detach everything, close the driver domain, reap a private one. */
void hc_backends_destroy(struct hc_vm *vm);
/*
 * After hc_backends_destroy(): 1 if no ring of this guest can still run in
 * a driver domain (each was detached, which stops its thread first, or its
 * private hcall-dd was reaped), 0 if one may (a driver domain lost while
 * attached, or one not reaped).
 */
int hc_backends_quiesced(const struct hc_vm *vm);
/* hc_backends_destroy() and free what is left (the counters). */
void hc_backends_free(struct hc_vm *vm);
/* @t's counters; NULL if no device of @t was ever added. */
const struct hc_backend_counters *hc_backend_counters(struct hc_vm *vm,
						      const struct hc_backend_type *t);
/* The report's entry of each type with devices: "\n  \"<name>\": { ... },". */
void hc_backends_report_json(struct hc_vm *vm, FILE *f);

/* For the types. */
/* Write "dir/node" = printf(...) as the toolstack. */
int hc_backend_put(struct hc_vm *vm, const char *dir, const char *node, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* "dir/node" into @val (@size bytes, NUL added): its length, or -1 if absent. */
int hc_backend_get(struct hc_vm *vm, const char *dir, const char *node, char *val, size_t size);
/* "dir/node" as an unsigned 32-bit number; -1 if absent or not a number. */
long long hc_backend_get_num(struct hc_vm *vm, const char *dir, const char *node);
/* Remove "dir/node" as the toolstack. */
void hc_backend_rm(struct hc_vm *vm, const char *dir, const char *node);
/* Entries of the guest's grant table (v1), as its frames hold them. */
uint64_t hc_backend_gnttab_entries(const struct hc_vm *vm);
/*
 * Attach one ring of @d: @nr_refs grant refs and @nr_ports ports as the
 * frontend wrote them (-1: absent or not a number; checked here: each port
 * must be a backend port of this guest not yet in use). 0 or a negative
 * errno; *@asked is set once hcall-dd was asked (the attempt then costs).
 */
int hc_backend_attach(struct hc_vm *vm, struct hc_backend_dev *d, unsigned int nr_refs,
		      const long long *refs, unsigned int nr_ports, const long long *ports,
		      int *asked);

/* Within lib/backend. */
struct hc_backend_counters *hc_backend_counters_of(struct hc_vm *vm,
						   const struct hc_backend_type *t);
/* Write our (backend) XenbusState of @d if it changed. */
void hc_backend_set_state(struct hc_vm *vm, struct hc_backend_dev *d, int state);
/* Every ring of @d is gone: their ports are the guest's again. */
void hc_backend_forget_rings(struct hc_vm *vm, struct hc_backend_dev *d);
/*
 * Stop every ring of @d. A ring whose DETACH failed may still run (e.g.
 * its thread is finishing a slow batch): it stays attached, port and all,
 * and -1 is returned. 0 once none is left.
 */
int hc_backend_detach(struct hc_vm *vm, struct hc_backend_dev *d);
/* Write both halves of @d into the store and watch the frontend. 0 or -1. */
int hc_backend_publish(struct hc_vm *vm, struct hc_backend_dev *d);
/* "disks" when every device is a disk, else "devices": for messages. */
const char *hc_backends_nouns(const struct hc_backends *bs);
/*
 * One request to hcall-dd; a lost or late reply ends the connection: 0,
 * the reply's status or -errno.
 */
int hc_backend_dd_call(struct hc_vm *vm, const struct hc_dd_attach *a, const int *fds,
		       uint32_t *ring_id);

#endif
