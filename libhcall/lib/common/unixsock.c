// SPDX-License-Identifier: LGPL-2.1-or-later
/* Unix socket paths that a server takes over at start-up. */
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hcall/common/unixsock.h"

int hc_unix_stale(const struct sockaddr_un *a, int type)
{
	int fd = socket(AF_UNIX, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0), ret;

	if (fd < 0)
		return 0;
	ret = connect(fd, (const struct sockaddr *)a, sizeof(*a)) < 0 && errno == ECONNREFUSED;
	close(fd);
	return ret;
}
