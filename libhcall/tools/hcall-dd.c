// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * hcall-dd: the driver domain. Serves device rings (each type's ops listed
 * in lib/dd/types.c) for guests whose shims
 * connect over a Unix socket and pass the guest's memory and the ring's
 * eventfds (SCM_RIGHTS). It opens nothing itself: after setup it drops to
 * an unprivileged user with no_new_privs, holding only what it was given.
 *
 *   hcall-dd --fd N        serve one shim on an inherited connected socket
 *   hcall-dd --listen PATH serve any number of shims, one thread each
 *
 * Shims are peers, not friends: only the user that started hcall-dd (or
 * root) may connect, and each peer gets a fixed share of the fds (at most
 * MAX_RINGS rings), so a few guests cannot starve the others.
 */
#include <errno.h>
#include <grp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "hcall/common/ddproto.h"
#include "hcall/common/unixsock.h"
#include "hcall/dd/ddring.h"
#include "hcall/dd/ddtypes.h"
#include "hcall/dd/ratelimit.h"

/*
 * Rings one peer may run at once, whatever their types: the cap of a
 * shim's devices on one driver domain (today's shim asks for at most 8
 * disks of 4 queues), refused with -ENOSPC beyond it.
 */
#define MAX_RINGS 32
/* fds one peer may cost: its socket, the most one message can carry, its rings. */
#define PEER_FDS (1 + HC_DD_MAX_FDS + MAX_RINGS * hc_dd_max_ring_fds())
/* fds kept for the process itself: stdio, the listening socket, slack. */
#define RESERVED_FDS 32
#define NOBODY 65534

static uid_t owner;			/* who started us: the peers we serve */
static unsigned int max_peers, peers;	/* --listen: admitted within RLIMIT_NOFILE */
static pthread_mutex_t peers_lock = PTHREAD_MUTEX_INITIALIZER;
static struct hc_ratelimit refuse_log = HC_RATELIMIT_INIT(60, 5);

static void drop_privileges(void)
{
	pid_t parent = getppid();
	int deathsig = 0;

	/* Changing credentials clears the parent-death signal: keep it. */
	if (prctl(PR_GET_PDEATHSIG, &deathsig)) {
		perror("hcall-dd: PR_GET_PDEATHSIG");
		exit(1);
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		perror("hcall-dd: no_new_privs");
		exit(1);
	}
	if (getuid() == 0 && (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
			      setresuid(NOBODY, NOBODY, NOBODY))) {
		perror("hcall-dd: dropping root");
		exit(1);
	}
	if (deathsig) {
		if (prctl(PR_SET_PDEATHSIG, deathsig)) {
			perror("hcall-dd: PR_SET_PDEATHSIG");
			exit(1);
		}
		/* The parent may have died while the signal was unset. */
		if (getppid() != parent)
			exit(0);
	}
}

/* Use what the hard limit allows; return how many peers fit in it. */
static unsigned int peer_budget(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return 1;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > 1u << 20)
		rl.rlim_cur = 1u << 20;
	if (rl.rlim_cur < RESERVED_FDS + PEER_FDS)
		return 1;	/* too small to promise anything: serve one */
	return (unsigned int)((rl.rlim_cur - RESERVED_FDS) / PEER_FDS);
}

static void refuse(const char *what, long id)
{
	unsigned int dropped;

	if (!hc_ratelimit(&refuse_log, &dropped))
		return;
	if (dropped)
		fprintf(stderr, "hcall-dd: %u more connections refused\n", dropped);
	fprintf(stderr, "hcall-dd: connection refused: %s %ld\n", what, id);
}

/* Serve one shim until it hangs up; then its rings go away. */
static void *serve(void *arg)
{
	int sock = (int)(intptr_t)arg;
	struct hc_dd_ring *rings = calloc(MAX_RINGS, sizeof(*rings));
	char active[MAX_RINGS] = { 0 };
	int i;

	while (rings) {
		struct hc_dd_attach a;
		struct hc_dd_reply rep = { 0 };
		int fds[HC_DD_MAX_FDS];
		int ret = hc_dd_recv_attach(sock, &a, fds);

		if (ret && ret != -EPROTO)
			break;	/* hang-up, or the socket failed */
		if (!ret && a.op == HC_DD_OP_DETACH) {
			/* The shim names the ring; a bad id is an error, not a crash. */
			if (a.ring_id < MAX_RINGS && active[a.ring_id]) {
				hc_dd_ring_stop(&rings[a.ring_id]);
				active[a.ring_id] = 0;
			} else {
				ret = -ENOENT;
			}
		} else if (!ret) {
			for (i = 0; i < MAX_RINGS && active[i]; i++)
				;
			if (i == MAX_RINGS) {
				hc_dd_close_fds(fds);
				ret = -ENOSPC;	/* this peer's share is used up */
			} else {
				ret = hc_dd_ring_start(&rings[i], &a, fds);
				if (!ret) {
					active[i] = 1;
					rep.ring_id = (uint32_t)i;
				}
			}
		}
		rep.status = ret;
		if (send(sock, &rep, sizeof(rep), MSG_NOSIGNAL) != sizeof(rep))
			break;
	}
	for (i = 0; i < MAX_RINGS; i++)
		if (active[i])
			hc_dd_ring_stop(&rings[i]);
	free(rings);
	close(sock);
	return NULL;
}

