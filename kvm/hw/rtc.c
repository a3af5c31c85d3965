/*
 * kvm/hw/rtc.c - MC146818 CMOS RTC (the data sheet's register map, as PCs
 * use it: 0x00-0x09 time/date/alarms, 0x0a-0x0d status A-D, 0x32 century).
 *
 * Time registers are computed from host time + offset on every read, in BCD
 * or binary and 12/24-hour form as status B says; a guest write to one of
 * them moves the offset so that later reads show the written value.
 */
#include "config.h"

#include <string.h>

#include "kvm/hw/rtc.h"

#define REG_SEC 0x00
#define REG_MIN 0x02
#define REG_HOUR 0x04
#define REG_WDAY 0x06
#define REG_MDAY 0x07
#define REG_MON 0x08
#define REG_YEAR 0x09
#define A_UIP 0x80

void rtc_init(struct rtc *r)
{
	memset(r, 0, sizeof(*r));
	r->ram[RTC_REG_A] = 0x26;		/* 32.768 kHz base, 1024 Hz rate */
	r->ram[RTC_REG_B] = RTC_B_24H;		/* BCD, 24-hour */
	r->ram[RTC_REG_D] = RTC_D_VRT;		/* battery good */
}

static bool is_time_reg(uint8_t i)
{
	return i == REG_SEC || i == REG_MIN || i == REG_HOUR ||
	       i == REG_WDAY || i == REG_MDAY || i == REG_MON ||
	       i == REG_YEAR || i == RTC_CENTURY;
}

static uint8_t to_bcd(unsigned int v)
{
	return (uint8_t)((v / 10) << 4 | v % 10);
}

static unsigned int from_bcd(uint8_t v)
{
	return (v >> 4) * 10 + (v & 0xf);
}

static uint8_t enc(const struct rtc *r, unsigned int v)
{
	return r->ram[RTC_REG_B] & RTC_B_BINARY ? (uint8_t)v : to_bcd(v);
}

static unsigned int dec(const struct rtc *r, uint8_t v)
{
	return r->ram[RTC_REG_B] & RTC_B_BINARY ? v : from_bcd(v);
}

static void guest_tm(const struct rtc *r, time_t now, struct tm *tm)
{
	time_t t = (time_t)((int64_t)now + r->offset);

	if (gmtime_r(&t, tm) == NULL)
		memset(tm, 0, sizeof(*tm));
}

static uint8_t read_time(const struct rtc *r, uint8_t i, time_t now)
{
	struct tm tm;
	unsigned int h;

	guest_tm(r, now, &tm);
	switch (i) {
	case REG_SEC:
		return enc(r, (unsigned int)tm.tm_sec % 60);
	case REG_MIN:
		return enc(r, (unsigned int)tm.tm_min);
	case REG_HOUR:
		h = (unsigned int)tm.tm_hour;
		if (r->ram[RTC_REG_B] & RTC_B_24H)
			return enc(r, h);
		/* 12-hour: 12, 1..11 with bit 7 for PM */
		return (uint8_t)(enc(r, h % 12 ? h % 12 : 12) |
				 (h >= 12 ? 0x80 : 0));
	case REG_WDAY:
		return enc(r, (unsigned int)tm.tm_wday + 1);
	case REG_MDAY:
		return enc(r, (unsigned int)tm.tm_mday);
	case REG_MON:
		return enc(r, (unsigned int)tm.tm_mon + 1);
	case REG_YEAR:
		return enc(r, (unsigned int)(tm.tm_year + 1900) % 100);
	default:	/* RTC_CENTURY */
		return enc(r, (unsigned int)(tm.tm_year + 1900) / 100);
	}
}

static void write_time(struct rtc *r, uint8_t i, uint8_t v, time_t now)
{
	struct tm tm;
	unsigned int x, year;
	time_t t;

	guest_tm(r, now, &tm);
	year = (unsigned int)tm.tm_year + 1900;
	if (i == REG_HOUR && !(r->ram[RTC_REG_B] & RTC_B_24H)) {
		x = dec(r, v & 0x7f) % 12;
		tm.tm_hour = (int)(x + (v & 0x80 ? 12 : 0));
	} else {
		x = dec(r, v);
		switch (i) {
		case REG_SEC:
			tm.tm_sec = (int)(x % 60);
			break;
		case REG_MIN:
			tm.tm_min = (int)(x % 60);
			break;
		case REG_HOUR:
			tm.tm_hour = (int)(x % 24);
			break;
		case REG_WDAY:
			return;		/* derived from the date */
		case REG_MDAY:
			tm.tm_mday = x >= 1 && x <= 31 ? (int)x : 1;
			break;
		case REG_MON:
			tm.tm_mon = x >= 1 && x <= 12 ? (int)x - 1 : 0;
			break;
		case REG_YEAR:
			tm.tm_year = (int)(year / 100 * 100 + x % 100) - 1900;
			break;
		default:	/* RTC_CENTURY */
			tm.tm_year = (int)((x % 100) * 100 + year % 100) - 1900;
			break;
		}
	}
	t = timegm(&tm);
	if (t != (time_t)-1)
		r->offset = (int64_t)t - (int64_t)now;
}

void rtc_io(struct rtc *r, uint16_t port, bool write, uint8_t *val,
	    time_t now)
{
	uint8_t i = r->index;

	if (port == RTC_INDEX_PORT) {
		if (write) {
			r->index = *val & 0x7f;
			r->nmi_disabled = *val & 0x80;
		} else {
			*val = 0xff;	/* the index register is write-only */
		}
		return;
	}
	if (port != RTC_DATA_PORT) {
		if (!write)
			*val = 0xff;
		return;
	}
	if (!write) {
		if (is_time_reg(i))
			*val = read_time(r, i, now);
		else if (i == RTC_REG_A)
			*val = r->ram[i] & ~A_UIP;	/* never updating */
		else if (i == RTC_REG_C)
			*val = 0;	/* no interrupt flags; read clears */
		else if (i == RTC_REG_D)
			*val = RTC_D_VRT;
		else
			*val = r->ram[i];
		return;
	}
	if (is_time_reg(i))
		write_time(r, i, *val, now);
	else if (i == RTC_REG_A)
		r->ram[i] = *val & ~A_UIP;
	else if (i == RTC_REG_B)
		r->ram[i] = *val;
	else if (i != RTC_REG_C && i != RTC_REG_D)
		r->ram[i] = *val;	/* alarms and NVRAM */
}
