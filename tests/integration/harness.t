#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The test and benchmark harness itself, without KVM or a lab: the lab
# failure classifier on sample logs, the retry summary and the benchmarks'
# bounded peer runs (tests/lib/test_harness.py), then need_kvm's retries
# against a fake lab host that fails in chosen ways.
. "$(dirname "$0")/../lib/tap.sh"
S=$(scratch)

# The Python checks, renumbered into this file's TAP.
while IFS= read -r line; do
	case "$line" in
	"ok "*) ok 0 "${line#ok * - }" ;;
	"not ok "*) ok 1 "${line#not ok * - }" ;;
	"#"*) echo "$line" ;;
	esac
done < <(python3 "$TOP/tests/lib/test_harness.py" 2>&1)

# A fake scripts/lab: call N (counted in $S/calls) plays $FAKE's Nth step:
# pass, fail (a failed test), lockup (lab-init's soft-lockup report),
# asan (that, next to an ASan report), livelock (a test that timed out on a
# livelocked guest and printed the evidence).
cat > "$S/fakelab" <<'LAB'
#!/bin/bash
n=$(( $(cat "$CALLS" 2>/dev/null || echo 0) + 1 ))
echo $n > "$CALLS"
steps=($FAKE)
step=${steps[$((n - 1))]:-${steps[-1]}}
echo "# KVM substrate: lab (call $n)"
case $step in
pass) echo "ok 1 - inner test"; echo "1..1"; exit 0 ;;
fail) echo "not ok 1 - inner test"; echo "1..1"; exit 1 ;;
lockup|asan)
	echo "ok 1 - inner test"
	[ $step = asan ] && echo "#   ==1==ERROR: AddressSanitizer: heap-use-after-free"
	echo "lab: the lab host's kernel soft-locked; the first report:"
	echo "[  99.1] watchdog: BUG: soft lockup - CPU#0 stuck for 64s! [qemu:9]"
	exit 125 ;;
livelock)
	echo "# lab-evidence guest-livelock demo: exits=3000000 insn_emulation=2990000 pf_guest=2990000"
	echo "not ok 1 - inner test"; echo "1..1"; exit 1 ;;
esac
LAB
chmod +x "$S/fakelab"

fake() {	# fake "STEP STEP ...": run need_kvm against the fake lab; output in $S/out
	rm -f "$S/calls"
	env -u HCALL_SUBSTRATE HCALL_KVM=lab HCALL_LAB="$S/fakelab" HCALL_BUILD="$S/build" \
		CALLS="$S/calls" FAKE="$1" \
		bash -c '. "$1/tests/lib/tap.sh"; need_kvm fake.t; echo "not reached"' _ "$TOP" \
		> "$S/out" 2>&1
}
calls() { cat "$S/calls"; }
retries() { grep -c '^# lab-retry ' "$S/out"; }

fake "lockup pass"
is "$? $(calls) $(retries)" "0 2 1" "a lab soft lockup: one retry, then the test passes"
grep -q '^# lab-retry class=lab-soft-lockup try=1 log=' "$S/out"
ok $? "the retry says its class and try ($(grep -m1 '^# lab-retry' "$S/out" | cut -c1-60))"
grep -q '^ok 1 - inner test' "$S/out" && ! grep -q 'soft lockup' "$S/out"
ok $? "only the last try's TAP is shown"
grep -q 'soft lockup - CPU#0' "$S"/build/lab-retries/fake.*.1.log
ok $? "the failed try's output is kept in build/lab-retries"

fake "fail pass"
is "$? $(calls) $(retries)" "1 1 0" "a failed test is never retried"
grep -q '^# lab-no-retry class=test-failure try=1' "$S/out"; ok $? "and says why"

fake "asan pass"
is "$? $(calls) $(retries)" "125 1 0" "a sanitizer report next to a lab lockup is never retried"
grep -q '^# lab-no-retry class=ours-crash' "$S/out"; ok $? "it is classed as our crash"

fake "livelock pass"
is "$? $(calls) $(retries)" "0 2 1" "a guest seen livelocked in the lab: one retry"
grep -q '^# lab-retry class=guest-livelock try=1' "$S/out"; ok $? "classed guest-livelock"

