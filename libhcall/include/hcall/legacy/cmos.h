/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* MC146818 CMOS/RTC at ports 0x70/0x71: the guest's wall clock at boot. */
#ifndef HCALL_CMOS_H
#define HCALL_CMOS_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

struct hc_cmos {
	pthread_mutex_t lock;
	uint8_t index;
	uint8_t ram[128];
	time_t (*now)(void);	/* wall clock source; NULL means time() */
};

void hc_cmos_init(struct hc_cmos *c);
uint8_t hc_cmos_read(struct hc_cmos *c, unsigned int port);
void hc_cmos_write(struct hc_cmos *c, unsigned int port, uint8_t val);

#endif
