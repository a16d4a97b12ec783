/*
 * fuzz_io: io_exit() on run pages from the input, with the runner's devices
 * on the bus (COM1 on a console writing to /dev/null and reading an empty
 * non-blocking pipe, the exit ports, fw_cfg). Input:
 *   byte 0      bits 0-2: records - 1; bit 3: count accesses; bit 4: fw_cfg
 *               without a command line
 *   bytes 1-2   run_size = sizeof(struct kvm_run) + this mod the rest of a page;
 *               the run page is malloc'd to exactly run_size bytes
 *   records     16 bytes each: direction, size, port (2), count (4),
 *               data_offset (8), little-endian, stored as KVM stores them
 *   the rest    fills the run page, repeated
 * Each record is one io_exit() on the same page and bus, the run going on
 * after an end. io_exit's contract is checked: a malformed exit (size not
 * 1, 2 or 4, bad direction, data past run_size) is a guest fault that
 * touches nothing; a good one returns IO_END exactly when bus->end says why,
 * writes only its data bytes and only for IN, counts each access; the
 * exit ports, fw_cfg and ports with no device answer as their comments say
 * (not checked for an access whose bytes reach two devices: see straddles()).
 */
#include <fcntl.h>
#include <linux/serial_reg.h>
#include <unistd.h>

#include "fuzz_util.h"

#define PAGE 4096
#define RECORD 16
static const char cmdline[] = "console=ttyS0 fuzz=1";

static int out_fd = -1, in_fd = -1;
static struct io_bus bus;
static struct console con;
static struct uart com1;
static struct fwcfg fwcfg;
static struct run_end end;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int p[2];

	(void)argc, (void)argv;
	out_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (out_fd < 0 || pipe2(p, O_NONBLOCK | O_CLOEXEC) < 0) {
		perror("fuzz_io: /dev/null or pipe");
		exit(1);
	}
	in_fd = p[0];	/* the write end p[1] stays open and unwritten: no input, no EOF */
	return 0;
}

/* fw_cfg as QEMU documents it: the selected item's bytes from 0x511, then zeros. */
struct fw_model {
	uint16_t key;
	uint32_t offset;
	bool unknown;		/* a straddling access may have selected or read: wait for a select */
	const char *cmdline;
};

static uint8_t fw_byte(const struct fw_model *f, uint64_t ram)
{
	uint8_t item[64] = { 0 };
	size_t len = 0;

	switch (f->key) {
	case FWCFG_SIGNATURE: memcpy(item, "QEMU", 4); len = 4; break;
	case FWCFG_ID: item[0] = 1; len = 4; break;
	case FWCFG_RAM_SIZE: for (int i = 0; i < 8; i++) item[i] = (uint8_t)(ram >> (8 * i)); len = 8; break;
	case FWCFG_NB_CPUS: case FWCFG_MAX_CPUS: item[0] = 1; len = 2; break;
	case FWCFG_CMDLINE_SIZE: item[0] = (uint8_t)(strlen(f->cmdline) + 1); len = 4; break;
	case FWCFG_CMDLINE_DATA: len = strlen(f->cmdline) + 1; memcpy(item, f->cmdline, len); break;
	case FWCFG_FILE_DIR: len = 4; break;
	}
	return f->offset < len ? item[f->offset] : 0;
}

/* Which device owns a port, as the runner attaches them; 0 for none. */
static int owner(uint32_t p)
{
	if (p >= PORT_COM1 && p < PORT_COM1 + 8)
		return 1;
	if (p >= PORT_QEMU_EXIT && p < PORT_QEMU_EXIT + PORT_QEMU_EXIT_LEN)
		return 2;
	if (p == PORT_EXIT)
		return 3;
	if (p == FWCFG_PORT_SEL || p == FWCFG_PORT_DATA)
		return 4;
	return 0;
}

/*
 * Does a later byte of the access reach another device (a 2-byte write at
 * 0x50f, 4 bytes at 0xf6)? Whether the first port's device takes all of it
 * or the bus splits it by byte, as ISA does, is not in kvm.h's contract yet
 * (io.c is changing): only the device-independent properties are checked.
 */
