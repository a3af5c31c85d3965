/* bootsel: boot file choice (see bootsel.h). */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "provd/core/bootsel.h"
#include "provd/core/resolve.h"
#include "provd/core/snapshot.h"

static bool is_uefi_pxe(int arch)
{
	return arch == ARCH_EFI_IA32 || arch == ARCH_EFI_BC || arch == ARCH_EFI_X64;
}

static bool wants(const struct bootsel_in *in, const char *loader)
{
	return in->loader && !strcmp(in->loader, loader);
}

int bootsel_choose(const struct bootsel_in *in, const char *http_base, const char *mac,
		   struct bootsel_out *out)
{
	bool bios = in->arch == ARCH_BIOS || in->arch < 0;

	memset(out, 0, sizeof(*out));
	if (!in->known && in->unknown_ignore)
		return -EINVAL;
	/* The override first, where the firmware can run what it names: an
	 * iPXE NIC ROM runs pxelinux.0 (through its PXE API) and, on UEFI,
	 * GRUB, so an admin can move one machine off the iPXE script. */
	if (bios && wants(in, "pxelinux")) {
		out->kind = BOOT_PXELINUX;
		snprintf(out->file, sizeof(out->file), "pxelinux.0");
		return 0;
	}
	if (is_uefi_pxe(in->arch) && wants(in, "grub")) {
		out->kind = BOOT_GRUB_EFI;
		snprintf(out->file, sizeof(out->file), "grubnetx64.efi");
		return 0;
	}
	/* Already running iPXE (ours or a NIC ROM): hand it the script, or
	 * it would load pxelinux/iPXE again and loop. */
	if (in->ipxe) {
		out->kind = BOOT_IPXE_SCRIPT;
		snprintf(out->file, sizeof(out->file), "%s/ipxe/%s", http_base, mac);
		return 0;
	}
	/* Proxy mode: GRUB 2.06 takes its TFTP server and prefix from the
	 * firmware's cached DHCP ACK, which is the lab server's, not from our
	 * proxy offer, so it never finds grub.cfg (docs/dhcp.md). iPXE runs
	 * its own DHCP, takes the proxy offer and comes back as iPXE. x86-64
	 * only: Debian ships no ia32 ipxe.efi. */
	if (in->proxy && in->ipxe_efi && (in->arch == ARCH_EFI_BC || in->arch == ARCH_EFI_X64)) {
		out->kind = BOOT_IPXE_EFI;
		snprintf(out->file, sizeof(out->file), "ipxe.efi");
		return 0;
	}
	if (is_uefi_pxe(in->arch)) {
		out->kind = BOOT_GRUB_EFI;
		snprintf(out->file, sizeof(out->file), "grubnetx64.efi");
		return 0;
	}
	/* UEFI HTTP boot (UEFI 2.5 §24.7): the boot file is a URL, fetched
	 * by the firmware itself. HttpBootDxe installs no PXE base code, and
	 * Debian's GRUB 2.06 takes its network settings only from that, so
	 * after an HTTP boot it never finds its config (tried with OVMF:
	 * pxe_uefi_http.sh); iPXE does its own DHCP and comes back as iPXE
	 * for its script. GRUB when the tree has no iPXE, or when asked. */
	if (in->arch == ARCH_EFI_X64_HTTP && in->ipxe_efi && !wants(in, "grub")) {
		out->kind = BOOT_IPXE_HTTP;
		snprintf(out->file, sizeof(out->file), "%s/ipxe.efi", http_base);
		return 0;
	}
	if (in->arch == ARCH_EFI_X64_HTTP) {
		out->kind = BOOT_GRUB_HTTP;
		snprintf(out->file, sizeof(out->file), "%s/grubnetx64.efi", http_base);
		return 0;
	}
	if (bios) {
		out->kind = BOOT_PXELINUX;
		snprintf(out->file, sizeof(out->file), "pxelinux.0");
		return 0;
	}
	return -EINVAL;
}

void bootsel_lookup(const struct snapshot *snap, const char *mac, struct bootsel_who *out)
{
	const struct system *sys;
	struct resolved *r = NULL;

	memset(out, 0, sizeof(*out));
	sys = snap ? snapshot_system_by_mac(snap, mac) : NULL;
	if (!sys)
		return;
	out->known = true;
	snprintf(out->system, sizeof(out->system), "%s", sys->name);
	if (resolve_system(snap, sys->name, &r) == 0 && r->loader.value)
		snprintf(out->loader, sizeof(out->loader), "%s", r->loader.value);
	resolved_free(r);
}
