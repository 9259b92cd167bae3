// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The control socket without KVM: the command table's answers on a VM
 * that has no vCPUs running, and the server against clients that send
 * junk, over-long lines, half a request, or never read.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "hcall/common/jsonline.h"
#include "hcall/pv/store.h"
#include "hcall/pv/storecall.h"
#include "hcall/vmm/control.h"
#include "hcall/vmm/vm.h"

struct fx {
	struct hc_vm vm;
	struct hc_control *c;
	char path[64];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char err[256];

	assert_int_equal(hc_vm_init_state(&f->vm, err, sizeof(err)), 0);
	f->vm.ncpus = 2;
	f->vm.mem = 512ull << 20;
	f->vm.pv.enabled = 1;
	assert_int_equal(hc_store_setup(&f->vm), 0);
	f->c = hc_control_new(&f->vm);
	assert_non_null(f->c);
	snprintf(f->path, sizeof(f->path), "/tmp/hcall-test-ctl.%d", getpid());
	unlink(f->path);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	hc_control_free(f->c);
	hc_store_teardown(&f->vm);
	close(f->vm.stop_efd);
	free(f->vm.ports);
	unlink(f->path);
	strcat(f->path, ".lock");
	unlink(f->path);
	free(f);
	return 0;
}

/* One request: the answer is one line of JSON, checked and returned. */
static char *ask(struct fx *f, const char *req)
{
	struct hc_json_tok tok[512];
	struct hc_json j;
	char *a = NULL;
	size_t len = 0;

	assert_int_equal(hc_control_handle(f->c, req, strlen(req), &a, &len), 0);
	assert_true(len > 1 && a[len - 1] == '\n');
	assert_null(memchr(a, '\n', len - 1));
	if (hc_json_parse(&j, a, len - 1, tok, 512))
		fail_msg("answer is not JSON (%s): %s", j.err, a);
	assert_int_equal(tok[0].type, HC_JSON_OBJECT);
	a[len - 1] = '\0';
	return a;
}

static void expect(struct fx *f, const char *req, const char *want)
{
	char *a = ask(f, req);

	if (!strstr(a, want))
		fail_msg("%s -> %s, want %s", req, a, want);
	free(a);
}

static void info_describes_the_vm(void **state)
{
	struct fx *f = *state;

	expect(f, "{\"execute\":\"info\"}", "{\"return\":{\"vcpus\":2,\"memory\":536870912,"
	       "\"memory-mib\":512,\"mode\":\"pv\",\"state\":\"running\",\"balloon\":{");
	expect(f, "{\"execute\":\"info\"}", "\"discarded-kib\":0},\"devices\":[]");
	expect(f, " { \"id\" : [ 1, \"x y\" ] , \"execute\" : \"info\" } \r",
	       "},\"id\":[1,\"x y\"]}");
	f->vm.pv.enabled = 0;
	expect(f, "{\"execute\":\"info\"}", "\"mode\":\"hvm\"");
	hc_vm_stop(&f->vm, HC_STOP_SIGNAL, "test");
	expect(f, "{\"execute\":\"info\"}", "\"state\":\"stopping\"");
	expect(f, "{\"execute\":\"help\"}", "{\"name\":\"mem-set\",\"arg\":\"size\"");
}

static void stats_are_the_report(void **state)
{
	struct fx *f = *state;
	char *a;

	f->vm.vcpu[1].stats.exits[2] = 7;	/* KVM_EXIT_IO */
	f->vm.pv.calls[3] = 5;
	a = ask(f, "{\"execute\":\"stats\"}");
	assert_non_null(strstr(a, "{\"return\":{\"vcpus\":2,"));
	assert_non_null(strstr(a, "\"shim_exits\":7,\"shim_exits_by_reason\":{\"io\":7}"));
	assert_non_null(strstr(a, "\"3\":5,"));
	free(a);
}

