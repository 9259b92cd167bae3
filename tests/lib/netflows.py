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
import json
import os
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from netlib import drain, listener, pour  # noqa: E402

addr, rport, sport, nconn, nbytes, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), \
    int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
res = {"recv": [], "sent": []}
lock = threading.Lock()


def recv(c):
    got = drain(c)
    with lock:
        res["recv"].append(list(got))


def send(c):
    sha = pour(c, nbytes)
    with lock:
        res["sent"].append(sha)


def serve(s, fn, threads):
    for _ in range(nconn):
        c, _ = s.accept()
        c.settimeout(120)
        t = threading.Thread(target=fn, args=(c,), daemon=True)
        t.start()
        threads.append(t)


socks = [listener(addr, rport, nconn), listener(addr, sport, nconn)]
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
