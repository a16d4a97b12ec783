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
#include "pci.h"

#define PVPANIC_PANICKED     0x01
#define PVPANIC_CRASH_LOADED 0x02

static enum io_result pvpanic_in(struct io_bus *bus, void *dev, uint16_t port, unsigned size, uint32_t *val)
{
	(void)bus, (void)dev, (void)port, (void)size;
	/* The events this device reports: the guest writes only those. */
	*val = (*val & ~0xffu) | PVPANIC_PANICKED | PVPANIC_CRASH_LOADED;
	return IO_OK;
}

/* An event written by the guest: a panic ends the run; where says which register took it. */
static enum io_result event(struct run_end *end, uint8_t v, const char *where)
{
	if (!(v & PVPANIC_PANICKED))
		return IO_OK;	/* crash loaded (a kdump kernel runs on), or no known event */
	end->kind = END_PANIC;
	snprintf(end->why, sizeof end->why, "the guest kernel panicked (pvpanic event 0x%x at %s)", v, where);
	return IO_END;
}

static enum io_result pvpanic_out(struct io_bus *bus, void *dev, uint16_t port, unsigned size, uint32_t val)
{
	char where[16];

	(void)dev, (void)size;
	snprintf(where, sizeof where, "port 0x%x", port);
	return event(bus->end, (uint8_t)val, where);
}

int pvpanic_attach(struct io_bus *bus)
{
	static const struct port_dev d = {
		.name = "pvpanic", .base = PORT_PVPANIC, .len = 1, .in = pvpanic_in, .out = pvpanic_out,
	};

	return io_attach(bus, &d);
}

/*
 * QEMU's pvpanic-pci (1b36:0011): the same register, the first byte of a
 * memory BAR. Linux's pvpanic-pci driver reads the events there and writes
 * the panic to it.
 */
static enum io_result pvpanic_mmio(void *dev, uint64_t off, uint8_t *data, unsigned len, bool write,
				   struct run_end *end)
{
	(void)dev, (void)len;
	if (!write) {
		if (off == 0)
			data[0] = PVPANIC_PANICKED | PVPANIC_CRASH_LOADED;
		return IO_OK;
	}
	return off == 0 ? event(end, data[0], "pvpanic-pci") : IO_OK;
}

int pvpanic_pci_add(struct pci_bus *pb)
{
	static struct pci_dev d = { .name = "pvpanic-pci" };

	pci_header(&d, 0x1b36, 0x0011, 0x088000, 1, 0x1af4, 0x1100, 0x1000);
	return pci_plug(pb, &d, pvpanic_mmio, NULL);
}
