/*
 * kvm/vmconfig.c - defaults and the two command-line values of `provd vm
 * run` that need more than a number: --disk and --net (QEMU's hostfwd
 * syntax, restricted to what the slirp backend does). Untrusted text:
 * bounded number parsing, every field checked.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <string.h>

#include "kvm/vmconfig.h"
#include "provd/base/strparse.h"

void vm_config_init(struct vm_config *c)
{
	memset(c, 0, sizeof(*c));
	c->memory_mib = 512;
	c->vcpus = 1;
}

static bool ends_with(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);

	return n >= m && strcmp(s + n - m, suf) == 0;
}

int vm_config_parse_disk(struct vm_config *c, char *arg, const char **why)
{
	struct vm_disk_config *d;
	bool ro = false;

	if (c->ndisks == VM_MAX_DISKS) {
		*why = "too many --disk options (at most 8)";
		return -ENOSPC;
	}
	if (ends_with(arg, ",ro")) {
		ro = true;
		arg[strlen(arg) - 3] = '\0';
	} else if (ends_with(arg, ",rw")) {
		arg[strlen(arg) - 3] = '\0';
	}
	if (*arg == '\0') {
		*why = "--disk needs a file name: --disk FILE[,ro]";
		return -EINVAL;
	}
	d = &c->disks[c->ndisks++];
	d->path = arg;
	d->readonly = ro;
	return 0;
}

static int parse_port(const char *s, uint16_t *out)
{
	uint64_t v;

	if (parse_u64(s, 1, 65535, &v) < 0)
		return -EINVAL;
	*out = (uint16_t)v;
	return 0;
}

/* [tcp|udp]:[HOSTADDR]:HOSTPORT-:GUESTPORT */
static int parse_hostfwd(struct vm_config *c, char *s, const char **why)
{
	struct vm_hostfwd *f;
	char *addr, *hport, *gaddr, *gport, *dash;
	struct in_addr in;

	if (c->nhostfwd == VM_MAX_HOSTFWD) {
		*why = "too many hostfwd rules (at most 8)";
		return -ENOSPC;
	}
	f = &c->hostfwd[c->nhostfwd];
	memset(f, 0, sizeof(*f));
	addr = strchr(s, ':');
	if (addr == NULL)
		goto bad;
	*addr++ = '\0';
	if (strcmp(s, "udp") == 0)
		f->udp = true;
	else if (*s != '\0' && strcmp(s, "tcp") != 0)
		goto bad;
	hport = strchr(addr, ':');
	if (hport == NULL)
		goto bad;
	*hport++ = '\0';
	if (*addr != '\0') {
		if (inet_pton(AF_INET, addr, &in) != 1)
			goto bad;
		f->host_addr = in.s_addr;
	}
	dash = strchr(hport, '-');
	if (dash == NULL)
		goto bad;
	*dash = '\0';
	gaddr = dash + 1;
	gport = strchr(gaddr, ':');
	if (gport == NULL)
		goto bad;
	*gport++ = '\0';
	if (*gaddr != '\0') {
		*why = "hostfwd: leave the guest address empty (the guest is "
		       "whatever address slirp's DHCP gave it): "
		       "hostfwd=tcp::2222-:22";
		return -EINVAL;
	}
	if (parse_port(hport, &f->host_port) < 0 ||
	    parse_port(gport, &f->guest_port) < 0)
		goto bad;
	c->nhostfwd++;
	return 0;
bad:
	*why = "bad hostfwd; the form is hostfwd=[tcp|udp]:[HOSTADDR]:"
	       "HOSTPORT-:GUESTPORT, e.g. hostfwd=tcp::2222-:22";
	return -EINVAL;
}

int vm_config_parse_net(struct vm_config *c, char *arg, const char **why)
{
	char *opt, *next;

	if (c->net != VM_NET_NONE) {
		*why = "only one --net is supported";
		return -EINVAL;
	}
	if (strncmp(arg, "tap:", 4) == 0) {
		const char *name = arg + 4;

		if (*name == '\0' || strlen(name) >= IFNAMSIZ ||
		    strpbrk(name, "/ \t\n:,") != NULL) {
			*why = "--net tap:NAME needs an existing TAP interface "
			       "name (at most 15 characters)";
			return -EINVAL;
		}
		c->net = VM_NET_TAP;
		c->tap_name = name;
		return 0;
	}
	next = strchr(arg, ',');
	if (next)
		*next++ = '\0';
	if (strcmp(arg, "slirp") != 0) {
		*why = "--net takes slirp[,hostfwd=...][,tftp=DIR][,bootfile=NAME] or tap:NAME";
		return -EINVAL;
	}
	c->net = VM_NET_SLIRP;
	while ((opt = next) != NULL) {
		int r;

		next = strchr(opt, ',');
		if (next)
			*next++ = '\0';
		if (strncmp(opt, "tftp=", 5) == 0 && opt[5]) {
			c->tftp_dir = opt + 5;
			continue;
		}
		if (strncmp(opt, "bootfile=", 9) == 0 && opt[9] &&
		    strlen(opt + 9) < 128) {
			c->bootfile = opt + 9;
			continue;
		}
		if (strncmp(opt, "hostfwd=", 8) != 0) {
			*why = "--net slirp takes hostfwd=..., tftp=DIR and "
			       "bootfile=NAME options";
			return -EINVAL;
		}
		r = parse_hostfwd(c, opt + 8, why);
		if (r < 0)
			return r;
	}
	return 0;
}

void vm_config_default_mac(const struct vm_config *c, uint8_t mac[6])
{
	/* FNV-1a over what identifies this VM, so the MAC (and the DHCP lease
	 * it gets) is the same run after run */
	const char *parts[3] = { c->kernel, c->ndisks ? c->disks[0].path : "",
				 c->tap_name };
	uint32_t h = 2166136261u;
	unsigned int i;
	const char *s;

	if (c->mac_set) {
		memcpy(mac, c->mac, 6);
		return;
	}
	for (i = 0; i < 3; i++)
		for (s = parts[i]; s && *s; s++)
			h = (h ^ (uint8_t)*s) * 16777619u;
	mac[0] = 0x52;
	mac[1] = 0x54;
	mac[2] = 0x00;
	mac[3] = (uint8_t)(h >> 16);
	mac[4] = (uint8_t)(h >> 8);
	mac[5] = (uint8_t)h;
}
