/*
 * tests/unit/fake_vmm.c - a fake kvm/vmm.h for device tests: guest RAM is a
 * malloc'd buffer behind the real translator (kvm/mem.c), the event loop is
 * the real provd/base loop, PCI BARs sit at fixed addresses and MMIO
 * accesses are dispatched like KVM would (ioeventfd first).
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "provd/base/loop.h"
#include "tests/unit/fake_vmm.h"

#define FAKE_MAX_IOEV 32
#define FAKE_MAX_IRQFD 32

struct fake_dev {
	struct pci_dev *dev;
	vmm_bar_fn *fn;
	void *opaque;
};

struct fake_ioev {
	uint64_t gpa;
	unsigned int len;
	int fd;
};

/* An eventfd bound to an MSI: what KVM_IRQFD + an MSI route do. */
struct fake_irqfd {
	int fd;
	uint32_t data;
};

struct vmm {
	struct guest_mem mem;
	uint8_t *ram;
	const struct vm_config *cfg;
	struct loop *loop;
	struct fake_dev devs[FAKE_MAX_DEVS];
	unsigned int ndevs;
	struct fake_ioev ioev[FAKE_MAX_IOEV];
	unsigned int nioev;
	bool allow_ioev;
	unsigned int msi[256];		/* all MSIs, by data */
	/* irqfds: writes are counted when the test looks (drained into
	 * msi[] and irqfd_msi[]), or when the route changes or goes */
	pthread_mutex_t irq_lock;
	bool allow_irqfd;
	struct fake_irqfd irqfd[FAKE_MAX_IRQFD];
	unsigned int nirqfd;
	unsigned int irqfd_msi[256];	/* the ones that came through irqfd */
};

struct vmm *fake_vmm_new(size_t ram_size, const struct vm_config *c)
{
	struct vmm *vm = calloc(1, sizeof(*vm));

	if (vm == NULL)
		return NULL;
	vm->ram = calloc(1, ram_size);
	vm->loop = loop_new();
	vm->cfg = c;
	vm->allow_ioev = true;
	vm->allow_irqfd = true;
	pthread_mutex_init(&vm->irq_lock, NULL);
	if (vm->ram == NULL || vm->loop == NULL ||
	    guest_mem_add(&vm->mem, FAKE_RAM_GPA, ram_size, vm->ram) < 0) {
		fake_vmm_free(vm);
		return NULL;
	}
	return vm;
}

void fake_vmm_free(struct vmm *vm)
{
	if (vm == NULL)
		return;
	loop_free(vm->loop);
	pthread_mutex_destroy(&vm->irq_lock);
	free(vm->ram);
	free(vm);
}

uint8_t *fake_vmm_ram(struct vmm *vm)
{
	return vm->ram;
}

unsigned int fake_vmm_ndevs(struct vmm *vm)
{
	return vm->ndevs;
}

struct pci_dev *fake_vmm_dev(struct vmm *vm, unsigned int i)
{
	return i < vm->ndevs ? vm->devs[i].dev : NULL;
}

uint64_t fake_vmm_bar(struct vmm *vm, unsigned int i)
{
	return i < vm->ndevs ? pci_bar_addr(vm->devs[i].dev, 0) : 0;
}

static struct fake_dev *dev_at(struct vmm *vm, uint64_t gpa, unsigned int *bar,
			       uint64_t *off)
{
	unsigned int i, b;

	for (i = 0; i < vm->ndevs; i++)
		for (b = 0; b < 6; b++) {
			uint64_t base = pci_bar_addr(vm->devs[i].dev, b);
			uint32_t sz = vm->devs[i].dev->bar_size[b];

			if (sz && gpa >= base && gpa - base < sz) {
				*bar = b;
				*off = gpa - base;
				return &vm->devs[i];
			}
		}
	return NULL;
}

void fake_mmio_write(struct vmm *vm, uint64_t gpa, uint64_t val,
		     unsigned int len)
{
	struct fake_dev *d;
	unsigned int i, bar;
	uint64_t off, one = 1;
	uint8_t data[8];

	for (i = 0; i < vm->nioev; i++)
		if (vm->ioev[i].gpa == gpa && vm->ioev[i].len == len) {
			if (write(vm->ioev[i].fd, &one, 8) != 8)
				abort();
			return;
		}
	d = dev_at(vm, gpa, &bar, &off);
	if (d == NULL || len > 8)
		return;
	memcpy(data, &val, 8);
	d->fn(d->opaque, bar, off, true, data, len);
}

