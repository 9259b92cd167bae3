/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Error reports: the library's functions fail with a reason in a caller's buffer. */
#ifndef HCALL_COMMON_ERR_H
#define HCALL_COMMON_ERR_H

#include <stddef.h>

/* Format a reason into @err (@errlen bytes, may be 0); always returns -1. */
int hc_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
