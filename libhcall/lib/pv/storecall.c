// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * HCALL_store: the guest's door to its store. Paths, tokens and values are
 * copied out of guest memory once, bounded, and only then handed to the
 * store, which checks them again. Watch events for the guest queue here
 * (bounded) and the store port tells the guest to come and fetch them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hcall/backend/backend.h"
#include "hcall/guestmem.h"
#include "hcall/pv/evtchn.h"
#include "hcall/pv/pv.h"
#include "hcall/pv/store.h"
#include "hcall/pv/storecall.h"
#include "hcall/vmm/vm.h"

#define MAX_EVENTS 256
#define GUEST_TOKEN "g/"	/* guest tokens live apart from the shim's */

struct hc_store_event {
	char path[HCALL_STORE_MAX_PATH];
	char token[HCALL_STORE_MAX_TOKEN];
};

struct hc_store_events {
	struct hc_store_event ev[MAX_EVENTS];
	unsigned int head, count;
	uint64_t dropped;
};

int hc_store_setup(struct hc_vm *vm)
{
	vm->pv.store = hc_store_new();
	vm->pv.events = calloc(1, sizeof(*vm->pv.events));
	if (vm->pv.store && vm->pv.events)
		return 0;
	hc_store_teardown(vm);
	return -1;
}

void hc_store_teardown(struct hc_vm *vm)
{
	hc_store_free(vm->pv.store);
	free(vm->pv.events);
	vm->pv.store = NULL;
	vm->pv.events = NULL;
}

static void guest_watch_fired(void *opaque, const char *path, const char *token);

void hc_store_reset_guest(struct hc_vm *vm)
{
	char names[HCALL_STORE_MAX_VALUE], path[HCALL_STORE_MAX_PATH];
	size_t len = 0;

	if (!vm->pv.store)
		return;
	hc_store_unwatch_all(vm->pv.store, guest_watch_fired);
	vm->pv.events->head = vm->pv.events->count = 0;
	/*
	 * The next kernel has not said it listens, and a request left for the
	 * old one must not reach it (a kdump kernel powered off mid-dump):
	 * control/shutdown and every control/feature-* go.
	 */
	hc_store_rm(vm->pv.store, HC_STORE_TOOL, "control/shutdown");
	/* The two the control socket reads go even if the listing fails. */
	hc_store_rm(vm->pv.store, HC_STORE_TOOL, "control/feature-poweroff");
	hc_store_rm(vm->pv.store, HC_STORE_TOOL, "control/feature-reboot");
	if (hc_store_directory(vm->pv.store, "control", names, sizeof(names), &len))
		return;
	for (size_t i = 0, n; i < len; i += n + 1) {
		n = strnlen(names + i, len - i);
		if (n == len - i)
			break;	/* not terminated: cannot happen, never overrun */
		if (strncmp(names + i, "feature-", 8) || n + 9 > sizeof(path))
			continue;
		memcpy(path, "control/", 8);
		memcpy(path + 8, names + i, n + 1);
		hc_store_rm(vm->pv.store, HC_STORE_TOOL, path);
	}
}

/* Runs inside the store's lock (and under pv.lock): only queue and notify. */
static void guest_watch_fired(void *opaque, const char *path, const char *token)
{
	struct hc_vm *vm = opaque;
	struct hc_store_events *q = vm->pv.events;
	struct hc_store_event *e;

	if (q->count == MAX_EVENTS) {
		q->dropped++;	/* a guest that never drains loses its own events */
		return;
	}
	e = &q->ev[(q->head + q->count) % MAX_EVENTS];
	snprintf(e->path, sizeof(e->path), "%s", path);
	snprintf(e->token, sizeof(e->token), "%s", token + strlen(GUEST_TOKEN));
	q->count++;
	if (vm->pv.store_port)
		hc_evtchn_notify(vm, vm->pv.store_port);
}

/* Copy a NUL-terminated string of at most @max bytes out of guest memory. */
static int64_t guest_string(struct hc_vm *vm, uint64_t gpa, char *out, size_t max)
{
	uint64_t span = hc_gpa_span(vm->mem, gpa);
	size_t n = span < max ? (size_t)span : max;
	const uint8_t *src;

	/* The string may end anywhere before the end of its RAM slot. */
	if (!n)
		return -HCALL_EFAULT;
	src = hc_gpa(vm->ram, vm->mem, gpa, n);
	if (!src)
		return -HCALL_EFAULT;
	memcpy(out, src, n);
	if (!memchr(out, '\0', n))
		return -HCALL_E2BIG;
	return 0;
}

