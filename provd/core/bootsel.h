/* bootsel: which boot file a network-booting machine gets, by what its
 * firmware says it is (DHCP option 93 client architecture, RFC 4578; user
 * class "iPXE", option 77, or iPXE's option 175), whether provd knows the
 * machine, and the system's or profile's loader override. Pure, shared by
 * DHCP and HTTP.
 *
 *   unknown MAC, unknown_mac: ignore -> nothing
 *   iPXE (any arch)             -> <http_base>/ipxe/<mac> (an HTTP script;
 *                                  this breaks the chainload loop)
 *   arch 0 or absent (BIOS)     -> pxelinux.0 (kernels then come over TFTP)
 *   arch 7, 9 (x86-64 UEFI PXE) in proxy mode, ipxe.efi in the TFTP tree
 *                               -> ipxe.efi (GRUB would take its server from
 *                                  the lab's DHCP ACK and miss its config;
 *                                  iPXE asks again and gets the script)
 *   arch 6, 7, 9 (UEFI PXE)     -> grubnetx64.efi (Debian's signed GRUB)
 *   arch 16 (x86-64 UEFI HTTP)  -> <http_base>/ipxe.efi when the TFTP tree
 *                                  has it, else <http_base>/grubnetx64.efi
 *                                  (Debian's GRUB 2.06 finds no network
 *                                  config after an HTTP boot)
 *   anything else               -> nothing (no answer beats a wrong binary)
 *
 * Loader override (system's, else its profile chain's): "pxelinux" gives
 * BIOS machines pxelinux.0 even when they run iPXE (a NIC ROM), "grub"
 * gives UEFI machines GRUB even when they run iPXE; "ipxe" is the default
 * behaviour. An override the firmware cannot run (pxelinux on UEFI, GRUB
 * on BIOS: the TFTP tree carries neither binary) falls back to the
 * firmware's default rather than handing out a file that cannot boot. */
#ifndef PROVD_CORE_BOOTSEL_H
#define PROVD_CORE_BOOTSEL_H

#include <stdbool.h>

struct snapshot;

enum boot_kind {
	BOOT_NONE, BOOT_PXELINUX, BOOT_GRUB_EFI, BOOT_GRUB_HTTP, BOOT_IPXE_SCRIPT, BOOT_IPXE_EFI,
	BOOT_IPXE_HTTP,
};

/* RFC 4578 §2.1 / IANA "Processor Architecture Types". */
enum { ARCH_BIOS = 0, ARCH_EFI_IA32 = 6, ARCH_EFI_BC = 7, ARCH_EFI_X64 = 9, ARCH_EFI_X64_HTTP = 16 };

struct bootsel_in {
	int arch;		/* option 93, -1 when absent (treated as BIOS) */
	bool ipxe;		/* user class "iPXE" or option 175 present */
	const char *loader;	/* override: "pxelinux", "grub", "ipxe" or NULL */
	bool known;		/* the MAC belongs to a system */
	bool unknown_ignore;	/* unknown_mac: ignore (else: the default menu) */
	bool proxy;		/* the DHCP server runs in proxy mode */
	bool ipxe_efi;		/* the TFTP tree carries ipxe.efi (also served over HTTP) */
};

struct bootsel_out {
	enum boot_kind kind;
	char file[256];		/* TFTP file name or HTTP URL */
};

/* 0, or -EINVAL when nothing fits (out->kind BOOT_NONE). */
int bootsel_choose(const struct bootsel_in *in, const char *http_base, const char *mac,
		   struct bootsel_out *out);

/* What the state says about the machine with this MAC (lower-case colon
 * form): known or not, its system's name and the loader override
 * (system's, else the deepest profile's that sets one; "" for none). */
struct bootsel_who {
	bool known;
	char system[65];
	char loader[16];
};
void bootsel_lookup(const struct snapshot *snap, const char *mac, struct bootsel_who *out);

#endif
