#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Boot the guest on hcall-run as an HVM guest: vCPUs, command line, modules, poweroff,
# panic, halt, timeout, exit statistics; a PV guest told console=ttyS0; and the
# same bzImage under QEMU/KVM.
. "$(dirname "$0")/../lib/tap.sh"
need_kvm "$0" "$@"
S=$(scratch)
OUT=$S/out
# The HVM baseline: the hcall platform hidden, a UART console. (pv.t boots
# the same kernel as an hcall guest.)
hvm() { local t=$1; shift; guest "$t" --hvm "$@"; }

hvm demo --stats-json "$S/stats.json"
rc=$?
is "$rc" 0 "1 vCPU: guest boots and powers off with exit 0"
grep -q 'HCALL-RESULT test=demo rc=0' "$OUT"; ok $? "1 vCPU: the guest's init ran its test"
[ $rc -eq 0 ] || diag_file "$OUT"
python3 - "$S/stats.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
uart = s["pio_by_port"].get("0x03f8", 0)
assert uart > 100, uart                   # HVM console: one exit per byte
assert s["shim_exits"] >= uart
assert s["kvm"].get("exits", 0) > s["shim_exits"], s["kvm"].get("exits")
print("# UART data exits %d, shim exits %d, kvm exits %d" % (uart, s["shim_exits"], s["kvm"]["exits"]))
PY
ok $? "--stats-json counts UART port-I/O exits and KVM's own exit counter"

hvm cpus --cpus 2
rc=$?
is "$rc" 0 "2 vCPUs: clean exit"
is "$(sed -n 's/.*HCALL-CPUS online=\([^ ]*\) nproc=\([0-9]*\).*/\1 \2/p' "$OUT" | tr -d '\r')" "0-1 2" \
	"2 vCPUs: the guest reports 2 online CPUs"
is "$(grep -c 'HCALL-CPU-RAN' "$OUT")" 2 "2 vCPUs: a task ran on each CPU"

# Exact command line, with characters a shell or a loader could mangle.
cmd="console=ttyS0 quiet hcall.test=cmdline token=$RANDOM$RANDOM q=\"a b\" x=%s;'y'"
hvm cmdline --cmdline "$cmd"
got=$(sed -n 's/.*HCALL-CMDLINE-HEX \([0-9a-f]*\).*/\1/p' "$OUT" | tr -d '\r')
want=$(printf '%s\n' "$cmd" | od -An -tx1 -v | tr -d ' \n')
is "$got" "$want" "the guest sees exactly the command line it was given"

hvm module
rc=$?
grep -q 'HCALL-MODULE loaded answer=7' "$OUT" && grep -q 'HCALL-MODULE unloaded' "$OUT" &&
	grep -q 'HCALL-RESULT test=module rc=0' "$OUT"
ok $? "insmod with a parameter and rmmod of the out-of-tree module"
[ $rc -eq 0 ] || diag_file "$OUT"

hvm panic
rc=$?
is "$rc" 3 "a guest panic gives exit status 3"
grep -q 'hcall-run: guest kernel panicked' "$OUT"; ok $? "and one clear line on stderr"

# An HVM guest may reboot by triple fault (reboot=t), as under QEMU.
hvm triple
rc=$?
is "$rc" 0 "HVM: a triple fault resets the guest (exit 0), as under QEMU"
grep -q 'HCALL-TRIPLE survived' "$OUT"; is "$?" 1 "HVM: the triple fault stopped the guest"
grep -q '^hcall-run: guest reset (triple fault)' "$OUT"
ok $? "and hcall-run says it was a triple fault, not a reboot"

# Without ACPI an HVM guest's power-off only halts every CPU with interrupts
# off, for good: hcall-run ends it instead of waiting for --timeout.
hvm halt --cpus 2 --timeout 100
rc=$?
is "$rc" 6 "HVM poweroff -f without ACPI: every vCPU halted, exit 6 (not the timeout's 4)"
grep -q 'HCALL-HALT powering off' "$OUT" && ! grep -q 'HCALL-HALT still running' "$OUT"
ok $? "the guest halted where it powered off"
is "$(grep -c '^hcall-run: guest halted: every vCPU stopped with interrupts off' "$OUT")" 1 \
	"and hcall-run says so in one line"
[ $rc -eq 6 ] || diag_file "$OUT"

# A PV guest has no UART: console=ttyS0 silences it, and hcall-run says so.
guest true --cmdline "console=ttyS0 quiet hcall.test=true"
is "$?" 0 "a PV guest with console=ttyS0 boots and powers off"
is "$(grep -c '^hcall-run: warning: console=ttyS0: a PV guest has no serial port' "$OUT")" 1 \
	"hcall-run warns once that its console=ttyS0 stays silent"

# Long enough to reach init even in the lab (at 2 s a guest may still be in
# the decompressor, outside the kernel's text).
hvm sleep --timeout 12
is "$?" 4 "--timeout stops a guest that does not finish: exit 4"
grep -q 'HCALL-RESULT' "$OUT"; is "$?" 1 "and the guest's test had not finished"
# Where the vCPU was, for a hung guest: rip in the kernel's text, code bytes.
rip=$(sed -n 's/.*hcall-run: vCPU 0: rip \([0-9a-f]*\) .*code: [0-9a-f][0-9a-f] .*/\1/p' "$OUT")
text=$(awk '$3 == "_stext" { s = $1 } $3 == "_etext" { e = $1 } END { print s, e }' \
	"$B/kobj/System.map")
python3 -c 'import sys; r, s, e = (int(x, 16) for x in sys.argv[1:]); sys.exit(not s <= r < e)' \
	"${rip:-0}" $text
ok $? "a timed-out guest's vCPU state is printed: rip ${rip:-missing} in kernel text, code bytes"

# The HVM peer: the same bzImage and initramfs under QEMU with KVM. One
# vCPU: in the lab host SeaBIOS's AP count times out and lists one CPU.
timeout 120 qemu-system-x86_64 -accel kvm -machine pc -cpu host -smp 1 -m 256M \
	-kernel "$KERNEL" -initrd "$INITRD" -append "console=ttyS0 quiet hcall.test=cpus" \
	-nodefaults -display none -serial stdio -no-reboot </dev/null > "$OUT" 2>&1
rc=$?
is "$rc" 0 "QEMU/KVM boots the same bzImage and exits cleanly"
grep -q 'HCALL-RESULT test=cpus rc=0' "$OUT"; ok $? "QEMU/KVM guest runs its init test"
[ $rc -eq 0 ] || diag_file "$OUT"

rm -rf "$S"
done_testing
