/* test_pci: config space through conf1 (0xCF8/0xCFC) as the kernel probes
 * it: IDs, absent slots and functions, BAR sizing, read-only bits, the
 * capability list, MSI-X enable/function mask and table entries; the same
 * device through ECAM, and the read-only ECAM image a guest reads without
 * exits staying equal to what accesses through the model return. */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "kvm/pci.h"

static struct pci_bus bus;
static struct pci_dev dev;

static uint32_t cfg(unsigned int slot, unsigned int fn, unsigned int reg,
		    unsigned int len)
{
	uint32_t a = 0x80000000u | slot << 11 | fn << 8 | (reg & 0xfc), v = 0;

	pci_conf1_io(&bus, PCI_CONF1_ADDR, true, 4, &a);
	pci_conf1_io(&bus, PCI_CONF1_DATA + (reg & 3), false, len, &v);
	return v;
}

static void cfg_w(unsigned int slot, unsigned int reg, unsigned int len,
		  uint32_t v)
{
	uint32_t a = 0x80000000u | slot << 11 | (reg & 0xfc);

	pci_conf1_io(&bus, PCI_CONF1_ADDR, true, 4, &a);
	pci_conf1_io(&bus, PCI_CONF1_DATA + (reg & 3), true, len, &v);
}

static void test_pci(void **state)
{
	uint8_t body[4] = { 0, 0, 0xaa, 0xbb };
	unsigned int cap;
	uint32_t v;

	(void)state;
	memset(&bus, 0, sizeof(bus));
	/* virtio-net, modern: 1af4:1041, class 0x020000 */
	pci_dev_init(&dev, 0x1af4, 0x1041, 0x02000001, 0x1af4, 0x0001);
	assert_int_equal(pci_dev_set_bar(&dev, 0, 0xe0000000u, 0x4000), 0);
	assert_int_equal(pci_dev_set_bar(&dev, 1, 0xe0001000u, 0x4000), -EINVAL);
	assert_int_equal(pci_dev_set_bar(&dev, 1, 0xe0000000u, 0x3000), -EINVAL);
	assert_int_equal(pci_dev_add_cap(&dev, 0x09, body, 4), 0x40);
	assert_int_equal(pci_dev_add_msix(&dev, 3, 0, 0x1000, 0x2000), 0x44);
	bus.dev[3] = &dev;

	assert_int_equal(cfg(3, 0, 0, 4), 0x10411af4);
	assert_int_equal(cfg(3, 0, 2, 2), 0x1041);
	assert_int_equal(cfg(3, 0, 0xb, 1), 0x02);
	assert_int_equal(cfg(4, 0, 0, 4), 0xffffffffu);	/* empty slot */
	assert_int_equal(cfg(3, 1, 0, 2), 0xffff);	/* no function 1 */
	/* read-only IDs */
	cfg_w(3, 0, 4, 0);
	assert_int_equal(cfg(3, 0, 0, 4), 0x10411af4);
	/* BAR sizing: all-ones reads back the size mask, then restore */
	cfg_w(3, 0x10, 4, 0xffffffffu);
	assert_int_equal(cfg(3, 0, 0x10, 4), 0xffffc000u);
	cfg_w(3, 0x10, 4, 0xd0004000u);
	assert_int_equal(pci_bar_addr(&dev, 0), 0xd0004000u);
	cfg_w(3, 0x14, 4, 0xffffffffu);			/* unused BAR */
	assert_int_equal(cfg(3, 0, 0x14, 4), 0);
	/* command: memory + bus master stick, reserved bits do not */
	cfg_w(3, 4, 2, 0xffff);
	assert_int_equal(cfg(3, 0, 4, 2), 0x0407);
	/* capability list: status bit, 0x34 -> 0x40 -> 0x44 -> end */
	assert_true(cfg(3, 0, 6, 2) & 0x10);
	cap = cfg(3, 0, 0x34, 1);
	assert_int_equal(cap, 0x40);
	assert_int_equal(cfg(3, 0, cap + 1, 1), 0x44);
	cap = 0x44;
	assert_int_equal(cfg(3, 0, cap, 1), 0x11);
	assert_int_equal(cfg(3, 0, cap + 1, 1), 0);
	assert_int_equal(cfg(3, 0, cap + 2, 2), 2);	/* N-1 */
	assert_int_equal(cfg(3, 0, cap + 4, 4), 0x1000);
	assert_int_equal(cfg(3, 0, cap + 8, 4), 0x2000);
	/* MSI-X: disabled and masked at reset; enable, function mask */
	assert_false(pci_msix_enabled(&dev));
	assert_true(pci_msix_masked(&dev, 0));
	cfg_w(3, cap + 2, 2, 0xffff);
	assert_int_equal(cfg(3, 0, cap + 2, 2), 0xc002);
	assert_true(pci_msix_enabled(&dev));
	cfg_w(3, cap + 2, 2, 0x8000);
	pci_msix_table_write(&dev, 16 + 0, 0xfee00003u);
	pci_msix_table_write(&dev, 16 + 8, 0x41);
	pci_msix_table_write(&dev, 16 + 12, 0);
	assert_false(pci_msix_masked(&dev, 1));
	assert_true(pci_msix_masked(&dev, 0));
	assert_true(pci_msix_masked(&dev, 3));		/* beyond N */
	assert_int_equal(pci_msix_table_read(&dev, 16), 0xfee00000u);
	assert_int_equal(pci_msix_table_read(&dev, 24), 0x41);
	assert_int_equal(pci_msix_table_read(&dev, 48), 0);
	pci_msix_table_write(&dev, 48, 5);		/* ignored */
	pci_msix_table_write(&dev, 18, 5);		/* unaligned: ignored */
	assert_int_equal(pci_msix_table_read(&dev, 16), 0xfee00000u);
	/* misaligned and oversized config accesses */
	assert_int_equal(pci_cfg_read(&dev, 1, 2), 0xffffffffu);
	assert_int_equal(pci_cfg_read(&dev, 256, 1), 0xffffffffu);
	/* conf1 address register round-trips without reserved bits */
	v = 0xffffffffu;
	pci_conf1_io(&bus, PCI_CONF1_ADDR, true, 4, &v);
	v = 0;
	pci_conf1_io(&bus, PCI_CONF1_ADDR, false, 4, &v);
	assert_int_equal(v, 0x80fffffcu);
	/* a bus other than 0 has nothing */
	v = 0;
	pci_conf1_io(&bus, PCI_CONF1_DATA, false, 4, &v);
	assert_int_equal(v, 0xffffffffu);
}

