// SPDX-License-Identifier: LGPL-2.1-or-later
/* The contended kernel lock shared by the guest's pvcpu and cpubench:
 * each locker thread dup()s and close()s `table_fd` `lockops` times, so
 * the threads of one process contend for its fd table's spinlock. */
#ifndef HCALL_GUEST_FDLOCK_H
#define HCALL_GUEST_FDLOCK_H

#include <unistd.h>

static int table_fd;
static long lockops;

static void *locker(void *arg)
{
	(void)arg;
	for (long i = 0; i < lockops; i++) {
		int fd = dup(table_fd);

		if (fd < 0 || close(fd))
			return (void *)1;
	}
	return NULL;
}

#endif
