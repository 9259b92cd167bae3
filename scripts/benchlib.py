# SPDX-License-Identifier: LGPL-2.1-or-later
"""Shared by the benchmarks: where to run, and an SVG bar chart."""
import os
import subprocess
import sys
from xml.sax.saxutils import escape

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def on_kvm(lab_timeout=None):
    """Return "direct" or "lab"; on a machine whose KVM cannot run guests,
    re-run the calling script inside the lab host (this never returns),
    allowing it lab_timeout seconds unless HCALL_LAB_TIMEOUT says otherwise.
    A lab host that dies (exit 125: its kernel soft-locked) is booted once
    more, from the start of the benchmark."""
    if not os.environ.get("HCALL_SUBSTRATE"):
        sub = subprocess.run([os.path.join(TOP, "scripts/kvm-ok")], capture_output=True,
                             text=True).stdout.strip()
        if sub == "lab":
            if lab_timeout:
                os.environ.setdefault("HCALL_LAB_TIMEOUT", str(lab_timeout))
            cmd = [os.path.join(TOP, "scripts/lab"), sys.argv[0]] + sys.argv[1:]
            rc = subprocess.run(cmd).returncode
            if rc == 125:
                print("%s: the lab host died; running the benchmark again in a fresh one" %
                      os.path.basename(sys.argv[0]), file=sys.stderr, flush=True)
                rc = subprocess.run(cmd).returncode
            sys.exit(rc)
        os.environ["HCALL_SUBSTRATE"] = "direct"
    return os.environ["HCALL_SUBSTRATE"]


def svgbar(path, title, unit, rows):
    """rows: [(label, value)], drawn longest-label-first in the given order."""
    width, bar_h, left, top = 720, 26, 190, 48
    height = top + len(rows) * (bar_h + 10) + 20
    vmax = max(v for _, v in rows) or 1
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
