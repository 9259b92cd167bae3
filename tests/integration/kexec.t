#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# kexec: a PV guest with a disk in use replaces its kernel with a new one.
# The old kernel's bus tells its backends to stop, the new kernel soft-resets
# the platform before it registers anything, and then registers its own
# shared info, console, grant table and store and finds its disk again:
# without the reset the hypervisor refuses a second registration and keeps
# writing into pages that now belong to the new kernel. With two vCPUs the
# new kernel also brings up the vCPU the old one parked, and starts on a boot
# vCPU whose local APIC the old kernel left in x2APIC mode (with a tick
# pending: before the fix in patch 0014 the new kernel panicked on it).
. "$(dirname "$0")/../lib/tap.sh"
need_kvm "$0" "$@"
S=$(scratch)
OUT=$S/out
# The kernel and initramfs to kexec, on an ext2 disk the guest reads.
mkdir -p "$S/k"
cp "$KERNEL" "$INITRD" "$S/k/"
mke2fs -q -t ext2 -d "$S/k" "$S/k.img" $(( $(du -sm "$S/k" | cut -f1) + 8 ))M
sum=$(md5sum < "$KERNEL" | cut -c1-32)

# kexec MODE VCPUS CLOCKSOURCE APIC hcall-run-args...: boot with VCPUS vCPUs,
# kexec, check the second kernel (APIC: the APIC driver of both kernels).
kexec() {
	local m=$1 n=$2 want=$3 apic=$4 rc cs
	shift 4
	OUT=$S/$m.out
	guest kexec --mem 512M --disk "$S/k.img,ro" --stats-json "$S/$m.json" \
		--cmdline "console=hvc0 quiet hcall.test=kexec" --cpus "$n" "$@"
	rc=$?
	is "$rc" 0 "$m: the kexec'd kernel ran its test and powered off by hypercall: exit 0"
	is "$(tagged_field "HCALL-KEXEC before" sum | head -n1)" "$sum" "$m: the first kernel read the new kernel from its PV disk"
	grep -q 'HCALL-RESULT test=kexec-after rc=0' "$OUT"
	ok $? "$m: the second kernel booted and its test passed"
	! grep -q 'HCALL-RESULT test=kexec rc=' "$OUT"
	ok $? "$m: the first kernel never came back from the kexec"
	is "$(tagged_field "HCALL-KEXEC before" cpus | head -n1)" "$n" "$m: the first kernel ran on $n vCPUs"
	is "$(tagged_field "HCALL-KEXEC before" apic | head -n1)" "$apic" "$m: the first kernel handed its vCPUs over with the $apic APIC driver"
	is "$(tagged_field "HCALL-KEXEC after" cpus | head -n1)" "$n" "$m: the second kernel brought up all $n vCPUs"
	is "$(tagged_field "HCALL-KEXEC after" ran | head -n1)" "$(seq -s, 0 $((n - 1)))" "$m: each vCPU runs code in the second kernel"
	is "$(tagged_field "HCALL-KEXEC after" apic | head -n1)" "$apic" "$m: the second kernel runs the $apic APIC driver too"
	is "$(tagged_field "HCALL-KEXEC after" sum | head -n1)" "$sum" "$m: the second kernel reads the same disk through a new ring"
	cs=$(tagged_field "HCALL-KEXEC after" clocksource | head -n1)
	[[ $cs =~ ^($want)$ ]]
	ok $? "$m: the second kernel's clocksource works: $cs (want $want)"
	is "$(tagged_field "HCALL-KEXEC after" tsc_reliable | head -n1)" 0 "$m: the TSC is not forced reliable (hcall's pvclock never says TSC-stable)"
	is "$(tagged_field "HCALL-KEXEC after" console | head -n1)" hvc0 "$m: its console ring was registered anew"
	# hblkfront: a ring per online vCPU (the backend offers up to 4).
	is "$(tagged_field "HCALL-KEXEC after" disk-rings | head -n1)" "$n" "$m: the disk has a ring per vCPU again"
	is "$(tagged_field "HCALL-KEXEC after" evtchn-irqs | head -n1)" $((2 + n)) "$m: console, store and $n disk event channels are irqs again"
	is "$(tagged_field "HCALL-KEXEC after" year | head -n1)" "$(date -u +%Y)" "$m: the wall clock is right in the second kernel"
	is "$(tagged_field "HCALL-KEXEC after" oopses | head -n1)" 0 "$m: no oops, BUG or WARNING in the second kernel"
	python3 - "$S/$m.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
shutdowns = s["hypercalls"].get("6", 0)   # HCALL_shutdown: soft resets and the power-off
print("# disk connects %d, HCALL_shutdown calls %d" % (s["vbd"]["connects"], shutdowns))
assert s["vbd"]["connects"] >= 2          # once per kernel
# each kernel resets at boot, the first again before kexec, the second powers off
assert shutdowns == 4, shutdowns
PY
	ok $? "$m: the disk connected once for each kernel; both kernels soft-reset the platform"
	[ $rc -eq 0 ] || diag_file "$OUT" 40
}

# With --pv-off clock the clocksource is hcall-clock: the second kernel's
# own shared info (pvclock) works.
kexec pvclock 1 hcall-clock physical_x2apic --pv-off clock
# Two vCPUs with all of KVM's operations: kvmclock (or the TSC), PV IPIs
# (which stop the other vCPU), and x2APIC on the boot vCPU at the kexec.
kexec smp2 2 'kvm-clock|tsc' physical_x2apic
rm -rf "$S"
done_testing
