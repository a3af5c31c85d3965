/* api: /api/v1/ JSON for distros, profiles, systems, builds and events.
 *
 *   GET    /api/v1/                      index
 *   GET    /api/v1/{distros,profiles,systems}           list
 *   POST   /api/v1/{distros,profiles,systems}           create (body has "name")
 *   GET    /api/v1/{kind}/NAME[?resolved=1]            show (ETag: object sha256)
 *   PUT    /api/v1/{kind}/NAME                         create or replace
 *   PATCH  /api/v1/{kind}/NAME                         RFC 7396 merge patch
 *   DELETE /api/v1/{kind}/NAME                         remove
 *   GET    /api/v1/systems/NAME/events                 that system's timeline
 *   GET    /api/v1/builds, /api/v1/builds/ID           build status and manifest
 *   GET    /api/v1/events?system=&mac=&kind=&since=&limit=    events
 *
 * Writes are validated and committed by the object store under its lock
 * (store.h), so concurrent writers queue and none is lost; PATCH and a PUT
 * with If-Match run as a read-modify-write inside the lock (store_update).
 * The install callbacks live in callback.c, /metrics in metrics.c.
 */
#include "config.h"
#include "http/api.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "http/api_int.h"
#include "http/apijson.h"
#include "http/metrics.h"
#include "provd/base/fsutil.h"
#include "provd/base/log.h"
#include "provd/base/sha256.h"
#include "provd/base/strparse.h"
#include "provd/core/config.h"
#include "provd/core/events.h"
#include "provd/core/objjson.h"
#include "provd/core/resolve.h"
#include "provd/core/snapshot.h"
#include "provd/core/store.h"

#define API_TOKEN_MAX 4096
#define EVENTS_LIMIT_DEFAULT 1000
#define EVENTS_LIMIT_MAX 100000

static struct http_api_hooks api_hooks;

/* Writes from this process commit in the store's order (its flock), but
 * each thread then installs its own new snapshot: without this mutex a
 * slower thread could install an older snapshot over a newer one and the
 * server would serve a state that is no longer on disk. Holding it from the
 * store call until the snapshot is installed keeps install order == commit
 * order. It costs no concurrency: the store serialises writes anyway. */
static pthread_mutex_t api_write_mutex = PTHREAD_MUTEX_INITIALIZER;

void api_write_lock(void)
{
	pthread_mutex_lock(&api_write_mutex);
}

void api_write_unlock(void)
{
	pthread_mutex_unlock(&api_write_mutex);
}

/* ---- responses ---- */

int api_send_json(struct http_resp *resp, unsigned status, json_t *j)
{
	char *s;
	int r;

	if (!j)
		return -ENOMEM;
	s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(j);
	if (!s)
		return -ENOMEM;
	http_resp_status(resp, status);
	r = http_resp_type(resp, "application/json");
	if (r == 0)
		r = http_resp_append(resp, s, strlen(s));
	if (r == 0)
		r = http_resp_append(resp, "\n", 1);
	free(s);
	return r;
}

int api_send_error(struct http_resp *resp, unsigned status, const char *path,
		   const char *hint, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return api_send_json(resp, status, apijson_error1(path, hint, "%s", msg));
}

/* Store errno -> HTTP status. */
static unsigned status_of(int r)
{
	switch (r) {
	case -EINVAL:
		return 422;
	case -EEXIST:
	case -EBUSY:
	case -ENOTEMPTY:
		return 409;
	case -ENOENT:
		return 404;
	case -ESTALE:
		return 412;
	case -E2BIG:
	case -EFBIG:
		return 413;
	default:
		return 500;
	}
}

static bool diag_is_ours(const struct diag *g, const char *objpath)
{
	const char *slash;

	if (!g->file || !objpath)
		return true;
	if (strcmp(g->file, objpath) == 0 || strcmp(g->file, "<input>") == 0)
		return true;
	/* Relative forms ("systems/web1.yaml") of the same file. */
	slash = strstr(objpath, g->file);
	return slash && strlen(slash) == strlen(g->file) && slash > objpath && slash[-1] == '/';
}

/* Errors from a store call: those about the object being written map to
 * field paths through the YAML we validated; any about other files (an
 * object elsewhere in the state that does not validate) keep file:line:col
 * in the message so the admin can find them. */
