/*
 * kvm/bus.c - the PIO and MMIO tables behind KVM_EXIT_IO and KVM_EXIT_MMIO.
 *
 * Linear scans: there are a handful of regions and the hot paths (virtio
 * notifications) never exit to user space thanks to ioeventfd. Unclaimed
 * accesses (port 0x80 delays, probes of absent legacy devices) read
 * all-ones and are logged once per port, never per access.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "kvm/bus.h"
#include "provd/base/log.h"

int bus_init(struct bus *b)
{
	memset(b, 0, sizeof(*b));
	return -pthread_rwlock_init(&b->mmio_lock, NULL);
}

void bus_destroy(struct bus *b)
{
	pthread_rwlock_destroy(&b->mmio_lock);
}

static bool overlaps(const struct bus_region *r, unsigned int n,
		     uint64_t base, uint64_t len)
{
	for (unsigned int i = 0; i < n; i++)
		if (base < r[i].base + r[i].len && r[i].base < base + len)
			return true;
	return false;
}

int bus_pio_add(struct bus *b, uint16_t port, uint16_t len, vmm_io_fn *fn,
		void *opaque)
{
	if (len == 0 || (uint32_t)port + len > 0x10000)
		return -EINVAL;
	if (overlaps(b->pio, b->npio, port, len))
		return -EEXIST;
	if (b->npio == BUS_MAX_PIO)
		return -ENOSPC;
	b->pio[b->npio++] = (struct bus_region){ port, len, fn, opaque };
	return 0;
}

int bus_mmio_add(struct bus *b, uint64_t gpa, uint64_t len, vmm_io_fn *fn,
		 void *opaque)
{
	int r = 0;

	if (len == 0 || gpa + len < gpa)
		return -EINVAL;
	pthread_rwlock_wrlock(&b->mmio_lock);
	if (overlaps(b->mmio, b->nmmio, gpa, len))
		r = -EEXIST;
	else if (b->nmmio == BUS_MAX_MMIO)
		r = -ENOSPC;
	else
		b->mmio[b->nmmio++] = (struct bus_region){ gpa, len, fn, opaque };
	pthread_rwlock_unlock(&b->mmio_lock);
	return r;
}

int bus_mmio_add_fixed(struct bus *b, uint64_t gpa, uint64_t len,
		       vmm_io_fn *fn, void *opaque)
{
	if (len == 0 || gpa + len < gpa)
		return -EINVAL;
	if (overlaps(b->fixed, b->nfixed, gpa, len))
		return -EEXIST;
	if (b->nfixed == BUS_MAX_FIXED)
		return -ENOSPC;
	b->fixed[b->nfixed++] = (struct bus_region){ gpa, len, fn, opaque };
	return 0;
}

/* A guest sizing or moving a BAR may briefly put it anywhere, even over
 * another region; lookups take the first match, so no overlap check. */
int bus_mmio_move(struct bus *b, void *opaque, uint64_t old_gpa,
		  uint64_t new_gpa)
{
	int r = -ENOENT;

	pthread_rwlock_wrlock(&b->mmio_lock);
	for (unsigned int i = 0; i < b->nmmio; i++) {
		struct bus_region *m = &b->mmio[i];

		if (m->opaque == opaque && m->base == old_gpa) {
			if (new_gpa + m->len < new_gpa) {
				r = -EINVAL;
				break;
			}
			m->base = new_gpa;
			r = 0;
			break;
		}
	}
	pthread_rwlock_unlock(&b->mmio_lock);
	return r;
}

/* The access at a in the first region of t that holds it: true if one did. */
static bool dispatch(const struct bus_region *t, unsigned int n, uint64_t a,
		     bool write, uint8_t *data, unsigned int len)
{
	for (unsigned int i = 0; i < n; i++) {
		const struct bus_region *r = &t[i];

		if (a >= r->base && a - r->base < r->len) {
			if (!write)
				memset(data, 0xff, len);
			r->fn(r->opaque, a - r->base, write, data, len);
			return true;
		}
	}
	return false;
}

void bus_pio(struct bus *b, uint16_t port, bool write, uint8_t *data,
	     unsigned int len)
{
	if (dispatch(b->pio, b->npio, port, write, data, len))
		return;
	if (!write)
		memset(data, 0xff, len);
	/* racy bitmap on purpose: at worst a port is logged twice */
	if (!(b->pio_logged[port / 8] & (1u << (port % 8)))) {
		b->pio_logged[port / 8] |= (uint8_t)(1u << (port % 8));
		log_debug("vm: unhandled port 0x%x (%s, %u bytes; later ones "
			  "not logged)", port, write ? "write" : "read", len);
	}
}

void bus_mmio(struct bus *b, uint64_t gpa, bool write, uint8_t *data,
	      unsigned int len)
{
	bool hit;

	if (dispatch(b->fixed, b->nfixed, gpa, write, data, len))
		return;
	pthread_rwlock_rdlock(&b->mmio_lock);
	hit = dispatch(b->mmio, b->nmmio, gpa, write, data, len);
	pthread_rwlock_unlock(&b->mmio_lock);
	if (hit)
		return;
	if (!write)
		memset(data, 0xff, len);
	if (b->mmio_logged < 16) {
		b->mmio_logged++;
		log_debug("vm: unhandled MMIO 0x%llx (%s, %u bytes)",
			  (unsigned long long)gpa, write ? "write" : "read",
			  len);
	}
}
