#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# PV CPU: an hcall guest runs KVM's paravirt CPU operations beside the hcall
# platform (patch 0013; hcall's CPUID leaves at 0x40000100, KVM's at
# 0x40000000). The same 2-vCPU workload of IPIs, TLB shootdowns, lock
# contention and clock reads (tests/guest/src/pvcpu.c) runs in four modes:
#   pv     hcall PV with KVM's features          (hcall-run)
#   pvoff  hcall PV, every KVM feature switched off (--pv-off all)
#   hvm    full virtualization, no PV at all     (--hvm)
#   kvmpv  HVM with KVM's own PV leaves          (--hvm --kvm-pv)
# and --stats-json's KVM counters say what each took.
. "$(dirname "$0")/../lib/tap.sh"
# Five guests (four 2-vCPU workloads and the disk guest) and the lab's boot.
export HCALL_LAB_TIMEOUT=${HCALL_LAB_TIMEOUT:-600}
need_kvm "$0" "$@"
S=$(scratch)

run() {	# run MODE hcall-run-args...: boot the workload, keep its console
	local mode=$1
	shift
	OUT=$S/$mode.out
	guest pvcpu --cpus 2 --stats-json "$S/$mode.json" "$@"
	is "$?" 0 "$mode: the 2-vCPU workload boots and powers off ($*)"
	grep -q 'HCALL-RESULT test=pvcpu rc=0' "$OUT"
	ok $? "$mode: IPIs, TLB shootdowns, lock contention and clock reads all finish"
	[ -f "$S/$mode.json" ] || diag_file "$OUT"
}
run pv
run pvoff --pv-off all
run hvm --hvm
run kvmpv --hvm --kvm-pv

field() {	# field MODE NAME: NAME= from MODE's HCALL-PVCPU lines
	sed -n "s/.*HCALL-PVCPU .*\b$2=\([^[:space:]]*\).*/\1/p" "$S/$1.out" | tr -d '\r' | head -n1
}

# What each guest found and set up.
for m in pv pvoff hvm kvmpv; do
	diag "$m: hypervisor=$(field $m hypervisor) clocksource=$(field $m clocksource)" \
		"apic=$(field $m apic) kvmclock=$(field $m kvmclock) pvspin=$(field $m pvspin)" \
		"pvipi=$(field $m pvipi) pvtlb=$(field $m pvtlb) pvyield=$(field $m pvyield)" \
		"steal=$(field $m steal)"
done
is "$(field pv hypervisor)" hcall "pv: the hcall platform wins detection beside KVM's leaves"
is "$(field pv chained)" 1 "pv: KVM's paravirt CPU operations run beside the platform"
is "$(field pv kvmclock)/$(field pv pvspin)/$(field pv pvipi)/$(field pv pvtlb)/$(field pv pvyield)" \
	1/1/1/1/1 "pv: kvmclock, PV spinlocks, PV IPIs, PV TLB flush and PV sched yield are set up"
