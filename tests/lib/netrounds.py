#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""tests/lib/netrounds.py ADDR UP_PORT DOWN_PORT KIB LOG STOP: the host end
of tests/guest/tests/net-steady. Each connection to DOWN_PORT gets KIB KiB
of fresh random bytes, or none once the file STOP exists (the guest then
ends its rounds); each connection to UP_PORT is read to its end. One JSON
line per transfer goes to LOG: kind (down, up, stop), host times t0 (the
accept) and t1 (the close), bytes and SHA-256. Gives up after 600 s."""
import json
import os
import select
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from netlib import drain, listener, pour  # noqa: E402

addr, up_port, down_port, kib, log, stop = sys.argv[1], int(sys.argv[2]), \
    int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], sys.argv[6]


def record(out, **kw):
    out.write(json.dumps(kw) + "\n")
    out.flush()


def down(c, out, t0):
    if os.path.exists(stop):
        c.close()
        record(out, kind="stop", t0=t0, t1=time.time(), bytes=0, sha="")
        return False
    sha = pour(c, kib * 1024)
    record(out, kind="down", t0=t0, t1=time.time(), bytes=kib * 1024, sha=sha)
    return True


def up(c, out, t0):
    n, sha = drain(c)
    record(out, kind="up", t0=t0, t1=time.time(), bytes=n, sha=sha)
    return True


socks = {listener(addr, up_port, 4, None): up, listener(addr, down_port, 4, None): down}
with open(log + ".ready", "w"):
    pass
deadline = time.time() + 600
with open(log, "w") as out:
    going = True
    while going and time.time() < deadline:
        ready, _, _ = select.select(list(socks), [], [], 1)
        for s in ready:
            c, _ = s.accept()
            c.settimeout(60)
            try:
                going = socks[s](c, out, time.time()) and going
            except OSError as e:
                record(out, kind="error", t0=time.time(), t1=time.time(), bytes=0, sha=str(e))
                c.close()
