/*
 * kvm/fw/tftpc.h - the netboot firmware's TFTP client (RFC 1350 with the
 * blksize and tsize options of RFC 2348/2349, as PXE ROMs use them).
 */
#ifndef PROVD_KVM_FW_TFTPC_H
#define PROVD_KVM_FW_TFTPC_H

#include <stddef.h>
#include <stdint.h>

#include "kvm/fw/nic.h"

/* Where the data goes: a file descriptor (fd >= 0), or a bounded buffer. */
struct tftp_sink {
	int fd;
	char *buf;
	size_t max;		/* largest transfer accepted */
	size_t len;		/* received so far */
	char err[128];		/* the server's ERROR text, or ours */
};

/*
 * Reads file from server (network byte order) into s. 0, -ENOENT (the
 * server answered ERROR: s->err says what), -EFBIG (longer than s->max),
 * -ETIMEDOUT, or -errno.
 */
int tftpc_get(struct fw_nic *n, uint32_t server, const char *file, struct tftp_sink *s);

#endif
