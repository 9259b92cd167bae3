// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * hcall-dd's peers: the shared driver domain (--listen) lets only its own
 * user (or root) in, through a socket nobody else can open, and gives each
 * peer a fixed share of its fds; a private one (--fd) still dies with the
 * shim that spawned it after it dropped root. Runs the real hcall-dd.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hcall/common/ddproto.h"
#include "hcall/dd/ddtypes.h"
#include "hcall/guestmem.h"
#include "hcall/xenring.h"
#include <xen/grant_table.h>
#include <xen/io/blkif.h>

#include "dd_fixture.h"

#define RAM (16u << 20)
#define TABLE_GPA 0x10000u
#define SHARED_GPA 0x30000u
#define RING_FRAME 0x40u
#define SECTORS 4096u

struct fx {
	char dir[64], path[96];
	pid_t dd;
	int memfd, img, kick, upcall;
	uint8_t *ram;
};

static const char *dd_bin(void)
{
	return getenv("HCALL_DD") ? getenv("HCALL_DD") : "build/bin/hcall-dd";
}

/* Start hcall-dd --listen with umask 0 and, if @nofile, that fd limit. */
static pid_t start_listener(struct fx *f, rlim_t nofile)
{
	pid_t pid = fork();

	if (pid == 0) {
		struct rlimit rl = { nofile, nofile };

		umask(0);
		if (nofile && setrlimit(RLIMIT_NOFILE, &rl))
			_exit(126);
		execl(dd_bin(), "hcall-dd", "--listen", f->path, (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* A connection to the listener; it may take hcall-dd a moment to bind. */
static int connect_dd(struct fx *f)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int i;

	strcpy(sa.sun_path, f->path);
	for (i = 0; i < 500; i++) {
		int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

		assert_true(s >= 0);
		if (!connect(s, (struct sockaddr *)&sa, sizeof(sa)))
			return s;
		close(s);
		usleep(10000);
	}
	fail_msg("hcall-dd never listened on %s", f->path);
	return -1;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct grant_entry_v1 *t;

	strcpy(f->dir, "/tmp/hcall-test-dd-peers.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/dd.sock", f->dir);
	f->ram = sealed_guest_ram(RAM + hc_host_meta_bytes(RAM), &f->memfd);	/* as a shim makes it */
	t = (void *)(f->ram + TABLE_GPA);
	t[1].frame = RING_FRAME;
	t[1].domid = 0;
	t[1].flags = GTF_permit_access;
	SHARED_RING_INIT((blkif_sring_t *)(f->ram + RING_FRAME * 4096));
	f->img = memfd_create("disk", MFD_CLOEXEC);
	assert_int_equal(ftruncate(f->img, SECTORS * 512), 0);
	f->kick = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	f->upcall = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	f->dd = -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char tmp[sizeof(f->path) + 16];

	if (f->dd > 0) {
		kill(f->dd, SIGKILL);
		waitpid(f->dd, NULL, 0);
		/* Its name before it listened, had it not got that far. */
		snprintf(tmp, sizeof(tmp), "%s.%d", f->path, (int)f->dd);
		unlink(tmp);
	}
	unlink(f->path);
	rmdir(f->dir);
	munmap(f->ram, RAM + hc_host_meta_bytes(RAM));
	close(f->memfd);
	close(f->img);
	close(f->kick);
	close(f->upcall);
	free(f);
	return 0;
}

/* One ring attach over @sock; the reply's status. */
static int attach(struct fx *f, int sock)
{
	struct hc_dd_attach a = {
		.magic = HC_DD_MAGIC, .version = HC_DD_VERSION, .type = HC_DD_TYPE_VBD,
		.nr_vcpus = HCALL_MAX_VCPUS,	/* the most fds a ring can hold */
		.nr_rings = 1, .nr_ports = 1, .mem = RAM,
		.gnttab_gpa = TABLE_GPA, .gnttab_entries = 256, .ring_ref = { 1 },
		.shared_info_gpa = SHARED_GPA, .evtchn_port = { 9 }, .u.vbd.sectors = SECTORS,
	};
	int fds[HC_DD_MAX_FDS] = { f->memfd, f->kick };

	for (int v = 0; v < HCALL_MAX_VCPUS; v++)
		fds[HC_DD_FD_UPCALL(1) + v] = f->upcall;
	fds[HC_DD_FD_TYPE(1, HCALL_MAX_VCPUS)] = f->img;
	return hc_dd_call(sock, &a, fds, NULL);
}

/* A detach of a ring that does not exist: -ENOENT proves hcall-dd serves us. */
static int ping(int sock)
{
	struct hc_dd_attach d = {
		.magic = HC_DD_MAGIC, .version = HC_DD_VERSION, .op = HC_DD_OP_DETACH,
		.ring_id = 12345,
	};

	return hc_dd_call(sock, &d, NULL, NULL);
}

static void the_socket_is_private_whatever_the_umask(void **state)
{
	struct fx *f = *state;
	struct stat st;
	int s;

	f->dd = start_listener(f, 0);
	s = connect_dd(f);
	assert_int_equal(ping(s), -ENOENT);
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	close(s);
}

/* Even through a socket an admin opened up, other users are turned away. */
static void only_its_own_user_or_root_may_connect(void **state)
{
	struct fx *f = *state;
	int s, status;
	pid_t child;

	if (geteuid() != 0)
		skip();		/* needs a second user to try */
	f->dd = start_listener(f, 0);
	s = connect_dd(f);
	assert_int_equal(ping(s), -ENOENT);	/* root: served */
	assert_int_equal(chmod(f->dir, 0755), 0);
	assert_int_equal(chmod(f->path, 0666), 0);
	child = fork();
	if (child == 0) {
		int c;

		if (setresgid(12345, 12345, 12345) || setresuid(12345, 12345, 12345))
			_exit(2);
		c = connect_dd(f);
		/* Hung up on, never answered. */
		_exit(ping(c) == -EIO ? 0 : 1);
	}
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(ping(s), -ENOENT);	/* and the listener carries on */
	close(s);
}

/*
 * With room for two peers' full shares in RLIMIT_NOFILE, two peers attach
 * all the rings they may (32 each), and a third is not let in to take fds
 * from them.
 */
static void each_peer_gets_a_full_share_of_fds(void **state)
{
	struct fx *f = *state;
	/* 32 reserved + 2 peers x (socket + a message's most + 32 rings' most) */
	const rlim_t nofile = 32 + 2 * (1 + HC_DD_MAX_FDS + 32 * hc_dd_max_ring_fds());
	int a, b, c, i;

	f->dd = start_listener(f, nofile);
	a = connect_dd(f);
	b = connect_dd(f);
	for (i = 0; i < 32; i++)
		assert_int_equal(attach(f, a), 0);
	assert_int_equal(attach(f, a), -ENOSPC);	/* its share is used up */
	for (i = 0; i < 32; i++)
		assert_int_equal(attach(f, b), 0);
	c = connect_dd(f);
	assert_int_equal(ping(c), -EIO);		/* no room: hung up on */
	close(c);
	close(a);		/* a peer leaving frees its share */
	for (i = 0; i < 500; i++) {
		c = connect_dd(f);
		if (ping(c) == -ENOENT)
			break;
		close(c);
		usleep(10000);
	}
	assert_true(i < 500);
	close(c);
	close(b);
}

/*
 * A private hcall-dd, spawned as hcall-run does (PR_SET_PDEATHSIG, as
 * root), dies with its parent even after it dropped to nobody, although
 * its socket stays open elsewhere.
 */
static void a_private_dd_dies_with_its_parent(void **state)
{
	int sv[2], pipefd[2], status, pidfd;
	pid_t parent, dd;
	struct pollfd p;

	(void)state;
	if (geteuid() != 0)
		skip();		/* only dropping root clears the signal */
	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(pipe(pipefd), 0);
	parent = fork();
	if (parent == 0) {
		pid_t child = fork();

		if (child == 0) {
			char fd[16];
			int s = dup(sv[1]);	/* without close-on-exec */

			prctl(PR_SET_PDEATHSIG, SIGKILL);
			snprintf(fd, sizeof(fd), "%d", s);
			execl(dd_bin(), "hcall-dd", "--fd", fd, (char *)NULL);
			_exit(127);
		}
		/* Once it answers, it has dropped root; then its parent dies. */
		if (ping(sv[0]) != -ENOENT)
			_exit(1);
		if (write(pipefd[1], &child, sizeof(child)) != sizeof(child))
			_exit(1);
		_exit(0);
	}
	close(sv[1]);
	close(pipefd[1]);
	assert_int_equal(read(pipefd[0], &dd, sizeof(dd)), sizeof(dd));
	assert_int_equal(waitpid(parent, &status, 0), parent);
	assert_int_equal(WEXITSTATUS(status), 0);
	pidfd = (int)syscall(SYS_pidfd_open, dd, 0);
	assert_true(pidfd >= 0);
	p.fd = pidfd;
	p.events = POLLIN;
	if (poll(&p, 1, 5000) != 1) {
		kill(dd, SIGKILL);
		waitpid(dd, NULL, 0);
		fail_msg("hcall-dd outlived its parent");
	}
	assert_int_equal(waitpid(dd, &status, 0), dd);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGKILL);
	close(pidfd);
	close(sv[0]);
	close(pipefd[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(the_socket_is_private_whatever_the_umask, setup, teardown),
		cmocka_unit_test_setup_teardown(only_its_own_user_or_root_may_connect, setup, teardown),
		cmocka_unit_test_setup_teardown(each_peer_gets_a_full_share_of_fds, setup, teardown),
		cmocka_unit_test(a_private_dd_dies_with_its_parent),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests_name("hcall-dd peers", tests, NULL, NULL);
}
