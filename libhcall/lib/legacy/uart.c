// SPDX-License-Identifier: LGPL-2.1-or-later
/* 16550A emulation: transmit is instantaneous, receive has a small FIFO. */
#include <string.h>

#include "hcall/legacy/uart.h"

#define UART_RX   0	/* RBR / THR / DLL */
#define UART_IER  1	/* IER / DLM */
#define UART_IIR  2	/* IIR (read) / FCR (write) */
#define UART_LCR  3
#define UART_MCR  4
#define UART_LSR  5
#define UART_MSR  6
#define UART_SCR  7

#define IER_RDI   0x01
#define IER_THRI  0x02
#define IIR_NO_INT 0x01
#define IIR_THRI  0x02
#define IIR_RDI   0x04
#define IIR_FIFO  0xc0
#define FCR_FIFO  0x01
#define FCR_CLEAR_RX 0x02
#define LCR_DLAB  0x80
#define MCR_DTR   0x01
#define MCR_RTS   0x02
#define MCR_OUT1  0x04
#define MCR_OUT2  0x08
#define MCR_LOOP  0x10
#define LSR_DR    0x01
#define LSR_THRE  0x20
#define LSR_TEMT  0x40
#define MSR_CTS   0x10
#define MSR_DSR   0x20
#define MSR_RI    0x40
#define MSR_DCD   0x80

void hc_uart_init(struct hc_uart *u, void (*tx)(void *, uint8_t),
		  void (*set_irq)(void *, int), void *opaque)
{
	memset(u, 0, sizeof(*u));
	pthread_mutex_init(&u->lock, NULL);
	u->tx = tx;
	u->set_irq = set_irq;
	u->opaque = opaque;
}

static uint8_t iir(const struct hc_uart *u)
{
	uint8_t fifo = (u->fcr & FCR_FIFO) ? IIR_FIFO : 0;

	if ((u->ier & IER_RDI) && u->rx_count)
		return fifo | IIR_RDI;
	if ((u->ier & IER_THRI) && u->thr_ipending)
		return fifo | IIR_THRI;
	return fifo | IIR_NO_INT;
}

/* ISA interrupts are edge-triggered: drive the line to the pending state. */
static void update_irq(struct hc_uart *u)
{
	int level = !(iir(u) & IIR_NO_INT);

	if (level != u->irq_level) {
		u->irq_level = level;
		if (u->set_irq)
			u->set_irq(u->opaque, level);
	}
}

uint8_t hc_uart_read(struct hc_uart *u, unsigned int off)
{
	uint8_t v = 0xff;

	pthread_mutex_lock(&u->lock);
	switch (off) {
	case UART_RX:
		if (u->lcr & LCR_DLAB) {
			v = u->dll;
		} else if (u->rx_count) {
			v = u->rx[u->rx_head];
			u->rx_head = (u->rx_head + 1) % HC_UART_RXBUF;
			u->rx_count--;
		} else {
			v = 0;
		}
		break;
	case UART_IER:
		v = (u->lcr & LCR_DLAB) ? u->dlm : u->ier;
		break;
	case UART_IIR:
		v = iir(u);
		/* Reading IIR acknowledges a THRE interrupt. */
		if ((v & 0x0f) == IIR_THRI)
			u->thr_ipending = 0;
		break;
	case UART_LCR:
		v = u->lcr;
		break;
	case UART_MCR:
		v = u->mcr;
		break;
	case UART_LSR:
		v = LSR_THRE | LSR_TEMT | (u->rx_count ? LSR_DR : 0);
		break;
	case UART_MSR:
		if (u->mcr & MCR_LOOP)
			v = (uint8_t)(((u->mcr & MCR_DTR) ? MSR_DSR : 0) |
				      ((u->mcr & MCR_RTS) ? MSR_CTS : 0) |
				      ((u->mcr & MCR_OUT1) ? MSR_RI : 0) |
				      ((u->mcr & MCR_OUT2) ? MSR_DCD : 0));
		else
			v = MSR_DCD | MSR_DSR | MSR_CTS;
		break;
	case UART_SCR:
		v = u->scr;
		break;
	}
	update_irq(u);
	pthread_mutex_unlock(&u->lock);
	return v;
}

void hc_uart_write(struct hc_uart *u, unsigned int off, uint8_t val)
{
	pthread_mutex_lock(&u->lock);
	switch (off) {
	case UART_RX:
		if (u->lcr & LCR_DLAB) {
			u->dll = val;
			break;
		}
		/* Drop the line so the re-armed THRE interrupt is a new edge. */
		u->thr_ipending = 0;
		update_irq(u);
		if (u->mcr & MCR_LOOP) {
			if (u->rx_count < HC_UART_RXBUF) {
				u->rx[(u->rx_head + u->rx_count) % HC_UART_RXBUF] = val;
				u->rx_count++;
			}
		} else if (u->tx) {
			u->tx(u->opaque, val);
		}
		u->thr_ipending = 1;
		break;
	case UART_IER:
		if (u->lcr & LCR_DLAB) {
			u->dlm = val;
			break;
		}
		/* Enabling THRI with an empty THR raises it at once. */
		if ((val & IER_THRI) && !(u->ier & IER_THRI))
			u->thr_ipending = 1;
		u->ier = val & 0x0f;
		break;
	case UART_IIR:
		u->fcr = val & 0xc9;
		if (val & FCR_CLEAR_RX)
			u->rx_head = u->rx_count = 0;
		break;
	case UART_LCR:
		u->lcr = val;
		break;
	case UART_MCR:
		u->mcr = val & 0x1f;
		break;
	case UART_SCR:
		u->scr = val;
		break;
	}
	update_irq(u);
	pthread_mutex_unlock(&u->lock);
}

unsigned int hc_uart_receive(struct hc_uart *u, const uint8_t *buf, unsigned int len)
{
	unsigned int n = 0;

	pthread_mutex_lock(&u->lock);
	while (n < len && u->rx_count < HC_UART_RXBUF && !(u->mcr & MCR_LOOP)) {
		u->rx[(u->rx_head + u->rx_count) % HC_UART_RXBUF] = buf[n++];
		u->rx_count++;
	}
	update_irq(u);
	pthread_mutex_unlock(&u->lock);
	return n;
}
