/* fuzz_pxecfg: the netboot firmware's pxelinux config parser on any bytes
 * (the file comes off the network). It either fails with a reason or
 * returns an entry whose strings are terminated and whose kernel or
 * LOCALBOOT is set. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kvm/fw/pxecfg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pxecfg_entry *e = malloc(sizeof(*e));
	const char *why = NULL;

	if (!e)
		return 0;
	if (pxecfg_parse((const char *)data, size, e, &why) == 0) {
		if (memchr(e->kernel, '\0', sizeof(e->kernel)) == NULL ||
		    memchr(e->initrd, '\0', sizeof(e->initrd)) == NULL ||
		    memchr(e->append, '\0', sizeof(e->append)) == NULL ||
		    (!e->localboot && e->kernel[0] == '\0'))
			abort();
	} else if (why == NULL) {
		abort();
	}
	free(e);
	return 0;
}
