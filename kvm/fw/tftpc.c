/*
 * kvm/fw/tftpc.c - TFTP read requests for the netboot firmware.
 *
 * blksize 1428 keeps every DATA packet inside one 1500-byte frame (this
 * client does not reassemble IP fragments) and is what libslirp's TFTP
 * server accepts at most. Block numbers roll over past 65535 to 0, as
 * tftp-hpa does by default. The server's transfer port (TID) is fixed by
 * its first answer; packets from anywhere else are ignored (RFC 1350 §4).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <unistd.h>

#include "kvm/fw/tftpc.h"

#define BLKSIZE 1428
#define RETRIES 6
#define WAIT_MS 1000

enum { RRQ = 1, DATA = 3, ACK = 4, ERROR = 5, OACK = 6 };

static int put(struct tftp_sink *s, const uint8_t *p, size_t n)
{
	if (n > s->max - s->len)
		return -EFBIG;
	if (s->fd >= 0) {
		while (n) {
			ssize_t w = write(s->fd, p, n);

			if (w < 0) {
				if (errno == EINTR)
					continue;
				return -errno;
			}
			p += w, n -= (size_t)w, s->len += (size_t)w;
		}
		return 0;
	}
	memcpy(s->buf + s->len, p, n);
	s->len += n;
	return 0;
}

/* blksize from an OACK ("name\0value\0" pairs); 512 when absent */
static size_t oack_blksize(const uint8_t *p, size_t len)
{
	size_t i = 2, bs = 512;

	while (i < len) {
		const char *name = (const char *)p + i;
		size_t nl = strnlen(name, len - i);

		if (i + nl + 1 >= len)
			break;
		const char *val = name + nl + 1;
		size_t vl = strnlen(val, len - i - nl - 1);

		if (i + nl + 1 + vl >= len)
			break;
		if (strcasecmp(name, "blksize") == 0) {
			long v = strtol(val, NULL, 10);

			if (v >= 8 && v <= BLKSIZE)
				bs = (size_t)v;
		}
		i += nl + vl + 2;
	}
	return bs;
}

int tftpc_get(struct fw_nic *n, uint32_t server, const char *file, struct tftp_sink *s)
{
	uint8_t out[600], in[FW_FRAME];
	size_t olen, blksize = 512, fl = strlen(file);
	uint16_t lport, tid = 0, want = 1;
	int tries = 0, r;
	uint32_t src;
	uint16_t sport;

	/* a fresh random port per transfer: an old transfer's late packets
	 * then cannot be taken for this one's */
	if (getrandom(&lport, sizeof(lport), 0) != sizeof(lport))
		lport = (uint16_t)fw_now_ms();
	lport = (uint16_t)(1024 + lport % 60000);
	s->len = 0;
	s->err[0] = '\0';
	if (fl == 0 || fl > 400)
		return -ENAMETOOLONG;
	out[0] = 0, out[1] = RRQ;
	memcpy(out + 2, file, fl + 1);
	olen = 2 + fl + 1;
	memcpy(out + olen, "octet\0blksize\0" "1428\0tsize\0" "0", 27);
	olen += 27;
	/* the first packet goes to port 69, the rest to the server's TID */
	if ((r = fw_udp_send(n, server, lport, 69, out, olen)) < 0)
		return r;
	for (;;) {
		ssize_t k = fw_udp_recv(n, lport, in, sizeof(in), &src, &sport, WAIT_MS);

		if (k == -ETIMEDOUT) {
			if (++tries > RETRIES) {
				snprintf(s->err, sizeof(s->err), "no answer from the server");
				return -ETIMEDOUT;
			}
			r = fw_udp_send(n, server, lport, tid ? tid : 69, out, olen);
			if (r < 0)
				return r;
			continue;
		}
		if (k < 4 || src != server || (tid && sport != tid))
			continue;
		uint16_t op = (uint16_t)(in[0] << 8 | in[1]), blk = (uint16_t)(in[2] << 8 | in[3]);

		if (op == ERROR) {
			size_t ml = strnlen((const char *)in + 4, (size_t)k - 4);

			snprintf(s->err, sizeof(s->err), "%.*s", (int)(ml > 100 ? 100 : ml), in + 4);
			return -ENOENT;
		}
		if (!tid && (op == OACK || op == DATA))
			tid = sport;
		if (op == OACK && want == 1 && s->len == 0) {
			blksize = oack_blksize(in, (size_t)k);
			out[0] = 0, out[1] = ACK, out[2] = 0, out[3] = 0;
			olen = 4;
		} else if (op == DATA && blk == want) {
			size_t dl = (size_t)k - 4;

			if (dl > blksize)
				continue;
			if ((r = put(s, in + 4, dl)) < 0) {
				snprintf(s->err, sizeof(s->err), "%s", r == -EFBIG ? "file too large" : strerror(-r));
				out[0] = 0, out[1] = ERROR, out[2] = 0, out[3] = 3;
				memcpy(out + 4, "too large", 10);
				fw_udp_send(n, server, lport, tid, out, 14);
				return r;
			}
			out[0] = 0, out[1] = ACK, out[2] = in[2], out[3] = in[3];
			olen = 4;
			want++;
			if (dl < blksize) {
				/* the last block: ACK it once; a lost ACK only
				 * makes the server time out */
				fw_udp_send(n, server, lport, tid, out, olen);
				return 0;
			}
		} else {
			/* duplicates included: answering each one again would
			 * double every packet from then on (the Sorcerer's
			 * Apprentice, RFC 1123 4.2.3.1); the timeout resends */
			continue;
		}
		tries = 0;
		if ((r = fw_udp_send(n, server, lport, tid, out, olen)) < 0)
			return r;
	}
}