static int send_diags(struct http_resp *resp, int r, const struct diags *d,
		      const char *yaml, size_t yaml_len, const char *objpath)
{
	struct diags mine = { 0 }, theirs = { 0 };
	json_t *j, *arr;

	for (size_t i = 0; i < d->n; i++) {
		const struct diag *g = &d->v[i];
		if (diag_is_ours(g, objpath)) {
			diags_add(&mine, NULL, g->line, g->col, g->hint, "%s", g->msg);
		} else {
			char *f = diag_format(g);
			diags_add(&theirs, NULL, 0, 0, g->hint, "%s", f ? f : g->msg);
			free(f);
		}
	}
	j = apijson_errors(&mine, yaml, yaml_len);
	arr = j ? json_object_get(j, "errors") : NULL;
	if (arr && theirs.n) {
		json_t *t = apijson_errors(&theirs, NULL, 0);
		json_array_extend(arr, json_object_get(t, "errors"));
		json_decref(t);
	}
	if (arr && json_array_size(arr) == 0)
		json_array_append_new(arr, json_pack("{s:s,s:s}", "path", "",
						     "message", r < 0 ? err_str(r) : "failed"));
	diags_clear(&mine);
	diags_clear(&theirs);
	return api_send_json(resp, status_of(r), j);
}

/* ---- auth ---- */

/* Bearer token check for writes. Both sides are hashed first so the
 * comparison takes the same time whatever the lengths and contents. Returns
 * 0 when allowed; otherwise the response is filled (401/403) and 1 is
 * returned. */
int api_check_auth(struct http_req *req, struct http_resp *resp)
{
	const struct config *cfg = snapshot_config(req->snap);
	const char *h = http_req_header(req, "Authorization");
	char *tok = NULL;
	size_t tlen = 0;
	uint8_t a[SHA256_LEN], b[SHA256_LEN];
	unsigned diff = 0;
	const char *given;
	int r;

	if (!h || strncasecmp(h, "Bearer ", 7) != 0) {
		int e = api_send_error(resp, 401, "", "send \"Authorization: Bearer <token>\"; "
				       "the token is in the file named by api_token_file in provd.yaml",
				       "authentication required");
		http_resp_header(resp, "WWW-Authenticate", "Bearer realm=\"provd\"");
		return e < 0 ? e : 1;
	}
	given = h + 7;
	while (*given == ' ')
		given++;
	r = cfg && cfg->api_token_file ?
		fs_read_file(cfg->api_token_file, API_TOKEN_MAX, &tok, &tlen) : -ENOENT;
	if (r < 0) {
		log_warn("api: cannot read API token file %s: %s",
			 cfg && cfg->api_token_file ? cfg->api_token_file : "(none)", err_str(r));
		r = api_send_error(resp, 403, "", "run `provd init` to create the API token",
				   "no API token configured on the server");
		return r < 0 ? r : 1;
	}
	while (tlen && isspace((unsigned char)tok[tlen - 1]))
		tok[--tlen] = '\0';
	sha256(tok, tlen, a);
	sha256(given, strlen(given), b);
	for (size_t i = 0; i < SHA256_LEN; i++)
		diff |= a[i] ^ b[i];
	if (tlen == 0)
		diff = 1;	/* an empty token file never authorises */
	free(tok);
	if (diff) {
		char esc[64];
		log_warn("api: wrong bearer token from %s for %s %s",
			 req->client ? req->client : "?", req->method_str,
			 log_escape(esc, sizeof(esc), req->path, strlen(req->path)));
		r = api_send_error(resp, 403, "", NULL, "wrong API token");
		return r < 0 ? r : 1;
	}
	return 0;
}

/* ---- after a write ---- */

void api_committed(struct http_req *req, struct snapshot *snap, enum obj_kind kind,
		   const char *name)
{
	if (!snap)
		return;
	if (req->server)
		http_server_set_snapshot(req->server, snap);
	if (api_hooks.changed)
		api_hooks.changed(api_hooks.arg, snap, kind, name);
}

/* ---- object <-> JSON ---- */

/* Objects and resolved views use the same JSON as `provd ... show --json`
 * (provd/core/objjson.h): {"kind": ..., "name": ..., <YAML keys>}. */