fake "lockup"
is "$? $(calls) $(retries)" "125 3 2" "a lab that keeps dying: three tries, then its status"
grep -q '^# lab-gave-up class=lab-soft-lockup try=3' "$S/out"; ok $? "the last failure is reported"

# make bench-boot with a QEMU microvm peer that goes silent after its first
# line (as one did in the lab): killed at its limit, booted once more, then a
# row marked failed, and the tables are still written. Fake peers, no KVM.
mkdir -p "$S/fb/bin" "$S/fb/guest" "$S/path"
touch "$S/fb/guest/bzImage" "$S/fb/guest/initramfs.cpio.gz"
echo 6.12.0 > "$S/fb/guest/kernel.release"
cat > "$S/fb/bin/hcall-run" <<'RUN'
#!/bin/bash
echo "hcall-init: running test 'true'"
while [ $# -gt 0 ]; do
	[ "$1" = --stats-json ] && echo '{"kvm": {"exits": 9}, "shim_exits": 3,
		"shim_exits_by_reason": {}, "pio_by_port": {"0x03f8": 2}}' > "$2"
	shift
done
RUN
cat > "$S/path/qemu-system-x86_64" <<'QEMU'
#!/bin/bash
case "$*" in *microvm*) echo "qboot: booting"; exec sleep 600 ;; esac
echo "hcall-init: running test 'true'"
QEMU
chmod +x "$S/fb/bin/hcall-run" "$S/path/qemu-system-x86_64"
start=$SECONDS
PATH=$S/path:$PATH HCALL_SUBSTRATE=direct HCALL_BUILD=$S/fb HCALL_BENCH_RUNS=2 \
	HCALL_BENCH_BOOT_LIMIT=2 timeout 60 "$TOP/scripts/bench-boot" > "$S/bench.out" 2>&1
is "$?" 0 "bench-boot with a silent peer ends (in $((SECONDS - start)) s) with status 0"
grep -q '^| qemu-microvm | 0 | failed | failed | - | failed | failed | - |$' "$S/fb/bench/boot.md"
ok $? "the silent peer is a row marked failed"
grep -q '^| qemu-pc | 2 | ' "$S/fb/bench/boot.md" && grep -q '^| exits to the shim | 3 | 3 |' \
	"$S/fb/bench/boot.md"
ok $? "the other peers and the exit counts are in the tables"
is "$(ls "$S"/fb/bench/boot-logs/qemu-microvm.run1.*.log | wc -l)" 2 \
	"the silent peer was booted twice, each attempt's console kept"
[ -s "$S/fb/bench/boot.md" ] || diag_file "$S/bench.out"

# make bench-cpu's handshakes, with a fake guest that says what each
# operation cost: the exits per operation are the window's less the
# handshake's ("null"); a guest that goes silent is killed, tried three
# times and marked failed, and so is one whose lines come out of order
# or with numbers too big, while the tables are still written.
mkdir -p "$S/fc/bin" "$S/fc/guest"
touch "$S/fc/guest/bzImage" "$S/fc/guest/initramfs.cpio.gz"
cat > "$S/fc/bin/hcall-run" <<'RUN'
#!/bin/bash
while [ $# -gt 0 ]; do
	case "$1" in --control) sock=$2 ;; --pv-off) off=$2 ;; esac
	shift
done
[ "$off" = yield ] && { echo "hcall-init: running test 'bench-cpu'"; exec sleep 600; }
[ "$off" = eoi ] && echo "HCALL-CPUBENCH end"	# before any ready
n=0
echo "HCALL-CPUBENCH cpus=3 clocksource=fake"
for op in null:0 idle:5 clock:0 wakeup:10 tlb:4 lock:1 fork:40; do
	name=${op%:*} per=${op#*:} k=100
	case "$name" in null) k=0 ;; idle) k=1 ;; esac
	total=$(((per * 1000 + 7) * k))
	[ "$name" = idle ] && total=50000	# 5 exits in 50 us: 100000 a second
	echo "HCALL-CPUBENCH ready op=$name"
	read -r _ || exit 1
	n=$((n + 3 + per * k))	# the handshake's 3, then the operation's
	echo "$n" > "$sock.n"
	echo "HCALL-CPUBENCH end"
	read -r _ || exit 1
	[ "$off" = ipi ] && echo "HCALL-CPUBENCH op=clocksource n=1 ns=1 total_ns=1"
	[ "$off" = tlb ] && echo "HCALL-CPUBENCH op=$name n=1 ns=1 total_ns=$(printf '9%.0s' $(seq 400))"
	echo "HCALL-CPUBENCH op=$name n=$k ns=0 total_ns=$total"