static bool straddles(uint16_t port, unsigned size)
{
	for (unsigned b = 1; b < size && port + b <= 0xffff; b++)
		if (owner(port + b) && owner(port + b) != owner(port))
			return true;
	return false;
}

static void one_exit(struct kvm_run *run, size_t run_size, const uint8_t *rec, bool counting,
		     struct fw_model *fw, uint8_t *before)
{
	const uint8_t dir = rec[0], size = rec[1];
	const uint16_t port = (uint16_t)le(rec + 2, 2);
	const uint32_t count = (uint32_t)le(rec + 4, 4);
	const uint64_t off = le(rec + 8, 8);
	const bool out = dir == KVM_EXIT_IO_OUT;
	uint64_t bytes, last, counted = 0, unclaimed = bus.unclaimed;
	bool valid;
	enum io_result r;

	run->io.direction = dir;
	run->io.size = size;
	run->io.port = port;
	run->io.count = count;
	run->io.data_offset = off;
	valid = (size == 1 || size == 2 || size == 4) && (dir == KVM_EXIT_IO_IN || out) &&
		!__builtin_mul_overflow((uint64_t)size, (uint64_t)count, &bytes) &&
		!__builtin_add_overflow(off, bytes, &last) && last <= run_size;
	memcpy(before, run, run_size);
	if (counting)
		counted = bus.counts[port][out];
	memset(&end, 0, sizeof end);

	r = io_exit(&bus, run, run_size);

	CHECK(r == IO_OK || r == IO_END, "io_exit returned %d", r);
	CHECK((r == IO_END) == (end.kind != END_NONE), "io_exit returned %d with end.kind %d", r, end.kind);
	if (!valid) {
		CHECK(r == IO_END && end.kind == END_FAULT, "malformed exit (dir %u size %u count %u offset 0x%llx, "
		      "run_size %zu) not a guest fault", dir, size, count, (unsigned long long)off, run_size);
		CHECK(memcmp(before, run, run_size) == 0, "a malformed exit changed the run page");
		CHECK(!counting || bus.counts[port][out] == counted, "a malformed exit was counted");
		return;
	}
	/* Only an IN's data bytes may change. */
	for (uint64_t i = 0; i < run_size; i++)
		CHECK(((uint8_t *)run)[i] == before[i] || (!out && i >= off && i < off + bytes),
		      "byte 0x%llx of the run page changed (dir %u, data 0x%llx+0x%llx)", (unsigned long long)i, dir,
		      (unsigned long long)off, (unsigned long long)bytes);
	if (straddles(port, size)) {
		fw->unknown = true;
		return;
	}
	if (counting)
		CHECK(r == IO_OK ? bus.counts[port][out] - counted == count :
		      bus.counts[port][out] - counted >= 1 && bus.counts[port][out] - counted <= count,
		      "%llu accesses counted of %u", (unsigned long long)(bus.counts[port][out] - counted), count);
	CHECK(count || r == IO_OK, "an exit with count 0 ended the run");

	const uint8_t *data = (const uint8_t *)run + off, *was = before + off;
	uint32_t first = count ? (uint32_t)le(was, size) : 0;

