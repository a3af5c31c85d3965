/* objjson: JSON views of objects with the YAML key names. */
#include <config.h>
#include "provd/core/objjson.h"

#include <stdlib.h>
#include <string.h>

static void set_str(json_t *o, const char *key, const char *v)
{
	if (v)
		json_object_set_new(o, key, json_string(v));
}

static json_t *kv_value(const struct kv *e)
{
	json_t *a;

	switch (e->type) {
	case KV_STR:
		return json_string(e->str);
	case KV_LIST:
		a = json_array();
		for (size_t i = 0; a && i < e->nlist; i++)
			json_array_append_new(a, json_string(e->list[i]));
		return a;
	case KV_NULL:
		break;
	}
	return json_null();
}

json_t *kvmap_to_json(const struct kvmap *m)
{
	json_t *o = json_object();

	for (size_t i = 0; o && i < m->n; i++) {
		const struct kv *e = &m->v[i];
		if (e->remove) {
			char k[600];
			snprintf(k, sizeof(k), "-%s", e->key);
			json_object_set_new(o, k, json_null());
		} else {
			json_object_set_new(o, e->key, kv_value(e));
		}
	}
	return o;
}

json_t *obj_to_json(const struct obj *ob)
{
	json_t *o = json_object();

	if (!o)
		return NULL;
	json_object_set_new(o, "kind", json_string(obj_kind_name(ob->kind)));
	switch (ob->kind) {
	case OBJ_DISTRO: {
		const struct distro *d = &ob->u.distro;
		set_str(o, "name", d->name);
		set_str(o, "kernel", d->kernel);
		set_str(o, "initrd", d->initrd);
		set_str(o, "breed", d->breed);
		set_str(o, "arch", d->arch);
		set_str(o, "version", d->version);
		json_object_set_new(o, "kernel_options", kvmap_to_json(&d->kernel_options));
		json_object_set_new(o, "meta", kvmap_to_json(&d->meta));
		set_str(o, "kernel_sha256", d->kernel_sha256);
		set_str(o, "initrd_sha256", d->initrd_sha256);
		set_str(o, "source", d->source);
		set_str(o, "comment", d->comment);
		break;
	}
	case OBJ_PROFILE: {
		const struct profile *p = &ob->u.profile;
		set_str(o, "name", p->name);
		set_str(o, "distro", p->distro);
		set_str(o, "parent", p->parent);
		set_str(o, "autoinstall", p->autoinstall);
		set_str(o, "loader", p->loader);
		json_object_set_new(o, "kernel_options", kvmap_to_json(&p->kernel_options));
		json_object_set_new(o, "meta", kvmap_to_json(&p->meta));
		if (p->vm.memory_mib || p->vm.vcpus || p->vm.disk_size || p->vm.disk_format) {
			json_t *vm = json_object();
			if (p->vm.memory_mib)
				json_object_set_new(vm, "memory", json_integer((json_int_t)p->vm.memory_mib));
			if (p->vm.vcpus)
				json_object_set_new(vm, "vcpus", json_integer(p->vm.vcpus));
			if (p->vm.disk_size)
				json_object_set_new(vm, "disk_size", json_integer((json_int_t)p->vm.disk_size));
			set_str(vm, "disk_format", p->vm.disk_format);
			json_object_set_new(o, "vm", vm);
		}
		set_str(o, "comment", p->comment);
		break;
	}
	case OBJ_SYSTEM: {
		const struct system *s = &ob->u.system;
		json_t *ifs = json_array();
		set_str(o, "name", s->name);
		set_str(o, "profile", s->profile);
		for (size_t i = 0; ifs && i < s->ninterfaces; i++) {
			json_t *f = json_object();
			set_str(f, "mac", s->interfaces[i].mac);
			set_str(f, "ip", s->interfaces[i].ip);
			set_str(f, "hostname", s->interfaces[i].hostname);
			json_array_append_new(ifs, f);
		}
		json_object_set_new(o, "interfaces", ifs);
		set_str(o, "hostname", s->hostname);
		json_object_set_new(o, "netboot", json_boolean(s->netboot));
		json_object_set_new(o, "pxe_just_once", json_boolean(s->pxe_just_once));
		set_str(o, "autoinstall", s->autoinstall);
		set_str(o, "loader", s->loader);
		json_object_set_new(o, "kernel_options", kvmap_to_json(&s->kernel_options));
		json_object_set_new(o, "meta", kvmap_to_json(&s->meta));
		set_str(o, "comment", s->comment);
		break;
	}
	}
	return o;
}

