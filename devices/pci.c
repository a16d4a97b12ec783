/*
 * PCI bus 0 behind configuration mechanism #1: CONFIG_ADDRESS at 0xcf8
 * (32-bit accesses only, as on a PC), CONFIG_DATA at 0xcfc-0xcff (every
 * width, at the byte the low address bits select). 00:00.0 is a host bridge
 * (Linux accepts mechanism #1 only when it finds one); the devices follow in
 * the order they were given. kvmrun places each device's one memory BAR in
 * the 32-bit hole, as firmware would, and follows the guest when it moves or
 * disables it. No INTx: every device interrupts through MSI-X.
 */
#include <stdio.h>
#include <string.h>
#include <linux/pci_regs.h>

#include "pci.h"

void pci_header(struct pci_dev *d, uint16_t vendor, uint16_t device, uint32_t class, uint8_t rev,
		uint16_t subvendor, uint16_t subdevice, uint64_t bar_size)
{
	memset(d->cfg, 0, sizeof d->cfg);
	memset(d->wmask, 0, sizeof d->wmask);
	put16(d->cfg + PCI_VENDOR_ID, vendor);
	put16(d->cfg + PCI_DEVICE_ID, device);
	d->cfg[PCI_REVISION_ID] = rev;
	d->cfg[PCI_CLASS_PROG] = (uint8_t)class;
	put16(d->cfg + PCI_CLASS_DEVICE, (uint16_t)(class >> 8));
	d->cfg[PCI_HEADER_TYPE] = PCI_HEADER_TYPE_NORMAL;
	put16(d->cfg + PCI_SUBSYSTEM_VENDOR_ID, subvendor);
	put16(d->cfg + PCI_SUBSYSTEM_ID, subdevice);
	put16(d->wmask + PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE);
	d->wmask[PCI_INTERRUPT_LINE] = 0xff;
	d->wmask[PCI_CACHE_LINE_SIZE] = 0xff;
	d->wmask[PCI_LATENCY_TIMER] = 0xff;
	d->bar_size = bar_size;
	if (bar_size) {
		put32(d->cfg + PCI_BASE_ADDRESS_0, PCI_BASE_ADDRESS_SPACE_MEMORY | PCI_BASE_ADDRESS_MEM_TYPE_32);
		put32(d->wmask + PCI_BASE_ADDRESS_0, (uint32_t)~(bar_size - 1));
	}
}

unsigned pci_add_cap(struct pci_dev *d, uint8_t id, unsigned len)
{
	unsigned at = d->cap_end ? (d->cap_end + 3) & ~3u : 0x40;

	if (len < 2 || at + len > sizeof d->cfg)
		return 0;
	d->cfg[at] = id;
	d->cfg[at + 1] = 0;
	if (d->cap_last)
		d->cfg[d->cap_last + 1] = (uint8_t)at;
	else
		d->cfg[PCI_CAPABILITY_LIST] = (uint8_t)at;
	put16(d->cfg + PCI_STATUS, get16(d->cfg + PCI_STATUS) | PCI_STATUS_CAP_LIST);
	d->cap_last = (uint16_t)at;
	d->cap_end = (uint16_t)(at + len);
	return at;
}