# Beside kvmclock the TSC is not forced reliable, as in KVM's own guest: it
# keeps its sync check at bring-up and its watchdog. kvm-clock is the
# clocksource unless the TSC is invariant (kvmclock then rates 299, the TSC
# 300) and passed those checks; a forced-reliable TSC would win unchecked
# even where the vCPUs' TSCs are apart.
is "$(field pv tsc_reliable)/$(field kvmpv tsc_reliable)" 0/0 "pv: the TSC is not forced reliable beside kvmclock, as in kvmpv"
case "$(field pv clocksource)/$(field pv invtsc)" in
kvm-clock/*) ok 0 "pv: the clocksource is kvm-clock" ;;
tsc/1) ok 0 "pv: the clocksource is tsc: invariant, and it passed its checks (kvmclock rates 299)" ;;
*) ok 1 "pv: the clocksource is kvm-clock, or tsc only when invariant (got '$(field pv clocksource)', invtsc $(field pv invtsc))" ;; esac
case "$(field pv apic)" in *x2apic*) ok 0 "pv: the local APIC runs in x2APIC mode ($(field pv apic))" ;;
	*) ok 1 "pv: the local APIC runs in x2APIC mode (got '$(field pv apic)')" ;; esac
is "$(field pvoff hypervisor)/$(field pvoff clocksource)" hcall/hcall-clock \
	"pvoff: the hcall platform with its own clocksource"
is "$(field pvoff kvmclock)/$(field pvoff pvspin)/$(field pvoff pvipi)/$(field pvoff pvtlb)/$(field pvoff pvyield)" \
	0/0/0/0/0 "pvoff: none of KVM's operations is set up"
# --pv-off all shows no KVM leaves: none of KVM's guest setup runs either.
is "$(field pvoff chained)" 0 "pvoff: KVM's guest code is not chained in"
# hcall's pvclock never says PVCLOCK_TSC_STABLE_BIT (KVM may lose its
# master clock later), so hcall-clock alone does not force the TSC reliable.
is "$(field pvoff tsc_reliable)" 0 "pvoff: the TSC is not forced reliable under hcall-clock"
case "$(field pvoff apic)" in *x2apic*) ok 1 "pvoff: xAPIC mode (got '$(field pvoff apic)')" ;;
	*) ok 0 "pvoff: the local APIC stays in xAPIC mode ($(field pvoff apic))" ;; esac
is "$(field hvm hypervisor)" "" "hvm: no hypervisor leaves at all (full virtualization)"
is "$(field hvm kvmclock)/$(field hvm pvspin)/$(field hvm pvipi)/$(field hvm pvtlb)/$(field hvm pvyield)" \
	0/0/0/0/0 "hvm: no PV operation is set up"
case "$(field hvm apic)/$(field hvm clocksource)" in *x2apic*|*kvm-clock*) ok 1 "hvm: xAPIC, no kvm-clock (got $(field hvm apic)/$(field hvm clocksource))" ;;
	*) ok 0 "hvm: xAPIC ($(field hvm apic)), clocksource $(field hvm clocksource)" ;; esac
is "$(field kvmpv hypervisor)" KVM "kvmpv: the guest sees KVM"
is "$(field kvmpv kvmclock)/$(field kvmpv pvspin)/$(field kvmpv pvipi)/$(field kvmpv pvtlb)/$(field kvmpv pvyield)" \
	1/1/1/1/1 "kvmpv: KVM's own PV operations are set up"

# Steal time: accounted only where KVM's steal clock is shown.
st=$(field pv steal_total)
[ -n "$st" ] && [ "$st" -gt 0 ]
ok $? "pv: /proc/stat accounts steal time ($st ticks; the lab's vCPU threads share 2 host CPUs)"
is "$(field pvoff steal_total)/$(field hvm steal_total)" 0/0 "pvoff, hvm: no steal time without KVM's steal clock"

# Time never goes backwards across the 2 vCPUs, in any mode.
for m in pv pvoff hvm kvmpv; do
	is "$(field $m backwards)" 0 "$m: CLOCK_MONOTONIC never went backwards across vCPUs ($(field $m reads) reads, worst $(field $m worst_ns) ns)"
done

# clock_gettime() in user space: the hcall clocksource has no vDSO mode, so
# each call is a system call; kvm-clock has one when the host's TSC is stable.
is "$(field pvoff syscalls)" "$(field pvoff calls)" "pvoff: hcall-clock has no vDSO mode: every clock_gettime() entered the kernel"
pvs=$(field pv syscalls) kvs=$(field kvmpv syscalls)
diag "clock_gettime() calls that entered the kernel: pv $pvs, kvmpv $kvs, hvm $(field hvm syscalls) of $(field pv calls)"
is "$pvs" "$kvs" "pv: user-space clock reads take the same path as KVM's own PV guest"
if [ "$pvs" = 0 ]; then
	ok 0 "pv: clock_gettime() stays in user space (0 system calls)"
else
	# kvmclock has a vDSO mode only with PVCLOCK_TSC_STABLE_BIT, which KVM
	# sets only when the host's own clocksource is a stable TSC (its master
	# clock). Without it the vCPUs' TSCs are not in step (pvoff's
	# hcall-clock without its fix-up saw them apart), so neither kvm-clock
	# nor the TSC may be read in user space.
	hcs=$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource 2>/dev/null)
	if [ "$hcs" != tsc ]; then
		skip "pv: clock_gettime() made $pvs system calls: this host's clocksource is '$hcs', not a stable TSC, so kvm-clock has no vDSO mode"
	else
		ok 1 "pv: clock_gettime() stays in user space on a host with a stable TSC ($pvs system calls)"
	fi
fi

# KVM exits per cross-vCPU operation (a ping-pong round or a munmap).
python3 - "$S" <<'PY'
import json, re, sys
d = sys.argv[1]
res = {}
for m in ("pv", "pvoff", "hvm", "kvmpv"):
    k = json.load(open("%s/%s.json" % (d, m)))["kvm"]
    out = open("%s/%s.out" % (d, m), errors="replace").read()
    ops = sum(int(x) for x in re.findall(r"HCALL-PVCPU (?:ipi rounds|tlb maps)=(\d+)", out))
    ns = dict(re.findall(r"HCALL-PVCPU (ipi|tlb|lock)\b.*ns=(\d+)", out))
    per = lambda key: k.get(key, 0) / ops
    res[m] = {"exits": per("exits"), "emul": per("insn_emulation"), "ns": ns}
    print("# %-6s per op (%d ops): %6.2f exits: %5.2f insn_emulation, %5.2f halt, %5.2f irq, "
          "%5.2f io, %5.2f mmio, %5.2f hypercalls; ns/op ipi %s tlb %s lock %s"
          % (m, ops, per("exits"), per("insn_emulation"), per("halt_exits"), per("irq_exits"),
             per("io_exits"), per("mmio_exits"), per("hypercalls"),
             ns.get("ipi"), ns.get("tlb"), ns.get("lock")))
json.dump(res, open(d + "/perop.json", "w"))
PY
perop() { python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r[sys.argv[2]][sys.argv[3]])' "$S/perop.json" "$1" "$2"; }
lt() { python3 -c 'import sys; sys.exit(not float(sys.argv[1]) * float(sys.argv[3]) < float(sys.argv[2]))' "$@"; }
# Where the host KVM has no next-RIP save (the lab: nested SVM under QEMU
# TCG), KVM skips even an MSR write's instruction through its emulator, so
# x2APIC's MSR exits still count as insn_emulation there: the xAPIC MMIO
# emulation is gone, but not every count of it.
[ -r /sys/module/kvm_amd/parameters/nrips ] && diag "host kvm_amd nrips=$(cat /sys/module/kvm_amd/parameters/nrips)"
lt "$(perop pv emul)" "$(perop pvoff emul)" 2
ok $? "pv: under half of pvoff's instruction-emulation exits per op ($(perop pv emul) vs $(perop pvoff emul))"
lt "$(perop pv emul)" "$(perop hvm emul)" 2
ok $? "pv: under half of hvm's instruction-emulation exits per op ($(perop pv emul) vs $(perop hvm emul))"
lt "$(perop pv exits)" "$(perop pvoff exits)" 1.33
ok $? "pv: under three quarters of pvoff's KVM exits per op ($(perop pv exits) vs $(perop pvoff exits))"
lt "$(perop pv exits)" "$(perop hvm exits)" 1.33
ok $? "pv: under three quarters of hvm's KVM exits per op ($(perop pv exits) vs $(perop hvm exits))"

# Event channels on every vCPU (tests/guest/tests/evtchn-cpus): a 2-vCPU
# guest's disk has a queue per vCPU, each queue's irq lands on its own
# CPU, and moving one with /proc/irq/N/smp_affinity_list moves where its
# completions arrive. Counted per CPU in the guest's /proc/interrupts.
dd if=/dev/zero of="$S/evt.img" bs=1M count=4 2>/dev/null
OUT=$S/evtchn.out
blk evtchn-cpus --cpus 2 --disk "$S/evt.img"
is "$?" 0 "evtchn: the 2-vCPU disk guest boots and powers off"
ef() { first_field "$1"; }
is "$(ef queues)" 2 "evtchn: the disk has a queue per vCPU"
is "$(ef q0_eff)/$(ef q1_eff)" 0/1 "evtchn: queue 0's irq is on CPU 0, queue 1's on CPU 1 (effective affinity)"
gt0() { [ "${1:-0}" -gt 0 ]; }
gt0 "$(ef q0_cpu0)" && is0=$(ef q0_cpu1) && [ "$is0" = 0 ]
ok $? "evtchn: I/O from CPU 0 completes on CPU 0 (queue 0's irq: $(ef q0_cpu0) on CPU 0, $(ef q0_cpu1) on CPU 1)"
gt0 "$(ef q1_cpu1)" && [ "$(ef q1_cpu0)" = 0 ]
ok $? "evtchn: I/O from CPU 1 completes on CPU 1 (queue 1's irq: $(ef q1_cpu0) on CPU 0, $(ef q1_cpu1) on CPU 1)"
is "$(ef moved_rc)/$(ef moved_eff)" 0/1 "evtchn: smp_affinity_list moves queue 0's irq to CPU 1"
gt0 "$(ef moved_cpu1)" && [ "$(ef moved_cpu0)" = 0 ]
ok $? "evtchn: queue 0's irq then fires on CPU 1 only ($(ef moved_cpu0) on CPU 0, $(ef moved_cpu1) on CPU 1)"
is "$(ef back_rc)/$(ef back_eff)" 0/0 "evtchn: and moves back to CPU 0"
gt0 "$(ef back_cpu0)" && [ "$(ef back_cpu1)" = 0 ]
ok $? "evtchn: where it fires on CPU 0 only again ($(ef back_cpu0) on CPU 0, $(ef back_cpu1) on CPU 1)"
is "$(ef storm_rc)" 0/0 "evtchn: 4000 reads from both CPUs all complete while both irqs flip between them"
gt0 "$(ef flips)"
ok $? "evtchn: the irqs were moved $(ef flips) times each during those reads"
is "$(ef offline_rc)/$(ef offline_eff)" 0/0 "evtchn: CPU 1 offline takes queue 1's irq to CPU 0"
is "$(ef online_rc)/$(ef online_eff)" 0/1 "evtchn: CPU 1 back online takes queue 1's irq back"
gt0 "$(ef online_cpu1)" && [ "$(ef online_cpu0)" = 0 ]
ok $? "evtchn: where it fires again ($(ef online_cpu0) on CPU 0, $(ef online_cpu1) on CPU 1)"
is "$(ef oops)" 0 "evtchn: no oops, BUG or WARNING in the guest"
[ "$(ef oops)" = 0 ] || diag_file "$OUT" 40

# No oops, warning, soft lockup or RCU stall in any guest: in dmesg (the
# guest counts them) and on the console.
for m in pv pvoff hvm kvmpv; do
	is "$(field $m oopses)" 0 "$m: no oops, BUG, WARNING, soft lockup or stall in dmesg"
done
bad=$(grep -lE 'Oops|BUG:|WARNING:|soft lockup|rcu.*stall|Call Trace' "$S"/*.out 2>/dev/null)
is "$bad" "" "no oops, warning, soft lockup or RCU stall on any console"
for f in $bad; do diag_file "$f" 40; done

rm -rf "$S"
done_testing
