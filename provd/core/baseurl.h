/* baseurl: the URL lab machines use to reach provd's HTTP service, as
 * rendered into boot files and answer files.
 *
 * provd.yaml base_url wins; else http://SERVER_ADDRESS:PORT; else the
 * listen address when it names one; else the host's first non-loopback
 * IPv4 address that is up (what a machine on the same segment reaches),
 * else 127.0.0.1. Shared by `provd serve`, the CLI's boot-file updates and
 * `provd render`, so every path writes the same URLs. */
#ifndef PROVD_CORE_BASEURL_H
#define PROVD_CORE_BASEURL_H

struct config;

/* listen: "ADDR:PORT" (NULL: the config's http_listen). Caller frees;
 * NULL on ENOMEM. */
char *base_url_pick(const struct config *c, const char *listen);

#endif
