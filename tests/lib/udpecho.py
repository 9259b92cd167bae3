#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""tests/lib/udpecho.py ADDR PORT OUT: the host end of a guest's udpsizes
(tests/guest/src/udpsizes.c). Sends every datagram back to its sender and
appends "SIZE ok" or "SIZE bad" to OUT for each, checking its bytes against
the xorshift32 pattern udpsizes makes for that size. Creates OUT.ready once
bound; gives up after 300 s."""
import socket
import sys
import time


def pattern(size):
    x, m, out = (size * 2654435761 + 1) & 0xffffffff, 0xffffffff, bytearray(size)
    for i in range(size):
        x ^= (x << 13) & m
        x ^= x >> 17
        x ^= (x << 5) & m
        out[i] = x & 0xff
    return bytes(out)


addr, port, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
# The largest datagram, kept whole while it waits.
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
s.bind((addr, port))
with open(out + ".ready", "w"):
    pass
deadline = time.monotonic() + 300
with open(out, "a") as log:
    while time.monotonic() < deadline:
        s.settimeout(max(0.1, deadline - time.monotonic()))
        try:
            d, peer = s.recvfrom(1 << 17)
        except socket.timeout:
            break
        s.sendto(d, peer)
        log.write("%d %s\n" % (len(d), "ok" if d == pattern(len(d)) else "bad"))
        log.flush()