/* Copy at most @len of @n bytes to the guest; returns @n or -EFAULT. */
static int64_t to_guest(struct hc_vm *vm, uint64_t gpa, uint64_t len, const void *src,
			size_t n)
{
	uint8_t *dst;

	if (len > n)
		len = n;
	if (!len)
		return (int64_t)n;
	dst = hc_gpa(vm->ram, vm->mem, gpa, len);
	if (!dst)
		return -HCALL_EFAULT;
	memcpy(dst, src, len);
	return (int64_t)n;
}

static int64_t pop_event(struct hc_vm *vm, uint64_t gpa, uint64_t len)
{
	struct hc_store_events *q = vm->pv.events;
	struct hc_store_event *e = &q->ev[q->head];
	char buf[HCALL_STORE_MAX_PATH + HCALL_STORE_MAX_TOKEN];
	size_t pl, tl;
	int64_t ret;

	if (!q->count)
		return 0;
	pl = strlen(e->path) + 1;
	tl = strlen(e->token) + 1;
	if (len < pl + tl)
		return -HCALL_ERANGE;	/* kept: ask again with room */
	memcpy(buf, e->path, pl);
	memcpy(buf + pl, e->token, tl);
	ret = to_guest(vm, gpa, len, buf, pl + tl);
	if (ret > 0) {
		q->head = (q->head + 1) % MAX_EVENTS;
		q->count--;
	}
	return ret;
}

static int64_t watch(struct hc_vm *vm, const char *path, uint64_t token_gpa, int add)
{
	char token[HCALL_STORE_MAX_TOKEN], full[sizeof(GUEST_TOKEN) + HCALL_STORE_MAX_TOKEN];
	int64_t ret = guest_string(vm, token_gpa, token, sizeof(token));

	if (ret)
		return ret;
	snprintf(full, sizeof(full), GUEST_TOKEN "%s", token);
	if (add)
		return hc_store_watch(vm->pv.store, path, full, guest_watch_fired, vm);
	return hc_store_unwatch(vm->pv.store, path, full);
}

int64_t hc_store_call(struct hc_vm *vm, const uint64_t a[5])
{
	static __thread char val[HCALL_STORE_MAX_VALUE];
	char path[HCALL_STORE_MAX_PATH];
	uint64_t op = a[0], buf = a[2], len = a[3];
	size_t n = 0;
	int64_t ret;
	int port;

	if (!vm->pv.store)
		return -HCALL_ENOSYS;
	if (op == HCALL_STORE_EVENT)
		return pop_event(vm, buf, len);
	if (op == HCALL_STORE_PORT) {
		if (vm->pv.store_port)
			return vm->pv.store_port;
		port = hc_evtchn_bind(vm, HC_PORT_STORE);
		if (port > 0) {
			vm->pv.store_port = (uint32_t)port;
			if (vm->pv.events->count)
				hc_evtchn_notify(vm, (uint32_t)port);
		}
		return port;
	}
	if (op > HCALL_STORE_UNWATCH)
		return -HCALL_EINVAL;
	ret = guest_string(vm, a[1], path, sizeof(path));
	if (ret)
		return ret;
	switch (op) {
	case HCALL_STORE_READ:
		ret = hc_store_read(vm->pv.store, path, val, sizeof(val), &n);
		return ret ? ret : to_guest(vm, buf, len, val, n);
	case HCALL_STORE_DIRECTORY:
		ret = hc_store_directory(vm->pv.store, path, val, sizeof(val), &n);
		return ret ? ret : to_guest(vm, buf, len, val, n);
	case HCALL_STORE_WRITE: {
		const void *src;

		if (len > HCALL_STORE_MAX_VALUE)
			return -HCALL_E2BIG;
		src = len ? hc_gpa(vm->ram, vm->mem, buf, len) : "";
		if (!src)
			return -HCALL_EFAULT;
		memcpy(val, src, len);	/* once: the guest may change it meanwhile */
		ret = hc_store_write(vm->pv.store, HC_STORE_GUEST, path, val, len);
		break;
	}
	case HCALL_STORE_RM:
		ret = hc_store_rm(vm->pv.store, HC_STORE_GUEST, path);
		break;
	default:
		return watch(vm, path, buf, op == HCALL_STORE_WATCH);
	}
	/* A frontend may have moved: let the backends look. */
	if (!ret)
		hc_backends_poll(vm);
	return ret;
}
