# Sourced by the PV network guest tests (not a test itself).
. /tests/blk-lib.sh
# net_up IP/PREFIX [MTU]: load hnetfront, wait for eth0 and its carrier, configure it.
net_up() {
	# Under QEMU (the HVM peers) eth0 is its virtio or e1000 NIC, already there.
	[ "$(arg pv)" = 0 ] || insmod /lib/modules/hnetfront.ko || return 1
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
# sha FILE: its SHA-256.
sha() { sha256sum < "$1" | cut -d' ' -f1; }
# HOLD: a FIFO no one writes, opened read-write as the stdin of an nc that
# only receives (nc ... 0<>"$HOLD"): busybox nc quits at the end of its
# stdin, and an asynchronous command's is /dev/null, which would cut the
# transfer short.
HOLD=/tmp/nc-hold
[ -p $HOLD ] || mkfifo $HOLD
# nc_recv ARGS...: such an nc.
nc_recv() { nc "$@" 0<>"$HOLD"; }
# qstat NAME: one of eth0's ethtool -S counters (tx_queue_0_bytes...).
qstat() { ethtool-lite -S eth0 | sed -n "s/^$1=//p"; }
# snmp_ip NAME: an Ip: counter of /proc/net/snmp (FragOKs, ReasmOKs...).
snmp_ip() {
	awk -v f="$1" '/^Ip:/ { if (!c) { for (i = 2; i <= NF; i++) if ($i == f) c = i } else print $c }' \
		/proc/net/snmp
}
# pinged_size PEER SIZE: 1 if one ping of SIZE data bytes came back whole.
pinged_size() {
	ping -c 1 -W 5 -s "$2" "$1" 2>/dev/null | grep -c "^$(($2 + 8)) bytes from"
}
# carrier_wait VALUE TENTHS: wait for eth0's carrier to be VALUE; 0 on time.
carrier_wait() {
	i=0
	while [ "$(cat /sys/class/net/eth0/carrier 2>/dev/null)" != "$1" ] && [ $i -lt "$2" ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ "$(cat /sys/class/net/eth0/carrier 2>/dev/null)" = "$1" ]
}
# mean TOTAL COUNT: TOTAL / COUNT, 0 for no COUNT.
mean() { if [ "$2" -gt 0 ]; then echo $(($1 / $2)); else echo 0; fi; }
