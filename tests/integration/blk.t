#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# PV block end to end: hblkfront in the guest, hcall-dd on the host. What a
# user would check: the filesystem the guest made passes the host's fsck
# with every file's bytes right, fio's crc32c verify passes, a read-only
# disk stays unchanged, the module unloads and reloads, and the data path
# costs no exits to the shim.
. "$(dirname "$0")/../lib/tap.sh"
need_kvm "$0" "$@"
S=$(scratch)
OUT=$S/out
TOOLS=$B/guest/tools.img
content() { yes "hcall-file-$1" | head -c $(($1 * 37 * 1024 + $1)); }

# 1. mkfs.ext4 + files in the guest; fsck and checksums on the host.
rm -f "$S/fs.img"; truncate -s 96M "$S/fs.img"
blk blk-fs --cpus 2 --disk "$S/fs.img" --disk "$TOOLS,ro" --stats-json "$S/fs.json"
rc=$?
is "$rc" 0 "guest made ext4 on xvda, wrote 24 files and powered off"
[ $rc -eq 0 ] || diag_file "$OUT" 40
is "$(first_field files)" 24 "all 24 files written"
e2fsck -fn "$S/fs.img" > "$S/fsck.out" 2>&1
ok $? "host e2fsck -fn: the image is clean"
bad=0
for i in $(seq 1 24); do
	debugfs -R "dump /f$i $S/f$i" "$S/fs.img" > /dev/null 2>&1
	[ "$(content "$i" | sha256sum)" = "$(sha256sum < "$S/f$i")" ] || bad=$((bad + 1))
done
is "$bad" 0 "every file's bytes on the host match what the guest wrote"
python3 - "$S/fs.json" "$(first_field ios)" <<'PY'
import json, sys
s, ios = json.load(open(sys.argv[1])), int(sys.argv[2] or 0)
sends = s["hypercalls"]["4"]
print("# %d I/Os on xvda; exits to the shim for the whole boot: %d; evtchn sends that "
      "reached the shim: %d; rings connected: %d" % (ios, s["shim_exits"], sends, s["vbd"]["connects"]))
assert ios > 100 and sends == 0 and s["vbd"]["connects"] == 2  # xvda and the tools disk
PY
ok $? "no doorbell of the data path reached the shim (all caught by ioeventfd)"

# 2. fio verify on the raw device.
rm -f "$S/fio.img"; truncate -s 64M "$S/fio.img"
blk blk-fio --cpus 2 --disk "$S/fio.img" --disk "$TOOLS,ro"
is "$?" 0 "fio guest run completes"
is "$(first_field fio)" 0 "fio --verify=crc32c passes (2 jobs, 4-128 KiB random writes)"
is "$(first_field errors)" 0 "fio reports no errors"
is "$(first_field read_kb)" 49152 "fio read back and verified all 48 MiB it wrote"
[ "$(first_field fio)" = 0 ] || diag_file "$OUT" 40

# The same on one vCPU: that kernel patches out the LOCK prefix of every
# cmpxchg(), while each completion revokes grants that hcall-dd marks in
# use with its own compare-and-swap on another host CPU.
rm -f "$S/fio.img"; truncate -s 64M "$S/fio.img"
blk blk-fio --cpus 1 --disk "$S/fio.img" --disk "$TOOLS,ro"
is "$?" 0 "fio guest run on one vCPU completes"
is "$(first_field fio)/$(first_field errors)/$(first_field read_kb)" 0/0/49152 "fio --verify=crc32c passes on one vCPU (48 MiB verified)"
[ "$(first_field fio)" = 0 ] || diag_file "$OUT" 40

# 3. read-only disk.
head -c 1M /dev/urandom > "$S/ro.img"
before=$(sha256sum < "$S/ro.img")
blk blk-ro --disk "$S/ro.img,ro"
is "$(first_field ro)" 1 "a ,ro disk is read-only in the guest"
is "$(first_field first)" "$(head -c 4096 "$S/ro.img" | sha256sum | cut -c1-16)" "and reads the image's bytes"
isnt_zero=$(first_field write-rc)
[ -n "$isnt_zero" ] && [ "$isnt_zero" != 0 ]
ok $? "a write forced past the guest's read-only flag fails (dd status $isnt_zero)"
is "$(sha256sum < "$S/ro.img")" "$before" "and the image is unchanged"

