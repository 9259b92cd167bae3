#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# PV network robustness, past net.t's happy path. What a user would see:
# TCP intact (SHA-256 of both ends) with the guest's offloads off and at
# MTU 9000; ICMP and UDP of every size from 1 to 65507 bytes answered
# whole, fragmented or not (each UDP datagram's bytes checked at both
# ends); two queues on two vCPUs both carrying traffic each way (ethtool
# -S). No oops anywhere. Every namespace, bridge, veth and TAP is made here
# and removed. net-peers.t goes on from here (its own lab: a lab failure
# costs one of the two a retry, not both).
. "$(dirname "$0")/../lib/tap.sh"
# Three guests with transfers: more than run_in_lab's default of 420 s.
export HCALL_LAB_TIMEOUT=${HCALL_LAB_TIMEOUT:-900}
need_kvm "$0" "$@"
. "$(dirname "$0")/../lib/net-more.sh"

# 1-3. sizes_run MTU ETHTOOL PORT: every size of ICMP and UDP, then TCP each
# way, the guest at MTU with `ethtool-lite -K eth0 ETHTOOL` (commas for
# spaces); the peers on PORT and the two after (each check its own: a peer
# left over from a failed one cannot spoil the next).
# For a jumbo MTU the TAP is made here first, with that MTU (hcall-run's
# own starts at 1500), then bridged by hcall-run.
sizes_run() {
	local mtu=$1 et=$2 port=$3 what rc s n=0 frags=0 want
	what="MTU $mtu, offloads ${et:-on}"
	host_mtu "$mtu" || ok 1 "$what: host side at MTU $mtu"
	if [ "$mtu" -gt 1500 ]; then
		ip tuntap add dev "$TAP" mode tap multi_queue vnet_hdr && ip link set "$TAP" mtu "$mtu"
		ok $? "$what: TAP $TAP made at MTU $mtu"
	fi
	peer tcp "$port" $((port + 1)) $((MB << 20))
	rm -f "$S/udp" "$S/udp.ready"
	ip netns exec "$NS" timeout 300 python3 "$TOP/tests/lib/udpecho.py" "$PEER" $((port + 2)) "$S/udp" &
	bg+=($!)
	wait_path "$S/udp.ready" 60 $!
	net net-sizes --net "tap=$TAP,bridge=$BR" --stats-json "$S/sizes.json" \
		--cmdline "$(args net-sizes hcall.ip=10.77.0.2/24 hcall.peer=$PEER hcall.port="$port" hcall.mtu="$mtu" hcall.mb="$MB" \
			hcall.sizes="${SIZES// /,}" ${et:+hcall.ethtool=$et})"
	rc=$?
	is "$rc" 0 "$what: the guest ran its checks and powered off"
	[ $rc -eq 0 ] || diag_file "$OUT" 40
	if [ -n "$et" ]; then
		is "$(first_field ethtool_rc)/$(first_field features)" \
			0/tx-scatter-gather:off,tx-checksum-ipv4:off,tx-tcp-segmentation:off, \
			"$what: ethtool-lite -K ${et//,/ } took (read back with -k)"
	else
		is "$(first_field features)" tx-scatter-gather:on,tx-checksum-ipv4:on,tx-tcp-segmentation:on, \
			"$what: checksum, scatter-gather and TSO on"
	fi
	is "$(first_field mtu)/$(first_field ping)" "$mtu/3" "$what: eth0 at MTU $mtu, 3 of 3 pings answered"
	for s in $SIZES; do
		n=$((n + 1))
		[ $((s + 28)) -le "$mtu" ] || frags=$((frags + 2))	# a ping and a datagram
	done
	is "$(first_field ping_ok)" $n "$what: a ping of each of the $n sizes ($SIZES bytes) came back whole"
	grep 'HCALL-PING .*ok=0' "$OUT" | sed 's/^/# /'
	is "$(first_field udp_ok)/$(first_field udp_sent)" "$n/$n" \
		"$what: each UDP datagram came back with its size and bytes"
	grep 'HCALL-UDP .*ok=0' "$OUT" | sed 's/^/# /'
	want=$(for s in $SIZES; do echo "$s ok"; done)
	is "$(paste -sd, "$S/udp")" "$(echo "$want" | paste -sd,)" \
		"$what: and reached the namespace once each, size and bytes right"
	is "$(first_field frag_oks)/$(first_field reasm_oks)" "$frags/$frags" \
		"$what: the $((frags / 2)) sizes over the MTU went out fragmented and came back reassembled, the rest whole"
	is "$(peer_json tcp recv_bytes)" $((MB << 20)) "$what: the namespace received all $MB MiB the guest sent"
	is "$(peer_json tcp recv_sha)" "$(first_field tx_sha)" "$what: byte for byte (SHA-256 of both ends)"
	is "$(first_field rx_bytes)" $((MB << 20)) "$what: the guest received all $MB MiB"
	is "$(first_field rx_sha)" "$(peer_json tcp sent_sha)" "$what: byte for byte"
	diag "$what: mean frame out $(first_field tx_frame) bytes, in $(first_field rx_frame) (ethtool -S)"
	if [ -n "$et" ]; then
		[ "$(first_field tx_frame)" -le $((mtu + 14)) ] 2>/dev/null
		ok $? "$what: no TSO frame went out: mean frame out of the MTU's size at most"
	else
		[ "$(first_field tx_frame)" -gt 1514 ] 2>/dev/null && [ "$(first_field rx_frame)" -gt 1514 ] 2>/dev/null
		ok $? "$what: frames past 1514 bytes went both ways"
	fi
	is "$(first_field oops)" 0 "$what: no oops, BUG or WARNING in the guest"
	python3 -c 'import json,sys; assert json.load(open(sys.argv[1]))["hypercalls"]["4"] == 0' "$S/sizes.json"
	ok $? "$what: no doorbell reached the shim"
	ip link del "$TAP" 2>/dev/null
	host_mtu 1500
}
sizes_run 1500 tx,off,sg,off,tso,off 5001
sizes_run 9000 "" 5011

# 4. Two queues, two vCPUs: FLOWS transfers each way at once, each its own
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
is "$(first_field oops)" 0 "no oops, BUG or WARNING in the guest"

rm -rf "$S"
done_testing
