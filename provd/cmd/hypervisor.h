/* hypervisor: which VMM runs a build.
 *
 * `--hypervisor auto` picks the builtin VMM (kvm/, with its netboot
 * firmware kvm/fw) when /dev/kvm runs ordinary guests at useful speed;
 * otherwise qemu-system-x86_64 (KVM when usable, else TCG) with QEMU's own
 * PXE firmware (iPXE). It says which it chose and why. */
#ifndef PROVD_CMD_HYPERVISOR_H
#define PROVD_CMD_HYPERVISOR_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

enum hv_kind { HV_BUILTIN, HV_QEMU };

struct hv_choice {
	enum hv_kind kind;
	bool kvm;		/* qemu: -accel kvm (else tcg) */
	char reason[384];	/* one sentence for the user */
};

/* Decide. want: "auto", "builtin", "qemu" (NULL = auto); accel: "kvm",
 * "tcg" or NULL. 0, or -EINVAL with reason filled (e.g. builtin asked for
 * but unusable). */
int hv_choose(const char *want, const char *accel, struct hv_choice *out);

/* What a netbooting VM needs. */
struct hv_vm {
	uint64_t memory_mib;
	unsigned vcpus;
	const char *disk;	/* raw image */
	const char *mac;	/* lower-case colon form */
	const char *tftp_dir;	/* served by the user-mode (slirp) TFTP server */
	const char *bootfile;	/* DHCP boot file, a name in tftp_dir (not a URL:
				 * d-i takes a URL boot file for its preseed) */
	const char *console;	/* serial console log file */
	const char *name;
};

/* Start the VM in the background (own process group); *pid on success. The
 * VM exits when the guest reboots or powers off (-no-reboot). */
int hv_qemu_start(const struct hv_choice *c, const struct hv_vm *vm, pid_t *pid);

/* Forks argv (its own process group, stdin /dev/null, stdout and stderr
 * to log). 0 and *pid, or -errno. */
int hv_spawn(const char *const *argv, const char *log, pid_t *pid);

/* The same with the builtin VMM: `provd vm run --pxe` on slirp serving
 * tftp_dir, as a child process in its own process group; its log goes to
 * CONSOLE.vmm. Exit 10 when the guest reboots, 0 when it powers off. */
int hv_builtin_start(const struct hv_vm *vm, pid_t *pid);

#endif
