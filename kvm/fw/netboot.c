/*
 * kvm/fw/netboot.c - `provd vm run --pxe`: the VMM as the PXE client of its
 * own NIC (DESIGN.md, "Netboot firmware"). It does what a BIOS PXE ROM and
 * pxelinux.0 do together, from the host side before the guest starts:
 * DHCP (dhcpc.c), the pxelinux config lookup over TFTP (tftpc.c), the
 * unattended entry (pxecfg.c), its kernel and initrd; then vm_run() boots
 * them directly. A VM therefore boots what a lab machine with the same MAC
 * boots, through the same DHCP and TFTP servers.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kvm/fw/dhcpc.h"
#include "kvm/fw/localboot.h"
#include "kvm/fw/nic.h"
#include "kvm/fw/pxecfg.h"
#include "kvm/fw/tftpc.h"
#include "kvm/vm.h"
#include "kvm/vmconfig.h"
#include "provd/base/log.h"

#define FILE_MAX (1ULL << 31)	/* a kernel or initrd larger than 2 GiB is refused */

/* TFTP name of path as pxelinux resolves it: relative to the boot file's
 * folder, absolute with a leading '/' or "::" */
static int resolve_name(char *out, size_t max, const char *prefix, const char *path)
{
	int n;

	if (strncmp(path, "::", 2) == 0)
		n = snprintf(out, max, "%s", path + 2);
	else if (path[0] == '/')
		n = snprintf(out, max, "%s", path + 1);
	else
		n = snprintf(out, max, "%s%s", prefix, path);
	return n < 0 || (size_t)n >= max ? -ENAMETOOLONG : 0;
}

static int fetch_file(struct fw_nic *n, uint32_t server, const char *name, const char *dir,
		      const char *as, char *path, size_t pmax)
{
	struct tftp_sink s = { .max = FILE_MAX };
	int64_t t0 = fw_now_ms();
	int r;

	if (snprintf(path, pmax, "%s/%s", dir, as) >= (int)pmax)
		return -ENAMETOOLONG;
	s.fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (s.fd < 0) {
		r = -errno;
		log_err("vm: netboot: cannot create %s: %s", path, strerror(errno));
		return r;
	}
	r = tftpc_get(n, server, name, &s);
	if (close(s.fd) < 0 && r == 0)
		r = -errno;
	if (r < 0) {
		log_err("vm: netboot: TFTP %s: %s", name, s.err[0] ? s.err : strerror(-r));
		unlink(path);
		return r;
	}
	log_info("vm: netboot: %s: %zu bytes in %lld ms", name, s.len,
		 (long long)(fw_now_ms() - t0));
	return 0;
}

/* pxelinux's order: 01-<mac>, then the address in upper-case hex with one
 * digit dropped at a time, then default (pxelinux doc/pxelinux.txt) */
static int find_config(struct fw_nic *n, uint32_t server, const char *prefix,
		       struct vm_netboot *o, char *text, size_t max, size_t *len)
{
	char names[11][64];
	unsigned int k = 0;
	uint32_t ip = ntohl(n->ip);

	snprintf(names[k++], sizeof(names[0]), "01-%02x-%02x-%02x-%02x-%02x-%02x",
		 n->mac[0], n->mac[1], n->mac[2], n->mac[3], n->mac[4], n->mac[5]);
	for (int d = 8; d >= 1; d--)
		snprintf(names[k++], sizeof(names[0]), "%0*X", d, (unsigned)(ip >> (4 * (8 - d))));
	snprintf(names[k++], sizeof(names[0]), "default");
	for (unsigned int i = 0; i < k; i++) {
		char name[PXECFG_PATH_MAX];
		struct tftp_sink s = { .fd = -1, .buf = text, .max = max - 1 };
		int r;

		if (snprintf(name, sizeof(name), "%spxelinux.cfg/%s", prefix, names[i]) >= (int)sizeof(name))
			return -ENAMETOOLONG;
		r = tftpc_get(n, server, name, &s);
		if (r == -ENOENT)
			continue;	/* "File not found": try the next name */
		if (r < 0) {
			log_err("vm: netboot: TFTP %s: %s", name, s.err[0] ? s.err : strerror(-r));
			return r;
		}
		text[s.len] = '\0';
		*len = s.len;
		snprintf(o->config, sizeof(o->config), "%s", name);
		return 0;
	}
	log_err("vm: netboot: no pxelinux config for this machine on %s (tried %spxelinux.cfg/%s ... default)",
		o->server, prefix, names[0]);
	return -ENOENT;
}

