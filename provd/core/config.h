/* config: the server configuration in <state>/provd.yaml.
 *
 * Every key is optional; a missing key takes the default documented in
 * docs/objects.md. Addresses are kept as strings here and parsed by their
 * users (netaddr_parse, ipv4_parse), but config_load() checks that they parse
 * so a bad address is reported with its position.
 *
 * The mirror, when provd.yaml names none, defaults at run time to the host's
 * own Debian mirror from /etc/apt/sources.list and sources.list.d/ (*.list,
 * deb822 *.sources): the project never names an archive host itself.
 */
#ifndef PROVD_CORE_CONFIG_H
#define PROVD_CORE_CONFIG_H

/* A file in provd/core that writes `#include "config.h"` gets this header
 * (same-directory lookup comes first) instead of autoconf's; pull autoconf's
 * in too so _GNU_SOURCE and friends are still defined. Prefer
 * `#include <config.h>` for autoconf's header in provd/core. */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "provd/base/err.h"

enum dhcp_mode {
	DHCP_MODE_OFF = 0,	/* default: provd hands out nothing */
	DHCP_MODE_PROXY = 1,	/* PXE boot info only; the lab's DHCP gives addresses */
	DHCP_MODE_FULL = 2,	/* leases from range */
};

enum unknown_mac {
	UNKNOWN_MAC_MENU = 0,	/* default: unknown machines get the profile menu */
	UNKNOWN_MAC_IGNORE = 1,	/* unknown machines get no answer */
};

enum config_ra {
	CONFIG_RA_DEFAULT = 0,	/* on in full mode, off in proxy mode */
	CONFIG_RA_ON = 1,
	CONFIG_RA_OFF = 2,
};

struct config_dhcp {
	char *interface;	/* NULL: none configured */
	enum dhcp_mode mode;
	char *range_start;	/* dotted IPv4, full mode */
	char *range_end;
	uint32_t lease_time;	/* seconds; default 3600 */
	char *router;		/* optional dotted IPv4 */
	char **dns;		/* ndns dotted IPv4 addresses */
	size_t ndns;
	char *domain;		/* optional */
	uint32_t rate;		/* requests answered per MAC per 10 s; default
				 * 30 (dhcp/server.h DHCP_RATE_PER_MAC); 0: no limit */
	enum config_ra ra;	/* IPv6 router advertisements */
	char *ra_prefix;	/* "2001:db8::/64" announced for SLAAC; NULL: none */
};

struct config_mirror {
	char *protocol;		/* "http" or "https" */
	char *host;		/* "host" or "host:port" */
	char *directory;	/* "/debian" */
	bool from_host;		/* true when taken from the host's apt sources */
	bool found;		/* false when neither provd.yaml nor apt gave one */
};

struct config {
	char *file;		/* path of provd.yaml ("<defaults>" if absent) */
	char *state_dir;
	char *http_listen;	/* "ADDR:PORT"; default "0.0.0.0:8080" */
	char *base_url;		/* public URL clients use, no trailing '/';
				 * default "http://SERVER_ADDRESS:PORT" when
				 * server_address is set, else NULL (decided at serve time) */
	char *tftp_listen;	/* default "0.0.0.0:69" */
	char *server_address;	/* next-server IPv4 given to PXE clients; NULL = auto */
	struct config_dhcp dhcp;
	struct config_mirror mirror;
	char *proxy;		/* optional http proxy URL for installers */
	enum unknown_mac unknown_mac;
	char *user;		/* optional: user the daemon drops privileges to */
	char *secret_file;	/* absolute; default <state>/secret */
	char *api_token_file;	/* absolute; default <state>/api-token */
	char *secret;		/* content of secret_file (hex), NULL if unreadable */
	size_t secret_len;
};

/* Load <state_dir>/provd.yaml (a missing file gives the defaults). Reports
 * every problem in d with file:line:col. Returns 0 and *out (free with
 * config_free) or negative errno. */
int config_load(const char *state_dir, struct diags *d, struct config **out);
/* Same, from text (tests, fuzzing); apt_root is where etc/apt is looked for
 * ("/" normally; NULL skips the apt default). */
int config_parse(const char *state_dir, const char *file, const char *text, size_t len,
		 const char *apt_root, struct diags *d, struct config **out);
void config_free(struct config *c);

/* The host's Debian mirror from <root>/etc/apt/sources.list and
 * sources.list.d/{*.list,*.sources}: the first http(s) "deb" source for the
 * main archive (security/updates/backports suites are skipped). 0, or
 * -ENOENT when there is none. Fills protocol, host, directory. */
int config_mirror_from_apt(const char *root, struct config_mirror *out);
/* Free the strings of a config_mirror. */
void config_mirror_clear(struct config_mirror *m);

/* Text of a fresh provd.yaml with sane defaults, as `provd init` writes it.
 * Caller frees. */
char *config_default_yaml(void);

/* Per-system callback token: lower-case hex HMAC-SHA256 of the system name
 * keyed with the server secret. 0, or -ENOKEY without a secret. */
int system_token(const struct config *c, const char *system_name, char out[65]);

const char *dhcp_mode_name(enum dhcp_mode m);

#endif
