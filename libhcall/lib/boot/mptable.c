// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Intel MultiProcessor Specification 1.4 tables: how a guest without ACPI
 * finds its CPUs, the I/O APIC and the ISA interrupt routing.
 */
#include <string.h>

#include "hcall/boot/mptable.h"
#include "hcall/layout.h"

#define MPC_PROCESSOR 0
#define MPC_BUS       1
#define MPC_IOAPIC    2
#define MPC_INTSRC    3
#define MPC_LINTSRC   4

#define MP_IRQ_INT    0
#define MP_IRQ_NMI    1
#define MP_IRQ_EXTINT 3

#define ISA_IRQS      16

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)v); put16(p + 2, (uint16_t)(v >> 16)); }

static uint8_t checksum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s += *p++;
	return (uint8_t)-s;
}

/* I/O and local interrupt entries share one 8-byte shape. */
static size_t intsrc(uint8_t *e, uint8_t entry, uint8_t type, uint8_t bus_irq,
		     uint8_t apic, uint8_t pin)
{
	e[0] = entry;
	e[1] = type;
	put16(e + 2, 0);	/* polarity/trigger: conform to the bus */
	e[4] = 0;		/* ISA bus */
	e[5] = bus_irq;
	e[6] = apic;
	e[7] = pin;
	return 8;
}

long hc_mptable_build(uint8_t *dst, size_t room, uint32_t gpa, int ncpus)
{
	const size_t need = 16 + 44 + (size_t)ncpus * 20 + 8 + 8 + (ISA_IRQS + 2) * 8;
	uint8_t *mpf = dst, *mpc = dst + 16, *e;
	uint8_t ioapic_id = (uint8_t)ncpus;
	uint16_t entries = 0;
	int i;

	if (ncpus < 1 || ncpus > HC_MAX_VCPUS || room < need)
		return -1;
	memset(dst, 0, need);

	memcpy(mpc, "PCMP", 4);
	mpc[6] = 4;			/* spec revision 1.4 */
	memcpy(mpc + 8, "HCALL   ", 8);
	memcpy(mpc + 16, "HCALL VM    ", 12);
	put32(mpc + 36, HC_LAPIC_ADDR);
	e = mpc + 44;

	for (i = 0; i < ncpus; i++, entries++, e += 20) {
		e[0] = MPC_PROCESSOR;
		e[1] = (uint8_t)i;	/* local APIC id */
		e[2] = 0x14;		/* local APIC version */
		e[3] = 0x01 | (i == 0 ? 0x02 : 0);	/* enabled, bootstrap */
		put32(e + 4, 0x600);	/* family 6 signature */
		put32(e + 8, 0x201);	/* FPU | APIC */
	}
	e[0] = MPC_BUS;
	memcpy(e + 2, "ISA   ", 6);
	e += 8, entries++;
	e[0] = MPC_IOAPIC;
	e[1] = ioapic_id;
	e[2] = 0x11;
	e[3] = 0x01;			/* enabled */
	put32(e + 4, HC_IOAPIC_ADDR);
	e += 8, entries++;
	/* KVM's default GSI routing is the identity for ISA IRQs. */
	for (i = 0; i < ISA_IRQS; i++, entries++)
		e += intsrc(e, MPC_INTSRC, MP_IRQ_INT, (uint8_t)i, ioapic_id, (uint8_t)i);
	/* ExtINT on LINT0 and NMI on LINT1 of every local APIC. */
	e += intsrc(e, MPC_LINTSRC, MP_IRQ_EXTINT, 0, 0xff, 0);
	e += intsrc(e, MPC_LINTSRC, MP_IRQ_NMI, 0, 0xff, 1);
	entries += 2;

	put16(mpc + 4, (uint16_t)(e - mpc));	/* base table length */
	put16(mpc + 34, entries);
	mpc[7] = checksum(mpc, (size_t)(e - mpc));

	memcpy(mpf, "_MP_", 4);
	put32(mpf + 4, gpa + 16);
	mpf[8] = 1;			/* length in 16-byte units */
	mpf[9] = 4;
	mpf[10] = checksum(mpf, 16);
	return e - dst;
}
