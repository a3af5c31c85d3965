/*
 * kvm/acpi.c - RSDP, XSDT, FADT, FACS, MADT, MCFG and a DSDT with \_S5, the
 * PCI root bridge and the ECAM reservation (ACPI 6.4: §5.2.5 RSDP, §5.2.8
 * XSDT, §5.2.9 FADT, §5.2.10 FACS, §5.2.12 MADT, §20 AML, §6.4 resource
 * descriptors; MCFG: PCI Firmware Spec 3.3 §4.1.2).
 * Pure: builds bytes into a buffer; the VMM copies it to ACPI_GPA.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "kvm/acpi.h"

#define HDR 36
#define FADT_LEN 276		/* revision 6 */
#define FACS_LEN 64
#define MCFG_LEN (HDR + 8 + 16)	/* one allocation: segment 0 */
#define GAS_IO 1

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

static void wr64(uint8_t *p, uint64_t v)
{
	wr32(p, (uint32_t)v);
	wr32(p + 4, (uint32_t)(v >> 32));
}

uint8_t acpi_checksum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s += *p++;
	return s;
}

/* §5.2.6 system description table header; checksum filled by finish() */
static void header(uint8_t *t, const char *sig, uint32_t len, uint8_t rev)
{
	memcpy(t, sig, 4);
	wr32(t + 4, len);
	t[8] = rev;
	memcpy(t + 10, "PROVD ", 6);
	memcpy(t + 16, "PROVDVM ", 8);
	wr32(t + 24, 1);
	memcpy(t + 28, "PRVD", 4);
	wr32(t + 32, 1);
}

static void finish(uint8_t *t, uint32_t len)
{
	t[9] = 0;
	t[9] = (uint8_t)-acpi_checksum(t, len);
}

/* §5.2.3.2 Generic Address Structure, system I/O */
static void gas_io(uint8_t *p, uint8_t bits, uint16_t port)
{
	p[0] = GAS_IO;
	p[1] = bits;
	p[2] = 0;
	p[3] = 1;	/* byte access */
	wr64(p + 4, port);
}

/* --- AML (§20.2) --------------------------------------------------- */

struct aml {
	uint8_t b[1024];
	size_t n;
	int err;
};

static void aml_put(struct aml *a, const void *p, size_t n)
{
	if (a->n + n > sizeof(a->b)) {
		a->err = -ENOSPC;
		return;
	}
	memcpy(a->b + a->n, p, n);
	a->n += n;
}

static void aml_byte(struct aml *a, uint8_t v)
{
	aml_put(a, &v, 1);
}

/* §20.2.4 PkgLength: counts itself; shortest encoding */
static void aml_pkglen(struct aml *a, size_t body)
{
	size_t v;

	if (body + 1 <= 0x3f) {
		aml_byte(a, (uint8_t)(body + 1));
		return;
	}
	if (body + 2 <= 0xfff) {
		v = body + 2;
		aml_byte(a, 0x40 | (v & 0xf));
		aml_byte(a, (uint8_t)(v >> 4));
		return;
	}
	v = body + 3;
	aml_byte(a, 0x80 | (v & 0xf));
	aml_byte(a, (uint8_t)(v >> 4));
	aml_byte(a, (uint8_t)(v >> 12));
}

/* op PkgLength body: Scope, Device, Package, Buffer */
static void aml_wrap(struct aml *a, const uint8_t *op, size_t oplen,
		     const struct aml *body)
{
	if (body->err)
		a->err = body->err;
	aml_put(a, op, oplen);
	aml_pkglen(a, body->n);
	aml_put(a, body->b, body->n);
}

static void aml_int(struct aml *a, uint32_t v)
{
	uint8_t b[5];

	if (v <= 1) {
		aml_byte(a, (uint8_t)v);	/* ZeroOp / OneOp */
	} else if (v <= 0xff) {
		b[0] = 0x0a;
		b[1] = (uint8_t)v;
		aml_put(a, b, 2);
	} else if (v <= 0xffff) {
		b[0] = 0x0b;
		wr16(b + 1, (uint16_t)v);
		aml_put(a, b, 3);
	} else {
		b[0] = 0x0c;
		wr32(b + 1, v);
		aml_put(a, b, 5);
	}
}

/* Name(seg, Integer) */
static void aml_name_int(struct aml *a, const char *seg, uint32_t v)
{
	aml_byte(a, 0x08);
	aml_put(a, seg, 4);
	aml_int(a, v);
}

