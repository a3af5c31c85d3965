/* server: the pure DHCP handler, leases and boot options (see server.h). */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dhcp/server.h"
#include "provd/base/fsutil.h"
#include "provd/base/strparse.h"
#include "provd/core/bootsel.h"
#include "provd/core/snapshot.h"

enum lease_state { L_FREE, L_OFFERED, L_BOUND };

struct lease {
	uint8_t mac[6];
	uint32_t ip;		/* host order */
	time_t expires;
	time_t saved_expires;	/* what the lease file holds for it (0: none) */
	uint32_t saved_ip;
	enum lease_state state;
};

#define RATE_SLOTS 1024

struct rate {
	uint8_t mac[6];
	time_t window;
	unsigned count;
};

struct dhcp_server {
	struct dhcp_server_cfg cfg;
	pthread_mutex_t lock;		/* snap: set from other threads */
	struct snapshot *snap;
	struct lease *leases;
	size_t nleases, cap;
	struct rate rate[RATE_SLOTS];
	struct dhcp_stats st;
};

static int ipv4_parse_host(const char *txt, uint32_t *out)
{
	struct in_addr a;

	if (inet_pton(AF_INET, txt, &a) != 1)
		return -EINVAL;
	*out = ntohl(a.s_addr);
	return 0;
}

/* ---- leases ---- */

static struct lease *lease_by_mac(struct dhcp_server *s, const uint8_t mac[6])
{
	for (size_t i = 0; i < s->nleases; i++)
		if (s->leases[i].state != L_FREE && !memcmp(s->leases[i].mac, mac, 6))
			return &s->leases[i];
	return NULL;
}

static struct lease *lease_by_ip(struct dhcp_server *s, uint32_t ip)
{
	for (size_t i = 0; i < s->nleases; i++)
		if (s->leases[i].state != L_FREE && s->leases[i].ip == ip)
			return &s->leases[i];
	return NULL;
}

static void leases_expire(struct dhcp_server *s, time_t now)
{
	for (size_t i = 0; i < s->nleases; i++)
		if (s->leases[i].state != L_FREE && s->leases[i].expires <= now)
			s->leases[i].state = L_FREE;
}

static struct lease *lease_slot(struct dhcp_server *s)
{
	for (size_t i = 0; i < s->nleases; i++)
		if (s->leases[i].state == L_FREE)
			return &s->leases[i];
	if (s->nleases == s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 64;
		struct lease *nl;
		if (ncap > DHCP_LEASES_MAX)
			return NULL;
		nl = realloc(s->leases, ncap * sizeof(*nl));
		if (!nl)
			return NULL;
		s->leases = nl;
		s->cap = ncap;
	}
	memset(&s->leases[s->nleases], 0, sizeof(struct lease));
	return &s->leases[s->nleases++];
}

/* Lease file: "mac ip expires" per bound lease, written atomically. */
static void leases_save(struct dhcp_server *s)
{
	char line[80];
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	if (!s->cfg.lease_file[0])
		return;
	f = open_memstream(&text, &len);
	if (!f)
		return;
	fputs("# provd DHCP leases: mac ip expires (seconds since the epoch)\n", f);
	for (size_t i = 0; i < s->nleases; i++) {
		struct lease *l = &s->leases[i];
		char mac[18];
		struct in_addr a = { htonl(l->ip) };
		if (l->state != L_BOUND)
			continue;
		mac_format(l->mac, mac);
		snprintf(line, sizeof(line), "%s %s %lld\n", mac, inet_ntoa(a), (long long)l->expires);
		fputs(line, f);
	}
	fclose(f);
	fs_write_atomic(s->cfg.lease_file, text, len, 0644);
	free(text);
}

static void leases_load(struct dhcp_server *s)
{
	char *text = NULL, *save = NULL;

	if (!s->cfg.lease_file[0] || fs_read_file(s->cfg.lease_file, 16 << 20, &text, NULL) < 0)
		return;
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char mac[32], ip[32];
		long long exp;
		uint8_t m[6];
		uint32_t a;
		struct lease *ls;
		if (l[0] == '#' || sscanf(l, "%31s %31s %lld", mac, ip, &exp) != 3 ||
		    mac_parse(mac, m) < 0 || ipv4_parse_host(ip, &a) < 0)
			continue;
		if (a < s->cfg.range_start || a > s->cfg.range_end || lease_by_ip(s, a))
			continue;
		ls = lease_slot(s);
		if (!ls)
			break;
		memcpy(ls->mac, m, 6);
		ls->ip = a;
		ls->expires = (time_t)exp;
		ls->saved_expires = ls->expires;
		ls->saved_ip = a;
		ls->state = L_BOUND;
	}
	free(text);
}

