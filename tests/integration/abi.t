#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# One ABI: libhcall's header and the kernel's copy from the series are the
# same bytes, and it compiles without a single padding hole.
. "$(dirname "$0")/../lib/tap.sh"
abi=$TOP/libhcall/include/hcall/abi.h
kcopy=$B/linux-src/include/uapi/linux/hcall.h
cmp -s "$abi" "$kcopy"
ok $? "include/uapi/linux/hcall.h in the patched tree is libhcall's abi.h"
# The copy the patch adds, checked without the tree.
diff <(sed -n '/^+++ b\/include\/uapi\/linux\/hcall.h/,/^--- /p' "$TOP"/patches/0001-*.patch |
	sed -n 's/^+//p' | sed '1d') "$abi" > /dev/null
ok $? "patch 0001 carries the same bytes"
printf '#include "hcall/abi.h"\nint main(void) { return 0; }\n' |
	gcc -std=c11 -Wall -Wextra -Wpadded -Werror -I"$TOP/libhcall/include" -x c - -o /dev/null
ok $? "abi.h has no padding holes (-Wpadded)"
done_testing
