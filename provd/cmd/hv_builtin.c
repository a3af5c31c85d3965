/* hv_builtin: build-vm on provd's own VMM (kvm/). The VM runs as its own
 * process, `provd vm run --pxe` (a VM crash never takes the build down),
 * on libslirp user-mode networking: slirp's DHCP and TFTP serve the
 * build's folder, where build.c put the transient system's
 * pxelinux.cfg/01-<mac> (rendered with the build's HTTP base URL) and its
 * kernel and initrd; the VMM's netboot firmware (kvm/fw) reads them as a
 * PXE ROM + pxelinux would, and the installer then reaches provd's
 * loopback HTTP service as 10.0.2.2. The installer's final reboot ends the
 * process with exit 10 (a power-off with 0). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "provd/cmd/hypervisor.h"

int hv_builtin_start(const struct hv_vm *vm, pid_t *pid)
{
	char mem[32], smp[32], net[4200], disk[4200], self[4096], errlog[4300];
	const char *argv[32];
	ssize_t sl;
	int n = 0;

	sl = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (sl <= 0)
		return -errno;
	self[sl] = '\0';
	snprintf(mem, sizeof(mem), "%llu", (unsigned long long)vm->memory_mib);
	snprintf(smp, sizeof(smp), "%u", vm->vcpus);
	/* commas would split the option syntax of --net and --disk */
	if (strchr(vm->tftp_dir, ',') || strchr(vm->disk, ',') || strchr(vm->bootfile, ','))
		return -EINVAL;
	if (snprintf(net, sizeof(net), "slirp,tftp=%s,bootfile=%s", vm->tftp_dir, vm->bootfile) >=
		    (int)sizeof(net) ||
	    snprintf(disk, sizeof(disk), "%s", vm->disk) >= (int)sizeof(disk))
		return -ENAMETOOLONG;
	argv[n++] = self;
	argv[n++] = "vm";
	argv[n++] = "run";
	argv[n++] = "--pxe";
	argv[n++] = "--net";
	argv[n++] = net;
	argv[n++] = "--mac";
	argv[n++] = vm->mac;
	argv[n++] = "--disk";
	argv[n++] = disk;
	argv[n++] = "--memory";
	argv[n++] = mem;
	argv[n++] = "--vcpus";
	argv[n++] = smp;
	argv[n++] = "--console";
	argv[n++] = vm->console;
	argv[n] = NULL;

	/* the VMM's own log (netboot steps, exit reason) next to the console */
	if (snprintf(errlog, sizeof(errlog), "%s.vmm", vm->console) >= (int)sizeof(errlog))
		return -ENAMETOOLONG;
	return hv_spawn(argv, errlog, pid);
}
