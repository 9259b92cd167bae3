#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Free page reporting on a running 512 MiB guest (tests/guest/tests/pagereport),
# with no balloon target ever set: the host memory behind the guest (its
# guest-memory memfd's allocated blocks) grows while a workload holds
# 300 MiB, which stay intact, and falls by at least 150 MiB once it has
# freed them and hballoon has reported them; the guest takes and checks
# the memory again, reports it again; hostile lists (tests/kmod/hcall_balloonhostile's d- cases) each
# get an error and drop nothing. Without --page-reporting the guest is not
# offered it.
. "$(dirname "$0")/../lib/tap.sh"
export HCALL_LAB_TIMEOUT=${HCALL_LAB_TIMEOUT:-900}
need_kvm "$0" "$@"
. "$(dirname "$0")/../lib/balloon.sh"

step() { wait_tagged HCALL-PAGEREPORT "$@"; }	# step STEP SECONDS
field() { tagged_field "HCALL-PAGEREPORT step=$1" "$2" | head -n1; }
info() {	# info KEY...: the balloon's KEYs in hcall-ctl info
	"$CTL" "$SOCK" info | python3 -c '
import json, sys
b = json.load(sys.stdin)["return"]["balloon"]
print(*(json.dumps(b[k]) for k in sys.argv[1:]))' "$@"
}

# peak_until TEXT SECONDS: the most host memory behind the guest, sampled
# until $OUT has TEXT.
peak_until() {
	local end=$((SECONDS + $2)) max=0 b
	while [ $SECONDS -lt $end ]; do
		b=$(guest_ram_bytes "$vmm")
		[ "$b" -le "$max" ] || max=$b
		grep -qF -- "$1" "$OUT" && break
		kill -0 "$gpid" 2>/dev/null || break
		sleep 0.3
	done
	echo "$max"
}

guest pagereport --mem 512M --page-reporting --control "$SOCK" --timeout 800 &
gpid=$!
step boot 300
ok $? "a 512 MiB guest offered free page reporting loads hballoon"
vmm=$(pgrep -P "$gpid" | head -n1)
if ! grep -q "step=boot" "$OUT"; then
	kill "$gpid" 2>/dev/null
	done_testing
	exit
fi
is "$(info page-reporting target-kib)" "true 524288" "info: page reporting offered, the target is all 512 MiB"
h0=$(guest_ram_bytes "$vmm")
p1=$(peak_until "HCALL-PAGEREPORT step=reported " 400)
step reported 10
ok $? "the guest takes 300 MiB, holds them and frees them"
sleep 1
h2=$(guest_ram_bytes "$vmm")
read -r d1 r1 <<< "$(info discarded-kib released-kib)"
rep1=$(field reported reported_kib)
diag "host memory behind the guest: $((h0 / MIB)) MiB at boot, at most $((p1 / MIB)) MiB" \
     "with 300 MiB in use, $((h2 / MIB)) MiB after; guest reported ${rep1} KiB, shim dropped ${d1} KiB"
grep -q "HCALL-PAGEREPORT step=touched held_s=10 intact=1" "$OUT"
ok $? "the 300 MiB in use stayed intact while the guest reported free memory"
# Not all 300 MiB are new to the host: some land on free memory it backs
# already (freed at boot in blocks too small to report).
ok $((!(p1 - h0 >= 150 * MIB))) "the workload makes the host back $(((p1 - h0) / MIB)) MiB more (>= 150)"
ok $((!(p1 - h2 >= 150 * MIB))) "freed and reported, host memory drops by $(((p1 - h2) / MIB)) MiB (>= 150)"
ok $((!(${rep1:-0} >= 200 * 1024 && d1 >= 200 * 1024))) \
	"the guest reported $((${rep1:-0} / 1024)) MiB, the shim dropped $((d1 / 1024)) MiB (each >= 200)"
is "$r1" 0 "info: nothing is in the balloon (released-kib 0): the guest kept its frames"
! grep -q "step=touched-timeout" "$OUT"
ok $? "200 MiB were reported within 240 s"

p3=$(peak_until "HCALL-PAGEREPORT step=reported2 " 400)
step reported2 10
ok $? "the guest takes the 300 MiB again and frees them"
grep -q "HCALL-PAGEREPORT step=touch2 held_s=10 intact=1" "$OUT"
ok $? "memtouch wrote, checked and after 10 s found intact 300 MiB of reported memory"
sleep 1
h3=$(guest_ram_bytes "$vmm")
read -r d2 <<< "$(info discarded-kib)"
diag "second round: at most $((p3 / MIB)) MiB, $((h3 / MIB)) MiB after"
ok $((!(d2 - d1 >= 200 * 1024))) "reported again: $(((d2 - d1) / 1024)) MiB more dropped (>= 200)"
ok $((!(p3 - h3 >= 150 * MIB))) "host memory drops again by $(((p3 - h3) / MIB)) MiB (>= 150)"

step alive 300
ok $? "the hostile lists run and the guest runs on"
hostile_cases d-out-of-range d-past-the-end d-hole d-huge-frame d-wraps d-empty d-too-long \
	 d-overlap d-low-page d-granted d-released d-count-256 d-count-huge d-reserved \
	 d-list-outside-ram
grep -q "HCALL-BALLOONHOSTILE case=d-good ret=0 zeroed=1" "$OUT"
ok $? "a good list drops the page: it reads as zeroes, still the guest's"

shutdown_clean HCALL-PAGEREPORT

# Not offered: the guest's balloon does not report, the shim drops nothing.
OUT=$S/out-off
SOCK=$sockdir/off.sock
guest pagereport --mem 256M --control "$SOCK" --timeout 120 &
gpid=$!
step boot 200
ok $? "without --page-reporting the guest boots with hballoon"
is "$(info page-reporting)" "false" "info: page reporting not offered"
is "$(field boot reported_kib)" 0 "hballoon reports nothing"
kill "$gpid" 2>/dev/null
wait "$gpid" 2>/dev/null
done_testing
