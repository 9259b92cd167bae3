// SPDX-License-Identifier: LGPL-2.1-or-later
/* hcall-ctl: one request to a running hcall-run's control socket (--control). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "hcall/common/jsonline.h"

#define MAX_ANSWER	(64u << 20)	/* far above any answer hcall-run gives */
#define TIMEOUT_S	30

static const char usage[] =
"usage: hcall-ctl PATH COMMAND [ARG]\n"
"  send {\"execute\":COMMAND} (ARG as its argument) to the control socket PATH of\n"
"  hcall-run --control PATH and print the one-line JSON answer.\n"
"  commands: info, stats, shutdown, reboot, quit, mem-set SIZE, help\n"
"exit status: 0 a return answer, 1 an error answer, 2 usage, connection or\n"
"protocol error\n";

static int fail(const char *path, const char *what)
{
	fprintf(stderr, "hcall-ctl: %s: %s\n", path, what);
	return 2;
}

static int send_all(int fd, const char *p, size_t len)
{
	ssize_t n;

	while (len) {
		n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Whoever listens at the path must be hcall-run of our uid, or root's:
 * anyone else could have put a socket there to read our requests or feed
 * us answers.
 */
static int trusted(int fd)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) || len != sizeof(cr))
		return 0;
	return cr.uid == 0 || cr.uid == geteuid();
}

/*
 * Print the answer with every control character but its final newline
 * escaped (\xHH): hcall-run's JSON has none, and bytes from elsewhere
 * never reach a terminal as escape sequences.
 */
static void print_answer(const char *a, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)a[i];

		if ((ch < 0x20 || ch == 0x7f) && !(ch == '\n' && i == len - 1))
			printf("\\x%02x", ch);
		else
			putchar(ch);
	}
}

/* The answer line, newline included, malloc'd into *@line; its length or -1. */
static long read_line(int fd, char **line)
{
	size_t len = 0, cap = 0;
	char *buf = NULL, *p;
	ssize_t n;

	for (;;) {
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 8192;
			p = cap > MAX_ANSWER ? NULL : realloc(buf, cap);
			if (!p)
				break;
			buf = p;
		}
		n = recv(fd, buf + len, cap - len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		p = memchr(buf + len, '\n', (size_t)n);
		len += (size_t)n;
		if (p) {
			*line = buf;
			return p - buf + 1;
		}
	}
	free(buf);
	return -1;
}

int main(int argc, char **argv)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = TIMEOUT_S };
	char *req = NULL, *ans;
	size_t rlen = 0;
	long alen;
	FILE *f;
	int fd;

	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		fputs(usage, stdout);
		return 0;
	}
	if (argc < 3 || argc > 4) {
		fputs(usage, stderr);
		return 2;
	}
	if (strlen(argv[1]) >= sizeof(a.sun_path))
		return fail(argv[1], "path too long for a Unix socket");
	strcpy(a.sun_path, argv[1]);
	f = open_memstream(&req, &rlen);
	if (!f)
		return fail(argv[1], "out of memory");
	fputs("{\"execute\":", f);
	hc_json_put_string(f, argv[2], strlen(argv[2]));
	if (argc == 4) {
		fputs(",\"arguments\":{\"arg\":", f);
		hc_json_put_string(f, argv[3], strlen(argv[3]));
		putc('}', f);
	}
	fputs("}\n", f);
	if (fclose(f))
		return fail(argv[1], "out of memory");
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		return fail(argv[1], strerror(errno));
	if (!trusted(fd))
		return fail(argv[1], "the listener is neither our uid nor root: not asked");
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (send_all(fd, req, rlen))
		return fail(argv[1], strerror(errno));
	free(req);
	alen = read_line(fd, &ans);
	close(fd);
	if (alen < 0)
		return fail(argv[1], "no answer");
	print_answer(ans, (size_t)alen);
	/* hcall-run puts "return" or "error" first; anything else is not ours. */
	if (alen >= 10 && !memcmp(ans, "{\"return\":", 10))
		return 0;
	if (alen >= 9 && !memcmp(ans, "{\"error\":", 9))
		return 1;
	return fail(argv[1], "not an answer of hcall-run's");
}
