/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Where the helper programs the shim spawns (hcall-dd, hcall-slirp) are. */
#ifndef HCALL_COMMON_TOOLPATH_H
#define HCALL_COMMON_TOOLPATH_H

#include <stddef.h>

/*
 * $@env if set, else @name next to the running program (build/bin/ holds
 * them all, so a test's hcall-run-san finds the hcall-dd of its tree),
 * else @name for $PATH (spawn it with execvp/execlp: a bare name must
 * never mean the current directory). @buf holds the result.
 */
const char *hc_tool_path(const char *env, const char *name, char *buf, size_t size);

#endif