static json_t *obj_json(const struct obj *o)
{
	return obj_to_json(o);
}

/* ---- collection handlers ---- */

static bool want_resolved(struct http_req *req)
{
	const char *res = http_req_query(req, "resolved");

	return res && (strcmp(res, "1") == 0 || strcmp(res, "true") == 0 || *res == '\0');
}

/* The resolved view of a profile or system as JSON; NULL on ENOMEM. */
static json_t *resolved_json(const struct snapshot *snap, enum obj_kind kind, const char *name)
{
	struct resolved *rv = NULL;
	json_t *j;
	int r = kind == OBJ_PROFILE ? resolve_profile(snap, name, &rv) :
				      resolve_system(snap, name, &rv);

	if (r < 0)
		return NULL;
	j = resolved_to_json(rv);
	resolved_free(rv);
	return j;
}

static const char *obj_name(const struct obj *o)
{
	return o->kind == OBJ_DISTRO ? o->u.distro.name :
	       o->kind == OBJ_PROFILE ? o->u.profile.name : o->u.system.name;
}

static int api_list(struct http_req *req, struct http_resp *resp, enum obj_kind kind)
{
	json_t *arr = json_array(), *root = json_object();
	size_t n = snapshot_count(req->snap, kind);
	bool resolved = want_resolved(req);

	if (resolved && kind == OBJ_DISTRO) {
		json_decref(arr);
		json_decref(root);
		return api_send_error(resp, 400, "", "resolved views exist for profiles and systems",
				      "a distro has no inherited view");
	}
	if (!arr || !root) {
		json_decref(arr);
		json_decref(root);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		const struct obj *o = snapshot_at(req->snap, kind, i);
		json_t *j = resolved ? resolved_json(req->snap, kind, obj_name(o)) : obj_json(o);
		if (!j) {
			json_decref(arr);
			json_decref(root);
			return -ENOMEM;
		}
		json_array_append_new(arr, j);
	}
	json_object_set_new(root, obj_kind_dir(kind), arr);
	return api_send_json(resp, 200, root);
}

static int api_show(struct http_req *req, struct http_resp *resp, enum obj_kind kind,
		    const char *name)
{
	const struct obj *o = snapshot_obj(req->snap, kind, name);
	const char *inm;
	char etag[70];

	if (!o)
		return api_send_error(resp, 404, "", NULL, "no %s '%s'", obj_kind_name(kind), name);
	if (want_resolved(req)) {
		if (kind == OBJ_DISTRO)
			return api_send_error(resp, 400, "", "resolved views exist for profiles and systems",
					      "a distro has no inherited view");
		return api_send_json(resp, 200, resolved_json(req->snap, kind, name));
	}
	snprintf(etag, sizeof(etag), "\"%s\"", o->sha256);
	http_resp_header(resp, "ETag", etag);
	/* RFC 9110 §13.1.2: a client polling an object gets 304 while it is
	 * unchanged. */
	inm = http_req_header(req, "If-None-Match");
	if (inm && (strcmp(inm, etag) == 0 || strcmp(inm, "*") == 0)) {
		http_resp_status(resp, 304);
		return 0;
	}
	return api_send_json(resp, 200, obj_json(o));
}

static void send_obj_after_write(struct http_req *req, struct http_resp *resp,
				 struct snapshot *snap, enum obj_kind kind, const char *name,
				 unsigned status)
{
	const struct obj *o = snap ? snapshot_obj(snap, kind, name) : NULL;
	char etag[70];

	if (!o) {
		api_send_json(resp, status, json_pack("{s:s}", "name", name));
		return;
	}
	snprintf(etag, sizeof(etag), "\"%s\"", o->sha256);
	http_resp_header(resp, "ETag", etag);
	api_send_json(resp, status, obj_json(o));
}

/* If-Match: "*" or a quoted sha256 (the ETag of GET). Returns the bare
 * digest, "*" or NULL when absent. */
