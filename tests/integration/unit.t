#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# libhcall's cmocka unit tests, built plain and with ASan + UBSan.
. "$(dirname "$0")/../lib/tap.sh"
export HCALL_DD=$B/bin/hcall-dd	# test_dd runs the driver domain process
for t in "$B"/unit/test_* "$B"/unit-san/test_*; do
	out=$("$t" 2>&1)
	rc=$?
	ok $rc "$(basename "$(dirname "$t")")/$(basename "$t"): $(echo "$out" | grep -E 'PASSED|FAILED' | head -n1)"
	[ $rc -eq 0 ] || echo "$out" | sed 's/^/#   /'
done
done_testing
