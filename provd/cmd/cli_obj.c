/* cli_obj: list, show [--resolved], edit ($EDITOR, visudo-style) and remove
 * for every object kind. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "provd/base/fsutil.h"
#include "provd/base/sha256.h"
#include "provd/base/strparse.h"
#include "provd/cmd/cli_obj.h"
#include "provd/core/events.h"
#include "provd/core/objjson.h"
#include "provd/core/resolve.h"

static int print_json(json_t *j)
{
	if (!j) {
		fprintf(stderr, "provd: out of memory\n");
		return EXIT_FAIL;
	}
	json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', stdout);
	json_decref(j);
	return EXIT_OK;
}

/* Only NAME (and --help) after the verb. */
static int one_name(const char *noun, const char *verb, const char *usage, int argc, char **argv,
		    const char **name)
{
	if (cli_wants_help(argc, argv)) {
		cli_verb_usage(stdout, noun, usage, NULL);
		return -1;
	}
	if (argc != 2 || argv[1][0] == '-') {
		cli_verb_usage(stderr, noun, usage, NULL);
		return EXIT_USAGE;
	}
	*name = argv[1];
	return 0;
}

int cli_obj_list(struct cli *c, enum obj_kind kind, int argc, char **argv)
{
	const char *noun = obj_kind_name(kind);
	struct snapshot *s;
	bool valid;
	int rc;
	size_t n;

	if (cli_wants_help(argc, argv)) {
		cli_verb_usage(stdout, noun, "list [--json]", "Lists every object, sorted by name.\n");
		return EXIT_OK;
	}
	if (argc != 1) {
		cli_verb_usage(stderr, noun, "list [--json]", NULL);
		return EXIT_USAGE;
	}
	if (!(s = cli_snapshot_view(c, NULL, &valid)))
		return EXIT_FAIL;
	rc = valid ? EXIT_OK : EXIT_FAIL;
	n = snapshot_count(s, kind);
	if (c->json) {
		json_t *a = json_array();
		for (size_t i = 0; a && i < n; i++)
			json_array_append_new(a, obj_to_json(snapshot_at(s, kind, i)));
		snapshot_unref(s);
		return print_json(a) == EXIT_OK ? rc : EXIT_FAIL;
	}
	switch (kind) {
	case OBJ_DISTRO:
		printf("%-24s %-8s %-7s %s\n", "NAME", "BREED", "ARCH", "KERNEL");
		for (size_t i = 0; i < n; i++) {
			const struct distro *d = snapshot_distro_at(s, i);
			printf("%-24s %-8s %-7s %s\n", d->name, d->breed, d->arch, d->kernel);
		}
		break;
	case OBJ_PROFILE:
		printf("%-24s %-24s %s\n", "NAME", "DISTRO/PARENT", "AUTOINSTALL");
		for (size_t i = 0; i < n; i++) {
			const struct profile *p = snapshot_profile_at(s, i);
			char from[80];
			snprintf(from, sizeof(from), "%s%s", p->distro ? "" : "^", p->distro ? p->distro : p->parent);
			printf("%-24s %-24s %s\n", p->name, from, p->autoinstall ? p->autoinstall : "-");
		}
		break;
	case OBJ_SYSTEM:
		printf("%-24s %-20s %-17s %-15s %s\n", "NAME", "PROFILE", "MAC", "IP", "NETBOOT");
		for (size_t i = 0; i < n; i++) {
			const struct system *y = snapshot_system_at(s, i);
			const struct iface *f = &y->interfaces[0];
			printf("%-24s %-20s %-17s %-15s %s%s\n", y->name, y->profile, f->mac,
			       f->ip ? f->ip : "-", y->netboot ? "on" : "off",
			       y->pxe_just_once ? " (once)" : "");
		}
		break;
	}
	snapshot_unref(s);
	return rc;
}

static void print_origin(const struct origin *o)
{
	char *s = origin_format(o);

	printf("    # %s\n", s ? s : "?");
	free(s);
}

