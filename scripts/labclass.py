#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Why did a run in the lab host fail: the lab's own fault (worth one more
try in a fresh lab) or possibly ours (never retried)?

The one classifier of lab failures, used by tests/lib/tap.sh (need_kvm) and
scripts/benchlib.py (on_kvm). A failure is the lab's only on positive
evidence:

  lab-soft-lockup     the lab kernel soft-locked a CPU or stalled RCU
                      (lab-init's watcher, or the lab kernel's report)
  lab-stack-overflow  the lab kernel overflowed its own stack
  lab-crash           the lab kernel panicked or oopsed
  lab-no-boot         the lab host never came up (scripts/lab tried twice)
  lab-hang            the lab kernel stopped running lab-init's heartbeat
                      (scripts/lab ends the lab after 90 s without one)
                      while the lab had memory left (256 MiB or more at
                      the last beat; less is not the lab's evidence)
  guest-livelock      a guest timed out in the lab while nearly every KVM exit
                      was an emulated instruction injecting a page fault (the
                      nested-SVM livelock the README describes); the test
                      prints this evidence itself (tests/lib/tap.sh guest())
  guest-cpu-state     a guest in the lab oopsed on an event its CPU could not
                      have delivered: at the first instruction of its SYSCALL
                      entry (SYSCALL has just cleared IF through SFMASK) with
                      IF still clear and the user's stack, the event frame
                      itself faulting on that stack. Seen only under the
                      lab's TCG-emulated AMD-V, in hcall and QEMU guests
                      alike; the test prints this evidence itself
  guest-shutdown      a one-vCPU guest in the lab triple-faulted with its
                      CPU failing to read its own IDT's #DF or #PF gate
                      (cr2) in a chain begun by a page fault (not a
                      write), or by an external interrupt and ending at
                      the #DF gate (no fault of its own: an earlier cr2
                      could linger otherwise), although in
                      the guest's memory (hcall-run --crash-dump) its page
                      tables, walked from the recorded cr3, map that gate
                      (and in kernel mode the faulting rip) present and
                      valid, and the gate
                      is a present interrupt gate into the kernel. Linux
                      maps its IDT once at boot and never changes it, and
                      page tables corrupted by a bug of ours fail the walk.
                      One vCPU (as KVM counts them): no guest code runs
                      between the fault and the dump, while with another
                      a bug of ours could clear the page directory's
                      kernel entry and put it back (a page directory
                      freed while still loaded and allocated again is
                      zeroed, then filled); with more only on the
                      kernel's own page directory (init_top_pgt, never
                      freed: an idle vCPU's or a kernel thread's), or on
                      a process's whose top entries for the IDT and the
                      kernel text, read from guest RAM by the probe at
                      the SHUTDOWN exit just after the fault (hcall-run
                      --ram-hva), were the kernel's own, as they still
                      are in the dump (same_pgd_at_fault() says what
                      that leaves open). The IDT
                      is the kernel's read-only alias, or early in boot
                      idt_table itself (from System.map; its #DF gate has
                      no stack of its own yet). Nested paging, no
                      write fault; a user-mode fault only on a page not
                      present, its rip in user space and not walked (it
                      may rightly be unmapped: demand paging); and every
                      ring of its driver domain stopped before the dump
                      (hcall-run says so: a private hcall-dd reaped, or a
                      shared one's detaches answered and its connection
                      closed by it, which it does only once they
                      stopped). The state is what
                      scripts/lab-shutprobe recorded before KVM cleared it;
                      the test prints this evidence itself

