#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""hcall-slirp, the user-mode NAT, driven as netback drives it (one vnet
header + one frame per SOCK_SEQPACKET message), without KVM: it answers
ARP for the gateway and DHCP with libslirp's usual lease, keeps the guest
away from this host's loopback unless asked (hostloop), then reaches a TCP
server there through the NAT, refuses a taken hostfwd
port with one line before anything runs, and ends when its socket hangs
up."""
import os
import select
import socket
import struct
import subprocess
import sys

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.join(os.environ.get("HCALL_BUILD", os.path.join(TOP, "build")), "bin", "hcall-slirp")
MAC = bytes.fromhex("525400123456")
n = 0
failed = 0


def ok(cond, name):
    global n, failed
    n += 1
    failed += not cond
    print("%sok %d - %s" % ("" if cond else "not ", n, name), flush=True)


def start(*fwd):
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    r, w = os.pipe()
    p = subprocess.Popen([BIN, str(b.fileno()), str(w)] + list(fwd),
                         pass_fds=(b.fileno(), w), stderr=subprocess.PIPE)
    b.close()
    os.close(w)
    status = os.read(r, 200).decode()
    os.close(r)
    return a, p, status


def send(a, frame):
    a.send(b"\0" * 10 + frame)


def recv(a, want, secs=3):
    """The first frame for which want(frame) is true, or None."""
    end = __import__("time").monotonic() + secs
    while True:
        left = end - __import__("time").monotonic()
        if left <= 0 or not select.select([a], [], [], left)[0]:
            return None
        m = a.recv(70000)
        if len(m) > 10 and want(m[10:]):
            return m[10:]


def csum(b):
    if len(b) & 1:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def ip4(proto, src, dst, payload):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 1, 0, 64, proto, 0,
                    socket.inet_aton(src), socket.inet_aton(dst))
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return b"\x52\x55\x0a\x00\x02\x02" + MAC + b"\x08\x00" + h + payload


# ARP for the gateway.
a, p, status = start()
ok(status.strip() == "OK", "hcall-slirp starts and says OK (%r)" % status.strip())
arp = (b"\xff" * 6 + MAC + b"\x08\x06" + struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + MAC +
       socket.inet_aton("10.0.2.15") + b"\0" * 6 + socket.inet_aton("10.0.2.2"))
send(a, arp)
r = recv(a, lambda f: f[12:14] == b"\x08\x06")
ok(r is not None and r[20:22] == b"\x00\x02" and r[28:32] == socket.inet_aton("10.0.2.2"),
   "the gateway 10.0.2.2 answers ARP")

# DHCP discover: the offer is 10.0.2.15 from 10.0.2.2.
bootp = struct.pack("!BBBBIHH4s4s4s4s16s64s128s", 1, 1, 6, 0, 0x1234, 0, 0x8000, b"\0" * 4,
                    b"\0" * 4, b"\0" * 4, b"\0" * 4, MAC + b"\0" * 10, b"", b"")
bootp += b"\x63\x82\x53\x63" + b"\x35\x01\x01" + b"\xff"
udp = struct.pack("!HHHH", 68, 67, 8 + len(bootp), 0) + bootp
frame = ip4(17, "0.0.0.0", "255.255.255.255", udp)
frame = b"\xff" * 6 + frame[6:]
send(a, frame)
r = recv(a, lambda f: f[12:14] == b"\x08\x00" and f[23] == 17 and f[34:38] == b"\x00\x43\x00\x44")
ok(r is not None and r[42 + 16:42 + 20] == socket.inet_aton("10.0.2.15") and
   r[26:30] == socket.inet_aton("10.0.2.2"), "DHCP offers 10.0.2.15 from 10.0.2.2")

def syn_to_loopback(a, port):
    """A SYN to 10.0.2.2:port, its checksum left to the host (NEEDS_CSUM):
    the TCP flags of the answer, or None."""
    tcp = struct.pack("!HHIIBBHHH", 40000, port, 1000, 0, 5 << 4, 0x02, 65535, 0, 0)
    pseudo = socket.inet_aton("10.0.2.15") + socket.inet_aton("10.0.2.2") + \
        struct.pack("!BBH", 0, 6, len(tcp))
    seed = (~csum(pseudo)) & 0xffff	# the pseudo-header's sum, as CHECKSUM_PARTIAL leaves it
    tcp = tcp[:16] + struct.pack("!H", seed) + tcp[18:]
    hdr = struct.pack("<BBHHHH", 1, 0, 0, 0, 34, 16)	# NEEDS_CSUM at 14 + 20, field at +16
    a.send(hdr + ip4(6, "10.0.2.15", "10.0.2.2", tcp))
    r = recv(a, lambda f: f[12:14] == b"\x08\x00" and f[23] == 6, secs=5)
    return None if r is None else r[47]


def accepted(srv):
    srv.settimeout(2)
    try:
        srv.accept()[0].close()
        return True
    except OSError:
        return False


# By default the guest must not reach services bound to this host's
# loopback (10.0.2.2 as a destination): a reset, and no connection.
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(1)
port = srv.getsockname()[1]
flags = syn_to_loopback(a, port)
ok(flags is None or not flags & 0x02, "without hostloop a SYN to 10.0.2.2:%d gets no SYN-ACK "
   "(flags %s)" % (port, flags))
ok(not accepted(srv), "and the server on the host's loopback sees no connection")
a.close()
p.wait(timeout=5)

# With hostloop (what --net user,hostloop=on asks): a SYN-ACK from the server.
a, p, status = start("hostloop")
send(a, arp)	# so this new NAT knows the guest's MAC for its answer
recv(a, lambda f: f[12:14] == b"\x08\x06")
flags = syn_to_loopback(a, port)
ok(flags is not None and flags & 0x12 == 0x12, "with hostloop a SYN to 10.0.2.2:%d (checksum "
   "completed by hcall-slirp) is answered with a SYN-ACK from the host's server" % port)
ok(accepted(srv), "and the host's server saw the connection")
srv.close()

# A forward whose host port is taken: one ERR line, nonzero status.
busy = socket.socket()
busy.bind(("127.0.0.1", 0))
busy.listen(1)
bport = busy.getsockname()[1]
a, p, status = start("0,%d,%d,80" % (0x7f000001, bport))
ok(status.startswith("ERR ") and status.count("\n") == 1 and p.wait(timeout=5) != 0,
   "a taken hostfwd port: one ERR line (%r), nonzero exit" % status.strip())
a.close()
busy.close()

print("1..%d" % n)
sys.exit(1 if failed else 0)
