#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The hcall PV platform end to end: detection, hvc0 console over the ring,
# pvclock clocksource, event-channel irqs (console input), power-off and
# panic by hypercall, zero UART exits in PV mode against the same kernel
# booted as an HVM guest, and garbage hypercalls that the shim survives.
. "$(dirname "$0")/../lib/tap.sh"
need_kvm "$0" "$@"
S=$(scratch)
OUT=$S/out
pv() { local t=$1; shift; guest "$t" --cmdline "console=hvc0 quiet hcall.test=$t" "$@"; }

pv pv --cpus 2 --stats-json "$S/pv.json"
rc=$?
is "$rc" 0 "PV boot (2 vCPUs) powers off by hypercall: exit 0"
is "$(tagged_field HCALL-PV hypervisor)" hcall "the guest detected the hcall hypervisor"
# KVM's kvmclock runs beside the platform. As in any KVM guest the TSC is
# not forced reliable (KVM may lose its master clock): it keeps its sync
# check and watchdog. kvm-clock is the clocksource, unless the TSC is
# invariant (kvmclock's rating drops to 299, below the TSC's 300) and
# passed those checks: a forced-reliable TSC would win unchecked even where
# the vCPUs' TSCs are apart, and time could go backwards across vCPUs.
cs=$(tagged_field HCALL-PV clocksource)
is "$(tagged_field HCALL-PV tsc_reliable)" 0 "beside kvmclock the TSC is not forced reliable (sync check and watchdog stay)"
case "$cs/$(tagged_field HCALL-PV invtsc)" in
kvm-clock/*) ok 0 "KVM's kvmclock runs beside the platform: clocksource kvm-clock" ;;
tsc/1) ok 0 "an invariant TSC that passed its checks outranks kvmclock, as in KVM's own guests: clocksource tsc" ;;
*) ok 1 "the clocksource is kvm-clock, or tsc only when invariant (got '$cs', invtsc $(tagged_field HCALL-PV invtsc))" ;; esac
is "$(tagged_field HCALL-PV console)" hvc0 "the console is hvc0"
is "$(tagged_field HCALL-PV evtchn-irqs)" 2 "the console's and the store's event channels are Linux irqs"
is "$(tagged_field HCALL-PV cpus)" 0-1 "both vCPUs are online in PV mode"
is "$(tagged_field HCALL-PV year)" "$(date -u +%Y)" "the wall clock is right (kvmclock's beside the platform)"
is "$(tagged_field HCALL-PV gnttab)" 2048 "the guest's grant table has 2048 entries"
python3 -c 'import json,sys; sys.exit(json.load(open(sys.argv[1]))["gnttab_frames"] != 4)' "$S/pv.json"
ok $? "and the shim knows where it is (4 frames registered)"
[ $rc -eq 0 ] || diag_file "$OUT"

guest pv --hvm --cmdline "console=ttyS0 hcall.test=pv" --stats-json "$S/hvm.json"
is "$?" 0 "the same bzImage boots with --hvm (no hcall platform)"
is "$(tagged_field HCALL-PV hypervisor)" "" "with --hvm the guest sees no hypervisor leaves (full virtualization)"

python3 - "$S/pv.json" "$S/hvm.json" <<'PY'
import json, sys
pv, hvm = (json.load(open(p)) for p in sys.argv[1:])
uart = lambda s: sum(n for port, n in s["pio_by_port"].items() if 0x3f8 <= int(port, 16) <= 0x3ff)
print("# UART port-I/O exits: PV %d, HVM %d; exits to the shim: PV %d, HVM %d" %
      (uart(pv), uart(hvm), pv["shim_exits"], hvm["shim_exits"]))
assert uart(pv) == 0, uart(pv)
assert uart(hvm) > 1000, uart(hvm)
assert pv["shim_exits"] * 20 < hvm["shim_exits"]
PY
ok $? "zero UART exits in PV mode, thousands for the same boot with --hvm"

printf 'hello-pv-%s\n' $$ | pv input
grep -q "HCALL-INPUT got=hello-pv-$$" "$OUT"
ok $? "stdin reaches the guest through the console ring and its event channel"

# printk and a tty write racing on two vCPUs: every byte of both arrives.
pv console-race --cpus 2 --cmdline "console=hvc0 quiet printk.devkmsg=on hcall.test=console-race"
rc=$?
python3 - "$OUT" <<'PY'
import re, sys
text = open(sys.argv[1], errors="replace").read()
m = re.search(r"HCALL-RACE-BEGIN lines=(\d+)(.*)HCALL-RACE-END", text, re.S)
assert m, "no race window in the output"
n, window = int(m.group(1)), m.group(2)
print("# console race: %d of %d '~' (tty) and %d of %d '^' (printk) arrived" %
      (window.count("~"), n * 64, window.count("^"), n * 64))
assert window.count("~") == n * 64 and window.count("^") == n * 64
PY
ok $? "printk and a tty write racing on two vCPUs lose no byte of the console ring"
[ $rc -eq 0 ] || diag_file "$OUT"

pv panic
is "$?" 3 "a PV guest panic gives exit 3"
grep -q 'panicked (reported by hypercall)' "$OUT"; ok $? "reported by the crash hypercall"

# A PV guest restarts by hypercall, so a triple fault can only be a crash.
CRASH_DUMP=$S/triple.dump pv triple
is "$?" 3 "a PV guest's triple fault is a crash: exit 3"
grep -q 'hcall-run: guest crashed: triple fault on vCPU 0' "$OUT" && ! grep -q 'HCALL-TRIPLE survived' "$OUT"
ok $? "and one clear line on stderr"
# --crash-dump: the crashed guest's memory at guest-physical offsets, the
# zero pages left out.
dsize=$(stat -c %s "$S/triple.dump" 2>/dev/null) dblocks=$(stat -c %b "$S/triple.dump" 2>/dev/null)
is "$dsize" $((256 << 20)) "--crash-dump wrote the guest's 256 MiB of memory"
[ -n "$dblocks" ] && [ $((dblocks * 512)) -lt $((dsize / 2)) ]
ok $? "as a sparse file ($((${dblocks:-0} / 2048)) MiB allocated)"
grep -qa "HCALL-TRIPLE survived" "$S/triple.dump"
ok $? "holding the guest's own bytes (its test script)"
# In the lab, scripts/lab-shutprobe keeps the state KVM clears at a triple
# fault (when the lab kernel let it arm): here the empty IDT the guest
# loaded. Its cr3, walked in the dump, maps the kernel's SYSCALL entry
# (LSTAR) where the kernel is loaded: the walk a triple fault's record is
# shown with, over a real guest's page tables.
if [ "${HCALL_SUBSTRATE:-}" = lab ] && grep -q hcall/shutdown /sys/kernel/tracing/kprobe_events 2>/dev/null; then
	rec=$(python3 "$TOP/scripts/labclass.py" --shutdown /sys/kernel/tracing/trace "$(cat "$OUT.pid")")
	recf() { echo " $rec " | sed -n "s/.* $1=\([^ ]*\) .*/\1/p"; }
	nc=$(recf nested_ctl)
	is "$(recf exit_code):$(recf vcpus):$((${nc:-0} & 1)):$(recf idt_limit)" 0x7f:1:1:0 \
		"the lab's shutdown probe recorded a shutdown of one vCPU under nested paging with the guest's empty IDT"
	diag "record: $rec"
	lstar=$(recf lstar)
	is "$(python3 "$TOP/scripts/labclass.py" --walk "$S/triple.dump" "$(recf cr3)" "$(recf cr4)" "$(recf efer)" "${lstar:-0}")" \
		"$(printf '%#x' $((${lstar:-0} - 0xffffffff80000000)))" \
		"its cr3 walked in the dump maps LSTAR ($lstar) to the kernel's load address"
	python3 "$TOP/scripts/labclass.py" --walk "$S/triple.dump" "$(recf cr3)" "$(recf cr4)" "$(recf efer)" \
		0xfffffe0000000080 > /dev/null
	ok $? "and the kernel's own IDT (gate 8 at 0xfffffe0000000080, what the lab's CPU failed to read)"
	# hcall-run --ram-hva put guest RAM where the probe reads cr3's entries.
	dumped=$(python3 -c 'import sys
d = open(sys.argv[1], "rb")
for slot in (508, 511):
    d.seek((int(sys.argv[2], 0) & ~0xfff) + slot * 8)
    print("%#x" % int.from_bytes(d.read(8), "little"), end=" ")' "$S/triple.dump" "$(recf cr3)")
	is "$(recf pgd508) $(recf pgd511) " "$dumped" \
		"the probe read cr3's entries for the IDT and the text from guest RAM at the SHUTDOWN exit, as the dump has them"
	pgd511=$(recf pgd511)
	[ $((${pgd511:-0} & 1)) = 1 ]; ok $? "the text's present"
	python3 "$TOP/scripts/labclass.py" --shutdown-evidence /sys/kernel/tracing/trace \
		"$(cat "$OUT.pid")" "$S/triple.dump" 1 > /dev/null
	is "$?" 1 "a triple fault of the guest's own making (its empty IDT) is no evidence of the lab's"
elif [ "${HCALL_SUBSTRATE:-}" = lab ]; then
	skip "the lab's shutdown probe is not armed"
fi
rm -f "$S/triple.dump"

# The shim under ASan + UBSan: any bad access it made would fail the run.
RUN=$B/bin/hcall-run-san pv fuzz --stats-json "$S/fuzz.json"
rc=$?
is "$rc" 0 "after garbage hypercalls the guest still powers off cleanly (shim under ASan/UBSan)"
calls=$(sed -n 's/.*HCALL-FUZZ calls=\([0-9]*\).*/\1/p' "$OUT")
bad=$(sed -n 's/.*HCALL-FUZZ .*bad=\([0-9]*\).*/\1/p' "$OUT")
fuzzf() { sed -n "s/.*HCALL-FUZZ .*[[:space:]]$1=\(-*[0-9]*\).*/\1/p" "$OUT"; }
[ "${calls:-0}" -gt 1000 ]; ok $? "the fuzzer made $calls hypercalls"
is "$bad" 0 "every garbage hypercall got an error back"
[ "$(fuzzf closes)" -gt 10 ] && [ "$(fuzzf foreign_refused)" -gt 10 ]
ok $? "event channels lived and died ($(fuzzf allocs) allocated, $(fuzzf closes) closed); $(fuzzf foreign_refused) closes of the console's, the store's or nobody's port were refused"
[ "$(fuzzf msr_tries)" -gt 0 ] && [ "$(fuzzf msr_faults)" = "$(fuzzf msr_tries)" ]
ok $? "every write to the retired hypercall-page MSR faults ($(fuzzf msr_faults))"
is "$(fuzzf store)" 0 "the store still answers afterwards (a write read back)"
grep -q 'HCALL-FUZZ-AFTER alive=' "$OUT"; ok $? "the guest kept running"
python3 - "$S/fuzz.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
assert s["hypercall_errors"] > 1000, s["hypercall_errors"]
assert s["hypercalls"][str(len(s["hypercalls"]) - 1)] > 0   # invalid numbers reached the shim
print("# shim answered %d failing hypercalls" % s["hypercall_errors"])
PY
ok $? "the shim counted and refused the garbage"
[ $rc -eq 0 ] || diag_file "$OUT"

rm -rf "$S"
done_testing
