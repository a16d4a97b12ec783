/*
 * Port I/O: a table maps each of the 65536 ports to a device; ports with no
 * device behave as an empty ISA bus (reads all ones, writes ignored).
 * Writes to ports given to io_coalesce (PCI's CONFIG_ADDRESS) do not exit
 * where KVM has KVM_CAP_COALESCED_PIO: KVM keeps them in a ring, and the
 * next port exit delivers them first (io_drain), as QEMU does. A PCI
 * configuration read then costs one exit, not two.
 */
#include <errno.h>
#include <stdarg.h>
#include <sys/ioctl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kvm.h"

int io_init(struct io_bus *bus, struct run_end *end, bool count, bool verbose)
{
	memset(bus, 0, sizeof *bus);
	bus->end = end;
	bus->irq_fd = -1;
	bus->verbose = verbose;
	if (count && !(bus->counts = calloc(65536, sizeof *bus->counts)))
		return -1;
	if (verbose && !(bus->reported = calloc(65536, 1)))
		return -1;
	return 0;
}

void io_free(struct io_bus *bus)
{
	free(bus->counts);
	free(bus->reported);
	bus->counts = NULL;
	bus->reported = NULL;
}

void io_coalesce(struct io_bus *bus, int kvm_fd, int vm_fd, struct kvm_run *run, size_t run_size,
		 uint16_t base, uint16_t len)
{
	struct kvm_coalesced_mmio_zone z = { .addr = base, .size = len, .pio = 1 };
	long page = sysconf(_SC_PAGESIZE);

	if (page < (long)sizeof(struct kvm_coalesced_mmio_ring) + (long)sizeof(struct kvm_coalesced_mmio) ||
	    run_size < (size_t)page * (KVM_COALESCED_MMIO_PAGE_OFFSET + 1) ||
	    ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_COALESCED_PIO) <= 0)
		return;
	if (ioctl(vm_fd, KVM_REGISTER_COALESCED_MMIO, &z) < 0) {
		if (bus->verbose)
			fprintf(stderr, "kvmrun: writes to ports 0x%x-0x%x exit to kvmrun (KVM_REGISTER_COALESCED_MMIO: %s)\n",
				base, base + len - 1, strerror(errno));
		return;
	}
	bus->ring = (struct kvm_coalesced_mmio_ring *)((uint8_t *)run + page * KVM_COALESCED_MMIO_PAGE_OFFSET);
	bus->ring_max = (uint32_t)(((size_t)page - sizeof *bus->ring) / sizeof bus->ring->coalesced_mmio[0]);
}

int io_attach(struct io_bus *bus, const struct port_dev *d)
{
	if (bus->ndevs == IO_MAX_DEVS || d->len == 0 || (uint32_t)d->base + d->len > 65536) {
		fprintf(stderr, "kvmrun: internal error: cannot attach %s at port 0x%x\n",
			d->name, d->base);
		return -1;
	}
	for (uint32_t p = d->base; p < (uint32_t)d->base + d->len; p++) {
		if (bus->map[p]) {
			fprintf(stderr, "kvmrun: internal error: %s overlaps %s at port 0x%x\n",
				d->name, bus->devs[bus->map[p] - 1].name, p);
			return -1;
		}
	}
	bus->devs[bus->ndevs++] = *d;
	for (uint32_t p = d->base; p < (uint32_t)d->base + d->len; p++)
		bus->map[p] = (uint8_t)bus->ndevs;
	return 0;
}

int io_irq(struct io_bus *bus, unsigned gsi, bool level)
{
	struct kvm_irq_level l = { .irq = gsi, .level = level };

	if (bus->irq_fd < 0 || gsi >= sizeof bus->irq_level || bus->irq_level[gsi] == level)
		return 0;
	if (ioctl(bus->irq_fd, KVM_IRQ_LINE, &l) < 0) {
		fprintf(stderr, "kvmrun: setting interrupt line %u to %d failed (KVM_IRQ_LINE): %s\n",
			gsi, level, strerror(errno));
		return -1;
	}
	bus->irq_level[gsi] = level;
	return 0;
}

bool io_batches(const struct io_bus *bus, uint16_t port)
{
	unsigned i = bus->map[port];

	return i && bus->devs[i - 1].batches_output;
}

void end_vfault(struct run_end *e, const char *fmt, va_list ap)
{
	e->kind = END_FAULT;
	vsnprintf(e->why, sizeof e->why, fmt, ap);
}

enum io_result io_fault(struct io_bus *bus, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	end_vfault(bus->end, fmt, ap);
	va_end(ap);
	return IO_END;
}

static void unclaimed(struct io_bus *bus, uint16_t port, unsigned size, bool out, uint32_t val)
{
	uint8_t bit = out ? 2 : 1;

	bus->unclaimed++;
	if (!bus->reported || (bus->reported[port] & bit))
		return;
	bus->reported[port] |= bit;
	if (out)
		fprintf(stderr, "kvmrun: port 0x%x: %u-byte write of 0x%x ignored (no device; reported once)\n",
			port, size, val);
	else
		fprintf(stderr, "kvmrun: port 0x%x: %u-byte read returns all ones (no device; reported once)\n",
			port, size);
}