static const char *if_match(struct http_req *req, char out[65])
{
	const char *h = http_req_header(req, "If-Match");
	size_t n;

	if (!h)
		return NULL;
	while (*h == ' ')
		h++;
	if (strcmp(h, "*") == 0)
		return "*";
	if (*h == '"')
		h++;
	n = strcspn(h, "\"");
	if (n > 64)
		n = 64;
	memcpy(out, h, n);
	out[n] = '\0';
	return out;
}

/* store_update callback for PATCH, and for PUT with If-Match. */
struct rmw {
	enum obj_kind kind;
	const char *name;
	const json_t *body;	/* patch (merge) or full replacement */
	bool merge;
	const char *if_match;	/* NULL: unconditional */
	struct diags pd;	/* problems found in the patched YAML */
	char *yaml;		/* the text validated: patched YAML, then canonical */
	size_t yaml_len;
};

static int rmw_apply(struct obj *o, void *arg)
{
	struct rmw *w = arg;
	json_t *cur = NULL, *next = NULL;
	struct obj *n = NULL;
	char *y = NULL;
	size_t len = 0;
	int r = 0;

	if (w->if_match && strcmp(w->if_match, "*") != 0 && strcmp(w->if_match, o->sha256) != 0)
		return -ESTALE;
	if (w->merge) {
		y = model_obj_to_yaml(o, &len);
		if (!y)
			return -ENOMEM;
		cur = apijson_from_yaml(y, len, &w->pd);
		free(y);
		y = NULL;
		if (!cur) {
			r = -EINVAL;
			goto out;
		}
		next = apijson_merge_patch(cur, w->body);
	} else {
		next = json_deep_copy(w->body);
	}
	if (!next) {
		r = -ENOMEM;
		goto out;
	}
	y = apijson_to_yaml(next, "name", &len, &w->pd);
	if (!y) {
		r = -EINVAL;
		goto out;
	}
	free(w->yaml);
	w->yaml = y;
	w->yaml_len = len;
	r = model_obj_parse(w->kind, w->name, "<input>", y, len, &w->pd, &n);
	if (r < 0)
		goto out;
	/* Move the new object into o: the store serialises and validates it
	 * in the context of the whole state, then writes it. */
	{
		struct obj tmp = *o;
		*o = *n;
		*n = tmp;
	}
	model_obj_free(n);
	/* Snapshot-level errors (a dangling profile, a duplicate MAC) point
	 * into the canonical text the store writes: keep it for mapping. */
	y = model_obj_to_yaml(o, &len);
	if (y) {
		free(w->yaml);
		w->yaml = y;
		w->yaml_len = len;
	}
out:
	json_decref(cur);
	json_decref(next);
	return r;
}

/* "kind" (as GET returns it) may be sent back; it must match the URL and is
 * not a YAML key, so it is dropped. */
static bool body_kind_ok(struct http_resp *resp, json_t *body, enum obj_kind kind, int *rc)
{
	json_t *k = json_object_get(body, "kind");

	if (!k)
		return true;
	if (!json_is_string(k) || strcmp(json_string_value(k), obj_kind_name(kind)) != 0) {
		*rc = api_send_error(resp, 400, "kind", "leave \"kind\" out or make it match the URL",
				     "\"kind\" in the body does not match the URL");
		return false;
	}
	json_object_del(body, "kind");
	return true;
}

/* A distro's kernel and initrd may be absolute paths when an admin adds
 * them on the server (CLI), but through the API that would let a token
 * holder make /boot/ serve any file the daemon can read. The API takes
 * paths under <state>/files and URLs; an absolute path already in the
 * object (set from the CLI) may be sent back unchanged. */
static json_t *remote_paths_check(struct http_req *req, enum obj_kind kind, const char *name,
				  const json_t *body)
{
	static const char *const keys[] = { "kernel", "initrd" };
	const struct distro *cur;

	if (kind != OBJ_DISTRO)
		return NULL;
	cur = snapshot_distro(req->snap, name);
	for (size_t i = 0; i < 2; i++) {
		const char *v = json_string_value(json_object_get(body, keys[i]));
		const char *now = cur ? (i == 0 ? cur->kernel : cur->initrd) : NULL;
		if (!v || v[0] != '/' || (now && strcmp(now, v) == 0))
			continue;
		return apijson_error1(keys[i], "copy the file under <state>/files and give the path "
				      "relative to it, or give an http(s):// URL; absolute paths "
				      "can be set with `provd distro` on the server",
				      "absolute paths are not accepted through the API");
	}
	return NULL;
}

