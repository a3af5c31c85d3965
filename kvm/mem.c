/*
 * kvm/mem.c - guest memory slots and the one bounds-checked translator.
 *
 * The guest is an adversary: every check is written so that no sum can
 * wrap (compare against the remaining room, never gpa + len).
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "kvm/mem.h"

int guest_mem_add(struct guest_mem *m, uint64_t gpa, uint64_t size,
		  void *host)
{
	unsigned int i;

	if (size == 0 || host == NULL || gpa > UINT64_MAX - size)
		return -EINVAL;
	if (m->nslots >= GUEST_MEM_MAX_SLOTS)
		return -ENOSPC;
	for (i = 0; i < m->nslots; i++) {
		const struct guest_mem_slot *s = &m->slots[i];

		if (gpa < s->gpa + s->size && s->gpa < gpa + size)
			return -EINVAL;
	}
	m->slots[m->nslots].gpa = gpa;
	m->slots[m->nslots].size = size;
	m->slots[m->nslots].host = host;
	m->nslots++;
	return 0;
}

void *guest_mem_ptr(const struct guest_mem *m, uint64_t gpa, uint64_t len)
{
	unsigned int i;

	for (i = 0; i < m->nslots; i++) {
		const struct guest_mem_slot *s = &m->slots[i];
		uint64_t off;

		if (gpa < s->gpa)
			continue;
		off = gpa - s->gpa;
		/* a start at the very end belongs to this slot only for len 0,
		 * else it may be the first byte of an adjacent slot */
		if (off > s->size || (off == s->size && len != 0))
			continue;
		if (len > s->size - off)
			return NULL;	/* runs past the slot: never split */
		return s->host + off;
	}
	return NULL;
}

int guest_mem_read(const struct guest_mem *m, uint64_t gpa, void *dst,
		   size_t len)
{
	const void *p = guest_mem_ptr(m, gpa, len);

	if (p == NULL)
		return -EFAULT;
	memcpy(dst, p, len);
	return 0;
}

int guest_mem_write(const struct guest_mem *m, uint64_t gpa, const void *src,
		    size_t len)
{
	void *p = guest_mem_ptr(m, gpa, len);

	if (p == NULL)
		return -EFAULT;
	memcpy(p, src, len);
	return 0;
}
