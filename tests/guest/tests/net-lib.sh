# Sourced by the PV network guest tests (not a test itself).
. /tests/blk-lib.sh
# net_up IP/PREFIX [MTU]: load hnetfront, wait for eth0 and its carrier, configure it.
net_up() {
	insmod /lib/modules/hnetfront.ko || return 1
	i=0
	while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	[ -e /sys/class/net/eth0 ] || { echo "HCALL-NET missing=eth0"; return 1; }
	[ -z "${2:-}" ] || ip link set eth0 mtu "$2" || return 1
	ip addr add "$1" dev eth0 && ip link set eth0 up || return 1
	i=0
	while [ "$(cat /sys/class/net/eth0/carrier 2>/dev/null)" != 1 ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ "$(cat /sys/class/net/eth0/carrier 2>/dev/null)" = 1 ] || { echo "HCALL-NET carrier=0"; return 1; }
}
# pinged PEER N: how many of N pings PEER answered.
pinged() {
	ping -c "$2" -W 2 "$1" | sed -n 's/.* \([0-9]*\) packets received.*/\1/p'
}