static void bad_requests_get_errors(void **state)
{
	static const char *const cases[][2] = {
		{ "", "ParseError" },
		{ "{", "ParseError" },
		{ "{\"execute\":\"info\",\"execute\":\"quit\"}", "ParseError" },
		{ "[]", "InvalidRequest" },
		{ "{}", "InvalidRequest" },
		{ "{\"execute\":1}", "InvalidRequest" },
		{ "{\"execute\":\"info\",\"bogus\":1}", "\"desc\":\"unexpected member 'bogus'\"" },
		{ "{\"execute\":\"info\",\"arguments\":[]}", "InvalidRequest" },
		{ "{\"execute\":\"info\",\"arguments\":{\"x\":1}}", "unexpected argument 'x'" },
		{ "{\"execute\":\"nope\\n\\\"\"}", "\"desc\":\"no command 'nope\\n\\\"' (try help)\"" },
		{ "{\"execute\":\"a\\u0000\"}", "CommandNotFound" },
		{ "{\"execute\":\"mem-set\"}", "needs its argument 'size'" },
		{ "{\"execute\":\"mem-set\",\"arguments\":{\"size\":5}}", "must be a string" },
		{ "{\"execute\":\"mem-set\",\"arguments\":{\"size\":\"1G\",\"arg\":\"1G\"}}",
		  "given twice" },
		{ "{\"execute\":\"mem-set\",\"arguments\":{\"size\":\"12Q\"}}", "bad size '12Q'" },
		{ "{\"execute\":\"mem-set\",\"arguments\":{\"size\":\"4097\"}}", "more than the guest" },
		{ "{\"execute\":\"mem-set\",\"arguments\":{\"arg\":\"1001k\"}}", "page multiple" },
		{ "{\"execute\":\"mem-set\",\"arguments\":{\"size\":\"99999999999999999999G\"}}",
		  "bad size" },
		{ "{\"execute\":\"mem-set\",\"arguments\":{\"arg\":\"256M\"}}",
		  "{\"return\":{\"target-kib\":262144}}" },
		{ "{\"execute\":\"mem-set\",\"arguments\":{\"size\":\"256\"},\"id\":7}",
		  "{\"return\":{\"target-kib\":262144},\"id\":7}" },
	};
	struct fx *f = *state;
	char deep[64];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect(f, cases[i][0], cases[i][1]);
	memset(deep, '[', sizeof(deep) - 1);
	deep[sizeof(deep) - 1] = '\0';
	expect(f, deep, "nested too deep");
	assert_int_equal(f->vm.stop_reason, HC_STOP_NONE);
}

/* mem-set writes memory/target (KiB) and info shows it beside the guest's answer. */
static void mem_set_sets_the_balloon_target(void **state)
{
	struct fx *f = *state;
	char val[32];
	size_t n = 0;

	expect(f, "{\"execute\":\"info\"}", "\"balloon\":{\"target-kib\":-1,\"current-kib\":-1,"
	       "\"released-kib\":0,\"status\":\"\",\"page-reporting\":false,"
	       "\"discarded-kib\":0}");
	expect(f, "{\"execute\":\"mem-set\",\"arguments\":{\"size\":\"384M\"}}",
	       "{\"return\":{\"target-kib\":393216}}");
	assert_int_equal(hc_store_read(f->vm.pv.store, "memory/target", val, sizeof(val), &n), 0);
	assert_int_equal(n, 6);
	assert_memory_equal(val, "393216", 6);
	/* The guest may answer in memory/current and memory/status, not set the target. */
	assert_int_equal(hc_store_write(f->vm.pv.store, HC_STORE_GUEST, "memory/current", "400000",
					6), 0);
	assert_int_equal(hc_store_write(f->vm.pv.store, HC_STORE_GUEST, "memory/status",
					"pressure", 8), 0);
	assert_int_not_equal(hc_store_write(f->vm.pv.store, HC_STORE_GUEST, "memory/target", "1",
					    1), 0);
	expect(f, "{\"execute\":\"info\"}", "\"balloon\":{\"target-kib\":393216,"
	       "\"current-kib\":400000,\"released-kib\":0,\"status\":\"pressure\","
	       "\"page-reporting\":false,\"discarded-kib\":0}");
	expect(f, "{\"execute\":\"mem-set\",\"arguments\":{\"size\":\"513M\"}}",
	       "more than the guest");
}

