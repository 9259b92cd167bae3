#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""tests/lib/netflows.py ADDR RECV_PORT SEND_PORT NCONN NBYTES OUT: the host
end of a guest's parallel TCP transfers, netpeer.py for many connections.
Accepts NCONN connections on RECV_PORT and reads each to its end, and NCONN
on SEND_PORT and writes NBYTES random bytes to each, all at once; then
writes a JSON summary to OUT: "recv", a [bytes, SHA-256] pair per
connection read, and "sent", the SHA-256 of what each connection was sent
(the guest prints its own; the test compares them as sets). Creates
OUT.ready once listening; gives up after 240 s."""
import hashlib
import json
import os
import socket
import sys
import threading

addr, rport, sport, nconn, nbytes, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), \
    int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
res = {"recv": [], "sent": []}
lock = threading.Lock()


def listener(port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(nconn)
    s.settimeout(240)
    return s


def recv(c):
    h, n = hashlib.sha256(), 0
    while True:
        d = c.recv(1 << 16)
        if not d:
            break
        h.update(d)
        n += len(d)
    c.close()
    with lock:
        res["recv"].append([n, h.hexdigest()])


def send(c):
    h, left = hashlib.sha256(), nbytes
    while left:
        d = os.urandom(min(left, 1 << 16))
        c.sendall(d)
        h.update(d)
        left -= len(d)
    c.close()
    with lock:
        res["sent"].append(h.hexdigest())


def serve(s, fn, threads):
    for _ in range(nconn):
        c, _ = s.accept()
        c.settimeout(120)
        t = threading.Thread(target=fn, args=(c,), daemon=True)
        t.start()
        threads.append(t)


socks = [listener(rport), listener(sport)]
threads = []
servers = [threading.Thread(target=serve, args=(s, fn, threads), daemon=True)
           for s, fn in zip(socks, (recv, send))]
with open(out + ".ready", "w"):
    pass
for t in servers:
    t.start()
for t in servers:
    t.join(240)
for t in list(threads):
    t.join(240)
with open(out + ".tmp", "w") as f:
    json.dump(res, f)
os.rename(out + ".tmp", out)