uint64_t fake_mmio_read(struct vmm *vm, uint64_t gpa, unsigned int len)
{
	struct fake_dev *d;
	unsigned int bar;
	uint64_t off, v = 0;
	uint8_t data[8];

	memset(data, 0xff, sizeof(data));
	d = dev_at(vm, gpa, &bar, &off);
	if (d == NULL || len > 8)
		return ~0ull;
	d->fn(d->opaque, bar, off, false, data, len);
	memcpy(&v, data, len);
	return v;
}

void fake_vmm_allow_ioeventfd(struct vmm *vm, bool allow)
{
	vm->allow_ioev = allow;
}

unsigned int fake_vmm_nioeventfds(struct vmm *vm)
{
	return vm->nioev;
}

bool fake_vmm_has_ioeventfd(struct vmm *vm, uint64_t gpa)
{
	unsigned int i;

	for (i = 0; i < vm->nioev; i++)
		if (vm->ioev[i].gpa == gpa)
			return true;
	return false;
}

/* irq_lock held: what KVM would have injected for irqfd i so far */
static void irqfd_drain(struct vmm *vm, unsigned int i)
{
	uint64_t n;

	if (read(vm->irqfd[i].fd, &n, sizeof(n)) != sizeof(n))
		return;		/* nothing written (EAGAIN) */
	__atomic_add_fetch(&vm->msi[vm->irqfd[i].data & 0xff], (unsigned int)n,
			   __ATOMIC_RELEASE);
	vm->irqfd_msi[vm->irqfd[i].data & 0xff] += (unsigned int)n;
}

static void irqfd_drain_all(struct vmm *vm)
{
	unsigned int i;

	for (i = 0; i < vm->nirqfd; i++)
		irqfd_drain(vm, i);
}

unsigned int fake_vmm_msi_count(struct vmm *vm, uint32_t data)
{
	pthread_mutex_lock(&vm->irq_lock);
	irqfd_drain_all(vm);
	pthread_mutex_unlock(&vm->irq_lock);
	return __atomic_load_n(&vm->msi[data & 0xff], __ATOMIC_ACQUIRE);
}

unsigned int fake_vmm_irqfd_msi_count(struct vmm *vm, uint32_t data)
{
	unsigned int n;

	pthread_mutex_lock(&vm->irq_lock);
	irqfd_drain_all(vm);
	n = vm->irqfd_msi[data & 0xff];
	pthread_mutex_unlock(&vm->irq_lock);
	return n;
}

void fake_vmm_allow_irqfd(struct vmm *vm, bool allow)
{
	vm->allow_irqfd = allow;
}

unsigned int fake_vmm_nirqfds(struct vmm *vm)
{
	unsigned int n;

	pthread_mutex_lock(&vm->irq_lock);
	n = vm->nirqfd;
	pthread_mutex_unlock(&vm->irq_lock);
	return n;
}

bool fake_vmm_has_irqfd(struct vmm *vm, uint32_t data)
{
	unsigned int i;
	bool found = false;

	pthread_mutex_lock(&vm->irq_lock);
	for (i = 0; i < vm->nirqfd; i++)
		if (vm->irqfd[i].data == data)
			found = true;
	pthread_mutex_unlock(&vm->irq_lock);
	return found;
}

int fake_vmm_run_once(struct vmm *vm, int timeout_ms)
{
	return loop_run_once(vm->loop, timeout_ms);
}

/* --- vmm.h --------------------------------------------------------------- */

int vmm_pio_register(struct vmm *vm, uint16_t port, uint16_t len,
		     vmm_io_fn *fn, void *opaque)
{
	(void)vm, (void)port, (void)len, (void)fn, (void)opaque;
	return 0;
}

int vmm_mmio_register(struct vmm *vm, uint64_t gpa, uint64_t len,
		      vmm_io_fn *fn, void *opaque)
{
	(void)vm, (void)gpa, (void)len, (void)fn, (void)opaque;
	return 0;
}

