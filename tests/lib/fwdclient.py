#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""tests/lib/fwdclient.py PORT OUT: connect to 127.0.0.1:PORT (a guest's
hostfwd) until the guest's server answers with data, read to the end, and
write "BYTES SHA256" to OUT. A NAT accepts before the guest listens and
then closes with nothing: that is retried, for up to 120 s."""
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from netlib import drain  # noqa: E402

port, out = int(sys.argv[1]), sys.argv[2]
deadline = time.monotonic() + 120
res = "0 none"
while time.monotonic() < deadline:
    try:
        c = socket.create_connection(("127.0.0.1", port), timeout=5)
        c.settimeout(30)
        n, sha = drain(c)
        if n:
            res = "%d %s" % (n, sha)
            break
    except OSError:
        pass
    time.sleep(0.2)
with open(out, "w") as f:
    f.write(res + "\n")
