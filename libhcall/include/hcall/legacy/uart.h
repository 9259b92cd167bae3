/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A 16550A UART as the Linux 8250 driver sees it: enough for a console. */
#ifndef HCALL_UART_H
#define HCALL_UART_H

#include <pthread.h>
#include <stdint.h>

#define HC_UART_RXBUF 256

struct hc_uart {
	pthread_mutex_t lock;
	uint8_t ier, lcr, mcr, scr, fcr, dll, dlm;
	int thr_ipending;	/* THR empty interrupt latched */
	int irq_level;		/* current level of the interrupt line */
	uint8_t rx[HC_UART_RXBUF];
	unsigned int rx_head, rx_count;
	void (*tx)(void *opaque, uint8_t byte);
	void (*set_irq)(void *opaque, int level);
	void *opaque;
};

void hc_uart_init(struct hc_uart *u, void (*tx)(void *, uint8_t),
		  void (*set_irq)(void *, int), void *opaque);
/* Register access at offset @off (0..7). Thread-safe. */
uint8_t hc_uart_read(struct hc_uart *u, unsigned int off);
void hc_uart_write(struct hc_uart *u, unsigned int off, uint8_t val);
/* Queue received bytes; returns how many fit. */
unsigned int hc_uart_receive(struct hc_uart *u, const uint8_t *buf, unsigned int len);

#endif