/* ---- systems ---- */

struct who {
	struct bootsel_who b;	/* known, system name, loader override */
	uint32_t static_ip;	/* host order, 0: none */
};

static void lookup(struct dhcp_server *s, const char *mac, struct who *w)
{
	struct snapshot *snap;
	const struct system *sys;

	memset(w, 0, sizeof(*w));
	pthread_mutex_lock(&s->lock);
	snap = s->snap ? snapshot_ref(s->snap) : NULL;
	pthread_mutex_unlock(&s->lock);
	if (!snap)
		return;
	bootsel_lookup(snap, mac, &w->b);
	sys = w->b.known ? snapshot_system_by_mac(snap, mac) : NULL;
	for (size_t i = 0; sys && i < sys->ninterfaces; i++) {
		uint32_t a;
		if (!strcmp(sys->interfaces[i].mac, mac) && sys->interfaces[i].ip &&
		    ipv4_parse_host(sys->interfaces[i].ip, &a) == 0)
			w->static_ip = a;
	}
	snapshot_unref(snap);
}

/* An address that no system claims as its static one. */
static bool claimed_by_other(struct dhcp_server *s, uint32_t ip, const char *mac)
{
	struct snapshot *snap;
	bool claimed = false;

	pthread_mutex_lock(&s->lock);
	snap = s->snap ? snapshot_ref(s->snap) : NULL;
	pthread_mutex_unlock(&s->lock);
	for (size_t i = 0; snap && !claimed && i < snapshot_count(snap, OBJ_SYSTEM); i++) {
		const struct system *sys = snapshot_system_at(snap, i);
		for (size_t k = 0; k < sys->ninterfaces; k++) {
			uint32_t a;
			if (sys->interfaces[k].ip && ipv4_parse_host(sys->interfaces[k].ip, &a) == 0 &&
			    a == ip && strcmp(sys->interfaces[k].mac, mac) != 0)
				claimed = true;
		}
	}
	snapshot_unref(snap);
	return claimed;
}

/* RFC 2131 §4.3.1: the client's static address, else its previous lease,
 * else the address it asks for if free, else the first free one. */
static uint32_t pick_address(struct dhcp_server *s, const struct dhcp_packet *p, const uint8_t *m,
			     const char *mac, const struct who *w)
{
	struct lease *l;

	if (w->static_ip)
		return w->static_ip;
	l = lease_by_mac(s, m);
	if (l)
		return l->ip;
	if (p->has[OPT_REQ_IP] && p->opt[OPT_REQ_IP].len == 4) {
		uint32_t want;
		memcpy(&want, p->opt[OPT_REQ_IP].p, 4);
		want = ntohl(want);
		if (want >= s->cfg.range_start && want <= s->cfg.range_end && !lease_by_ip(s, want) &&
		    !claimed_by_other(s, want, mac))
			return want;
	}
	for (uint32_t a = s->cfg.range_start; a && a <= s->cfg.range_end; a++) {
		if (!lease_by_ip(s, a) && !claimed_by_other(s, a, mac))
			return a;
		if (a == UINT32_MAX)
			break;
	}
	return 0;
}

/* ---- replies ---- */

static bool is_pxe_client(const struct dhcp_packet *p)
{
	const struct dhcp_optval *v = &p->opt[OPT_VENDOR_CLASS];

	return p->has[OPT_VENDOR_CLASS] &&
	       ((v->len >= 9 && !memcmp(v->p, "PXEClient", 9)) ||
		(v->len >= 10 && !memcmp(v->p, "HTTPClient", 10)));
}

static bool is_ipxe(const struct dhcp_packet *p)
{
	const struct dhcp_optval *v = &p->opt[OPT_USER_CLASS];

	if (p->has[OPT_IPXE_ENCAP])
		return true;
	/* RFC 3004 user class is length-prefixed; iPXE sends the bare string. */
	for (size_t i = 0; p->has[OPT_USER_CLASS] && i + 4 <= v->len; i++)
		if (!memcmp(v->p + i, "iPXE", 4))
			return true;
	return false;
}

