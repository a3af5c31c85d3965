/* log: levelled logging to stderr. Lines name their object
 * ("dhcp 52:54:00:..", "vm[1234]") by convention of the caller. Logging never
 * blocks the caller for long: one write(2) per line, errors ignored. */
#ifndef PROVD_BASE_LOG_H
#define PROVD_BASE_LOG_H

enum log_level {
	PLOG_ERR = 0,
	PLOG_WARN = 1,
	PLOG_INFO = 2,
	PLOG_DEBUG = 3,
};

void log_set_level(enum log_level lvl);
enum log_level log_get_level(void);
/* "error", "warn", "info", "debug" -> level; returns 0 or -EINVAL. */
int log_parse_level(const char *s, enum log_level *out);
/* Prefix lines with a timestamp (daemon mode) or not (CLI on a tty). */
void log_set_timestamps(int on);
void log_msg(enum log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_err(...) log_msg(PLOG_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(PLOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(PLOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(PLOG_DEBUG, __VA_ARGS__)

/* Copy untrusted text into dst for logging: non-printable bytes as \xNN,
 * truncated to fit dst (always NUL-terminated). Returns dst. */
char *log_escape(char *dst, unsigned long dstlen, const void *src, unsigned long srclen);

#endif