static bool body_name_ok(struct http_resp *resp, const json_t *body, const char *name, int *rc)
{
	json_t *bn = json_object_get(body, "name");

	if (bn && (!json_is_string(bn) || strcmp(json_string_value(bn), name) != 0)) {
		*rc = api_send_error(resp, 400, "name", "leave \"name\" out or make it match the URL",
				     "\"name\" in the body does not match the URL");
		return false;
	}
	return true;
}

static int api_write(struct http_req *req, struct http_resp *resp, enum obj_kind kind,
		     const char *name_in)
{
	struct diags d = { 0 };
	struct snapshot *snap = NULL;
	json_t *body = NULL;
	char *yaml = NULL, *objpath = NULL;
	char name[NAME_MAX_LEN + 1];
	char im_buf[65];
	const char *im;
	size_t ylen = 0;
	unsigned ok_status = 200;
	bool locked = false;
	int r, rc = 0;

	r = api_check_auth(req, resp);
	if (r != 0)
		return r < 0 ? r : 0;

	if (req->method == HTTP_DELETE) {
		snprintf(name, sizeof(name), "%s", name_in);
		objpath = store_obj_path(req->state_dir, kind, name);
		api_write_lock();
		locked = true;
		r = store_remove(req->state_dir, kind, name, &d, &snap);
		if (r < 0) {
			rc = send_diags(resp, r, &d, NULL, 0, objpath);
			/* The store refuses a removal that would leave the
			 * state invalid: others still reference the object. */
			if (r == -EINVAL)
				http_resp_status(resp, 409);
			goto out;
		}
		api_committed(req, snap, kind, name);
		api_write_unlock();
		locked = false;
		events_appendf(req->state_dir, kind == OBJ_SYSTEM ? name : NULL, NULL,
			       EVENT_OBJECT_CHANGED, "%s %s removed via API from %s",
			       obj_kind_name(kind), name, req->client ? req->client : "?");
		http_resp_status(resp, 204);
		goto out;
	}

	body = apijson_parse_body(req->body, req->body ? req->body_len : 0, &d);
	if (!body) {
		rc = send_diags(resp, -EINVAL, &d, NULL, 0, NULL);
		http_resp_status(resp, 400);
		goto out;
	}
	if (!body_kind_ok(resp, body, kind, &rc))
		goto out;
	{
		json_t *lim = apijson_check_limits(body);
		if (lim) {
			rc = api_send_json(resp, 422, lim);
			goto out;
		}
	}
	if (req->method == HTTP_POST) {
		json_t *bn = json_object_get(body, "name");
		if (!json_is_string(bn)) {
			rc = api_send_error(resp, 422, "name", "add \"name\": \"web1\" to the body",
					    "a new %s needs a \"name\" (a string)", obj_kind_name(kind));
			goto out;
		}
		snprintf(name, sizeof(name), "%s", json_string_value(bn));
		if (!name_valid(json_string_value(bn))) {
			rc = api_send_error(resp, 422, "name", "use 1-64 of A-Z a-z 0-9 . _ -",
					    "invalid %s name", obj_kind_name(kind));
			goto out;
		}
	} else {
		snprintf(name, sizeof(name), "%s", name_in);
		if (!body_name_ok(resp, body, name, &rc))
			goto out;
	}
	{
		json_t *bad = remote_paths_check(req, kind, name, body);
		if (bad) {
			rc = api_send_json(resp, 422, bad);
			goto out;
		}
	}
	objpath = store_obj_path(req->state_dir, kind, name);
	im = if_match(req, im_buf);

	if (req->method == HTTP_PATCH || (req->method == HTTP_PUT && im)) {
		struct rmw w = { .kind = kind, .name = name, .body = body,
				 .merge = req->method == HTTP_PATCH, .if_match = im };
		api_write_lock();
		locked = true;
		r = store_update(req->state_dir, kind, name, rmw_apply, &w, &d, &snap);
		if (r < 0) {
			if (r == -ESTALE)
				rc = api_send_error(resp, 412, "", "GET the object again and retry with its ETag",
						    "the %s changed since you read it (If-Match)",
						    obj_kind_name(kind));
			else if (r == -ENOENT && im)
				/* RFC 9110 §13.1.1: If-Match on a missing
				 * resource fails the precondition. */
				rc = api_send_error(resp, 412, "", "PUT without If-Match to create it",
						    "no %s '%s' (If-Match)", obj_kind_name(kind), name);
			else if (w.pd.n)
				rc = send_diags(resp, r, &w.pd, w.yaml, w.yaml_len, NULL);
			else
				rc = send_diags(resp, r, &d, w.yaml, w.yaml_len, objpath);
		}
		diags_clear(&w.pd);
		free(w.yaml);
		if (r < 0)
			goto out;
	} else {
		bool existed = snapshot_obj(req->snap, kind, name) != NULL;
		yaml = apijson_to_yaml(body, "name", &ylen, &d);
		if (!yaml) {
			rc = send_diags(resp, -EINVAL, &d, NULL, 0, NULL);
			goto out;
		}
		api_write_lock();
		locked = true;
		r = store_put_yaml(req->state_dir, kind, name, yaml, ylen,
				   req->method == HTTP_POST ? STORE_CREATE : STORE_UPSERT, &d, &snap);
		if (r < 0) {
			if (r == -EEXIST && req->method == HTTP_POST) {
				rc = api_send_error(resp, 409, "name", "use PUT to replace it, or pick another name",
						    "%s '%s' already exists", obj_kind_name(kind), name);
				goto out;
			}
			rc = send_diags(resp, r, &d, yaml, ylen, objpath);
			goto out;
		}
		ok_status = req->method == HTTP_POST || !existed ? 201 : 200;
	}
	api_committed(req, snap, kind, name);
	api_write_unlock();
	locked = false;
	events_appendf(req->state_dir, kind == OBJ_SYSTEM ? name : NULL, NULL, EVENT_OBJECT_CHANGED,
		       "%s %s %s via API from %s", obj_kind_name(kind), name,
		       ok_status == 201 ? "created" : "updated", req->client ? req->client : "?");
	if (ok_status == 201) {
		char loc[256];
		snprintf(loc, sizeof(loc), "/api/v1/%s/%s", obj_kind_dir(kind), name);
		http_resp_header(resp, "Location", loc);
	}
	send_obj_after_write(req, resp, snap, kind, name, ok_status);
out:
	if (locked)
		api_write_unlock();
	snapshot_unref(snap);
	json_decref(body);
	free(yaml);
	free(objpath);
	diags_clear(&d);
	return rc;
}

