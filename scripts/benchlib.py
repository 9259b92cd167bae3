# SPDX-License-Identifier: LGPL-2.1-or-later
"""Shared by the benchmarks: where to run, bounded peer runs with one retry,
and an SVG bar chart."""
import os
import re
import selectors
import signal
import subprocess
import sys
import time
from xml.sax.saxutils import escape

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from labclass import classify  # noqa: E402

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LAB_TRIES = 2


def on_kvm(lab_timeout=None):
    """Return "direct" or "lab"; on a machine whose KVM cannot run guests,
    re-run the calling script inside the lab host (this never returns),
    allowing it lab_timeout seconds unless HCALL_LAB_TIMEOUT says otherwise.
    A lab run that failed is run once more, from the start of the benchmark,
    only when scripts/labclass.py finds it was the lab's own failure (the
    class goes to stderr as "lab-retry class=CLASS try=N")."""
    if not os.environ.get("HCALL_SUBSTRATE"):
        sub = subprocess.run([os.path.join(TOP, "scripts/kvm-ok")], capture_output=True,
                             text=True).stdout.strip()
        if sub == "lab":
            if lab_timeout:
                os.environ.setdefault("HCALL_LAB_TIMEOUT", str(lab_timeout))
            lab = os.environ.get("HCALL_LAB") or os.path.join(TOP, "scripts/lab")
            cmd = [lab, sys.argv[0]] + sys.argv[1:]
            me = os.path.basename(sys.argv[0])
            for attempt in range(1, LAB_TRIES + 1):
                rc, text = _tee(cmd)
                if rc == 0:
                    break
                cls, why, retry = classify(text, rc)
                if not retry or attempt == LAB_TRIES:
                    print("%s: lab-no-retry class=%s try=%d (%s)" % (me, cls, attempt, why),
                          file=sys.stderr, flush=True)
                    break
                print("%s: lab-retry class=%s try=%d (%s); running the benchmark again in a "
                      "fresh lab host" % (me, cls, attempt, why), file=sys.stderr, flush=True)
            sys.exit(rc)
        os.environ["HCALL_SUBSTRATE"] = "direct"
    return os.environ["HCALL_SUBSTRATE"]


def _tee(cmd):
    """Run cmd with its output going to ours as it comes; return (status, output)."""
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    chunks = []
    for chunk in iter(lambda: os.read(p.stdout.fileno(), 65536), b""):
        sys.stdout.buffer.write(chunk)
        sys.stdout.flush()
        chunks.append(chunk)
    p.stdout.close()
    return p.wait(), b"".join(chunks).decode(errors="replace")


class PeerRun:
    """One bounded run of a peer. rc: its exit status, or "silent" (killed
    after no output for its idle limit), "timeout" (killed at its overall
    limit) or "refused" (killed when its answer function raised: why in
    error); out: stdout then stderr; marks: {mark: seconds from launch to
    the first read of stdout that contained it}; secs: launch to exit."""

    def __init__(self, rc, out, marks, secs, limit, idle, error=None):
        self.rc, self.out, self.marks, self.secs = rc, out, marks, secs
        self.limit, self.idle, self.error = limit, idle, error

    def status(self):
        if self.rc == "silent":
            return "no output for %g s, killed" % self.idle
        if self.rc == "timeout":
            return "still running after %g s, killed" % self.limit
        if self.rc == "refused":
            return self.error
        return "exit %s" % self.rc


class _Capped(bytearray):
    """A stream's output kept whole, or with cap: its first and last cap
    bytes."""

    def __init__(self, cap):
        super().__init__()
        self.cap, self.tail, self.cut = cap, bytearray(), 0

    def add(self, data):
        if not self.cap:
            self.extend(data)
            return
        room = max(0, self.cap - len(self))
        self.extend(data[:room])
        self.tail += data[room:]
        if len(self.tail) > self.cap:
            self.cut += len(self.tail) - self.cap
            del self.tail[:len(self.tail) - self.cap]

    def whole(self):
        mid = b"\n[... %d bytes left out ...]\n" % self.cut if self.cut else b""
        return bytes(self) + mid + bytes(self.tail)


