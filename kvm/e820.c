/*
 * kvm/e820.c - e820 memory map for the zero page (Linux boot protocol,
 * Documentation/arch/x86/zero-page.rst: e820_table at 0x2d0).
 */
#include "config.h"

#include <errno.h>

#include "kvm/e820.h"

uint64_t e820_low_ram(uint64_t mem_bytes)
{
	return mem_bytes < E820_PCI_HOLE ? mem_bytes : E820_PCI_HOLE;
}

uint64_t e820_high_ram(uint64_t mem_bytes)
{
	return mem_bytes - e820_low_ram(mem_bytes);
}

static void put(struct e820_entry *e, uint64_t addr, uint64_t size,
		uint32_t type)
{
	e->addr = addr;
	e->size = size;
	e->type = type;
}

int e820_build(struct e820_entry *out, unsigned int max, uint64_t mem_bytes,
	       uint64_t resv, uint64_t resv_size)
{
	uint64_t low = e820_low_ram(mem_bytes), high = e820_high_ram(mem_bytes);
	unsigned int n = 0;

	if (mem_bytes < 2 * E820_HIGH_START || max < 5)
		return -EINVAL;
	if (resv_size && (resv < E820_PCI_HOLE || resv_size > E820_4G - resv))
		return -EINVAL;
	put(&out[n++], 0, E820_LOW_END, E820_RAM);
	put(&out[n++], E820_LOW_END, E820_HIGH_START - E820_LOW_END,
	    E820_RESERVED);
	put(&out[n++], E820_HIGH_START, low - E820_HIGH_START, E820_RAM);
	if (resv_size)
		put(&out[n++], resv, resv_size, E820_RESERVED);
	if (high)
		put(&out[n++], E820_4G, high, E820_RAM);
	return n;
}
