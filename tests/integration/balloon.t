#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The balloon on a running 1 GiB guest (tests/guest/tests/balloon): hcall-ctl
# mem-set 256M takes MemTotal down to 256 MiB (700 MiB and more) and at least
# 700 MiB of host memory (the guest-memory memfd's allocated blocks) away;
# mem-set 1G gives it back and the guest touches ~900 MiB again; hostile
# batches (tests/kmod/hcall_balloonhostile) each get an error, release
# nothing, and the guest runs on.
. "$(dirname "$0")/../lib/tap.sh"
export HCALL_LAB_TIMEOUT=${HCALL_LAB_TIMEOUT:-900}
need_kvm "$0" "$@"
. "$(dirname "$0")/../lib/balloon.sh"

# wait_step STEP SECONDS: the guest printed "HCALL-BALLOON step=STEP"; if
# not, the console's end says where it stopped.
wait_step() {
	wait_tagged HCALL-BALLOON "$1" "$2" && return 0
	# Is the guest running at all: its exits over 5 s, by kind.
	"$CTL" "$SOCK" stats > "$S/stats1" 2>/dev/null && sleep 5 &&
	"$CTL" "$SOCK" stats > "$S/stats2" 2>/dev/null && python3 - "$S/stats1" "$S/stats2" <<'PY'
import json, sys
a, b = (json.load(open(p))["return"]["kvm"] for p in sys.argv[1:])
moved = {k: b[k] - a[k] for k in b if k in a and b[k] != a[k]}
print("# KVM counters over 5 s:", json.dumps(moved, sort_keys=True))
PY
	return 1
}
# field STEP NAME: NAME=VALUE on the guest's line for STEP.
field() { tagged_field "HCALL-BALLOON step=$1" "$2" | head -n1; }
host_bytes() { guest_ram_bytes "$vmm"; }
ctl_json() { "$CTL" "$SOCK" "$@" | python3 -c "import json,sys; print(json.dumps(json.load(sys.stdin)))"; }
balloon_info() {
	"$CTL" "$SOCK" info | python3 -c '
import json, sys
b = json.load(sys.stdin)["return"]["balloon"]
print(b["target-kib"], b["current-kib"], b["released-kib"], b["status"])'
}

guest balloon --mem 1G --control "$SOCK" --timeout 800 &
gpid=$!
wait_step ready 300
ok $? "a 1 GiB guest loads hballoon and touches most of its memory"
vmm=$(pgrep -P "$gpid" | head -n1)
if ! grep -q "step=ready" "$OUT"; then
	diag_file "$OUT" 40
	kill "$gpid" 2>/dev/null
	done_testing
	exit
fi
mt1=$(field ready memtotal_kib)
touched1=$(field touch1 touched_mib)
sleep 1
h1=$(host_bytes)
diag "before: guest MemTotal $((mt1 / 1024)) MiB, touched ${touched1} MiB," \
     "host memory behind the guest $((h1 / MIB)) MiB"
read -r t c r st <<< "$(balloon_info)"
is "$t $r" "1048576 0" "info: target 1 GiB, nothing released yet"

t0=$(date +%s.%N)
ans=$(ctl_json mem-set 256M)
is "$ans" '{"return": {"target-kib": 262144}}' "hcall-ctl mem-set 256M sets the target"
wait_step inflated 300
ok $? "the guest reports the balloon inflated"
t1=$(date +%s.%N)
mt2=$(field inflated memtotal_kib)
sleep 1
h2=$(host_bytes)
read -r t c r st <<< "$(balloon_info)"
diag "at 256M: guest MemTotal $((mt2 / 1024)) MiB, host memory $((h2 / MIB)) MiB," \
     "info: target ${t} KiB, current ${c} KiB, released ${r} KiB, status ${st}"
ok $((!(mt1 - mt2 >= 700 * 1024))) "MemTotal drops by $(((mt1 - mt2) / 1024)) MiB (>= 700 MiB)"
ok $((!(h1 - h2 >= 700 * MIB))) "host memory behind the guest drops by $(((h1 - h2) / MIB)) MiB (>= 700 MiB)"
# current: static-max less what was given, and the kernel never had the
# memory it reserved at boot (1 GiB less MemTotal) to give.
ok $((!(c <= 262144 + 1048576 - mt1 + 1024 && r >= 700 * 1024))) \
	"info: the guest holds ~256 MiB and what its kernel reserved (${c} KiB), the shim took back $((r / 1024)) MiB"
grep -q "step=inflate-timeout" "$OUT"
ok $((! $?)) "the balloon reached its target"

t2=$(date +%s.%N)
ans=$(ctl_json mem-set 1G)
is "$ans" '{"return": {"target-kib": 1048576}}' "hcall-ctl mem-set 1G sets the target back"
wait_step deflated 300
t3=$(date +%s.%N)
diag "$(awk -v a="$t0" -v b="$t1" -v c="$t2" -v d="$t3" -v m="$(((h1 - h2) / MIB))" 'BEGIN {
	printf "inflate 768 MiB: %.1f s (%.0f MiB/s released), deflate: %.1f s (as the guest polls, 0.5 s)",
	       b - a, m / (b - a), d - c }')"
wait_step alive 300
ok $? "the guest deflates, touches memory again and runs the hostile batches"
mt3=$(field deflated memtotal_kib)
touched2=$(field touch2 touched_mib)
read -r t c r st <<< "$(balloon_info)"
h3=$(host_bytes)
diag "back at 1G: guest MemTotal $((mt3 / 1024)) MiB, touched ${touched2:-0} MiB," \
     "host memory $((h3 / MIB)) MiB; info: current ${c} KiB, released ${r} KiB, status ${st}"
is "$mt3" "$mt1" "MemTotal is back where it was"
ok $((!(${touched2:-0} >= 850))) "the guest allocates and touches ${touched2:-0} MiB again (>= 850)"
is "$c $r $st" "1048576 0 ok" "info: the guest has all its memory, nothing is released any more"

# Hostile batches: each an error, the good page in it intact.
hostile_cases out-of-range hole huge-frame duplicate duplicate-first low-page granted \
	 list-outside-ram list-in-hole list-past-2^64 list-misaligned count-512 count-huge \
	 reserved bad-op reclaim-not-released release-twice d-not-offered
grep -q "HCALL-BALLOONHOSTILE case=good-reclaim ret=0 zeroed=1" "$OUT"
ok $? "a frame given and taken back reads as zeroes"
grep -q "HCALL-BALLOON step=alive" "$OUT"
ok $? "the guest runs on after the hostile batches"

shutdown_clean HCALL-BALLOON
done_testing
