#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# PV network end to end: hnetfront in the guest, netback in hcall-dd, a TAP
# on the host. What a user would check: pings answered, every byte of a
# TCP transfer each way arriving intact (SHA-256 on both ends), bad --net
# specs refused before the guest runs, and no exit to the shim per packet.
# Every bridge, veth and namespace is made here (in the lab host, or on
# this machine when it runs directly as root) and removed at the end.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/netns.sh"
need_kvm "$0" "$@"
S=$(scratch)
OUT=$S/out
NS=hct$$ BR=hctbr$$ TAP=hctap$$
MB=${HCALL_NET_MB:-64}

cleanup() {
	netns_down "$NS" "$BR" "$TAP" "u$BR"
}
trap cleanup EXIT

# 1. Bad specs: one line, exit 2, before the guest runs.
for spec in bogus tap= "tap=$TAP,queues=9" "host,net=10.0.0.1/40" "tap=$TAP,mac=01:00:00:00:00:01" \
	    "tap=$TAP,bridge=nosuchbr$$"; do
	"$RUN" --kernel "$KERNEL" --initrd "$INITRD" --net "$spec" > "$S/bad" 2>&1
	is "$? $(wc -l < "$S/bad")" "2 1" "--net $spec: one line, exit 2 ($(head -c 100 "$S/bad"))"
done
ip link show "$TAP" > /dev/null 2>&1
is "$?" 1 "and the TAP made for the refused bridge is gone"

# 2. Bridged: the guest's TAP joins a bridge with a veth into a namespace
# where the peer runs.
netns_up "$NS" "$BR" 10.77.0.1
ok $? "namespace $NS behind bridge $BR"
netpeer peer 10.77.0.1 5001 5002 $((MB << 20))
net net-tcp --cpus 2 --net "tap=$TAP,bridge=$BR" --stats-json "$S/tcp.json" \
	--cmdline "console=hvc0 quiet hcall.test=net-tcp hcall.ip=10.77.0.2/24 hcall.peer=10.77.0.1 hcall.mb=$MB"
rc=$?
wait "$peer"
is "$rc" 0 "guest with a bridged NIC ran its transfers and powered off"
[ $rc -eq 0 ] || diag_file "$OUT" 40
is "$(first_field ping)" 3 "3 of 3 pings to the namespace answered"
is "$(json "$S/peer.json" recv_bytes)" $((MB << 20)) "the namespace received all $MB MiB the guest sent"
is "$(json "$S/peer.json" recv_sha)" "$(first_field tx_sha)" "byte for byte (SHA-256 of both ends)"
is "$(first_field rx_bytes)" $((MB << 20)) "the guest received all $MB MiB"
is "$(first_field rx_sha)" "$(json "$S/peer.json" sent_sha)" "byte for byte"
is "$(first_field oops)" 0 "no oops, BUG or WARNING in the guest"
python3 - "$S/tcp.json" "$(first_field tx_packets)" "$(first_field rx_packets)" <<'PY'
import json, sys
s, tx, rx = json.load(open(sys.argv[1])), int(sys.argv[2] or 0), int(sys.argv[3] or 0)
sends = s["hypercalls"]["4"]
print("# %d packets out, %d in; exits to the shim for the whole boot: %d; evtchn sends "
      "that reached the shim: %d; KVM exits: %d" % (tx, rx, s["shim_exits"], sends, s["kvm"].get("exits", -1)))
assert tx > 100 and rx > 100 and sends == 0 and s["vif"]["connects"] == 1
PY
ok $? "no doorbell of the data path reached the shim (all caught by ioeventfd)"
ip link show "$TAP" > /dev/null 2>&1
is "$?" 1 "the TAP hcall-run made is gone after it exits"

# 2b. IPv6 on the same bridge: pings and a transfer each way, in TCPv6
# segments larger than the MTU both ways (feature-gso-tcpv6 and IPv6
# checksum offload on the rings; the namespace's veth and the TAP carry
# them whole).
ip -n "$NS" addr add fd77::1/64 dev eth0 nodad
ok $? "the namespace has fd77::1"
MB6=$((MB > 1 ? MB / 2 : 1))
netpeer peer6 fd77::1 5011 5012 $((MB6 << 20))
net net-v6 --net "tap=$TAP,bridge=$BR" \
	--cmdline "console=hvc0 quiet hcall.test=net-v6 hcall.ip=10.77.0.2/24 hcall.ip6=fd77::2/64 hcall.peer6=fd77::1 hcall.mb=$MB6"