/* EISAID("PNP0A03"): three 5-bit letters then four hex digits, as bytes */
static uint32_t eisa_id(const char *s)
{
	uint16_t vendor = (uint16_t)(((s[0] - 0x40) & 0x1f) << 10 |
				     ((s[1] - 0x40) & 0x1f) << 5 |
				     ((s[2] - 0x40) & 0x1f));
	unsigned int i, prod = 0;
	uint8_t b[4];

	for (i = 3; i < 7; i++) {
		char c = s[i];

		prod = prod << 4 |
		       (unsigned int)(c <= '9' ? c - '0' : c - 'A' + 10);
	}
	b[0] = vendor >> 8;
	b[1] = vendor & 0xff;
	b[2] = prod >> 8;
	b[3] = prod & 0xff;
	return b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24;
}

/* §6.4.3.5.3 Word Address Space Descriptor (bus number or I/O range) */
static void res_word(struct aml *a, uint8_t type, uint16_t min, uint16_t max)
{
	uint8_t d[16] = { 0x88, 13, 0 };

	d[3] = type;		/* 1 = I/O, 2 = bus number */
	d[4] = 0x0c;		/* MinFixed, MaxFixed, producer */
	d[5] = type == 1 ? 3 : 0;	/* I/O: entire ISA and non-ISA range */
	wr16(d + 8, min);
	wr16(d + 10, max);
	wr16(d + 14, (uint16_t)(max - min + 1));
	aml_put(a, d, sizeof(d));
}

/* §6.4.3.5.2 DWord Address Space Descriptor, memory, read-write */
static void res_dword_mem(struct aml *a, uint32_t base, uint32_t size)
{
	uint8_t d[26] = { 0x87, 23, 0 };

	d[3] = 0;		/* memory */
	d[4] = 0x0c;
	d[5] = 0x01;		/* read-write, non-cacheable */
	wr32(d + 10, base);
	wr32(d + 14, base + size - 1);
	wr32(d + 22, size);
	aml_put(a, d, sizeof(d));
}

/* §6.4.3.4 32-Bit Fixed Memory Range Descriptor, read-write */
static void res_fixed_mem(struct aml *a, uint32_t base, uint32_t size)
{
	uint8_t d[12] = { 0x86, 9, 0, 1 };

	wr32(d + 4, base);
	wr32(d + 8, size);
	aml_put(a, d, sizeof(d));
}

static int build_dsdt(struct aml *t, const struct acpi_config *c)
{
	static const uint8_t dev_op[2] = { 0x5b, 0x82 }, buf_op = 0x11,
			     pkg_op = 0x12, scope_op = 0x10;
	struct aml s5 = { .n = 0 }, crs = { .n = 0 }, crsbuf = { .n = 0 },
		   pci = { .n = 0 }, sb = { .n = 0 }, res = { .n = 0 },
		   rcrs = { .n = 0 }, rcrsbuf = { .n = 0 };
	/* I/O ports 0xcf8-0xcff belong to the bridge itself */
	static const uint8_t io_cf8[8] = { 0x47, 0x01, 0xf8, 0x0c, 0xf8, 0x0c,
					   0x01, 0x08 };
	static const uint8_t end_tag[2] = { 0x79, 0x00 };

	/* Name(_S5, Package(4) { 5, 5, 0, 0 }): SLP_TYPa/b for soft-off */
	aml_byte(&s5, 4);
	aml_int(&s5, ACPI_S5_TYP);
	aml_int(&s5, ACPI_S5_TYP);
	aml_int(&s5, 0);
	aml_int(&s5, 0);
	aml_byte(t, 0x08);
	aml_put(t, "_S5_", 4);
	aml_wrap(t, &pkg_op, 1, &s5);

	/* _CRS of PCI0: its buses (those of the ECAM window when there is
	 * one), its conf1 ports if it decodes them, I/O around them, the
	 * BAR window */
	res_word(&crs, 2, 0, c->ecam_base ? (uint16_t)(c->ecam_buses - 1) : 0xff);
	if (c->conf1)
		aml_put(&crs, io_cf8, sizeof(io_cf8));
	res_word(&crs, 1, 0x0000, 0x0cf7);
	res_word(&crs, 1, 0x0d00, 0xffff);
	res_dword_mem(&crs, c->pci_mmio_base, c->pci_mmio_size);
	aml_put(&crs, end_tag, sizeof(end_tag));
	aml_int(&crsbuf, (uint32_t)crs.n);
	aml_put(&crsbuf, crs.b, crs.n);
	if (crs.err)
		crsbuf.err = crs.err;

	aml_put(&pci, "PCI0", 4);
	aml_name_int(&pci, "_HID", eisa_id("PNP0A03"));
	aml_name_int(&pci, "_ADR", 0);
	aml_name_int(&pci, "_SEG", 0);
	aml_name_int(&pci, "_UID", 0);
	aml_name_int(&pci, "_BBN", 0);
	aml_byte(&pci, 0x08);
	aml_put(&pci, "_CRS", 4);
	aml_wrap(&pci, &buf_op, 1, &crsbuf);

	/* Scope(\_SB) { Device(PCI0) { ... } Device(RES0) { ... } } */
	aml_put(&sb, "\\_SB_", 5);
	aml_wrap(&sb, dev_op, 2, &pci);
	if (c->ecam_base) {
		/* motherboard resource holding the ECAM window: Linux uses
		 * MCFG only once it finds it reserved here */
		res_fixed_mem(&rcrs, c->ecam_base, c->ecam_buses << 20);
		aml_put(&rcrs, end_tag, sizeof(end_tag));
		aml_int(&rcrsbuf, (uint32_t)rcrs.n);
		aml_put(&rcrsbuf, rcrs.b, rcrs.n);
		aml_put(&res, "RES0", 4);
		aml_name_int(&res, "_HID", eisa_id("PNP0C02"));
		aml_name_int(&res, "_UID", 1);
		aml_byte(&res, 0x08);
		aml_put(&res, "_CRS", 4);
		aml_wrap(&res, &buf_op, 1, &rcrsbuf);
		aml_wrap(&sb, dev_op, 2, &res);
	}
	aml_wrap(t, &scope_op, 1, &sb);
	return t->err;
}

