# SPDX-License-Identifier: LGPL-2.1-or-later
# Minimal TAP producer for the shell test files (run by prove).
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
B=${HCALL_BUILD:-$TOP/build}
RUN=$B/bin/hcall-run
KERNEL=$B/guest/bzImage
INITRD=$B/guest/initramfs.cpio.gz
_tap_n=0
_tap_fail=0

ok() {	# ok COND-STATUS NAME
	_tap_n=$((_tap_n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $_tap_n - $2"
	else
		echo "not ok $_tap_n - $2"
		_tap_fail=$((_tap_fail + 1))
	fi
}

is() {	# is GOT WANT NAME
	if [ "$1" = "$2" ]; then
		ok 0 "$3"
	else
		ok 1 "$3"
		diag "got '$1', want '$2'"
	fi
}

diag() { echo "# $*"; }

# skip WHY: a check that could not be made this run (says why; never a pass).
skip() {
	_tap_n=$((_tap_n + 1))
	echo "ok $_tap_n # SKIP $1"
}

# Show a file's tail as diagnostics (after a failure).
diag_file() { tail -n "${2:-25}" "$1" | sed 's/^/#   /'; }

done_testing() {
	echo "1..$_tap_n"
	[ "$_tap_fail" -eq 0 ]
}

# Tests that need KVM re-run themselves inside the lab host when this
# machine's /dev/kvm cannot run a standard guest, and say which they used.
need_kvm() {
	if [ -z "${HCALL_SUBSTRATE:-}" ]; then
		[ "$("$TOP/scripts/kvm-ok")" = lab ] && run_in_lab "$@"
		export HCALL_SUBSTRATE=direct
	fi
	diag "KVM substrate: $HCALL_SUBSTRATE"
}

# Run the test file (run_in_lab "$0" ARGS...) in the lab host and exit with
# its status, showing the last try's TAP. The lab host itself sometimes dies
# (its Debian 6.1 nested kvm_amd under TCG soft-locks a CPU or overflows its
# stack) or livelocks a guest; the file runs again in a fresh lab, up to
# three tries, only when scripts/labclass.py finds positive evidence that the
# failure was the lab's: never for a failed test or a crash of ours. Each
# retry is one "# lab-retry class=CLASS try=N" line (tests/run counts them);
# the failed try's whole output stays in build/lab-retries/. HCALL_LAB
# replaces scripts/lab (tests/integration/harness.t uses a fake one).
run_in_lab() {
	local out rc try cls keep
	out=$(mktemp)
	export HCALL_LAB_TIMEOUT=${HCALL_LAB_TIMEOUT:-420}
	for try in 1 2 3; do
		"${HCALL_LAB:-$TOP/scripts/lab}" "$@" > "$out" 2>&1
		rc=$?
		[ $rc -ne 0 ] || break
		if ! cls=$(python3 "$TOP/scripts/labclass.py" "$rc" "$out"); then
			echo "# lab-no-retry class=${cls%%:*} try=$try (${cls#*: })"
			break
		fi
		keep=$B/lab-retries/$(basename "$1" .t).$$.$try.log
		mkdir -p "$B/lab-retries" && cp "$out" "$keep"
		if [ $try -eq 3 ]; then
			echo "# lab-gave-up class=${cls%%:*} try=$try log=${keep#"$TOP"/} (${cls#*: })"
			break
		fi
		echo "# lab-retry class=${cls%%:*} try=$try log=${keep#"$TOP"/} (${cls#*: })"
	done
	cat "$out"
	rm -f "$out"
	exit $rc
}

# Scratch directory inside the project tree (the lab's /tmp is private).
scratch() {
	local d=$B/test-scratch/$(basename "$0" .t).$$
	rm -rf "$d"
	mkdir -p "$d"
	echo "$d"
}

# Boot the test guest: guest TEST-NAME [hcall-run args...]; output in $OUT.
# The console is hvc0 for a PV guest, ttyS0 with --hvm (a later --cmdline
# wins). In the lab, a guest that times out is checked for the lab's guest
# livelock, and one that crashed or triple-faulted for the lab's emulated
# CPU (all in scripts/labclass.py), whose evidence goes out as a "#" line
# that lets run_in_lab retry the file.
# lab_evidence CLASS TEXT, in guest(): the line run_in_lab retries on; the
# caller's $test names the guest, and its $ev says the lab failed it.
lab_evidence() { echo "# lab-evidence $1 $test: $2"; ev=1; }
guest() {
	local test=$1 con=hvc0 stats=$OUT.lab-stats rc a next= dump cpus=1 ev= mem=256M hva
	shift
	for a in "$@"; do
		case "$next" in
		stats) stats=$a next= ; continue ;;
		cpus) cpus=$a next= ; continue ;;
		mem) mem=$a next= ; continue ;;
		esac
		case "$a" in
		--hvm) con=ttyS0 ;;
		--stats-json) next=stats ;;
		--stats-json=*) stats=${a#--stats-json=} ;;
		--cpus) next=cpus ;;
		--cpus=*) cpus=${a#--cpus=} ;;
		--mem) next=mem ;;
		--mem=*) mem=${a#--mem=} ;;
		esac
	done
	set -- --kernel "$KERNEL" --initrd "$INITRD" --timeout 120 \
		--cmdline "console=$con quiet hcall.test=$test" "$@"
	# In the lab: its stats and, if it crashes, its memory (the lab's
	# private /tmp), for the checks below; $CRASH_DUMP: a caller's own.
	dump=${CRASH_DUMP:-/tmp/hcall-crash.$BASHPID.$RANDOM}
	rm -f "$dump"
	[ "${HCALL_SUBSTRATE:-}" != lab ] || set -- "$@" --stats-json "$stats"
	# Guest RAM where the lab's triple-fault probe reads it (the one
	# address, in scripts/lab-shutprobe), for guests of up to 1 GiB.
	case $mem in *[0-9]) mem=${mem}M ;; esac	# hcall-run's bare numbers are MiB
	mem=$(numfmt --from=iec "$(echo "$mem" | tr a-z A-Z)" 2>/dev/null) || mem=
	hva=
	if [ "${HCALL_SUBSTRATE:-}" = lab ] && [ -n "$mem" ] && [ "$mem" -le $((1 << 30)) ]; then
		hva=ram-hva
		set -- "$@" --ram-hva "$(sed -n 's/^RAM_HVA=//p' "$TOP/scripts/lab-shutprobe")"
	fi
	[ "${HCALL_SUBSTRATE:-}" != lab ] && [ -z "${CRASH_DUMP:-}" ] || set -- "$@" --crash-dump "$dump"
	# Its pid, and in the lab a start marker in the trace of
	# scripts/lab-shutprobe, name its triple fault's record there.
	rm -f "$OUT.pid"
	(
		echo "$BASHPID" > "$OUT.pid"
		[ "${HCALL_SUBSTRATE:-}" != lab ] ||
			echo "hcall-guest-start pid=$BASHPID" 2>/dev/null > /sys/kernel/tracing/trace_marker
		exec "$RUN" "$@"
	) > "$OUT" 2>&1
	rc=$?
	# scripts/lockdep-check reads every console afterwards.
	[ -z "${HCALL_KEEP_CONSOLE:-}" ] ||
		cp "$OUT" "$HCALL_KEEP_CONSOLE/$(basename "$0" .t).$test.$$.$RANDOM"
	if [ $rc -eq 4 ] && [ "${HCALL_SUBSTRATE:-}" = lab ] &&
	   a=$(python3 "$TOP/scripts/labclass.py" --livelock "$stats"); then
		lab_evidence guest-livelock "$a"
	fi
	# A guest oops on an event no correct CPU delivers (scripts/labclass.py).
	if [ $rc -eq 3 ] && [ "${HCALL_SUBSTRATE:-}" = lab ] &&
	   a=$(python3 "$TOP/scripts/labclass.py" --cpu-state "$OUT" "$B/kobj/System.map"); then
		lab_evidence guest-cpu-state "$a"
	fi
	# Where a triple-faulted guest was (KVM clears that on AMD, the lab's
	# probe keeps it) and what its page tables in its memory map there;
	# in a one-vCPU guest that may show a fault no correct CPU takes
	# (scripts/labclass.py).
	# An HVM guest's triple fault is a reset (exit 0) that hcall-run names.
	if [ "${HCALL_SUBSTRATE:-}" = lab ] &&
	   { { [ $rc -eq 3 ] && grep -qE '^hcall-run: guest crashed: triple fault on vCPU [0-9]+' "$OUT"; } ||
	     { [ $rc -eq 0 ] && grep -q '^hcall-run: guest reset (triple fault)' "$OUT"; }; } &&
	   a=$(python3 "$TOP/scripts/labclass.py" --shutdown /sys/kernel/tracing/trace "$(cat "$OUT.pid")" "$dump"); then
		echo "# lab-shutdown $test: $a"
		# Only a dump no ring of the guest's driver domain (private or
		# shared: each detach stops its ring first) could write after.
		grep -q '^hcall-run: guest memory written to .*, every driver-domain ring stopped$' "$OUT" &&
			a=$(python3 "$TOP/scripts/labclass.py" --shutdown-evidence /sys/kernel/tracing/trace \
			"$(cat "$OUT.pid")" "$dump" "$cpus" "$B/kobj/System.map" $hva) && lab_evidence guest-shutdown "$a"
	fi
	[ -n "${CRASH_DUMP:-}" ] || rm -f "$dump"
	# The lab failed this guest: the whole file is retried for it, so the
	# rest would only spend the lab's time (and might run past its
	# deadline). A test's own shell ends here; a guest in the background
	# leaves that to its test.
	if [ -n "$ev" ] && [ "$BASHPID" = "$$" ]; then
		echo "# the lab failed guest $test: $(basename "$0") ends here, to be retried"
		exit 1
	fi
	return $rc
}

