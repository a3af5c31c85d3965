/* callback: install progress callbacks from the installers themselves,
 *
 *   GET or POST /api/v1/status/<system>/<phase>?token=T
 *
 * phase is start, done or failed; T is system_token() (HMAC-SHA256 of the
 * system name keyed with the server secret) that the answer-file template
 * renders in, so a plain `wget -q -O- URL` in a preseed late_command or a
 * kickstart %post can report without any other credential. The token is in
 * the URL rather than a header precisely so that such one-liners work.
 *
 * Every accepted callback (GET or POST; HEAD only checks) records an event. "done" on a system with
 * pxe_just_once turns its netboot off through the store (atomic, under the
 * lock) and installs the new snapshot, so the machine's next PXE boot gets a
 * local-boot entry (pxelinux.cfg/01-<mac>, GRUB, iPXE) at once. A wrong or
 * missing token answers 403 and changes nothing, not even the event log.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "http/api_int.h"
#include "provd/base/log.h"
#include "provd/base/sha256.h"
#include "provd/base/strparse.h"
#include "provd/core/config.h"
#include "provd/core/events.h"
#include "provd/core/snapshot.h"
#include "provd/core/store.h"

/* Constant-time equality of two hex tokens (hashed first, so the time does
 * not depend on where they differ nor on the given length). */
static bool token_equal(const char *want, const char *given)
{
	uint8_t a[SHA256_LEN], b[SHA256_LEN];
	unsigned diff = 0;

	sha256(want, strlen(want), a);
	sha256(given, strlen(given), b);
	for (size_t i = 0; i < SHA256_LEN; i++)
		diff |= a[i] ^ b[i];
	return diff == 0;
}

static const char *phase_kind(const char *phase)
{
	if (strcmp(phase, "start") == 0)
		return EVENT_CB_START;
	if (strcmp(phase, "done") == 0)
		return EVENT_CB_DONE;
	if (strcmp(phase, "failed") == 0)
		return EVENT_CB_FAILED;
	return NULL;
}

int callback_handle(struct http_req *req, struct http_resp *resp, void *arg)
{
	char name[NAME_MAX_LEN + 1], phase[16], want[65], detail[512], esc[300];
	const char *slash = strchr(req->rest, '/');
	const char *token = http_req_query(req, "token");
	const struct system *sys;
	const char *kind, *mac;
	struct snapshot *snap = NULL;
	struct diags d = { 0 };
	bool netboot;
	size_t n;
	int r;

	if (!slash || (n = (size_t)(slash - req->rest)) == 0 || n > NAME_MAX_LEN ||
	    strlen(slash + 1) >= sizeof(phase))
		return api_send_error(resp, 404, "", "use /api/v1/status/<system>/start|done|failed?token=T",
				      "no such callback");
	memcpy(name, req->rest, n);
	name[n] = '\0';
	snprintf(phase, sizeof(phase), "%s", slash + 1);
	kind = phase_kind(phase);
	if (!name_valid(name) || !kind)
		return api_send_error(resp, 404, "", "use /api/v1/status/<system>/start|done|failed?token=T",
				      "no such callback");
	sys = snapshot_system(req->snap, name);
	if (!sys)
		return api_send_error(resp, 404, "", NULL, "no system '%s'", name);
	r = system_token(snapshot_config(req->snap), name, want);
	if (r < 0) {
		log_err("callback %s: no server secret to check tokens: %s", name, err_str(r));
		return api_send_error(resp, 403, "", "run `provd init` to create the server secret",
				      "callbacks are disabled: no server secret");
	}
	if (!token || !token_equal(want, token)) {
		log_warn("callback %s/%s from %s: %s token", name, phase,
			 req->client ? req->client : "?", token ? "wrong" : "missing");
		return api_send_error(resp, 403, "token", "use the URL rendered into this system's answer file",
				      "%s token", token ? "wrong" : "missing");
	}

	mac = sys->ninterfaces ? sys->interfaces[0].mac : NULL;
	netboot = sys->netboot;
	/* HEAD is safe by definition (RFC 9110 §9.2.1): a probe checks the URL
	 * and token without recording anything or turning netboot off. GET
	 * does act, on purpose: it is what `wget URL` in an installer sends. */
	if (req->method == HTTP_HEAD)
		return api_send_json(resp, 200, json_pack("{s:s,s:s,s:b}", "system", name,
							  "phase", phase, "netboot", netboot));
	detail[0] = '\0';
	if (req->body && req->body_len)
		snprintf(detail, sizeof(detail), "from %s: %s", req->client ? req->client : "?",
			 log_escape(esc, sizeof(esc), req->body, req->body_len));
	else
		snprintf(detail, sizeof(detail), "from %s", req->client ? req->client : "?");
	events_append(req->state_dir, name, mac, kind, detail);
	log_info("callback %s: install %s (%s)", name, phase, detail);

	if (strcmp(phase, "done") == 0 && sys->pxe_just_once && sys->netboot) {
		api_write_lock();
		r = store_system_set_netboot(req->state_dir, name, false, &d, &snap);
		if (r < 0) {
			api_write_unlock();
			char *msg = d.n ? diag_format(&d.v[0]) : NULL;
			log_err("callback %s: cannot turn netboot off: %s", name, msg ? msg : err_str(r));
			r = api_send_error(resp, 500, "", NULL, "cannot turn netboot off: %s",
					   msg ? msg : err_str(r));
			free(msg);
			diags_clear(&d);
			return r;
		}
		/* The next PXE boot of this machine must get local boot: the
		 * new snapshot goes to HTTP, TFTP and DHCP before we answer. */
		api_committed(req, snap, OBJ_SYSTEM, name);
		api_write_unlock();
		snapshot_unref(snap);
		netboot = false;
		events_append(req->state_dir, name, mac, EVENT_NETBOOT_OFF,
			      "pxe_just_once: next boot is from local disk");
	}
	diags_clear(&d);
	return api_send_json(resp, 200, json_pack("{s:s,s:s,s:b}", "system", name, "phase", phase,
						  "netboot", netboot));
}
