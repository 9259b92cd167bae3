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

# Show a file's tail as diagnostics (after a failure).
diag_file() { tail -n "${2:-25}" "$1" | sed 's/^/#   /'; }

done_testing() {
	echo "1..$_tap_n"
	[ "$_tap_fail" -eq 0 ]
}

# Tests that need KVM re-run themselves inside the lab host when this
# machine's /dev/kvm cannot run a standard guest, and say which they used.
#
# The lab host itself sometimes dies: its Debian 6.1 nested kvm_amd under
# TCG can soft-lock a CPU for good (about once in ten lab runs; the stuck
# CPU loops injecting the guest's APIC timer interrupt) or, rarely, overflow
# its own kernel stack. scripts/lab then reports 125; the whole test file
# runs again in a fresh lab, up to three tries, and only the last run's TAP
# is shown. A test that fails is never retried.
need_kvm() {
	if [ -z "${HCALL_SUBSTRATE:-}" ]; then
		if [ "$("$TOP/scripts/kvm-ok")" = lab ]; then
			local out rc try
			out=$(mktemp)
			export HCALL_LAB_TIMEOUT=${HCALL_LAB_TIMEOUT:-420}
			for try in 1 2 3; do
				"$TOP/scripts/lab" "$@" > "$out" 2>&1
				rc=$?
				[ $rc -eq 125 ] || break
				echo "# lab host died on try $try ($(grep -m1 -o -E \
					'soft lockup[^[]*|stack guard page was hit|Kernel panic - not syncing' "$out" ||
					echo 'no status'))"
			done
			cat "$out"
			rm -f "$out"
			exit $rc
		fi
		export HCALL_SUBSTRATE=direct
	fi
	diag "KVM substrate: $HCALL_SUBSTRATE"
}

# Scratch directory inside the project tree (the lab's /tmp is private).
scratch() {
	local d=$B/test-scratch/$(basename "$0" .t).$$
	rm -rf "$d"
	mkdir -p "$d"
	echo "$d"
}

# Boot the test guest: guest TEST-NAME [hcall-run args...]; output in $OUT.
guest() {
	local test=$1
	shift
	"$RUN" --kernel "$KERNEL" --initrd "$INITRD" --timeout 120 \
		--cmdline "console=ttyS0 quiet hcall.test=$test" "$@" > "$OUT" 2>&1
}