unsigned pci_add_msix(struct pci_dev *d, unsigned nvec, uint32_t table_off, uint32_t pba_off)
{
	unsigned at = pci_add_cap(d, PCI_CAP_ID_MSIX, PCI_CAP_MSIX_SIZEOF);

	if (!at || nvec == 0 || nvec > 2048)
		return 0;
	put16(d->cfg + at + PCI_MSIX_FLAGS, (uint16_t)(nvec - 1));
	put16(d->wmask + at + PCI_MSIX_FLAGS, PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
	put32(d->cfg + at + PCI_MSIX_TABLE, table_off);	/* BIR 0 */
	put32(d->cfg + at + PCI_MSIX_PBA, pba_off);
	d->msix_cap = (uint16_t)at;
	return at;
}

/* Where d's BAR 0 asks to decode: its address, and whether memory decoding is on. */
static bool bar_wanted(const struct pci_dev *d, uint64_t *base)
{
	*base = get32(d->cfg + PCI_BASE_ADDRESS_0) & PCI_BASE_ADDRESS_MEM_MASK;
	return d->bar_size && (get16(d->cfg + PCI_COMMAND) & PCI_COMMAND_MEMORY) && *base != 0;
}

/*
 * Every BAR decodes where the guest put it, unless it overlaps the BAR of a
 * device in an earlier slot: then it does not decode at all (two devices
 * answering one address would split its registers and its notifications
 * between them). Run after any write to a command register or a BAR.
 */
void pci_update_bars(struct pci_bus *pb)
{
	for (unsigned i = 1; i < pb->nslots; i++) {
		struct pci_dev *d = pb->slot[i];
		uint64_t base, other;
		bool on = bar_wanted(d, &base);

		for (unsigned j = 1; on && j < i; j++)
			if (bar_wanted(pb->slot[j], &other) && base < other + pb->slot[j]->bar_size &&
			    other < base + d->bar_size)
				on = false;
		if (on == d->bar_on && (!on || base == d->bar_base))
			continue;
		if (d->ops && d->ops->bar_moved && d->bar_on)
			d->ops->bar_moved(d, d->bar_base, false);	/* off first: another may take the address */
		d->bar_on = on;
		if (on)
			d->bar_base = base;
		mmio_move(pb->mmio, d->mmio, base, on);
	}
	for (unsigned i = 1; i < pb->nslots; i++) {
		struct pci_dev *d = pb->slot[i];

		if (d->ops && d->ops->bar_moved && d->bar_on)
			d->ops->bar_moved(d, d->bar_base, true);
	}
}

/* The device CONFIG_ADDRESS selects, and the register offset; NULL when none answers. */
static struct pci_dev *selected(struct pci_bus *pb, unsigned *reg)
{
	uint32_t a = pb->addr;
	unsigned bus = (a >> 16) & 0xff, slot = (a >> 11) & 0x1f, fn = (a >> 8) & 7;

	if (!(a & 0x80000000u) || bus != 0 || fn != 0)
		return NULL;
	*reg = a & 0xfc;
	return pb->slot[slot];
}

static enum io_result addr_in(struct io_bus *bus, void *dev, uint16_t port, unsigned size, uint32_t *val)
{
	struct pci_bus *pb = dev;

	(void)bus;
	/* CONFIG_ADDRESS is a 32-bit register; narrower accesses reach no register (the bus floats). */
	*val = (size == 4 && port == PCI_CONFIG_ADDR) ? pb->addr : 0xffffffffu;
	return IO_OK;
}

static enum io_result addr_out(struct io_bus *bus, void *dev, uint16_t port, unsigned size, uint32_t val)
{
	struct pci_bus *pb = dev;

	(void)bus;
	if (size == 4 && port == PCI_CONFIG_ADDR)
		pb->addr = val & 0x80fffffcu;	/* enable, bus, device, function, register */
	return IO_OK;
}

static enum io_result data_in(struct io_bus *bus, void *dev, uint16_t port, unsigned size, uint32_t *val)
{
	struct pci_bus *pb = dev;
	unsigned reg, off = port - PCI_CONFIG_DATA;
	struct pci_dev *d = selected(pb, &reg);
	uint8_t b[4] = { 0xff, 0xff, 0xff, 0xff };

	(void)bus;
	for (unsigned i = 0; d && i < size && off + i < 4; i++)
		b[i] = d->cfg[reg + off + i];
	memcpy(val, b, 4);
	return IO_OK;
}

static enum io_result data_out(struct io_bus *bus, void *dev, uint16_t port, unsigned size, uint32_t val)
{
	struct pci_bus *pb = dev;
	unsigned reg, off = port - PCI_CONFIG_DATA, start, n = 0;
	struct pci_dev *d = selected(pb, &reg);
	uint8_t b[4];

	(void)bus;
	if (!d)
		return IO_OK;
	memcpy(b, &val, 4);
	start = reg + off;
	for (unsigned i = 0; i < size && off + i < 4; i++, n++) {
		uint8_t m = d->wmask[start + i];

		d->cfg[start + i] = (uint8_t)((d->cfg[start + i] & ~m) | (b[i] & m));
	}
	if (n == 0)
		return IO_OK;
	if (start < PCI_BASE_ADDRESS_0 + 4 && start + n > PCI_COMMAND)
		pci_update_bars(pb);
	if (d->ops && d->ops->config_written)
		d->ops->config_written(d, start, n);
	return IO_OK;
}

int pci_plug(struct pci_bus *pb, struct pci_dev *d, mmio_fn fn, void *dev)
{
	if (pb->nslots == PCI_MAX_SLOTS) {
		fprintf(stderr, "kvmrun: %s: the PCI bus is full (%d devices at most)\n", d->name, PCI_MAX_SLOTS - 1);
		return -1;
	}
	d->slot = pb->nslots;
	if (d->bar_size) {
		d->bar_base = PCI_MMIO_START + (uint64_t)(d->slot - 1) * PCI_BAR_SPAN;
		if (d->bar_size > PCI_BAR_SPAN || d->bar_base + PCI_BAR_SPAN > PCI_MMIO_END)
			return -1;
		d->mmio = mmio_add(pb->mmio, d->name, d->bar_size, fn, dev);
		if (d->mmio < 0)
			return -1;
		put32(d->cfg + PCI_BASE_ADDRESS_0, (uint32_t)d->bar_base |
		       (get32(d->cfg + PCI_BASE_ADDRESS_0) & ~PCI_BASE_ADDRESS_MEM_MASK));
		put16(d->cfg + PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
		d->bar_on = true;
		mmio_move(pb->mmio, d->mmio, d->bar_base, true);
	}
	pb->slot[pb->nslots++] = d;
	return 0;
}

int pci_attach(struct pci_bus *pb, struct io_bus *bus, struct mmio_bus *mmio)
{
	/* CONFIG_ADDRESS only selects: its writes wait in KVM's ring for the next exit (vm_attach_devices). */
	const struct port_dev addr = { .name = "pci-config-address", .base = PCI_CONFIG_ADDR, .len = 4,
				       .in = addr_in, .out = addr_out, .dev = pb };
	const struct port_dev data = { .name = "pci-config-data", .base = PCI_CONFIG_DATA, .len = 4,
				       .in = data_in, .out = data_out, .dev = pb };

	pb->mmio = mmio;
	pb->host.name = "host bridge";
	/* Red Hat's PCIe host bridge ID (QEMU's gpex): no chipset quirks attach to it. */
	pci_header(&pb->host, 0x1b36, 0x0008, 0x060000, 0, 0x1b36, 0x0008, 0);
	pb->slot[0] = &pb->host;
	pb->nslots = 1;
	return io_attach(bus, &addr) < 0 || io_attach(bus, &data) < 0 ? -1 : 0;
}

void pci_verbose(const struct pci_bus *pb, FILE *f)
{
	for (unsigned i = 0; i < pb->nslots; i++) {
		const struct pci_dev *d = pb->slot[i];
		char bar[64] = "no BAR";
		char irq[64] = "no interrupt";

		if (d->bar_size)
			snprintf(bar, sizeof bar, "BAR0 0x%llx-0x%llx", (unsigned long long)d->bar_base,
				 (unsigned long long)(d->bar_base + d->bar_size - 1));
		if (d->msix_cap)
			snprintf(irq, sizeof irq, "MSI-X, %u vectors",
				 (get16(d->cfg + d->msix_cap + PCI_MSIX_FLAGS) & PCI_MSIX_FLAGS_QSIZE) + 1);
		fprintf(f, "kvmrun: pci 00:%02x.0 %04x:%04x %s: %s, %s\n", d->slot,
			get16(d->cfg + PCI_VENDOR_ID), get16(d->cfg + PCI_DEVICE_ID), d->name, bar, irq);
	}
}