/* ---- events ---- */

static json_t *events_json(const struct event_list *l)
{
	json_t *arr = json_array(), *root = json_object();

	if (!arr || !root) {
		json_decref(arr);
		json_decref(root);
		return NULL;
	}
	for (size_t i = 0; i < l->n; i++) {
		const struct event *e = &l->v[i];
		json_t *o = json_object();
		if (!o)
			break;
		json_object_set_new(o, "time", json_string(e->time));
		json_object_set_new(o, "system", e->system ? json_string(e->system) : json_null());
		json_object_set_new(o, "mac", e->mac ? json_string(e->mac) : json_null());
		json_object_set_new(o, "kind", json_string(e->kind));
		json_object_set_new(o, "detail", json_string(e->detail));
		json_array_append_new(arr, o);
	}
	json_object_set_new(root, "events", arr);
	return root;
}

static int api_events(struct http_req *req, struct http_resp *resp, const char *system)
{
	struct event_filter f = { .limit = EVENTS_LIMIT_DEFAULT };
	struct event_list l;
	const char *lim = http_req_query(req, "limit");
	char mac[18];
	uint64_t n;
	int r;

	f.system = system ? system : http_req_query(req, "system");
	f.kind = http_req_query(req, "kind");
	f.since = http_req_query(req, "since");
	f.mac = http_req_query(req, "mac");
	if (f.mac) {
		if (mac_normalise(f.mac, mac) < 0)
			return api_send_error(resp, 400, "mac", "write it as 52:54:00:12:34:56",
					      "invalid MAC address");
		f.mac = mac;
	}
	if (system) {
		/* A system's timeline also shows what was recorded for its
		 * first MAC before the name was known (DHCP). */
		const struct system *s = snapshot_system(req->snap, system);
		if (!s)
			return api_send_error(resp, 404, "", NULL, "no system '%s'", system);
		if (s->ninterfaces) {
			snprintf(mac, sizeof(mac), "%s", s->interfaces[0].mac);
			f.mac = mac;
			f.any_of = true;
		}
	}
	if (lim) {
		if (parse_u64(lim, 1, EVENTS_LIMIT_MAX, &n) < 0)
			return api_send_error(resp, 400, "limit", "use a number from 1 to 100000",
					      "invalid limit");
		f.limit = (size_t)n;
	}
	r = events_read(req->state_dir, &f, &l);
	if (r < 0)
		return r;
	r = api_send_json(resp, 200, events_json(&l));
	event_list_free(&l);
	return r;
}