static uint8_t img[PCI_ECAM_BUS_SIZE];

static uint32_t ecam(unsigned int bus_nr, unsigned int slot, unsigned int fn,
		     unsigned int reg, unsigned int len)
{
	uint32_t v = 0;

	pci_ecam_io(&bus, (uint64_t)bus_nr << 20 | slot << 15 | fn << 12 | reg,
		    false, len, &v);
	return v;
}

static void ecam_w(unsigned int slot, unsigned int reg, unsigned int len,
		   uint32_t v)
{
	pci_ecam_io(&bus, (uint64_t)slot << 15 | reg, true, len, &v);
	pci_ecam_sync(&bus, slot, img);	/* what the VMM does on the exit */
}

/* every aligned dword of the image equals the access through the model */
static void image_matches(void)
{
	uint32_t v;

	for (unsigned int slot = 0; slot < PCI_MAX_DEVS; slot++)
		for (unsigned int off = 0; off < 8 * PCI_ECAM_FN_SIZE; off += 4) {
			memcpy(&v, img + (size_t)slot * 8 * PCI_ECAM_FN_SIZE + off, 4);
			assert_int_equal(v, ecam(0, slot, off >> 12, off & 0xfff, 4));
		}
}

static void test_ecam(void **state)
{
	(void)state;
	memset(&bus, 0, sizeof(bus));
	pci_dev_init(&dev, 0x1af4, 0x1042, 0x01800001, 0x1af4, 0x0002);
	assert_int_equal(pci_dev_set_bar(&dev, 0, 0xc0000000u, 0x4000), 0);
	assert_int_equal(pci_dev_add_msix(&dev, 2, 0, 0x1000, 0x2000), 0x40);
	bus.dev[2] = &dev;
	memset(img, 0x5a, sizeof(img));
	pci_ecam_fill(&bus, img);
	image_matches();
	assert_int_equal(ecam(0, 2, 0, 0, 4), 0x10421af4);
	assert_int_equal(ecam(0, 2, 0, 0xa, 2), 0x0180);
	assert_int_equal(ecam(0, 5, 0, 0, 4), 0xffffffffu);	/* empty slot */
	assert_int_equal(ecam(0, 2, 1, 0, 2), 0xffff);		/* function 1 */
	assert_int_equal(ecam(0, 2, 0, 0x100, 4), 0);	/* no ext. caps */
	assert_int_equal(ecam(1, 2, 0, 0, 4), 0xffffffffu);	/* bus 1 */
	assert_int_equal(ecam(0, 2, 0, 1, 2), 0xffffffffu);	/* misaligned */
	/* BAR sizing through ECAM: the image shows the size mask at once */
	ecam_w(2, 0x10, 4, 0xffffffffu);
	assert_int_equal(ecam(0, 2, 0, 0x10, 4), 0xffffc000u);
	image_matches();
	ecam_w(2, 0x10, 4, 0xd0000000u);
	assert_int_equal(pci_bar_addr(&dev, 0), 0xd0000000u);
	/* MSI-X enable and command writes reach the model and the image */
	ecam_w(2, 0x42, 2, 0x8000);
	assert_true(pci_msix_enabled(&dev));
	ecam_w(2, 4, 2, 0x0006);
	image_matches();
	/* writes elsewhere change nothing */
	pci_ecam_io(&bus, 1u << 20 | 2u << 15 | 0x10, true, 4, &(uint32_t){ 0 });
	pci_ecam_io(&bus, 2u << 15 | 1u << 12 | 0x10, true, 4, &(uint32_t){ 0 });
	pci_ecam_io(&bus, 2u << 15 | 0x200, true, 4, &(uint32_t){ 0xffffffffu });
	assert_int_equal(pci_bar_addr(&dev, 0), 0xd0000000u);
	assert_int_equal(ecam(0, 2, 0, 0x200, 4), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pci),
		cmocka_unit_test(test_ecam),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