static void *serve_peer(void *arg)
{
	serve(arg);
	pthread_mutex_lock(&peers_lock);
	peers--;
	pthread_mutex_unlock(&peers_lock);
	return NULL;
}

/* A connection we may serve: the right user, and room for its fds. */
static int admit(int c)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int ok;

	if (getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cred, &len) || len != sizeof(cred)) {
		refuse("without credentials, fd", c);
		return 0;
	}
	if (cred.uid != owner && cred.uid != 0) {
		refuse("from uid", (long)cred.uid);
		return 0;
	}
	pthread_mutex_lock(&peers_lock);
	ok = peers < max_peers;
	if (ok)
		peers++;
	pthread_mutex_unlock(&peers_lock);
	if (!ok)
		refuse("over the peer limit, pid", (long)cred.pid);
	return ok;
}

/*
 * PATH may be a stale socket (a killed hcall-dd's), which goes; never a
 * file of another kind or a socket someone still listens on.
 */
static void take_path(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;

	if (lstat(path, &st)) {
		if (errno == ENOENT)
			return;
		fprintf(stderr, "hcall-dd: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	if (!S_ISSOCK(st.st_mode)) {
		fprintf(stderr, "hcall-dd: %s exists and is not a socket\n", path);
		exit(2);
	}
	strcpy(sa.sun_path, path);	/* its length is checked */
	if (!hc_unix_stale(&sa, SOCK_SEQPACKET)) {
		fprintf(stderr, "hcall-dd: %s: in use by a running process\n", path);
		exit(1);
	}
	unlink(path);
}

/*
 * The socket is bound under a name of this process's own (PATH.PID) and
 * renamed to PATH once it listens: a client that finds PATH can connect
 * (a bound socket refuses until then).
 */
static int listen_on(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t room = sizeof(sa.sun_path) - 1 - 8;	/* ".PID", pid_max 2^22 */
	int s, len;
	mode_t old;

	if (strlen(path) > room) {
		fprintf(stderr, "hcall-dd: socket path %s: longer than %zu bytes\n", path, room);
		exit(2);
	}
	len = snprintf(sa.sun_path, sizeof(sa.sun_path), "%s.%d", path, (int)getpid());
	if (len < 0 || (size_t)len >= sizeof(sa.sun_path)) {
		fprintf(stderr, "hcall-dd: socket path %s: too long\n", path);
		exit(2);
	}
	s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (s < 0) {
		perror("hcall-dd: socket");
		exit(1);
	}
	take_path(path);
	/* Born 0600 whatever the umask: nobody else may even connect. */
	old = umask(0177);
	if (bind(s, (struct sockaddr *)&sa, sizeof(sa))) {
		fprintf(stderr, "hcall-dd: %s: %s\n", sa.sun_path, strerror(errno));
		exit(1);
	}
	umask(old);
	if (listen(s, 16) || rename(sa.sun_path, path)) {
		fprintf(stderr, "hcall-dd: listening on %s: %s\n", path, strerror(errno));
		unlink(sa.sun_path);
		exit(1);
	}
	return s;
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	owner = getuid();
	if (argc == 3 && !strcmp(argv[1], "--fd")) {
		char *end;
		long fd = strtol(argv[2], &end, 10);

		if (*end || fd < 0 || fd > 65535) {
			fprintf(stderr, "hcall-dd: bad --fd %s\n", argv[2]);
			return 2;
		}
		peer_budget();
		drop_privileges();
		serve((void *)(intptr_t)fd);
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "--listen")) {
		int s = listen_on(argv[2]);

		max_peers = peer_budget();
		drop_privileges();
		for (;;) {
			int c = accept4(s, NULL, NULL, SOCK_CLOEXEC);
			pthread_t t;

			if (c < 0) {
				if (errno == EMFILE || errno == ENFILE)
					usleep(10000);	/* back off, do not spin */
				if (errno == EINTR || errno == EMFILE || errno == ENFILE ||
				    errno == ECONNABORTED)
					continue;
				perror("hcall-dd: accept");
				return 1;
			}
			if (!admit(c)) {
				close(c);
				continue;
			}
			if (pthread_create(&t, NULL, serve_peer, (void *)(intptr_t)c) == 0) {
				pthread_detach(t);
			} else {
				close(c);
				pthread_mutex_lock(&peers_lock);
				peers--;
				pthread_mutex_unlock(&peers_lock);
			}
		}
	}
	fprintf(stderr, "usage: hcall-dd --fd N | --listen PATH\n");
	return 2;
}