# A PV guest on hvc0 with 512 MiB, as the block tests boot it: blk TEST [args...]
blk() { local t=$1; shift; guest "$t" --cmdline "console=hvc0 quiet hcall.test=$t" --mem 512M "$@"; }

# What the guest's test printed in $OUT:
# first_field NAME: the value of the first NAME=VALUE word in the output;
first_field() { grep -oE "(^| )$1=[^[:space:]]*" "$OUT" | head -n1 | cut -d= -f2 | tr -d '\r'; }
# tagged_field TAG NAME: the value of NAME= after TAG, one for each line that has it.
tagged_field() { sed -n "s/.*$1 $2=\([^[:space:]]*\).*/\1/p" "$OUT" | tr -d '\r'; }
# wait_out TEXT SECONDS [PID]: 0 once $OUT has a line with TEXT (a fixed
# string); 1 after SECONDS, or once PID (default $gpid) has gone without it.
wait_out() {
	local end=$((SECONDS + $2)) pid=${3:-${gpid:-}}
	while [ $SECONDS -lt $end ]; do
		grep -qF -- "$1" "$OUT" 2>/dev/null && return 0
		[ -z "$pid" ] || kill -0 "$pid" 2>/dev/null || break
		sleep 0.2
	done
	grep -qF -- "$1" "$OUT" 2>/dev/null
}
# wait_path PATH SECONDS PID: 0 once PATH exists (a server's socket, or
# its ready file); 1 after SECONDS, or once PID has gone without it. In
# the lab a server may take seconds to start (Python does).
wait_path() {
	local end=$((SECONDS + $2))
	while [ $SECONDS -lt $end ]; do
		[ -e "$1" ] && return 0
		kill -0 "$3" 2>/dev/null || break
		sleep 0.1
	done
	[ -e "$1" ]
}
# wait_tagged TAG STEP SECONDS: the guest printed "TAG step=STEP "; if not
# (status 1), the console's end says where it stopped.
wait_tagged() {
	wait_out "$1 step=$2 " "$3" && return 0
	diag "no step=$2 after $3 s (hcall-run $(kill -0 "$gpid" 2>/dev/null && echo running || echo gone)):"
	diag_file "$OUT" 30
	return 1
}
# guest_ram_bytes VMM-PID: bytes the host has allocated for that guest's
# RAM (its guest-memory memfd's blocks), 0 if it has none.
guest_ram_bytes() {
	local fd
	for fd in /proc/"$1"/fd/*; do
		case "$(readlink "$fd")" in
		*memfd:hcall-guest-ram*) echo $(($(stat -L -c %b "$fd") * 512)); return 0 ;;
		esac
	done
	echo 0
}
