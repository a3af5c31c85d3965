/* cli_vm: `provd vm run`, one VM on provd's own KVM hypervisor (kvm/) in
 * this process; its exit status says how the guest ended (kvm/vmconfig.h
 * enum vm_exit), with one line on stderr saying the same. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kvm/fw/localboot.h"
#include "kvm/probe.h"
#include "kvm/vmconfig.h"
#include "provd/base/log.h"
#include "provd/base/strparse.h"
#include "provd/cmd/cli.h"

static void vm_usage(FILE *f)
{
	fprintf(f,
		"usage: provd vm run --kernel K [--initrd I] [--append S] | --pxe | --localboot\n"
		"                    [--disk FILE[,ro]]... [--mac M]\n"
		"                    [--net slirp[,hostfwd=tcp::H-:G]...[,tftp=DIR][,bootfile=F]|tap:NAME]\n"
		"                    [--memory MiB] [--vcpus N] [--console stdio|FILE]\n"
		"                    [--timeout S] [--pci-conf1] [--kernel-cache DIR|none]\n"
		"       provd vm netboot --net ... [--mac M] [--disk FILE] [--dir DIR] [--json]\n"
		"\n"
		"Boot a Linux bzImage directly (no BIOS) on provd's own KVM hypervisor.\n"
		"\n"
		"  --kernel K        x86-64 bzImage (boot protocol 2.12+), or an uncompressed\n"
		"                    ELF vmlinux (entered at e_entry: no decompression in the guest)\n"
		"  --pxe             netboot instead of --kernel: the VMM is the PXE client\n"
		"                    of the VM's NIC (DHCP as a BIOS PXE ROM, pxelinux.cfg\n"
		"                    lookup over TFTP: 01-MAC, hex address, default), then\n"
		"                    boots that entry's KERNEL, INITRD and APPEND; the VM\n"
		"                    boots what a lab machine with its MAC would; an entry\n"
		"                    that says LOCALBOOT boots the first --disk as below\n"
		"  --localboot       boot the first --disk: the default entry of its\n"
		"                    grub.cfg (kernel, initrd, command line), read from its\n"
		"                    ext2/3/4 partition (MBR, GPT or none), else /vmlinuz\n"
		"  --initrd I        initramfs\n"
		"  --append S        kernel command line (default: console=ttyS0)\n"
		"  --disk FILE[,ro]  raw image as a virtio-blk disk (up to 8)\n"
		"  --net slirp       user-mode network (guest 10.0.2.15, host 10.0.2.2),\n"
		"                    hostfwd=[tcp|udp]:[ADDR]:HOSTPORT-:GUESTPORT forwards\n"
		"                    tftp=DIR serves DIR by TFTP, bootfile=F names the DHCP\n"
		"                    boot file (for --pxe without a PXE server)\n"
		"  --net tap:NAME    attach to an existing TAP interface\n"
		"  --mac M           the NIC's MAC (default: a stable 52:54:00:xx:xx:xx\n"
		"                    hashed from the kernel path, first disk and TAP name)\n"
		"  --memory MiB      guest RAM (default 512)\n"
		"  --vcpus N         vCPUs (default 1)\n"
		"  --console C       serial console (ttyS0) to stdio (default) or a file\n"
		"  --timeout S       stop the guest after S seconds\n"
		"  --kernel-cache D  where bzImages are kept unpacked, so that their next\n"
		"                    boots skip the guest's decompression (a --kernel file\n"
		"                    by its identity, one --pxe/--localboot fetched by its\n"
		"                    content; default\n"
		"                    $PROVD_KERNEL_CACHE, else /var/cache/provd/kernels as\n"
		"                    root, else $XDG_CACHE_HOME/provd/kernels); none: off\n"
		"  --pci-conf1       PCI config space through ports 0xCF8/0xCFC instead of\n"
		"                    ECAM (MCFG), for kernels built without PCI_MMCONFIG;\n"
		"                    slower: every config read then exits to the VMM\n"
		"\n"
		"Exit status: 0 guest powered off, 1 setup error (no VM ran), 2 usage,\n"
		"10 guest rebooted, 11 guest crashed (triple fault) or VMM error,\n"
		"12 --timeout elapsed, 13 stopped by SIGINT/SIGTERM.\n"
		"Needs a /dev/kvm with hardware virtualisation; see provd(1).\n"
		"\n"
		"`provd vm netboot` runs the --pxe firmware alone (no /dev/kvm needed) and\n"
		"says what the VM would boot: address, boot file, pxelinux config, label,\n"
		"kernel, initrd and command line; the files stay in --dir (default: a new\n"
		"folder under $TMPDIR). Exit 0, or 1 with the reason.\n");
}

static const char *exit_line(int code)
{
	switch (code) {
	case VM_EXIT_POWEROFF:
		return "guest powered off";
	case VM_EXIT_SETUP:
		return "setup failed, no VM ran";
	case VM_EXIT_USAGE:
		return "bad VM configuration";
	case VM_EXIT_REBOOT:
		return "guest rebooted";
	case VM_EXIT_CRASH:
		return "guest crashed (triple fault) or the VMM failed";
	case VM_EXIT_TIMEOUT:
		return "--timeout elapsed, guest stopped";
	case VM_EXIT_STOPPED:
		return "stopped by a signal";
	default:
		return "unknown exit";
	}
}

static int usage_err(const char *opt, const char *val, const char *why)
{
	fprintf(stderr, "provd vm run: %s '%s': %s\n  hint: provd vm run --help\n",
		opt, val, why);
	return EXIT_USAGE;
}

/* `provd vm netboot`: the firmware alone, and what it found */
static int vm_cmd_netboot(struct vm_config *c, const char *dir, bool json)
{
	struct vm_netboot *o = calloc(1, sizeof(*o));
	char tmpl[4096];
	const char *tmp = getenv("TMPDIR");
	int r;

	if (!o)
		return EXIT_FAIL;
	if (c->net == VM_NET_NONE) {
		free(o);
		return usage_err("--net", "", "netboot needs a network: --net slirp[,tftp=DIR,bootfile=F] or tap:NAME");
	}
	if (!dir) {
		snprintf(tmpl, sizeof(tmpl), "%s/provd-netboot-XXXXXX", tmp && *tmp ? tmp : "/tmp");
		if (!mkdtemp(tmpl)) {
			fprintf(stderr, "provd vm netboot: cannot create %s: %s\n", tmpl, strerror(errno));
			free(o);
			return EXIT_FAIL;
		}
		dir = tmpl;
	}
	vm_config_default_mac(c, c->mac);
	c->mac_set = true;
	r = vm_netboot(c, dir, o);
	/* LOCALBOOT with a --disk: say what the disk would boot */
	if (r == 0 && o->localboot && c->ndisks)
		r = fw_localboot(c->disks[0].path, dir, o);
	if (r < 0 && dir == tmpl)
		rmdir(tmpl);
	if (r < 0) {
		fprintf(stderr, "provd vm netboot: failed: %s\n  hint: the lines above say at which step; "
			"`provd events --mac MAC` shows what the server saw\n", strerror(-r));
		free(o);
		return EXIT_FAIL;
	}
	if (json) {
		json_t *j = json_pack("{s:s, s:s, s:s, s:b, s:s, s:s, s:b, s:s, s:s, s:s, s:s, s:s}",
				      "address", o->address, "server", o->server, "bootfile", o->bootfile,
				      "proxy", o->proxy, "config", o->config, "label", o->label,
				      "localboot", o->localboot, "kernel", o->kernel,
				      "kernel_tftp", o->kernel_tftp, "initrd", o->initrd,
				      "initrd_tftp", o->initrd_tftp, "append", o->append);

		if (!j || json_dumpf(j, stdout, JSON_INDENT(2)) < 0) {
			json_decref(j);
			free(o);
			return EXIT_FAIL;
		}
		json_decref(j);
		fputc('\n', stdout);
	} else {
		printf("address    %s\nserver     %s\nbootfile   %s%s\nconfig     %s\nlabel      %s\n",
		       o->address, o->server, o->bootfile, o->proxy ? " (proxyDHCP)" : "", o->config, o->label);
		if (o->localboot && !o->kernel[0])
			printf("boots      the local disk (LOCALBOOT; give --disk to see what it holds)\n");
		else
			printf("kernel     %s (%s)\ninitrd     %s (%s)\nappend     %s\n", o->kernel,
			       o->kernel_tftp, o->initrd[0] ? o->initrd : "-", o->initrd_tftp[0] ? o->initrd_tftp : "-",
			       o->append);
	}
	free(o);
	return EXIT_OK;
}

