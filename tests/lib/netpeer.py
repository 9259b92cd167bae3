#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""tests/lib/netpeer.py ADDR RECV_PORT SEND_PORT NBYTES OUT: the host end of
a guest's TCP transfers. Accepts one connection on RECV_PORT and reads it to
the end, one on SEND_PORT and writes NBYTES random bytes to it, then writes
a JSON summary to OUT: bytes and SHA-256 of each direction (the guest
prints its own; the test compares). Gives up after 240 s."""
import json
import os
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from netlib import drain, listener, pour  # noqa: E402

addr, rport, sport, nbytes, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), \
    int(sys.argv[4]), sys.argv[5]
res = {}


def recv(s):
    c, _ = s.accept()
    c.settimeout(120)
    res["recv_bytes"], res["recv_sha"] = drain(c)


def send(s):
    c, _ = s.accept()
    c.settimeout(120)
    res["sent_bytes"], res["sent_sha"] = nbytes, pour(c, nbytes)


socks = [listener(addr, rport), listener(addr, sport)]
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
