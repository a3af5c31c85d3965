/*
 * kvm/virtio/devices.c - adds the devices a vm_config asks for.
 * Placeholder until the virtio-pci transport lands: refuses any device
 * request so `provd vm run` fails clearly instead of booting a guest
 * without the disk or NIC it was told to have.
 */
#include <errno.h>

#include "kvm/vmm.h"
#include "provd/base/log.h"

int vmm_devices_add(struct vmm *vm, const struct vm_config *c, void **state)
{
	(void)vm;
	*state = NULL;
	if (c->ndisks > 0 || c->net != VM_NET_NONE) {
		log_err("vm: virtio devices are not implemented yet (--disk/--net)");
		return -ENOSYS;
	}
	return 0;
}

void vmm_devices_free(void *state)
{
	(void)state;
}
