// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The control socket's server: one thread, one poll() over the listening
 * socket and every client. Clients are hostile and may be slow: sockets
 * are non-blocking, a request line is at most HC_CONTROL_MAX_LINE bytes
 * (longer ones get an error and are skipped to their newline), a partial
 * line at a hang-up is never run, and answers a client does not read pile
 * up to HC_CONTROL_MAX_OUTPUT bytes at most, then it is dropped. Each
 * poll round answers at most one request per client, so a client that
 * pipelines requests waits its turn behind the others; a client that
 * completes no line for c->idle_ms (60 s) is dropped, so idle clients
 * cannot hold every place. So no client can stall another, the guest or
 * the VMM.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "hcall/common/err.h"
#include "hcall/common/unixsock.h"
#include "hcall/common/jsonline.h"

#include "control_impl.h"

#define ACCEPTS_PER_ROUND	8
#define ACCEPT_PAUSE_MS		100	/* out of fds: let the listener rest */

struct hc_control_client {
	int fd;
	int skipping;		/* the rest of an over-long line is dropped */
	uint64_t deadline;	/* ms (now_ms()): dropped unless a line completes by then */
	size_t inlen;
	char *out;		/* answers not sent yet: [outoff, outlen) of outcap */
	size_t outlen, outoff, outcap;
	char in[HC_CONTROL_MAX_LINE + 1];	/* a whole line and its newline fit */
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Send what is pending without blocking. 0, or -1 if the client is gone. */
static int flush(struct hc_control_client *cl)
{
	ssize_t n;

	while (cl->outoff < cl->outlen) {
		n = send(cl->fd, cl->out + cl->outoff, cl->outlen - cl->outoff,
			 MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
		cl->outoff += (size_t)n;
	}
	cl->outoff = cl->outlen = 0;
	return 0;
}

/* Queue @len bytes of answer; -1 if the client let too much pile up. */
static int queue(struct hc_control_client *cl, const char *a, size_t len)
{
	size_t pending = cl->outlen - cl->outoff, cap;
	char *p;

	if (len > HC_CONTROL_MAX_OUTPUT - pending)
		return -1;
	/* Room at the tail; the sent head is reclaimed only when there is none. */
	if (cl->outcap - cl->outlen < len && cl->outoff) {
		memmove(cl->out, cl->out + cl->outoff, pending);
		cl->outoff = 0;
		cl->outlen = pending;
	}
	if (cl->outcap - cl->outlen < len) {
		for (cap = cl->outcap ? cl->outcap : 4096; cap - pending < len; cap *= 2)
			;
		p = realloc(cl->out, cap);
		if (!p)
			return -1;
		cl->out = p;
		cl->outcap = cap;
	}
	memcpy(cl->out + cl->outlen, a, len);
	cl->outlen += len;
	return flush(cl);
}

static int queue_error(struct hc_control_client *cl, const char *cls, const char *desc)
{
	char line[256];
	int n = snprintf(line, sizeof(line), "{\"error\":{\"class\":\"%s\",\"desc\":\"%s\"}}\n",
			 cls, desc);

	return queue(cl, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
}

static int blank(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return 0;
	return 1;
}

static int answer(struct hc_control *c, struct hc_control_client *cl, const char *line,
		  size_t len)
{
	size_t alen;
	char *a;
	int ret;

	if (hc_control_handle(c, line, len, &a, &alen))
		return -1;
	ret = queue(cl, a, alen);
	free(a);
	return ret;
}

/* A whole line waits in the input buffer? */
static int line_waiting(const struct hc_control_client *cl)
{
	return memchr(cl->in, '\n', cl->inlen) != NULL;
}

/*
 * Answer the first whole line received, at most one a round: one client's
 * pipelined requests never starve the others. -1 if the client must go.
 */
static int take_line(struct hc_control *c, struct hc_control_client *cl)
{
	size_t off = 0, len;
	char *nl;

	/* Blank lines and the tail of a skipped one cost nothing: no answer. */
	while ((nl = memchr(cl->in + off, '\n', cl->inlen - off))) {
		len = (size_t)(nl - (cl->in + off));
		cl->deadline = now_ms() + c->idle_ms;
		if (cl->skipping) {
			cl->skipping = 0;
		} else if (!blank(cl->in + off, len)) {
			if (answer(c, cl, cl->in + off, len))
				return -1;
			off += len + 1;
			break;
		}
		off += len + 1;
	}
	cl->inlen -= off;
	memmove(cl->in, cl->in + off, cl->inlen);
	if (cl->inlen == sizeof(cl->in)) {
		if (!cl->skipping && queue_error(cl, "TooLong", "request line longer than 4096 "
						 "bytes: skipped to its newline"))
			return -1;
		cl->skipping = 1;
		cl->inlen = 0;
	}
	return 0;
}

static void drop(struct hc_control *c, unsigned int i, int badly)
{
	struct hc_control_client *cl = c->cl[i];

	close(cl->fd);
	free(cl->out);
	free(cl);
	c->cl[i] = NULL;
	c->nclients--;
	c->dropped += badly;
}

static void client_io(struct hc_control *c, unsigned int i, short revents)
{
	struct hc_control_client *cl = c->cl[i];
	ssize_t n;

	if ((revents & POLLOUT) && flush(cl))
		return drop(c, i, 0);
	/* A line from an earlier read first: nothing more is read till it is answered. */
	if (line_waiting(cl)) {
		if (take_line(c, cl))
			drop(c, i, 1);
		return;
	}
	if (!(revents & (POLLIN | POLLHUP | POLLERR)))
		return;
	n = recv(cl->fd, cl->in + cl->inlen, sizeof(cl->in) - cl->inlen, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	/* Gone (a partial line is never run; answers go if they can), or broken. */
	if (n <= 0) {
		flush(cl);
		return drop(c, i, 0);
	}
	cl->inlen += (size_t)n;
	if (take_line(c, cl))
		drop(c, i, 1);
}

/* Turn a peer away with one error line, if it takes it at once. */
static void refuse(struct hc_control *c, int fd, const char *cls, const char *desc)
{
	struct hc_control_client tmp = { .fd = fd };

	queue_error(&tmp, cls, desc);
	free(tmp.out);
	close(fd);
	c->refused++;
}

/* Returns 1 if the listener should rest (no fds or memory). */
static int accept_clients(struct hc_control *c)
{
	struct ucred cr;
	socklen_t crlen;
	unsigned int i;
	int fd;

	for (int k = 0; k < ACCEPTS_PER_ROUND; k++) {
		fd = accept4(c->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			       errno == ENOMEM;
		crlen = sizeof(cr);
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &crlen) || crlen != sizeof(cr) ||
		    (cr.uid != 0 && cr.uid != geteuid())) {
			/* Another uid learns nothing, not even that this is hcall-run. */
			close(fd);
			c->refused++;
			continue;
		}
		for (i = 0; i < HC_CONTROL_MAX_CLIENTS && c->cl[i]; i++)
			;
		if (i == HC_CONTROL_MAX_CLIENTS) {
			refuse(c, fd, "TooManyClients", "too many clients at once; try again");
			continue;
		}
		c->cl[i] = calloc(1, sizeof(*c->cl[i]));
		if (!c->cl[i]) {
			close(fd);
			return 1;
		}
		c->cl[i]->fd = fd;
		c->cl[i]->deadline = now_ms() + c->idle_ms;
		c->nclients++;
	}
	return 0;
}

/* Drop the clients past their deadline; the ms till the next one's (-1: none). */
static int expire(struct hc_control *c)
{
	uint64_t now = now_ms(), next = UINT64_MAX;

	for (unsigned int i = 0; i < HC_CONTROL_MAX_CLIENTS; i++) {
		struct hc_control_client *cl = c->cl[i];

		if (!cl)
			continue;
		if (cl->deadline <= now) {
			queue_error(cl, "Timeout", "no request line completed in time: closed");
			drop(c, i, 1);
			continue;
		}
		if (cl->deadline < next)
			next = cl->deadline;
	}
	return next == UINT64_MAX ? -1 : next - now > INT_MAX ? INT_MAX : (int)(next - now);
}

static void *serve(void *arg)
{
	struct hc_control *c = arg;
	struct pollfd p[2 + HC_CONTROL_MAX_CLIENTS];
	unsigned int idx[2 + HC_CONTROL_MAX_CLIENTS], n, i;
	int rest = 0, timeout, busy;

	for (;;) {
		timeout = expire(c);
		p[0] = (struct pollfd){ c->wake_fd, POLLIN, 0 };
		p[1] = (struct pollfd){ rest ? -1 : c->listen_fd, POLLIN, 0 };
		for (n = 2, busy = 0, i = 0; i < HC_CONTROL_MAX_CLIENTS; i++) {
			struct hc_control_client *cl = c->cl[i];
			int waiting;

			if (!cl)
				continue;
			/* A client with a line still to answer is not read from. */
			waiting = line_waiting(cl);
			busy |= waiting;
			idx[n] = i;
			p[n++] = (struct pollfd){ cl->fd, (short)((waiting ? 0 : POLLIN) |
				 (cl->outlen ? POLLOUT : 0)), 0 };
		}
		if (rest && (timeout < 0 || timeout > ACCEPT_PAUSE_MS))
			timeout = ACCEPT_PAUSE_MS;
		if (poll(p, n, busy ? 0 : timeout) < 0)
			continue;	/* EINTR, or ENOMEM: try again */
		if (p[0].revents)
			break;
		rest = 0;
		/* One request at most from each client this round: turns, not a race. */
		for (i = 2; i < n; i++)
			if (p[i].revents || line_waiting(c->cl[idx[i]]))
				client_io(c, idx[i], p[i].revents);
		if (p[1].revents)
			rest = accept_clients(c);
	}
	return NULL;
}

/*
 * Hold PATH.lock (flock) for the life of the process: two hcall-runs of
 * one uid starting on one path take turns at the check, unlink and bind
 * below, so neither unlinks the other's socket between its bind and its
 * listen. The lock file is made 0600, never through a symlink, and is
 * checked to be the one at the path now (an exiting holder unlinks it).
 */
static int take_lock(struct hc_control *c, const char *path, char *err, size_t errlen)
{
	struct stat fst, pst;
	int fd;

	if ((size_t)snprintf(c->lock_path, sizeof(c->lock_path), "%s.lock", path) >=
	    sizeof(c->lock_path))
		return hc_err(err, errlen, "%s.lock: path too long", path);
	for (int tries = 0; tries < 8; tries++) {
		fd = open(c->lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd < 0)
			return hc_err(err, errlen, "%s: %s", c->lock_path, strerror(errno));
		if (flock(fd, LOCK_EX | LOCK_NB)) {
			int e = errno;

			close(fd);
			if (e == EWOULDBLOCK)
				return hc_err(err, errlen, "%s: in use by a running process "
					      "(%s is locked)", path, c->lock_path);
			return hc_err(err, errlen, "%s: flock: %s", c->lock_path, strerror(e));
		}
		if (fstat(fd, &fst) == 0 && lstat(c->lock_path, &pst) == 0 &&
		    fst.st_dev == pst.st_dev && fst.st_ino == pst.st_ino) {
			if (fst.st_uid != geteuid() || !S_ISREG(fst.st_mode)) {
				close(fd);
				return hc_err(err, errlen, "%s is not a lock file of ours",
					      c->lock_path);
			}
			c->lock_fd = fd;
			return 0;
		}
		close(fd);	/* unlinked by its last holder meanwhile: take the new one */
	}
	return hc_err(err, errlen, "%s: keeps changing", c->lock_path);
}

static void drop_lock(struct hc_control *c)
{
	if (c->lock_fd < 0)
		return;
	/* Still holding it: whoever opened this file retries on the new one. */
	unlink(c->lock_path);
	close(c->lock_fd);
	c->lock_fd = -1;
}

static int listen_locked(struct hc_control *c, const char *path, struct sockaddr_un *sa,
			 char *err, size_t errlen);

int hc_control_listen(struct hc_control *c, const char *path, char *err, size_t errlen)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };

	if (strlen(path) >= sizeof(a.sun_path))
		return hc_err(err, errlen, "%s: longer than %zu bytes", path, sizeof(a.sun_path) - 1);
	strcpy(a.sun_path, path);
	if (take_lock(c, path, err, errlen))
		return -1;
	if (listen_locked(c, path, &a, err, errlen)) {
		drop_lock(c);
		return -1;
	}
	return 0;
}

static int listen_locked(struct hc_control *c, const char *path, struct sockaddr_un *sa,
			 char *err, size_t errlen)
{
	const struct sockaddr_un a = *sa;
	struct stat st;
	mode_t old;
	int ret;

	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode) || st.st_uid != geteuid())
			return hc_err(err, errlen, "%s exists and is not a socket of ours", path);
		if (!hc_unix_stale(&a, SOCK_STREAM))
			return hc_err(err, errlen, "%s: in use by a running process", path);
		if (unlink(path) && errno != ENOENT)
			return hc_err(err, errlen, "%s: %s", path, strerror(errno));
	} else if (errno != ENOENT) {
		return hc_err(err, errlen, "%s: %s", path, strerror(errno));
	}
	c->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	c->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (c->listen_fd < 0 || c->wake_fd < 0)
		return hc_err(err, errlen, "control socket: %s", strerror(errno));
	/*
	 * Born 0600, so there is no moment in which another user could
	 * connect. The mask is the process's: we run before any thread that
	 * creates files.
	 */
	old = umask(0177);
	ret = bind(c->listen_fd, (const struct sockaddr *)&a, sizeof(a));
	umask(old);
	if (ret)
		return hc_err(err, errlen, "%s: %s", path, strerror(errno));
	strcpy(c->path, path);
	if (lstat(path, &st) == 0) {
		c->dev = st.st_dev;
		c->ino = st.st_ino;
	}
	if (listen(c->listen_fd, HC_CONTROL_MAX_CLIENTS))
		return hc_err(err, errlen, "%s: listen: %s", path, strerror(errno));
	ret = pthread_create(&c->thread, NULL, serve, c);
	if (ret)
		return hc_err(err, errlen, "control thread: %s", strerror(ret));
	c->running = 1;
	return 0;
}

void hc_control_free(struct hc_control *c)
{
	struct stat st;
	uint64_t one = 1;
	unsigned int i;

	if (!c)
		return;
	if (c->running) {
		if (write(c->wake_fd, &one, sizeof(one)) != sizeof(one))
			abort();	/* an eventfd write cannot fail: never hang on join */
		pthread_join(c->thread, NULL);
	}
	for (i = 0; i < HC_CONTROL_MAX_CLIENTS; i++)
		if (c->cl[i]) {
			flush(c->cl[i]);	/* a "quit" answer, if the peer takes it now */
			drop(c, i, 0);
		}
	if (c->listen_fd >= 0)
		close(c->listen_fd);
	if (c->wake_fd >= 0)
		close(c->wake_fd);
	/* Only the socket we made: another may have replaced it meanwhile. */
	if (c->path[0] && lstat(c->path, &st) == 0 && st.st_dev == c->dev && st.st_ino == c->ino)
		unlink(c->path);
	drop_lock(c);
	for (i = 0; i < HC_MAX_VCPUS; i++)
		if (c->stats_fd[i] >= 0)
			close(c->stats_fd[i]);
	free(c);
}