int vm_netboot(const struct vm_config *c, const char *dir, struct vm_netboot *o)
{
	struct fw_nic *n = calloc(1, sizeof(*n));
	struct dhcp_lease l;
	struct pxecfg_entry *e = calloc(1, sizeof(*e));
	char *text = malloc(PXECFG_MAX_LEN + 1), prefix[128] = "";
	const char *why = NULL, *slash;
	size_t tlen = 0;
	int r;

	memset(o, 0, sizeof(*o));
	if (!n || !e || !text) {
		r = -ENOMEM;
		goto out;
	}
	if ((r = fw_nic_open(n, c)) < 0) {
		log_err("vm: netboot: no network to boot from: %s",
			r == -ENONET ? "give --net slirp or --net tap:NAME" : strerror(-r));
		goto out;
	}
	log_info("vm: netboot: DHCP as %02x:%02x:%02x:%02x:%02x:%02x on %s", c->mac[0], c->mac[1],
		 c->mac[2], c->mac[3], c->mac[4], c->mac[5], c->net == VM_NET_TAP ? c->tap_name : "slirp");
	if ((r = dhcpc_run(n, &l)) < 0) {
		log_err("vm: netboot: DHCP: %s", r == -ETIMEDOUT ? "no offer with an address (is a DHCP server on this network?)"
					    : r == -ECONNREFUSED ? "the server refused (NAK) every request" : strerror(-r));
		goto out;
	}
	inet_ntop(AF_INET, &l.addr, o->address, sizeof(o->address));
	inet_ntop(AF_INET, &l.next_server, o->server, sizeof(o->server));
	snprintf(o->bootfile, sizeof(o->bootfile), "%s", l.bootfile);
	o->proxy = l.proxy;
	log_info("vm: netboot: address %s, boot file '%s' from %s%s", o->address, l.bootfile,
		 o->server, l.proxy ? " (proxyDHCP)" : "");
	if (!l.bootfile[0] || !l.next_server) {
		log_err("vm: netboot: DHCP gave no boot file or TFTP server: is PXE set up on %s?", o->server);
		r = -ENOENT;
		goto out;
	}
	/* we read pxelinux configs: the boot file's folder is the prefix */
	if ((slash = strrchr(l.bootfile, '/')))
		snprintf(prefix, sizeof(prefix), "%.*s", (int)(slash - l.bootfile + 1), l.bootfile);
	if (!strstr(l.bootfile, "pxelinux.0") && !strstr(l.bootfile, "lpxelinux.0"))
		log_warn("vm: netboot: boot file '%s' is not pxelinux.0; reading pxelinux configs next to it anyway",
			 l.bootfile);
	if ((r = find_config(n, l.next_server, prefix, o, text, PXECFG_MAX_LEN + 1, &tlen)) < 0)
		goto out;
	if (pxecfg_parse(text, tlen, e, &why) < 0) {
		log_err("vm: netboot: %s: %s", o->config, why);
		r = -EINVAL;
		goto out;
	}
	snprintf(o->label, sizeof(o->label), "%s", e->label);
	if (e->localboot) {
		o->localboot = 1;
		log_info("vm: netboot: %s: label %s boots the local disk", o->config, e->label);
		r = 0;
		goto out;
	}
	{
		char bootif[40] = "", ipa[128] = "", gw[16] = "0.0.0.0", mask[16] = "0.0.0.0";

		if (e->ipappend & 2)
			snprintf(bootif, sizeof(bootif), " BOOTIF=01-%02x-%02x-%02x-%02x-%02x-%02x",
				 c->mac[0], c->mac[1], c->mac[2], c->mac[3], c->mac[4], c->mac[5]);
		if (e->ipappend & 1) {
			if (l.router)
				inet_ntop(AF_INET, &l.router, gw, sizeof(gw));
			if (l.mask)
				inet_ntop(AF_INET, &l.mask, mask, sizeof(mask));
			snprintf(ipa, sizeof(ipa), " ip=%s:%s:%s:%s", o->address, o->server, gw, mask);
		}
		if (snprintf(o->append, sizeof(o->append), "%s%s%s", e->append, ipa, bootif) >=
		    (int)sizeof(o->append)) {
			log_err("vm: netboot: %s: the command line is too long", o->config);
			r = -E2BIG;
			goto out;
		}
	}
	if ((r = resolve_name(o->kernel_tftp, sizeof(o->kernel_tftp), prefix, e->kernel)) < 0 ||
	    (e->initrd[0] && (r = resolve_name(o->initrd_tftp, sizeof(o->initrd_tftp), prefix, e->initrd)) < 0))
		goto out;
	if ((r = fetch_file(n, l.next_server, o->kernel_tftp, dir, "kernel", o->kernel, sizeof(o->kernel))) < 0)
		goto out;
	if (o->initrd_tftp[0] &&
	    (r = fetch_file(n, l.next_server, o->initrd_tftp, dir, "initrd", o->initrd, sizeof(o->initrd))) < 0)
		goto out;
	r = 0;
out:
	if (n)
		fw_nic_close(n);
	free(n);
	free(e);
	free(text);
	return r;
}

