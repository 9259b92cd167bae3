#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# PV network lifecycles and peers (net-more.t's last part): two guests on
# one shared hcall-dd talking over a bridge; hnetfront unloaded and loaded
# again under traffic; and a killed hcall-dd costing the guest its link
# (carrier 0 within seconds), not the VM. No oops anywhere. Every
# namespace, bridge, veth and TAP is made here and removed.
. "$(dirname "$0")/../lib/tap.sh"
# Four guests, two of them at once, with transfers: more than run_in_lab's
# default of 420 s.
export HCALL_LAB_TIMEOUT=${HCALL_LAB_TIMEOUT:-900}
need_kvm "$0" "$@"
. "$(dirname "$0")/../lib/net-more.sh"

# 1. Guest to guest: one hcall-dd --listen serves both; their TAPs share
# the bridge. The server guest listens and waits; the client pings it and
# sends to it, then takes what it sends back; both bounded by --timeout.
sockdir=$(mktemp -d /tmp/hcall-dd.XXXXXX)
chmod 755 "$sockdir"
"$B/bin/hcall-dd" --listen "$sockdir/dd.sock" 2> "$S/dd.err" &
ddpid=$!
bg+=($ddpid)
wait_path "$sockdir/dd.sock" 60 $ddpid || echo "# hcall-dd did not listen on $sockdir/dd.sock in 60 s"
OUT=$S/g2.out net net-g2g --timeout 240 --net "tap=$TAP2,bridge=$BR,mac=52:54:00:12:34:99" \
	--dd-socket "$sockdir/dd.sock" --cmdline "$(args net-g2g hcall.role=server hcall.ip=10.77.0.3/24 hcall.mb="$SMB")" &
g2=$!
OUT=$S/g1.out net net-g2g --timeout 240 --net "tap=$TAP,bridge=$BR" --dd-socket "$sockdir/dd.sock" \
	--cmdline "$(args net-g2g hcall.role=client hcall.ip=10.77.0.2/24 hcall.peer=10.77.0.3 hcall.mb="$SMB")"
rc1=$?
wait $g2
rc2=$?
is "$rc1:$rc2" 0:0 "two guests on one shared hcall-dd ran at once and powered off"
[ $rc1 -eq 0 ] || diag_file "$S/g1.out" 30
[ $rc2 -eq 0 ] || diag_file "$S/g2.out" 30
OUT=$S/g1.out
is "$(first_field ping)" 3 "the client's 3 pings to the server guest answered (after $(first_field waited) s of its boot)"
c_tx=$(first_field tx_sha) c_rx=$(first_field rx_sha) c_bytes=$(first_field rx_bytes) c_oops=$(first_field oops)
OUT=$S/g2.out
is "$(first_field rx_bytes) $(first_field rx_sha)" "$((SMB << 20)) $c_tx" \
	"the server guest got the client's $SMB MiB, byte for byte"
is "$c_bytes $c_rx" "$((SMB << 20)) $(first_field tx_sha)" "and the client got the server's"
is "$c_oops/$(first_field oops)" 0/0 "no oops, BUG or WARNING in either guest"
OUT=$S/out
kill -0 $ddpid 2>/dev/null
ok $? "the shared hcall-dd still runs after both guests left"
kill $ddpid
wait $ddpid 2>/dev/null
rm -rf "$sockdir"
sockdir=

# 2. rmmod hnetfront under traffic both ways, twice, insmod after each; then
# a fresh transfer. The interrupted transfers' peers are never waited for.
peer rm1 5031 5032 $((1 << 30))
peer rm2 5035 5036 $((1 << 30))
peer rmok 5033 5034 $((SMB << 20))
net net-rmmod --net "tap=$TAP,bridge=$BR" --stats-json "$S/rmmod.json" \
	--cmdline "$(args net-rmmod hcall.ip=10.77.0.2/24 hcall.peer=$PEER hcall.port=5031 hcall.mb="$SMB")"
