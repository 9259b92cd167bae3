#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""tests/lib/fwdclient.py PORT OUT: connect to 127.0.0.1:PORT (a guest's
hostfwd) until the guest's server answers with data, read to the end, and
write "BYTES SHA256" to OUT. A NAT accepts before the guest listens and
then closes with nothing: that is retried, for up to 120 s."""
import hashlib
import socket
import sys
import time

port, out = int(sys.argv[1]), sys.argv[2]
deadline = time.monotonic() + 120
res = "0 none"
while time.monotonic() < deadline:
    try:
        c = socket.create_connection(("127.0.0.1", port), timeout=5)
        c.settimeout(30)
        h, n = hashlib.sha256(), 0
        while True:
            d = c.recv(1 << 16)
            if not d:
                break
            h.update(d)
            n += len(d)
        c.close()
        if n:
            res = "%d %s" % (n, h.hexdigest())
            break
    except OSError:
        pass
    time.sleep(0.2)
with open(out, "w") as f:
    f.write(res + "\n")