done
echo "HCALL-RESULT test=bench-cpu rc=0"
RUN
cat > "$S/fc/bin/hcall-ctl" <<'CTL'
#!/bin/bash
echo "{\"return\": {\"kvm\": {\"exits\": $(cat "$1.n" 2>/dev/null || echo 0), \"halt_exits\": 0}, \"shim_exits\": 0}}"
CTL
chmod +x "$S/fc/bin/hcall-run" "$S/fc/bin/hcall-ctl"
start=$SECONDS
HCALL_SUBSTRATE=direct HCALL_BUILD=$S/fc HCALL_BENCH_CPU_RUNS=1 HCALL_BENCH_CPU_LIMIT=60 \
	HCALL_BENCH_CPU_IDLE=5 timeout 300 "$TOP/scripts/bench-cpu" > "$S/benchcpu.out" 2>&1
is "$?" 0 "bench-cpu with a silent and three hostile guests ends (in $((SECONDS - start)) s) with status 0"
grep -q '^| wakeup | hvm | 10.00 | 0.00 | 0.00 | 0.00 |' "$S/fc/bench/cpu.md" &&
	grep -q '^| fork | hcall-pv | 40.00 |' "$S/fc/bench/cpu.md" &&
	grep -q '^| clock | kvm-pv | 0.00 |' "$S/fc/bench/cpu.md"
ok $? "exits per operation: the window's less the handshake's, over the count"
grep -q '^| tlb | 4007 | 4007 | 4007 | 1.00x | 1.00x | 1.00x | 4.00 | 4.00 | 4.00 |$' "$S/fc/bench/cpu.md"
ok $? "the modes' table: ns (total over count), speed-ups and exits"
grep -q '^| yield | failed ns (-), failed exits |' "$S/fc/bench/cpu.md" &&
	grep -q '^- pv-off yield (run 1): the guest did not end cleanly (no output for 5 s, killed)' "$S/fc/bench/cpu.md"
ok $? "the silent guest's row is marked failed, and why"
grep -q '^- pv-off eoi (run 1): the handshake failed: its benchmark line 1 came out of protocol order' \
	"$S/fc/bench/cpu.md" &&
	grep -q '^- pv-off ipi (run 1): the handshake failed: its benchmark line 4 came out of protocol order' \
	"$S/fc/bench/cpu.md" &&
	grep -q '^- pv-off tlb (run 1): the handshake failed: its benchmark line 4 came out of protocol order' \
	"$S/fc/bench/cpu.md" &&
	grep -q '^| steal | 7 ns (1.00x), 0.00 exits |' "$S/fc/bench/cpu.md"
ok $? "an end before its ready, an unknown operation, a 400-digit number: failed, the others measured"
is "$(ls "$S"/fc/bench/cpu-logs/pv-off-yield.run1.*.log | wc -l)" 3 "the silent guest was booted three times"
grep -q 'asleep for 1 s it took hvm 100000, kvm-pv 100000, hcall-pv 100000 KVM exits per second' \
	"$S/fc/bench/cpu.md" && grep -q '^| fork | hvm | 40.00 | .* | 0.00 | 0.00 | 0.00 | 4.00 |$' "$S/fc/bench/cpu.md"
ok $? "the idle background: exits a second asleep, and its estimated share of each operation"
[ -s "$S/fc/bench/cpu.svg" ] && python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$S/fc/bench/cpu.json"
ok $? "and the chart and the JSON are written"
[ -s "$S/fc/bench/cpu.md" ] || diag_file "$S/benchcpu.out"

# tests/run's last line counts the retries of a run.
printf '%s\n' "# lab-retry class=lab-soft-lockup try=1 log=x (y)" "ok 1 - a" \
	"# lab-retry class=lab-crash try=1 log=x (y)" "All tests successful." > "$S/log"
