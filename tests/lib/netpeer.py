#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""tests/lib/netpeer.py ADDR RECV_PORT SEND_PORT NBYTES OUT: the host end of
a guest's TCP transfers. Accepts one connection on RECV_PORT and reads it to
the end, one on SEND_PORT and writes NBYTES random bytes to it, then writes
a JSON summary to OUT: bytes and SHA-256 of each direction (the guest
prints its own; the test compares). Gives up after 240 s."""
import hashlib
import json
import os
import socket
import sys
import threading

addr, rport, sport, nbytes, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), \
    int(sys.argv[4]), sys.argv[5]
res = {}


def listener(port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(1)
    s.settimeout(240)
    return s


def recv(s):
    c, _ = s.accept()
    c.settimeout(120)
    h, n = hashlib.sha256(), 0
    while True:
        d = c.recv(1 << 16)
        if not d:
            break
        h.update(d)
        n += len(d)
    c.close()
    res["recv_bytes"], res["recv_sha"] = n, h.hexdigest()


def send(s):
    c, _ = s.accept()
    c.settimeout(120)
    h, left = hashlib.sha256(), nbytes
    while left:
        d = os.urandom(min(left, 1 << 16))
        c.sendall(d)
        h.update(d)
        left -= len(d)
    c.close()
    res["sent_bytes"], res["sent_sha"] = nbytes, h.hexdigest()


socks = [listener(rport), listener(sport)]
threads = [threading.Thread(target=f, args=(s,), daemon=True) for f, s in zip((recv, send), socks)]
with open(out + ".ready", "w"):
    pass
for t in threads:
    t.start()
for t in threads:
    t.join(250)
with open(out + ".tmp", "w") as f:
    json.dump(res, f)
os.rename(out + ".tmp", out)
