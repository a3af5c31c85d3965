/*
 * kvm/virtio/devices.c - adds the devices a vm_config asks for: its disks
 * (virtio-blk, in --disk order, so the first is /dev/vda), its NIC when
 * --net is set, and always a virtio-rng. On failure everything added so far
 * is freed again and the error is the first device's.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>

#include "kvm/vmm.h"
#include "provd/base/log.h"

struct vmm_devices {
	struct virtio_blk *blk[VM_MAX_DISKS];
	unsigned int nblk;
	struct virtio_net *net;
	struct virtio_rng *rng;
};

int vmm_devices_add(struct vmm *vm, const struct vm_config *c, void **state)
{
	struct vmm_devices *d;
	unsigned int i;
	int r;

	*state = NULL;
	if (c->ndisks > VM_MAX_DISKS)
		return -EINVAL;
	d = calloc(1, sizeof(*d));
	if (d == NULL)
		return -ENOMEM;
	for (i = 0; i < c->ndisks; i++) {
		d->blk[i] = virtio_blk_add(vm, &c->disks[i], i);
		if (d->blk[i] == NULL)
			goto fail;
		d->nblk++;
	}
	if (c->net != VM_NET_NONE) {
		d->net = virtio_net_add(vm, c);
		if (d->net == NULL)
			goto fail;
	}
	d->rng = virtio_rng_add(vm);
	if (d->rng == NULL)
		goto fail;
	*state = d;
	return 0;
fail:
	r = errno ? -errno : -EIO;
	vmm_devices_free(d);
	return r;
}

void vmm_devices_free(void *state)
{
	struct vmm_devices *d = state;
	unsigned int i;

	if (d == NULL)
		return;
	virtio_rng_free(d->rng);
	virtio_net_free(d->net);
	for (i = 0; i < d->nblk; i++)
		virtio_blk_free(d->blk[i]);
	free(d);
}
