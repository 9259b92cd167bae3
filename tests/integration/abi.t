#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# One ABI: libhcall's header and the kernel's copy from the series are the
# same bytes, and it compiles without a single padding hole.
. "$(dirname "$0")/../lib/tap.sh"
abi=$TOP/libhcall/include/hcall/abi.h
kcopy=$B/linux-src/include/uapi/linux/hcall.h
cmp -s "$abi" "$kcopy"
ok $? "include/uapi/linux/hcall.h in the patched tree is libhcall's abi.h"
# The series itself, checked without the unpacked tree.
S=$(scratch)
(cd "$S" && git init -q . && for p in $(grep -v '^\s*#' "$TOP/patches/series"); do
	grep -q '^+++ b/include/uapi/linux/hcall.h' "$TOP/patches/$p" || continue
	git apply --include='include/uapi/linux/hcall.h' "$TOP/patches/$p" || exit 1
done) 2>/dev/null
cmp -s "$S/include/uapi/linux/hcall.h" "$abi"
ok $? "the series, applied on its own, creates the same bytes"
rm -rf "$S"
printf '#include "hcall/abi.h"\nint main(void) { return 0; }\n' |
	gcc -std=c11 -Wall -Wextra -Wpadded -Werror -I"$TOP/libhcall/include" -x c - -o /dev/null
ok $? "abi.h has no padding holes (-Wpadded)"
done_testing