is "$(python3 "$TOP/scripts/labclass.py" --summary "$S/log")" \
	"lab retries: 2 (lab-crash 1, lab-soft-lockup 1)" "the make check summary line"

# A guest oops on an event no correct CPU delivers (the lab's TCG-emulated
# AMD-V, seen in net-mq's storm): evidence; the same oops with IF set, a
# kernel stack or another RIP is not.
oops() {
	printf '%s\n' "traps: PANIC: double fault, error_code: 0x0" "RIP: 0010:0x$1" \
		"RSP: 0018:$2 EFLAGS: $3" "FS:  0000000018a583c0(0000) GS:ff1100001f000000(0000)" \
		"CR2: $4 CR3: 00000000007dd000 CR4: 00000000007116b0"
}
printf '%s T entry_SYSCALL_64\n' ffffffff81400040 > "$S/System.map"
v=0
for c in "ffffffff81400040 00007ffc0f041e18 00000002 00007ffc0f041e08 0" \
	 "ffffffff81400040 00007ffc0f041e18 00000202 00007ffc0f041e08 1" \
	 "ffffffff81400040 ffa0000000003d00 00000002 ffa0000000003cf0 1" \
	 "ffffffff81400041 00007ffc0f041e18 00000002 00007ffc0f041e08 1" \
	 "ffffffff81400040 00007ffc0f041e18 00000002 0000000000430290 1"; do
	set -- $c
	oops "$1" "$2" "$3" "$4" > "$S/con"
	python3 "$TOP/scripts/labclass.py" --cpu-state "$S/con" "$S/System.map" > /dev/null
	[ $? -eq "$5" ] || v=1
done
is "$v" 0 "an event at the SYSCALL entry with IF clear on the user stack is the lab's evidence, near misses are not"
printf '%s\n' "# lab-evidence guest-cpu-state net-mq: event at entry_SYSCALL_64" "not ok 1 - x" > "$S/log"
is "$(python3 "$TOP/scripts/labclass.py" 1 "$S/log")" "guest-cpu-state: net-mq: event at entry_SYSCALL_64" \
	"and a test's evidence line makes the failure the lab's"

# A guest's triple fault as scripts/lab-shutprobe records it, found by the
# VMM's pid after tap.sh's start marker: not a record from before the
# marker (a reused pid), of another VMM, or a trace_marker write that looks
# like one. Never a reason to retry.
mark() { echo "       hcall-run-$1     [001] .....    $2: tracing_mark_write: hcall-guest-start pid=$1"; }
rec() {
	echo "       hcall-run-$(($1 + 3))     [000] .....    $2: shutdown:" \
		"(shutdown_interception+0x0/0x80 [kvm_amd]) vmpid=$1 rip=$3 cr2=0xfffffe0000000080" \
		"idt_limit=4095 exit_code=0x7f exit_int_info=0x80000b0e exit_int_info_err=0x18"
}
{ echo "# tracer: nop"; rec 685 10.0 0x1; mark 685 11.0; rec 686 11.5 0x2; rec 685 12.0 0x3
  echo "  sh-9 [000] .....  12.5: tracing_mark_write: shutdown: (shutdown_interception+0x0/0x80) vmpid=685 rip=0x4"
} > "$S/trace"
is "$(python3 "$TOP/scripts/labclass.py" --shutdown "$S/trace" 685 | grep -o 'rip=[^ ]*')" rip=0x3 \
	"a guest's shutdown record is the one after its start marker, of its own VMM"
{ rec 685 10.0 0x1; mark 685 11.0; } > "$S/trace"
python3 "$TOP/scripts/labclass.py" --shutdown "$S/trace" 685 > /dev/null
is "$?" 1 "a record from before the marker is not it"
python3 "$TOP/scripts/labclass.py" --shutdown "$S/no-such-trace" 685 > /dev/null
is "$?" 1 "no trace (no probe in this lab): no record"
printf '%s\n' "# lab-shutdown blk-noflush: vmpid=685 exit_int_info=0x80000b0e exit_int_info_err=0x18" \
	"not ok 1 - x" > "$S/log"