The first five need scripts/lab's status 125 (the lab reported no status of
the command). Never the lab's: a crash of hcall-run or hcall-dd (a sanitizer
report, a fatal signal) anywhere in the output, even next to lab evidence; a
failed test without such evidence; a command that ran past the lab's
deadline in a live lab (lab-init lists what still ran and the lab kernel's
log, to show where), unless a guest's own evidence above says the lab
livelocked it first (its timeout spent the time); a lab that timed out
without evidence (a hang may be ours); a lab that cannot even be prepared
(retrying does not help).

  labclass.py RC LOG           print "CLASS: evidence", exit 0 if retryable, 1 if not
  labclass.py --livelock JSON  exit 0 and print the evidence if hcall-run's
                               --stats-json shows the livelock pattern
  labclass.py --cpu-state CONSOLE SYSTEM.MAP
                               exit 0 and print the evidence if the guest
                               console shows the impossible-event oops
  labclass.py --shutdown TRACE PID [DUMP]
                               the state a guest of the VMM with process id
                               PID triple-faulted in, as scripts/lab-shutprobe
                               recorded it in the lab's trace after the
                               guest's start marker (tests/lib/tap.sh
                               guest()), and with DUMP (its --crash-dump)
                               what its page tables map cr2 and rip to;
                               exit 0 if there is a record (the error
                               code alone cannot tell the lab's CPU from
                               corrupt page tables: QEMU reports RSVD
                               without P for both)
  labclass.py --shutdown-evidence TRACE PID DUMP NCPUS [SYSTEM.MAP]
                               exit 0 and print the evidence if that record,
                               its crash dump and its vCPU count show the
                               guest-shutdown pattern above (with more than
                               one vCPU, SYSTEM.MAP names init_top_pgt)
  labclass.py --walk DUMP CR3 CR4 EFER VA
                               the guest-physical address of VA through the
                               page tables at CR3 in a crash dump (exit 1:
                               no translation)
  labclass.py --summary LOG    one line: the lab retries in a test log, by class
