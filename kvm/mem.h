/*
 * kvm/mem.h - guest physical memory and THE bounds-checked translator.
 *
 * Every guest-provided address and length (descriptors, rings, boot data)
 * goes through guest_mem_ptr(); a range that is not wholly inside one RAM
 * slot yields NULL and the caller drops the request. Nothing else in kvm/
 * turns a guest address into a host pointer.
 */
#ifndef PROVD_KVM_MEM_H
#define PROVD_KVM_MEM_H

#include <stddef.h>
#include <stdint.h>

#define GUEST_MEM_MAX_SLOTS 4

struct guest_mem_slot {
	uint64_t gpa;		/* guest physical start */
	uint64_t size;		/* bytes */
	uint8_t *host;		/* host mapping of gpa */
};

struct guest_mem {
	struct guest_mem_slot slots[GUEST_MEM_MAX_SLOTS];
	unsigned int nslots;
};

/* Adds a slot; -EINVAL when it overlaps another or wraps, -ENOSPC if full. */
int guest_mem_add(struct guest_mem *m, uint64_t gpa, uint64_t size,
		  void *host);

/*
 * Host pointer for [gpa, gpa+len) when the whole range lies in one slot,
 * else NULL. len 0 is valid when gpa is inside (or at the end of) a slot.
 */
void *guest_mem_ptr(const struct guest_mem *m, uint64_t gpa, uint64_t len);

/* Copies to/from guest memory through guest_mem_ptr(); -EFAULT if out. */
int guest_mem_read(const struct guest_mem *m, uint64_t gpa, void *dst,
		   size_t len);
int guest_mem_write(const struct guest_mem *m, uint64_t gpa, const void *src,
		    size_t len);

#endif
