#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Free page reporting on a running 1 GiB guest (tests/guest/tests/pagereport),
# with no balloon target ever set: the host memory behind the guest (its
# guest-memory memfd's allocated blocks) grows while a workload holds
# 600 MiB and falls by at least 400 MiB once it has freed them and hballoon
# has reported them; the guest takes and checks the memory again, reports
# it again; hostile lists (tests/kmod/hcall_balloonhostile's d- cases) each
# get an error and drop nothing. Without --page-reporting the guest is not
# offered it.
. "$(dirname "$0")/../lib/tap.sh"
export HCALL_LAB_TIMEOUT=${HCALL_LAB_TIMEOUT:-900}
need_kvm "$0" "$@"
S=$(scratch)
OUT=$S/out
CTL=$B/bin/hcall-ctl
sockdir=$(mktemp -d /tmp/hcall-fpr.XXXXXX)
SOCK=$sockdir/c.sock
trap 'rm -rf "$sockdir"' EXIT
MIB=$((1024 * 1024))

# step STEP SECONDS: the guest printed "HCALL-PAGEREPORT step=STEP";
# if not, the console's end says where it stopped.
step() {
	wait_out "HCALL-PAGEREPORT step=$1 " "$2" && return 0
	diag "no step=$1 after $2 s (hcall-run $(kill -0 "$gpid" 2>/dev/null && echo running || echo gone)):"
	diag_file "$OUT" 30
	return 1
}
field() { tagged_field "HCALL-PAGEREPORT step=$1" "$2" | head -n1; }
info() {	# info KEY...: the balloon's KEYs in hcall-ctl info
	"$CTL" "$SOCK" info | python3 -c '
import json, sys
b = json.load(sys.stdin)["return"]["balloon"]
print(*(json.dumps(b[k]) for k in sys.argv[1:]))' "$@"
}

guest pagereport --mem 1G --page-reporting --control "$SOCK" --timeout 800 &
gpid=$!
step boot 300
ok $? "a 1 GiB guest offered free page reporting loads hballoon"
vmm=$(pgrep -P "$gpid" | head -n1)
if ! grep -q "step=boot" "$OUT"; then
	kill "$gpid" 2>/dev/null
	done_testing
	exit
fi
is "$(info page-reporting target-kib)" "true 1048576" "info: page reporting offered, the target is all 1 GiB"
h0=$(guest_ram_bytes "$vmm")
step touched 300
ok $? "the guest takes 600 MiB"
h1=$(guest_ram_bytes "$vmm")
step reported 300
ok $? "it frees them"
sleep 1
h2=$(guest_ram_bytes "$vmm")
read -r d1 r1 <<< "$(info discarded-kib released-kib)"
rep1=$(field reported reported_kib)
diag "host memory behind the guest: $((h0 / MIB)) MiB at boot, $((h1 / MIB)) MiB with" \
     "600 MiB in use, $((h2 / MIB)) MiB after; guest reported ${rep1} KiB, shim discarded ${d1} KiB"
ok $((!(h1 - h0 >= 400 * MIB))) "the workload makes the host back $(((h1 - h0) / MIB)) MiB more (>= 400)"
ok $((!(h1 - h2 >= 400 * MIB))) "freed and reported, host memory drops by $(((h1 - h2) / MIB)) MiB (>= 400)"
ok $((!(${rep1:-0} >= 400 * 1024 && d1 >= 400 * 1024))) \
	"the guest reported $((${rep1:-0} / 1024)) MiB, the shim dropped $((d1 / 1024)) MiB (each >= 400)"
is "$r1" 0 "info: nothing is in the balloon (released-kib 0): the guest kept its frames"
! grep -q "step=touched-timeout" "$OUT"
ok $? "400 MiB were reported within 240 s"

step reported2 400
ok $? "the guest takes the 600 MiB again, they read back right, and frees them"
is "$(field touch2 touched_mib)" 600 "memtouch touched and checked 600 MiB again"
h3=$(guest_ram_bytes "$vmm")
read -r d2 <<< "$(info discarded-kib)"
ok $((!(d2 - d1 >= 400 * 1024))) "reported again: $(((d2 - d1) / 1024)) MiB more dropped (>= 400)"
ok $((!(h3 <= h1 - 400 * MIB))) "host memory stays down: $((h3 / MIB)) MiB"

step alive 300
ok $? "the hostile lists run and the guest runs on"
for c in d-out-of-range d-past-the-end d-hole d-huge-frame d-wraps d-empty d-too-long \
	 d-overlap d-low-page d-granted d-released d-count-256 d-count-huge d-reserved \
	 d-list-outside-ram; do
	line=$(tr -d '\r' < "$OUT" | grep -o "HCALL-BALLOONHOSTILE case=$c ret=[^ ]* intact=[01]" | head -n1)
	ret=${line#*ret=}
	ret=${ret%% *}
	ok $(( ${ret:-0} >= 0 )) "hostile $c: error ${ret:-missing}"
	case "$line" in *intact=0*) ok 1 "hostile $c: the good page in the list was dropped" ;; esac
done
grep -q "HCALL-BALLOONHOSTILE case=d-good ret=0 zeroed=1" "$OUT"
ok $? "a good list drops the page: it reads as zeroes, still the guest's"

"$CTL" "$SOCK" shutdown > /dev/null
wait "$gpid"
is "$?" 0 "hcall-ctl shutdown: the guest powers off, hcall-run exits 0"
bad="Out of memory|oom-kill|BUG:|WARNING:|Oops|Kernel panic|general protection|double fault|bad page"
grep -E "HCALL-PAGEREPORT |$bad" "$OUT" | sed 's/^/# /' | head -n 40
! grep -qiE "$bad" "$OUT"
ok $? "no OOM kill, oops, bad page, BUG or WARNING in the guest"

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
