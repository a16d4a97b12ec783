/*
 * The i8042 PS/2 controller at 0x60 (data) and 0x64 (status and command),
 * with a keyboard and no mouse (aux) port. A Linux kernel probes it at boot
 * and reboots through it (command 0xfe pulses the CPU's reset line); bare
 * guests reset or gate A20 through it. The model answers the probe the way a
 * keyboard-only controller does, so Linux finds its keyboard and no mouse:
 * the aux interface test reports the clock line stuck low (0x01) and enabling
 * aux leaves the configuration's aux-disabled bit set, which is how
 * i8042_toggle_aux tells the port is absent; the aux loop-back command
 * echoes its byte without the aux-data flag, so the probe learns that at
 * once instead of timing out. Bytes sent to the mouse go nowhere. Every command completes at once: the input buffer is never full.
 *
 * Access size: the chip is 8 bits wide. A wider access acts on its low byte
 * at the port addressed, and a read gives 0xff in the bytes above it.
 */
#include <stdio.h>
#include <string.h>

#include "devices.h"

/* Status register bits (read at 0x64). */
#define STR_OBF      0x01	/* a byte waits at 0x60 */
#define STR_SYS      0x04	/* system flag, mirrors CTR_SYS */
#define STR_CMD      0x08	/* the last write was a command (0x64), not data (0x60) */
#define STR_UNLOCKED 0x10	/* keyboard not inhibited by the keylock: Linux warns otherwise */

/* Controller configuration byte bits. */
#define CTR_KBDINT   0x01	/* keyboard interrupt enable */
#define CTR_SYS      0x04
#define CTR_KBDDIS   0x10
#define CTR_AUXDIS   0x20
#define CTR_XLATE    0x40	/* scancode set 2 to set 1 translation */
#define CTR_DEFAULT  (CTR_KBDINT | CTR_SYS | CTR_AUXDIS | CTR_XLATE)	/* 0x65: as a BIOS leaves it */

/* Output port bits (commands 0xd0 and 0xd1). */
#define OUTP_RESET   0x01	/* the CPU's reset line, active low */
#define OUTP_A20     0x02

#define KBD_IRQ      1
#define KBD_ACK      0xfa

static void push(struct i8042 *k, uint8_t b)
{
	if (k->out_len == sizeof k->out)
		return;		/* full: the newest byte is lost, as a keyboard's overrun would be */
	k->out[(k->out_head + k->out_len++) % sizeof k->out] = b;
}

/* Line 1 follows "a byte waits and the keyboard interrupt is on". */
static enum io_result sync_irq(struct io_bus *bus, const struct i8042 *k)
{
	if (io_irq(bus, KBD_IRQ, k->out_len && (k->ctr & CTR_KBDINT)) < 0) {
		bus->end->kind = END_HOST;	/* io_irq has reported it */
		return IO_END;
	}
	return IO_OK;
}

static enum io_result reset(struct io_bus *bus, const char *how, uint8_t v)
{
	bus->end->kind = END_RESET;
	snprintf(bus->end->why, sizeof bus->end->why,
		 "the guest reset the machine through the i8042 (%s 0x%x)", how, v);
	return IO_END;
}

/* A byte for the keyboard: it answers every byte, at least with an ACK. */
static void keyboard(struct i8042 *k, uint8_t v)
{
	uint8_t cmd = k->kbd_cmd;

	k->ctr &= ~CTR_KBDDIS;	/* sending to the keyboard enables its interface */
	k->kbd_cmd = 0;
	if (cmd) {		/* v is the parameter of cmd */
		push(k, KBD_ACK);
		if (cmd == 0xf0 && v == 0)	/* get scancode set: 2, which the translation turns into 0x41 */
			push(k, k->ctr & CTR_XLATE ? 0x41 : 0x02);
		return;
	}
	switch (v) {
	case 0xee:		/* echo */
		push(k, 0xee);
		break;
	case 0xed:		/* set LEDs */
	case 0xf0:		/* get or set the scancode set */
	case 0xf3:		/* set typematic rate */
		k->kbd_cmd = v;
		push(k, KBD_ACK);
		break;
	case 0xf2:		/* identify: an MF2 keyboard */
		push(k, KBD_ACK);
		push(k, 0xab);
		push(k, 0x83);
		break;
	case 0xff:		/* reset and self-test: passed */
		push(k, KBD_ACK);
		push(k, 0xaa);
		break;
	default:
		push(k, KBD_ACK);
	}
}

/* A byte written to 0x60: the data of a pending controller command, or the keyboard's. */
static enum io_result data_write(struct io_bus *bus, struct i8042 *k, uint8_t v)
{
	uint8_t cmd = k->pending_cmd;