static void shutdown_asks_a_guest_that_listens(void **state)
{
	struct fx *f = *state;
	char val[16];
	size_t n;

	/* A kernel without the watch never answers: say so, write nothing. */
	expect(f, "{\"execute\":\"shutdown\"}", "\"class\":\"GuestUnsupported\"");
	assert_int_equal(hc_store_read(f->vm.pv.store, "control/shutdown", val, sizeof(val), &n),
			 -ENOENT);
	/* One that does says so, as Linux's Xen drivers do. */
	assert_int_equal(hc_store_write(f->vm.pv.store, HC_STORE_GUEST,
					"control/feature-poweroff", "1", 1), 0);
	expect(f, "{\"execute\":\"shutdown\"}", "{\"return\":{}}");
	assert_int_equal(hc_store_read(f->vm.pv.store, "control/shutdown", val, sizeof(val), &n), 0);
	assert_memory_equal(val, "poweroff", n);
	expect(f, "{\"execute\":\"reboot\"}", "GuestUnsupported");
	assert_int_equal(hc_store_write(f->vm.pv.store, HC_STORE_GUEST,
					"control/feature-reboot", "1", 1), 0);
	expect(f, "{\"execute\":\"reboot\"}", "{\"return\":{}}");
	assert_int_equal(hc_store_read(f->vm.pv.store, "control/shutdown", val, sizeof(val), &n), 0);
	assert_memory_equal(val, "reboot", n);
	/* Neither stops the VM by itself: the guest does. */
	assert_int_equal(f->vm.stop_reason, HC_STOP_NONE);
	/* In a soft reset the old kernel is going: nothing is written, try later. */
	f->vm.pv.resetting = 1;
	assert_int_equal(hc_store_rm(f->vm.pv.store, HC_STORE_TOOL, "control/shutdown"), 0);
	expect(f, "{\"execute\":\"shutdown\"}", "\"class\":\"Busy\"");
	expect(f, "{\"execute\":\"reboot\"}", "\"class\":\"Busy\"");
	assert_int_equal(hc_store_read(f->vm.pv.store, "control/shutdown", val, sizeof(val), &n),
			 -ENOENT);
	f->vm.pv.resetting = 0;
	f->vm.pv.enabled = 0;
	expect(f, "{\"execute\":\"shutdown\"}", "not supported without PV");
	expect(f, "{\"execute\":\"reboot\"}", "not supported without PV");
}

/*
 * A soft reset forgets what the old kernel said and what was asked of it:
 * the next kernel (a kdump kernel too) is asked nothing until it listens.
 */
static void soft_reset_forgets_control_nodes(void **state)
{
	struct fx *f = *state;
	struct hc_store *st = f->vm.pv.store;
	char val[16];
	size_t n;

	assert_int_equal(hc_store_write(st, HC_STORE_GUEST, "control/feature-poweroff", "1", 1), 0);
	assert_int_equal(hc_store_write(st, HC_STORE_GUEST, "control/feature-reboot", "1", 1), 0);
	assert_int_equal(hc_store_write(st, HC_STORE_GUEST, "control/feature-other", "1", 1), 0);
	assert_int_equal(hc_store_write(st, HC_STORE_GUEST, "control/note", "x", 1), 0);
	expect(f, "{\"execute\":\"shutdown\"}", "{\"return\":{}}");
	hc_store_reset_guest(&f->vm);
	assert_int_equal(hc_store_read(st, "control/shutdown", val, sizeof(val), &n), -ENOENT);
	assert_int_equal(hc_store_read(st, "control/feature-poweroff", val, sizeof(val), &n),
			 -ENOENT);
	assert_int_equal(hc_store_read(st, "control/feature-reboot", val, sizeof(val), &n),
			 -ENOENT);
	assert_int_equal(hc_store_read(st, "control/feature-other", val, sizeof(val), &n),
			 -ENOENT);
	assert_int_equal(hc_store_read(st, "control/note", val, sizeof(val), &n), 0);
	/* So a stale feature node cannot make shutdown claim success. */
	expect(f, "{\"execute\":\"shutdown\"}", "\"class\":\"GuestUnsupported\"");
	hc_store_reset_guest(&f->vm);	/* twice, as hc_pv_soft_reset does: harmless */
}

