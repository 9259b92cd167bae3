# Sourced by the PV block guest tests (not a test itself).
# arg NAME: the value of hcall.NAME= on the kernel command line.
arg() { tr ' ' '\n' < /proc/cmdline | sed -n "s/^hcall\.$1=//p"; }
# blk_up DEV...: load hblkfront and wait for the disks to appear.
blk_up() {
	insmod /lib/modules/hblkfront.ko || return 1
	wait_dev "$@"
}
# wait_dev DEV...: wait up to 10 s for each disk (probing is asynchronous).
wait_dev() {
	for d in "$@"; do
		i=0
		while [ ! -b "/dev/$d" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
		[ -b "/dev/$d" ] || { echo "HCALL-BLK missing=$d"; return 1; }
	done
}
# tools: mount the read-only tools disk (xvdb) with fio and mke2fs at /t.
tools() {
	mkdir -p /t && mount -t ext2 -o ro /dev/xvdb /t
}
# run PROG ARGS...: a program from the tools disk with its own libraries.
run() {
	p=$1
	shift
	/t/lib64/ld-linux-x86-64.so.2 --library-path "$(cat /t/ld.path)" "/t$p" "$@"
}
# content N: the deterministic bytes of test file N (the host makes the same).
content() {
	yes "hcall-file-$1" | head -c $(($1 * 37 * 1024 + $1))
}
# oopsed: how many oops/BUG/WARNING lines the kernel logged (shown on
# stderr), leaving out the lab's known XSAVE-size warning at boot (TCG).
oopsed() {
	dmesg | grep -E 'Oops|BUG:|WARNING:' | grep -v 'fpu/xstate.c' > /tmp/oops
	[ -s /tmp/oops ] && dmesg | grep -E -A12 'Oops|BUG:|WARNING:' >&2
	wc -l < /tmp/oops
}
