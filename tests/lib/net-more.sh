# SPDX-License-Identifier: LGPL-2.1-or-later
# What net-more.t, net-mq.t and net-peers.t share, sourced after need_kvm: a scratch
# directory, a namespace behind a bridge (its first check), TAP names of
# this process, a cleanup that removes them, and the namespace's peers
# (tests/lib/netpeer.py).
# shellcheck source=netns.sh
. "$TOP/tests/lib/netns.sh"
S=$(scratch)
OUT=$S/out
NS=hcm$$ BR=hcmbr$$ TAP=hcmtap$$ TAP2=hcmtq$$
# net.t moves 64 MiB each way; offloads off and jumbo frames change how
# frames are cut, not how many bytes it takes to see that: 32 MiB here, 8
# where only the path is in question (guest to guest, after rmmod).
MB=${HCALL_NET_MB:-32} SMB=${HCALL_NET_STREAM_MB:-8}
SIZES="1 56 548 1472 1473 4000 8972 8973 16384 32768 65507"
PEER=10.77.0.1
bg=() sockdir=

cleanup() {
	local p
	for p in "${bg[@]}"; do kill "$p" 2>/dev/null; done
	[ -z "$sockdir" ] || rm -rf "$sockdir"
	netns_down "$NS" "$BR" "$TAP" "$TAP2"
}
trap cleanup EXIT
args() { echo "console=hvc0 quiet hcall.test=$*"; }

# peer NAME IN OUT BYTES: tests/lib/netpeer.py in the namespace, reading
# port IN to its end and sending BYTES on OUT; its summary in $S/NAME.json.
peer() { netpeer "$1" "$PEER" "$2" "$3" "$4"; bg+=("$peer"); }
# peer_json NAME KEY: KEY of the summary, once written (a guest that failed
# leaves a peer waiting: 30 s at most, once, then whatever it has).
peer_json() {
	for _ in $(seq 300); do
		[ -e "$S/$1.json" ] || [ -e "$S/$1.late" ] && break
		sleep 0.1
	done
	[ -e "$S/$1.json" ] || { touch "$S/$1.late"; return; }
	json "$S/$1.json" "$2"
}
# host_mtu MTU: the host's side of the link (veth, namespace, bridge).
host_mtu() {
	ip link set "v$NS" mtu "$1" && ip -n "$NS" link set eth0 mtu "$1" && ip link set "$BR" mtu "$1"
}

netns_up "$NS" "$BR" "$PEER"
ok $? "namespace $NS behind bridge $BR"
