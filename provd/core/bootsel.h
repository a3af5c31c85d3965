/* bootsel: which boot file a network-booting machine gets, by what its
 * firmware says it is (DHCP option 93 client architecture, RFC 4578; user
 * class "iPXE", option 77, or iPXE's option 175) and the system's or
 * profile's loader override. Pure, shared by DHCP and HTTP.
 *
 *   iPXE (any arch)           -> <http_base>/ipxe/<mac> (an HTTP script; this
 *                                breaks the chainload loop)
 *   arch 0 or absent (BIOS)   -> pxelinux.0 (kernels then come over TFTP)
 *   arch 6, 7, 9 (UEFI)       -> grubnetx64.efi (Debian's signed GRUB)
 *   anything else             -> nothing (no answer beats a wrong binary)
 */
#ifndef PROVD_CORE_BOOTSEL_H
#define PROVD_CORE_BOOTSEL_H

#include <stdbool.h>

enum boot_kind { BOOT_NONE, BOOT_PXELINUX, BOOT_GRUB_EFI, BOOT_IPXE_SCRIPT };

struct bootsel_in {
	int arch;		/* option 93, -1 when absent (treated as BIOS) */
	bool ipxe;		/* user class "iPXE" or option 175 present */
	const char *loader;	/* override: "pxelinux", "grub", "ipxe" or NULL */
};

struct bootsel_out {
	enum boot_kind kind;
	char file[256];		/* TFTP file name or HTTP URL */
};

/* 0, or -EINVAL when nothing fits (out->kind BOOT_NONE). */
int bootsel_choose(const struct bootsel_in *in, const char *http_base, const char *mac,
		   struct bootsel_out *out);

#endif
