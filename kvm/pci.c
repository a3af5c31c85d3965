/*
 * kvm/pci.c - PCI configuration space (PCI Local Bus Spec 3.0 §6), MSI-X
 * (§6.8.2), configuration mechanism #1 (§3.2.2.3.2) and ECAM (PCI Express
 * Base Spec §7.2.2).
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "kvm/pci.h"

#define CFG_COMMAND 0x04
#define CFG_STATUS 0x06
#define CFG_BAR0 0x10
#define CFG_SUBSYS 0x2c
#define CFG_CAP_PTR 0x34
#define CFG_INT_LINE 0x3c
#define CFG_INT_PIN 0x3d
#define STATUS_CAP_LIST 0x10
#define CAP_ID_MSIX 0x11
#define MSIX_ENABLE 0x8000
#define MSIX_FMASK 0x4000

static void put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

void pci_dev_init(struct pci_dev *d, uint16_t vendor, uint16_t device,
		  uint32_t class_rev, uint16_t subsys_vendor, uint16_t subsys)
{
	memset(d, 0, sizeof(*d));
	put16(d->cfg, vendor);
	put16(d->cfg + 2, device);
	put32(d->cfg + 8, class_rev);
	put16(d->cfg + CFG_SUBSYS, subsys_vendor);
	put16(d->cfg + CFG_SUBSYS + 2, subsys);
	d->cap_next = 0x40;
}

int pci_dev_set_bar(struct pci_dev *d, unsigned int bar, uint32_t addr,
		    uint32_t size)
{
	if (bar >= 6 || size < 16 || (size & (size - 1)) || (addr & (size - 1)))
		return -EINVAL;
	d->bar_size[bar] = size;
	put32(d->cfg + CFG_BAR0 + 4 * bar, addr);	/* mem, 32-bit */
	return 0;
}

int pci_dev_add_cap(struct pci_dev *d, uint8_t id, const uint8_t *body,
		    unsigned int len)
{
	unsigned int off = d->cap_next, p;

	if (len < 2 || off + len > PCI_CFG_SIZE)
		return -ENOSPC;
	memcpy(d->cfg + off, body, len);
	d->cfg[off] = id;
	d->cfg[off + 1] = 0;
	/* link at the end of the list */
	if (!d->cfg[CFG_CAP_PTR]) {
		d->cfg[CFG_CAP_PTR] = (uint8_t)off;
	} else {
		for (p = d->cfg[CFG_CAP_PTR]; d->cfg[p + 1]; p = d->cfg[p + 1])
			;
		d->cfg[p + 1] = (uint8_t)off;
	}
	d->cfg[CFG_STATUS] |= STATUS_CAP_LIST;
	d->cap_next = (uint8_t)((off + len + 3) & ~3u);
	return (int)off;
}

int pci_dev_add_msix(struct pci_dev *d, unsigned int nvec, unsigned int bar,
		     uint32_t table_off, uint32_t pba_off)
{
	uint8_t body[12] = { 0 };
	unsigned int i;
	int off;

	if (nvec == 0 || nvec > PCI_MSIX_MAX || bar >= 6 || (table_off & 7) ||
	    (pba_off & 7))
		return -EINVAL;
	put16(body + 2, (uint16_t)(nvec - 1));	/* table size N-1 */
	put32(body + 4, table_off | bar);
	put32(body + 8, pba_off | bar);
	off = pci_dev_add_cap(d, CAP_ID_MSIX, body, sizeof(body));
	if (off < 0)
		return off;
	d->msix_cap = (uint8_t)off;
	d->msix_nvec = (uint16_t)nvec;
	for (i = 0; i < nvec; i++)
		d->msix[i].ctrl = 1;	/* §6.8.2.9: masked at reset */
	return off;
}

static bool access_ok(unsigned int off, unsigned int len)
{
	return (len == 1 || len == 2 || len == 4) && off < PCI_CFG_SIZE &&
	       !(off & (len - 1));
}

uint32_t pci_cfg_read(const struct pci_dev *d, unsigned int off,
		      unsigned int len)
{
	uint32_t v = 0;

	if (!access_ok(off, len))
		return 0xffffffffu;
	memcpy(&v, d->cfg + off, len);
	return v;
}

/* Writable bits per byte: command (I/O, memory, bus master, INTx
 * disable), BARs (above their size), interrupt line, MSI-X control. */
static uint8_t wmask(const struct pci_dev *d, unsigned int off)
{
	unsigned int bar;

	if (off == CFG_COMMAND)
		return 0x07;
	if (off == CFG_COMMAND + 1)
		return 0x04;
	if (off >= CFG_BAR0 && off < CFG_BAR0 + 24) {
		bar = (off - CFG_BAR0) / 4;
		if (!d->bar_size[bar])
			return 0;
		return (uint8_t)(~(d->bar_size[bar] - 1) >> (8 * (off & 3)));
	}
	if (off == CFG_INT_LINE)
		return 0xff;
	if (d->msix_cap && off == d->msix_cap + 3u)
		return (MSIX_ENABLE | MSIX_FMASK) >> 8;
	return 0;
}

void pci_cfg_write(struct pci_dev *d, unsigned int off, unsigned int len,
		   uint32_t val)
{
	unsigned int i;
	uint8_t m;

	if (!access_ok(off, len))
		return;
	for (i = 0; i < len; i++) {
		m = wmask(d, off + i);
		d->cfg[off + i] = (uint8_t)((d->cfg[off + i] & ~m) |
					    ((val >> (8 * i)) & m));
	}
}

