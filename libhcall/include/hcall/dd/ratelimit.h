/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Rate limit for log lines a peer or guest can trigger at will: at most
 * @burst lines per @interval seconds, then a count of what was dropped.
 */
#ifndef HCALL_RATELIMIT_H
#define HCALL_RATELIMIT_H

#include <pthread.h>
#include <time.h>

struct hc_ratelimit {
	pthread_mutex_t lock;
	unsigned int interval, burst;
	time_t start;			/* of the current window */
	unsigned int printed, suppressed;
};

#define HC_RATELIMIT_INIT(interval_s, burst_n) \
	{ PTHREAD_MUTEX_INITIALIZER, (interval_s), (burst_n), 0, 0, 0 }

/*
 * 1 if one more line may be printed now, with *@suppressed set to the lines
 * dropped before it (to say so); 0 if this one is dropped.
 */
int hc_ratelimit(struct hc_ratelimit *rl, unsigned int *suppressed);

#endif
