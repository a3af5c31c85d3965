/* resolve: walk system -> profile -> parents -> distro and merge, nearest
 * wins, remembering where every value came from. */
#include <config.h>
#include "provd/core/resolve.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "provd/base/buf.h"

#define CHAIN_MAX 256	/* a validated snapshot has no cycles; this is a guard */

static struct origin origin_of(enum obj_kind kind, const char *name, struct src_pos at)
{
	struct origin o = { kind, name, at };
	return o;
}

/* Set r from value if r is still unset (callers go nearest first). */
static void take(struct rstr *r, const char *value, enum obj_kind kind, const char *name,
		 struct src_pos at)
{
	if (r->value || !value)
		return;
	r->value = value;
	r->from = origin_of(kind, name, at);
}

static void take_u64(struct ru64 *r, uint64_t value, enum obj_kind kind, const char *name,
		     struct src_pos at)
{
	if (r->value || !value)
		return;
	r->value = value;
	r->from = origin_of(kind, name, at);
}

/* Apply one layer (farthest first): set or remove each key. */
static int merge(struct rmap *m, const struct kvmap *layer, enum obj_kind kind, const char *name)
{
	for (size_t i = 0; i < layer->n; i++) {
		const struct kv *e = &layer->v[i];
		size_t j;
		for (j = 0; j < m->n; j++)
			if (strcmp(m->v[j].kv->key, e->key) == 0)
				break;
		if (e->remove) {
			if (j < m->n) {
				memmove(&m->v[j], &m->v[j + 1], (m->n - j - 1) * sizeof(m->v[0]));
				m->n--;
			}
			continue;
		}
		if (j == m->n) {
			struct rkv *nv = realloc(m->v, (m->n + 1) * sizeof(*nv));
			if (!nv)
				return -ENOMEM;
			m->v = nv;
			m->n++;
		}
		m->v[j].kv = e;
		m->v[j].from = origin_of(kind, name, e->at);
	}
	return 0;
}

void resolved_free(struct resolved *r)
{
	if (!r)
		return;
	free(r->chain);
	free(r->kernel_path);
	free(r->initrd_path);
	free(r->kernel_options.v);
	free(r->meta.v);
	free(r);
}

