#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Fail if a function that updates memory shared with the host holds a LOCK
prefix the kernel may patch out.

On a kernel that finds one CPU, alternatives_smp_unlock() turns every LOCK
prefix listed in .smp_locks into a NOP (that is what LOCK_PREFIX, used by
cmpxchg() and the plain atomics, records). A compare-and-swap on a grant
entry or an event-channel bitmap must stay atomic against the driver domain
on another host CPU, so those functions must use sync_*() (a literal,
unlisted "lock"), as Xen's drivers do.

usage: check-smp-locks.py VMLINUX FUNCTION...
"""
import struct
import subprocess
import sys


def section(path, name):
    """(address, bytes) of an ELF64 section."""
    with open(path, "rb") as f:
        data = f.read()
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    hdr = lambda i: struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize)
    strtab = hdr(shstrndx)
    for i in range(shnum):
        sh = hdr(i)
        end = data.index(b"\0", strtab[4] + sh[0])
        if data[strtab[4] + sh[0]:end].decode() == name:
            return sh[3], data[sh[4]:sh[4] + sh[5]]
    sys.exit("check-smp-locks: %s has no %s section" % (path, name))


def main():
    vmlinux, funcs = sys.argv[1], sys.argv[2:]
    base, raw = section(vmlinux, ".smp_locks")
    # Each entry is a 32-bit offset from itself to a LOCK prefix.
    locks = [base + 4 * i + off for i, (off,) in enumerate(struct.iter_unpack("<i", raw))]
    syms = {}
    for line in subprocess.run(["nm", "-S", vmlinux], capture_output=True, text=True,
                               check=True).stdout.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[2] in "tT":
            syms[parts[3]] = (int(parts[0], 16), int(parts[1], 16))
    bad = 0
    for fn in funcs:
        if fn not in syms:
            print("check-smp-locks: no function %s in %s" % (fn, vmlinux))
            bad += 1
            continue
        start, size = syms[fn]
        inside = [a for a in locks if start <= a < start + size]
        print("%s: %d patchable LOCK prefixes" % (fn, len(inside)))
        bad += len(inside)
    print("check-smp-locks: %d entries in .smp_locks; %s" % (len(locks), "FAIL" if bad else "ok"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