static void add_boot(struct dhcp_server *s, struct dhcp_builder *b, const struct dhcp_packet *p,
		     const char *mac, const struct who *w, struct dhcp_reply *out)
{
	struct bootsel_in in = {
		.arch = -1, .ipxe = is_ipxe(p), .loader = w->b.loader[0] ? w->b.loader : NULL,
		.known = w->b.known, .unknown_ignore = s->cfg.unknown_ignore,
		.proxy = s->cfg.mode == DHCP_MODE_PROXY, .ipxe_efi = s->cfg.ipxe_efi,
	};
	struct bootsel_out bo;
	char ip[INET_ADDRSTRLEN];
	struct in_addr sa = { s->cfg.server_ip };

	if (p->has[OPT_CLIENT_ARCH] && p->opt[OPT_CLIENT_ARCH].len >= 2)
		in.arch = p->opt[OPT_CLIENT_ARCH].p[0] << 8 | p->opt[OPT_CLIENT_ARCH].p[1];
	if (bootsel_choose(&in, s->cfg.http_base, mac, &bo) < 0)
		return;
	inet_ntop(AF_INET, &sa, ip, sizeof(ip));
	dhcp_build_file(b, bo.file);
	dhcp_build_sname(b, ip);
	dhcp_build_opt_str(b, OPT_TFTP_SERVER, ip);
	dhcp_build_opt_str(b, OPT_BOOTFILE, bo.file);
	snprintf(out->bootfile, sizeof(out->bootfile), "%s", bo.file);
	if (is_pxe_client(p)) {
		/* PXE 2.1: echo the class; vendor option 6 (discovery control)
		 * bit 3: boot from the file name given, no boot server menu. */
		static const uint8_t pxe43[] = { 6, 1, 8, 255 };
		dhcp_build_opt_str(b, OPT_VENDOR_CLASS,
				   p->opt[OPT_VENDOR_CLASS].len >= 10 &&
						   !memcmp(p->opt[OPT_VENDOR_CLASS].p, "HTTPClient", 10)
					   ? "HTTPClient"
					   : "PXEClient");
		dhcp_build_opt(b, OPT_VENDOR, pxe43, sizeof(pxe43));
		if (p->has[OPT_UUID])	/* PXE: mirror the client's UUID */
			dhcp_build_opt(b, OPT_UUID, p->opt[OPT_UUID].p, p->opt[OPT_UUID].len);
	}
}

/* The router for a client given yiaddr (network order). A relayed client
 * sits on the relay's subnet, where dhcp.router (provd's own segment's
 * router) is unreachable: it gets giaddr, the relay's address on its
 * subnet and so its gateway (as dnsmasq does), unless dhcp.router is on
 * that subnet. Without a router it could not reach provd's TFTP and HTTP
 * servers, nor send its RELEASE. */
static uint32_t router_for(const struct dhcp_server *s, const struct dhcp_packet *p, uint32_t yiaddr)
{
	uint32_t m = s->cfg.netmask;

	if (!p->giaddr || (s->cfg.router && (s->cfg.router & m) == (yiaddr & m)))
		return s->cfg.router;
	return p->giaddr;
}

static void add_net_opts(struct dhcp_server *s, struct dhcp_builder *b, const struct dhcp_packet *p,
			 uint32_t yiaddr)
{
	uint32_t router;

	dhcp_build_opt_u32(b, OPT_SERVER_ID, s->cfg.server_ip);
	if (!yiaddr)	/* no lease: NAK, INFORM, proxy */
		return;
	dhcp_build_opt_u32(b, OPT_LEASE, htonl(s->cfg.lease_time));
	dhcp_build_opt_u32(b, OPT_RENEW, htonl(s->cfg.lease_time / 2));
	dhcp_build_opt_u32(b, OPT_REBIND, htonl(s->cfg.lease_time / 8 * 7));
	dhcp_build_opt_u32(b, OPT_SUBNET, s->cfg.netmask);
	router = router_for(s, p, yiaddr);
	if (router)
		dhcp_build_opt_u32(b, OPT_ROUTER, router);
	if (s->cfg.ndns)
		dhcp_build_opt(b, OPT_DNS, s->cfg.dns, s->cfg.ndns * 4);
	if (s->cfg.domain[0])
		dhcp_build_opt_str(b, OPT_DOMAIN, s->cfg.domain);
}