/* --- tables -------------------------------------------------------- */

#define ALIGN16(x) (((x) + 15u) & ~15u)

int acpi_build(uint8_t *buf, size_t len, uint32_t gpa,
	       const struct acpi_config *c)
{
	struct aml dsdt = { .n = 0 };
	size_t off_facs = 64, off_xsdt, off_fadt, off_madt, off_mcfg, off_dsdt, end;
	uint32_t xsdt_len = HDR + 2 * 8, madt_len, mcfg_len = 0, dsdt_len, i;
	uint8_t *t, *e;
	int r;

	if (c->ncpus == 0 || c->ncpus > 254 || (gpa & 15))
		return -EINVAL;
	if (c->ecam_base) {
		/* the window must be 1 MiB-aligned per bus and below 4 GiB */
		if (c->ecam_buses < 1 || c->ecam_buses > 256 ||
		    (c->ecam_base & 0xfffff) ||
		    (uint64_t)c->ecam_base + ((uint64_t)c->ecam_buses << 20) > (1ull << 32))
			return -EINVAL;
		mcfg_len = MCFG_LEN;
		xsdt_len += 8;
	}
	r = build_dsdt(&dsdt, c);
	if (r < 0)
		return r;
	/* MADT: header + LAPIC addr + flags, LAPICs, I/O APIC, 2 overrides,
	 * one LAPIC NMI entry for all CPUs */
	madt_len = HDR + 8 + 8 * c->ncpus + 12 + 2 * 10 + 6;
	dsdt_len = HDR + (uint32_t)dsdt.n;
	off_xsdt = off_facs + FACS_LEN;
	off_fadt = ALIGN16(off_xsdt + xsdt_len);
	off_madt = ALIGN16(off_fadt + FADT_LEN);
	off_mcfg = ALIGN16(off_madt + madt_len);
	off_dsdt = ALIGN16(off_mcfg + mcfg_len);
	end = off_dsdt + dsdt_len;
	if (end > len || end > ACPI_MAX_SIZE)
		return -ENOSPC;
	memset(buf, 0, end);

	/* RSDP, ACPI 2.0+ form pointing at the XSDT only */
	t = buf;
	memcpy(t, "RSD PTR ", 8);
	memcpy(t + 9, "PROVD ", 6);
	t[15] = 2;
	wr32(t + 20, 36);
	wr64(t + 24, gpa + off_xsdt);
	t[8] = (uint8_t)-acpi_checksum(t, 20);
	t[32] = (uint8_t)-acpi_checksum(t, 36);

	/* FACS (64-byte aligned, no checksum): needed by full-hardware ACPI
	 * for the global lock and waking vector, both unused here */
	t = buf + off_facs;
	memcpy(t, "FACS", 4);
	wr32(t + 4, FACS_LEN);
	t[32] = 2;	/* version */

	t = buf + off_xsdt;
	header(t, "XSDT", xsdt_len, 1);
	wr64(t + HDR, gpa + off_fadt);
	wr64(t + HDR + 8, gpa + off_madt);
	if (mcfg_len)
		wr64(t + HDR + 16, gpa + off_mcfg);
	finish(t, xsdt_len);

	t = buf + off_fadt;
	header(t, "FACP", FADT_LEN, 6);
	wr32(t + 36, gpa + (uint32_t)off_facs);
	wr32(t + 40, gpa + (uint32_t)off_dsdt);
	wr16(t + 46, ACPI_SCI_IRQ);
	/* SMI_CMD 0: the platform is always in ACPI mode (§4.8.2.5) */
	wr32(t + 56, ACPI_PM1_EVT);
	wr32(t + 64, ACPI_PM1_CNT);
	t[88] = 4;		/* PM1_EVT_LEN */
	t[89] = 2;		/* PM1_CNT_LEN */
	wr16(t + 96, 0x0fff);	/* no C2 */
	wr16(t + 98, 0x0fff);	/* no C3 */
	t[108] = 0x32;		/* CMOS century register */
	/* IAPC_BOOT_ARCH: legacy devices; 8042 only when it has a use, as
	 * Linux probes it (about 100 port exits) whenever this bit is set */
	wr16(t + 109, c->i8042 ? 0x0003 : 0x0001);
	/* flags: WBINVD, C1, no fixed power/sleep buttons, reset register */
	wr32(t + 112, 1u << 0 | 1u << 2 | 1u << 4 | 1u << 5 | 1u << 10);
	gas_io(t + 116, 8, ACPI_RESET_PORT);
	t[128] = ACPI_RESET_VALUE;
	wr64(t + 140, gpa + off_dsdt);	/* X_DSDT, same as DSDT */
	finish(t, FADT_LEN);

	t = buf + off_madt;
	header(t, "APIC", madt_len, 3);
	wr32(t + 36, c->lapic_addr);
	wr32(t + 40, 1);	/* PCAT_COMPAT: there are 8259s */
	e = t + 44;
	for (i = 0; i < c->ncpus; i++, e += 8) {
		e[0] = 0;	/* processor local APIC */
		e[1] = 8;
		e[2] = (uint8_t)i;	/* ACPI processor UID */
		e[3] = (uint8_t)i;	/* APIC id */
		wr32(e + 4, 1);	/* enabled */
	}
	e[0] = 1;		/* I/O APIC */
	e[1] = 12;
	e[2] = c->ioapic_id;
	wr32(e + 4, c->ioapic_addr);
	wr32(e + 8, 0);		/* GSI base */
	e += 12;
	/* ISA timer: IRQ 0 is GSI 0 under KVM's default in-kernel routing
	 * (the PIT raises GSI 0, which reaches I/O APIC pin 0), the same
	 * as the MP table says; edge, active high as for any ISA IRQ */
	e[0] = 2;
	e[1] = 10;
	e[2] = 0;
	e[3] = 0;
	wr32(e + 4, 0);
	wr16(e + 8, 0x0005);
	e += 10;
	/* SCI: level, active high (never raised) */
	e[0] = 2;
	e[1] = 10;
	e[2] = 0;
	e[3] = ACPI_SCI_IRQ;
	wr32(e + 4, ACPI_SCI_IRQ);
	wr16(e + 8, 0x000d);
	e += 10;
	e[0] = 4;		/* local APIC NMI: all processors, LINT1 */
	e[1] = 6;
	e[2] = 0xff;
	wr16(e + 3, 0);
	e[5] = 1;
	finish(t, madt_len);

	if (mcfg_len) {
		t = buf + off_mcfg;
		header(t, "MCFG", mcfg_len, 1);
		e = t + HDR + 8;	/* 8 reserved bytes, then the allocation */
		wr64(e, c->ecam_base);
		wr16(e + 8, 0);				/* segment */
		e[10] = 0;				/* start bus */
		e[11] = (uint8_t)(c->ecam_buses - 1);	/* end bus */
		finish(t, mcfg_len);
	}

	t = buf + off_dsdt;
	header(t, "DSDT", dsdt_len, 2);
	memcpy(t + HDR, dsdt.b, dsdt.n);
	finish(t, dsdt_len);
	return (int)end;
}