/* ---- builds ---- */

static json_t *build_json(const char *state_dir, const char *id)
{
	char *dir = NULL, *p = NULL, *data = NULL;
	json_t *j = json_object();
	size_t len;

	if (!j)
		return NULL;
	json_object_set_new(j, "id", json_string(id));
	if (asprintf(&dir, "%s/builds/%s", state_dir, id) < 0) {
		json_decref(j);
		return NULL;
	}
	p = path_join(dir, "status");
	if (p && fs_read_file(p, 4096, &data, &len) == 0) {
		while (len && isspace((unsigned char)data[len - 1]))
			data[--len] = '\0';
		json_t *st = json_stringn(data, len);
		json_object_set_new(j, "status", st ? st : json_string("?"));
	} else {
		json_object_set_new(j, "status", json_string("unknown"));
	}
	free(p);
	free(data);
	data = NULL;
	p = path_join(dir, "manifest.json");
	if (p && fs_read_file(p, 1 << 20, &data, &len) == 0) {
		json_t *m = json_loadb(data, len, 0, NULL);
		if (m)
			json_object_set_new(j, "manifest", m);
	}
	free(p);
	free(data);
	free(dir);
	return j;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int api_builds(struct http_req *req, struct http_resp *resp, const char *id)
{
	char *dir;
	DIR *dh;
	struct dirent *e;
	char **ids = NULL;
	size_t n = 0, cap = 0;
	json_t *arr, *root;

	if (id) {
		char *p;
		bool there;
		if (!name_valid(id))
			return api_send_error(resp, 404, "", NULL, "no build '%s'", id);
		if (asprintf(&p, "%s/builds/%s", req->state_dir, id) < 0)
			return -ENOMEM;
		there = fs_exists(p);
		free(p);
		if (!there)
			return api_send_error(resp, 404, "", NULL, "no build '%s'", id);
		return api_send_json(resp, 200, build_json(req->state_dir, id));
	}
	dir = path_join(req->state_dir, "builds");
	if (!dir)
		return -ENOMEM;
	dh = opendir(dir);
	free(dir);
	while (dh && (e = readdir(dh))) {
		if (e->d_name[0] == '.' || !name_valid(e->d_name))
			continue;
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 16;
			char **nv = realloc(ids, nc * sizeof(*nv));
			if (!nv)
				break;
			ids = nv;
			cap = nc;
		}
		if (!(ids[n] = strdup(e->d_name)))
			break;
		n++;
	}
	if (dh)
		closedir(dh);
	if (n > 1)
		qsort(ids, n, sizeof(*ids), cmp_str);
	arr = json_array();
	for (size_t i = 0; i < n; i++) {
		if (arr)
			json_array_append_new(arr, build_json(req->state_dir, ids[i]));
		free(ids[i]);
	}
	free(ids);
	root = json_object();
	if (!root || !arr) {
		json_decref(root);
		json_decref(arr);
		return -ENOMEM;
	}
	json_object_set_new(root, "builds", arr);
	return api_send_json(resp, 200, root);
}

/* ---- dispatch ---- */

static int api_index(struct http_resp *resp)
{
	return api_send_json(resp, 200, json_pack("{s:s,s:[s,s,s,s,s]}", "api", "provd/v1",
						  "collections", "distros", "profiles", "systems",
						  "builds", "events"));
}

