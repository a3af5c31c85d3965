/* tmplwatch: tells the compiled-template cache (render.c) when something
 * under a template directory may have changed, so that a render does not
 * stat every template and include, nor re-resolve every include name, on
 * every HTTP request (that was half the cost of a rendered answer).
 *
 * One inotify instance per process watches each registered root and every
 * directory below it (a subdirectory created or moved in later is watched
 * as soon as its event is read, and the generation moves after that, so a
 * file dropped into a new snippets/ folder is never missed). A root that
 * does not exist yet is watched through its nearest existing ancestor.
 *
 * tmplwatch_poll() reads the queue without blocking and returns a number
 * that differs from any earlier return whenever a file or directory under
 * a registered root was created, written, renamed, removed or had its
 * attributes changed since. inotify queues an event inside the writer's
 * system call, so a poll that starts after an edit returned sees it. 0
 * means "not watching" (inotify unavailable, watch limit reached): the
 * caller must check everything itself, as before.
 *
 * What inotify cannot see: a template that is a symlink to a file outside
 * the watched folders (render.c checks such templates by stat on every
 * render), or a file written through a hard link that lives outside them
 * (not supported: edit templates where provd looks for them).
 *
 * Thread-safe; a forked child starts with no watches (the parent's inotify
 * queue is not shared). */
#ifndef PROVD_CORE_TMPLWATCH_H
#define PROVD_CORE_TMPLWATCH_H

#include <stddef.h>
#include <stdint.h>

/* The process-wide instance (render.c): register roots (directory paths;
 * NULL entries are skipped) and read the pending events. Registering a root
 * that is already watched costs a string compare. Returns the current
 * generation, or 0 (see above). */
uint64_t tmplwatch_poll(const char *const *roots, size_t n);

/* Drop every watch of the process-wide instance (tests). */
void tmplwatch_reset(void);

/* An instance of one's own, for an event loop (the daemon re-renders the
 * TFTP tree when a template changes): tmplwatch_fd() becomes readable when
 * something under a root may have changed; tmplwatch_check() then reads it
 * and returns the generation as tmplwatch_poll() does. The process-wide
 * instance cannot serve that purpose: render threads drain its queue.
 * tmplwatch_new returns 0 or a negative errno (inotify_init1's). */
struct tmplwatch;
int tmplwatch_new(struct tmplwatch **out);
void tmplwatch_free(struct tmplwatch *w);
int tmplwatch_fd(const struct tmplwatch *w);
uint64_t tmplwatch_check(struct tmplwatch *w, const char *const *roots, size_t n);

#endif
