/*
 * COM1, a 16550A as a PC wires it: THR bytes go to stdout exactly, RBR bytes
 * come from stdin, LSR reports THRE|TEMT and DR, the other registers read
 * back what was written, IIR reports the highest-priority source the driver
 * enabled (received data, then THR empty), and ISA line 4 follows IIR
 * through the PC's OUT2 gate, so an interrupt-driven driver (Linux's 8250)
 * works as well as a polling one. The transmitter never fills: a byte leaves
 * as it is written.
 *
 * No input is ever dropped. A driver that resets the receive FIFO then reads
 * RBR to clear it (Linux does both at probe and at open) would eat what was
 * piped in before it was ready, as QEMU's model does; here, after a receive
 * FIFO reset, the receiver looks empty until the driver enables the
 * received-data interrupt, or UART_RX_HOLD_NS pass (a polling guest), and
 * then the waiting input arrives.
 *
 * An access wider than a byte is split into byte accesses at successive
 * ports, as the ISA bus does for an 8-bit device.
 */
#include <linux/serial_reg.h>

#include "kvm.h"

#define UART_IRQ        4
#define UART_RX_HOLD_NS 100000000ULL

static bool rx_ready(struct uart *u)
{
	if ((u->mcr & UART_MCR_LOOP) || u->no_input)
		return false;	/* loopback bytes are not modelled; input is stdin only */
	if (u->rx_hold && !(u->ier & UART_IER_RDI) && now_ns() - u->hold_since < UART_RX_HOLD_NS)
		return false;
	u->rx_hold = false;
	return console_rx_ready(u->con);
}

/* What IIR reports now, FIFO bits aside: the highest-priority enabled source. */
static uint8_t pending(struct uart *u)
{
	if ((u->ier & UART_IER_RDI) && rx_ready(u))
		return UART_IIR_RDI;
	if ((u->ier & UART_IER_THRI) && u->iir_thri)
		return UART_IIR_THRI;
	return UART_IIR_NO_INT;
}

/* The interrupt pin follows IIR; on a PC it reaches the bus only while OUT2 is set. */
static int update_irq(struct uart *u)
{
	bool level = (u->mcr & UART_MCR_OUT2) && !(u->mcr & UART_MCR_LOOP) && pending(u) != UART_IIR_NO_INT;

	return io_irq(u->bus, UART_IRQ, level);
}

static uint8_t reg_read(struct uart *u, unsigned reg)
{
	bool dlab = u->lcr & UART_LCR_DLAB;
	uint8_t v;

	switch (reg) {
	case UART_RX:
		if (dlab)
			return u->dll;
		return rx_ready(u) ? console_getc(u->con) : 0;	/* a held byte stays for later */
	case UART_IER:
		return dlab ? u->dlm : u->ier;
	case UART_IIR:
		v = pending(u);
		if (v == UART_IIR_THRI)
			u->iir_thri = 0;	/* reading IIR clears a THRE report */
		if (u->fcr & UART_FCR_ENABLE_FIFO)
			v |= 0xc0;	/* FIFOs enabled, as a 16550A reports */
		return v;
	case UART_LCR:
		return u->lcr;
	case UART_MCR:
		return u->mcr;
	case UART_LSR:
		return UART_LSR_THRE | UART_LSR_TEMT | (rx_ready(u) ? UART_LSR_DR : 0);
	case UART_MSR:
		if (u->mcr & UART_MCR_LOOP)	/* modem outputs fed back to inputs */
			return (uint8_t)(((u->mcr & UART_MCR_DTR) ? UART_MSR_DSR : 0) |
					 ((u->mcr & UART_MCR_RTS) ? UART_MSR_CTS : 0) |
					 ((u->mcr & UART_MCR_OUT1) ? UART_MSR_RI : 0) |
					 ((u->mcr & UART_MCR_OUT2) ? UART_MSR_DCD : 0));
		return UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS;
	default:
		return u->scr;
	}
}

/* Returns -1 when guest output could not be written. */
static int reg_write(struct uart *u, unsigned reg, uint8_t v)
{
	bool dlab = u->lcr & UART_LCR_DLAB;

	switch (reg) {
	case UART_TX:
		if (dlab) {
			u->dll = v;
			return 0;
		}
		u->iir_thri = 1;	/* the byte left at once: THR is empty again */
		if (u->mcr & UART_MCR_LOOP)
			return 0;
		return console_put(u->con, v);
	case UART_IER:
		if (dlab) {
			u->dlm = v;
		} else {
			if ((v & UART_IER_THRI) && !(u->ier & UART_IER_THRI))
				u->iir_thri = 1;
			u->ier = v & 0x0f;
		}
		return 0;
	case UART_FCR:
		u->fcr = v & (UART_FCR_ENABLE_FIFO | 0xc0);
		if (v & UART_FCR_CLEAR_RCVR) {
			u->rx_hold = true;
			u->hold_since = now_ns();
		}
		return 0;
	case UART_LCR:
		u->lcr = v;
		return 0;
	case UART_MCR:
		u->mcr = v & 0x1f;
		return 0;
	case UART_SCR:
		u->scr = v;
		return 0;
	default:	/* LSR and MSR are read-only */
		return 0;
	}
}

static enum io_result uart_in(struct io_bus *bus, void *dev, uint16_t port,
			      unsigned size, uint32_t *val)
{
	struct uart *u = dev;
	unsigned first = (unsigned)(port - u->base);
	uint32_t v = 0xffffffffu;

	for (unsigned i = 0; i < size && first + i < 8; i++) {
		v &= ~(0xffu << (8 * i));
		v |= (uint32_t)reg_read(u, first + i) << (8 * i);
	}
	*val = v;
	if (update_irq(u) < 0) {
		bus->end->kind = END_HOST;
		return IO_END;
	}
	return IO_OK;
}

static enum io_result uart_out(struct io_bus *bus, void *dev, uint16_t port,
			       unsigned size, uint32_t val)
{
	struct uart *u = dev;
	unsigned first = (unsigned)(port - u->base);

	for (unsigned i = 0; i < size && first + i < 8; i++) {
		if (reg_write(u, first + i, (uint8_t)(val >> (8 * i))) < 0) {
			bus->end->kind = END_OUTPUT;
			bus->end->errno_value = u->con->out_errno;
			return IO_END;
		}
	}
	if (update_irq(u) < 0) {
		bus->end->kind = END_HOST;
		return IO_END;
	}
	return IO_OK;
}

int uart_poll(struct uart *u)
{
	return update_irq(u);
}

int uart_attach(struct uart *u, struct io_bus *bus, uint16_t base, struct console *con)
{
	struct port_dev d = {
		.name = "COM1", .base = base, .len = 8,
		.in = uart_in, .out = uart_out, .dev = u, .batches_output = true,
	};

	*u = (struct uart){ .con = con, .base = base, .bus = bus };
	return io_attach(bus, &d);
}
