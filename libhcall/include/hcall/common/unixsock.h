/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unix socket paths that a server takes over at start-up. */
#ifndef HCALL_COMMON_UNIXSOCK_H
#define HCALL_COMMON_UNIXSOCK_H

#include <sys/un.h>

/*
 * 1 if the socket of @type bound at @a is stale: connecting is refused, so
 * nobody listens there any more (a killed server's); 0 if someone listens,
 * or it could not be told.
 */
int hc_unix_stale(const struct sockaddr_un *a, int type);

#endif
