// SPDX-License-Identifier: LGPL-2.1-or-later
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hcall/common/toolpath.h"

const char *hc_tool_path(const char *env, const char *name, char *buf, size_t size)
{
	const char *e = secure_getenv(env);	/* never from the environment of a setuid run */
	ssize_t n;
	char *slash;

	if (e && *e)
		return e;
	n = readlink("/proc/self/exe", buf, size);
	if (n <= 0 || (size_t)n >= size)
		return name;
	buf[n] = '\0';
	slash = strrchr(buf, '/');
	if (!slash || (size_t)(slash + 1 - buf) + strlen(name) >= size)
		return name;
	strcpy(slash + 1, name);
	return buf;
}
