// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Split devices, shim side: reach the driver domain (spawn a private
 * hcall-dd or connect to a shared one), talk to it, and lose it. One
 * connection serves every device of every type.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hcall/backend/backend.h"
#include "hcall/common/ddproto.h"
#include "hcall/common/err.h"
#include "hcall/common/reap.h"
#include "hcall/dd/gnttab.h"	/* Xen's grant_table.h */
#include "hcall/guestmem.h"
#include "hcall/pv/balloon.h"
#include "hcall/vmm/vm.h"
#include <xen/io/xenbus.h>

#define DD_REAP_MS 5000	/* for a killed private hcall-dd to exit */

/*
 * A dead hcall-dd cannot unpin the grants it had mapped: clear their
 * GTF_reading/GTF_writing for it (as Xen does when a backend domain dies),
 * so the frontend can end access and fail those requests.
 */
static void unpin_dead_dd(struct hc_vm *vm)
{
	uint64_t n = hc_backend_gnttab_entries(vm);
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

/*
 * The connection to hcall-dd is gone, or can no longer pair replies with
 * requests. A private hcall-dd is killed and reaped before we go on (its
 * exit ends its rings, io_uring and mappings): its rings are then gone. A
 * shared one serves on until it notices the hang-up, and we cannot know
 * when: its rings stay attached in our books, their ports taken, and the
 * guest's memory counts as still mapped (bs->stuck). Either way every
 * device is gone, and each frontend is told so.
 */
static void lose_dd(struct hc_vm *vm, int why)
{
	struct hc_backends *bs = vm->backends;
	int i;

	fprintf(stderr, "hcall-run: driver domain %s: its %s are gone\n",
		why == -EIO ? "hung up" : "stopped answering", hc_backends_nouns(bs));
	close(bs->sock);
	bs->sock = -1;
	if (bs->pid > 0)
		kill(bs->pid, SIGKILL);
	/* Its exit may wait for I/O the kernel cannot cancel (a stalled network image). */
	if (bs->pid > 0 && !hc_reap_bounded(bs->pid, DD_REAP_MS)) {
		bs->pid = 0;
		for (i = 0; i < bs->n; i++)
			hc_backend_forget_rings(vm, &bs->d[i]);
		unpin_dead_dd(vm);
		hc_balloon_forget_maps(vm);
	} else {
		if (bs->pid > 0)
			fprintf(stderr, "hcall-run: the killed driver domain has not exited after %d ms: its rings count as running\n",
				DD_REAP_MS);
		bs->stuck = 1;
	}
	for (i = 0; i < bs->n; i++) {
		hc_backend_put(vm, bs->d[i].be, "error", "the driver domain %s: %s gone",
			       why == -EIO ? "hung up" : "stopped answering", bs->d[i].type->noun);
		hc_backend_set_state(vm, &bs->d[i], XenbusStateClosing);
	}
}

int hc_backends_dd_fd(struct hc_vm *vm)
{
	struct hc_backends *bs = vm->backends;

	return bs && bs->n ? bs->sock : -1;
}

int hc_backends_dd_hangup(struct hc_vm *vm, int fd)
{
	struct hc_backends *bs = vm->backends;
	struct pollfd p = { fd, 0, 0 };
	int done = 1;

	pthread_mutex_lock(&vm->pv.lock);
	/* A failed request may have lost it meanwhile: then there is nothing left to do. */
	if (bs && bs->sock == fd) {
		/* A soft reset detaches everything itself: look again once it is over. */
		if (vm->pv.resetting || poll(&p, 1, 0) != 1 || !(p.revents & (POLLHUP | POLLERR)))
			done = 0;
		else
			lose_dd(vm, -EIO);
	}
	pthread_mutex_unlock(&vm->pv.lock);
	return done;
}

/* One request to hcall-dd; a lost or late reply ends the connection. */
int hc_backend_dd_call(struct hc_vm *vm, const struct hc_dd_attach *a, const int *fds,
		       uint32_t *ring_id)
{
	struct hc_backends *bs = vm->backends;
	int ret;

	if (bs->sock < 0)
		return -ENXIO;
	ret = hc_dd_call(bs->sock, a, fds, ring_id);
	if (ret == -ETIMEDOUT || ret == -EIO)
		lose_dd(vm, ret);
	return ret;
}

static int spawn_dd(struct hc_backends *bs, const char *binary, char *err, size_t errlen)
{
	int sv[2];
	char fdarg[16];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		return hc_err(err, errlen, "socketpair: %s", strerror(errno));
	bs->pid = fork();
	if (bs->pid < 0)
		return hc_err(err, errlen, "fork: %s", strerror(errno));
	if (bs->pid == 0) {
		/* The driver domain dies with its shim, holding only its socket. */
		hc_child_prepare();
		if (fcntl(sv[1], F_SETFD, 0) == 0) {
			snprintf(fdarg, sizeof(fdarg), "%d", sv[1]);
			execlp(binary, "hcall-dd", "--fd", fdarg, (char *)NULL);
		}
		fprintf(stderr, "hcall-run: cannot run %s: %s\n", binary, strerror(errno));
		_exit(127);
	}
	close(sv[1]);
	bs->sock = sv[0];
	return 0;
}

static int connect_dd(struct hc_backends *bs, const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct ucred cr;
	socklen_t len = sizeof(cr);

	bs->sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (bs->sock < 0 || strlen(path) >= sizeof(sa.sun_path))
		return hc_err(err, errlen, "%s: %s", path, strerror(errno));
	strcpy(sa.sun_path, path);
	if (connect(bs->sock, (struct sockaddr *)&sa, sizeof(sa)))
		return hc_err(err, errlen, "driver domain at %s: %s", path, strerror(errno));
	/* It is about to get the guest's memory: only from our uid or root. */
	if (getsockopt(bs->sock, SOL_SOCKET, SO_PEERCRED, &cr, &len) || len != sizeof(cr) ||
	    (cr.uid != 0 && cr.uid != geteuid()))
		return hc_err(err, errlen, "driver domain at %s: its listener is neither our uid "
			      "nor root: not used", path);
	return 0;
}

/*
 * The shim waits for the driver domain's answers with the guest's store
 * call in progress: a hung (shared) hcall-dd must cost that device, not the VM.
 */
static void bound_replies(int sock)
{
	struct timeval tv = { .tv_sec = 5 };

	setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(sock, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

int hc_backends_start(struct hc_vm *vm, const char *dd_binary, const char *dd_socket,
		      char *err, size_t errlen)
{
	struct hc_backends *bs = vm->backends;
	int i, ret;

	if (!bs || !bs->n)
		return 0;
	if (!vm->pv.store) {
		snprintf(err, errlen, "PV %s need the hcall platform (not --hvm)",
			 hc_backends_nouns(bs));
		return -1;
	}
	ret = dd_socket ? connect_dd(bs, dd_socket, err, errlen)
			: spawn_dd(bs, dd_binary, err, errlen);
	if (ret)
		return ret;
	bound_replies(bs->sock);
	pthread_mutex_lock(&vm->pv.lock);
	for (i = 0; i < bs->n && !ret; i++)
		ret = hc_backend_publish(vm, &bs->d[i]);
	for (i = 0; i < bs->n; i++)
		bs->d[i].dirty = 0;	/* the watches' first firing: nothing moved */
	pthread_mutex_unlock(&vm->pv.lock);
	if (ret)
		snprintf(err, errlen, "publishing %s in the store failed", hc_backends_nouns(bs));
	return ret ? -1 : 0;
}

/*
 * hcall-dd closes its end of a connection only once every ring it started
 * for it has stopped: its EOF, not our books, says none of them runs. 1
 * once seen (or the peer is gone), 0 after @ms without.
 */
static int dd_closed(int sock, unsigned int ms)
{
	struct pollfd p = { sock, POLLIN, 0 };
	char buf[64];
	unsigned int waited = 0;

	shutdown(sock, SHUT_WR);
	for (;;) {
		ssize_t n = recv(sock, buf, sizeof(buf), MSG_DONTWAIT);

		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			return 1;	/* EOF, or its socket is gone with it */
		if (n > 0)
			continue;	/* a late reply: not the end yet */
		if (waited >= ms)
			return 0;
		if (poll(&p, 1, 100) <= 0)
			waited += 100;
	}
}

void hc_backends_destroy(struct hc_vm *vm)
{
	struct hc_backends *bs = vm->backends;
	int i;

	if (!bs)
		return;
	if (bs->sock >= 0) {
		for (i = 0; i < bs->n; i++)
			if (hc_backend_detach(vm, &bs->d[i]))
				bs->unstopped = 1;
		/* A lost connection (closed by the detach) set stuck instead. */
		if (bs->sock >= 0 && !dd_closed(bs->sock, DD_REAP_MS))
			bs->unstopped = 1;
		if (bs->sock >= 0)
			close(bs->sock);	/* a private hcall-dd exits when this closes */
	}
	if (hc_reap_or_kill(bs->pid, DD_REAP_MS))	/* its exit may hang on I/O, like a loss */
		bs->unstopped = 1;
	bs->sock = -1;
	bs->pid = 0;
	for (i = 0; i < bs->n; i++)
		bs->d[i].type->release(&bs->d[i]);
	bs->n = 0;	/* the counters stay for the exit report */
}

int hc_backends_quiesced(const struct hc_vm *vm)
{
	return !vm->backends || (!vm->backends->stuck && !vm->backends->unstopped);
}

void hc_backends_free(struct hc_vm *vm)
{
	hc_backends_destroy(vm);
	free(vm->backends);
	vm->backends = NULL;
}
