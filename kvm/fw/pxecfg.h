/*
 * kvm/fw/pxecfg.h - the part of a pxelinux configuration file the netboot
 * firmware acts on: which label boots (DEFAULT, ONTIMEOUT, MENU DEFAULT
 * when a menu module is the DEFAULT) and that label's KERNEL/LINUX,
 * INITRD, APPEND, IPAPPEND or LOCALBOOT. Untrusted input (it comes off the
 * network): pure, bounded, fuzzed (tests/fuzz/fuzz_pxecfg.c).
 */
#ifndef PROVD_KVM_FW_PXECFG_H
#define PROVD_KVM_FW_PXECFG_H

#include <stdbool.h>
#include <stddef.h>

#define PXECFG_MAX_LEN (256 * 1024)	/* bigger files are refused */
#define PXECFG_PATH_MAX 512
#define PXECFG_APPEND_MAX 4096

struct pxecfg_entry {
	char label[128];
	char kernel[PXECFG_PATH_MAX];	/* KERNEL or LINUX; "" if none */
	char initrd[PXECFG_PATH_MAX];	/* INITRD, or initrd= taken out of APPEND */
	char append[PXECFG_APPEND_MAX];	/* APPEND without initrd= */
	bool localboot;			/* LOCALBOOT: boot the local disk */
	unsigned int ipappend;		/* IPAPPEND flags (1: ip=, 2: BOOTIF=) */
};

/*
 * Finds the entry that boots without a user at the keyboard. 0 with *e
 * filled, or -1 with *why set to a sentence (no DEFAULT, DEFAULT names no
 * label, the label has neither a kernel nor LOCALBOOT, a value too long,
 * the file too big).
 */
int pxecfg_parse(const char *text, size_t len, struct pxecfg_entry *e,
		 const char **why);

#endif