static void print_rstr(const char *key, const struct rstr *r)
{
	if (!r->value)
		return;
	printf("%s: %s", key, r->value);
	print_origin(&r->from);
}

static void print_rmap(const char *key, const struct rmap *m)
{
	if (!m->n)
		return;
	printf("%s:\n", key);
	for (size_t i = 0; i < m->n; i++) {
		const struct kv *e = m->v[i].kv;
		printf("  %s:", e->key);
		if (e->type == KV_STR) {
			printf(" %s", e->str);
		} else if (e->type == KV_LIST) {
			printf(" [");
			for (size_t j = 0; j < e->nlist; j++)
				printf("%s%s", j ? ", " : "", e->list[j]);
			printf("]");
		}
		print_origin(&m->v[i].from);
	}
}

static void print_resolved(const struct resolved *r)
{
	char *cmd = resolved_cmdline(r);

	printf("# %s %s, resolved: ", obj_kind_name(r->kind), r->name);
	if (r->system)
		printf("system %s -> ", r->system->name);
	for (size_t i = 0; i < r->nchain; i++)
		printf("profile %s -> ", r->chain[i]->name);
	printf("distro %s\n", r->distro->name);
	print_rstr("kernel", &r->kernel);
	print_rstr("initrd", &r->initrd);
	print_rstr("breed", &r->breed);
	print_rstr("arch", &r->arch);
	print_rstr("autoinstall", &r->autoinstall);
	print_rstr("loader", &r->loader);
	print_rmap("kernel_options", &r->kernel_options);
	print_rmap("meta", &r->meta);
	if (r->vm_memory_mib.value || r->vm_vcpus.value || r->vm_disk_size.value || r->vm_disk_format.value) {
		printf("vm:\n");
		if (r->vm_memory_mib.value) {
			printf("  memory: %llu", (unsigned long long)r->vm_memory_mib.value);
			print_origin(&r->vm_memory_mib.from);
		}
		if (r->vm_vcpus.value) {
			printf("  vcpus: %llu", (unsigned long long)r->vm_vcpus.value);
			print_origin(&r->vm_vcpus.from);
		}
		if (r->vm_disk_size.value) {
			printf("  disk_size: %llu", (unsigned long long)r->vm_disk_size.value);
			print_origin(&r->vm_disk_size.from);
		}
		if (r->vm_disk_format.value) {
			printf("  disk_format: %s", r->vm_disk_format.value);
			print_origin(&r->vm_disk_format.from);
		}
	}
	if (r->system) {
		printf("netboot: %s\n", r->netboot ? "true" : "false");
		printf("pxe_just_once: %s\n", r->pxe_just_once ? "true" : "false");
		printf("hostname: %s\n", r->hostname);
	}
	printf("cmdline: %s\n", cmd ? cmd : "");
	free(cmd);
}