def run_bounded(cmd, limit, idle=None, marks=(), env=None, answer=None, cap=None):
    """Run cmd, reading its stdout and stderr with a deadline: it is killed
    (with everything it started) when it has produced no output for idle
    seconds (default: limit) or has run for limit seconds. answer(line,
    seconds left), if given, sees each line of its stdout and returns what
    to write to its stdin (or None); the time it takes is not the peer's
    silence, and if it raises the peer is killed ("refused"). cap keeps
    only each stream's first and last cap bytes. Returns a PeerRun."""
    idle = idle or limit
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE if answer else subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
                         env=dict(os.environ, **(env or {})))
    bufs = {p.stdout.fileno(): _Capped(cap), p.stderr.fileno(): _Capped(cap)}
    out_fd = p.stdout.fileno()
    seen = {}
    rc = exited = error = None
    pending = b""
    sel = selectors.DefaultSelector()
    try:
        for fd in bufs:
            sel.register(fd, selectors.EVENT_READ)
        last = t0
        while sel.get_map():
            now = time.monotonic()
            if exited is None and p.poll() is not None:
                exited = now	# something it started may hold the pipes: drain 1 s
            if exited is not None and now - exited >= 1:
                break
            if now - t0 >= limit:
                rc = "timeout"
                break
            if now - last >= idle:
                rc = "silent"
                break
            wake = min(t0 + limit, last + idle, now + 0.5)
            for key, _ in sel.select(timeout=wake - now):
                data = os.read(key.fd, 65536)
                if not data:
                    sel.unregister(key.fd)
                    continue
                last = time.monotonic()
                buf = bufs[key.fd]
                start = len(buf)
                buf.add(data)
                if key.fd == out_fd:
                    for m in marks:
                        if m not in seen and buf.find(m, max(0, start - len(m) + 1)) >= 0:
                            seen[m] = last - t0
                if key.fd == out_fd and answer:
                    *lines, pending = (pending + data).split(b"\n")
                    pending = pending[-4096:]	# a line longer is not one to answer
                    try:
                        for line in lines:
                            reply = answer(line.decode(errors="replace"),
                                           t0 + limit - time.monotonic())
                            if reply:
                                p.stdin.write(reply)
                                p.stdin.flush()
                    except Exception as e:	# noqa: BLE001 -- whatever it was, the run ends
                        rc, error = "refused", str(e)
                        break
                    last = time.monotonic()	# answering took our time, not its
            if rc == "refused":
                break
        if rc is None:	# the pipes closed or it exited: the rest of its limit to exit
            try:
                rc = p.wait(timeout=max(0.0, t0 + limit - time.monotonic()))
            except subprocess.TimeoutExpired:
                rc = "timeout"
    finally:
        sel.close()
        try:	# the whole session: a peer's helpers (hcall-dd) go with it
            os.killpg(p.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            rc, error = "refused", "it did not die of SIGKILL in 30 s"
        for f in (p.stdin, p.stdout, p.stderr):
            try:
                if f:
                    f.close()
            except OSError:
                pass
    text = b"".join(b.whole() for b in bufs.values()).decode(errors="replace")
    return PeerRun(rc, text, seen, time.monotonic() - t0, limit, idle, error)


def slug(name):
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


# The lab kernel's stall reports, which scripts/lab (on its console) and
# labclass.py take as the lab host's own failure.
_STALL = re.compile(r"(rcu)(: INFO: rcu_\w+ (self-)?detected stall)|(soft lockup)( - CPU#)")


def defuse(text):
    """A guest's console as shown on ours: a guest's own RCU stall or soft
    lockup reworded ("rcu (guest): INFO: ..."), so that in the lab it does
    not pass for the lab kernel's and end the lab host (the guest's log
    file keeps its words)."""
    return _STALL.sub(lambda m: (m.group(1) + " (guest)" + m.group(2)) if m.group(1) else
                      (m.group(4) + " (guest)" + m.group(5)), text)


def run_peer(tag, name, cmd, check, log, limit, idle=None, marks=(), env=None, tries=2):
    """Run one peer, bounded (run_bounded), and once more if it fails: the
    lab's nested KVM under TCG now and then stops, livelocks or silences a
    guest. check(PeerRun) returns (result, None) or (None, why); it sees
    every run, killed or not. Attempt N's
    output goes to the file log % N. Returns (result, attempts) or
    (None, why the last attempt failed)."""
    err = None
    for attempt in range(1, tries + 1):
        r = run_bounded(cmd, limit, idle, marks, env)
        path = log % attempt
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(r.out)
        res, why = check(r)
        if why is None:
            return res, attempt
        err = "%s (%s), log: %s" % (why, r.status(), path)
        print("%s: %s, attempt %d: %s\n%s" % (tag, name, attempt, err, defuse(r.out[-1500:])),
              file=sys.stderr, flush=True)
    return None, err


def svgbar(path, title, unit, rows):
    """rows: [(label, value)], drawn longest-label-first in the given order."""
    width, bar_h, left, top = 720, 26, 190, 48
    height = top + len(rows) * (bar_h + 10) + 20
    vmax = max([v for _, v in rows] or [1]) or 1
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
           'font-family="sans-serif" font-size="13">' % (width, height),
           '<rect width="100%" height="100%" fill="white"/>',
           '<text x="10" y="24" font-size="16" font-weight="bold">%s</text>' % escape(title)]
    for i, (label, v) in enumerate(rows):
        y = top + i * (bar_h + 10)
        w = int((width - left - 110) * v / vmax)
        out.append('<text x="%d" y="%d" text-anchor="end">%s</text>' % (left - 8, y + 18, escape(label)))
        out.append('<rect x="%d" y="%d" width="%d" height="%d" fill="%s"/>' %
                   (left, y, max(w, 1), bar_h, "#2a7ab0" if i == 0 else "#9ab"))
        out.append('<text x="%d" y="%d">%g %s</text>' % (left + w + 6, y + 18, v, escape(unit)))
    out.append('</svg>')
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")