static int build(const struct snapshot *s, const struct system *sys,
		 const struct profile *prof, struct resolved **out)
{
	struct resolved *r = calloc(1, sizeof(*r));
	const struct profile *p;
	int rc = -ENOMEM;

	if (!r)
		return -ENOMEM;
	r->kind = sys ? OBJ_SYSTEM : OBJ_PROFILE;
	r->name = sys ? sys->name : prof->name;
	r->system = sys;
	r->profile = prof;
	r->chain = calloc(CHAIN_MAX, sizeof(*r->chain));
	if (!r->chain)
		goto fail;
	for (p = prof; p && r->nchain < CHAIN_MAX; p = p->parent ? snapshot_profile(s, p->parent) : NULL) {
		r->chain[r->nchain++] = p;
		if (p->distro) {
			r->distro = snapshot_distro(s, p->distro);
			break;
		}
	}
	if (!r->distro) {
		rc = -ENOENT;	/* only with an unvalidated snapshot */
		goto fail;
	}

	/* Scalars: nearest first. */
	if (sys) {
		take(&r->autoinstall, sys->autoinstall, OBJ_SYSTEM, sys->name, sys->autoinstall_at);
		take(&r->loader, sys->loader, OBJ_SYSTEM, sys->name, sys->loader_at);
	}
	for (size_t i = 0; i < r->nchain; i++) {
		p = r->chain[i];
		take(&r->autoinstall, p->autoinstall, OBJ_PROFILE, p->name, p->autoinstall_at);
		take(&r->loader, p->loader, OBJ_PROFILE, p->name, p->loader_at);
		take_u64(&r->vm_memory_mib, p->vm.memory_mib, OBJ_PROFILE, p->name, p->vm.memory_at);
		take_u64(&r->vm_vcpus, p->vm.vcpus, OBJ_PROFILE, p->name, p->vm.vcpus_at);
		take_u64(&r->vm_disk_size, p->vm.disk_size, OBJ_PROFILE, p->name, p->vm.disk_size_at);
		take(&r->vm_disk_format, p->vm.disk_format, OBJ_PROFILE, p->name, p->vm.disk_format_at);
	}
	take(&r->kernel, r->distro->kernel, OBJ_DISTRO, r->distro->name, r->distro->kernel_at);
	take(&r->initrd, r->distro->initrd, OBJ_DISTRO, r->distro->name, r->distro->initrd_at);
	take(&r->breed, r->distro->breed, OBJ_DISTRO, r->distro->name, r->distro->breed_at);
	take(&r->arch, r->distro->arch, OBJ_DISTRO, r->distro->name, r->distro->arch_at);

	/* Maps: farthest first, so nearer layers overwrite or remove. */
	if (merge(&r->kernel_options, &r->distro->kernel_options, OBJ_DISTRO, r->distro->name) < 0 ||
	    merge(&r->meta, &r->distro->meta, OBJ_DISTRO, r->distro->name) < 0)
		goto fail;
	for (size_t i = r->nchain; i-- > 0;) {
		p = r->chain[i];
		if (merge(&r->kernel_options, &p->kernel_options, OBJ_PROFILE, p->name) < 0 ||
		    merge(&r->meta, &p->meta, OBJ_PROFILE, p->name) < 0)
			goto fail;
	}
	if (sys) {
		if (merge(&r->kernel_options, &sys->kernel_options, OBJ_SYSTEM, sys->name) < 0 ||
		    merge(&r->meta, &sys->meta, OBJ_SYSTEM, sys->name) < 0)
			goto fail;
		r->netboot = sys->netboot;
		r->pxe_just_once = sys->pxe_just_once;
		r->hostname = sys->hostname;
		for (size_t i = 0; !r->hostname && i < sys->ninterfaces; i++)
			r->hostname = sys->interfaces[i].hostname;
		if (!r->hostname)
			r->hostname = sys->name;
	}
	r->kernel_path = snapshot_file_path(s, r->kernel.value);
	r->initrd_path = snapshot_file_path(s, r->initrd.value);
	if ((!r->kernel_path && !path_is_url(r->kernel.value)) ||
	    (!r->initrd_path && !path_is_url(r->initrd.value)))
		goto fail;
	*out = r;
	return 0;
fail:
	resolved_free(r);
	return rc;
}

int resolve_profile(const struct snapshot *s, const char *name, struct resolved **out)
{
	const struct profile *p = snapshot_profile(s, name);

	*out = NULL;
	if (!p)
		return -ENOENT;
	return build(s, NULL, p, out);
}

int resolve_system(const struct snapshot *s, const char *name, struct resolved **out)
{
	const struct system *sys = snapshot_system(s, name);
	const struct profile *p;

	*out = NULL;
	if (!sys || !(p = snapshot_profile(s, sys->profile)))
		return -ENOENT;
	return build(s, sys, p, out);
}

const struct rkv *rmap_get(const struct rmap *m, const char *key)
{
	for (size_t i = 0; i < m->n; i++)
		if (strcmp(m->v[i].kv->key, key) == 0)
			return &m->v[i];
	return NULL;
}

char *resolved_cmdline(const struct resolved *r)
{
	struct kvmap tmp = { 0 };
	char *s;

	/* Borrow the merged entries as a flat kvmap for kvmap_to_cmdline. */
	tmp.v = malloc((r->kernel_options.n ? r->kernel_options.n : 1) * sizeof(*tmp.v));
	if (!tmp.v)
		return NULL;
	for (size_t i = 0; i < r->kernel_options.n; i++)
		tmp.v[i] = *r->kernel_options.v[i].kv;
	tmp.n = r->kernel_options.n;
	s = kvmap_to_cmdline(&tmp);
	free(tmp.v);
	return s;
}

char *origin_format(const struct origin *o)
{
	char *s = NULL;
	int n;

	if (!o->name)
		return strdup("default");
	if (o->at.file && o->at.line)
		n = asprintf(&s, "%s %s (%s:%d:%d)", obj_kind_name(o->kind), o->name, o->at.file,
			     o->at.line, o->at.col);
	else
		n = asprintf(&s, "%s %s", obj_kind_name(o->kind), o->name);
	return n < 0 ? NULL : s;
}