/* RFC 2131 §4.1: to the relay if there is one; to ciaddr when the client
 * has an address; else broadcast (we do not ARP-less unicast to yiaddr). */
static void set_dest(const struct dhcp_packet *p, const struct dhcp_meta *in, struct dhcp_reply *out)
{
	if (p->giaddr) {
		out->dst_ip = p->giaddr;
		out->dst_port = 67;
	} else if (in && in->local_port == 4011) {
		out->dst_ip = in->src_ip;
		out->dst_port = in->src_port;
	} else if (p->ciaddr) {
		out->dst_ip = p->ciaddr;
		out->dst_port = 68;
	} else {
		out->dst_ip = htonl(INADDR_BROADCAST);
		out->dst_port = 68;
	}
}

static bool rate_ok(struct dhcp_server *s, const uint8_t *m, time_t now)
{
	unsigned h = (unsigned)(m[3] * 131 + m[4] * 31 + m[5]) % RATE_SLOTS;
	struct rate *r = &s->rate[h];

	if (memcmp(r->mac, m, 6) != 0 || now - r->window >= 10) {
		memcpy(r->mac, m, 6);
		r->window = now;
		r->count = 0;
	}
	return ++r->count <= (s->cfg.rate_per_mac ? s->cfg.rate_per_mac : DHCP_RATE_PER_MAC);
}

static int finish(struct dhcp_server *s, struct dhcp_builder *b, struct dhcp_reply *out, int type,
		  const struct dhcp_packet *req)
{
	size_t n;

	/* RFC 3046 §2.2: the relay agent information goes back to the relay
	 * unchanged, as the last option. */
	if (req->has[OPT_RELAY_AGENT] && req->giaddr)
		dhcp_build_opt(b, OPT_RELAY_AGENT, req->opt[OPT_RELAY_AGENT].p, req->opt[OPT_RELAY_AGENT].len);
	n = dhcp_build_end(b);

	if (!n)
		return 0;
	memcpy(out->buf, b->buf, n);
	out->len = n;
	out->type = type;
	if (type == DHCPOFFER)
		s->st.offers++;
	else if (type == DHCPACK)
		s->st.acks++;
	else if (type == DHCPNAK)
		s->st.naks++;
	return type;
}

