# SPDX-License-Identifier: LGPL-2.1-or-later
# Shared by the memory tests (balloon.t, pagereport.t), after tap.sh's
# need_kvm: the console $OUT in a scratch directory $S, hcall-ctl, and a
# private directory for control sockets ($SOCK; removed at exit).
S=$(scratch)
OUT=$S/out
CTL=$B/bin/hcall-ctl
sockdir=$(mktemp -d /tmp/hcall-mem.XXXXXX)
SOCK=$sockdir/c.sock
trap 'rm -rf "$sockdir"' EXIT
MIB=$((1024 * 1024))

# hostile_cases CASE...: tests/kmod/hcall_balloonhostile printed
# "HCALL-BALLOONHOSTILE case=CASE ret=N [intact=0|1]" for each: N is an
# error and the good page in the list kept its contents.
hostile_cases() {
	local c line ret
	for c in "$@"; do
		line=$(tr -d '\r' < "$OUT" |
			grep -o "HCALL-BALLOONHOSTILE case=$c ret=[^ ]*\( intact=[01]\)\?" | head -n1)
		ret=${line#*ret=}
		ret=${ret%% *}
		ok $(( ${ret:-0} >= 0 )) "hostile $c: error ${ret:-missing}"
		case "$line" in *intact=0*) ok 1 "hostile $c: the good page in the list lost its contents" ;; esac
	done
}

# shutdown_clean TAG: hcall-ctl shutdown powers the guest ($gpid, on
# $SOCK) off with status 0, and its console ($OUT) shows no OOM kill,
# oops, bad page, BUG or WARNING; its TAG lines are shown.
shutdown_clean() {
	local bad="Out of memory|oom-kill|BUG:|WARNING:|Oops|Kernel panic|general protection|double fault|bad page"
	"$CTL" "$SOCK" shutdown > /dev/null
	wait "$gpid"
	is "$?" 0 "hcall-ctl shutdown: the guest powers off, hcall-run exits 0"
	grep -E "$1 |$bad" "$OUT" | sed 's/^/# /' | head -n 60
	! grep -qE "$bad" "$OUT"
	ok $? "no OOM kill, oops, bad page, BUG or WARNING in the guest"
}