	if (port >= PORT_COM1 && port < PORT_COM1 + 8) {
		CHECK(r == IO_OK, "COM1 ended the run (kind %d) writing to /dev/null", end.kind);
		/* LSR: the transmitter is always empty, and no input ever waits (the pipe stays empty). */
		for (uint32_t k = 0; !out && port <= PORT_COM1 + 5 && PORT_COM1 + 5u - port < size && k < count; k++)
			CHECK(data[(uint64_t)k * size + (PORT_COM1 + 5u - port)] == (UART_LSR_THRE | UART_LSR_TEMT),
			      "COM1 LSR read as 0x%x", data[(uint64_t)k * size + (PORT_COM1 + 5u - port)]);
	} else if (port >= PORT_QEMU_EXIT && port < PORT_QEMU_EXIT + PORT_QEMU_EXIT_LEN) {
		if (out && count)
			CHECK(r == IO_END && end.kind == END_EXIT && end.status == (int)((((uint64_t)first << 1) | 1) & 0xff),
			      "isa-debug-exit write of 0x%x: kind %d status %d", first, end.kind, end.status);
		for (uint64_t i = 0; !out && i < bytes; i++)
			CHECK(data[i] == 0, "isa-debug-exit read as 0x%x", data[i]);
	} else if (port == PORT_EXIT) {
		if (out && count)
			CHECK(r == IO_END && (first <= 255 ? end.kind == END_EXIT && end.status == (int)first :
					      end.kind == END_FAULT),
			      "exit port write of %u: kind %d status %d", first, end.kind, end.status);
		for (uint64_t i = 0; !out && i < bytes; i++)
			CHECK(data[i] == 0, "exit port read as 0x%x", data[i]);
	} else if (port == FWCFG_PORT_SEL || port == FWCFG_PORT_DATA) {
		CHECK(r == IO_OK, "fw_cfg ended the run");
		for (uint32_t k = 0; k < count; k++) {
			if (out && port == FWCFG_PORT_SEL) {
				fw->key = (uint16_t)le(was + (uint64_t)k * size, size);
				fw->offset = 0;
				fw->unknown = false;
			}
			for (unsigned b = 0; !out && !fw->unknown && b < size; b++) {
				uint8_t want = port == FWCFG_PORT_DATA ? fw_byte(fw, FUZZ_RAM) : 0;

				CHECK(data[(uint64_t)k * size + b] == want, "fw_cfg key 0x%x offset %u read 0x%x, not 0x%x",
				      fw->key, fw->offset, data[(uint64_t)k * size + b], want);
				fw->offset += port == FWCFG_PORT_DATA;
			}
		}
	} else {
		CHECK(r == IO_OK && bus.unclaimed - unclaimed == count, "port 0x%x (no device): result %d, %llu "
		      "unclaimed of %u", port, r, (unsigned long long)(bus.unclaimed - unclaimed), count);
		for (uint64_t i = 0; !out && i < bytes; i++)
			CHECK(data[i] == 0xff, "port 0x%x (no device) read as 0x%x", port, data[i]);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const size_t base = sizeof(struct kvm_run);
	unsigned nrec;
	size_t run_size, rest;
	const uint8_t *recs, *fill;
	uint8_t *page, *before;
	bool counting;
	struct fw_model fw = { 0 };

	if (size < 3)
		return 0;
	nrec = (data[0] & 7) + 1;
	counting = data[0] & 8;
	fw.cmdline = data[0] & 16 ? "" : cmdline;
	run_size = base + (size_t)le(data + 1, 2) % (PAGE - base + 1);
	recs = data + 3;
	if ((size - 3) / RECORD < nrec)
		nrec = (unsigned)((size - 3) / RECORD);
	fill = recs + (size_t)nrec * RECORD;
	rest = size - 3 - (size_t)nrec * RECORD;

	page = malloc(run_size);
	before = malloc(run_size);
	for (size_t i = 0; i < run_size; i++)
		page[i] = rest ? fill[i % rest] : 0;

	if (io_init(&bus, &end, counting, false) < 0)
		abort();
	console_init(&con, out_fd, in_fd);
	CHECK(uart_attach(&com1, &bus, PORT_COM1, &con) == 0 && exitport_attach(&bus) == 0 &&
	      fwcfg_attach(&fwcfg, &bus, FUZZ_RAM, 1, data[0] & 16 ? NULL : cmdline) == 0, "attaching the devices");
	for (unsigned i = 0; i < nrec; i++)
		one_exit((struct kvm_run *)page, run_size, recs + (size_t)i * RECORD, counting, &fw, before);
	io_free(&bus);
	free(before);
	free(page);
	return 0;
}