int dhcp_server_handle(struct dhcp_server *s, const uint8_t *pkt, size_t len,
		       const struct dhcp_meta *in, time_t now, struct dhcp_reply *out)
{
	struct dhcp_packet p;
	struct dhcp_builder b;
	struct who w;
	char mac[18];
	int type, r;

	memset(out, 0, sizeof(*out));
	s->st.received++;
	out->local_port = in ? in->local_port : 67;
	r = dhcp_parse(pkt, len, &p);
	if (r < 0) {
		s->st.bad++;
		return r;
	}
	if (!s->cfg.no_rate_limit && !rate_ok(s, p.chaddr, now)) {
		s->st.dropped_rate++;
		return 0;
	}
	type = dhcp_msg_type(&p);
	mac_format(p.chaddr, mac);
	snprintf(out->mac, sizeof(out->mac), "%s", mac);
	lookup(s, mac, &w);
	snprintf(out->system, sizeof(out->system), "%s", w.b.system);
	leases_expire(s, now);
	set_dest(&p, in, out);

	if (s->cfg.mode == DHCP_MODE_PROXY) {
		/* proxyDHCP (PXE 2.1 §2.2.2): PXE clients only, no address;
		 * DISCOVER on 67 -> OFFER, REQUEST on 4011 -> ACK. */
		if (!is_pxe_client(&p) || (type != DHCPDISCOVER && type != DHCPREQUEST) ||
		    (!w.b.known && s->cfg.unknown_ignore)) {
			s->st.ignored++;
			return 0;
		}
		/* PXE 2.1 §2.2.2: a PXE client takes its address from the
		 * DHCP server's offer and asks the proxy for boot information
		 * on port 4011 only. A REQUEST on 67 is for the lab's server
		 * (or from a client that took our address-less offer for a
		 * lease, as busybox udhcpc does): an ACK of 0.0.0.0 would only
		 * confuse it, so stay silent. */
		if (type == DHCPREQUEST && (!in || in->local_port != 4011)) {
			s->st.ignored++;
			return 0;
		}
		if (type == DHCPREQUEST)
			s->st.proxy_requests++;
		int rt = type == DHCPDISCOVER ? DHCPOFFER : DHCPACK;
		dhcp_build_start(&b, &p, (uint8_t)rt);
		dhcp_build_addrs(&b, 0, s->cfg.server_ip);
		add_net_opts(s, &b, &p, 0);
		add_boot(s, &b, &p, mac, &w, out);
		if (!out->bootfile[0]) {
			s->st.ignored++;
			return 0;
		}
		r = finish(s, &b, out, rt, &p);
		if (r == DHCPACK)
			s->st.proxy_acks++;
		return r;
	}

	switch (type) {
	case DHCPDISCOVER: {
		uint32_t a = pick_address(s, &p, p.chaddr, mac, &w);
		struct lease *l;
		if (!a) {
			s->st.ignored++;	/* pool exhausted */
			return 0;
		}
		l = lease_by_mac(s, p.chaddr);
		if (!l) {
			struct lease *other = lease_by_ip(s, a);
			if (other)	/* a static address leased to a stale MAC */
				other->state = L_FREE;
			l = lease_slot(s);
		}
		if (!l) {
			s->st.ignored++;
			return 0;
		}
		memcpy(l->mac, p.chaddr, 6);
		l->ip = a;
		if (l->state != L_BOUND) {
			l->state = L_OFFERED;
			l->expires = now + DHCP_OFFER_HOLD;
		}
		dhcp_build_start(&b, &p, DHCPOFFER);
		dhcp_build_addrs(&b, htonl(a), s->cfg.server_ip);
		add_net_opts(s, &b, &p, htonl(a));
		add_boot(s, &b, &p, mac, &w, out);
		out->yiaddr = htonl(a);
		return finish(s, &b, out, DHCPOFFER, &p);
	}
	case DHCPREQUEST: {
		uint32_t want = 0, sid = 0;
		struct lease *l = lease_by_mac(s, p.chaddr);
		bool selecting = p.has[OPT_SERVER_ID];
		if (selecting) {
			if (p.opt[OPT_SERVER_ID].len == 4)
				memcpy(&sid, p.opt[OPT_SERVER_ID].p, 4);
			if (sid != s->cfg.server_ip) {
				/* It chose another server: drop our offer. */
				if (l && l->state == L_OFFERED)
					l->state = L_FREE;
				s->st.ignored++;
				return 0;
			}
		}
		if (p.has[OPT_REQ_IP] && p.opt[OPT_REQ_IP].len == 4)
			memcpy(&want, p.opt[OPT_REQ_IP].p, 4);
		else
			want = p.ciaddr;	/* RENEWING / REBINDING */
		want = ntohl(want);
		uint32_t ok_addr = w.static_ip ? w.static_ip : l ? l->ip : 0;
		if (!ok_addr && !selecting && want >= s->cfg.range_start && want <= s->cfg.range_end &&
		    !lease_by_ip(s, want) && !claimed_by_other(s, want, mac))
			ok_addr = want;	/* INIT-REBOOT after a restart without a lease file */
		if (!want || want != ok_addr) {
			if (!selecting && !l && !w.static_ip &&
			    (want < s->cfg.range_start || want > s->cfg.range_end)) {
				s->st.ignored++;	/* not ours to judge (RFC 2131 §4.3.2) */
				return 0;
			}
			dhcp_build_start(&b, &p, DHCPNAK);
			add_net_opts(s, &b, &p, 0);
			dhcp_build_opt_str(&b, OPT_MESSAGE, "address not available");
			/* A NAK always goes out broadcast (or to the relay). */
			if (!p.giaddr)
				out->dst_ip = htonl(INADDR_BROADCAST), out->dst_port = 68;
			return finish(s, &b, out, DHCPNAK, &p);
		}
		if (!l) {
			struct lease *other = lease_by_ip(s, want);
			if (other)
				other->state = L_FREE;
			l = lease_slot(s);
			if (!l) {
				s->st.ignored++;
				return 0;
			}
			memcpy(l->mac, p.chaddr, 6);
			l->ip = want;
		}
		/* The lease file needs rewriting for a new binding, and for a
		 * renewal only once the expiry it holds is less than half a
		 * lease away: clients renew at T1 = half the lease (RFC 2131
		 * §4.4.5), so a restarted server still sees every lease valid
		 * until its next renewal, without an fsync per renewal. */
		bool save = l->state != L_BOUND || l->saved_ip != l->ip ||
			    l->saved_expires < now + (time_t)s->cfg.lease_time / 2;
		l->state = L_BOUND;
		l->expires = now + s->cfg.lease_time;
		if (save) {
			l->saved_expires = l->expires;
			l->saved_ip = l->ip;
			leases_save(s);
		}
		dhcp_build_start(&b, &p, DHCPACK);
		dhcp_build_addrs(&b, htonl(want), s->cfg.server_ip);
		add_net_opts(s, &b, &p, htonl(want));
		add_boot(s, &b, &p, mac, &w, out);
		out->yiaddr = htonl(want);
		return finish(s, &b, out, DHCPACK, &p);
	}
	case DHCPRELEASE:
	case DHCPDECLINE: {
		struct lease *l = lease_by_mac(s, p.chaddr);
		if (type == DHCPRELEASE)
			s->st.releases++;
		else
			s->st.declines++;
		if (type == DHCPRELEASE && l && l->ip == ntohl(p.ciaddr)) {
			l->state = L_FREE;
			leases_save(s);
		} else if (type == DHCPDECLINE && l) {
			/* The address is in use by someone else: keep it out of
			 * the pool for a lease time, owned by nobody. */
			memset(l->mac, 0, 6);
			l->state = L_BOUND;
			l->expires = now + s->cfg.lease_time;
			leases_save(s);
		}
		return 0;
	}
	case DHCPINFORM:
		s->st.informs++;
		dhcp_build_start(&b, &p, DHCPACK);
		dhcp_build_addrs(&b, 0, s->cfg.server_ip);
		add_net_opts(s, &b, &p, 0);
		if (s->cfg.ndns)
			dhcp_build_opt(&b, OPT_DNS, s->cfg.dns, s->cfg.ndns * 4);
		add_boot(s, &b, &p, mac, &w, out);
		if (p.ciaddr)
			out->dst_ip = p.ciaddr, out->dst_port = 68;
		return finish(s, &b, out, DHCPACK, &p);
	default:
		s->st.ignored++;
		return 0;
	}
}

