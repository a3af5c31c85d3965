/* test_acpi: the ACPI tables provd's VMM gives a guest: RSDP (both
 * checksums, XSDT pointer), every table's checksum, XSDT -> FADT + MADT,
 * FADT -> FACS + DSDT, the PM1 and reset registers, one enabled LAPIC per
 * vCPU in the MADT plus the I/O APIC, overrides and NMI, a DSDT whose AML
 * package lengths close exactly at the table's end with \_S5 and a PNP0A03
 * root bridge; with ECAM an MCFG entry and its PNP0C02 reservation and no
 * conf1 ports in the bridge's _CRS (and the reverse with conf1); the FADT
 * 8042 flag; limits. */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "kvm/acpi.h"

#define GPA 0xe0000u

static uint8_t buf[ACPI_MAX_SIZE];

static uint32_t rd32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd64(const uint8_t *p)
{
	return rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

static struct acpi_config cfg(unsigned int ncpus)
{
	struct acpi_config c = {
		.ncpus = ncpus,
		.ioapic_id = (uint8_t)ncpus,
		.ioapic_addr = 0xfec00000u,
		.lapic_addr = 0xfee00000u,
		.pci_mmio_base = 0xc0000000u,
		.pci_mmio_size = 0xfec00000u - 0xc0000000u,
	};
	return c;
}

/* a table at guest address a: inside what was built, checksum zero */
static const uint8_t *table(uint64_t a, int n, const char *sig)
{
	const uint8_t *t;
	uint32_t len;

	assert_true(a >= GPA && a + 36 <= GPA + (uint64_t)n);
	t = buf + (a - GPA);
	assert_memory_equal(t, sig, 4);
	len = rd32(t + 4);
	assert_true(len >= 36 && a + len <= GPA + (uint64_t)n);
	assert_int_equal(acpi_checksum(t, len), 0);
	return t;
}

/* AML PkgLength at p: returns the encoded length, *n its byte count */
static size_t pkglen(const uint8_t *p, size_t *n)
{
	unsigned int follow = p[0] >> 6;
	size_t v;

	*n = 1 + follow;
	if (!follow)
		return p[0] & 0x3f;
	v = p[0] & 0x0f;
	for (unsigned int i = 0; i < follow; i++)
		v |= (size_t)p[1 + i] << (4 + 8 * i);
	return v;
}

static bool contains(const uint8_t *p, size_t n, const void *needle,
		     size_t m)
{
	for (size_t i = 0; i + m <= n; i++)
		if (memcmp(p + i, needle, m) == 0)
			return true;
	return false;
}

#define ECAM 0xe0000000u

static void check_cfg(const struct acpi_config *cp)
{
	struct acpi_config c = *cp;
	unsigned int ncpus = c.ncpus;
	const uint8_t *rsdp = buf, *xsdt, *fadt, *madt, *dsdt, *facs, *e,
		      *end, *aml, *mcfg;
	/* IO(Decode16, 0xcf8, 0xcf8, 1, 8) and Memory32Fixed(RW, ECAM, 16 MiB) */
	static const uint8_t io_cf8[8] = { 0x47, 0x01, 0xf8, 0x0c, 0xf8, 0x0c,
					   0x01, 0x08 };
	static const uint8_t fixmem[12] = { 0x86, 0x09, 0x00, 0x01, 0x00, 0x00,
					    0x00, 0xe0, 0x00, 0x00, 0x00, 0x01 };
	/* bus range 0-15 of a Word Address Space Descriptor: min, max */
	static const uint8_t bus0_15[4] = { 0x00, 0x00, 0x0f, 0x00 };
	/* EISAID("PNP0C02") */
	static const uint8_t pnp0c02[4] = { 0x41, 0xd0, 0x0c, 0x02 };
	unsigned int lapics = 0, ioapics = 0, isos = 0, nmis = 0;
	size_t n1, plen, body;
	/* EISAID("PNP0A03") as it appears in AML */
	static const uint8_t pnp0a03[4] = { 0x41, 0xd0, 0x0a, 0x03 };
	int n;

	memset(buf, 0xaa, sizeof(buf));
	n = acpi_build(buf, sizeof(buf), GPA, &c);
	assert_true(n > 0);

	assert_memory_equal(rsdp, "RSD PTR ", 8);
	assert_int_equal(acpi_checksum(rsdp, 20), 0);
	assert_int_equal(rsdp[15], 2);
	assert_int_equal(rd32(rsdp + 20), 36);
	assert_int_equal(acpi_checksum(rsdp, 36), 0);

	xsdt = table(rd64(rsdp + 24), n, "XSDT");
	assert_int_equal(rd32(xsdt + 4), 36 + (c.ecam_base ? 24 : 16));
	fadt = table(rd64(xsdt + 36), n, "FACP");
	madt = table(rd64(xsdt + 44), n, "APIC");
	if (c.ecam_base) {
		/* MCFG: one allocation, segment 0, buses 0..ecam_buses-1 */
		mcfg = table(rd64(xsdt + 52), n, "MCFG");
		assert_int_equal(rd32(mcfg + 4), 36 + 8 + 16);
		assert_int_equal(rd64(mcfg + 44), c.ecam_base);
		assert_int_equal(mcfg[52] | mcfg[53] << 8, 0);
		assert_int_equal(mcfg[54], 0);
		assert_int_equal(mcfg[55], c.ecam_buses - 1);
	}

	/* FADT: FACS (64-byte aligned, no checksum), DSDT (32 and 64-bit
	 * pointers agree), SCI, PM1 registers, reset register */
	assert_int_equal(rd32(fadt + 36) % 64, 0);
	facs = buf + (rd32(fadt + 36) - GPA);
	assert_memory_equal(facs, "FACS", 4);
	assert_int_equal(rd32(facs + 4), 64);
	assert_int_equal(rd32(fadt + 40), rd64(fadt + 140));
	dsdt = table(rd32(fadt + 40), n, "DSDT");
	assert_int_equal(fadt[46], ACPI_SCI_IRQ);
	assert_int_equal(rd32(fadt + 48), 0);		/* no SMI_CMD */
	assert_int_equal(rd32(fadt + 56), ACPI_PM1_EVT);
	assert_int_equal(rd32(fadt + 64), ACPI_PM1_CNT);
	assert_int_equal(fadt[88], 4);
	assert_int_equal(fadt[89], 2);
	assert_true(rd32(fadt + 112) & (1u << 10));	/* RESET_REG_SUP */
	assert_false(rd32(fadt + 112) & (1u << 20));	/* not HW-reduced */
	assert_int_equal(fadt[116], 1);			/* system I/O */
	assert_int_equal(rd64(fadt + 120), ACPI_RESET_PORT);
	assert_int_equal(fadt[128], ACPI_RESET_VALUE);
	assert_int_equal(fadt[109] & 1, 1);		/* legacy devices */
	assert_int_equal(fadt[109] & 2, c.i8042 ? 2 : 0);	/* 8042 */

	/* MADT entries: walk to exactly the end */
	assert_int_equal(rd32(madt + 36), 0xfee00000u);
	e = madt + 44;
	end = madt + rd32(madt + 4);
	while (e < end) {
		assert_true(e[1] >= 2 && e + e[1] <= end);
		switch (e[0]) {
		case 0:
			assert_int_equal(e[3], lapics);	/* APIC id = index */
			assert_int_equal(rd32(e + 4) & 1, 1);
			lapics++;
			break;
		case 1:
			assert_int_equal(e[2], ncpus);
			assert_int_equal(rd32(e + 4), 0xfec00000u);
			ioapics++;
			break;
		case 2:
			isos++;
			break;
		case 4:
			assert_int_equal(e[5], 1);	/* LINT1 */
			nmis++;
			break;
		default:
			fail_msg("unexpected MADT entry type %u", e[0]);
		}
		e += e[1];
	}
	assert_ptr_equal(e, end);
	assert_int_equal(lapics, ncpus);
	assert_int_equal(ioapics, 1);
	assert_int_equal(isos, 2);
	assert_int_equal(nmis, 1);

	/* DSDT: Name(_S5_, Package) then Scope(\_SB_) whose PkgLength ends
	 * exactly at the end of the table */
	aml = dsdt + 36;
	end = dsdt + rd32(dsdt + 4);
	assert_int_equal(aml[0], 0x08);
	assert_memory_equal(aml + 1, "_S5_", 4);
	assert_int_equal(aml[5], 0x12);
	plen = pkglen(aml + 6, &n1);
	assert_int_equal(aml[6 + n1], 4);		/* 4 elements */
	assert_int_equal(aml[6 + n1 + 1], 0x0a);	/* BytePrefix */
	assert_int_equal(aml[6 + n1 + 2], ACPI_S5_TYP);
	aml += 6 + plen;
	assert_int_equal(aml[0], 0x10);			/* ScopeOp */
	body = pkglen(aml + 1, &n1);
	assert_ptr_equal(aml + 1 + body, end);
	assert_memory_equal(aml + 1 + n1, "\\_SB_", 5);
	assert_true(contains(aml, (size_t)(end - aml), "PCI0", 4));
	assert_true(contains(aml, (size_t)(end - aml), pnp0a03, 4));
	assert_true(contains(aml, (size_t)(end - aml), "_CRS", 4));
	assert_int_equal(contains(aml, (size_t)(end - aml), io_cf8, 8), c.conf1);
	assert_int_equal(contains(aml, (size_t)(end - aml), pnp0c02, 4),
			 c.ecam_base != 0);
	if (c.ecam_base) {
		assert_true(contains(aml, (size_t)(end - aml), "RES0", 4));
		assert_true(contains(aml, (size_t)(end - aml), fixmem, 12));
		assert_true(contains(aml, (size_t)(end - aml), bus0_15, 4));
	}
	/* the bytes after the tables were not touched */
	assert_int_equal(buf[n], 0xaa);
}

static void check(unsigned int ncpus)
{
	struct acpi_config c = cfg(ncpus);

	c.ecam_base = ECAM;
	c.ecam_buses = 16;
	check_cfg(&c);
}

/* the --pci-conf1 platform: no MCFG, conf1 ports in _CRS; and the 8042 */
static void test_conf1(void **state)
{
	struct acpi_config c = cfg(2);

	(void)state;
	c.conf1 = true;
	check_cfg(&c);
	c.i8042 = true;
	check_cfg(&c);
	c.ecam_base = ECAM;
	c.ecam_buses = 16;
	check_cfg(&c);
}

static void test_one_cpu(void **state)
{
	(void)state;
	check(1);
}

static void test_smp(void **state)
{
	(void)state;
	check(2);
	check(8);
	check(254);
}

static void test_limits(void **state)
{
	struct acpi_config c = cfg(0);
	int n;

	(void)state;
	assert_int_equal(acpi_build(buf, sizeof(buf), GPA, &c), -EINVAL);
	c = cfg(255);
	assert_int_equal(acpi_build(buf, sizeof(buf), GPA, &c), -EINVAL);
	c = cfg(4);
	assert_int_equal(acpi_build(buf, sizeof(buf), GPA + 4, &c), -EINVAL);
	/* ECAM windows: 1 MiB-aligned, 1-256 buses, below 4 GiB */
	c.ecam_buses = 16;
	c.ecam_base = ECAM + 0x1000;
	assert_int_equal(acpi_build(buf, sizeof(buf), GPA, &c), -EINVAL);
	c.ecam_base = ECAM;
	c.ecam_buses = 0;
	assert_int_equal(acpi_build(buf, sizeof(buf), GPA, &c), -EINVAL);
	c.ecam_buses = 257;
	assert_int_equal(acpi_build(buf, sizeof(buf), GPA, &c), -EINVAL);
	c.ecam_base = 0xf0100000u;	/* 256 MiB from here passes 4 GiB */
	c.ecam_buses = 256;
	assert_int_equal(acpi_build(buf, sizeof(buf), GPA, &c), -EINVAL);
	c = cfg(4);
	n = acpi_build(buf, sizeof(buf), GPA, &c);
	assert_true(n > 0);
	memset(buf, 0xaa, sizeof(buf));
	assert_int_equal(acpi_build(buf, (size_t)n - 1, GPA, &c), -ENOSPC);
	assert_int_equal(buf[0], 0xaa);		/* nothing written */
	assert_int_equal(acpi_build(buf, (size_t)n, GPA, &c), n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_cpu),
		cmocka_unit_test(test_smp),
		cmocka_unit_test(test_conf1),
		cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
