/*
 * kvm/vmconfig.h - the one public interface of provd's VMM.
 *
 * A plain configuration struct (like kvmtool's kvm_config) that provd/cmd
 * fills from its command line; kvm/ knows nothing of YAML or HTTP.
 * vm_run() runs one VM in the calling process (docs/vmm.md).
 */
#ifndef PROVD_KVM_VMCONFIG_H
#define PROVD_KVM_VMCONFIG_H

#include <stdbool.h>
#include <stdint.h>

#define VM_MAX_DISKS 8
#define VM_MAX_HOSTFWD 8

/* Exit status contract of `provd vm run` (and vm_run()'s return value). */
enum vm_exit {
	VM_EXIT_POWEROFF = 0,	/* guest powered off (ACPI S5) */
	VM_EXIT_SETUP = 1,	/* setup error: no VM ran */
	VM_EXIT_USAGE = 2,	/* bad command line */
	VM_EXIT_REBOOT = 10,	/* guest rebooted (i8042 0xFE, ACPI reset) */
	VM_EXIT_CRASH = 11,	/* triple fault / internal error */
	VM_EXIT_TIMEOUT = 12,	/* --timeout elapsed */
	VM_EXIT_STOPPED = 13,	/* SIGINT/SIGTERM stopped the VM */
};

struct vm_disk_config {
	const char *path;
	bool readonly;
};

enum vm_net_kind {
	VM_NET_NONE = 0,
	VM_NET_SLIRP,
	VM_NET_TAP,
};

struct vm_hostfwd {
	bool udp;
	uint32_t host_addr;	/* network byte order; 0 = 127.0.0.1 */
	uint16_t host_port;
	uint16_t guest_port;
};

struct vm_config {
	const char *kernel;		/* bzImage path */
	const char *initrd;		/* optional */
	const char *append;		/* kernel command line, optional */
	uint64_t memory_mib;		/* default 512 */
	unsigned int vcpus;		/* default 1 */
	struct vm_disk_config disks[VM_MAX_DISKS];
	unsigned int ndisks;
	enum vm_net_kind net;
	const char *tap_name;		/* VM_NET_TAP */
	struct vm_hostfwd hostfwd[VM_MAX_HOSTFWD];
	unsigned int nhostfwd;
	uint8_t mac[6];
	bool mac_set;
	const char *console;		/* NULL or "stdio" = stdio, else a file */
	unsigned int timeout_s;		/* 0 = none */
	bool pxe;			/* netboot first (kvm/fw): kernel etc. from DHCP+TFTP */
	bool localboot;			/* boot disks[0]'s grub.cfg default entry (kvm/fw) */
	const char *tftp_dir;		/* slirp: serve this folder by TFTP (tftp=) */
	const char *bootfile;		/* slirp: DHCP boot file name (bootfile=) */
	bool pci_conf1;			/* PCI config via 0xCF8/0xCFC, not ECAM */
	const char *kernel_cache;	/* unpacked bzImages (kvm/kcache.h); NULL = none */
	bool kernel_cache_by_content;	/* key it by the kernel's bytes (netboot's
					 * fresh temporary files), not its identity */
};

/* What the netboot firmware found (vm_netboot()). */
struct vm_netboot {
	char address[16], server[16];	/* dotted quads: our lease, the TFTP server */
	char bootfile[128];		/* from DHCP */
	int proxy;			/* the boot file came from a proxyDHCP offer */
	char config[512];		/* the pxelinux config file that was used */
	char label[128];
	int localboot;			/* the entry says LOCALBOOT */
	char kernel[4096], initrd[4096];/* fetched into dir ("" = none) */
	char append[4096];		/* the command line, IPAPPEND applied */
	char kernel_tftp[512], initrd_tftp[512];	/* their TFTP names */
};

/* Defaults: 512 MiB, 1 vCPU, console on stdio, no devices. */
void vm_config_init(struct vm_config *c);

/*
 * Command-line values, parsed in place (arg is cut, and c keeps pointers
 * into it, so it must outlive c). 0, or -EINVAL / -ENOSPC with *why set to
 * a sentence for the user.
 *   disk: FILE[,ro|,rw]
 *   net:  slirp[,hostfwd=[tcp|udp]:[HOSTADDR]:HOSTPORT-:GUESTPORT]...
 *         | tap:IFNAME
 */
/* The NIC's MAC: c->mac when set, else a stable 52:54:00:xx:xx:xx hashed
 * from the kernel path, the first disk and the TAP name. */
void vm_config_default_mac(const struct vm_config *c, uint8_t mac[6]);

int vm_config_parse_disk(struct vm_config *c, char *arg, const char **why);
int vm_config_parse_net(struct vm_config *c, char *arg, const char **why);

/*
 * Runs the VM until the guest powers off or reboots, it crashes, the
 * timeout elapses or SIGINT/SIGTERM arrives; returns the enum vm_exit.
 * Logs why on setup errors. Blocks SIGINT/SIGTERM in the calling thread and
 * uses SIGUSR1 to interrupt vCPU threads.
 */
int vm_run(const struct vm_config *c);

/*
 * The netboot firmware alone: on c's network (slirp or tap) with c's MAC,
 * DHCP as a BIOS PXE client, then pxelinux's config lookup over TFTP
 * (01-MAC, the address in hex shortened a digit at a time, default) and
 * the chosen entry's kernel and initrd, written into dir. 0, or -errno
 * with the reason logged.
 */
int vm_netboot(const struct vm_config *c, const char *dir, struct vm_netboot *out);

#endif
