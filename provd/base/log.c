/* log: levelled stderr logging, one write(2) per line. */
#include "config.h"
#include "provd/base/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

static enum log_level cur_level = PLOG_INFO;
static int with_time;

static const char *const level_names[] = { "error", "warn", "info", "debug" };

void log_set_level(enum log_level lvl) { cur_level = lvl; }
enum log_level log_get_level(void) { return cur_level; }
void log_set_timestamps(int on) { with_time = on; }

int log_parse_level(const char *s, enum log_level *out)
{
	for (int i = 0; i < 4; i++) {
		if (strcasecmp(s, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	if (strcasecmp(s, "warning") == 0) {
		*out = PLOG_WARN;
		return 0;
	}
	return -EINVAL;
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	char line[2048];
	size_t n = 0;
	va_list ap;
	int r;

	if (lvl > cur_level)
		return;
	if (with_time) {
		struct timespec ts;
		struct tm tm;
		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%SZ ", &tm);
	}
	r = snprintf(line + n, sizeof(line) - n, "provd: %s: ", level_names[lvl]);
	if (r > 0)
		n += (size_t)r < sizeof(line) - n ? (size_t)r : sizeof(line) - n - 1;
	va_start(ap, fmt);
	r = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	va_end(ap);
	if (r > 0)
		n += (size_t)r < sizeof(line) - n ? (size_t)r : sizeof(line) - n - 1;
	if (n >= sizeof(line) - 1)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	(void)!write(STDERR_FILENO, line, n);
}

char *log_escape(char *dst, unsigned long dstlen, const void *src, unsigned long srclen)
{
	const unsigned char *s = src;
	unsigned long o = 0;

	if (dstlen == 0)
		return dst;
	for (unsigned long i = 0; i < srclen; i++) {
		unsigned char c = s[i];
		if (c >= 0x20 && c < 0x7f && c != '\\') {
			if (o + 1 >= dstlen)
				break;
			dst[o++] = (char)c;
		} else {
			if (o + 4 >= dstlen)
				break;
			snprintf(dst + o, 5, "\\x%02x", c);
			o += 4;
		}
	}
	dst[o] = '\0';
	return dst;
}