uint32_t pci_dev_cfg_read(struct pci_dev *d, unsigned int off,
			  unsigned int len)
{
	if (!access_ok(off, len))
		return 0xffffffffu;
	return d->cfg_read_fn ? d->cfg_read_fn(d, off, len)
			      : pci_cfg_read(d, off, len);
}

void pci_dev_cfg_write(struct pci_dev *d, unsigned int off, unsigned int len,
		       uint32_t val)
{
	if (!access_ok(off, len))
		return;
	if (d->cfg_write_fn)
		d->cfg_write_fn(d, off, len, val);
	else
		pci_cfg_write(d, off, len, val);
}

uint32_t pci_bar_addr(const struct pci_dev *d, unsigned int bar)
{
	uint32_t v;

	if (bar >= 6)
		return 0;
	memcpy(&v, d->cfg + CFG_BAR0 + 4 * bar, 4);
	return v & ~0xfu;
}

static uint16_t msix_ctrl(const struct pci_dev *d)
{
	uint16_t v;

	memcpy(&v, d->cfg + d->msix_cap + 2, 2);
	return v;
}

bool pci_msix_enabled(const struct pci_dev *d)
{
	return d->msix_cap && (msix_ctrl(d) & MSIX_ENABLE);
}

bool pci_msix_masked(const struct pci_dev *d, unsigned int vec)
{
	if (vec >= d->msix_nvec)
		return true;
	return (msix_ctrl(d) & MSIX_FMASK) || (d->msix[vec].ctrl & 1);
}

uint32_t pci_msix_table_read(const struct pci_dev *d, uint32_t off)
{
	uint32_t vec = off / 16, w = (off % 16) / 4;
	const uint32_t *e;

	if ((off & 3) || vec >= d->msix_nvec)
		return 0;
	e = &d->msix[vec].addr_lo;
	return e[w];
}

void pci_msix_table_write(struct pci_dev *d, uint32_t off, uint32_t val)
{
	uint32_t vec = off / 16, w = (off % 16) / 4;
	struct pci_msix_entry *e;

	if ((off & 3) || vec >= d->msix_nvec)
		return;
	e = &d->msix[vec];
	switch (w) {
	case 0:
		e->addr_lo = val & ~3u;	/* dword aligned */
		break;
	case 1:
		e->addr_hi = val;
		break;
	case 2:
		e->data = val;
		break;
	case 3:
		e->ctrl = val & 1;
		break;
	}
}

void pci_conf1_io(struct pci_bus *b, uint16_t port, bool write,
		  unsigned int len, uint32_t *val)
{
	uint32_t a = b->conf1_addr, bus, slot, fn, reg;
	struct pci_dev *d;

	if (port == PCI_CONF1_ADDR) {
		if (len != 4)
			return;		/* byte accesses to 0xCF8 are not conf1 */
		if (write)
			b->conf1_addr = *val & 0x80fffffcu;
		else
			*val = b->conf1_addr;
		return;
	}
	if (port < PCI_CONF1_DATA || port + len > PCI_CONF1_DATA + 4)
		goto none;
	bus = (a >> 16) & 0xff;
	slot = (a >> 11) & 0x1f;
	fn = (a >> 8) & 7;
	reg = (a & 0xfc) + (port - PCI_CONF1_DATA);
	if (!(a & 0x80000000u) || bus || fn)
		goto none;
	d = b->dev[slot];
	if (d == NULL)
		goto none;
	if (write)
		pci_dev_cfg_write(d, reg, len, *val);
	else
		*val = pci_dev_cfg_read(d, reg, len);
	return;
none:
	if (!write)
		*val = len == 4 ? 0xffffffffu : (1u << (8 * len)) - 1;
}

void pci_ecam_io(struct pci_bus *b, uint64_t off, bool write, unsigned int len,
		 uint32_t *val)
{
	unsigned int slot = (unsigned int)(off >> 15) & 0x1f;
	unsigned int fn = (unsigned int)(off >> 12) & 7;
	unsigned int reg = (unsigned int)(off & 0xfff);
	struct pci_dev *d = off < PCI_ECAM_BUS_SIZE && !fn ? b->dev[slot] : NULL;

	if (d != NULL && reg < PCI_CFG_SIZE) {
		if (write)
			pci_dev_cfg_write(d, reg, len, *val);
		else
			*val = pci_dev_cfg_read(d, reg, len);
		return;
	}
	if (!write)
		*val = d != NULL ? 0 : len == 4 ? 0xffffffffu : (1u << (8 * len)) - 1;
}

void pci_ecam_sync(const struct pci_bus *b, unsigned int slot, uint8_t *img)
{
	uint8_t *f = img + (size_t)slot * 8 * PCI_ECAM_FN_SIZE;
	const struct pci_dev *d = slot < PCI_MAX_DEVS ? b->dev[slot] : NULL;

	if (slot >= PCI_MAX_DEVS)
		return;
	memset(f, 0xff, 8 * PCI_ECAM_FN_SIZE);
	if (d == NULL)
		return;
	memcpy(f, d->cfg, PCI_CFG_SIZE);
	memset(f + PCI_CFG_SIZE, 0, PCI_ECAM_FN_SIZE - PCI_CFG_SIZE);
}

void pci_ecam_fill(const struct pci_bus *b, uint8_t *img)
{
	for (unsigned int slot = 0; slot < PCI_MAX_DEVS; slot++)
		pci_ecam_sync(b, slot, img);
}
