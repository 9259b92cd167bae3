#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""tests/lib/udpflood.py DST PORT PPS STOP OUT: send 1000-byte UDP datagrams
to DST:PORT, about PPS a second, until the file STOP exists (300 s at
most); then write how many the kernel took to OUT."""
import os
import socket
import sys
import time

dst, port, pps, stop, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], \
    sys.argv[5]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setblocking(False)
payload = os.urandom(1000)
sent, tries, start, batch = 0, 0, time.time(), max(1, pps // 50)
while not os.path.exists(stop) and time.time() - start < 300:
    for _ in range(batch):
        tries += 1
        try:
            s.sendto(payload, (dst, port))
            sent += 1
        except (BlockingIOError, OSError):
            pass  # the qdisc is full: what matters is what reaches the TAP
    # Keep to the rate, sent or not.
    ahead = tries / pps - (time.time() - start)
    if ahead > 0:
        time.sleep(ahead)
with open(out, "w") as f:
    f.write("%d\n" % sent)