int vmm_mmio_move(struct vmm *vm, void *opaque, uint64_t old_gpa,
		  uint64_t new_gpa)
{
	(void)vm, (void)opaque, (void)old_gpa, (void)new_gpa;
	return 0;
}

const struct guest_mem *vmm_mem(struct vmm *vm)
{
	return &vm->mem;
}

int vmm_irq_line(struct vmm *vm, unsigned int gsi, int level)
{
	(void)vm, (void)gsi, (void)level;
	return 0;
}

int vmm_msi(struct vmm *vm, uint64_t addr, uint32_t data)
{
	(void)addr;
	__atomic_add_fetch(&vm->msi[data & 0xff], 1, __ATOMIC_RELEASE);
	return 0;
}

int vmm_irqfd_msi(struct vmm *vm, int fd, uint64_t addr, uint32_t data)
{
	unsigned int i;
	int r = 0;

	(void)addr;
	pthread_mutex_lock(&vm->irq_lock);
	for (i = 0; i < vm->nirqfd; i++)
		if (vm->irqfd[i].fd == fd)
			break;
	if (i < vm->nirqfd) {
		/* writes so far went out with the old message */
		irqfd_drain(vm, i);
		vm->irqfd[i].data = data;
	} else if (!vm->allow_irqfd) {
		r = -ENOSYS;
	} else if (vm->nirqfd >= FAKE_MAX_IRQFD) {
		r = -ENOSPC;
	} else {
		vm->irqfd[vm->nirqfd++] = (struct fake_irqfd){ fd, data };
	}
	pthread_mutex_unlock(&vm->irq_lock);
	return r;
}

int vmm_irqfd_clear(struct vmm *vm, int fd)
{
	unsigned int i;
	int r = -ENOENT;

	pthread_mutex_lock(&vm->irq_lock);
	for (i = 0; i < vm->nirqfd; i++)
		if (vm->irqfd[i].fd == fd) {
			irqfd_drain(vm, i);
			vm->irqfd[i] = vm->irqfd[--vm->nirqfd];
			r = 0;
			break;
		}
	pthread_mutex_unlock(&vm->irq_lock);
	return r;
}

int vmm_ioeventfd(struct vmm *vm, uint64_t gpa, unsigned int len, int fd,
		  bool deassign)
{
	unsigned int i;

	if (deassign) {
		for (i = 0; i < vm->nioev; i++)
			if (vm->ioev[i].gpa == gpa && vm->ioev[i].fd == fd) {
				vm->ioev[i] = vm->ioev[--vm->nioev];
				return 0;
			}
		return -ENOENT;
	}
	if (!vm->allow_ioev)
		return -ENOSYS;
	if (vm->nioev >= FAKE_MAX_IOEV)
		return -ENOSPC;
	for (i = 0; i < vm->nioev; i++)
		if (vm->ioev[i].gpa == gpa)
			return -EEXIST;
	vm->ioev[vm->nioev++] = (struct fake_ioev){ gpa, len, fd };
	return 0;
}

struct loop *vmm_loop(struct vmm *vm)
{
	return vm->loop;
}

int vmm_defer(struct vmm *vm, void (*fn)(void *arg), void *arg)
{
	(void)vm;
	fn(arg);
	return 0;
}

int vmm_pci_add(struct vmm *vm, struct pci_dev *dev, vmm_bar_fn *fn,
		void *opaque)
{
	unsigned int slot = vm->ndevs + 1, b;

	if (vm->ndevs >= FAKE_MAX_DEVS)
		return -ENOSPC;
	for (b = 0; b < 6; b++)
		if (dev->bar_size[b] &&
		    pci_dev_set_bar(dev, b, FAKE_BAR_BASE + slot * FAKE_BAR_STRIDE +
						    b * (FAKE_BAR_STRIDE / 8),
				    dev->bar_size[b]) < 0)
			return -EINVAL;
	vm->devs[vm->ndevs++] = (struct fake_dev){ dev, fn, opaque };
	return (int)slot;
}

void vmm_request_exit(struct vmm *vm, enum vm_exit why)
{
	(void)vm, (void)why;
}

const struct vm_config *vmm_config(struct vmm *vm)
{
	return vm->cfg;
}

/* --- a tiny virtio-pci modern driver -------------------------------------- */

#include <linux/virtio_config.h>
#include <linux/virtio_pci.h>

