/*
 * kvm/bus.h - port I/O and MMIO dispatch for exits that reach user space
 * (internal to kvm/). vCPU threads look regions up concurrently; the PIO
 * table is fixed once vCPUs run, MMIO regions may move (a guest
 * reprogramming a BAR) under a read-write lock. Accesses nobody claims read
 * all-ones and are dropped, logged once per port at debug level.
 */
#ifndef PROVD_KVM_BUS_H
#define PROVD_KVM_BUS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "kvm/vmm.h"

#define BUS_MAX_PIO 32
#define BUS_MAX_MMIO 64
#define BUS_MAX_FIXED 4

struct bus_region {
	uint64_t base, len;
	vmm_io_fn *fn;
	void *opaque;
};

struct bus {
	struct bus_region pio[BUS_MAX_PIO];
	unsigned int npio;
	struct bus_region mmio[BUS_MAX_MMIO];
	unsigned int nmmio;
	pthread_rwlock_t mmio_lock;
	/* MMIO regions that never move (the ECAM window), looked up first and
	 * without mmio_lock: their handlers may move BARs, which takes it */
	struct bus_region fixed[BUS_MAX_FIXED];
	unsigned int nfixed;
	uint8_t pio_logged[65536 / 8];	/* unclaimed ports already logged */
	unsigned int mmio_logged;
};

int bus_init(struct bus *b);
void bus_destroy(struct bus *b);
int bus_pio_add(struct bus *b, uint16_t port, uint16_t len, vmm_io_fn *fn,
		void *opaque);
int bus_mmio_add(struct bus *b, uint64_t gpa, uint64_t len, vmm_io_fn *fn,
		 void *opaque);
/* A region that never moves; only before vCPUs run. */
int bus_mmio_add_fixed(struct bus *b, uint64_t gpa, uint64_t len,
		       vmm_io_fn *fn, void *opaque);
int bus_mmio_move(struct bus *b, void *opaque, uint64_t old_gpa,
		  uint64_t new_gpa);
/* One access from a KVM_EXIT_IO / KVM_EXIT_MMIO; data as in vmm_io_fn. */
void bus_pio(struct bus *b, uint16_t port, bool write, uint8_t *data,
	     unsigned int len);
void bus_mmio(struct bus *b, uint64_t gpa, bool write, uint8_t *data,
	      unsigned int len);

#endif