static uint32_t load_le(const uint8_t *p, unsigned size)
{
	uint32_t v = 0;

	memcpy(&v, p, size);	/* x86 is little-endian */
	return v;
}

/*
 * True unless the access's bytes reach a device other than its first port's
 * (or a device at all, when the first port has none): then it is split.
 * Bytes that run past a device into empty ports stay with that device.
 */
static bool one_device(const struct io_bus *bus, uint16_t port, unsigned size)
{
	for (unsigned b = 1; b < size && port + b <= 0xffff; b++) {
		uint8_t d = bus->map[port + b];

		if (d && d != bus->map[port])
			return false;
	}
	return true;
}

enum io_result io_access(struct io_bus *bus, uint16_t port, unsigned size, bool out, uint32_t *val)
{
	unsigned i = bus->map[port];
	const struct port_dev *d = i ? &bus->devs[i - 1] : NULL;

	if (!one_device(bus, port, size)) {
		/* As the ISA bus does: one byte at a time, each to whoever owns its port. */
		uint32_t v = 0;

		for (unsigned b = 0; b < size; b++) {
			uint32_t byte = (*val >> (8 * b)) & 0xff;
			enum io_result r = IO_OK;

			if (port + b <= 0xffff)	/* no port 0x10000: that byte floats */
				r = io_access(bus, (uint16_t)(port + b), 1, out, &byte);
			else
				byte = 0xff;
			v |= (byte & 0xff) << (8 * b);
			if (r != IO_OK)
				return r;
		}
		if (!out)
			*val = v;
		return IO_OK;
	}
	if (bus->counts)
		bus->counts[port][out]++;
	if (out) {
		if (d && d->out)
			return d->out(bus, d->dev, port, size, *val);
		if (!d)
			unclaimed(bus, port, size, true, *val);
		return IO_OK;
	}
	*val = size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
	if (d && d->in)
		return d->in(bus, d->dev, port, size, val);
	if (!d)
		unclaimed(bus, port, size, false, 0);
	return IO_OK;
}

enum io_result io_drain(struct io_bus *bus)
{
	struct kvm_coalesced_mmio_ring *r = bus->ring;
	enum io_result res = IO_OK;
	uint32_t first, last;

	if (!r)
		return IO_OK;
	first = __atomic_load_n(&r->first, __ATOMIC_RELAXED);
	last = __atomic_load_n(&r->last, __ATOMIC_ACQUIRE);	/* KVM fills an entry, then moves last */
	if (first >= bus->ring_max || last >= bus->ring_max)
		return IO_OK;	/* not a ring KVM wrote: nothing to trust in it */
	while (first != last) {
		struct kvm_coalesced_mmio e;

		memcpy(&e, &r->coalesced_mmio[first], sizeof e);
		first = (first + 1) % bus->ring_max;
		__atomic_store_n(&r->first, first, __ATOMIC_RELEASE);
		if (e.pio && e.phys_addr <= 0xffff && (e.len == 1 || e.len == 2 || e.len == 4)) {
			uint32_t v = load_le(e.data, e.len);
			enum io_result x = io_access(bus, (uint16_t)e.phys_addr, e.len, true, &v);

			if (res == IO_OK)
				res = x;
		}
	}
	return res;
}

enum io_result io_exit(struct io_bus *bus, struct kvm_run *run, size_t run_size)
{
	/* Copy what we use out of the shared page before checking it. */
	const uint8_t dir = run->io.direction;
	const unsigned size = run->io.size;
	const uint32_t count = run->io.count;
	const uint16_t port = run->io.port;
	const uint64_t off = run->io.data_offset;
	uint64_t bytes, end;
	uint8_t *data;

	if ((size != 1 && size != 2 && size != 4) ||
	    (dir != KVM_EXIT_IO_IN && dir != KVM_EXIT_IO_OUT) ||
	    __builtin_mul_overflow((uint64_t)size, (uint64_t)count, &bytes) ||
	    __builtin_add_overflow(off, bytes, &end) || end > run_size)
		return io_fault(bus, "malformed port I/O exit: port 0x%x, size %u, count %u, data offset 0x%llx",
				port, size, count, (unsigned long long)off);

	if (io_drain(bus) != IO_OK)	/* the writes KVM held came first */
		return IO_END;
	data = (uint8_t *)run + off;
	for (uint32_t k = 0; k < count; k++, data += size) {
		uint32_t v = dir == KVM_EXIT_IO_OUT ? load_le(data, size) : 0;
		enum io_result r = io_access(bus, port, size, dir == KVM_EXIT_IO_OUT, &v);

		if (dir == KVM_EXIT_IO_IN)
			memcpy(data, &v, size);
		if (r != IO_OK)
			return r;
	}
	return IO_OK;
}