static uint32_t cfg32(struct pci_dev *p, unsigned int off)
{
	return pci_cfg_read(p, off, 4);
}

uint64_t fake_drv_read(struct fake_drv *d, uint64_t off, unsigned int len)
{
	return fake_mmio_read(d->vm, d->common + off, len);
}

void fake_drv_write(struct fake_drv *d, uint64_t off, uint64_t v,
		    unsigned int len)
{
	fake_mmio_write(d->vm, d->common + off, v, len);
}

#define CC(f) offsetof(struct virtio_pci_common_cfg, f)

int fake_drv_init(struct fake_drv *d, struct vmm *vm, unsigned int dev,
		  uint64_t features, uint16_t qsize, uint64_t ring_gpa)
{
	struct pci_dev *p = fake_vmm_dev(vm, dev);
	unsigned int cap, msix = 0, v, q, nvec;
	uint64_t bar, have;
	uint8_t st;

	memset(d, 0, sizeof(*d));
	d->vm = vm;
	d->dev = dev;
	if (p == NULL)
		return -ENODEV;
	bar = pci_bar_addr(p, 0);
	pci_dev_cfg_write(p, 4, 2, 0x6);	/* memory space + bus master */
	for (cap = pci_cfg_read(p, 0x34, 1); cap; cap = pci_cfg_read(p, cap + 1, 1)) {
		uint8_t id = (uint8_t)pci_cfg_read(p, cap, 1);
		uint8_t type = (uint8_t)pci_cfg_read(p, cap + 3, 1);
		uint64_t at = bar + cfg32(p, cap + 8);

		if (id == 0x11)
			msix = cap;
		if (id != 0x09)
			continue;
		if (pci_cfg_read(p, cap + 4, 1) != 0)
			return -ENODEV;		/* we only map BAR 0 */
		if (type == VIRTIO_PCI_CAP_COMMON_CFG)
			d->common = at;
		else if (type == VIRTIO_PCI_CAP_NOTIFY_CFG) {
			d->notify = at;
			d->notify_mult = cfg32(p, cap + 16);
		} else if (type == VIRTIO_PCI_CAP_ISR_CFG)
			d->isr = at;
		else if (type == VIRTIO_PCI_CAP_DEVICE_CFG)
			d->device = at;
	}
	if (!d->common || !d->notify || !d->isr || !msix)
		return -ENODEV;
	/* MSI-X: enable, then program and unmask every vector */
	pci_dev_cfg_write(p, msix + 2, 2, 0x8000);
	nvec = (pci_cfg_read(p, msix + 2, 2) & 0x7ff) + 1;
	for (v = 0; v < nvec; v++) {
		uint64_t e = bar + (cfg32(p, msix + 4) & ~7u) + 16 * v;

		fake_mmio_write(vm, e, 0xfee00000u, 4);
		fake_mmio_write(vm, e + 4, 0, 4);
		fake_mmio_write(vm, e + 8, FAKE_MSI_DATA(dev, v), 4);
		fake_mmio_write(vm, e + 12, 0, 4);
	}
	/* §3.1.1 */
	fake_drv_write(d, CC(device_status), 0, 1);
	fake_drv_write(d, CC(device_status), VIRTIO_CONFIG_S_ACKNOWLEDGE, 1);
	fake_drv_write(d, CC(device_status), VIRTIO_CONFIG_S_ACKNOWLEDGE |
		       VIRTIO_CONFIG_S_DRIVER, 1);
	fake_drv_write(d, CC(device_feature_select), 0, 4);
	have = fake_drv_read(d, CC(device_feature), 4);
	fake_drv_write(d, CC(device_feature_select), 1, 4);
	have |= fake_drv_read(d, CC(device_feature), 4) << 32;
	d->features = features & have;
	fake_drv_write(d, CC(guest_feature_select), 0, 4);
	fake_drv_write(d, CC(guest_feature), (uint32_t)d->features, 4);
	fake_drv_write(d, CC(guest_feature_select), 1, 4);
	fake_drv_write(d, CC(guest_feature), d->features >> 32, 4);
	st = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
	     VIRTIO_CONFIG_S_FEATURES_OK;
	fake_drv_write(d, CC(device_status), st, 1);
	if (!(fake_drv_read(d, CC(device_status), 1) &
	      VIRTIO_CONFIG_S_FEATURES_OK))
		return -EPROTO;
	fake_drv_write(d, CC(msix_config), 0, 2);
	d->nq = (unsigned int)fake_drv_read(d, CC(num_queues), 2);
	if (d->nq > FAKE_DRV_MAXQ)
		d->nq = FAKE_DRV_MAXQ;
	for (q = 0; q < d->nq; q++) {
		struct fake_vq *vq = &d->q[q];
		uint16_t max;

		fake_drv_write(d, CC(queue_select), q, 2);
		max = (uint16_t)fake_drv_read(d, CC(queue_size), 2);
		vq->size = qsize < max ? qsize : max;
		vq->desc = ring_gpa + q * 0x4000ull;
		vq->avail = vq->desc + 0x1000;
		vq->used = vq->desc + 0x2000;
		fake_drv_write(d, CC(queue_size), vq->size, 2);
		fake_drv_write(d, CC(queue_msix_vector), 1 + q, 2);
		fake_drv_write(d, CC(queue_desc_lo), vq->desc, 4);
		fake_drv_write(d, CC(queue_desc_hi), vq->desc >> 32, 4);
		fake_drv_write(d, CC(queue_avail_lo), vq->avail, 4);
		fake_drv_write(d, CC(queue_avail_hi), vq->avail >> 32, 4);
		fake_drv_write(d, CC(queue_used_lo), vq->used, 4);
		fake_drv_write(d, CC(queue_used_hi), vq->used >> 32, 4);
		fake_drv_write(d, CC(queue_enable), 1, 2);
	}
	fake_drv_write(d, CC(device_status), st | VIRTIO_CONFIG_S_DRIVER_OK, 1);
	return 0;
}