rc=$?
is "$rc" 0 "rmmod/insmod under traffic: the guest powered off"
# A failed run here was once W-tainted before its oops: the first WARNING
# too, which the console's tail leaves out.
[ $rc -eq 0 ] || { grep -m1 -A20 -e '-\[ cut here \]-' "$OUT" | sed 's/^/#   /'; diag_file "$OUT" 40; }
reloads=0
for r in 1 2; do
	busy=$(first_field "r${r}_busy_tx") busy_rx=$(first_field "r${r}_busy_rx")
	[ "${busy:-0}" -gt 0 ] && [ "${busy_rx:-0}" -gt 0 ]
	ok $? "round $r: traffic ran both ways when rmmod came ($busy bytes out, $busy_rx in, in 2 s)"
	case "$(first_field "r${r}_rmmod")/$(first_field "r${r}_gone")" in
	0/yes) ok 0 "round $r: rmmod succeeded and eth0 went away"; reloads=$((reloads + 1)) ;;
	[1-9]*/refused-carrier-1) ok 0 "round $r: rmmod refused, eth0 kept with its carrier" ;;
	*) ok 1 "round $r: rmmod succeeded (eth0 gone) or was refused (eth0 kept)"
	   diag "got $(first_field "r${r}_rmmod")/$(first_field "r${r}_gone")" ;;
	esac
	is "$(first_field "r${r}_back")" 3 "round $r: afterwards 3 of 3 pings answered"
done
is "$(peer_json rmok recv_bytes) $(peer_json rmok recv_sha)" "$((SMB << 20)) $(first_field tx_sha)" \
	"a fresh transfer out after the reloads arrived intact ($SMB MiB)"
is "$(first_field rx_bytes) $(first_field rx_sha)" "$((SMB << 20)) $(peer_json rmok sent_sha)" \
	"and one in"
is "$(first_field leaked)/$(first_field disabled)" 0/0 "no page left mapped by the backend, no interface disabled"
is "$(first_field oops)" 0 "no oops, BUG or WARNING in the guest"
is "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["vif"]["connects"])' "$S/rmmod.json")" \
	$((1 + reloads)) "the backend connected the frontend again after each reload ($((1 + reloads)) connects)"

# 3. SIGKILL to the guest's private hcall-dd while it sends: the guest's
# link goes down (carrier 0) within seconds, the guest goes on and powers
# off, and hcall-run exits as usual (0).
OUT=$S/kill.out
net net-ddkill --net "tap=$TAP,bridge=$BR" \
	--cmdline "$(args net-ddkill hcall.ip=10.77.0.2/24 hcall.peer=$PEER)" &
g=$!
for _ in $(seq 1200); do
	grep -q 'ready=1' "$OUT" 2>/dev/null && break
	kill -0 $g 2>/dev/null || break
	sleep 0.1
done
run=$(pgrep -P $g -x hcall-run)
dd=$(pgrep -P "${run:-1}" -x hcall-dd)
[ -n "$dd" ] && grep -q 'ready=1' "$OUT"
ok $? "the guest's private hcall-dd (pid ${dd:-none}, child of hcall-run ${run:-none}) found with traffic running"
start=$(date +%s%N)
[ -z "$dd" ] || kill -9 "$dd"
for _ in $(seq 300); do
	grep -q 'carrier=' "$OUT" && break
	sleep 0.1
done
took=$((($(date +%s%N) - start) / 1000000))
wait $g
rc=$?
is "$(first_field carrier)" 0 "the guest saw its carrier drop (operstate $(first_field operstate))"
[ "$(first_field carrier)" = 0 ] && [ $took -le 5000 ]
ok $? "within 5 s of the kill ($took ms)"
is "$rc" 0 "the guest still powered off cleanly: hcall-run exits 0"
[ $rc -eq 0 ] && [ "$(first_field carrier)" = 0 ] || diag_file "$OUT" 30
grep -q 'driver domain hung up' "$OUT"
ok $? "hcall-run says the driver domain hung up"
is "$(first_field after)" 0 "nothing gets through the dead link"
is "$(first_field oops)" 0 "no oops, BUG or WARNING in the guest"
ip link show "$TAP" > /dev/null 2>&1
is "$?" 1 "the TAP hcall-run made is gone after it exits"

rm -rf "$S"
done_testing
