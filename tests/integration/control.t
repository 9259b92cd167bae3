#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The control socket (hcall-run --control, hcall-ctl) on a running guest:
# what info and stats say, that hostile and slow clients never disturb
# another one, who may connect, and how a guest is stopped through it.
. "$(dirname "$0")/../lib/tap.sh"
need_kvm "$0" "$@"
S=$(scratch)
OUT=$S/out
CTL=$B/bin/hcall-ctl
# sun_path holds 108 bytes: a short directory, searchable by nobody.
sockdir=$(mktemp -d /tmp/hcall-ctl.XXXXXX)
chmod 755 "$sockdir"
SOCK=$sockdir/c.sock
trap 'rm -rf "$sockdir"' EXIT

# wait_up: the socket is there and the guest's init runs its test.
wait_up() {
	for _ in $(seq 1 900); do
		[ -S "$SOCK" ] && grep -q "running test" "$OUT" 2>/dev/null && return 0
		kill -0 "$1" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# A python client for what hcall-ctl will not do: py SCRIPT-NAME.
py() { python3 - "$SOCK" "$@"; }

guest control --cpus 2 --mem 384M --control "$SOCK" &
gpid=$!
wait_up $gpid
ok $? "a PV guest boots with --control and the socket appears"
[ -S "$SOCK" ] || { diag_file "$OUT"; kill $gpid; done_testing; exit; }

is "$(stat -c %a "$SOCK")" 600 "the socket is created mode 0600"

# info: what the flags asked for.
info=$("$CTL" "$SOCK" info)
is "$?" 0 "hcall-ctl info exits 0"
echo "$info" | python3 -c '
import json, sys
a = json.loads(sys.stdin.read())["return"]
print("# info:", json.dumps({k: a[k] for k in ("vcpus", "memory-mib", "mode", "state")}))
assert (a["vcpus"], a["memory"], a["mode"], a["state"]) == (2, 384 << 20, "pv", "running"), a'
ok $? "info: 2 vCPUs, 384 MiB, mode pv, state running (as --cpus 2 --mem 384M)"

# stats: the --stats-json document, live; the counters move.
"$CTL" "$SOCK" stats > "$S/s1.json"; r1=$?
sleep 2
"$CTL" "$SOCK" stats > "$S/s2.json"; r2=$?
is "$r1:$r2" 0:0 "hcall-ctl stats exits 0 twice"
python3 - "$S/s1.json" "$S/s2.json" <<'PY'
import json, sys
a, b = (json.load(open(p))["return"] for p in sys.argv[1:])
for k in ("vcpus", "kvm", "shim_exits", "hypercalls", "hypercall_names", "pio_by_port"):
    assert k in a, k
ka, kb = sum(a["kvm"].values()), sum(b["kvm"].values())
print("# KVM counters summed: %d, then %d; exits to the shim: %d, then %d"
      % (ka, kb, a["shim_exits"], b["shim_exits"]))
assert kb > ka and b["shim_exits"] >= a["shim_exits"]
PY
ok $? "stats has the --stats-json keys and its counters grow between two calls"

# Bad requests get error answers; the server stays up.
py > "$S/bad.out" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); f = s.makefile("rwb")
def ask(line):
    f.write(line + b"\n"); f.flush()
    return json.loads(f.readline())
for line in (b"not json", b'{"execute":"info"', b'{"execute":"info","execute":"quit"}',
             b'["execute"]', b'{"execute":"info","extra":1}', b'{"execute":"frobnicate"}',
             b'{"execute":"mem-set"}', b'{"execute":"mem-set","arguments":{"size":"12Q"}}',
             b'{"execute":"info","arguments":{"x":1}}', b'{"execute":"\xff"}',
             b"\x00\x01\x02", b"[" * 100 + b"]" * 100, b"x" * 5000):
    a = ask(line)
    print(a["error"]["class"], a["error"]["desc"])
a = ask(b'{"execute":"info","id":{"n": [1, 2]}}')
print("id", json.dumps(a["id"], separators=(",", ":")), a["return"]["state"])
a = ask(b'{"execute":"mem-set","arguments":{"size":"256M"}}')
print("mem-set", json.dumps(a, separators=(",", ":")))
PY
sed 's/^/# /' "$S/bad.out"
is "$(head -n 13 "$S/bad.out" | cut -d' ' -f1 | tr '\n' ' ')" \
   "ParseError ParseError ParseError InvalidRequest InvalidRequest CommandNotFound InvalidParameter InvalidParameter InvalidRequest ParseError ParseError ParseError TooLong " \
   "bad JSON, duplicate keys, unknown members and commands, bad arguments, deep nesting and a 5000-byte line each get an error answer"
