/*
 * The MC146818 CMOS real-time clock at 0x70 (index) and 0x71 (data), as a
 * PC's chipset presents it. A Linux kernel reads its wall-clock time here at
 * boot (and hwclock reads it later); bare guests read it for a date. The time
 * is the host's, in UTC, read afresh at each access, so it never drifts and
 * never needs an update cycle: register A's update-in-progress bit always
 * reads clear. This clock raises no interrupt (no IRQ 8): register C's flags
 * read 0. Writes to the time registers are ignored, since the host's clock is
 * not the guest's to set; the rest of CMOS reads back what was written.
 *
 * Access size: the chip is 8 bits wide. A 2- or 4-byte access that stays
 * inside 0x70-0x71 reaches here whole; it acts on its low byte at the port
 * addressed, and a read gives 0xff in the bytes above it (they float).
 */
#include <string.h>

#include "devices.h"

/* Register numbers, as the MC146818 data sheet names them. */
enum {
	RTC_SECONDS = 0x00, RTC_SECONDS_ALARM = 0x01, RTC_MINUTES = 0x02, RTC_MINUTES_ALARM = 0x03,
	RTC_HOURS = 0x04, RTC_HOURS_ALARM = 0x05, RTC_WEEKDAY = 0x06, RTC_DAY = 0x07,
	RTC_MONTH = 0x08, RTC_YEAR = 0x09, RTC_REG_A = 0x0a, RTC_REG_B = 0x0b,
	RTC_REG_C = 0x0c, RTC_REG_D = 0x0d, RTC_CENTURY = 0x32,	/* the PC's (ACPI FADT) century byte */
};

#define RTC_NMI_MASK   0x80	/* bit 7 of the index: the chipset's NMI mask, not a register bit */
#define RTC_A_UIP      0x80	/* register A: update in progress */
#define RTC_A_DEFAULT  0x26	/* 32.768 kHz time base, 1024 Hz periodic rate */
#define RTC_B_24H      0x02
#define RTC_B_DM       0x04	/* data mode: binary (clear: BCD) */
#define RTC_B_DEFAULT  RTC_B_24H
#define RTC_D_VRT      0x80	/* valid RAM and time: the battery is good */
#define RTC_HOUR_PM    0x80	/* 12-hour mode: the PM flag in the hours byte */

static uint8_t encode(const struct rtc *r, unsigned v)
{
	if (r->reg_b & RTC_B_DM)
		return (uint8_t)v;
	return (uint8_t)((v / 10) << 4 | v % 10);
}

static uint8_t hours(const struct rtc *r, unsigned h)
{
	unsigned h12 = h % 12 ? h % 12 : 12;

	if (r->reg_b & RTC_B_24H)
		return encode(r, h);
	return (uint8_t)(encode(r, h12) | (h >= 12 ? RTC_HOUR_PM : 0));
}

/*
 * UTC from seconds since the epoch, by arithmetic: glibc's gmtime_r reads
 * /etc/localtime on first use, which the sandboxed run loop may not open.
 * Days to a civil date: Howard Hinnant's days_from_civil, inverted.
 */
static struct tm utc(time_t t)
{
	int64_t days = t / 86400, secs = t % 86400, z, era, doe, yoe, doy, mp;
	struct tm tm = { 0 };

	if (secs < 0) {
		secs += 86400;
		days--;
	}
	tm.tm_hour = (int)(secs / 3600);
	tm.tm_min = (int)(secs / 60 % 60);
	tm.tm_sec = (int)(secs % 60);
	tm.tm_wday = (int)((days % 7 + 11) % 7);	/* 1970-01-01 was a Thursday */
	z = days + 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	tm.tm_mday = (int)(doy - (153 * mp + 2) / 5 + 1);
	tm.tm_mon = (int)(mp < 10 ? mp + 2 : mp - 10);
	tm.tm_year = (int)(yoe + era * 400 + (tm.tm_mon < 2) - 1900);
	return tm;
}