static void quit_stops_the_vm(void **state)
{
	struct fx *f = *state;

	expect(f, "{\"execute\":\"quit\"}", "{\"return\":{}}");
	assert_int_equal(f->vm.stop_reason, HC_STOP_QUIT);
	assert_string_equal(f->vm.stop_msg, "stopped by quit on the control socket");
}

/* The server. */

static int dial(struct fx *f)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	strcpy(a.sun_path, f->path);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

static void say_n(int fd, const char *s, size_t len)
{
	assert_int_equal(send(fd, s, len, MSG_NOSIGNAL), (ssize_t)len);
}

static void say(int fd, const char *s)
{
	say_n(fd, s, strlen(s));
}

/* One answer line (within 5 s), or "" at a hang-up. */
static char *hear(int fd)
{
	static char line[1 << 16];
	size_t n = 0;
	struct pollfd p = { fd, POLLIN, 0 };

	while (n < sizeof(line) - 1) {
		assert_int_equal(poll(&p, 1, 5000), 1);
		if (recv(fd, line + n, 1, 0) != 1)
			break;
		if (line[n++] == '\n')
			break;
	}
	line[n] = '\0';
	return line;
}

static void server_serves_and_survives_hostile_clients(void **state)
{
	struct fx *f = *state;
	char err[256], big[HC_CONTROL_MAX_LINE + 200], *l;
	int a, b, mute, i;
	struct stat st;

	assert_int_equal(hc_control_listen(f->c, f->path, err, sizeof(err)), 0);
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	a = dial(f);
	b = dial(f);
	/* Two clients at once, requests split across sends, two in one send. */
	say(a, "{\"execute\":");
	say(b, "{\"execute\":\"help\"}\n\n{\"execute\":\"info\"}\n");
	assert_non_null(strstr(hear(b), "{\"return\":[{\"name\":\"info\""));
	assert_non_null(strstr(hear(b), "\"vcpus\":2"));
	say(a, "\"info\"}\n");
	assert_non_null(strstr(hear(a), "\"vcpus\":2"));
	/* An over-long line: one error, skipped to its newline, then all is well. */
	memset(big, 'x', sizeof(big));
	big[sizeof(big) - 1] = '\n';
	say_n(a, big, sizeof(big));
	assert_non_null(strstr(hear(a), "\"class\":\"TooLong\""));
	say(a, "nonsense\n");
	assert_non_null(strstr(hear(a), "ParseError"));
	/* A line of exactly the limit is a request. */
	memset(big, ' ', HC_CONTROL_MAX_LINE);
	memcpy(big, "{\"execute\":\"info\"}", 18);
	big[HC_CONTROL_MAX_LINE] = '\n';
	say_n(a, big, HC_CONTROL_MAX_LINE + 1);
	assert_non_null(strstr(hear(a), "\"vcpus\":2"));
	/* Half a request and gone: it never runs. */
	i = dial(f);
	say(i, "{\"execute\":\"quit\"}");
	close(i);
	/* A client that never reads: dropped once its answers pile up. */
	mute = dial(f);
	fcntl(mute, F_SETFL, O_NONBLOCK);
	for (i = 0; i < 200000; i++) {
		static const char req[] = "{\"execute\":\"stats\"}\n{\"execute\":\"stats\"}\n";
		ssize_t n = send(mute, req, sizeof(req) - 1, MSG_NOSIGNAL);

		if (n < 0 && errno == EAGAIN) {
			usleep(1000);
			if (i % 16)
				continue;
			/* Meanwhile the others are answered. */
			say(b, "{\"execute\":\"info\"}\n");
			l = hear(b);
			assert_non_null(strstr(l, "\"vcpus\":2"));
			if (strstr(l, "\"dropped\":1"))
				break;
		} else if (n < 0) {
			break;	/* already gone */
		}
	}
	say(b, "{\"execute\":\"info\"}\n");
	assert_non_null(strstr(hear(b), "\"dropped\":1"));
	assert_int_equal(f->vm.stop_reason, HC_STOP_NONE);
	close(mute);
	/* The bound on clients: the ones too many are told, the others stay. */
	{
		int more[HC_CONTROL_MAX_CLIENTS + 1], n = 0;

		for (i = 0; i < HC_CONTROL_MAX_CLIENTS + 1; i++)
			more[i] = dial(f);
		/* Until the server has taken them all: 14 more served, 3 turned away. */
		for (i = 0; i < 500; i++) {
			say(b, "{\"execute\":\"info\"}\n");
			if (strstr(hear(b), "\"refused\":3}"))
				break;
			usleep(10000);
		}
		for (i = 0; i < HC_CONTROL_MAX_CLIENTS + 1; i++) {
			struct pollfd p = { more[i], POLLIN, 0 };

			if (poll(&p, 1, 0) == 1) {
				n += strstr(hear(more[i]), "TooManyClients") != NULL;
				continue;
			}
			say(more[i], "{\"execute\":\"info\"}\n");
			assert_non_null(strstr(hear(more[i]), "\"vcpus\":2"));
		}
		/* a and b hold two places. */
		assert_int_equal(n, 3);
		for (i = 0; i < HC_CONTROL_MAX_CLIENTS + 1; i++)
			close(more[i]);
	}
	say(a, "{\"execute\":\"quit\"}\n");
	assert_string_equal(hear(a), "{\"return\":{}}\n");
	close(a);
	close(b);
}

