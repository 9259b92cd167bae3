#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# hcall-run refuses bad arguments and bad kernel files with one clear line
# and exit status 2, before any vCPU runs (so this needs no KVM); it warns
# of a console a PV guest does not have.
. "$(dirname "$0")/../lib/tap.sh"
S=$(scratch)

refused() {	# refused NAME PATTERN ARGS...
	local name=$1 pat=$2
	shift 2
	"$RUN" "$@" > "$S/out" 2> "$S/err"
	local rc=$?
	is "$rc" 2 "$name: exit status 2"
	[ "$(wc -l < "$S/err")" -eq 1 ] && grep -q "^hcall-run: .*$pat" "$S/err"
	ok $? "$name: one clear line ($(head -c 100 "$S/err"))"
	[ ! -s "$S/out" ]; ok $? "$name: the guest never ran"
}

head -c 100000 /dev/urandom > "$S/random"
head -c 300000 "$KERNEL" > "$S/truncated"
head -c 4000 "$KERNEL" > "$S/header-only"
refused "not a bzImage" "not a bzImage" --kernel "$S/random"
refused "truncated bzImage" "truncated" --kernel "$S/truncated"
refused "setup header only" "truncated" --kernel "$S/header-only"
refused "kernel too big for --mem" "kernel needs .* --mem gives 16 MiB" --kernel "$KERNEL" --mem 16M
refused "missing kernel file" "No such file" --kernel "$S/nope"
refused "directory as kernel" "not a regular file" --kernel "$S"
refused "no --kernel" "--kernel is required"
refused "bad --cpus" "--cpus must be 1-8" --kernel "$KERNEL" --cpus 9
refused "bad --mem" "bad --mem" --kernel "$KERNEL" --mem lots
refused "command line too long" "command line is" --kernel "$KERNEL" --cmdline "$(head -c 5000 /dev/zero | tr '\0' a)"
dd if=/dev/zero of="$S/huge-initrd" bs=1M count=0 seek=300 2>/dev/null
refused "initrd too big for --mem" "initrd of" --kernel "$KERNEL" --initrd "$S/huge-initrd" --mem 256M
refused "unknown --pv-off name" "unknown --pv-off name 'bogus' (known: eoi,ipi," --kernel "$KERNEL" --pv-off eoi,bogus
refused "--pv-off with plain --hvm" "plain --hvm has none" --kernel "$KERNEL" --hvm --pv-off eoi
refused "--kvm-pv without --hvm" "--kvm-pv goes with --hvm" --kernel "$KERNEL" --kvm-pv
refused "--page-reporting with --hvm" "--page-reporting is the hcall balloon's: not with --hvm" --kernel "$KERNEL" --hvm --page-reporting
refused "--page-reporting with --mem-prealloc" "--page-reporting gives back memory --mem-prealloc keeps" --kernel "$KERNEL" --mem-prealloc --page-reporting
for hva in 0 200000 f000000 10100000 400000000000 zz; do
	refused "--ram-hva $hva" "bad --ram-hva '$hva': want a 2 MiB-aligned hex address" --kernel "$KERNEL" --ram-hva "$hva"
done

# A PV guest has no UART: console=ttyS0 gets one warning, before anything
# else is checked (so here without KVM); --hvm or hvc0 get none.
warned() { "$RUN" "$@" 2>&1 >/dev/null | grep -c 'warning: console=ttyS'; }
is "$(warned --kernel "$S/nope" --cmdline "quiet console=ttyS0,115200n8 x=1")" 1 \
	"PV guest with console=ttyS0: one warning line"
"$RUN" --kernel "$S/nope" --cmdline "console=ttyS1" 2>&1 >/dev/null | head -n1 |
	grep -q '^hcall-run: warning: console=ttyS1: a PV guest has no serial port'
ok $? "the warning names the console and why it stays silent"
is "$(warned --hvm --kernel "$S/nope" --cmdline "console=ttyS0")" 0 "--hvm: no warning"
is "$(warned --kernel "$S/nope" --cmdline "console=hvc0 xconsole=ttyS0")" 0 \
	"console=hvc0: no warning"
"$RUN" --help | grep -q '6 guest halted for good'; ok $? "--help documents exit status 6"
"$RUN" --help | grep -q -- '--pv-off LIST' && "$RUN" --help | grep -q -- '--kvm-pv'
ok $? "--help documents --kvm-pv and --pv-off"
rm -rf "$S"
done_testing
