/*
 * kvm/irq.c - interrupts into the guest: legacy lines (KVM_IRQ_LINE), one-off
 * MSIs (KVM_SIGNAL_MSI) and MSI routes bound to eventfds (KVM_SET_GSI_ROUTING
 * + KVM_IRQFD), so a device thread interrupts the guest with a write(2) to
 * an eventfd and KVM injects it without a trip through the VMM.
 *
 * KVM_SET_GSI_ROUTING replaces the whole table, including the default
 * routes KVM_CREATE_IRQCHIP installed for the PIC and the I/O APIC; so the
 * table written here always starts with the same 40 entries KVM's own
 * default has (GSI 0-15 to both the I/O APIC pin and the PIC pin, GSI
 * 16-23 to the I/O APIC), which keeps KVM_IRQ_LINE, the PIT on GSI 0 and
 * what the MP table and MADT describe unchanged. MSI routes take GSIs from
 * 24 up, one per bound eventfd.
 */
#include "config.h"

#include <errno.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "kvm/vm.h"
#include "provd/base/log.h"

#define IRQ_LEGACY_GSIS 24
#define IRQ_PIC_GSIS 16
#define IRQ_MSI_MAX 128		/* routes; a VM of 8 disks and a NIC uses 23 */
#define IRQ_TABLE_MAX (IRQ_LEGACY_GSIS + IRQ_PIC_GSIS + IRQ_MSI_MAX)

struct irq_msi_route {
	int fd;			/* -1: free */
	uint64_t addr;
	uint32_t data;
};

struct irq_routes {
	pthread_mutex_t lock;
	bool ok;		/* KVM has GSI routing and irqfd */
	bool used;		/* a route was bound (logged once) */
	struct irq_msi_route msi[IRQ_MSI_MAX];	/* msi[i] is GSI 24 + i */
	struct kvm_irq_routing *table;	/* scratch for the ioctl */
};

int vmm_irq_line(struct vmm *vm, unsigned int gsi, int level)
{
	struct kvm_irq_level l = { .irq = gsi, .level = level ? 1 : 0 };

	return ioctl(vm->vm_fd, KVM_IRQ_LINE, &l) < 0 ? -errno : 0;
}

int vmm_msi(struct vmm *vm, uint64_t addr, uint32_t data)
{
	struct kvm_msi m = {
		.address_lo = (uint32_t)addr,
		.address_hi = (uint32_t)(addr >> 32),
		.data = data,
	};

	/* > 0 delivered, 0 blocked by the guest (masked): both fine */
	return ioctl(vm->vm_fd, KVM_SIGNAL_MSI, &m) < 0 ? -errno : 0;
}

static void chip_entry(struct kvm_irq_routing_entry *e, uint32_t gsi,
		       uint32_t chip, uint32_t pin)
{
	memset(e, 0, sizeof(*e));
	e->gsi = gsi;
	e->type = KVM_IRQ_ROUTING_IRQCHIP;
	e->u.irqchip.irqchip = chip;
	e->u.irqchip.pin = pin;
}

/* Lock held: write the default legacy routes plus every MSI route. */
static int routes_commit(struct vmm *vm)
{
	struct irq_routes *ir = vm->irq;
	struct kvm_irq_routing_entry *e = ir->table->entries;
	unsigned int n = 0, i;

	for (i = 0; i < IRQ_LEGACY_GSIS; i++) {
		chip_entry(&e[n++], i, KVM_IRQCHIP_IOAPIC, i);
		if (i < IRQ_PIC_GSIS)
			chip_entry(&e[n++], i, i < 8 ? KVM_IRQCHIP_PIC_MASTER
						     : KVM_IRQCHIP_PIC_SLAVE,
				   i % 8);
	}
	for (i = 0; i < IRQ_MSI_MAX; i++) {
		const struct irq_msi_route *m = &ir->msi[i];

		if (m->fd < 0)
			continue;
		memset(&e[n], 0, sizeof(e[n]));
		e[n].gsi = IRQ_LEGACY_GSIS + i;
		e[n].type = KVM_IRQ_ROUTING_MSI;
		e[n].u.msi.address_lo = (uint32_t)m->addr;
		e[n].u.msi.address_hi = (uint32_t)(m->addr >> 32);
		e[n].u.msi.data = m->data;
		n++;
	}
	ir->table->nr = n;
	ir->table->flags = 0;
	return ioctl(vm->vm_fd, KVM_SET_GSI_ROUTING, ir->table) < 0 ? -errno : 0;
}