static json_t *from_json(const struct origin *from)
{
	char *s = origin_format(from);
	json_t *j = s ? json_string(s) : json_null();

	free(s);
	return j;
}

static void rstr_set(json_t *o, const char *key, const struct rstr *r)
{
	json_t *v;

	if (!r->value)
		return;
	v = json_object();
	json_object_set_new(v, "value", json_string(r->value));
	json_object_set_new(v, "from", from_json(&r->from));
	json_object_set_new(o, key, v);
}

static void ru64_set(json_t *o, const char *key, const struct ru64 *r)
{
	json_t *v;

	if (!r->value)
		return;
	v = json_object();
	json_object_set_new(v, "value", json_integer((json_int_t)r->value));
	json_object_set_new(v, "from", from_json(&r->from));
	json_object_set_new(o, key, v);
}

static json_t *rmap_json(const struct rmap *m)
{
	json_t *o = json_object();

	for (size_t i = 0; o && i < m->n; i++) {
		json_t *v = json_object();
		json_object_set_new(v, "value", kv_value(m->v[i].kv));
		json_object_set_new(v, "from", from_json(&m->v[i].from));
		json_object_set_new(o, m->v[i].kv->key, v);
	}
	return o;
}

json_t *resolved_to_json(const struct resolved *r)
{
	json_t *o = json_object(), *chain = json_array(), *vm;
	char *cmd;

	if (!o || !chain) {
		json_decref(o);
		json_decref(chain);
		return NULL;
	}
	json_object_set_new(o, "kind", json_string(obj_kind_name(r->kind)));
	json_object_set_new(o, "name", json_string(r->name));
	json_object_set_new(o, "profile", json_string(r->profile->name));
	json_object_set_new(o, "distro", json_string(r->distro->name));
	for (size_t i = 0; i < r->nchain; i++)
		json_array_append_new(chain, json_string(r->chain[i]->name));
	json_object_set_new(o, "chain", chain);
	rstr_set(o, "kernel", &r->kernel);
	rstr_set(o, "initrd", &r->initrd);
	rstr_set(o, "breed", &r->breed);
	rstr_set(o, "arch", &r->arch);
	rstr_set(o, "autoinstall", &r->autoinstall);
	rstr_set(o, "loader", &r->loader);
	json_object_set_new(o, "kernel_options", rmap_json(&r->kernel_options));
	json_object_set_new(o, "meta", rmap_json(&r->meta));
	vm = json_object();
	ru64_set(vm, "memory", &r->vm_memory_mib);
	ru64_set(vm, "vcpus", &r->vm_vcpus);
	ru64_set(vm, "disk_size", &r->vm_disk_size);
	rstr_set(vm, "disk_format", &r->vm_disk_format);
	json_object_set_new(o, "vm", vm);
	cmd = resolved_cmdline(r);
	json_object_set_new(o, "cmdline", json_string(cmd ? cmd : ""));
	free(cmd);
	if (r->system) {
		json_object_set_new(o, "netboot", json_boolean(r->netboot));
		json_object_set_new(o, "pxe_just_once", json_boolean(r->pxe_just_once));
		json_object_set_new(o, "hostname", json_string(r->hostname));
	}
	return o;
}