static int vm_cmd_run(struct cli *cl, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "kernel", required_argument, NULL, 'k' },
		{ "initrd", required_argument, NULL, 'i' },
		{ "append", required_argument, NULL, 'a' },
		{ "disk", required_argument, NULL, 'd' },
		{ "net", required_argument, NULL, 'n' },
		{ "mac", required_argument, NULL, 'M' },
		{ "memory", required_argument, NULL, 'm' },
		{ "vcpus", required_argument, NULL, 'c' },
		{ "console", required_argument, NULL, 'C' },
		{ "timeout", required_argument, NULL, 't' },
		{ "pxe", no_argument, NULL, 'P' },
		{ "localboot", no_argument, NULL, 'L' },
		{ "pci-conf1", no_argument, NULL, 'O' },
		{ "kernel-cache", required_argument, NULL, 'K' },
		{ "dir", required_argument, NULL, 'D' },
		{ "json", no_argument, NULL, 'J' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct vm_config c;
	const char *dir = NULL, *kcache = getenv("PROVD_KERNEL_CACHE");
	char kcache_buf[4096];
	bool json = cl->json, netboot_only = strcmp(argv[0], "netboot") == 0;
	const char *why = NULL;
	double ips = 0;
	uint64_t v;
	int ch, rc;

	vm_config_init(&c);
	optind = 0;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'k':
			c.kernel = optarg;
			break;
		case 'i':
			c.initrd = optarg;
			break;
		case 'a':
			c.append = optarg;
			break;
		case 'd':
			if (vm_config_parse_disk(&c, optarg, &why) < 0)
				return usage_err("--disk", optarg, why);
			break;
		case 'n': {
			char shown[128];

			snprintf(shown, sizeof(shown), "%s", optarg);
			if (vm_config_parse_net(&c, optarg, &why) < 0)
				return usage_err("--net", shown, why);
			break;
		}
		case 'M':
			if (mac_parse(optarg, c.mac) < 0)
				return usage_err("--mac", optarg,
						 "not a MAC address (52:54:00:12:34:56)");
			if (c.mac[0] & 1)
				return usage_err("--mac", optarg,
						 "a multicast MAC cannot be a NIC's address");
			c.mac_set = true;
			break;
		case 'm':
			if (parse_u64(optarg, 32, 1u << 20, &v) < 0)
				return usage_err("--memory", optarg,
						 "MiB from 32 to 1048576");
			c.memory_mib = v;
			break;
		case 'c':
			if (parse_u64(optarg, 1, 254, &v) < 0)
				return usage_err("--vcpus", optarg, "1 to 254");
			c.vcpus = (unsigned int)v;
			break;
		case 'C':
			c.console = optarg;
			break;
		case 't':
			if (parse_u64(optarg, 1, 366 * 24 * 3600, &v) < 0)
				return usage_err("--timeout", optarg,
						 "seconds, 1 to 31622400");
			c.timeout_s = (unsigned int)v;
			break;
		case 'P':
			c.pxe = true;
			break;
		case 'L':
			c.localboot = true;
			break;
		case 'O':
			c.pci_conf1 = true;
			break;
		case 'K':
			kcache = optarg;
			break;
		case 'D':
			dir = optarg;
			break;
		case 'J':
			json = true;
			break;
		case 'h':
			vm_usage(stdout);
			return EXIT_OK;
		default:
			vm_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc)
		return usage_err("argument", argv[optind], "unexpected");
	if (netboot_only)
		return vm_cmd_netboot(&c, dir, json);
	if ((dir || json) && !netboot_only)
		return usage_err(dir ? "--dir" : "--json", dir ? dir : "", "only for `provd vm netboot`");
	if ((c.pxe || c.localboot) && (c.kernel || c.initrd || c.append))
		return usage_err(c.pxe ? "--pxe" : "--localboot", "", "the firmware chooses the kernel, "
				 "initrd and command line; drop --kernel/--initrd/--append");
	if (c.pxe && c.localboot)
		return usage_err("--localboot", "", "choose --pxe or --localboot");
	if (c.localboot && c.ndisks == 0)
		return usage_err("--localboot", "", "needs --disk (the installed system to boot)");
	if (c.kernel == NULL && !c.pxe && !c.localboot) {
		fprintf(stderr, "provd vm run: --kernel (or --pxe) is required\n  hint: provd vm run --help\n");
		return EXIT_USAGE;
	}
	/* --kernel files are keyed by identity, the firmware's (--pxe,
	 * --localboot: fresh temporary files) by content */
	if (!(kcache && (!*kcache || strcmp(kcache, "none") == 0))) {
		const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");

		if (kcache)
			c.kernel_cache = kcache;
		else if (geteuid() == 0)
			c.kernel_cache = "/var/cache/provd/kernels";
		else if ((xdg && *xdg && snprintf(kcache_buf, sizeof(kcache_buf),
				 "%s/provd/kernels", xdg) < (int)sizeof(kcache_buf)) ||
			 (home && *home && snprintf(kcache_buf, sizeof(kcache_buf),
				 "%s/.cache/provd/kernels", home) < (int)sizeof(kcache_buf)))
			c.kernel_cache = kcache_buf;
	}
	if (kvm_probe("/dev/kvm", &ips, &why) < 0) {
		fprintf(stderr,
			"provd vm run: /dev/kvm cannot run this VM: %s "
			"(measured %.0f guest instructions/s)\n"
			"  hint: run it on a host with hardware virtualisation, "
			"inside the nested rig (tests/vmrig/rig.sh run), or let "
			"build-vm use QEMU (--hypervisor qemu)\n",
			why ? why : "unknown reason", ips);
		return VM_EXIT_SETUP;
	}
	log_debug("vm: /dev/kvm ran the probe at %.0f guest instructions/s", ips);
	rc = vm_run(&c);
	fprintf(stderr, "provd vm run: %s (exit %d)\n", exit_line(rc), rc);
	return rc;
}

int cli_vm(struct cli *c, int argc, char **argv)
{
	argc = cli_take_json(c, argc, argv);
	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		vm_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	if (strcmp(argv[1], "run") == 0 || strcmp(argv[1], "netboot") == 0)
		return vm_cmd_run(c, argc - 1, argv + 1);
	fprintf(stderr, "provd vm: unknown verb '%s'\n  hint: provd vm run --help\n",
		argv[1]);
	return EXIT_USAGE;
}