# 4. rmmod / insmod.
rm -f "$S/rm.img"; truncate -s 32M "$S/rm.img"; mke2fs -q -t ext4 -F "$S/rm.img"
blk blk-rmmod --cpus 2 --disk "$S/rm.img"
is "$?" 0 "rmmod/insmod guest run completes"
is "$(first_field rmmod-idle)" 0 "rmmod with the filesystem unmounted succeeds"
is "$(first_field gone)" yes "and xvda goes away"
is "$(first_field reloaded-same)" yes "insmod again: the file written before is intact"
[ "$(first_field rmmod-busy)" != 0 ] && [ -n "$(first_field rmmod-busy)" ]
ok $? "rmmod while I/O runs on xvda is refused"
is "$(first_field still)" yes "and xvda stays"
is "$(first_field rmmod-after)" 0 "rmmod after the I/O stopped succeeds"
is "$(first_field third-load)" 0 "a third load reads the disk"
is "$(first_field oops)" 0 "no oops, BUG or warning in the guest"

# 5. Hostile frontend against xvda; both the shim and the driver domain run
#    under ASan + UBSan and must stay up: hblkfront then reads xvdb.
head -c 4M /dev/urandom > "$S/h.img"; head -c 1M /dev/urandom > "$S/h2.img"
before=$(sha256sum < "$S/h.img")
HCALL_DD=$B/bin/hcall-dd-san RUN=$B/bin/hcall-run-san \
	blk blk-hostile --disk "$S/h.img" --disk "$S/h2.img"
is "$?" 0 "the guest with a hostile frontend powers off cleanly"
grep 'HCALL-HOSTILE' "$OUT" | grep -v failures= | sed 's/^/# /'
is "$(grep -c 'HCALL-HOSTILE .* ok' "$OUT")" 20 "all 20 hostile requests were answered as they must be"
is "$(first_field failures)" 0 "no check failed (errors, EOPNOTSUPP, canary intact, ring disconnected)"
is "$(first_field xvdb-first)" "$(head -c 4096 "$S/h2.img" | sha256sum | cut -c1-16)" \
	"the same hcall-dd still serves xvdb afterwards"
is "$(sha256sum < "$S/h.img")" "$before" "the attacked image is unchanged"
grep -q 'corrupted its ring' "$OUT"
ok $? "hcall-dd disconnected only the corrupted ring"
grep -q 'ERROR: AddressSanitizer\|runtime error' "$OUT"
is "$?" 1 "no sanitizer report from hcall-run or hcall-dd"

# 6. One long-running hcall-dd serving two guests at once over its socket.
sockdir=$(mktemp -d /tmp/hcall-dd.XXXXXX)
chmod 755 "$sockdir"
"$B/bin/hcall-dd" --listen "$sockdir/dd.sock" 2> "$S/dd.err" &
ddpid=$!
wait_path "$sockdir/dd.sock" 60 $ddpid || echo "# hcall-dd did not listen on $sockdir/dd.sock in 60 s"
rm -f "$S/g1.img" "$S/g2.img"; truncate -s 8M "$S/g1.img" "$S/g2.img"
OUT=$S/g1.out blk blk-rw --disk "$S/g1.img" --dd-socket "$sockdir/dd.sock" &
g1=$!
OUT=$S/g2.out blk blk-rw --disk "$S/g2.img" --dd-socket "$sockdir/dd.sock"
rc2=$?
wait $g1
rc1=$?
is "$rc1:$rc2" 0:0 "two guests ran at once on one shared hcall-dd (--dd-socket)"
OUT=$S/g1.out; r1=$(first_field readback); OUT=$S/g2.out; r2=$(first_field readback)
is "$r1:$r2" yes:yes "each read back what it wrote"
is "$(head -c "$(content 3 | wc -c)" "$S/g1.img" | sha256sum):$(head -c "$(content 3 | wc -c)" "$S/g2.img" | sha256sum)" \
	"$(content 3 | sha256sum):$(content 3 | sha256sum)" "and both images hold the bytes"
kill -0 $ddpid 2>/dev/null
ok $? "the shared hcall-dd is still running after both guests left"
is "$(ps -o user= -p $ddpid | tr -d ' ')" nobody "and runs as nobody"
kill $ddpid; wait $ddpid 2>/dev/null
rm -rf "$sockdir"
OUT=$S/out