rc=$?
wait "$peer"
is "$rc" 0 "an IPv6 guest ran its transfers and powered off"
[ $rc -eq 0 ] || { diag_file "$OUT" 40; diag_file "$S/peer6.err" 10; }
is "$(first_field ping6)" 3 "3 of 3 IPv6 pings to the namespace answered"
is "$(json "$S/peer6.json" recv_bytes) $(json "$S/peer6.json" recv_sha)" "$((MB6 << 20)) $(first_field tx_sha)" \
	"the namespace received the guest's $MB6 MiB over TCPv6, byte for byte"
is "$(first_field rx_bytes) $(first_field rx_sha)" "$((MB6 << 20)) $(json "$S/peer6.json" sent_sha)" \
	"and the guest the namespace's"
for d in tx rx; do
	b=$(first_field ${d}_qbytes) p=$(first_field ${d}_qpackets)
	[ "${p:-0}" -gt 0 ] && [ $((b / p)) -gt 1514 ]
	ok $? "$d: TCPv6 crossed the ring in segments above the MTU ($b bytes in ${p:-0} packets)"
done
is "$(first_field oops)" 0 "no oops, BUG or WARNING in the guest"

# 3. Host-only: a private bridge hcall-run makes, removed when it exits.
net net-ping --net host \
	--cmdline "console=hvc0 quiet hcall.test=net-ping hcall.ip=192.168.100.2/24 hcall.peer=192.168.100.1"
is "$?" 0 "guest with a host-only NIC powered off"
is "$(first_field ping)" 3 "3 of 3 pings to the host end of the private bridge answered"
ip -o link show type bridge | grep -q 'hcbr0-'
is "$?" 1 "the private bridge is gone after hcall-run exits"

# 4. User mode (libslirp): DHCP, a file from a server on the host through
# the NAT, and a guest server reached through a hostfwd. The server listens
# on an address of a bridge made here: the host's loopback is not the
# guest's to reach (slirp.t checks that) unless hostloop=on.
ip link set lo up	# the lab host's loopback starts down
ip link add "u$BR" type bridge && ip addr add 10.98.0.1/24 dev "u$BR" && ip link set "u$BR" up
ok $? "a host address for the server (10.98.0.1 on u$BR)"
mkdir -p "$S/www" && head -c 4194304 /dev/urandom > "$S/www/file"
HP=$((20000 + $$ % 20000)) WP=$((40000 + $$ % 20000))
(cd "$S/www" && exec python3 -m http.server --bind 10.98.0.1 "$WP") > "$S/www.log" 2>&1 &
www=$!
for _ in $(seq 50); do
	python3 -c 'import socket,sys; socket.create_connection(("10.98.0.1", int(sys.argv[1])), 1)' "$WP" \
		2> /dev/null && break
	sleep 0.1
done
python3 "$TOP/tests/lib/fwdclient.py" "$HP" "$S/fwd" &
fwd=$!
net net-user --net "user,hostfwd=tcp:127.0.0.1:$HP-:8080" \
	--cmdline "console=hvc0 quiet hcall.test=net-user hcall.server=10.98.0.1 hcall.port=$WP"
rc=$?
wait "$fwd"
kill "$www" 2>/dev/null
is "$rc" 0 "guest with a user-mode NIC powered off"
[ $rc -eq 0 ] && [ -n "$(first_field fetched_bytes)" ] || { diag_file "$OUT" 30; diag_file "$S/www.log" 5; }
is "$(first_field lease)/$(first_field router)/$(first_field dns)" 10.0.2.15/10.0.2.2/10.0.2.3 \
	"DHCP from libslirp: guest 10.0.2.15, gateway 10.0.2.2, DNS 10.0.2.3"
is "$(first_field fetched_bytes) $(first_field fetched_sha)" "4194304 $(sha256sum < "$S/www/file" | cut -d' ' -f1)" \
	"the guest fetched a 4 MiB file from a server on the host (10.98.0.1) through the NAT, intact"
is "$(cat "$S/fwd")" "1048576 $(first_field served_sha)" \
	"a host client reached the guest's server through hostfwd and got its 1 MiB intact"
is "$(first_field oops)" 0 "no oops in the user-mode guest"
pgrep -x hcall-slirp > /dev/null
is "$?" 1 "hcall-slirp ended with the guest"

rm -rf "$S"
done_testing
