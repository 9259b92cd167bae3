#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Overcommit: three 1 GiB guests (3 GiB in all) run together inside a
# cgroup that allows 2 GiB, 150% as Xen's and KVM's balloon users size it.
# Each is ballooned to 640 MiB with hcall-ctl mem-set, then runs a
# workload that takes all the memory it can get (tests/guest/tests/
# balloon-oc; unballooned, ~900 MiB each, 2.7 GiB in all): the balloons
# keep the three inside the cgroup, which never OOM-kills; its peak stays
# under 2 GiB, every guest finishes and powers off cleanly.
. "$(dirname "$0")/../lib/tap.sh"
export HCALL_LAB_TIMEOUT=${HCALL_LAB_TIMEOUT:-900}
need_kvm "$0" "$@"
S=$(scratch)
CTL=$B/bin/hcall-ctl
sockdir=$(mktemp -d /tmp/hcall-oc.XXXXXX)
CGROOT=/sys/fs/cgroup
[ -e $CGROOT/cgroup.controllers ] || mount -t cgroup2 none $CGROOT 2>/dev/null
CG=$CGROOT/hcall-oc.$$
trap 'rm -rf "$sockdir"; rmdir "$CG" 2>/dev/null' EXIT
echo +memory > $CGROOT/cgroup.subtree_control 2>/dev/null
if ! mkdir "$CG" 2>/dev/null || ! echo 2G > "$CG/memory.max"; then
	skip "no cgroup v2 memory controller here"
	done_testing
	exit 0
fi
echo 0 > "$CG/memory.swap.max" 2>/dev/null

gpids=()
for i in 1 2 3; do
	(
		echo "$BASHPID" > "$CG/cgroup.procs"
		OUT=$S/out.$i
		guest balloon-oc --mem 1G --control "$sockdir/c$i.sock" --timeout 800
	) &
	gpids+=($!)
done

tagged_field_in() { sed -n "s/.*$2 $3=\([^[:space:]]*\).*/\1/p" "$1" | tr -d '\r'; }
# all_step STEP SECONDS: every guest printed "HCALL-BALLOON step=STEP"; not
# once one of them has ended without it (a crashed guest never will).
all_step() {
	local i
	for _ in $(seq 1 $(($2 * 2))); do
		for i in 1 2 3; do
			if ! grep -q "HCALL-BALLOON step=$1" "$S/out.$i" 2>/dev/null; then
				kill -0 "${gpids[$((i - 1))]}" 2>/dev/null || return 1
				break
			fi
			[ $i = 3 ] && return 0
		done
		sleep 0.5
	done
	return 1
}
all_step ready 300
ok $? "three 1 GiB guests boot in a 2 GiB cgroup and load hballoon"
for i in 1 2 3; do
	"$CTL" "$sockdir/c$i.sock" mem-set 640M > /dev/null || echo "# mem-set failed on guest $i"
done
all_step inflated 300
ok $? "hcall-ctl mem-set 640M: each balloon takes MemTotal down to 640 MiB"
all_step done 600
ok $? "each guest runs three passes over all the memory it can get"
for i in 1 2 3; do
	mibs=$(tagged_field_in "$S/out.$i" "HCALL-BALLOON step=pass[123]" touched_mib | tr '\n' ' ')
	n=0
	for m in $mibs; do [ "$m" -ge 400 ] && n=$((n + 1)); done
	is "$n" 3 "guest $i: three passes of at least 400 MiB (${mibs% })"
done
peak=$(cat "$CG/memory.peak" 2>/dev/null || cat "$CG/memory.max_usage_in_bytes" 2>/dev/null || echo 0)
kills=$(sed -n 's/^oom_kill //p' "$CG/memory.events")
diag "cgroup: peak $((peak >> 20)) MiB of 2048, now $(($(cat "$CG/memory.current") >> 20)) MiB," \
     "oom_kill ${kills:-?}"
is "${kills:-0}" 0 "no OOM kill in the cgroup"
ok $((!(peak > 0 && peak <= 2 << 30))) "its peak stayed within 2 GiB"
for i in 1 2 3; do
	"$CTL" "$sockdir/c$i.sock" shutdown > /dev/null
done
for i in 1 2 3; do
	wait "${gpids[$((i - 1))]}"
	is "$?" 0 "guest $i powers off when asked, hcall-run exits 0"
	grep -E "HCALL-BALLOON step=(inflated|done)" "$S/out.$i" | sed "s/^/# guest $i: /"
done
! grep -qE "Out of memory|oom-kill|BUG:|WARNING:" "$S"/out.*
ok $? "no OOM kill, BUG or WARNING in any guest"
done_testing