int cli_obj_show(struct cli *c, enum obj_kind kind, int argc, char **argv)
{
	const char *noun = obj_kind_name(kind), *name = NULL;
	bool resolved = false;
	struct snapshot *s;
	const struct obj *o;
	char *path;
	bool valid;
	int rc = EXIT_OK;
	const char *usage = kind == OBJ_DISTRO ? "show NAME [--json]" : "show NAME [--resolved] [--json]";

	if (cli_wants_help(argc, argv)) {
		cli_verb_usage(stdout, noun, usage,
			       kind == OBJ_DISTRO ? "Prints the object's YAML file.\n"
						  : "Prints the object's YAML file, or with --resolved the merged view\n"
						    "after inheritance, each value with the object and file:line:col\n"
						    "it came from.\n");
		return EXIT_OK;
	}
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--resolved") == 0 && kind != OBJ_DISTRO)
			resolved = true;
		else if (argv[i][0] != '-' && !name)
			name = argv[i];
		else {
			cli_verb_usage(stderr, noun, usage, NULL);
			return EXIT_USAGE;
		}
	}
	if (!name) {
		cli_verb_usage(stderr, noun, usage, NULL);
		return EXIT_USAGE;
	}
	path = name_valid(name) ? store_obj_path(c->state_dir, kind, name) : NULL;
	s = cli_snapshot_view(c, path, &valid);
	free(path);
	if (!s)
		return EXIT_FAIL;
	o = snapshot_obj(s, kind, name);
	if (!o) {
		char *text = NULL;
		size_t len = 0;
		/* A file that exists but does not load: its errors were just
		 * printed; show it as it is. */
		if (!resolved && !c->json && store_read_yaml(c->state_dir, kind, name, &text, &len) == 0) {
			fwrite(text, 1, len, stdout);
			free(text);
		} else {
			fprintf(stderr, "error: no %s named '%s'\n  hint: `provd %s list` shows them\n",
				noun, name, noun);
		}
		snapshot_unref(s);
		return EXIT_FAIL;
	}
	if (resolved) {
		struct resolved *r = NULL;
		int e = kind == OBJ_SYSTEM ? resolve_system(s, name, &r) : resolve_profile(s, name, &r);
		if (e < 0) {
			fprintf(stderr, "provd: cannot resolve %s '%s': %s\n", noun, name,
				e == -ENOENT ? "its chain of profiles and distro is broken (`provd check`)" : err_str(e));
			rc = EXIT_FAIL;
		} else if (c->json) {
			rc = print_json(resolved_to_json(r));
		} else {
			print_resolved(r);
		}
		resolved_free(r);
	} else if (c->json) {
		rc = print_json(obj_to_json(o));
	} else {
		char *text = NULL;
		size_t len = 0;
		/* The file as the admin wrote it, comments included. */
		int e = store_read_yaml(c->state_dir, kind, name, &text, &len);
		if (e < 0) {
			text = model_obj_to_yaml(o, &len);
			if (!text)
				rc = EXIT_FAIL;
		}
		if (text)
			fwrite(text, 1, len, stdout);
		free(text);
		if (kind == OBJ_SYSTEM) {
			/* Where an install got to, without reading logs (DESIGN.md). */
			printf("\nEvents:\n");
			fflush(stdout);
			events_print_timeline(c->state_dir, name, stdout);
		}
	}
	snapshot_unref(s);
	(void)valid;	/* errors elsewhere were reported; this object is fine */
	return rc;
}

int cli_obj_remove(struct cli *c, enum obj_kind kind, int argc, char **argv)
{
	const char *noun = obj_kind_name(kind), *name;
	struct diags d = { 0 };
	int r = one_name(noun, "remove", "remove NAME", argc, argv, &name);

	if (r < 0)
		return EXIT_OK;
	if (r > 0)
		return r;
	r = store_remove(c->state_dir, kind, name, &d, &c->snap);
	c->changed_system = kind == OBJ_SYSTEM ? name : NULL;
	cli_print_diags(&d);
	diags_clear(&d);
	if (r < 0) {
		if (r != -ENOENT)
			fprintf(stderr, "provd: %s '%s' not removed; nothing changed\n", noun, name);
		return EXIT_FAIL;
	}
	if (!c->json)
		printf("removed %s %s\n", noun, name);
	return cli_after_change(c);
}

/* Run the editor on path, as git does: $VISUAL, else $EDITOR, else vi, through
 * the shell so "code -w" works. */
static int run_editor(const char *path)
{
	const char *ed = getenv("VISUAL");
	char *cmd = NULL;
	pid_t pid;
	int st;

	if (!ed || !*ed)
		ed = getenv("EDITOR");
	if (!ed || !*ed)
		ed = "vi";
	if (asprintf(&cmd, "%s \"$1\"", ed) < 0)
		return -ENOMEM;
	pid = fork();
	if (pid < 0) {
		free(cmd);
		return -errno;
	}
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", cmd, "sh", path, (char *)NULL);
		_exit(127);
	}
	free(cmd);
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return -ECANCELED;
	return 0;
}

/* visudo-style: edit a temp copy; only a copy that validates replaces the
 * object. On errors, ask to re-edit on a terminal; fail otherwise. */
