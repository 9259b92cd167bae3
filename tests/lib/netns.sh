# SPDX-License-Identifier: LGPL-2.1-or-later
# The network tests' host side, sourced after tap.sh: a namespace NS whose
# eth0 (PEER/24) reaches bridge BR through a veth, made by netns_up and
# removed by netns_down with the links named after it; and the helpers
# every network test uses.

# netns_up NS BR PEER: the namespace behind its bridge (status 0 if made).
netns_up() {
	ip netns add "$1" && ip link add "$2" type bridge && ip link set "$2" up &&
		ip link add "v$1" type veth peer name eth0 netns "$1" &&
		ip link set "v$1" master "$2" up &&
		ip -n "$1" addr add "$3/24" dev eth0 && ip -n "$1" link set eth0 up &&
		ip -n "$1" link set lo up
}

# netns_down NS BR [LINK...]: remove them all, whatever exists.
netns_down() {
	local ns=$1 l
	shift
	ip netns del "$ns" 2>/dev/null
	for l in "$@" "v$ns"; do ip link del "$l" 2>/dev/null; done
	return 0
}

# netpeer NAME ADDR IN OUT BYTES: tests/lib/netpeer.py in namespace $NS on
# ADDR (its summary in $S/NAME.json); its pid in $peer once it listens.
netpeer() {
	rm -f "$S/$1.json" "$S/$1.json.ready" "$S/$1.late"
	ip netns exec "$NS" timeout 300 python3 "$TOP/tests/lib/netpeer.py" "$2" "$3" "$4" "$5" \
		"$S/$1.json" 2> "$S/$1.err" &
	peer=$!
	wait_path "$S/$1.json.ready" 60 $peer
}

# A PV guest with the network tests' memory; KEY of a JSON summary file.
net() { local t=$1; shift; guest "$t" --mem 512M "$@"; }
json() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get(sys.argv[2], ""))' "$@"; }