static int irqfd_ioctl(struct vmm *vm, int fd, unsigned int gsi, bool assign)
{
	struct kvm_irqfd f = {
		.fd = (uint32_t)fd,
		.gsi = gsi,
		.flags = assign ? 0 : KVM_IRQFD_FLAG_DEASSIGN,
	};

	return ioctl(vm->vm_fd, KVM_IRQFD, &f) < 0 ? -errno : 0;
}

static int find(const struct irq_routes *ir, int fd)
{
	for (int i = 0; i < IRQ_MSI_MAX; i++)
		if (ir->msi[i].fd == fd)
			return i;
	return -1;
}

int vmm_irqfd_msi(struct vmm *vm, int fd, uint64_t addr, uint32_t data)
{
	struct irq_routes *ir = vm->irq;
	int i, r;

	if (ir == NULL || !ir->ok)
		return -ENOSYS;
	if (fd < 0)
		return -EBADF;
	pthread_mutex_lock(&ir->lock);
	i = find(ir, fd);
	if (i >= 0) {
		/* a new message for a bound fd: the irqfd follows the
		 * route as soon as the table is replaced */
		ir->msi[i].addr = addr;
		ir->msi[i].data = data;
		r = routes_commit(vm);
		if (r < 0) {
			/* do not leave fd bound to a message the guest
			 * has replaced */
			irqfd_ioctl(vm, fd, IRQ_LEGACY_GSIS + (unsigned int)i,
				    false);
			ir->msi[i].fd = -1;
		}
		goto out;
	}
	i = find(ir, -1);
	if (i < 0) {
		r = -ENOSPC;
		goto out;
	}
	ir->msi[i] = (struct irq_msi_route){ fd, addr, data };
	r = routes_commit(vm);
	if (r == 0)
		r = irqfd_ioctl(vm, fd, IRQ_LEGACY_GSIS + (unsigned int)i, true);
	if (r < 0) {
		ir->msi[i].fd = -1;
		routes_commit(vm);
	} else if (!ir->used) {
		ir->used = true;
		log_info("vm: MSI-X interrupts go through irqfd (GSI %d up)",
			 IRQ_LEGACY_GSIS);
	}
out:
	pthread_mutex_unlock(&ir->lock);
	if (r < 0)
		log_debug("vm: MSI route for eventfd %d: %s", fd, strerror(-r));
	return r;
}

int vmm_irqfd_clear(struct vmm *vm, int fd)
{
	struct irq_routes *ir = vm->irq;
	int i, r;

	if (ir == NULL || !ir->ok)
		return -ENOSYS;
	pthread_mutex_lock(&ir->lock);
	i = find(ir, fd);
	if (i < 0) {
		r = -ENOENT;
	} else {
		/* after this, KVM injects nothing more for fd */
		r = irqfd_ioctl(vm, fd, IRQ_LEGACY_GSIS + (unsigned int)i, false);
		ir->msi[i].fd = -1;
		/* the stale route would be harmless; drop it anyway, so
		 * the table holds only routes in use */
		routes_commit(vm);
	}
	pthread_mutex_unlock(&ir->lock);
	return r;
}

int irq_routes_init(struct vmm *vm)
{
	struct irq_routes *ir = calloc(1, sizeof(*ir));
	int max;

	if (ir == NULL)
		return -ENOMEM;
	pthread_mutex_init(&ir->lock, NULL);
	for (int i = 0; i < IRQ_MSI_MAX; i++)
		ir->msi[i].fd = -1;
	vm->irq = ir;
	max = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IRQ_ROUTING);
	if (max < IRQ_TABLE_MAX ||
	    ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IRQFD) <= 0) {
		log_info("vm: this KVM has no irqfd/GSI routing: MSIs go "
			 "through KVM_SIGNAL_MSI");
		return 0;
	}
	ir->table = calloc(1, sizeof(*ir->table) +
				      IRQ_TABLE_MAX *
					      sizeof(struct kvm_irq_routing_entry));
	if (ir->table == NULL)
		return -ENOMEM;
	ir->ok = true;
	return 0;
}

void irq_routes_free(struct vmm *vm)
{
	struct irq_routes *ir = vm->irq;

	if (ir == NULL)
		return;
	/* devices cleared their routes; the VM fd going away drops any
	 * irqfd left */
	pthread_mutex_destroy(&ir->lock);
	free(ir->table);
	free(ir);
	vm->irq = NULL;
}
