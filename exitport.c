/*
 * The exit ports. 0xf4-0xf7 is QEMU's isa-debug-exit (iobase=0xf4,
 * iosize=4): writing v ends the run with status (v << 1) | 1, truncated to
 * 8 bits as exit(3) does, so guests written for QEMU run unchanged.
 * 0xf8 is kvmrun's own: writing v (0..255, any access size) ends the run
 * with status v exactly; a larger value is a guest fault.
 */
#include "kvm.h"

static enum io_result qemu_exit_out(struct io_bus *bus, void *dev, uint16_t port,
				    unsigned size, uint32_t val)
{
	(void)dev, (void)port, (void)size;
	bus->end->kind = END_EXIT;
	bus->end->status = (int)((((uint64_t)val << 1) | 1) & 0xff);
	return IO_END;
}

static enum io_result qemu_exit_in(struct io_bus *bus, void *dev, uint16_t port,
				   unsigned size, uint32_t *val)
{
	(void)bus, (void)dev, (void)port, (void)size;
	*val = 0;	/* QEMU's isa-debug-exit reads as zero */
	return IO_OK;
}

static enum io_result exit_out(struct io_bus *bus, void *dev, uint16_t port,
			       unsigned size, uint32_t val)
{
	(void)dev;
	if (val > 255)
		return io_fault(bus, "exit port 0x%x: %u-byte write of %u, but an exit status is 0 to 255",
				port, size, val);
	bus->end->kind = END_EXIT;
	bus->end->status = (int)val;
	return IO_END;
}

int exitport_attach(struct io_bus *bus)
{
	static const struct port_dev qemu = {
		.name = "isa-debug-exit", .base = PORT_QEMU_EXIT, .len = PORT_QEMU_EXIT_LEN,
		.in = qemu_exit_in, .out = qemu_exit_out,
	};
	static const struct port_dev native = {
		.name = "kvmrun-exit", .base = PORT_EXIT, .len = 1,
		.in = qemu_exit_in, .out = exit_out,
	};

	if (io_attach(bus, &qemu) < 0)
		return -1;
	return io_attach(bus, &native);
}