is "$(python3 "$TOP/scripts/labclass.py" 1 "$S/log" | cut -d: -f1)" test-failure \
	"and a shown record is no evidence of the lab's: the failure stays"
printf '%s\n' "# lab-evidence guest-shutdown balloon-oc: triple fault: the CPU failed to read IDT gate 8" \
	"not ok 1 - x" > "$S/log"
is "$(python3 "$TOP/scripts/labclass.py" 1 "$S/log")" \
	"guest-shutdown: balloon-oc: triple fault: the CPU failed to read IDT gate 8" \
	"but the walk's evidence line is (tests/lib/test_harness.py checks the walk)"
printf '%s\n' "# lab-evidence guest-shutdown balloon-oc: triple fault" \
	"==123==ERROR: AddressSanitizer: heap-buffer-overflow" "not ok 1 - x" > "$S/log"
is "$(python3 "$TOP/scripts/labclass.py" 1 "$S/log" | cut -d: -f1)" ours-crash \
	"except next to a crash of ours"

# scripts/lab itself, with a fake QEMU whose lab kernel soft-locks every
# CPU: the host side reads the lockup off the console and ends the lab
# (status 125, the lab's) in seconds, not at the lab's timeout. Each fake
# QEMU leaves its pid, to show it is gone afterwards.
fakeq() {	# fakeq DIR BODY: a fake qemu-system-x86_64 in $S/DIR
	mkdir -p "$S/$1"
	printf '%s\n' '#!/bin/bash' "echo \$\$ > $S/$1.pid" \
		'run=$(printf "%s\n" "$@" | sed -n "s/.*hcall\.run=\([^ ]*\) .*/\1/p")' \
		'echo "hcall-lab: up"' "$2" > "$S/$1/qemu-system-x86_64"
	chmod +x "$S/$1/qemu-system-x86_64"
}
gone() { ! kill -0 "$(cat "$S/$1.pid")" 2>/dev/null; }
fakeq qlock 'echo "[   71.250001] watchdog: BUG: soft lockup - CPU#1 stuck for 63s! [qemu-system-x86:402]"; exec sleep 600'
start=$SECONDS
PATH=$S/qlock:$PATH HCALL_LAB_TIMEOUT=120 "$TOP/scripts/lab" true > "$S/lab.out" 2>&1
rc=$?
is "$rc $(( SECONDS - start < 30 ))" "125 1" "a lab kernel stuck on every CPU ends the lab from the host ($((SECONDS - start)) s)"
is "$(python3 "$TOP/scripts/labclass.py" 125 "$S/lab.out" | cut -d: -f1)" lab-soft-lockup \
	"and the classifier calls it a lab soft lockup"
gone qlock
ok $? "no fake lab left running"

# A lab kernel that hangs without a word: lab-init's heartbeat (a file in
# the project tree) stops changing, and scripts/lab ends the lab (after 90 s;
# 3 here).
# 3 here). Each fake QEMU leaves its pid to show it is gone afterwards.
fakeq qhang 'echo "120.5 2000000" > "$run.beat"; exec sleep 600'
start=$SECONDS
PATH=$S/qhang:$PATH HCALL_LAB_BEAT_STALE=3 HCALL_LAB_TIMEOUT=300 "$TOP/scripts/lab" true > "$S/lab.out" 2>&1
rc=$?
is "$rc $(( SECONDS - start < 30 ))" "125 1" "a lab host whose heartbeat stopped is ended from the host ($((SECONDS - start)) s)"
grep -q '^lab: the lab host hung: its heartbeat stopped [0-9]* s ago (at 120.5 s of uptime, MemAvailable 1953 MiB)' "$S/lab.out"
ok $? "and says since when, at what uptime and with how much memory ($(grep -m1 'heartbeat' "$S/lab.out" | cut -c1-90))"
is "$(python3 "$TOP/scripts/labclass.py" 125 "$S/lab.out" | cut -d: -f1)" lab-hang \
	"which the classifier calls a lab hang, retried"
