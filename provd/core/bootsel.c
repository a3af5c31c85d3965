/* bootsel: boot file choice (see bootsel.h). */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "provd/core/bootsel.h"

int bootsel_choose(const struct bootsel_in *in, const char *http_base, const char *mac,
		   struct bootsel_out *out)
{
	bool uefi = in->arch == 6 || in->arch == 7 || in->arch == 9;
	bool bios = in->arch == 0 || in->arch < 0;

	memset(out, 0, sizeof(*out));
	/* Already running iPXE (ours or a NIC ROM): hand it the script, or
	 * it would load pxelinux/iPXE again and loop. A loader: ipxe
	 * override asks for the same from machines that start in iPXE. */
	if (in->ipxe) {
		out->kind = BOOT_IPXE_SCRIPT;
		snprintf(out->file, sizeof(out->file), "%s/ipxe/%s", http_base, mac);
		return 0;
	}
	if (uefi && (!in->loader || strcmp(in->loader, "pxelinux") != 0)) {
		out->kind = BOOT_GRUB_EFI;
		snprintf(out->file, sizeof(out->file), "grubnetx64.efi");
		return 0;
	}
	if (bios) {
		out->kind = BOOT_PXELINUX;
		snprintf(out->file, sizeof(out->file), "pxelinux.0");
		return 0;
	}
	return -EINVAL;
}
