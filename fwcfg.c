/*
 * QEMU's fw_cfg, the traditional port interface: write a 16-bit key to 0x510,
 * read the item's bytes one by one from 0x511. Keys kvmrun does not know read
 * as zeros, as do bytes past an item's end. No DMA (the ID says so).
 */
#include <string.h>

#include "kvm.h"

static const struct fwcfg_item *find(const struct fwcfg *fc, uint16_t key)
{
	for (unsigned i = 0; i < fc->nitems; i++)
		if (fc->items[i].key == key)
			return &fc->items[i];
	return NULL;
}

static enum io_result fwcfg_in(struct io_bus *bus, void *dev, uint16_t port, unsigned size, uint32_t *val)
{
	struct fwcfg *fc = dev;
	const struct fwcfg_item *it = find(fc, fc->selected);
	uint32_t v = 0;

	(void)bus;
	if (port != FWCFG_PORT_DATA) {
		*val = 0;
		return IO_OK;
	}
	/* A wider read takes successive bytes, lowest first. */
	for (unsigned i = 0; i < size; i++, fc->offset++)
		if (it && fc->offset < it->len)
			v |= (uint32_t)it->data[fc->offset] << (8 * i);
	*val = v;
	return IO_OK;
}

static enum io_result fwcfg_out(struct io_bus *bus, void *dev, uint16_t port, unsigned size, uint32_t val)
{
	struct fwcfg *fc = dev;

	(void)bus, (void)size;
	if (port == FWCFG_PORT_SEL) {
		fc->selected = (uint16_t)val;
		fc->offset = 0;
	}
	return IO_OK;	/* the data port is read-only here */
}

static void add(struct fwcfg *fc, uint16_t key, const void *data, uint32_t len)
{
	fc->items[fc->nitems++] = (struct fwcfg_item){ .key = key, .data = data, .len = len };
}

int fwcfg_attach(struct fwcfg *fc, struct io_bus *bus, uint64_t ram_bytes, unsigned ncpus, const char *cmdline)
{
	static const struct port_dev d = {
		.name = "fw_cfg", .base = FWCFG_PORT_SEL, .len = 2, .in = fwcfg_in, .out = fwcfg_out,
	};
	struct port_dev dev = d;

	memset(fc, 0, sizeof *fc);
	memcpy(fc->signature, "QEMU", 4);
	fc->id = 1;			/* bit 0: the traditional interface; bit 1 (DMA) clear */
	fc->ram = ram_bytes;		/* little-endian, as x86 stores it */
	fc->cpus = (uint16_t)ncpus;	/* NB_CPUS and MAX_CPUS: every CPU is present from the start */
	fc->cmdline = cmdline ? cmdline : "";
	fc->cmdline_size = (uint32_t)strlen(fc->cmdline) + 1;
	add(fc, FWCFG_SIGNATURE, fc->signature, 4);
	add(fc, FWCFG_ID, &fc->id, 4);
	add(fc, FWCFG_RAM_SIZE, &fc->ram, 8);
	add(fc, FWCFG_NB_CPUS, &fc->cpus, 2);
	add(fc, FWCFG_MAX_CPUS, &fc->cpus, 2);
	add(fc, FWCFG_CMDLINE_SIZE, &fc->cmdline_size, 4);
	add(fc, FWCFG_CMDLINE_DATA, fc->cmdline, fc->cmdline_size);
	add(fc, FWCFG_FILE_DIR, fc->file_dir, sizeof fc->file_dir);	/* count 0: no files */
	dev.dev = fc;
	return io_attach(bus, &dev);
}
