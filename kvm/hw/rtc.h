/*
 * kvm/hw/rtc.h - MC146818 CMOS RTC register model (index port 0x70, data
 * port 0x71): the guest's wall clock at boot (Linux reads it in
 * read_persistent_clock and rtc_cmos), plus 128 bytes of CMOS RAM.
 * Time comes from the host clock plus an offset the guest may set; the
 * update-in-progress flag never shows, so readers never wait. No periodic,
 * alarm or update interrupts (IRQ 8 stays quiet). Pure: the caller passes
 * the host time.
 */
#ifndef PROVD_KVM_HW_RTC_H
#define PROVD_KVM_HW_RTC_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#define RTC_INDEX_PORT 0x70
#define RTC_DATA_PORT 0x71

#define RTC_REG_A 0x0a
#define RTC_REG_B 0x0b
#define RTC_REG_C 0x0c
#define RTC_REG_D 0x0d
#define RTC_CENTURY 0x32
#define RTC_B_24H 0x02
#define RTC_B_BINARY 0x04
#define RTC_B_SET 0x80
#define RTC_D_VRT 0x80

struct rtc {
	uint8_t index;		/* selected register, 0..127 */
	bool nmi_disabled;	/* bit 7 of the last index write */
	uint8_t ram[128];	/* alarms, status A/B, NVRAM */
	int64_t offset;		/* guest time - host time, seconds */
};

void rtc_init(struct rtc *r);

/* One guest access to port 0x70 or 0x71 at host time now (UTC seconds);
 * other ports read 0xff and ignore writes. */
void rtc_io(struct rtc *r, uint16_t port, bool write, uint8_t *val,
	    time_t now);

#endif