grep -q '^id {"n":\[1,2\]} running$' "$S/bad.out"
ok $? "after them the same connection still works, and a request's id comes back"
grep -q '^mem-set {"return":{"target-kib":262144}}$' "$S/bad.out"
ok $? "mem-set 256M sets the balloon target (this guest runs no balloon: balloon.t)"
"$CTL" "$SOCK" frobnicate > "$S/nf.out"
is "$?" 1 "hcall-ctl exits 1 on an error answer (unknown command)"
"$CTL" "$SOCK" info > /dev/null
is "$?" 0 "the server is still up"

# A client that hangs up mid-request and one that never reads its answers
# (it is dropped once they pile up) do not disturb another client.
py > "$S/slow.out" <<'PY'
import json, socket, sys, time
path = sys.argv[1]
def client():
    s = socket.socket(socket.AF_UNIX); s.connect(path); return s
def info(s):
    t = time.time(); f = s.makefile("rwb")
    f.write(b'{"execute":"info"}\n'); f.flush()
    return json.loads(f.readline())["return"], time.time() - t
good = client()
# A whole request but no newline, then gone: it must never run.
half = client(); half.sendall(b'{"execute":"quit"}'); half.close()
mute = client(); mute.setblocking(False)
sent, worst = 0, 0.0
req = b'{"execute":"stats"}\n' * 64
a, worst = info(good)
for i in range(2000):
    try:
        sent += mute.send(req)
    except BlockingIOError:
        time.sleep(0.01)
    except OSError:
        break  # dropped: the server closed it
    if i % 8 == 0:
        a, took = info(good)
        worst = max(worst, took)
        if a["control"]["dropped"]:
            break
a, took = info(good)
worst = max(worst, took)
print("requests-sent", sent // 20, "dropped", a["control"]["dropped"], "clients", a["control"]["clients"])
print("worst-info-ms", int(worst * 1000))
print("state", a["state"])
PY
sed 's/^/# /' "$S/slow.out"
[ "$(sed -n 's/^requests-sent .* dropped \([0-9]*\) .*/\1/p' "$S/slow.out")" -ge 1 ] 2>/dev/null
ok $? "a client that never reads its answers is dropped"
[ "$(sed -n 's/^worst-info-ms //p' "$S/slow.out")" -lt 2000 ] 2>/dev/null
ok $? "meanwhile another client's info answered within 2 s each time"
is "$(sed -n 's/^state //p' "$S/slow.out")" running "and the guest runs on (a half-sent request was never run)"

# Who may connect: the socket is 0600; a peer of another uid is closed on
# without a word even where the mode would let it in (SO_PEERCRED).
"$RUN" --kernel "$KERNEL" --control "$SOCK" > "$S/second.out" 2>&1
is "$?" 2 "a second hcall-run on the same live socket path is refused (exit 2)"
grep -q 'in use' "$S/second.out"
ok $? "and says the path is in use"
touch "$sockdir/file"
"$RUN" --kernel "$KERNEL" --control "$sockdir/file" > "$S/file.out" 2>&1
is "$?:$(cat "$sockdir/file")" "2:" "a path that is a file is refused and left alone"
if [ "$(id -u)" -eq 0 ] && command -v setpriv > /dev/null; then
	cp "$CTL" "$sockdir/hcall-ctl"	# where uid 65534 may run it
	CTL=$sockdir/hcall-ctl
	setpriv --reuid=65534 --regid=65534 --clear-groups "$CTL" "$SOCK" info > "$S/nobody.out" 2>&1
	is "$?" 2 "uid 65534 cannot even connect to the 0600 socket (hcall-ctl exits 2)"
	chmod 666 "$SOCK"
	setpriv --reuid=65534 --regid=65534 --clear-groups "$CTL" "$SOCK" info > "$S/nobody.out" 2>&1
	rc=$?
	chmod 600 "$SOCK"
	CTL=$B/bin/hcall-ctl
	is "$rc" 2 "with the socket made 0666, uid 65534 connects but gets no answer (exit 2)"
	# hcall-ctl says "no answer", or a broken pipe if the close came first.
	sed 's/^/# /' "$S/nobody.out"
	grep -q '^hcall-ctl: ' "$S/nobody.out" && ! grep -q '"error"\|"return"' "$S/nobody.out"
	ok $? "peers are checked by SO_PEERCRED and closed on without a word"
	# hcall-ctl checks the listener the same way: a socket of another
	# uid's is never asked, and what a listener sends never reaches a
	# terminal as control characters.
	mkdir -m 700 "$sockdir/n" && chown 65534:65534 "$sockdir/n"
	cat > "$sockdir/fake.py" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])
