#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Kernel style: checkpatch --strict and sparse over the series and modules
# (scripts/lint), and the series applies to pristine Debian source with
# `git apply` as well as with quilt --fuzz=0 (which scripts/kernel uses).
. "$(dirname "$0")/../lib/tap.sh"
while IFS= read -r line; do
	case "$line" in
	"lint: ok   "*) ok 0 "${line#lint: ok   }" ;;
	"lint: FAIL "*) ok 1 "${line#lint: FAIL }" ;;
	*) diag "$line" ;;
	esac
done < <("$TOP/scripts/lint" 2>&1)

# git apply on a pristine copy of every file the series touches.
S=$(scratch)
files=$(cat "$TOP"/patches/0*.patch | sed -n 's|^--- a/||p' | sort -u)
tar -C "$S" --strip-components=1 -xf /usr/src/linux-source-6.12.tar.xz \
	$(for f in $files; do echo "linux-source-6.12/$f"; done) 2>/dev/null
# (files that an earlier patch creates are not in the archive: that is fine)
rc=0
for p in $(grep -v '^\s*#' "$TOP/patches/series"); do
	(cd "$S" && git apply "$TOP/patches/$p") 2>&1 | sed 's/^/# /'
	[ "${PIPESTATUS[0]}" -eq 0 ] || rc=1
done
ok $rc "the series applies in order to pristine linux-source-6.12 with git apply"
rm -rf "$S"

# Shared-memory updates stay atomic on a one-vCPU guest: no LOCK prefix in
# them is one the kernel patches out when it finds a single CPU.
out=$(python3 "$TOP/tests/lib/check-smp-locks.py" "$B/guest/vmlinux" \
	hcall_gnttab_revoke hcall_evtchn_mask hcall_evtchn_unmask hcall_evtchn_ack 2>&1)
rc=$?
echo "$out" | sed 's/^/# /'
ok $rc "grant revoke and event-channel bitmaps use locked (sync_*) operations a one-CPU kernel keeps"
done_testing