int vm_run_pxe(const struct vm_config *c)
{
	struct vm_config pc = *c;
	struct vm_netboot *o = calloc(1, sizeof(*o));
	char dir[] = "/tmp/provd-netboot-XXXXXX";
	const char *tmp = getenv("TMPDIR");
	char *d = NULL;
	int code = VM_EXIT_SETUP;

	if (!o)
		return VM_EXIT_SETUP;
	/* the MAC the guest's NIC will have is the one DHCP sees */
	vm_config_default_mac(c, pc.mac);
	pc.mac_set = true;
	if (tmp && *tmp && asprintf(&d, "%s/provd-netboot-XXXXXX", tmp) < 0)
		d = NULL;
	if (!mkdtemp(d ? d : dir)) {
		log_err("vm: netboot: cannot make a folder for the kernel: %s", strerror(errno));
		goto out;
	}
	/* --localboot skips the network; a LOCALBOOT entry comes back to the
	 * same place: what the disk's own boot loader would boot */
	if (!c->localboot && vm_netboot(&pc, d ? d : dir, o) < 0)
		goto out_rm;
	if (c->localboot || o->localboot) {
		if (c->ndisks == 0) {
			log_err("vm: %s%s: booting the local disk needs a --disk", o->config,
				c->localboot ? "--localboot" : " says LOCALBOOT");
			goto out_rm;
		}
		log_info("vm: localboot: %s", c->disks[0].path);
		o->localboot = 1;
		if (fw_localboot(c->disks[0].path, d ? d : dir, o) < 0)
			goto out_rm;
	}
	log_info("vm: netboot: booting %s (label %s of %s)", o->kernel_tftp, o->label, o->config);
	pc.pxe = false;
	pc.localboot = false;
	/* a fresh temporary file at every boot: only its bytes name it */
	pc.kernel_cache_by_content = true;
	pc.kernel = o->kernel;
	pc.initrd = o->initrd[0] ? o->initrd : NULL;
	pc.append = o->append;
	code = vm_boot(&pc);
out_rm:
	if (o->kernel[0])
		unlink(o->kernel);
	if (o->initrd[0])
		unlink(o->initrd);
	rmdir(d ? d : dir);
out:
	free(d);
	free(o);
	return code;
}