gone qhang
ok $? "no fake lab left running"
fakeq qlow 'echo "300.1 102400" > "$run.beat"; exec sleep 600'
PATH=$S/qlow:$PATH HCALL_LAB_BEAT_STALE=3 HCALL_LAB_TIMEOUT=300 "$TOP/scripts/lab" true > "$S/lab.out" 2>&1
python3 "$TOP/scripts/labclass.py" 125 "$S/lab.out" > "$S/cls"
is "$? $(cut -d: -f1 "$S/cls")" "1 lab-hang-low-memory" "but not when the lab's memory ran out (100 MiB left): a leak of ours can do that"
fakeq qtalk 'echo "5.0 2000000" > "$run.beat"; for i in 1 2 3 4 5 6; do echo "line $i"; sleep 1; done; echo 0 > "$run.rc"'
PATH=$S/qtalk:$PATH HCALL_LAB_BEAT_STALE=3 HCALL_LAB_TIMEOUT=300 "$TOP/scripts/lab" true > "$S/lab.out" 2>&1
is "$?" 0 "nor does a stopped heartbeat end a lab whose console still speaks"
fakeq qbeat 'for i in 1 2 3 4 5 6; do echo "$i.0 2000000" > "$run.beat"; sleep 1; done; echo 0 > "$run.rc"'
PATH=$S/qbeat:$PATH HCALL_LAB_BEAT_STALE=3 HCALL_LAB_TIMEOUT=300 "$TOP/scripts/lab" true > "$S/lab.out" 2>&1
is "$?" 0 "a heartbeat that goes on keeps a lab that runs longer than the stale limit"

# lab-init's report of a command that ran past the lab's deadline: a hang
# in a live lab, never retried, even with lab trouble in the log it prints
# (that shows where it hung). The message is lab-init's own.
msg=$(sed -n 's/.*echo "\(lab: the command ran past the lab.s deadline\) .*/\1/p' "$TOP/scripts/lab-init")
printf '%s\n' "ok 1 - a" "$msg (840 s of uptime); the lab host is alive. What ran:" \
	"lab-ps: 812 S hcall-run wchan=do_sys_poll" "lab: the lab kernel's log, last 80 lines:" \
	"lab-dmesg: [  700.1] tun: Universal TUN/TAP device driver, 1.6" > "$S/log"
python3 "$TOP/scripts/labclass.py" 125 "$S/log" > "$S/cls"
is "$? $(cut -d: -f1 "$S/cls")" "1 command-timeout" "a hang in a live lab host is never retried"
echo "lab-dmesg: [  801.2] rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:" >> "$S/log"
python3 "$TOP/scripts/labclass.py" 125 "$S/log" > "$S/cls"
is "$? $(cut -d: -f1 "$S/cls")" "1 command-timeout" "not even with an RCU stall in the lab kernel's log"
# A guest the lab failed, with its evidence, spent its timeout before the
# deadline: that is a lab failure, retried (a hang of ours comes back).
{ echo "# lab-evidence guest-livelock blk-fio: exits=1284609 insn_emulation=1258479 pf_guest=1242455"
  cat "$S/log"; } > "$S/log2"
python3 "$TOP/scripts/labclass.py" 125 "$S/log2" > "$S/cls"
is "$? $(cut -d: -f1 "$S/cls")" "0 guest-livelock" "a guest's lab evidence before the deadline makes it a retried lab failure"
{ echo "# lab-evidence guest-cpu-state blk-fio: #PF error code 0x10 at a kernel rip"
  cat "$S/log"; } > "$S/log3"
python3 "$TOP/scripts/labclass.py" 125 "$S/log3" > "$S/cls"
is "$? $(cut -d: -f1 "$S/cls")" "1 command-timeout" "a crashed guest's evidence does not excuse a deadline (a crash takes no time)"
echo "lab-dmesg: [  802.2] traps: hcall-run[812] general protection fault ip:4011 sp:7ff error:0" >> "$S/log2"
is "$(python3 "$TOP/scripts/labclass.py" 125 "$S/log2" | cut -d: -f1)" ours-crash \
	"but not over a fault of ours"
echo "lab-dmesg: [  802.2] traps: hcall-run[812] general protection fault ip:4011 sp:7ff error:0" >> "$S/log"
is "$(python3 "$TOP/scripts/labclass.py" 125 "$S/log" | cut -d: -f1)" ours-crash \
	"and a fault of hcall-run in that log is ours"

rm -rf "$S"
done_testing
