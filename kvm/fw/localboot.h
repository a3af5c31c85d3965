/*
 * kvm/fw/localboot.h - LOCALBOOT for the builtin VMM: find what the
 * installed disk's boot loader would boot and hand it to vm_boot(), since
 * the VMM runs no BIOS and no GRUB. Reads the disk read-only with
 * libext2fs (DESIGN.md "Netboot firmware").
 */
#ifndef PROVD_KVM_FW_LOCALBOOT_H
#define PROVD_KVM_FW_LOCALBOOT_H

#include <stddef.h>

#include "kvm/vmconfig.h"

#define GRUBCFG_MAX (1024 * 1024)

struct grub_entry {
	char title[128];
	char linux_path[512];
	char initrd_path[512];
	char args[4096];
};

/* The first menuentry's linux/initrd lines of a grub.cfg (GRUB_DEFAULT=0,
 * what Debian's update-grub writes). Pure, fuzzed. 0, or -1 with *why. */
int grubcfg_first_entry(const char *text, size_t len, struct grub_entry *e, const char **why);

/*
 * Looks through disk's partitions (MBR, GPT, or none) for an ext2/3/4 file
 * system with /boot/grub/grub.cfg (or /grub/grub.cfg: a separate /boot),
 * else the /vmlinuz and /initrd.img links Debian keeps; copies the kernel
 * and initrd into dir and fills o->kernel, o->initrd, o->append, o->label
 * and o->config (where it found them). 0, or -errno with the reason logged.
 */
int fw_localboot(const char *disk, const char *dir, struct vm_netboot *o);

#endif
