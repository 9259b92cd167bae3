// SPDX-License-Identifier: LGPL-2.1-or-later
/* A read-only RTC: BCD, 24-hour, never mid-update, time taken at each read. */
#include <string.h>

#include "hcall/legacy/cmos.h"

#define RTC_SEC     0x00
#define RTC_MIN     0x02
#define RTC_HOUR    0x04
#define RTC_WDAY    0x06
#define RTC_MDAY    0x07
#define RTC_MON     0x08
#define RTC_YEAR    0x09
#define RTC_REG_A   0x0a
#define RTC_REG_B   0x0b
#define RTC_REG_C   0x0c
#define RTC_REG_D   0x0d
#define RTC_CENTURY 0x32

static uint8_t bcd(int v) { return (uint8_t)((v / 10) << 4 | (v % 10)); }

void hc_cmos_init(struct hc_cmos *c)
{
	memset(c, 0, sizeof(*c));
	pthread_mutex_init(&c->lock, NULL);
}

static uint8_t reg(struct hc_cmos *c, uint8_t idx)
{
	time_t t = c->now ? c->now() : time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	switch (idx) {
	case RTC_SEC: return bcd(tm.tm_sec);
	case RTC_MIN: return bcd(tm.tm_min);
	case RTC_HOUR: return bcd(tm.tm_hour);
	case RTC_WDAY: return bcd(tm.tm_wday + 1);
	case RTC_MDAY: return bcd(tm.tm_mday);
	case RTC_MON: return bcd(tm.tm_mon + 1);
	case RTC_YEAR: return bcd(tm.tm_year % 100);
	case RTC_CENTURY: return bcd((tm.tm_year + 1900) / 100);
	case RTC_REG_A: return 0x26;	/* 32.768 kHz, 1024 Hz, UIP clear */
	case RTC_REG_B: return 0x02;	/* 24-hour, BCD */
	case RTC_REG_C: return 0x00;
	case RTC_REG_D: return 0x80;	/* battery good */
	default: return c->ram[idx];
	}
}

uint8_t hc_cmos_read(struct hc_cmos *c, unsigned int port)
{
	uint8_t v;

	pthread_mutex_lock(&c->lock);
	v = (port & 1) ? reg(c, c->index) : 0xff;
	pthread_mutex_unlock(&c->lock);
	return v;
}

void hc_cmos_write(struct hc_cmos *c, unsigned int port, uint8_t val)
{
	pthread_mutex_lock(&c->lock);
	if (!(port & 1))
		c->index = val & 0x7f;	/* bit 7 is the NMI mask */
	else if (c->index > RTC_REG_D)
		c->ram[c->index] = val;
	pthread_mutex_unlock(&c->lock);
}