/* A time register, from the host's clock now. */
static uint8_t clock_field(const struct rtc *r, uint8_t reg)
{
	time_t t = r->now(NULL);
	struct tm tm;

	/* A time before year 0 or after 9999 reads as the epoch. */
	if (t < -62167219200LL || t > 253402300799LL)
		t = 0;
	tm = utc(t);
	switch (reg) {
	case RTC_SECONDS:
		return encode(r, (unsigned)tm.tm_sec % 60);	/* a leap second reads as :00 */
	case RTC_MINUTES:
		return encode(r, (unsigned)tm.tm_min);
	case RTC_HOURS:
		return hours(r, (unsigned)tm.tm_hour);
	case RTC_WEEKDAY:
		return encode(r, (unsigned)tm.tm_wday + 1);	/* 1 = Sunday */
	case RTC_DAY:
		return encode(r, (unsigned)tm.tm_mday);
	case RTC_MONTH:
		return encode(r, (unsigned)tm.tm_mon + 1);
	case RTC_YEAR:
		return encode(r, (unsigned)(tm.tm_year + 1900) % 100);
	default:	/* RTC_CENTURY */
		return encode(r, (unsigned)(tm.tm_year + 1900) / 100 % 100);
	}
}

/* The byte at CMOS register reg as a read sees it. */
static uint8_t rtc_read(const struct rtc *r, uint8_t reg)
{
	switch (reg) {
	case RTC_REG_A:
		return r->reg_a & ~RTC_A_UIP;
	case RTC_REG_B:
		return r->reg_b;
	case RTC_REG_C:
		return 0;
	case RTC_REG_D:
		return RTC_D_VRT;
	case RTC_SECONDS: case RTC_MINUTES: case RTC_HOURS: case RTC_WEEKDAY:
	case RTC_DAY: case RTC_MONTH: case RTC_YEAR: case RTC_CENTURY:
		return clock_field(r, reg);
	default:
		return r->ram[reg];
	}
}

static void rtc_write(struct rtc *r, uint8_t reg, uint8_t v)
{
	switch (reg) {
	case RTC_REG_A:
		r->reg_a = v & ~RTC_A_UIP;	/* UIP is read-only */
		break;
	case RTC_REG_B:
		r->reg_b = v;		/* SET, DM and 24h included; the interrupt enables do nothing */
		break;
	case RTC_SECONDS: case RTC_MINUTES: case RTC_HOURS: case RTC_WEEKDAY:
	case RTC_DAY: case RTC_MONTH: case RTC_YEAR: case RTC_CENTURY:
	case RTC_REG_C: case RTC_REG_D:
		break;			/* read-only here */
	default:
		r->ram[reg] = v;	/* alarms and the rest of CMOS */
	}
}

static enum io_result rtc_in(struct io_bus *bus, void *dev, uint16_t port, unsigned size, uint32_t *val)
{
	struct rtc *r = dev;
	uint8_t b = port == PORT_RTC ? 0xff : rtc_read(r, r->index);	/* the index reads as 0xff */

	(void)bus, (void)size;
	*val = (*val & ~0xffu) | b;	/* the bus filled *val with ones: the bytes above float */
	return IO_OK;
}

static enum io_result rtc_out(struct io_bus *bus, void *dev, uint16_t port, unsigned size, uint32_t val)
{
	struct rtc *r = dev;

	(void)bus, (void)size;
	if (port == PORT_RTC)
		r->index = (uint8_t)val & ~RTC_NMI_MASK;
	else
		rtc_write(r, r->index, (uint8_t)val);
	return IO_OK;
}

int rtc_attach(struct rtc *r, struct io_bus *bus)
{
	time_t (*now)(time_t *) = r->now ? r->now : time;
	struct port_dev d = {
		.name = "rtc", .base = PORT_RTC, .len = 2, .in = rtc_in, .out = rtc_out, .dev = r,
	};

	memset(r, 0, sizeof *r);
	r->now = now;
	r->reg_a = RTC_A_DEFAULT;
	r->reg_b = RTC_B_DEFAULT;
	return io_attach(bus, &d);
}
