/* render: answer files and boot configs from templates, for one system or
 * profile of a snapshot.
 *
 * Templates are found by name: <state>/templates/NAME first (admins' copies
 * win), then $PROVD_TEMPLATES, then the source tree's templates/ (a build
 * that has not been installed), then $(pkgdatadir)/templates. Compiled
 * templates are cached process-wide and recompiled when the file or one of
 * its includes changes; rendering is thread-safe (libmicrohttpd threads
 * render concurrently).
 *
 * base_url is the URL the client reaches provd's HTTP at (it differs per
 * listener: a lab segment, or 10.0.2.2 for build-vm guests), so every
 * renderer takes it rather than reading it from the config.
 *
 * All return 0, or a negative errno with a diagnostic in d: -ENOENT no such
 * object, -ENODATA no autoinstall template configured, -EINVAL template or
 * render error (file:line:col), -E2BIG output cap. */
#ifndef PROVD_CORE_RENDER_H
#define PROVD_CORE_RENDER_H

#include "provd/base/buf.h"
#include "provd/base/err.h"
#include "provd/core/model.h"

struct snapshot;

#define RENDER_TMPL_PXELINUX_DEFAULT "pxelinux/default.cfg"
#define RENDER_TMPL_PXELINUX_SYSTEM "pxelinux/system.cfg"
#define RENDER_TMPL_IPXE "ipxe/boot.ipxe"
#define RENDER_TMPL_GRUB "grub/grub.cfg"

/* kind: OBJ_SYSTEM or OBJ_PROFILE. */
int render_autoinstall(const struct snapshot *s, enum obj_kind kind, const char *name,
		       const char *base_url, struct buf *out, struct diags *d);
int render_pxelinux_system(const struct snapshot *s, const char *system, const char *base_url,
			   struct buf *out, struct diags *d);
int render_pxelinux_default(const struct snapshot *s, const char *base_url, struct buf *out,
			    struct diags *d);
/* system NULL: the default script (profile menu / unknown machines). */
int render_ipxe(const struct snapshot *s, const char *system, const char *base_url,
		struct buf *out, struct diags *d);
int render_grub(const struct snapshot *s, const char *system, const char *base_url,
		struct buf *out, struct diags *d);
/* `provd check`: compile every template in <state>/templates (used or not;
 * hidden files skipped) and every referenced one, and render every system's
 * and profile's files, reporting all problems (each distinct one once). */
int render_check_all(const struct snapshot *s, const char *base_url, struct diags *d);
/* Path of the template file NAME resolves to (caller frees), or NULL. */
char *render_template_path(const char *state_dir, const char *name);

#endif