int cli_obj_edit(struct cli *c, enum obj_kind kind, int argc, char **argv)
{
	const char *noun = obj_kind_name(kind), *name;
	const char *tmpdir = getenv("TMPDIR");
	char *orig = NULL, *text = NULL, *tmp = NULL;
	size_t olen = 0, len = 0;
	char orig_sha[65];
	int r = one_name(noun, "edit", "edit NAME", argc, argv, &name), fd, rc = EXIT_FAIL;

	if (r < 0) {
		printf("\nOpens the object's YAML in $VISUAL or $EDITOR on a temporary copy and\n"
		       "saves it only when the whole state still validates; on errors you can\n"
		       "edit again (on a terminal) or leave everything unchanged.\n");
		return EXIT_OK;
	}
	if (r > 0)
		return r;
	r = store_read_yaml(c->state_dir, kind, name, &orig, &olen);
	if (r == 0)
		sha256_hex(orig, olen, orig_sha);
	if (r < 0) {
		if (r == -ENOENT || r == -EINVAL)
			fprintf(stderr, "error: no %s named '%s'\n  hint: `provd %s list` shows them\n",
				noun, name, noun);
		else
			fprintf(stderr, "provd: cannot read %s '%s': %s\n", noun, name, err_str(r));
		return EXIT_FAIL;
	}
	if (asprintf(&tmp, "%s/provd-%s-%s-XXXXXX.yaml", tmpdir && *tmpdir ? tmpdir : "/tmp",
		     noun, name) < 0) {
		free(orig);
		return EXIT_FAIL;
	}
	fd = mkstemps(tmp, 5);
	if (fd < 0 || write(fd, orig, olen) != (ssize_t)olen) {
		fprintf(stderr, "provd: cannot create a temporary copy %s: %s\n", tmp, strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlink(tmp);
		}
		goto out_nounlink;
	}
	close(fd);
	for (;;) {
		struct diags d = { 0 };
		r = run_editor(tmp);
		if (r < 0) {
			fprintf(stderr, "provd: the editor failed (%s); %s '%s' is unchanged\n",
				r == -ECANCELED ? "non-zero exit" : err_str(r), noun, name);
			goto out;
		}
		free(text);
		text = NULL;
		r = fs_read_file(tmp, STORE_OBJ_MAX, &text, &len);
		if (r < 0) {
			fprintf(stderr, "provd: cannot read back %s: %s\n", tmp, err_str(r));
			goto out;
		}
		if (len == olen && memcmp(text, orig, len) == 0) {
			if (!c->json)
				printf("no changes to %s %s\n", noun, name);
			rc = EXIT_OK;
			goto out;
		}
		/* Only over the version we opened: an edit never silently
		 * undoes someone else's change made meanwhile. */
		r = store_replace_if(c->state_dir, kind, name, orig_sha, text, len, &d, &c->snap);
		c->changed_system = kind == OBJ_SYSTEM ? name : NULL;
		cli_print_diags(&d);
		diags_clear(&d);
		if (r == -ESTALE) {
			fprintf(stderr, "provd: your version is kept in %s\n", tmp);
			goto out_nounlink;
		}
		if (r == 0) {
			if (!c->json)
				printf("saved %s %s\n", noun, name);
			rc = cli_after_change(c);
			goto out;
		}
		if (!isatty(STDIN_FILENO)) {
			fprintf(stderr, "provd: %s '%s' is unchanged (stdin is not a terminal, so not re-opening the editor)\n",
				noun, name);
			goto out;
		}
		for (;;) {
			char ans[16];
			fprintf(stderr, "What now? (e)dit again, e(x)it without saving: ");
			if (!fgets(ans, sizeof(ans), stdin) || ans[0] == 'x' || ans[0] == 'q') {
				fprintf(stderr, "%s '%s' is unchanged\n", noun, name);
				goto out;
			}
			if (ans[0] == 'e')
				break;
		}
	}
out:
	unlink(tmp);
out_nounlink:
	free(tmp);
	free(orig);
	free(text);
	return rc;
}