int dhcp_server_new(const struct dhcp_server_cfg *cfg, struct dhcp_server **out)
{
	struct dhcp_server *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	s->cfg = *cfg;
	if (!s->cfg.lease_time)
		s->cfg.lease_time = 3600;
	if (s->cfg.mode == DHCP_MODE_FULL &&
	    (!s->cfg.range_start || s->cfg.range_end < s->cfg.range_start ||
	     s->cfg.range_end - s->cfg.range_start >= DHCP_LEASES_MAX)) {
		free(s);
		return -EINVAL;
	}
	pthread_mutex_init(&s->lock, NULL);
	leases_load(s);
	*out = s;
	return 0;
}

void dhcp_server_free(struct dhcp_server *s)
{
	if (!s)
		return;
	snapshot_unref(s->snap);
	pthread_mutex_destroy(&s->lock);
	free(s->leases);
	free(s);
}

void dhcp_server_set_snapshot(struct dhcp_server *s, struct snapshot *snap)
{
	struct snapshot *old;

	pthread_mutex_lock(&s->lock);
	old = s->snap;
	s->snap = snap ? snapshot_ref(snap) : NULL;
	pthread_mutex_unlock(&s->lock);
	snapshot_unref(old);
}

void dhcp_server_stats(const struct dhcp_server *s, struct dhcp_stats *out)
{
	*out = s->st;
}

uint32_t dhcp_server_lease_of(const struct dhcp_server *s, const uint8_t mac[6], time_t now)
{
	for (size_t i = 0; i < s->nleases; i++) {
		const struct lease *l = &s->leases[i];
		if (l->state == L_BOUND && l->expires > now && !memcmp(l->mac, mac, 6))
			return htonl(l->ip);
	}
	return 0;
}