s.listen(1)
open(sys.argv[1] + ".up", "w").close()
s.settimeout(20)
c, _ = s.accept()
c.settimeout(5)
try:
    got = c.recv(4096)
except OSError:
    got = b""
print("request-bytes", len(got), flush=True)
try:
    c.sendall(b'{"return":"\x1b]0;owned\x07\x1b[2J"}\n')
except OSError:
    pass
PY
	PY3=/usr/bin/python3	# not a per-user shim: uid 65534 runs it too
	[ -x "$PY3" ] || PY3=$(command -v python3)
	fake() {	# fake SOCKET [setpriv args]: a listener that answers anything
		local sock=$1
		shift
		rm -f "$sock" "$sock.up"
		"$@" "$PY3" "$sockdir/fake.py" "$sock" > "$sock.out" 2>&1 &
		for _ in $(seq 1 100); do [ -e "$sock.up" ] && return 0; sleep 0.05; done
		return 1
	}
	fake "$sockdir/n/f.sock" setpriv --reuid=65534 --regid=65534 --clear-groups
	fpid=$!
	"$CTL" "$sockdir/n/f.sock" info > "$S/fake1.out" 2>&1
	rc=$?
	wait $fpid
	sed 's/^/# /' "$S/fake1.out"
	is "$rc:$(cat "$sockdir/n/f.sock.out")" "2:request-bytes 0" \
		"hcall-ctl refuses a listener of uid 65534 and sends it nothing"
	fake "$sockdir/f.sock"
	fpid=$!
	"$CTL" "$sockdir/f.sock" info > "$S/fake2.out" 2> /dev/null
	rc=$?
	wait $fpid
	is "$rc:$(cat "$S/fake2.out")" '0:{"return":"\x1b]0;owned\x07\x1b[2J"}' \
		"an answer's control characters are printed escaped"
else
	skip "not root or no setpriv: cannot act as another uid"
	skip "not root or no setpriv: cannot act as another uid"
	skip "not root or no setpriv: cannot act as another uid"
	skip "not root or no setpriv: cannot act as another uid"
	skip "not root or no setpriv: cannot act as another uid"
fi

# shutdown: a PV guest is asked through control/shutdown, as Xen's
# toolstack does, if its kernel says it listens (control/feature-poweroff).
"$CTL" "$SOCK" shutdown > "$S/shutdown.out"
rc=$?
sed 's/^/# /' "$S/shutdown.out"
if [ $rc -eq 0 ]; then
	is "$(cat "$S/shutdown.out")" '{"return":{}}' "shutdown: the guest says it listens, the request is written"
	wait $gpid
	is "$?" 0 "the PV guest powered off cleanly: hcall-run exits 0"
	grep -q 'HCALL-RESULT' "$OUT"
	is "$?" 1 "long before its 600 s sleep ended (the host's request did it)"
else
	# Patch 0015 makes the guest listen: an answer other than {} is a failure.
	ok 1 "shutdown: the guest kernel (patch 0015) should listen on control/shutdown"
	"$CTL" "$SOCK" quit > /dev/null
	wait $gpid
fi
[ ! -e "$SOCK" ]
ok $? "the socket is gone once hcall-run exits"

# An HVM guest: no store to ask, so shutdown and reboot are errors; quit works.
# It has --mem-prealloc: all its RAM is in the memfd before it runs.
OUT=$S/hvm.out
guest sleep --hvm --mem 320M --mem-prealloc --control "$SOCK" &
gpid=$!
wait_up $gpid
ok $? "an HVM guest boots with --control"
vmm=$(pgrep -P "$gpid" | head -n1)
held=0
for fd in /proc/"$vmm"/fd/*; do
	case "$(readlink "$fd")" in
	*memfd:hcall-guest-ram*) held=$(($(stat -L -c %b "$fd") * 512 >> 20)) ;;
	esac
done
ok $((!(held >= 320))) "--mem-prealloc: the memfd holds all 320 MiB of RAM (${held} MiB)"
"$CTL" "$SOCK" info | grep -q '"mode":"hvm"'
ok $? "info says mode hvm"
"$CTL" "$SOCK" reboot > "$S/hvm-reboot.out"
is "$?" 1 "reboot of an HVM guest is an error answer"
grep -q 'not supported without PV' "$S/hvm-reboot.out"
ok $? "saying it is not supported without PV"
"$CTL" "$SOCK" quit > /dev/null
wait $gpid
is "$?" 0 "quit ends the HVM guest too, exit 0"
grep -q 'stopped by quit on the control socket' "$OUT"
ok $? "saying it was stopped by quit"

done_testing
