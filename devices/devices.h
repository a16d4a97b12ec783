/*
 * The PC devices a stock kernel probes, beyond the UART, the exit ports and
 * fw_cfg (which kvm.h declares): each attaches itself to the port bus and
 * reaches the VM only through the bus (its end record) and io_irq(). Each
 * chip is 8 bits wide: an access of 2 or 4 bytes that the bus hands over whole
 * acts on its low byte at the port addressed, and a read gives 0xff in the
 * bytes above it (they float, as on an ISA bus with no one driving them).
 * A device's state is the vCPU thread's: it runs every port access.
 */
#ifndef KVMRUN_DEVICES_H
#define KVMRUN_DEVICES_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "../kvm.h"

/* ---- devices/rtc.c: the MC146818 CMOS real-time clock at 0x70-0x71 ---- */

#define PORT_RTC 0x70

struct rtc {
	uint8_t index;              /* selected register, bit 7 (NMI mask) dropped */
	uint8_t ram[128];           /* CMOS bytes other than the clock's (alarms, 0x0e-0x7f but 0x32), as written */
	uint8_t reg_a, reg_b;       /* control registers A and B, as written */
	time_t (*now)(time_t *);    /* the clock read: time(), or a test's */
};

/*
 * rtc_attach: the clock on ports 0x70 (index) and 0x71 (data). r->now, if set
 * before the call, is kept (time() otherwise); the rest of *r is reset:
 * register A 0x26, register B 0x02 (24-hour, BCD), CMOS bytes 0. Reads of the
 * time registers give the host's current time in UTC, in BCD or binary and
 * 12- or 24-hour form as register B says; register A's update-in-progress
 * bit reads clear; register D says the battery is good. Writes to the time
 * registers are ignored (the host's clock is not the guest's to set). Returns
 * 0 or -1 (reported).
 */
int rtc_attach(struct rtc *r, struct io_bus *bus);

/* ---- devices/i8042.c: the keyboard controller at 0x60 and 0x64 ---- */

#define PORT_I8042_DATA 0x60
#define PORT_I8042_CMD  0x64

struct i8042 {
	uint8_t ctr;                /* controller configuration byte ("command byte") */
	uint8_t pending_cmd;        /* controller command waiting for its data byte, 0 if none */
	uint8_t kbd_cmd;            /* keyboard command waiting for its parameter byte, 0 if none */
	bool cmd_last;              /* the last write was to 0x64 (status bit 3) */
	uint8_t last;               /* the byte last read at 0x60: read again while out[] is empty */
	uint8_t out[16];            /* bytes waiting for the guest to read at 0x60, all from the keyboard side */
	unsigned out_head, out_len;
};

/*
 * i8042_attach: a controller with a keyboard and no mouse (aux) port, as a
 * BIOS leaves it: configuration byte 0x65 (keyboard interrupt on, system
 * flag, aux disabled, scancode translation). Every command completes at
 * once (IBF never set). While bytes wait and the configuration enables the
 * keyboard interrupt, ISA line 1 is high, pulsed low at each read so that
 * every byte is an edge. Pulsing the reset line (command 0xfe, or an
 * output-port write with bit 0 clear) ends the run as END_RESET. Returns 0
 * or -1 (reported).
 */
int i8042_attach(struct i8042 *k, struct io_bus *bus);

/* ---- devices/pvpanic.c: QEMU's pvpanic ISA device at 0x505 ---- */

#define PORT_PVPANIC 0x505

/*
 * pvpanic_attach: reads give the events supported (panicked, crash loaded);
 * writing the panicked bit ends the run as END_PANIC, with the event in
 * end->why; a crash-loaded event alone (a kdump kernel takes over) lets the
 * run go on. Returns 0 or -1 (reported).
 */
int pvpanic_attach(struct io_bus *bus);

/* ---- devices/acpipm.c: ACPI's PM1a event and control registers ---- */

#define PORT_ACPI_PM     0x600   /* PM1a_EVT_BLK (4 bytes), then PM1a_CNT_BLK (2 bytes) */
#define PORT_ACPI_PM_LEN 6
#define ACPI_S5_TYPE     5       /* SLP_TYP of \_S5 in the DSDT */

struct acpi_pm {
	uint16_t en, cnt;        /* PM1_EN and PM1_CNT as written */
};

/*
 * acpi_pm_attach: the registers on 0x600-0x605. Writing PM1_CNT with SLP_EN
 * and sleep type ACPI_S5_TYPE ends the run as END_POWEROFF. Returns 0 or -1.
 */
int acpi_pm_attach(struct acpi_pm *pm, struct io_bus *bus);

/* The PC devices of a VM, owned by kvm.c. */
struct pc_devices {
	struct rtc rtc;
	struct i8042 i8042;
	struct acpi_pm pm;
};

#endif
