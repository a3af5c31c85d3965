/*
 * kvm/pci.h - PCI type-0 configuration space, 32-bit memory BARs, the
 * MSI-X capability and table, and the two configuration mechanisms on
 * bus 0: conf1 (0xCF8/0xCFC) and ECAM (PCIe memory-mapped, 4 KiB per
 * function). Pure register models: the VMM maps BARs and routes MSI-X
 * vectors (KVM_SET_GSI_ROUTING + irqfd) from what these report.
 */
#ifndef PROVD_KVM_PCI_H
#define PROVD_KVM_PCI_H

#include <stdbool.h>
#include <stdint.h>

#define PCI_CFG_SIZE 256
#define PCI_MAX_DEVS 32
#define PCI_MSIX_MAX 64
#define PCI_CONF1_ADDR 0xcf8
#define PCI_CONF1_DATA 0xcfc
#define PCI_ECAM_FN_SIZE 4096u
#define PCI_ECAM_BUS_SIZE (PCI_MAX_DEVS * 8u * PCI_ECAM_FN_SIZE)	/* 1 MiB */

struct pci_msix_entry {
	uint32_t addr_lo, addr_hi, data, ctrl;	/* ctrl bit 0: masked */
};

struct pci_dev {
	uint8_t cfg[PCI_CFG_SIZE];
	uint32_t bar_size[6];		/* power of two >= 16, 0 = unused */
	uint8_t cap_next;		/* where the next capability goes */
	uint8_t msix_cap;		/* 0 = none */
	uint16_t msix_nvec;
	struct pci_msix_entry msix[PCI_MSIX_MAX];
	uint64_t msix_pending;		/* PBA bits */
	/* Optional device handlers for config accesses as the bus delivers
	 * them (pci_dev_cfg_read/write, conf1): a device that must see its
	 * config space change (MSI-X enable and function mask, the virtio
	 * PCI_CFG window) sets them after pci_dev_init and does the plain
	 * pci_cfg_read/write itself. Only called for valid accesses. */
	uint32_t (*cfg_read_fn)(struct pci_dev *d, unsigned int off,
				unsigned int len);
	void (*cfg_write_fn)(struct pci_dev *d, unsigned int off,
			     unsigned int len, uint32_t val);
	/* Set by the VMM when guest reads are served from an ECAM image
	 * (pci_ecam_sync) and never reach cfg_read_fn: a device whose reads
	 * compute something must then precompute it on writes. */
	bool cfg_reads_snapshot;
};

void pci_dev_init(struct pci_dev *d, uint16_t vendor, uint16_t device,
		  uint32_t class_rev, uint16_t subsys_vendor, uint16_t subsys);
/* A 32-bit non-prefetchable memory BAR of size bytes at addr; -EINVAL if
 * size is not a power of two >= 16 or addr is not aligned to it. */
int pci_dev_set_bar(struct pci_dev *d, unsigned int bar, uint32_t addr,
		    uint32_t size);
/* Appends a capability of len bytes (id, next filled in); returns its
 * offset or -ENOSPC. */
int pci_dev_add_cap(struct pci_dev *d, uint8_t id, const uint8_t *body,
		    unsigned int len);
/* MSI-X capability: nvec vectors, table and PBA in bar at the offsets. */
int pci_dev_add_msix(struct pci_dev *d, unsigned int nvec, unsigned int bar,
		     uint32_t table_off, uint32_t pba_off);

/* Config accesses of 1, 2 or 4 bytes, naturally aligned (others read
 * all-ones and write nothing); writes honour the read-only bits. */
uint32_t pci_cfg_read(const struct pci_dev *d, unsigned int off,
		      unsigned int len);
void pci_cfg_write(struct pci_dev *d, unsigned int off, unsigned int len,
		   uint32_t val);

/* The same, as the bus delivers them: through the device's handlers when
 * it has them. */
uint32_t pci_dev_cfg_read(struct pci_dev *d, unsigned int off,
			  unsigned int len);
void pci_dev_cfg_write(struct pci_dev *d, unsigned int off, unsigned int len,
		       uint32_t val);

uint32_t pci_bar_addr(const struct pci_dev *d, unsigned int bar);
bool pci_msix_enabled(const struct pci_dev *d);
bool pci_msix_masked(const struct pci_dev *d, unsigned int vec);

/* MSI-X table/PBA accesses at off inside the table (4-byte only). */
uint32_t pci_msix_table_read(const struct pci_dev *d, uint32_t off);
void pci_msix_table_write(struct pci_dev *d, uint32_t off, uint32_t val);

struct pci_bus {
	struct pci_dev *dev[PCI_MAX_DEVS];	/* slot -> device, function 0 */
	uint32_t conf1_addr;
};

/* A guest access to 0xCF8 (4 bytes) or 0xCFC..0xCFF; unknown devices and
 * buses read all-ones. */
void pci_conf1_io(struct pci_bus *b, uint16_t port, bool write,
		  unsigned int len, uint32_t *val);

/*
 * ECAM: off is the offset inside the window (bus << 20 | slot << 15 |
 * fn << 12 | reg). Bus 0, function 0 of a present device reaches it; the
 * rest reads all-ones and ignores writes, as does extended config space
 * (0x100-0xfff reads zero on a present device: no extended capabilities).
 */
void pci_ecam_io(struct pci_bus *b, uint64_t off, bool write, unsigned int len,
		 uint32_t *val);
/*
 * The guest-visible image of bus 0's ECAM space (PCI_ECAM_BUS_SIZE bytes),
 * for a VMM that maps it read-only into the guest so that config reads
 * cost no exit: pci_ecam_fill writes it whole, pci_ecam_sync refreshes one
 * slot after a write changed that device's config space.
 */
void pci_ecam_fill(const struct pci_bus *b, uint8_t *img);
void pci_ecam_sync(const struct pci_bus *b, unsigned int slot, uint8_t *img);

#endif