uint16_t fake_drv_add(struct fake_drv *d, unsigned int q,
		      const struct fake_buf *b, unsigned int n)
{
	struct fake_vq *vq = &d->q[q];
	uint8_t *ram = fake_vmm_ram(d->vm);
	uint16_t head = vq->next_desc, i, flags, next;

	for (i = 0; i < n; i++) {
		uint16_t at = (uint16_t)((head + i) % vq->size);
		uint8_t *e = ram + vq->desc + 16u * at;

		next = (uint16_t)((at + 1) % vq->size);
		flags = (uint16_t)((i + 1u < n ? 1 : 0) | (b[i].write ? 2 : 0));
		memcpy(e, &b[i].gpa, 8);
		memcpy(e + 8, &b[i].len, 4);
		memcpy(e + 12, &flags, 2);
		memcpy(e + 14, &next, 2);
	}
	vq->next_desc = (uint16_t)((head + n) % vq->size);
	memcpy(ram + vq->avail + 4 + 2u * (vq->avail_idx % vq->size), &head, 2);
	vq->avail_idx++;
	__atomic_store_n((uint16_t *)(ram + vq->avail + 2), vq->avail_idx,
			 __ATOMIC_RELEASE);
	return head;
}

void fake_drv_kick(struct fake_drv *d, unsigned int q)
{
	fake_mmio_write(d->vm, d->notify + (uint64_t)d->notify_mult * q, q, 2);
}

int fake_drv_wait(struct fake_drv *d, unsigned int q, uint32_t *id,
		  uint32_t *len, int timeout_ms)
{
	struct fake_vq *vq = &d->q[q];
	uint8_t *ram = fake_vmm_ram(d->vm);
	int waited;

	for (waited = 0; waited <= timeout_ms; waited += 10) {
		uint16_t idx = __atomic_load_n((uint16_t *)(ram + vq->used + 2),
					       __ATOMIC_ACQUIRE);

		if (idx != vq->used_seen) {
			uint8_t *e = ram + vq->used + 4 +
				     8u * (vq->used_seen % vq->size);

			memcpy(id, e, 4);
			memcpy(len, e + 4, 4);
			vq->used_seen++;
			/* like Linux's virtqueue_enable_cb: with EVENT_IDX,
			 * interrupt me for the next used entry */
			__atomic_store_n((uint16_t *)(ram + vq->avail + 4 +
						      2u * vq->size),
					 vq->used_seen, __ATOMIC_RELEASE);
			return 0;
		}
		fake_vmm_run_once(d->vm, 10);
	}
	return -ETIMEDOUT;
}
