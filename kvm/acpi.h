/*
 * kvm/acpi.h - the minimal ACPI tables provd's VMM gives a guest, so that
 * `poweroff` reaches the VMM (\_S5 through PM1a_CNT), `reboot` can use the
 * FADT reset register, every vCPU is listed (MADT) and Linux still finds the
 * PCI bus (with ACPI on, x86 Linux only scans the buses of PNP0A03 devices
 * in the DSDT, so PCI0 is described there with its _CRS windows).
 *
 * Full (not hardware-reduced) ACPI: hardware-reduced mode makes x86 Linux
 * drop the legacy PIC and the PIT timer set-up (acpi_generic_reduced_hw_init),
 * which this VMM has in-kernel and the MP-table boot path relies on; the
 * fixed PM1 registers cost one small I/O handler.
 */
#ifndef PROVD_KVM_ACPI_H
#define PROVD_KVM_ACPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ACPI_GPA 0xe0000u		/* BIOS area: Linux scans it for "RSD PTR " */
#define ACPI_MAX_SIZE 0x10000u		/* up to the MP table at 0xf0000 */

/* Fixed hardware registers in I/O space (PM1a event 4 bytes, control 2
 * bytes, the reset register 1 byte); one handler covers all three. */
#define ACPI_PM_BASE 0x600
#define ACPI_PM_LEN 0x10
#define ACPI_PM1_EVT (ACPI_PM_BASE + 0)	/* PM1_STS (2), PM1_EN (2) */
#define ACPI_PM1_CNT (ACPI_PM_BASE + 4)
#define ACPI_RESET_PORT (ACPI_PM_BASE + 8)
#define ACPI_RESET_VALUE 0x01
#define ACPI_SCI_IRQ 9

/* PM1_CNT bits (ACPI 6.4 §4.8.3.2.1) and the \_S5 sleep type we publish */
#define ACPI_PM1_SCI_EN 0x0001
#define ACPI_PM1_SLP_TYP_SHIFT 10
#define ACPI_PM1_SLP_TYP_MASK 0x1c00
#define ACPI_PM1_SLP_EN 0x2000
#define ACPI_S5_TYP 5

struct acpi_config {
	unsigned int ncpus;		/* APIC ids 0..ncpus-1 */
	uint8_t ioapic_id;
	uint32_t ioapic_addr;
	uint32_t lapic_addr;
	uint32_t pci_mmio_base;		/* 32-bit PCI window for BARs */
	uint32_t pci_mmio_size;
	bool conf1;			/* the bridge decodes 0xcf8-0xcff */
	uint32_t ecam_base;		/* MCFG window, 0 = none */
	unsigned int ecam_buses;	/* 1-256 buses of 1 MiB from bus 0 */
	bool i8042;			/* FADT: an 8042 is worth probing */
};

/*
 * Writes RSDP (at buf offset 0), FACS, XSDT, FADT, MADT, MCFG (when
 * ecam_base is set; the DSDT then reserves the window with a PNP0C02
 * device, which Linux requires before it uses ECAM) and DSDT into buf,
 * which will be at guest address gpa (16-byte aligned). Returns the bytes
 * used, -EINVAL for bad ncpus (0 or > 254), alignment or ECAM window, -ENOSPC if len is
 * too small.
 */
int acpi_build(uint8_t *buf, size_t len, uint32_t gpa,
	       const struct acpi_config *c);

/* Bytes of p sum to zero mod 256: how every ACPI checksum is defined. */
uint8_t acpi_checksum(const uint8_t *p, size_t n);

#endif
