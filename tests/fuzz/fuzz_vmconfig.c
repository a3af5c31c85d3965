/* fuzz_vmconfig: the --disk and --net values of `provd vm run`
 * (kvm/vmconfig.c). Input: first byte picks disk or net, the rest is the
 * text (NUL-terminated copy; the parsers cut it in place). Every accepted
 * value must make sense: counts within limits, ports non-zero, strings
 * inside the copy. */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kvm/vmconfig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vm_config c;
	const char *why = NULL;
	char *s;
	int r;

	if (size < 1 || size > 4096)
		return 0;
	s = malloc(size);
	if (s == NULL)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	vm_config_init(&c);
	if (data[0] & 1) {
		r = vm_config_parse_net(&c, s, &why);
		if (r == 0) {
			if (c.net == VM_NET_TAP &&
			    (c.tap_name < s || c.tap_name >= s + size ||
			     strlen(c.tap_name) == 0 || strlen(c.tap_name) > 15))
				abort();
			if (c.net != VM_NET_TAP && c.net != VM_NET_SLIRP)
				abort();
			if (c.nhostfwd > VM_MAX_HOSTFWD)
				abort();
			for (unsigned int i = 0; i < c.nhostfwd; i++)
				if (!c.hostfwd[i].host_port ||
				    !c.hostfwd[i].guest_port)
					abort();
		} else if (why == NULL || (r != -EINVAL && r != -ENOSPC)) {
			abort();
		}
	} else {
		/* several disks from one input: split at newlines */
		char *p = s, *nl;

		do {
			nl = strchr(p, '\n');
			if (nl)
				*nl = '\0';
			r = vm_config_parse_disk(&c, p, &why);
			if (r == 0 && (c.disks[c.ndisks - 1].path[0] == '\0' ||
				       c.ndisks > VM_MAX_DISKS))
				abort();
			if (r < 0 && why == NULL)
				abort();
			p = nl ? nl + 1 : NULL;
		} while (p);
	}
	free(s);
	return 0;
}
