/* fuzz_grubcfg: LOCALBOOT's grub.cfg reader on any bytes (the disk was
 * written by a guest). Either a reason, or an entry with a kernel path
 * and terminated strings. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kvm/fw/localboot.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct grub_entry *e = malloc(sizeof(*e));
	const char *why = NULL;

	if (!e)
		return 0;
	if (grubcfg_first_entry((const char *)data, size, e, &why) == 0) {
		if (!memchr(e->linux_path, '\0', sizeof(e->linux_path)) || !e->linux_path[0] ||
		    !memchr(e->initrd_path, '\0', sizeof(e->initrd_path)) ||
		    !memchr(e->args, '\0', sizeof(e->args)) || !memchr(e->title, '\0', sizeof(e->title)))
			abort();
	} else if (!why) {
		abort();
	}
	free(e);
	return 0;
}
