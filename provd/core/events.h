/* events: every system's and build's timeline, as append-only JSON lines in
 * <state>/events.log (DESIGN.md "Network boot": an admin sees where an
 * install stopped without reading logs).
 *
 * One line per event:
 *   {"time":"2026-11-22T11:40:00.123Z","system":"web1","mac":"52:54:00:12:34:56",
 *    "kind":"boot-file","detail":"/boot/debian12/linux"}
 * "system" and "mac" are omitted when unknown.
 *
 * Writers are the HTTP server threads, the DHCP server, callbacks, build-vm
 * and the CLI, possibly in several processes at once. Each line is written
 * with one write(2) on an O_APPEND descriptor and is shorter than PIPE_BUF,
 * so lines never interleave or tear. The log is bounded by rotation: past
 * EVENTS_ROTATE_BYTES it is renamed to events.log.1 (the previous .1 is
 * dropped) under <state>/.events.lock; readers read .1 then the live file.
 *
 * Recording an event never fails the caller's real work: events_append
 * returns an error for the caller's information, and callers may ignore it. */
#ifndef PROVD_CORE_EVENTS_H
#define PROVD_CORE_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define EVENTS_LOG_NAME "events.log"
#define EVENTS_LOG_OLD_NAME "events.log.1"
#define EVENTS_LOCK_NAME ".events.lock"
#define EVENTS_ROTATE_BYTES (8u << 20)
/* A whole line, newline included, stays below PIPE_BUF (4096 on Linux) so a
 * single O_APPEND write is atomic even on a pipe; detail is cut to fit. */
#define EVENT_LINE_MAX 4000
#define EVENT_DETAIL_MAX 2048
#define EVENT_KIND_MAX 32

/* Kinds in use (free-form [a-z0-9._-]{1,32} is accepted too; these are the
 * ones /metrics counts by name, anything else counts as "other"). */
#define EVENT_DHCP_DISCOVER "dhcp-discover"
#define EVENT_DHCP_OFFER "dhcp-offer"
#define EVENT_DHCP_ACK "dhcp-ack"
#define EVENT_DHCP_NAK "dhcp-nak"
#define EVENT_DHCP_PROXY_ACK "dhcp-proxy-ack"	/* ACK to a ProxyDHCP REQUEST on port 4011 */
#define EVENT_BOOT_FILE "boot-file"		/* HTTP /boot/, /pxelinux.cfg/, /grub/, /ipxe/ served */
#define EVENT_TFTP_FILE "tftp-file"
#define EVENT_ANSWER "answer-file"		/* /autoinstall/... rendered and sent */
#define EVENT_CB_START "install-start"		/* callback phase start */
#define EVENT_CB_DONE "install-done"		/* callback phase done */
#define EVENT_CB_FAILED "install-failed"	/* callback phase failed */
#define EVENT_NETBOOT_OFF "netboot-off"		/* pxe_just_once took effect */
#define EVENT_OBJECT_CHANGED "object-changed"	/* API/CLI add, update, remove */
#define EVENT_VM_START "vm-start"
#define EVENT_VM_EXIT "vm-exit"			/* power-off, reboot, crash: detail says */
#define EVENT_BUILD_START "build-start"
#define EVENT_BUILD_DONE "build-done"
#define EVENT_BUILD_FAILED "build-failed"

/* Append one event. system and mac may be NULL (mac is normalised when it
 * parses, kept verbatim-escaped otherwise); kind must be [a-z0-9._-]{1,32}
 * (-EINVAL otherwise); detail may be NULL and is cut at EVENT_DETAIL_MAX.
 * Thread- and process-safe. Returns 0 or a negative errno. */
int events_append(const char *state_dir, const char *system, const char *mac,
		  const char *kind, const char *detail);
/* Same with a printf-style detail. */
int events_appendf(const char *state_dir, const char *system, const char *mac,
		   const char *kind, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

struct event {
	char *time;	/* RFC 3339 UTC with milliseconds */
	char *system;	/* NULL when not recorded */
	char *mac;	/* NULL when not recorded */
	char *kind;
	char *detail;	/* "" when not recorded */
};

struct event_list {
	struct event *v;
	size_t n;
};

/* What to read. NULL/0 fields match everything. With both system and mac
 * set, any_of picks "system OR mac" (a system's timeline including DHCP
 * events recorded before its name was known) instead of "system AND mac".
 * limit keeps only the newest limit events (0: all). */
struct event_filter {
	const char *system;
	const char *mac;
	const char *kind;
	bool any_of;
	size_t limit;
	const char *since;	/* only events with time > since (RFC 3339 UTC,
				 * compared as text: the format sorts); NULL: all */
};

/* Read events.log.1 then events.log, oldest first, keeping those matching f
 * (f may be NULL). Missing logs are an empty list, not an error. Lines that
 * do not parse are skipped. The caller frees out with event_list_free.
 * Returns 0 or a negative errno. */
int events_read(const char *state_dir, const struct event_filter *f,
		struct event_list *out);
void event_list_free(struct event_list *l);

/* Following the live log, like `tail -F`: open at the current end, then
 * each events_follow_read() returns the events appended since (matching f;
 * f may be NULL), across rotations and a log created later. Lines still being
 * written are kept for the next call. Returns 0 or a negative errno; out is
 * freed with event_list_free. */
struct event_follow;
int events_follow_open(const char *state_dir, struct event_follow **out);
int events_follow_read(struct event_follow *fw, const struct event_filter *f,
		       struct event_list *out);
void events_follow_close(struct event_follow *fw);	/* NULL-safe */

/* Print a system's timeline for `provd system show NAME` (and `provd events`):
 *   2026-11-22 11:40:00.123  52:54:00:12:34:56  boot-file       /boot/...
 * Prints "  (no events)" when there are none. Returns 0 or a negative errno. */
int events_print_timeline(const char *state_dir, const char *system, FILE *f);
/* Print a list in the same format, header line included. */
void events_print(const struct event_list *l, FILE *f);
/* One event in that format, no header. */
void events_print_line(const struct event *e, FILE *f);

/* Events recorded by this process since it started, by kind, for /metrics.
 * Calls fn once per known kind (zero counts included) and once for "other". */
void events_counts(void (*fn)(const char *kind, uint64_t n, void *arg), void *arg);

/* true when kind is [a-z0-9._-]{1,EVENT_KIND_MAX}. */
bool event_kind_valid(const char *kind);

#endif