/*
 * One client pipelining requests is answered in turns with the others.
 * pv.lock is held while both send (info takes it), so the server is still
 * at a's first request when b's arrives, however the threads are run; b's
 * answer says how many requests the server had answered by then.
 */
static void pipelining_client_waits_its_turn(void **state)
{
	struct fx *f = *state;
	static const char req[] = "{\"execute\":\"info\"}\n";
	const char *served;
	char err[256];
	int a, b, i;

	assert_int_equal(hc_control_listen(f->c, f->path, err, sizeof(err)), 0);
	a = dial(f);
	b = dial(f);
	pthread_mutex_lock(&f->vm.pv.lock);
	for (i = 0; i < 150; i++)
		say(a, req);
	say(b, req);
	pthread_mutex_unlock(&f->vm.pv.lock);
	served = strstr(hear(b), "\"served\":");
	assert_non_null(served);
	print_message("b was answered after %d of the 151 requests\n", atoi(served + 9));
	/* One request a turn each: b's comes second or third, never after a's 150. */
	assert_true(atoi(served + 9) <= 3);
	close(a);
	close(b);
}

/* Idle clients cannot hold every place: each goes when its time is up. */
static void idle_clients_are_dropped(void **state)
{
	struct fx *f = *state;
	int idle[HC_CONTROL_MAX_CLIENTS], a, i;
	char err[256];

	hc_control_set_idle_timeout(f->c, 500);
	assert_int_equal(hc_control_listen(f->c, f->path, err, sizeof(err)), 0);
	for (i = 0; i < HC_CONTROL_MAX_CLIENTS; i++)
		idle[i] = dial(f);
	say(idle[0], "{\"execute\":");	/* half a line does not count */
	/* Every place is held: a newcomer is turned away ... */
	usleep(100000);
	a = dial(f);
	assert_non_null(strstr(hear(a), "TooManyClients"));
	close(a);
	/* ... until the idle ones are dropped, with a word why. */
	for (i = 0; i < HC_CONTROL_MAX_CLIENTS; i++) {
		assert_non_null(strstr(hear(idle[i]), "\"class\":\"Timeout\""));
		assert_string_equal(hear(idle[i]), "");
		close(idle[i]);
	}
	a = dial(f);
	say(a, "{\"execute\":\"info\"}\n");
	assert_non_null(strstr(hear(a), "\"dropped\":16,"));
	/* A client that completes lines in time stays. */
	for (i = 0; i < 4; i++) {
		usleep(150000);
		say(a, "{\"execute\":\"help\"}\n");
		assert_non_null(strstr(hear(a), "\"return\""));
	}
	say(a, "{\"execute\":\"quit\"}\n");
	assert_string_equal(hear(a), "{\"return\":{}}\n");
	close(a);
}

