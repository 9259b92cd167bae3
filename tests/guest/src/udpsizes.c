// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * udpsizes PEER PORT SIZE...: send one UDP datagram of each SIZE (0-65507
 * bytes) to PEER:PORT, where tests/lib/udpecho.py sends it back, and check
 * the echo: its size and every byte. The bytes are xorshift32 seeded by the
 * size (udpecho.py makes the same and checks them on its side too).
 * Prints "HCALL-UDP size=S got=G ok=0|1" per datagram (got=-1: nothing
 * within 5 s) and "HCALL-NET udp_ok=N udp_sent=M" at the end. No retries:
 * on a bridge nothing is lost unless something is wrong.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_UDP 65507

static void pattern(uint8_t *buf, size_t size)
{
	uint32_t x = (uint32_t)(size * 2654435761u + 1u);

	for (size_t i = 0; i < size; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		buf[i] = (uint8_t)x;
	}
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int main(int argc, char **argv)
{
	static uint8_t want[MAX_UDP], got[MAX_UDP + 1];
	struct sockaddr_in peer = { .sin_family = AF_INET };
	int s, i, ok = 0, sent = 0, buf = 1 << 20;

	if (argc < 4 || inet_pton(AF_INET, argv[1], &peer.sin_addr) != 1) {
		fprintf(stderr, "usage: udpsizes PEER PORT SIZE...\n");
		return 2;
	}
	peer.sin_port = htons((uint16_t)atoi(argv[2]));
	s = socket(AF_INET, SOCK_DGRAM, 0);
	/* Room for the largest datagram even as page-sized fragments. */
	if (s < 0 || setsockopt(s, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf)) ||
	    setsockopt(s, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf)) ||
	    connect(s, (struct sockaddr *)&peer, sizeof(peer))) {
		perror("udpsizes: socket");
		return 1;
	}
	for (i = 3; i < argc; i++) {
		long size = atol(argv[i]);
		ssize_t n = -1;
		long long end;

		if (size < 0 || size > MAX_UDP) {
			fprintf(stderr, "udpsizes: size %ld out of 0-%d\n", size, MAX_UDP);
			return 2;
		}
		pattern(want, (size_t)size);
		if (send(s, want, (size_t)size, 0) != size) {
			printf("HCALL-UDP size=%ld send_errno=%d ok=0\n", size, errno);
			continue;
		}
		sent++;
		/* The echo of this datagram: a stray earlier one would have another size. */
		for (end = now_ms() + 5000; now_ms() < end;) {
			struct pollfd p = { s, POLLIN, 0 };

			if (poll(&p, 1, (int)(end - now_ms())) <= 0)
				continue;
			n = recv(s, got, sizeof(got), MSG_TRUNC);
			if (n >= 0)
				break;
		}
		printf("HCALL-UDP size=%ld got=%zd ok=%d\n", size, n,
		       n == size && !memcmp(got, want, (size_t)size));
		ok += n == size && !memcmp(got, want, (size_t)size);
	}
	printf("HCALL-NET udp_ok=%d udp_sent=%d\n", ok, sent);
	return ok == argc - 3 ? 0 : 1;
}
