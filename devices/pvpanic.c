/*
 * QEMU's pvpanic ISA device at port 0x505. A Linux kernel built with
 * CONFIG_PVPANIC writes here from its panic notifier, so a panicked guest ends
 * the run at once as END_PANIC (a guest fault with the event in its summary)
 * instead of spinning until a timeout. A kdump kernel taking over announces
 * itself with the crash-loaded event: that run goes on.
 *
 * Access size: one port, 8 bits. A wider access acts on its low byte, and a
 * read gives 0xff in the bytes above it.
 */
#include <stdio.h>

#include "devices.h"

#define PVPANIC_PANICKED     0x01
#define PVPANIC_CRASH_LOADED 0x02

static enum io_result pvpanic_in(struct io_bus *bus, void *dev, uint16_t port, unsigned size, uint32_t *val)
{
	(void)bus, (void)dev, (void)port, (void)size;
	/* The events this device reports: the guest writes only those. */
	*val = (*val & ~0xffu) | PVPANIC_PANICKED | PVPANIC_CRASH_LOADED;
	return IO_OK;
}

static enum io_result pvpanic_out(struct io_bus *bus, void *dev, uint16_t port, unsigned size, uint32_t val)
{
	uint8_t v = (uint8_t)val;

	(void)dev, (void)size;
	if (!(v & PVPANIC_PANICKED))
		return IO_OK;	/* crash loaded (a kdump kernel runs on), or no known event */
	bus->end->kind = END_PANIC;
	snprintf(bus->end->why, sizeof bus->end->why,
		 "the guest kernel panicked (pvpanic event 0x%x at port 0x%x)", v, port);
	return IO_END;
}

int pvpanic_attach(struct io_bus *bus)
{
	static const struct port_dev d = {
		.name = "pvpanic", .base = PORT_PVPANIC, .len = 1, .in = pvpanic_in, .out = pvpanic_out,
	};

	return io_attach(bus, &d);
}
