#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# PV network with two queues on two vCPUs (net-more.t's third part, in a
# lab of its own): 32 TCP flows each way at once, every flow's bytes intact
# at both ends, both queues carrying data each way (ethtool -S), no errors
# or bad responses, no oops. The namespace, bridge and TAP are made here
# and removed.
. "$(dirname "$0")/../lib/tap.sh"
# One 2-vCPU guest bounded at 200 s, and the lab's boot.
export HCALL_LAB_TIMEOUT=${HCALL_LAB_TIMEOUT:-600}
need_kvm "$0" "$@"
. "$(dirname "$0")/../lib/net-more.sh"

# Two queues, two vCPUs: FLOWS transfers each way at once, each its own
# TCP flow. A flow's queue is a hash (the guest stack's for what it sends;
# the TAP sends a flow to the queue it last heard it on, all but its very
# first reply), so both queues carry data each way unless all FLOWS of a
# direction hash alike: 2^-31 per direction with 32 (with 16 it would be
# one boot in 16,000). 4 MiB each way in all: with 512 KiB a flow (16 MiB)
# the lab's nested SVM reset or double-faulted about 1 guest in 10, a
# QEMU/KVM virtio-net guest as well (scripts/lab-net-storm); with 128 KiB
# 1 in 40 (a double fault the lab's guest-cpu-state class retries).
FLOWS=32 KB=128
rm -f "$S/mq.json" "$S/mq.json.ready"
ip netns exec "$NS" timeout 300 python3 "$TOP/tests/lib/netflows.py" "$PEER" 5021 5022 $FLOWS \
	$((KB << 10)) "$S/mq.json" 2> "$S/mq.err" &
bg+=($!)
wait_path "$S/mq.json.ready" 60 $!
net net-mq --cpus 2 --timeout 200 --net "tap=$TAP,bridge=$BR,queues=2" \
	--cmdline "$(args net-mq hcall.ip=10.77.0.2/24 hcall.peer=$PEER hcall.port=5021 hcall.flows=$FLOWS hcall.kb=$KB)"
rc=$?
is "$rc" 0 "two queues: the guest ran $FLOWS transfers each way at once and powered off"
[ $rc -eq 0 ] || diag_file "$OUT" 40
is "$(first_field queues)/$(first_field ping)/$(first_field nc_failed)" 2/3/0 \
	"eth0 has 2 queues, pings answered, every nc ended well"
for _ in $(seq 300); do [ -e "$S/mq.json" ] && break; sleep 0.1; done
python3 - "$S/mq.json" "$OUT" $((KB << 10)) $FLOWS <<'PY'
import json, re, sys
r, out, n, flows = json.load(open(sys.argv[1])), open(sys.argv[2]).read(), int(sys.argv[3]), int(sys.argv[4])
tx = sorted(re.findall(r"HCALL-TX sha=(\w+)", out))
rx = sorted(re.findall(r"HCALL-RX bytes=(\d+) sha=(\w+)", out))
got = sorted(h for b, h in r["recv"] if b == n)
print("# guest sent %d flows, the namespace got %d whole; it sent %d, the guest got %d whole" %
      (len(tx), len(got), len(r["sent"]), sum(int(b) == n for b, h in rx)))
assert len(tx) == flows and tx == got and sorted(r["sent"]) == sorted(h for b, h in rx if int(b) == n)
PY
ok $? "every flow's $KB KiB arrived intact, both ways (SHA-256 of both ends)"
grep -o '[tr]x_queue_[01]_\(packets\|bytes\)=[0-9]*' "$OUT" | paste -sd' ' | sed 's/^/# /'
for d in tx rx; do
	for q in 0 1; do
		v=$(first_field "${d}_queue_${q}_bytes")
		[ "${v:-0}" -ge $((KB << 10)) ]
		ok $? "$d queue $q carried a flow's data at least: ${v:-no} bytes, $(first_field "${d}_queue_${q}_packets") packets"
	done
done
bad=0
for f in tx_queue_0_errors tx_queue_1_errors tx_queue_0_bad_rsp tx_queue_1_bad_rsp \
	 rx_queue_0_errors rx_queue_1_errors rx_queue_0_bad_rsp rx_queue_1_bad_rsp; do
	v=$(first_field $f)
	bad=$((bad + ${v:-0}))
done
is "$bad" 0 "no errors or bad responses on either queue"
# Event channels on every vCPU: queue i's irqs are bound to CPU i and
# fire there (a stray early event before the move aside: under 1 %).
grep HCALL-NETIRQ "$OUT" | sed 's/^/# /'
python3 - "$OUT" <<'PY'
import re, sys
irqs = re.findall(r"HCALL-NETIRQ name=\S+-q(\d)\S* eff=(\d+) cpu0=(\d+) cpu1=(\d+)", open(sys.argv[1]).read())
assert len(irqs) >= 2 and {q for q, *_ in irqs} == {"0", "1"}, irqs
for q, eff, c0, c1 in irqs:
    own, other = (int(c0), int(c1)) if q == "0" else (int(c1), int(c0))
    assert eff == q and own > 0 and other * 100 < own + other, (q, eff, c0, c1)
PY
ok $? "each queue's irqs are bound to the CPU of their queue and fire there"
is "$(first_field oops)" 0 "no oops, BUG or WARNING in the guest"

rm -rf "$S"
done_testing
