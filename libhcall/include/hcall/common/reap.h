/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Starting helper processes, and reaping them without waiting forever. */
#ifndef HCALL_COMMON_REAP_H
#define HCALL_COMMON_REAP_H

#include <sys/types.h>

/*
 * Wait up to @ms for child @pid to exit (its exit may hang on I/O the
 * kernel cannot cancel). 0 once reaped (or not our child), -1 if it lives.
 */
int hc_reap_bounded(pid_t pid, unsigned int ms);
/* hc_reap_bounded(), then SIGKILL and wait as long again: 0 reaped, -1 not. */
int hc_reap_or_kill(pid_t pid, unsigned int ms);
/*
 * In a forked helper, before its exec: no signal blocked (the shim blocks
 * its own for its signalfd) and death with the shim.
 */
void hc_child_prepare(void);

#endif
