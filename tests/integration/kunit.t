#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The in-kernel KUnit suites (patch 0006), run by the kernel's kunit.py on
# QEMU (x86_64: the code under test is x86-only, so UML cannot build it).
. "$(dirname "$0")/../lib/tap.sh"
export CCACHE_BASEDIR=$B CCACHE_NOHASHDIR=1
log=$B/kunit.log
(cd "$B/linux-src" && timeout 1800 python3 tools/testing/kunit/kunit.py run --arch=x86_64 \
	--build_dir="$B/kunit" --kunitconfig="$TOP/tests/kunit/.kunitconfig" \
	--make_options CC="ccache gcc" --jobs "$(nproc)" --timeout 300) > "$log" 2>&1
rc=$?
n=0
while read -r status name; do
	n=$((n + 1))
	[ "$status" = PASSED ]; ok $? "kunit: $name"
done < <(sed -n 's/^\[[0-9:]*\] \[\(PASSED\|FAILED\|SKIPPED\)\] \(.*\)$/\1 \2/p' "$log")
[ "$n" -ge 6 ]; ok $? "kunit.py ran all $n test cases"
is "$rc" 0 "kunit.py exit status"
[ $rc -eq 0 ] && [ "$n" -ge 6 ] || diag_file "$log" 40
done_testing