static int method_not_allowed(struct http_resp *resp, const char *allow)
{
	http_resp_header(resp, "Allow", allow);
	return api_send_error(resp, 405, "", NULL, "method not allowed here (allowed: %s)", allow);
}

static int api_handle(struct http_req *req, struct http_resp *resp, void *arg)
{
	char seg[3][NAME_MAX_LEN + 2] = { "", "", "" };
	const char *p = req->rest;
	bool read = req->method == HTTP_GET || req->method == HTTP_HEAD;
	enum obj_kind kind;
	int nseg = 0;

	/* Split rest into at most three segments ("systems/web1/events"). */
	while (*p && nseg < 3) {
		size_t n = strcspn(p, "/");
		if (n == 0 || n > NAME_MAX_LEN)
			return api_send_error(resp, 404, "", NULL, "no such API resource");
		memcpy(seg[nseg], p, n);
		seg[nseg][n] = '\0';
		nseg++;
		p += n;
		if (*p == '/')
			p++;
	}
	if (*p)
		return api_send_error(resp, 404, "", NULL, "no such API resource");

	if (nseg == 0)
		return read ? api_index(resp) : method_not_allowed(resp, "GET, HEAD");
	if (strcmp(seg[0], "events") == 0 && nseg == 1)
		return read ? api_events(req, resp, NULL) : method_not_allowed(resp, "GET, HEAD");
	if (strcmp(seg[0], "builds") == 0 && nseg <= 2)
		return read ? api_builds(req, resp, nseg == 2 ? seg[1] : NULL) :
			      method_not_allowed(resp, "GET, HEAD");
	if (strcmp(seg[0], "distros") == 0)
		kind = OBJ_DISTRO;
	else if (strcmp(seg[0], "profiles") == 0)
		kind = OBJ_PROFILE;
	else if (strcmp(seg[0], "systems") == 0)
		kind = OBJ_SYSTEM;
	else
		return api_send_error(resp, 404, "", "see GET /api/v1/ for the collections",
				      "no such API resource");

	if (nseg == 1) {
		if (read)
			return api_list(req, resp, kind);
		if (req->method == HTTP_POST)
			return api_write(req, resp, kind, NULL);
		return method_not_allowed(resp, "GET, HEAD, POST");
	}
	if (!name_valid(seg[1]))
		return api_send_error(resp, 404, "", "names are 1-64 of A-Z a-z 0-9 . _ -",
				      "no %s '%s'", obj_kind_name(kind), seg[1]);
	if (nseg == 3) {
		if (kind == OBJ_SYSTEM && strcmp(seg[2], "events") == 0)
			return read ? api_events(req, resp, seg[1]) : method_not_allowed(resp, "GET, HEAD");
		return api_send_error(resp, 404, "", NULL, "no such API resource");
	}
	if (read)
		return api_show(req, resp, kind, seg[1]);
	if (req->method == HTTP_PUT || req->method == HTTP_PATCH || req->method == HTTP_DELETE)
		return api_write(req, resp, kind, seg[1]);
	return method_not_allowed(resp, "GET, HEAD, PUT, PATCH, DELETE");
}

int http_api_routes_add(struct http_router *rt, const struct http_api_hooks *hooks)
{
	const struct http_route routes[] = {
		{
			.name = "api", .pattern = "/api/v1/", .flags = HTTP_ROUTE_PREFIX | HTTP_ROUTE_BODY,
			.methods = HTTP_GET | HTTP_POST | HTTP_PUT | HTTP_PATCH | HTTP_DELETE,
			.body_max = APIJSON_BODY_MAX, .fn = api_handle,
		},
		{
			.name = "callback", .pattern = "/api/v1/status/",
			.flags = HTTP_ROUTE_PREFIX | HTTP_ROUTE_BODY,
			.methods = HTTP_GET | HTTP_POST, .body_max = CALLBACK_BODY_MAX,
			.fn = callback_handle,
		},
		{
			.name = "metrics", .pattern = "/metrics", .flags = HTTP_ROUTE_NOLOG,
			.methods = HTTP_GET, .fn = metrics_handle,
		},
	};
	int r;

	if (hooks)
		api_hooks = *hooks;
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		r = http_router_add(rt, &routes[i]);
		if (r < 0)
			return r;
	}
	return 0;
}
