/* supervise: run tftp-hpa's in.tftpd on <state>/tftp as a child of the
 * daemon, restart it with backoff when it dies, stop it on exit.
 *
 * in.tftpd runs --foreground --secure (it chroots into the tree, so paths in
 * requests cannot leave it), on the configured ADDR:PORT, with blksize
 * negotiation up to 1468 (an Ethernet frame). tftp-hpa 5.2 has no
 * windowsize (RFC 7440) support; transfers are lock-step. */
#ifndef PROVD_TFTP_SUPERVISE_H
#define PROVD_TFTP_SUPERVISE_H

#include <sys/types.h>

struct loop;
struct tftp_sup;

struct tftp_sup_opts {
	const char *root;	/* <state>/tftp */
	const char *listen;	/* "ADDR:PORT" */
	const char *user;	/* in.tftpd drops to this user when root; NULL: nobody */
	const char *program;	/* NULL: /usr/sbin/in.tftpd (PROVD_IN_TFTPD overrides) */
};

/* Start in.tftpd now and keep it running from loop l. 0 and *out, or a
 * negative errno (-ENOENT: in.tftpd is not installed: message logged). */
int tftp_sup_start(struct loop *l, const struct tftp_sup_opts *o, struct tftp_sup **out);
/* Current child pid (0 while waiting to restart). */
pid_t tftp_sup_pid(const struct tftp_sup *s);
/* How many times it was restarted. */
unsigned tftp_sup_restarts(const struct tftp_sup *s);
/* Stop the child (SIGTERM, then SIGKILL) and free. NULL-safe. */
void tftp_sup_stop(struct tftp_sup *s);

#endif
