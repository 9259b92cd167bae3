// SPDX-License-Identifier: LGPL-2.1-or-later
/* Windowed rate limit for log lines. */
#include "hcall/dd/ratelimit.h"

int hc_ratelimit(struct hc_ratelimit *rl, unsigned int *suppressed)
{
	struct timespec now;
	int ok;

	clock_gettime(CLOCK_MONOTONIC, &now);
	pthread_mutex_lock(&rl->lock);
	if (!rl->start || now.tv_sec - rl->start >= (time_t)rl->interval) {
		rl->start = now.tv_sec ? now.tv_sec : 1;
		rl->printed = 0;
	}
	ok = rl->printed < rl->burst;
	if (ok) {
		rl->printed++;
		*suppressed = rl->suppressed;
		rl->suppressed = 0;
	} else {
		rl->suppressed++;
	}
	pthread_mutex_unlock(&rl->lock);
	return ok;
}
