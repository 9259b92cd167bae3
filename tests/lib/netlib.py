# SPDX-License-Identifier: LGPL-2.1-or-later
"""What the host ends of the network tests share: a listening socket, and
reading or writing a connection to its end with the SHA-256 of the bytes."""
import hashlib
import os
import socket


def listener(addr, port, backlog=1, timeout=240):
    s = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(backlog)
    s.settimeout(timeout)
    return s


def drain(c):
    """Read @c to its end and close it: (bytes, sha256 hex)."""
    h, n = hashlib.sha256(), 0
    while True:
        d = c.recv(1 << 16)
        if not d:
            break
        h.update(d)
        n += len(d)
    c.close()
    return n, h.hexdigest()


def pour(c, nbytes):
    """Write @nbytes random bytes to @c and close it: their sha256 hex."""
    h, left = hashlib.sha256(), nbytes
    while left:
        d = os.urandom(min(left, 1 << 16))
        c.sendall(d)
        h.update(d)
        left -= len(d)
    c.close()
    return h.hexdigest()