"""
import json
import os
import re
import sys

LAB_FAILED = 125	# scripts/lab: the lab itself failed

RETRYABLE = ("lab-soft-lockup", "lab-stack-overflow", "lab-crash", "lab-no-boot", "lab-hang",
             "guest-livelock", "guest-cpu-state", "guest-shutdown")

# Our own crashes: these always win, so a lab failure can never hide one.
OURS = re.compile(r"ERROR: (Address|Leak|Thread|Memory)Sanitizer|runtime error: |"
                  r"\b(Segmentation fault|Aborted|Bus error|Illegal instruction|"
                  r"Floating point exception)\b|"
                  r"\bhcall-(run|dd)(-san)?\[\d+\]:? (segfault at|general protection|trap )")

# (class, pattern) in order of precedence; all need status 125.
LAB = [
    ("lab-stack-overflow", re.compile(r"stack guard page was hit|kernel stack overflow")),
    ("lab-soft-lockup", re.compile(r"watchdog: BUG: soft lockup - CPU#\d+ stuck for \d+s|"
                                   r"^lab: the lab host's kernel soft-locked|"
                                   r"rcu: INFO: rcu_\w+ (self-)?detected stall", re.M)),
    # The lab kernel's console is not prefixed; a guest's panic that a test
    # shows comes as a "#" diagnostic line.
    ("lab-crash", re.compile(r"^(\[ *[\d.]+\] )?(Kernel panic - not syncing|"
                             r"BUG: kernel NULL pointer|BUG: unable to handle|"
                             r"Oops: |general protection fault)", re.M)),
    ("lab-no-boot", re.compile(r"^lab: the lab host did not come up \(attempt 2\)", re.M)),
    ("lab-hang", re.compile(r"^lab: the lab host hung: its heartbeat stopped", re.M)),
]

# scripts/lab's stopped heartbeat, with the lab's MemAvailable at its last
# beat: below this, a leak of ours may have starved lab-init.
LAB_HANG = re.compile(r"^lab: the lab host hung: its heartbeat stopped .*MemAvailable (\d+) MiB", re.M)
LAB_HANG_MIN_MEM_MIB = 256

# Printed by a test (tap.sh guest()) for a guest that timed out or crashed in
# one of these patterns.
GUEST_MARK = re.compile(r"^# lab-evidence (guest-livelock|guest-cpu-state|guest-shutdown) (.*)$",
                        re.M)

# The livelock: at least this many emulated instructions, and nearly every
# exit one of them, nearly each of which injected a page fault.
LIVELOCK_MIN_EMULATED = 1000000
LIVELOCK_SHARE = 0.9


def livelock(stats):
    """stats: hcall-run's --stats-json. Evidence string if it shows the
    livelock pattern, else None."""
    kvm = stats.get("kvm", {}) if isinstance(stats, dict) else {}
    try:
        exits, emul, pf = (int(kvm.get(k, 0)) for k in ("exits", "insn_emulation", "pf_guest"))
    except (TypeError, ValueError):
        return None
    if emul < LIVELOCK_MIN_EMULATED or exits <= 0:
        return None
    if emul < LIVELOCK_SHARE * exits or pf < LIVELOCK_SHARE * emul:
        return None
    return "exits=%d insn_emulation=%d pf_guest=%d" % (exits, emul, pf)


# An oops's registers, as a guest console shows them (TAP "#" prefix allowed).
OOPS_RIP = re.compile(r"RIP: 0010:(?:0x)?([0-9a-f]{16})\b")
OOPS_RSP = re.compile(r"RSP: 0018:([0-9a-f]{16}) EFLAGS: ([0-9a-f]{8})")
OOPS_CR2 = re.compile(r"CR2: ([0-9a-f]{16})")
USER_TOP = 1 << 47
IF = 1 << 9


def cpu_state(text, entry):
    """Evidence string if a guest oops in @text is an event taken at
    @entry (the address of the guest's entry_SYSCALL_64) with IF clear and
    a user RSP, faulting on its own frame (CR2 within 64 bytes below RSP),
    else None. SYSCALL clears IF and the entry switches stacks before
    setting it again, so no maskable interrupt can arrive there, an
    exception there would not fault on the stack, and NMI, #DF and #MC
    run on their own stacks: only a wrong CPU delivers this event."""
    for m in OOPS_RIP.finditer(text):
        if int(m.group(1), 16) != entry:
            continue
        block = text[m.end():m.end() + 1200]
        r, c = OOPS_RSP.search(block), OOPS_CR2.search(block)
        if not r or not c:
            continue
        rsp, flags, cr2 = int(r.group(1), 16), int(r.group(2), 16), int(c.group(1), 16)
        if rsp < USER_TOP and not flags & IF and rsp - 64 <= cr2 < rsp:
            return ("event at entry_SYSCALL_64 (%x) with IF clear (eflags %x) and the user "
                    "stack (rsp %x, fault at %x)" % (entry, flags, rsp, cr2))
    return None


# scripts/lab-shutprobe's record in the lab's trace (the kprobe's own
# line, not a trace_marker write that looks like one): VMM pid (vmpid=),
# then VMCB fields, each NAME=VALUE; and tap.sh's start marker of a guest.
SHUTDOWN = re.compile(r"^\s*\S+-\d+\s+\[\d+\] \S+\s+[\d.]+: shutdown: "
                      r"\(shutdown_interception\+0x0/[^)]*\)((?: \w+=\S+)+)\s*$", re.M)
START = re.compile(r"^\s*\S+-\d+\s+\[\d+\] \S+\s+[\d.]+: tracing_mark_write: "
                   r"hcall-guest-start pid=(\d+)\s*$", re.M)


def shutdown(trace, pid):
    """The fields (NAME=VALUE ...) of the last shutdown record of process
    @pid after its last start marker in @trace, or None: a record from
    before it is another process's that had the same pid."""
    start = None
    for m in START.finditer(trace):
        if int(m.group(1)) == pid:
            start = m.end()
    if start is None:
        return None
    last = None
    for m in SHUTDOWN.finditer(trace, start):
        if re.search(r"\bvmpid=%d\b" % pid, m.group(1)):
            last = m.group(1).strip()
    return last


def _fields(rec):
    f = {}
    for kv in rec.split():
        k, _, v = kv.partition("=")
        try:
            f[k] = int(v, 0)
        except ValueError:
            pass
    return f


# Page-table entry bits (x86-64, 4- or 5-level paging).
PTE_P, PTE_U, PTE_PS, PTE_NX = 1 << 0, 1 << 2, 1 << 7, 1 << 63
PTE_HIGH_RSVD = 0x000ff00000000000	# bits 51:44: no RAM of a lab guest is that high
ADDR = 0x000ffffffffff000
CR4_LA57, CR4_SMAP, CR4_PKS = 1 << 12, 1 << 21, 1 << 24
EFER_NXE = 1 << 11


def walk(read, cr3, cr4, efer, va, want=None):
    """Translate @va as a correct CPU would for a supervisor read, through
    the page tables at @cr3 (4 or, with CR4.LA57, 5 levels) in guest
    memory (read(gpa) -> 8 bytes or None). The guest-physical address, or
    None if the walk finds a not-present entry, a reserved bit (NX without
    EFER.NXE among them), a table outside memory or a user page under
    SMAP."""
    table, user, nx = cr3 & ADDR, True, False	# ADDR drops CR4.PCIDE's PCID too
    levels = ((5, 48),) if cr4 & CR4_LA57 else ()
    for level, shift in levels + ((4, 39), (3, 30), (2, 21), (1, 12)):
        raw = read(table + ((va >> shift) & 0x1ff) * 8)
        if raw is None:
            return None
        e = int.from_bytes(raw, "little")
        if not e & PTE_P or e & PTE_HIGH_RSVD or (e & PTE_NX and not efer & EFER_NXE):
            return None
        user = user and bool(e & PTE_U)
        nx = nx or bool(e & PTE_NX)
        if level >= 4 and e & PTE_PS:
            return None	# reserved in a PML5E or PML4E
        if level in (3, 2) and e & PTE_PS:
            size = 1 << shift
            if e & ADDR & (size - 1) & ~0x1fff:	# bits below the page but PAT
                return None
            base = e & ADDR & ~(size - 1)
            break
        table = e & ADDR
    else:
        size, base = 4096, table
    if user and cr4 & CR4_SMAP:
        return None
    # want="kernel": a supervisor page (no protection keys on it: none
    # with CR4.PKS off); "text": that, and executable.
    if want and (user or cr4 & CR4_PKS or (want == "text" and nx)):
        return None
    return base + (va & (size - 1))


def dump_walk(dump_path, cr3, cr4, efer, va, want=None):
    """walk() over a crash dump (byte A of the file is guest-physical A);
    None as well where the dump ends."""
    try:
        fd = os.open(dump_path, os.O_RDONLY)
    except OSError:
        return None
    try:
        size = os.fstat(fd).st_size

        def read(gpa):
            if gpa + 8 > size:
                return None
            b = os.pread(fd, 8, gpa)
            return b if len(b) == 8 else None
        pa = walk(read, cr3, cr4, efer, va, want)
        return pa if pa is not None and pa < size else None
    finally:
        os.close(fd)


def shutdown_walk(rec, dump_path):
    """What the guest's page tables in its crash dump map the recorded
    cr2 (the last address the CPU faulted on) and rip to, as one phrase."""
    f = _fields(rec)
    if any(k not in f for k in ("cr2", "cr3", "cr4", "efer", "rip")):
        return "no walk: the record lacks cr2, cr3, cr4, efer or rip"
    out = []
    for name in ("cr2", "rip"):
        pa = dump_walk(dump_path, f["cr3"], f["cr4"], f["efer"], f[name])
        out.append("%s %#x %s" % (name, f[name], "-> %#x" % pa if pa is not None else "unmapped"))
    base, limit = f.get("idt_base", 0), f.get("idt_limit", 0)
    idt = " (IDT gate %d)" % ((f["cr2"] - base) // 16) if base <= f["cr2"] <= base + limit else ""
    return "in the dump: %s%s, %s" % (out[0], idt, out[1])


LINUX_IDT, LINUX_IDT_LIMIT = 0xfffffe0000000000, 0xfff	# cpu_entry_area's read-only IDT
EII_VALID = 1 << 31
EII_INTR, EII_EXCEPTION = 0, 3	# EXITINTINFO's type field
EII_EV = 1 << 11	# its error code is valid
PF_VECTOR, DF_VECTOR = 14, 8
CR0_PG, CR4_PAE, EFER_LMA = 1 << 31, 1 << 5, 1 << 10
KERNEL_TEXT, KERNEL_TEXT_END = 0xffffffff80000000, 0xffffffffc0000000	# modules above
KERNEL_CS, USER_CS = 0x10, 0x33	# __KERNEL_CS, __USER_CS (64-bit)
USER_END = 1 << 47	# user addresses lie below (4-level; 5-level's are a superset)
NP_ENABLE = 1 << 0	# VMCB nested_ctl
PF_P, PF_W, PF_U = 1 << 0, 1 << 1, 1 << 2


def symbols(sysmap, names):
    """The addresses of @names in the System.map @sysmap (read once), by name."""
    found = {}
    try:
        with open(sysmap) as m:
            for line in m:
                w = line.split()
                if len(w) == 3 and w[2] in names:
                    found[w[2]] = int(w[0], 16)
    except (OSError, ValueError):
        pass
    return found


def kernel_pgd(rec, dump_path, va):
    """The guest-physical address of the kernel's own page directory (at
    @va, init_top_pgt's address, walked through the record's cr3 in the
    dump), or None."""
    f = _fields(rec)
    if va is None or any(k not in f for k in ("cr3", "cr4", "efer")):
        return None
    return dump_walk(dump_path, f["cr3"], f["cr4"], f["efer"], va, "kernel")


PGD_SLOTS = {508: "pgd508", 511: "pgd511"}	# cpu_entry_area; kernel text (lab-shutprobe)
LOW_MEM_END = 3 << 30	# hcall-run: RAM above goes above 4 GiB


def _dump_read(dump_path, gpa, n):
    """@n bytes of the dump at guest-physical @gpa, or None."""
    try:
        with open(dump_path, "rb") as d:
            d.seek(gpa)
            b = d.read(n)
    except OSError:
        return None
    return b if len(b) == n else None


def _dump_u64(dump_path, gpa):
    b = _dump_read(dump_path, gpa, 8)
    return None if b is None else int.from_bytes(b, "little")


def same_pgd_at_fault(f, dump_path, kpgd):
    """True if, read from guest RAM by the probe (the record's pgd508 and
    pgd511), the page directory at the record's cr3 held for the IDT (cr2)
    and kernel text (rip) the very entries of the kernel's own (@kpgd, in
    the dump), and still holds them in the dump. Below the page directory
    the kernel's tables for these addresses are its own, never freed.
    The probe reads at the SHUTDOWN exit, in KVM's exit handler with the
    lab kernel's interrupts back on: a little after the fault, not at it.
    A page directory freed while still loaded, zeroed and refilled within
    that window would pass; that takes a reference-count bug in the
    guest kernel's own mm code (hcall's code frees no page directory),
    which would corrupt user memory far more often than it lands in the
    window. A page directory found zeroed, foreign or not the kernel's in
    either reading fails."""
    # Only below the PCI hole is a guest-physical address the probe's
    # offset into guest RAM; it adds cr3 whole, so a PCID in its low bits
    # would shift the read.
    if (any(v not in f for v in PGD_SLOTS.values()) or f["cr3"] & ADDR >= LOW_MEM_END or
            f["cr3"] & 0xfff):
        return False
    top = 48 if f["cr4"] & CR4_LA57 else 39
    want = {(f["cr2"] >> top) & 0x1ff, (KERNEL_TEXT >> top) & 0x1ff}
    if not want <= set(PGD_SLOTS):
        return False
    for slot in want:
        kernel = _dump_u64(dump_path, kpgd + slot * 8)
        if not kernel or not kernel & PTE_P or kernel & PTE_HIGH_RSVD:
            return False
        if f[PGD_SLOTS[slot]] != kernel or _dump_u64(dump_path, (f["cr3"] & ADDR) + slot * 8) != kernel:
            return False
    return True


def shutdown_evidence(rec, dump_path, ncpus, kpgd=None, early_idt=None):
    """Evidence string if the record @rec of a guest with @ncpus vCPUs and
    its crash dump show the guest-shutdown pattern (module docstring),
    else None. @kpgd: kernel_pgd(), for a guest of more vCPUs; @early_idt:
    idt_table's address, the IDT early in boot (before its read-only
    alias, with no IST stacks yet)."""
    f = _fields(rec)
    need = ("rip", "cr0", "cr2", "cr3", "cr4", "efer", "idt_base", "idt_limit", "exit_code",
            "exit_int_info", "exit_int_info_err", "vcpus", "nested_ctl")
    # One vCPU: no guest code runs between the fault and the dump. With
    # another, a bug of ours there could clear the page directory's kernel
    # entry and put it back (a page directory freed while loaded and
    # allocated again is zeroed, then filled) before the dump; not the
    # kernel's own page directory, which is never freed (an idle vCPU's).
    if ncpus < 1 or any(k not in f for k in need) or f["exit_code"] != 0x7f or f["vcpus"] != ncpus:
        return None
    if ncpus > 1 and (kpgd is None or (f["cr3"] & ADDR != kpgd and
                                        not same_pgd_at_fault(f, dump_path, kpgd))):
        return None
    # Nested paging (else cr3 is KVM's shadow root), 64-bit paging.
    if not (f["nested_ctl"] & NP_ENABLE and f["cr0"] & CR0_PG and f["cr4"] & CR4_PAE and
            f["efer"] & EFER_LMA):
        return None
    early = early_idt is not None and f["idt_base"] == early_idt
    if (f["idt_base"] != LINUX_IDT and not early) or f["idt_limit"] != LINUX_IDT_LIMIT:
        return None
    gate = (f["cr2"] - f["idt_base"]) // 16
    if f["cr2"] != f["idt_base"] + 16 * gate or gate not in (DF_VECTOR, PF_VECTOR):
        return None
    eii = f["exit_int_info"]
    kind, vector = (eii >> 8) & 7, eii & 0xff
    # The chain began with a page fault or with an external interrupt,
    # whose delivery only reads its gate (no error code then).
    if not eii & EII_VALID:
        return None
    user = False
    if kind == EII_EXCEPTION and vector == PF_VECTOR:
        if f["exit_int_info_err"] & PF_W:
            return None	# a write: cr2 may be that fault's own, on the read-only IDT
        event = "a page fault"
        # A user-mode fault on a page not present: its rip may rightly be
        # unmapped (demand paging). Never a protection fault: a user read
        # of the gate itself would leave cr2 there.
        user = bool(f["exit_int_info_err"] & PF_U)
        if user and (f["exit_int_info_err"] & PF_P or f.get("cpl") != 3 or
                     f.get("cs") != USER_CS or f["rip"] >= USER_END):
            return None
    elif kind == EII_INTR and vector >= 32 and not eii & EII_EV and gate == DF_VECTOR:
        # No fault of its own, so cr2 is the chain's only if it ends at
        # #DF's gate, as when every gate read failed (one page holds them).
        event = "external interrupt %#x" % vector
    else:
        return None
    args = (dump_path, f["cr3"], f["cr4"], f["efer"])
    pa = dump_walk(*args, f["cr2"], "kernel")
    if pa is None or (not user and (f["rip"] < KERNEL_TEXT or
                                    dump_walk(*args, f["rip"], "text") is None)):
        return None
    g = _dump_read(dump_path, pa, 16)
    if g is None:
        return None
    target = int.from_bytes(g[0:2] + g[6:8] + g[8:12], "little")
    sel, ist, typ = int.from_bytes(g[2:4], "little"), g[4] & 7, g[5]
    # A present DPL-0 interrupt gate into the kernel's text, through
    # __KERNEL_CS; #DF's on its own stack (IST), as Linux sets it.
    if (typ != 0x8e or sel != KERNEL_CS or g[4] & 0xf8 or g[12:16] != bytes(4) or
            not KERNEL_TEXT <= target < KERNEL_TEXT_END or
            (gate == DF_VECTOR and not ist and not early)):
        return None
    return ("triple fault: the CPU failed to read IDT gate %d (cr2 %#x) delivering %s at "
            "%s rip %#x, but the guest's page tables (cr3 %#x%s) map %s (gate at %#x, "
            "a present interrupt gate to %#x) in its memory" %
            (gate, f["cr2"], event, "user" if user else "kernel", f["rip"], f["cr3"],
             "" if ncpus == 1 else
             ", the kernel's own, on 1 of %d vCPUs" % ncpus if f["cr3"] & ADDR == kpgd else
             ", a process's on 1 of %d vCPUs, whose entries there were the kernel's at the "
             "exit (pgd508 %#x, pgd511 %#x)" % (ncpus, f["pgd508"], f["pgd511"]),
             "the gate" if user else "both", pa, target))


def _line(text, m):
    start = text.rfind("\n", 0, m.start()) + 1
    end = text.find("\n", m.end())
    return text[start:end if end >= 0 else len(text)].strip()[:200]


def classify(text, rc):
    """Return (class, evidence, retryable) for a failed lab run: its whole
    output and scripts/lab's exit status."""
    m = OURS.search(text)
    if m:
        return "ours-crash", _line(text, m), False
    if rc == LAB_FAILED:
        # lab-init's deadline report: the lab was alive, the command hung.
        # Its dump of the lab kernel's log is there to show where, and is
        # never evidence (a short stall may pass; only lasting ones end
        # the lab, through the watchers, before the deadline).
        if re.search(r"^lab: the command ran past the lab's deadline", text, re.M):
            # A guest the lab livelocked (its evidence, tap.sh guest())
            # spent its whole timeout first, in a guest of the background
            # (one in the test's own shell ends the file at once). Only a
            # livelock: a crash takes no time.
            m = GUEST_MARK.search(text)
            if m and m.group(1) == "guest-livelock":
                return m.group(1), m.group(2).strip() + " (then the lab ran past its " \
                                                        "deadline)", True
            return "command-timeout", "the command hung in a live lab host (what ran is in " \
                                      "its output): possibly ours", False
        m = LAB_HANG.search(text)
        if m and int(m.group(1)) < LAB_HANG_MIN_MEM_MIB:
            return "lab-hang-low-memory", _line(text, m) + " (memory ran out: possibly ours)", False
        for cls, pat in LAB:
            m = pat.search(text)
            if m:
                return cls, _line(text, m), True
        if re.search(r"^lab: (no lab kernel|module \S+ missing|no QEMU )", text, re.M):
            return "lab-setup", "the lab host cannot be prepared", False
        return "lab-unknown", "the lab ended without a status and without evidence " \
                              "(a timeout: the hang may be ours)", False
    m = GUEST_MARK.search(text)
    if m and rc != 0:
        return m.group(1), m.group(2).strip(), True
    return "test-failure", "exit status %s without evidence of a lab failure" % rc, False


RETRY_LINE = re.compile(r"^\s*# lab-(retry|gave-up) class=(\S+) try=\d+", re.M)


def summary(text):
    """The one-line count of lab retries in a test log (tests/run)."""
    counts = {"retry": {}, "gave-up": {}}
    for m in RETRY_LINE.finditer(text):
        c = counts[m.group(1)]
        c[m.group(2)] = c.get(m.group(2), 0) + 1
    line = "lab retries: %d" % sum(counts["retry"].values())
    if counts["retry"]:
        line += " (%s)" % ", ".join("%s %d" % kv for kv in sorted(counts["retry"].items()))
    if counts["gave-up"]:
        line += "; lab failures after the last try: %s" % ", ".join(
            "%s %d" % kv for kv in sorted(counts["gave-up"].items()))
    return line


def _answer(found):
    """A query's answer: printed, and exit 0, if there is one; else 1."""
    if found:
        print(found)
    return 0 if found else 1


def _record(trace_path, pid):
    """shutdown() of a trace file; None without one (no probe in this lab)."""
    try:
        with open(trace_path, errors="replace") as f:
            return shutdown(f.read(), int(pid))
    except (OSError, ValueError):
        return None


def main(argv):
    if len(argv) == 3 and argv[1] == "--summary":
        with open(argv[2], errors="replace") as f:
            print(summary(f.read()))
        return 0
    if len(argv) == 3 and argv[1] == "--livelock":
        try:
            with open(argv[2]) as f:
                return _answer(livelock(json.load(f)))
        except (OSError, ValueError):
            return 1
    if len(argv) == 4 and argv[1] == "--cpu-state":
        with open(argv[2], errors="replace") as f:
            text = f.read()
        entry = None
        try:
            with open(argv[3]) as f:	# System.map of the guest kernel
                for line in f:
                    w = line.split()
                    if len(w) == 3 and w[2] == "entry_SYSCALL_64":
                        entry = int(w[0], 16)
        except OSError:
            pass	# no map, no evidence
        return _answer(cpu_state(text, entry) if entry is not None else None)
    if len(argv) in (4, 5) and argv[1] == "--shutdown":
        rec = _record(argv[2], argv[3])
        return _answer(rec and rec + ("; " + shutdown_walk(rec, argv[4]) if len(argv) == 5 else ""))
    if len(argv) in (6, 7, 8) and argv[1] == "--shutdown-evidence":
        rec = _record(argv[2], argv[3])
        # A failed read of the probe leaves stale bytes: its entries count
        # only for a guest that ran with guest RAM where it reads.
        if rec and (len(argv) != 8 or argv[7] != "ram-hva"):
            rec = " ".join(kv for kv in rec.split() if kv.partition("=")[0] not in
                           PGD_SLOTS.values())
        try:
            sym = symbols(argv[6], ("init_top_pgt", "idt_table")) if len(argv) >= 7 else {}
            kpgd = rec and kernel_pgd(rec, argv[4], sym.get("init_top_pgt"))
            early = sym.get("idt_table")
            return _answer(rec and shutdown_evidence(rec, argv[4], int(argv[5]), kpgd or None,
                                                     early))
        except (OSError, ValueError):
            return 1
    if len(argv) == 7 and argv[1] == "--walk":
        try:
            pa = dump_walk(argv[2], *(int(a, 0) for a in argv[3:7]))
        except ValueError:
            pa = None
        return _answer(None if pa is None else "%#x" % pa)
    if len(argv) != 3:
        print("usage: labclass.py RC LOG | --livelock STATS.json | --cpu-state CONSOLE "
              "SYSTEM.MAP | --shutdown TRACE PID [DUMP] | --shutdown-evidence TRACE PID DUMP NCPUS [SYSTEM.MAP [ram-hva]] | "
              "--walk DUMP CR3 CR4 EFER VA | --summary LOG",
              file=sys.stderr)
        return 2
    with open(argv[2], errors="replace") as f:
        cls, ev, retry = classify(f.read(), int(argv[1]))
    print("%s: %s" % (cls, ev))
    return 0 if retry else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
