/* strparse: bounded parsers. */
#include "config.h"
#include "provd/base/strparse.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!s || !*s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end)
		return -EINVAL;
	if (errno == ERANGE || v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int parse_i64(const char *s, int64_t min, int64_t max, int64_t *out)
{
	long long v;
	char *end;

	if (!s || !*s || isspace((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (*end || end == s)
		return -EINVAL;
	if (errno == ERANGE || v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int parse_size(const char *s, uint64_t default_unit, uint64_t *out)
{
	char num[32];
	size_t n = s ? strlen(s) : 0;
	uint64_t unit = default_unit ? default_unit : 1, v;
	int r;

	if (n == 0 || n >= sizeof(num))
		return -EINVAL;
	memcpy(num, s, n + 1);
	if (n > 1 && (num[n - 1] == 'B' || num[n - 1] == 'b') &&
	    !isdigit((unsigned char)num[n - 2]))
		num[--n] = '\0';	/* "20GB" / "20GiB" tail */
	if (n > 2 && num[n - 1] == 'i')
		num[--n] = '\0';
	switch (toupper((unsigned char)num[n - 1])) {
	case 'K': unit = 1ULL << 10; num[--n] = '\0'; break;
	case 'M': unit = 1ULL << 20; num[--n] = '\0'; break;
	case 'G': unit = 1ULL << 30; num[--n] = '\0'; break;
	case 'T': unit = 1ULL << 40; num[--n] = '\0'; break;
	default: break;
	}
	r = parse_u64(num, 0, UINT64_MAX / unit, &v);
	if (r < 0)
		return r;
	*out = v * unit;
	return 0;
}

int parse_bool(const char *s, bool *out)
{
	static const char *const t[] = { "true", "yes", "on", "1" };
	static const char *const f[] = { "false", "no", "off", "0" };

	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(s, t[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(s, f[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

bool name_valid(const char *s)
{
	size_t n = 0;

	if (!s || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return false;
	for (; s[n]; n++) {
		unsigned char c = (unsigned char)s[n];
		if (!(isalnum(c) || c == '.' || c == '_' || c == '-'))
			return false;
		if (n >= NAME_MAX_LEN)
			return false;
	}
	return n > 0;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int mac_parse(const char *s, uint8_t mac[6])
{
	size_t n = s ? strlen(s) : 0;
	char sep = 0;

	if (n == 12) {
		sep = 0;
	} else if (n == 17) {
		sep = s[2];
		if (sep != ':' && sep != '-')
			return -EINVAL;
	} else {
		return -EINVAL;
	}
	for (int i = 0; i < 6; i++) {
		const char *p = s + (sep ? i * 3 : i * 2);
		int hi = hexval((unsigned char)p[0]), lo = hexval((unsigned char)p[1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		if (sep && i < 5 && p[2] != sep)
			return -EINVAL;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

void mac_format(const uint8_t mac[6], char out[18])
{
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x",
		 mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
}

int mac_normalise(const char *s, char out[18])
{
	uint8_t mac[6];
	int r = mac_parse(s, mac);

	if (r < 0)
		return r;
	mac_format(mac, out);
	return 0;
}

void hex_encode(const uint8_t *in, size_t n, char *out)
{
	static const char d[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = d[in[i] >> 4];
		out[2 * i + 1] = d[in[i] & 15];
	}
	out[2 * n] = '\0';
}
