// SPDX-License-Identifier: LGPL-2.1-or-later
/* The emulated 16550A and CMOS RTC, driven as the Linux drivers drive them. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "hcall/legacy/cmos.h"
#include "hcall/legacy/uart.h"

struct sink {
	char out[64];
	int n;
	int level;
	int edges;	/* 0 -> 1 transitions: what an edge-triggered pin sees */
};

static void tx(void *o, uint8_t b)
{
	struct sink *s = o;

	s->out[s->n++] = (char)b;
}

static void irq(void *o, int level)
{
	struct sink *s = o;

	s->edges += level && !s->level;
	s->level = level;
}

static void uart_transmits_and_reports_empty(void **state)
{
	struct hc_uart u;
	struct sink s = { 0 };

	(void)state;
	hc_uart_init(&u, tx, irq, &s);
	hc_uart_write(&u, 0, 'h');
	hc_uart_write(&u, 0, 'i');
	assert_int_equal(s.n, 2);
	assert_memory_equal(s.out, "hi", 2);
	assert_int_equal(hc_uart_read(&u, 5) & 0x60, 0x60);	/* THRE | TEMT */
	assert_int_equal(s.edges, 0);	/* interrupts are off */
}

static void uart_thre_interrupt_edges(void **state)
{
	struct hc_uart u;
	struct sink s = { 0 };

	(void)state;
	hc_uart_init(&u, tx, irq, &s);
	hc_uart_write(&u, 1, 0x02);	/* IER.THRI with THR empty: fires */
	assert_int_equal(s.edges, 1);
	assert_int_equal(hc_uart_read(&u, 2) & 0x0f, 0x02);
	assert_int_equal(s.level, 0);	/* reading IIR acknowledged it */
	assert_int_equal(hc_uart_read(&u, 2) & 0x0f, 0x01);
	hc_uart_write(&u, 0, 'x');	/* each byte sent re-arms it: new edge */
	hc_uart_write(&u, 0, 'y');
	assert_int_equal(s.edges, 3);
	hc_uart_write(&u, 1, 0x00);
	assert_int_equal(s.level, 0);
}

static void uart_receives_with_interrupt(void **state)
{
	struct hc_uart u;
	struct sink s = { 0 };
	uint8_t big[300];

	(void)state;
	hc_uart_init(&u, tx, irq, &s);
	hc_uart_write(&u, 1, 0x01);	/* IER.RDI */
	assert_int_equal(hc_uart_receive(&u, (const uint8_t *)"ab", 2), 2);
	assert_int_equal(s.level, 1);
	assert_int_equal(hc_uart_read(&u, 2) & 0x0f, 0x04);
	assert_int_equal(hc_uart_read(&u, 5) & 1, 1);
	assert_int_equal(hc_uart_read(&u, 0), 'a');
	assert_int_equal(hc_uart_read(&u, 0), 'b');
	assert_int_equal(hc_uart_read(&u, 5) & 1, 0);
	assert_int_equal(s.level, 0);
	/* The FIFO bounds what is accepted; the rest waits for the caller. */
	memset(big, 'z', sizeof(big));
	assert_int_equal(hc_uart_receive(&u, big, sizeof(big)), HC_UART_RXBUF);
	hc_uart_write(&u, 2, 0x03);	/* FCR: enable + clear RX */
	assert_int_equal(hc_uart_read(&u, 5) & 1, 0);
	assert_int_equal(hc_uart_read(&u, 2) & 0xc0, 0xc0);	/* 16550A FIFO */
}

static void uart_loopback_and_divisor(void **state)
{
	struct hc_uart u;
	struct sink s = { 0 };

	(void)state;
	hc_uart_init(&u, tx, irq, &s);
	hc_uart_write(&u, 4, 0x10 | 0x0a);	/* LOOP | RTS | OUT2 */
	assert_int_equal(hc_uart_read(&u, 6) & 0xf0, 0x90);	/* CTS | DCD */
	hc_uart_write(&u, 0, 'q');		/* loops back, not out */
	assert_int_equal(s.n, 0);
	assert_int_equal(hc_uart_read(&u, 0), 'q');
	hc_uart_write(&u, 4, 0);
	hc_uart_write(&u, 3, 0x80);		/* DLAB */
	hc_uart_write(&u, 0, 0x01);
	hc_uart_write(&u, 1, 0x00);
	assert_int_equal(hc_uart_read(&u, 0), 0x01);
	hc_uart_write(&u, 3, 0x03);
	assert_int_equal(s.n, 0);
	hc_uart_write(&u, 7, 0x5a);
	assert_int_equal(hc_uart_read(&u, 7), 0x5a);
}

static time_t fixed_time(void)
{
	return 1795305600 + 13 * 3600 + 45 * 60 + 7;	/* 2026-11-22 13:45:07 UTC */
}

static void cmos_reports_bcd_time(void **state)
{
	struct hc_cmos c;
	static const struct { uint8_t reg, val; } want[] = {
		{ 0x00, 0x07 }, { 0x02, 0x45 }, { 0x04, 0x13 }, { 0x07, 0x22 },
		{ 0x08, 0x11 }, { 0x09, 0x26 }, { 0x32, 0x20 }, { 0x0b, 0x02 },
		{ 0x0d, 0x80 },
	};
	size_t i;

	(void)state;
	hc_cmos_init(&c);
	c.now = fixed_time;
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		hc_cmos_write(&c, 0x70, want[i].reg | 0x80);	/* NMI bit ignored */
		assert_int_equal(hc_cmos_read(&c, 0x71), want[i].val);
	}
	hc_cmos_write(&c, 0x70, 0x0a);
	assert_int_equal(hc_cmos_read(&c, 0x71) & 0x80, 0);	/* UIP clear */
	hc_cmos_write(&c, 0x70, 0x40);
	hc_cmos_write(&c, 0x71, 0x99);
	assert_int_equal(hc_cmos_read(&c, 0x71), 0x99);
	hc_cmos_write(&c, 0x70, 0x00);
	hc_cmos_write(&c, 0x71, 0x99);				/* clock is read-only */
	assert_int_equal(hc_cmos_read(&c, 0x71), 0x07);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(uart_transmits_and_reports_empty),
		cmocka_unit_test(uart_thre_interrupt_edges),
		cmocka_unit_test(uart_receives_with_interrupt),
		cmocka_unit_test(uart_loopback_and_divisor),
		cmocka_unit_test(cmos_reports_bcd_time),
	};

	return cmocka_run_group_tests_name("devices", tests, NULL, NULL);
}