# 7. A driver domain that accepts the connection and then never answers
#    costs the guest its disk after 5 s, not the VM or its shim.
sockdir=$(mktemp -d /tmp/hcall-dd.XXXXXX)
# It says when it listens: the socket file exists from bind(), and Python
# may take seconds to start in the lab (a CI run connected too early).
python3 - "$sockdir/mute.sock" "$sockdir/ready" <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.bind(sys.argv[1]); s.listen(1)
open(sys.argv[2], "w").close()
c, _ = s.accept()
time.sleep(60)
PY
mute=$!
wait_path "$sockdir/ready" 60 $mute || echo "# the mute driver domain did not start listening in 60 s"
rm -f "$S/m.img"; truncate -s 8M "$S/m.img"
start=$(date +%s)
blk blk-rw --disk "$S/m.img" --dd-socket "$sockdir/mute.sock"
rc=$?
took=$(( $(date +%s) - start ))
is "$rc" 0 "with a mute driver domain the guest still runs and powers off (${took} s)"
is "$(first_field missing)" xvda "the guest reports its disk missing, not hung"
grep -q 'driver domain stopped answering' "$OUT"
ok $? "hcall-run says the driver domain stopped answering"
kill $mute 2>/dev/null; wait $mute 2>/dev/null
rm -rf "$sockdir"

# 8. Durability: SIGKILL the VMM in the middle of flushed writes; every
#    write the guest saw acknowledged must be in the image.
rm -f "$S/ack.img"; truncate -s 16M "$S/ack.img"
"$RUN" --kernel "$KERNEL" --initrd "$INITRD" --timeout 120 \
	--cmdline "console=hvc0 quiet hcall.test=blk-acklog" --disk "$S/ack.img" > "$S/ack.out" 2>&1 &
pid=$!
for _ in $(seq 1 900); do
	[ "$(grep -c '^HCALL-ACK' "$S/ack.out")" -ge 40 ] && break
	kill -0 $pid 2>/dev/null || break
	sleep 0.1
done
kill -9 $pid
wait $pid 2>/dev/null
acks=$(grep -cE '^HCALL-ACK [0-9]+.?$' "$S/ack.out")
[ "$acks" -ge 40 ]
ok $? "the guest had $acks flushed writes acknowledged when hcall-run got SIGKILL"
[ "$acks" -ge 40 ] || diag_file "$S/ack.out"
sleep 0.5
pgrep -f 'hcall-dd --fd' > /dev/null
isnt_running=$?
is "$isnt_running" 1 "the private hcall-dd went down with its shim"
python3 - "$S/ack.img" "$S/ack.out" <<'PY'
import re, struct, sys
img = open(sys.argv[1], "rb").read()
acked = [int(m) for m in re.findall(r"^HCALL-ACK (\d+)\r?$", open(sys.argv[2]).read(), re.M)]
def record(i):
    x, m, out = (i * 2654435761 + 1) & 0xffffffff, 0xffffffff, bytearray(4096)
    for k in range(4096):
        x ^= (x << 13) & m; x ^= x >> 17; x ^= (x << 5) & m
        out[k] = x & 0xff
    out[0:5] = b"HCACK"; out[8:12] = struct.pack("<I", i)
    return bytes(out)
bad = [i for i in range(max(acked) + 1) if img[i * 4096:(i + 1) * 4096] != record(i)]
print("# acknowledged records 0..%d, missing or wrong in the image: %d" % (max(acked), len(bad)))
sys.exit(1 if bad else 0)
PY
ok $? "every acknowledged write survived the SIGKILL"

# 9. A 5 GiB guest: RAM above 3 GiB continues past 4 GiB, where a guest
#    address is no host offset. Its kernel puts store strings, shared info,
#    the grant table and rings where it likes; the store, the bus and the
#    PV disk must work wherever that is.
rm -f "$S/big.img"; truncate -s 8M "$S/big.img"
blk blk-rw --disk "$S/big.img" --mem 5G
is "$?" 0 "a 5 GiB guest (--mem 5G) finds its PV disk and powers off"
is "$(first_field readback)" yes "and reads back what it wrote"
[ "$(first_field readback)" = yes ] || diag_file "$OUT" 40

done_testing
