/* hv_qemu: the QEMU fallback of `build-vm` and the hypervisor choice.
 *
 * Networking is QEMU's user mode (libslirp), so no root is needed: its DHCP
 * and TFTP hand the guest's iPXE ROM a one-line script that chains to our
 * iPXE script over HTTP, and the guest reaches provd's loopback HTTP server
 * as 10.0.2.2. (The DHCP boot file is deliberately not the HTTP URL itself:
 * Debian's installer takes a URL boot file from DHCP as its preseed.) -no-reboot turns
 * the installer's final reboot into a QEMU exit, which is how we see that
 * the guest finished. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kvm/probe.h"
#include "provd/cmd/hypervisor.h"

static bool have_exec(const char *name)
{
	const char *path = getenv("PATH");
	char buf[4096];

	if (!path)
		path = "/usr/bin:/bin";
	while (*path) {
		const char *e = strchr(path, ':');
		size_t n = e ? (size_t)(e - path) : strlen(path);
		if (n && n + strlen(name) + 2 < sizeof(buf)) {
			memcpy(buf, path, n);
			buf[n] = '/';
			strcpy(buf + n + 1, name);
			if (access(buf, X_OK) == 0)
				return true;
		}
		path += n;
		if (*path == ':')
			path++;
	}
	return false;
}

/* kvm_pvm runs guest kernel code by emulation (~1.5 M instructions/s,
 * measured): usable for tiny test blobs, hopeless for an installer. */
static bool kvm_is_slow_nested(void)
{
	return access("/sys/module/kvm_pvm", F_OK) == 0;
}

static bool kvm_usable(char *why, size_t len)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		snprintf(why, len, "/dev/kvm cannot be opened (%s)", strerror(errno));
		return false;
	}
	close(fd);
	if (kvm_is_slow_nested()) {
		snprintf(why, len, "/dev/kvm is kvm_pvm, which emulates guest kernel code "
			 "(~1.5 M instructions/s), too slow for an installer");
		return false;
	}
	snprintf(why, len, "/dev/kvm is usable");
	return true;
}

int hv_choose(const char *want, const char *accel, struct hv_choice *out)
{
	char why[200];
	bool kvm_ok = kvm_usable(why, sizeof(why));

	memset(out, 0, sizeof(*out));
	if (!want)
		want = "auto";
	if (strcmp(want, "builtin") == 0 || strcmp(want, "auto") == 0) {
		double ips = 0;
		const char *slow = NULL;

		/* the quick check above knows kvm_pvm; the probe measures */
		if (kvm_ok && !accel && kvm_probe("/dev/kvm", &ips, &slow) < 0) {
			kvm_ok = false;
			snprintf(why, sizeof(why), "/dev/kvm runs guest code too slowly (%s; %.0f "
				 "instructions/s measured)", slow ? slow : "probe failed", ips);
		}
		if (kvm_ok && !accel) {
			out->kind = HV_BUILTIN;
			out->kvm = true;
			snprintf(out->reason, sizeof(out->reason),
				 "provd's builtin VMM (%s)", why);
			return 0;
		}
		if (strcmp(want, "builtin") == 0) {
			snprintf(out->reason, sizeof(out->reason),
				 "the builtin VMM cannot run here: %s; use --hypervisor qemu (or auto)",
				 accel ? "--accel is a QEMU option" : why);
			return -EINVAL;
		}
	} else if (strcmp(want, "qemu") != 0) {
		snprintf(out->reason, sizeof(out->reason),
			 "unknown hypervisor '%s' (use auto, builtin or qemu)", want);
		return -EINVAL;
	}
	if (!have_exec("qemu-system-x86_64")) {
		snprintf(out->reason, sizeof(out->reason),
			 "qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)");
		return -ENOENT;
	}
	out->kind = HV_QEMU;
	if (accel && strcmp(accel, "kvm") == 0) {
		out->kvm = true;
		snprintf(out->reason, sizeof(out->reason), "qemu with KVM (asked for; %s)", why);
	} else if (accel && strcmp(accel, "tcg") == 0) {
		out->kvm = false;
		snprintf(out->reason, sizeof(out->reason), "qemu with TCG (asked for)");
	} else if (accel) {
		snprintf(out->reason, sizeof(out->reason), "unknown accelerator '%s' (use kvm or tcg)", accel);
		return -EINVAL;
	} else {
		out->kvm = kvm_ok;
		snprintf(out->reason, sizeof(out->reason), "qemu with %s: %s",
			 kvm_ok ? "KVM" : "TCG", why);
	}
	return 0;
}

int hv_qemu_start(const struct hv_choice *c, const struct hv_vm *vm, pid_t *pid)
{
	char mem[32], smp[32], drive[4200], netdev[1200], nic[128], serial[4200], errlog[4300];
	const char *argv[40];
	int n = 0;

	snprintf(mem, sizeof(mem), "%llu", (unsigned long long)vm->memory_mib);
	snprintf(smp, sizeof(smp), "%u", vm->vcpus);
	if (snprintf(drive, sizeof(drive), "file=%s,if=virtio,format=raw,cache=writeback,discard=unmap",
		     vm->disk) >= (int)sizeof(drive) ||
	    snprintf(netdev, sizeof(netdev), "user,id=n0,tftp=%s,bootfile=%s", vm->tftp_dir, vm->bootfile) >=
		    (int)sizeof(netdev) ||
	    snprintf(serial, sizeof(serial), "file:%s", vm->console) >= (int)sizeof(serial))
		return -ENAMETOOLONG;
	/* Commas in file names would split QEMU's option syntax. */
	if (strchr(vm->disk, ',') || strchr(vm->console, ',') || strchr(vm->tftp_dir, ','))
		return -EINVAL;
	snprintf(nic, sizeof(nic), "virtio-net-pci,netdev=n0,mac=%s", vm->mac);

	argv[n++] = "qemu-system-x86_64";
	argv[n++] = "-name";
	argv[n++] = vm->name;
	argv[n++] = "-machine";
	argv[n++] = "q35";
	argv[n++] = "-accel";
	argv[n++] = c->kvm ? "kvm" : "tcg,thread=multi";
	argv[n++] = "-cpu";
	argv[n++] = c->kvm ? "host" : "max";
	argv[n++] = "-m";
	argv[n++] = mem;
	argv[n++] = "-smp";
	argv[n++] = smp;
	argv[n++] = "-drive";
	argv[n++] = drive;
	argv[n++] = "-netdev";
	argv[n++] = netdev;
	argv[n++] = "-device";
	argv[n++] = nic;
	argv[n++] = "-object";
	argv[n++] = "rng-random,id=rng0,filename=/dev/urandom";
	argv[n++] = "-device";
	argv[n++] = "virtio-rng-pci,rng=rng0";
	/* Disk first would try the empty disk; network only. */
	argv[n++] = "-boot";
	argv[n++] = "order=n";
	argv[n++] = "-no-reboot";
	argv[n++] = "-display";
	argv[n++] = "none";
	argv[n++] = "-vga";
	argv[n++] = "none";
	argv[n++] = "-serial";
	argv[n++] = serial;
	argv[n++] = "-monitor";
	argv[n++] = "none";
	argv[n] = NULL;

	/* QEMU's own complaints go next to the console log */
	if (snprintf(errlog, sizeof(errlog), "%s.qemu", vm->console) >= (int)sizeof(errlog))
		return -ENAMETOOLONG;
	return hv_spawn(argv, errlog, pid);
}