/* PATH.lock is held while serving: a second server on the path never gets past it. */
static void lock_file_guards_the_path(void **state)
{
	struct fx *f = *state;
	struct hc_control *c2 = hc_control_new(&f->vm);
	char err[256], lock[80];
	struct stat st;
	int fd;

	snprintf(lock, sizeof(lock), "%s.lock", f->path);
	/* Somebody else holds the lock: the path is in use, even without a socket. */
	fd = open(lock, O_RDWR | O_CREAT, 0600);
	assert_int_equal(flock(fd, LOCK_EX), 0);
	assert_int_equal(hc_control_listen(c2, f->path, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "in use"));
	assert_int_equal(stat(f->path, &st), -1);
	hc_control_free(c2);
	assert_int_equal(stat(lock, &st), 0);	/* not ours: left alone */
	close(fd);
	unlink(lock);
	/* A symlink is never followed. */
	assert_int_equal(symlink("/tmp/hcall-test-ctl-nowhere", lock), 0);
	assert_int_equal(hc_control_listen(f->c, f->path, err, sizeof(err)), -1);
	unlink(lock);
	hc_control_free(f->c);
	f->c = hc_control_new(&f->vm);
	assert_int_equal(hc_control_listen(f->c, f->path, err, sizeof(err)), 0);
	assert_int_equal(stat(lock, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	fd = open(lock, O_RDWR);
	assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), -1);
	assert_int_equal(errno, EWOULDBLOCK);
	close(fd);
	hc_control_free(f->c);
	f->c = NULL;
	assert_int_equal(stat(lock, &st), -1);	/* gone with the socket */
	assert_int_equal(stat(f->path, &st), -1);
}

static void socket_path_rules(void **state)
{
	struct fx *f = *state;
	struct hc_control *c2 = hc_control_new(&f->vm);
	char err[256];
	struct stat st;
	int fd;

	/* A file is never replaced. */
	fd = open(f->path, O_CREAT | O_WRONLY, 0600);
	close(fd);
	assert_int_equal(hc_control_listen(f->c, f->path, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a socket of ours"));
	unlink(f->path);
	/* A live socket is not taken over; a stale one is. */
	assert_int_equal(hc_control_listen(f->c, f->path, err, sizeof(err)), 0);
	assert_int_equal(hc_control_listen(c2, f->path, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "in use"));
	hc_control_free(c2);
	assert_int_equal(stat(f->path, &st), 0);	/* the failed one left ours alone */
	hc_control_free(f->c);
	assert_int_equal(stat(f->path, &st), -1);	/* unlinked at the end */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	{
		struct sockaddr_un a = { .sun_family = AF_UNIX };

		strcpy(a.sun_path, f->path);
		assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	}
	close(fd);	/* a socket file nobody listens on: what a killed hcall-run leaves */
	f->c = hc_control_new(&f->vm);
	assert_int_equal(hc_control_listen(f->c, f->path, err, sizeof(err)), 0);
	c2 = hc_control_new(&f->vm);
	assert_int_equal(hc_control_listen(c2, "/tmp/" "x/far/too/long/a/path/for/sun_path/"
					   "0123456789012345678901234567890123456789012345678901"
					   "234567890123456789", err, sizeof(err)), -1);
	hc_control_free(c2);
}

/* Every case on a fresh VM and endpoint. */
#define CASE(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		CASE(info_describes_the_vm),
		CASE(stats_are_the_report),
		CASE(bad_requests_get_errors),
		CASE(mem_set_sets_the_balloon_target),
		CASE(shutdown_asks_a_guest_that_listens),
		CASE(soft_reset_forgets_control_nodes),
		CASE(quit_stops_the_vm),
		CASE(server_serves_and_survives_hostile_clients),
		CASE(pipelining_client_waits_its_turn),
		CASE(idle_clients_are_dropped),
		CASE(lock_file_guards_the_path),
		CASE(socket_path_rules),
	};

	return cmocka_run_group_tests_name("control", tests, NULL, NULL);
}
