#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# PV network robustness, past net.t's happy path. What a user would see:
# TCP intact (SHA-256 of both ends) with the guest's offloads off and at
# MTU 9000; ICMP and UDP of every size from 1 to 65507 bytes answered
# whole, fragmented or not (each UDP datagram's bytes checked at both
# ends). No oops anywhere. Every namespace, bridge, veth and TAP is made
# here and removed. net-mq.t and net-peers.t go on from here, each in its
# own lab: a lab failure costs one file a retry, and each fits its lab's
# deadline (the three parts in one lab ran past 900 s in a CI-faithful run).
. "$(dirname "$0")/../lib/tap.sh"
# Two guests with transfers: more than run_in_lab's default of 420 s.
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

rm -rf "$S"
done_testing
