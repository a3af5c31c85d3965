/*
 * kvm/mptable.c - MP tables (Intel MultiProcessor Specification 1.4,
 * chapter 4): floating pointer "_MP_" then the "PCMP" configuration table
 * with processor, bus, I/O APIC, I/O interrupt and local interrupt entries.
 *
 * ISA IRQ n goes to I/O APIC pin n, which is KVM's default GSI routing for
 * the in-kernel irqchip (the PIT raises GSI 0). LINT0 is ExtINT (virtual
 * wire from the PIC) and LINT1 NMI on every CPU, as the vCPU setup
 * programs the LAPICs. PCI devices use MSI-X only, so no PCI INTx entries.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "kvm/mptable.h"

#define FP_SIZE 16
#define HDR_SIZE 44
#define PROC_SIZE 20
#define SMALL_SIZE 8
#define ISA_IRQS 16

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = v;
	p[1] = v >> 8;
}

static void wr32(uint8_t *p, uint32_t v)
{
	wr16(p, v);
	wr16(p + 2, v >> 16);
}

/* §4.1/§4.2: the bytes of a structure sum to zero */
static uint8_t checksum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s += *p++;
	return (uint8_t)-s;
}

static uint8_t *intr(uint8_t *p, uint8_t type, uint8_t kind, uint8_t bus,
		     uint8_t irq, uint8_t dst, uint8_t pin)
{
	p[0] = type;
	p[1] = kind;
	wr16(p + 2, 0);		/* conforms to bus polarity/trigger */
	p[4] = bus;
	p[5] = irq;
	p[6] = dst;
	p[7] = pin;
	return p + SMALL_SIZE;
}

int mptable_build(uint8_t *buf, size_t len, uint32_t gpa, unsigned int ncpus)
{
	size_t need;
	uint8_t *fp = buf, *hdr = buf + FP_SIZE, *p;
	unsigned int i, entries;
	uint8_t ioapic_id = (uint8_t)ncpus;

	if (ncpus == 0 || ncpus > MPTABLE_MAX_CPUS)
		return -EINVAL;
	entries = ncpus + 2 + 1 + ISA_IRQS + 2;
	need = FP_SIZE + HDR_SIZE + PROC_SIZE * ncpus +
	       SMALL_SIZE * (entries - ncpus);
	if (len < need)
		return -ENOSPC;
	memset(buf, 0, need);

	p = hdr + HDR_SIZE;
	for (i = 0; i < ncpus; i++) {
		p[0] = 0;			/* processor */
		p[1] = (uint8_t)i;		/* local APIC id */
		p[2] = 0x14;			/* integrated APIC version */
		p[3] = 1 | (i == 0 ? 2 : 0);	/* enabled, BSP */
		wr32(p + 4, 0x600);		/* family 6 signature */
		wr32(p + 8, 0x201);		/* FPU, APIC present */
		p += PROC_SIZE;
	}
	p[0] = 1;				/* bus 0: PCI */
	p[1] = 0;
	memcpy(p + 2, "PCI   ", 6);
	p += SMALL_SIZE;
	p[0] = 1;				/* bus 1: ISA */
	p[1] = 1;
	memcpy(p + 2, "ISA   ", 6);
	p += SMALL_SIZE;
	p[0] = 2;				/* I/O APIC */
	p[1] = ioapic_id;
	p[2] = 0x11;
	p[3] = 1;				/* enabled */
	wr32(p + 4, MPTABLE_IOAPIC_ADDR);
	p += SMALL_SIZE;
	for (i = 0; i < ISA_IRQS; i++)
		p = intr(p, 3, 0, 1, (uint8_t)i, ioapic_id, (uint8_t)i);
	p = intr(p, 4, 3, 1, 0, 0xff, 0);	/* LINT0 ExtINT, all CPUs */
	p = intr(p, 4, 1, 1, 0, 0xff, 1);	/* LINT1 NMI */

	memcpy(hdr, "PCMP", 4);
	wr16(hdr + 4, (uint16_t)(p - hdr));
	hdr[6] = 4;				/* spec 1.4 */
	memcpy(hdr + 8, "PROVD   ", 8);
	memcpy(hdr + 16, "PROVD VMM   ", 12);
	wr16(hdr + 34, (uint16_t)entries);
	wr32(hdr + 36, MPTABLE_LAPIC_ADDR);
	hdr[7] = checksum(hdr, (size_t)(p - hdr));

	memcpy(fp, "_MP_", 4);
	wr32(fp + 4, gpa + FP_SIZE);
	fp[8] = 1;				/* length in 16-byte units */
	fp[9] = 4;
	fp[10] = checksum(fp, FP_SIZE);
	return (int)(p - buf);
}
