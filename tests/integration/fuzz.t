#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# libFuzzer targets (clang, ASan + UBSan), each for a bounded time.
. "$(dirname "$0")/../lib/tap.sh"
for f in "$B"/fuzz/fuzz_*; do
	corpus=$B/fuzz-corpus/$(basename "$f")
	mkdir -p "$corpus"
	out=$("$f" -max_total_time="${HCALL_FUZZ_SECONDS:-20}" -print_final_stats=1 "$corpus" 2>&1)
	rc=$?
	execs=$(echo "$out" | sed -n 's/^stat::number_of_executed_units: *//p')
	ok $rc "$(basename "$f"): ${execs:-0} inputs, no crash"
	[ $rc -eq 0 ] || echo "$out" | tail -30 | sed 's/^/#   /'
done
done_testing