	k->pending_cmd = 0;
	switch (cmd) {
	case 0x60:		/* write the configuration byte */
		k->ctr = v;
		break;
	case 0xd1:		/* write the output port */
		if (!(v & OUTP_RESET))
			return reset(bus, "output port write", v);
		break;
	case 0xd2:		/* as if the keyboard sent v */
		push(k, v);
		break;
	case 0xd3:		/* aux loop-back: with no aux port the byte comes back as keyboard data, */
		push(k, v);	/* which tells Linux at once (no 0.5 s timeout) that there is no mouse */
		break;
	case 0xd4:		/* to the mouse: nobody answers */
		break;
	default:
		keyboard(k, v);
	}
	return IO_OK;
}

static enum io_result command(struct io_bus *bus, struct i8042 *k, uint8_t v)
{
	k->pending_cmd = 0;
	switch (v) {
	case 0x20:		/* read the configuration byte */
		push(k, k->ctr);
		break;
	case 0x60: case 0xd1: case 0xd2: case 0xd3: case 0xd4:
		k->pending_cmd = v;	/* the next byte at 0x60 is this command's */
		break;
	case 0xa7:		/* disable aux */
		k->ctr |= CTR_AUXDIS;
		break;
	case 0xa8:		/* enable aux: there is none, so it stays disabled */
		break;
	case 0xa9:		/* aux interface test: clock line stuck low, no device */
		push(k, 0x01);
		break;
	case 0xaa:		/* controller self-test: passed */
		push(k, 0x55);
		k->ctr |= CTR_SYS;
		break;
	case 0xab:		/* keyboard interface test: no error */
		push(k, 0x00);
		break;
	case 0xad:		/* disable the keyboard */
		k->ctr |= CTR_KBDDIS;
		break;
	case 0xae:		/* enable the keyboard */
		k->ctr &= ~CTR_KBDDIS;
		break;
	case 0xd0:		/* read the output port: not in reset, A20 on */
		push(k, OUTP_RESET | OUTP_A20);
		break;
	default:
		/* 0xf0-0xff pulse the output lines whose bit is clear; bit 0 is reset. */
		if ((v & 0xf0) == 0xf0 && !(v & OUTP_RESET))
			return reset(bus, "command", v);
		break;		/* any other command is ignored */
	}
	return IO_OK;
}

static enum io_result i8042_in(struct io_bus *bus, void *dev, uint16_t port, unsigned size, uint32_t *val)
{
	struct i8042 *k = dev;
	uint8_t b;

	(void)size;
	if (port == PORT_I8042_CMD) {
		b = (k->out_len ? STR_OBF : 0) | (k->ctr & CTR_SYS ? STR_SYS : 0) |
		    (k->cmd_last ? STR_CMD : 0) | STR_UNLOCKED;
	} else if (k->out_len) {
		b = k->last = k->out[k->out_head];
		k->out_head = (k->out_head + 1) % sizeof k->out;
		k->out_len--;
	} else {
		b = k->last;	/* nothing new: the output buffer still holds the last byte */
	}
	*val = (*val & ~0xffu) | b;	/* the bus filled *val with ones: the bytes above float */
	if (port == PORT_I8042_CMD)
		return IO_OK;
	/* The read empties the output buffer; the next byte, if any, is a new edge. */
	if (io_irq(bus, KBD_IRQ, false) < 0) {
		bus->end->kind = END_HOST;
		return IO_END;
	}
	return sync_irq(bus, k);
}

static enum io_result i8042_out(struct io_bus *bus, void *dev, uint16_t port, unsigned size, uint32_t val)
{
	struct i8042 *k = dev;
	enum io_result r;

	(void)size;
	k->cmd_last = port == PORT_I8042_CMD;
	if (port == PORT_I8042_CMD)
		r = command(bus, k, (uint8_t)val);
	else
		r = data_write(bus, k, (uint8_t)val);
	return r == IO_OK ? sync_irq(bus, k) : r;
}

int i8042_attach(struct i8042 *k, struct io_bus *bus)
{
	/* Two entries: 0x61 between them (port B, the PIT's speaker gate) is not the i8042's. */
	struct port_dev data = {
		.name = "i8042", .base = PORT_I8042_DATA, .len = 1, .in = i8042_in, .out = i8042_out, .dev = k,
	};
	struct port_dev cmd = data;

	memset(k, 0, sizeof *k);
	k->ctr = CTR_DEFAULT;
	cmd.base = PORT_I8042_CMD;
	if (io_attach(bus, &data) < 0)
		return -1;
	return io_attach(bus, &cmd);
}
