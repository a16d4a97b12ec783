/*
 * Unit tests of the parts of kvmrun that need no KVM: option parsing,
 * guest_range, port I/O dispatch with the UART and the exit ports, the PC
 * devices (RTC, i8042, pvpanic), and the console. Prints each failed check with file:line and the values,
 * then "unit: N checks, M failed"; exits 1 if any failed.
 *
 * tests/unit --known-bugs runs instead the checks of known bugs in the
 * core (they assert the correct behaviour and fail until it is fixed).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kvm.h"
#include "devices/devices.h"
#include "devices/virtio.h"
#include "snapshot/snapshot.h"
#include <linux/virtio_ring.h>

static unsigned checks, failed;

static void check_u(const char *file, int line, const char *expr, uint64_t got, uint64_t want)
{
	checks++;
	if (got == want)
		return;
	failed++;
	printf("%s:%d: %s is %llu (0x%llx), want %llu (0x%llx)\n", file, line, expr,
	       (unsigned long long)got, (unsigned long long)got,
	       (unsigned long long)want, (unsigned long long)want);
}

static void check_s(const char *file, int line, const char *expr, const char *got, const char *want)
{
	checks++;
	if (got && want && strcmp(got, want) == 0)
		return;
	failed++;
	printf("%s:%d: %s is \"%s\", want \"%s\"\n", file, line, expr,
	       got ? got : "(null)", want ? want : "(null)");
}

static void print_hex(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n && i < 64; i++)
		printf("%s%02x", i ? " " : "", p[i]);
	if (n > 64)
		printf(" ... (%zu bytes)", n);
}

static void check_mem(const char *file, int line, const char *expr, const void *got, size_t got_len,
		      const void *want, size_t want_len)
{
	checks++;
	if (got_len == want_len && memcmp(got, want, got_len) == 0)
		return;
	failed++;
	printf("%s:%d: %s is [", file, line, expr);
	print_hex(got, got_len);
	printf("], want [");
	print_hex(want, want_len);
	printf("]\n");
}

/* CHECK(cond); CHECK_U(got, want) for integers; CHECK_S for strings; CHECK_MEM for bytes. */
#define CHECK(cond) check_u(__FILE__, __LINE__, #cond, (uint64_t)!!(cond), 1)
#define CHECK_U(got, want) check_u(__FILE__, __LINE__, #got, (uint64_t)(got), (uint64_t)(want))
#define CHECK_S(got, want) check_s(__FILE__, __LINE__, #got, (got), (want))
#define CHECK_MEM(got, got_len, want, want_len) \
	check_mem(__FILE__, __LINE__, #got, (got), (got_len), (want), (want_len))

/* ---- parse.c ---- */

#define UNTOUCHED 0x5eed5eed5eed5eedULL

typedef int parse_fn(const char *s, uint64_t *out, const char **why);

/* One parse that must succeed with want, and leave why alone. */
static void parse_ok(const char *file, int line, parse_fn *f, const char *s, uint64_t want)
{
	uint64_t v = UNTOUCHED;
	const char *why = "untouched";

	check_u(file, line, s, (uint64_t)f(s, &v, &why), 0);
	check_u(file, line, s, v, want);
}

/* One parse that must fail with why and leave the output untouched. */
static void parse_bad(const char *file, int line, parse_fn *f, const char *s, const char *want_why)
{
	uint64_t v = UNTOUCHED;
	const char *why = NULL;
	int r = f(s, &v, &why);

	check_u(file, line, s, (uint64_t)(int64_t)r, (uint64_t)(int64_t)-1);
	check_u(file, line, s, v, UNTOUCHED);
	check_s(file, line, s, why, want_why);
}

#define OK(f, s, want) parse_ok(__FILE__, __LINE__, f, s, want)
#define BAD(f, s, why) parse_bad(__FILE__, __LINE__, f, s, why)

static void test_parse_size(void)
{
	const char *why;
	uint64_t v;

	OK(parse_size, "16", 16ULL << 20);
	OK(parse_size, "1", 1ULL << 20);
	OK(parse_size, "512K", 512ULL << 10);
	OK(parse_size, "512k", 512ULL << 10);
	OK(parse_size, "16M", 16ULL << 20);
	OK(parse_size, "16m", 16ULL << 20);
	OK(parse_size, "4G", 4ULL << 30);
	OK(parse_size, "4g", 4ULL << 30);
	OK(parse_size, "1T", 1ULL << 40);
	OK(parse_size, "1t", 1ULL << 40);
	OK(parse_size, "0016", 16ULL << 20);
	OK(parse_size, "16777215T", 16777215ULL << 40);	/* the largest T that fits */
	OK(parse_size, "17179869183G", 17179869183ULL << 30);
	OK(parse_size, "18014398509481983K", 18014398509481983ULL << 10);	/* 2^54 - 1 */
	BAD(parse_size, "18014398509481984K", "too large");
	BAD(parse_size, "", "empty");
	BAD(parse_size, NULL, "empty");
	BAD(parse_size, "0", "zero");
	BAD(parse_size, "0K", "zero");
	BAD(parse_size, "-1", "negative");
	BAD(parse_size, "abc", "not a number");
	BAD(parse_size, "+1", "not a number");
	BAD(parse_size, " 1", "not a number");
	BAD(parse_size, "K", "not a number");
	BAD(parse_size, "16X", "trailing garbage after the number (use K, M, G or T)");
	BAD(parse_size, "0x10", "trailing garbage after the number (use K, M, G or T)");
	BAD(parse_size, "1.5G", "trailing garbage after the number (use K, M, G or T)");
	BAD(parse_size, "16MB", "trailing garbage after the unit");
	BAD(parse_size, "16M ", "trailing garbage after the unit");
	BAD(parse_size, "99999999999999999999", "too large");
	BAD(parse_size, "18446744073709551616K", "too large");
	BAD(parse_size, "18446744073709551615G", "too large");
	BAD(parse_size, "16777216T", "too large");
	BAD(parse_size, "17179869184G", "too large");
	/* "16" is MiB: the plain number is shifted, so 2^44 MiB is already too much. */
	BAD(parse_size, "17592186044416", "too large");
	OK(parse_size, "17592186044415", 17592186044415ULL << 20);
	/* A NULL why is allowed. */
	CHECK_U(parse_size("x", &v, NULL), (uint64_t)(int64_t)-1);
	why = NULL;
	CHECK_U(parse_size("2K", &v, &why), 0);
	CHECK(why == NULL);
}

static void test_parse_addr(void)
{
	OK(parse_addr, "0x1f00", 0x1f00);
	OK(parse_addr, "0X1F00", 0x1f00);
	OK(parse_addr, "0xAbCdEf", 0xabcdef);
	OK(parse_addr, "7936", 7936);
	OK(parse_addr, "0", 0);
	OK(parse_addr, "0x0", 0);
	OK(parse_addr, "010", 10);	/* decimal, not octal */
	OK(parse_addr, "0x100000", 0x100000);
	OK(parse_addr, "0xffffffffffffffff", UINT64_MAX);
	OK(parse_addr, "18446744073709551615", UINT64_MAX);
	BAD(parse_addr, "", "empty");
	BAD(parse_addr, NULL, "empty");
	BAD(parse_addr, "0x", "not a number");
	BAD(parse_addr, "0X", "not a number");
	BAD(parse_addr, "0xg", "not a number");
	BAD(parse_addr, "0x-1", "not a number");
	BAD(parse_addr, "x10", "not a number");
	BAD(parse_addr, "abc", "not a number");
	BAD(parse_addr, "12z", "trailing garbage after the number");
	BAD(parse_addr, "0x12z", "trailing garbage after the number");
	BAD(parse_addr, "1f", "trailing garbage after the number");
	BAD(parse_addr, "16K", "trailing garbage after the number");
	BAD(parse_addr, "0x10000000000000000", "too large");
	BAD(parse_addr, "18446744073709551616", "too large");
	BAD(parse_addr, "99999999999999999999999", "too large");
	BAD(parse_addr, "-1", "negative");
	BAD(parse_addr, "-0x10", "negative");
}

/* parse_cpus through parse_fn's shape: the output is written only on success. */
static int parse_cpus64(const char *s, uint64_t *out, const char **why)
{
	unsigned n;

	if (parse_cpus(s, &n, why) < 0)
		return -1;
	*out = n;
	return 0;
}

static void test_parse_cpus(void)
{
	OK(parse_cpus64, "1", 1);
	OK(parse_cpus64, "4", 4);
	OK(parse_cpus64, "128", 128);
	OK(parse_cpus64, "0128", 128);	/* decimal, not octal */
	BAD(parse_cpus64, "0", "zero: a VM needs at least one vCPU");
	BAD(parse_cpus64, "000", "zero: a VM needs at least one vCPU");
	BAD(parse_cpus64, "129", "more than kvmrun's maximum of 128 vCPUs");
	BAD(parse_cpus64, "4294967297", "more than kvmrun's maximum of 128 vCPUs");
	BAD(parse_cpus64, "99999999999999999999999", "more than kvmrun's maximum of 128 vCPUs");
	BAD(parse_cpus64, "", "empty");
	BAD(parse_cpus64, NULL, "empty");
	BAD(parse_cpus64, "-1", "negative");
	BAD(parse_cpus64, "x", "not a number");
	BAD(parse_cpus64, "0x4", "trailing garbage after the number");
	BAD(parse_cpus64, "2x", "trailing garbage after the number");
	BAD(parse_cpus64, "4 ", "trailing garbage after the number");
}

static void test_parse_seconds(void)
{
	OK(parse_seconds, "2", 2000000000ULL);
	OK(parse_seconds, "0.25", 250000000ULL);
	OK(parse_seconds, ".5", 500000000ULL);
	OK(parse_seconds, "0.000000001", 1);
	OK(parse_seconds, "1.", 1000000000ULL);
	OK(parse_seconds, "1.5", 1500000000ULL);
	OK(parse_seconds, "0.123456789", 123456789ULL);
	OK(parse_seconds, "1.9999999999", 1999999999ULL);	/* beyond ns: truncated */
	OK(parse_seconds, "0.00000000199", 1);
	OK(parse_seconds, "1000000000", 1000000000ULL * 1000000000ULL);
	BAD(parse_seconds, "0", "zero");
	BAD(parse_seconds, "0.0", "zero");
	BAD(parse_seconds, ".0", "zero");
	BAD(parse_seconds, "0.0000000001", "less than a nanosecond");
	BAD(parse_seconds, "-1", "negative");
	BAD(parse_seconds, "-0.5", "negative");
	BAD(parse_seconds, "1e3", "trailing garbage after the number");
	BAD(parse_seconds, "inf", "not a number");
	BAD(parse_seconds, "nan", "not a number");
	BAD(parse_seconds, "INF", "not a number");
	BAD(parse_seconds, "1.2.3", "trailing garbage after the number");
	BAD(parse_seconds, "2s", "trailing garbage after the number");
	BAD(parse_seconds, ".", "not a number");
	BAD(parse_seconds, ".e", "not a number");
	BAD(parse_seconds, "", "empty");
	BAD(parse_seconds, NULL, "empty");
	BAD(parse_seconds, "1000000001", "too large (at most 1000000000 seconds)");
	BAD(parse_seconds, "99999999999999999999", "too large (at most 1000000000 seconds)");
}

static void test_modes(void)
{
	enum cpu_mode m = MODE_LONG;

	CHECK_U(parse_mode("real", &m), 0);
	CHECK_U(m, MODE_REAL);
	CHECK_U(parse_mode("protected", &m), 0);
	CHECK_U(m, MODE_PROTECTED);
	CHECK_U(parse_mode("long", &m), 0);
	CHECK_U(m, MODE_LONG);
	m = MODE_PROTECTED;
	CHECK_U(parse_mode("Real", &m), (uint64_t)(int64_t)-1);
	CHECK_U(parse_mode("", &m), (uint64_t)(int64_t)-1);
	CHECK_U(parse_mode("longer", &m), (uint64_t)(int64_t)-1);
	CHECK_U(parse_mode("prot", &m), (uint64_t)(int64_t)-1);
	CHECK_U(m, MODE_PROTECTED);	/* untouched on failure */
	CHECK_S(mode_name(MODE_REAL), "real");
	CHECK_S(mode_name(MODE_PROTECTED), "protected");
	CHECK_S(mode_name(MODE_LONG), "long");
	CHECK_S(mode_name(MODE_USER), "user");
	CHECK_S(mode_name((enum cpu_mode)(MODE_USER + 1)), "?");
	CHECK_S(mode_name((enum cpu_mode)-1), "?");
	/* Every name parses back to its mode. */
	for (int i = MODE_REAL; i <= MODE_USER; i++) {
		CHECK_U(parse_mode(mode_name((enum cpu_mode)i), &m), 0);
		CHECK_U(m, i);
	}
}

/* ---- guest_range ---- */

/* RAM split around the 32-bit hole: 3 GiB at 0, the rest from 4 GiB; nothing in between. */
static void test_guest_range_split(void)
{
	uint8_t *base = (uint8_t *)(uintptr_t)0x10000000;	/* never dereferenced */
	const uint64_t low = GUEST_HOLE_START, high = 2ULL << 30;
	const struct guest_mem m = { .host = base, .size = low + high, .high = high };
	char buf[80];

	CHECK_U(ram_low(5ULL << 30), low);
	CHECK_U(ram_high(5ULL << 30), high);
	CHECK_U(ram_top(5ULL << 30), GUEST_HIGH_START + high);
	CHECK_U(ram_high(low), 0);
	CHECK_U(ram_top(low), low);
	CHECK_S(ram_str(5ULL << 30, buf, sizeof buf), "0x0-0xbfffffff and 0x100000000-0x17fffffff");
	CHECK_S(ram_str(16 << 20, buf, sizeof buf), "0x0-0xffffff");
	CHECK(guest_range(&m, 0, low) == base);
	CHECK(guest_range(&m, low - 1, 1) == base + low - 1);
	CHECK(guest_range(&m, low, 0) == base + low);		/* empty, at the low block's top */
	CHECK(guest_range(&m, low - 1, 2) == NULL);		/* into the hole */
	CHECK(guest_range(&m, low, 1) == NULL);
	CHECK(guest_range(&m, 0xfee00000, 4) == NULL);		/* the LAPIC */
	CHECK(guest_range(&m, GUEST_HIGH_START - 1, 2) == NULL);	/* from the hole into high RAM */
	CHECK(guest_range(&m, GUEST_HIGH_START, high) == base + low);
	CHECK(guest_range(&m, GUEST_HIGH_START + high - 1, 1) == base + low + high - 1);
	CHECK(guest_range(&m, GUEST_HIGH_START + high, 0) == base + low + high);
	CHECK(guest_range(&m, GUEST_HIGH_START + high, 1) == NULL);
	CHECK(guest_range(&m, GUEST_HIGH_START, high + 1) == NULL);
	CHECK(guest_range(&m, 0, GUEST_HIGH_START + 1) == NULL);	/* across the hole */
	CHECK(guest_range(&m, UINT64_MAX, 1) == NULL);
	CHECK(guest_range(&m, GUEST_HIGH_START, UINT64_MAX) == NULL);
}

static void test_guest_range(void)
{
	static uint8_t ram[4096];
	const struct guest_mem m = { .host = ram, .size = sizeof ram };
	const struct guest_mem empty = { .host = ram, .size = 0 };
	const uint64_t size = sizeof ram;

	CHECK(guest_range(&m, 0, size) == ram);		/* ends exactly at the top */
	CHECK(guest_range(&m, 0, 0) == ram);
	CHECK(guest_range(&m, 0, 1) == ram);
	CHECK(guest_range(&m, 0, size + 1) == NULL);
	CHECK(guest_range(&m, size, 0) == ram + size);	/* empty range at the top */
	CHECK(guest_range(&m, size, 1) == NULL);
	CHECK(guest_range(&m, size + 1, 0) == NULL);
	CHECK(guest_range(&m, size - 1, 1) == ram + size - 1);
	CHECK(guest_range(&m, size - 1, 2) == NULL);
	CHECK(guest_range(&m, 0x123, 0x10) == ram + 0x123);
	CHECK(guest_range(&m, 0x800, 0x800) == ram + 0x800);
	CHECK(guest_range(&m, 0x800, 0x801) == NULL);
	CHECK(guest_range(&m, UINT64_MAX, 1) == NULL);
	CHECK(guest_range(&m, UINT64_MAX, 0) == NULL);
	CHECK(guest_range(&m, 1, UINT64_MAX) == NULL);
	CHECK(guest_range(&m, UINT64_MAX, UINT64_MAX) == NULL);
	CHECK(guest_range(&m, 0, UINT64_MAX) == NULL);
	CHECK(guest_range(&m, 2, UINT64_MAX - 1) == NULL);	/* wraps to exactly 0 */
	CHECK(guest_range(&m, size, UINT64_MAX - size + 1) == NULL);	/* wraps to 0 */
	CHECK(guest_range(&m, UINT64_MAX - size + 1, size) == NULL);	/* wraps to 0 */

	CHECK(guest_range(&empty, 0, 0) == ram);
	CHECK(guest_range(&empty, 0, 1) == NULL);
	CHECK(guest_range(&empty, 1, 0) == NULL);
	CHECK(guest_range(&empty, UINT64_MAX, 1) == NULL);
	CHECK(guest_range(&empty, 1, UINT64_MAX) == NULL);
	CHECK(guest_range(&empty, UINT64_MAX, UINT64_MAX) == NULL);
}

/* ---- helpers for the device tests ---- */

/* stderr into a temporary file while a call runs, to check what it reports. */
static int saved_stderr = -1;
static FILE *captured;

static void capture_stderr(void)
{
	fflush(stderr);
	captured = tmpfile();
	saved_stderr = dup(STDERR_FILENO);
	if (!captured || saved_stderr < 0 || dup2(fileno(captured), STDERR_FILENO) < 0) {
		perror("unit: cannot capture stderr");
		exit(2);
	}
}

/* Restores stderr; returns what was written (static buffer). */
static const char *captured_stderr(void)
{
	static char buf[1024];
	size_t n;

	fflush(stderr);
	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	rewind(captured);
	n = fread(buf, 1, sizeof buf - 1, captured);
	buf[n] = '\0';
	fclose(captured);
	return buf;
}

static void make_pipe(int p[2], bool nonblock_read)
{
	if (pipe(p) < 0) {
		perror("unit: pipe");
		exit(2);
	}
	if (nonblock_read)
		fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_NONBLOCK);
}

/* Everything waiting in a non-blocking pipe, up to len bytes. */
static size_t drain(int fd, uint8_t *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, buf + got, len - got);

		if (n <= 0)
			break;
		got += (size_t)n;
	}
	return got;
}

/* A KVM-like run area: the kvm_run page, then the page KVM packs port data in. */
#define RUN_SIZE 8192
#define DATA_OFF 4096

static struct kvm_run *run;
static uint8_t *data;		/* (uint8_t *)run + DATA_OFF */
static struct io_bus bus;
static struct console con;
static struct uart com1;
static struct run_end end;
static int out_pipe[2], in_pipe[2];

/* One port I/O exit, as KVM would describe it; fills the data area from bytes when given. */
static enum io_result io(uint8_t dir, uint16_t port, unsigned size, uint32_t count, const void *bytes)
{
	run->exit_reason = KVM_EXIT_IO;
	run->io.direction = dir;
	run->io.size = (uint8_t)size;
	run->io.port = port;
	run->io.count = count;
	run->io.data_offset = DATA_OFF;
	if (bytes)
		memcpy(data, bytes, (size_t)size * count);
	end = (struct run_end){ .kind = END_NONE };
	return io_exit(&bus, run, RUN_SIZE);
}

static enum io_result out8(uint16_t port, uint8_t v)
{
	return io(KVM_EXIT_IO_OUT, port, 1, 1, &v);
}

/* One IN of size bytes; returns the value, 0xdeadbeef on a failed dispatch. */
static uint32_t in_n(uint16_t port, unsigned size)
{
	uint32_t v = 0;

	memset(data, 0xa5, 4);
	if (io(KVM_EXIT_IO_IN, port, size, 1, NULL) != IO_OK)
		return 0xdeadbeef;
	memcpy(&v, data, size);
	return v;
}

static uint8_t in8(uint16_t port)
{
	return (uint8_t)in_n(port, 1);
}

/* Flushes the console and returns how many bytes the output pipe holds (in got). */
static size_t output(uint8_t *got, size_t len)
{
	CHECK_U(console_flush(&con), 0);
	return drain(out_pipe[0], got, len);
}

static void setup_bus(bool count, bool verbose)
{
	run = aligned_alloc(4096, RUN_SIZE);
	if (!run) {
		perror("unit: aligned_alloc");
		exit(2);
	}
	memset(run, 0, RUN_SIZE);
	data = (uint8_t *)run + DATA_OFF;
	make_pipe(out_pipe, true);
	make_pipe(in_pipe, false);
	console_init(&con, out_pipe[1], in_pipe[0]);
	CHECK_U(io_init(&bus, &end, count, verbose), 0);
	CHECK_U(uart_attach(&com1, &bus, PORT_COM1, &con), 0);
	CHECK_U(exitport_attach(&bus), 0);
}

static void teardown_bus(void)
{
	io_free(&bus);
	close(out_pipe[0]);
	close(out_pipe[1]);
	close(in_pipe[0]);
	if (in_pipe[1] >= 0)
		close(in_pipe[1]);
	free(run);
}

/* ---- io.c with the UART and the exit ports ---- */

static void test_string_io(void)
{
	uint8_t got[64];
	size_t n;

	/* rep outsb: the data pointer advances through "hello", the port stays at THR. */
	CHECK_U(io(KVM_EXIT_IO_OUT, PORT_COM1, 1, 5, "hello"), IO_OK);
	CHECK_U(end.kind, END_NONE);
	CHECK_U(run->io.port, PORT_COM1);
	CHECK_U(con.len, 5);
	n = output(got, sizeof got);
	CHECK_MEM(got, n, "hello", 5);
	CHECK_U(com1.ier, 0);	/* had the port advanced, IER, FCR, LCR, MCR would hold e, l, l, o */
	CHECK_U(com1.lcr, 0);
	CHECK_U(com1.mcr, 0);
	CHECK_U(com1.fcr, 0);

	/* rep outsw to the scratch register: each word's low byte at 0x3ff, the high byte beyond COM1. */
	CHECK_U(io(KVM_EXIT_IO_OUT, 0x3ff, 2, 3, "\x11\x22\x33\x44\x55\x66"), IO_OK);
	CHECK_U(com1.scr, 0x55);
	CHECK_U(in_n(0x3ff, 2), 0xff55);	/* high byte: port 0x400, no device */
	CHECK_U(in8(0x3ff), 0x55);
	CHECK_U(output(got, sizeof got), 0);	/* nothing reached THR */

	/* rep insb from the scratch register: the same byte three times. */
	CHECK_U(out8(0x3ff, 0x5a), IO_OK);
	memset(data, 0, 8);
	CHECK_U(io(KVM_EXIT_IO_IN, 0x3ff, 1, 3, NULL), IO_OK);
	CHECK_MEM(data, 4, "\x5a\x5a\x5a\x00", 4);	/* three bytes, not a fourth */

	/* Ports with no device read all ones, at every size and count. */
	memset(data, 0, 12);
	CHECK_U(io(KVM_EXIT_IO_IN, 0x80, 4, 2, NULL), IO_OK);
	CHECK_MEM(data, 9, "\xff\xff\xff\xff\xff\xff\xff\xff\x00", 9);
	CHECK_U(in_n(0x80, 2), 0xffff);
	CHECK_U(in_n(0x80, 1), 0xff);
	CHECK_U(in_n(0x80, 4), 0xffffffff);
	/* Writes to them are ignored. */
	CHECK_U(io(KVM_EXIT_IO_OUT, 0x80, 4, 2, "\x01\x02\x03\x04\x05\x06\x07\x08"), IO_OK);
	CHECK_U(end.kind, END_NONE);
}

static void test_uart_input(void)
{
	uint8_t got[8];

	/* No input yet: THR empty and idle, no data ready; RBR reads 0. */
	CHECK_U(in8(0x3fd), 0x60);
	CHECK_U(in8(PORT_COM1), 0);
	CHECK_U(write(in_pipe[1], "abcd", 4), 4);
	CHECK_U(in8(0x3fd), 0x61);
	/* rep insb from RBR: the bytes in order. */
	memset(data, 0, 8);
	CHECK_U(io(KVM_EXIT_IO_IN, PORT_COM1, 1, 4, NULL), IO_OK);
	CHECK_MEM(data, 5, "abcd\0", 5);
	CHECK_U(in8(0x3fd), 0x60);
	CHECK(!con.in_eof);
	/* Input that arrives later is seen; a 2-byte IN at RBR reads RBR and IER. */
	CHECK_U(write(in_pipe[1], "xy", 2), 2);
	CHECK_U(in8(0x3fd), 0x61);
	CHECK_U(in_n(PORT_COM1, 2), 0x0078);	/* 'x', IER 0 */
	CHECK_U(in8(PORT_COM1), 'y');
	/* The reader left: after the last byte, DR stays clear for good. */
	CHECK_U(write(in_pipe[1], "z", 1), 1);
	close(in_pipe[1]);
	in_pipe[1] = -1;
	CHECK_U(in8(0x3fd), 0x61);
	CHECK_U(in8(PORT_COM1), 'z');
	CHECK_U(in8(0x3fd), 0x60);
	CHECK(con.in_eof);
	CHECK_U(in8(0x3fd), 0x60);
	CHECK_U(in8(PORT_COM1), 0);
	CHECK_U(in8(0x3fd), 0x60);
	CHECK_U(output(got, sizeof got), 0);	/* reading never writes */
}

/*
 * Input is never eaten by a driver's start-up: after a receive-FIFO reset
 * the receiver looks empty (RBR reads keep the byte) until the received-data
 * interrupt is enabled, or UART_RX_HOLD_NS pass for a polling guest.
 */
static void test_uart_hold(void)
{
	struct timespec pause = { 0, 120 * 1000 * 1000 };
	uint8_t got[8];

	CHECK_U(write(in_pipe[1], "kept", 4), 4);
	CHECK_U(out8(0x3fa, 0x07), IO_OK);		/* FIFO on, both FIFOs reset */
	CHECK_U(in8(0x3fd), 0x60);			/* no data ready */
	CHECK_U(in8(PORT_COM1), 0);			/* the clearing read takes nothing */
	CHECK_U(in8(0x3fa) & 0x0f, 0x01);		/* no interrupt pending */
	CHECK_U(out8(0x3f9, 0x01), IO_OK);		/* the driver wants received-data interrupts */
	CHECK_U(in8(0x3fa), 0xc4);			/* FIFOs on, received data */
	CHECK_U(in8(0x3fd), 0x61);
	CHECK_U(in8(PORT_COM1), 'k');
	/* A polling guest that resets its FIFO sees the rest once the hold has passed. */
	CHECK_U(out8(0x3f9, 0x00), IO_OK);
	CHECK_U(out8(0x3fa, 0x07), IO_OK);
	CHECK_U(in8(0x3fd), 0x60);
	nanosleep(&pause, NULL);
	CHECK_U(in8(0x3fd), 0x61);
	CHECK_U(in8(PORT_COM1), 'e');
	CHECK_U(in8(PORT_COM1), 'p');
	CHECK_U(in8(PORT_COM1), 't');
	CHECK_U(in8(0x3fd), 0x60);
	/* THR empty is reported once IER enables it, and reading IIR clears it. */
	CHECK_U(out8(0x3f9, 0x02), IO_OK);
	CHECK_U(in8(0x3fa), 0xc2);
	CHECK_U(in8(0x3fa), 0xc1);
	CHECK_U(out8(PORT_COM1, '!'), IO_OK);		/* the byte leaves at once: THR empty again */
	CHECK_U(in8(0x3fa), 0xc2);
	CHECK_U(out8(0x3f9, 0x00), IO_OK);
	CHECK_U(out8(0x3fa, 0x00), IO_OK);
	CHECK_U(output(got, sizeof got), 1);
	CHECK_U(got[0], '!');
}

static void test_uart_registers(void)
{
	uint8_t got[8];

	/* IIR: no interrupt pending by default; FIFOs enabled show in bits 7:6. */
	CHECK_U(in8(0x3fa), 0x01);
	CHECK_U(out8(0x3fa, 0x01), IO_OK);
	CHECK_U(in8(0x3fa), 0xc1);
	/* Enabling the THRE interrupt reports it once, until IIR is read. */
	CHECK_U(out8(0x3f9, 0x02), IO_OK);
	CHECK_U(in8(0x3fa), 0xc2);
	CHECK_U(in8(0x3fa), 0xc1);
	CHECK_U(out8(0x3fa, 0x00), IO_OK);
	CHECK_U(in8(0x3fa), 0x01);

	/* DLAB: DLL and DLM replace RBR/THR and IER, and read back. */
	CHECK_U(out8(0x3f9, 0x05), IO_OK);
	CHECK_U(in8(0x3f9), 0x05);
	CHECK_U(out8(0x3fb, 0x80), IO_OK);
	CHECK_U(in8(0x3fb), 0x80);
	CHECK_U(out8(0x3f8, 0x0c), IO_OK);	/* 9600 baud */
	CHECK_U(out8(0x3f9, 0x00), IO_OK);
	CHECK_U(in8(0x3f8), 0x0c);
	CHECK_U(in8(0x3f9), 0x00);
	CHECK_U(io(KVM_EXIT_IO_OUT, 0x3f8, 2, 1, "\x01\x02"), IO_OK);	/* DLL and DLM at once */
	CHECK_U(in_n(0x3f8, 2), 0x0201);
	CHECK_U(output(got, sizeof got), 0);	/* DLL writes are not output */
	CHECK_U(out8(0x3fb, 0x03), IO_OK);	/* 8N1, DLAB off */
	CHECK_U(in8(0x3fb), 0x03);
	CHECK_U(in8(0x3f9), 0x05);		/* IER as written before DLAB */
	CHECK_U(com1.dll, 0x01);
	CHECK_U(com1.dlm, 0x02);
	CHECK_U(out8(0x3f9, 0x00), IO_OK);

	/* MCR and MSR: modem lines up; in loopback, outputs feed back, THR goes nowhere. */
	CHECK_U(in8(0x3fe), 0xb0);
	CHECK_U(out8(0x3fc, 0x1f), IO_OK);
	CHECK_U(in8(0x3fc), 0x1f);
	CHECK_U(in8(0x3fe), 0xf0);
	CHECK_U(out8(0x3f8, 'L'), IO_OK);
	CHECK_U(out8(0x3fc, 0x03), IO_OK);
	CHECK_U(in8(0x3fc), 0x03);
	CHECK_U(output(got, sizeof got), 0);
	/* LSR is read-only. */
	CHECK_U(out8(0x3fd, 0x00), IO_OK);
	CHECK_U(in8(0x3fd), 0x60);
	/* A 4-byte OUT at THR splits into THR, IER, FCR, LCR. */
	CHECK_U(io(KVM_EXIT_IO_OUT, 0x3f8, 4, 1, "Z\x00\x00\x03"), IO_OK);
	CHECK_U(output(got, sizeof got), 1);
	CHECK_U(got[0], 'Z');
}

static void test_exit_ports(void)
{
	CHECK_U(out8(PORT_QEMU_EXIT, 0), IO_END);
	CHECK_U(end.kind, END_EXIT);
	CHECK_U(end.status, 1);
	CHECK_U(out8(PORT_QEMU_EXIT, 0x20), IO_END);
	CHECK_U(end.kind, END_EXIT);
	CHECK_U(end.status, 65);
	CHECK_U(out8(PORT_QEMU_EXIT, 0x80), IO_END);
	CHECK_U(end.status, 1);		/* (0x80 << 1 | 1) & 0xff */
	CHECK_U(io(KVM_EXIT_IO_OUT, PORT_QEMU_EXIT, 4, 1, "\xff\xff\xff\xff"), IO_END);
	CHECK_U(end.kind, END_EXIT);
	CHECK_U(end.status, 255);
	CHECK_U(io(KVM_EXIT_IO_OUT, PORT_QEMU_EXIT, 2, 1, "\x03\x01"), IO_END);
	CHECK_U(end.status, 7);		/* 0x103 << 1 | 1 = 0x207 */
	CHECK_U(out8(PORT_QEMU_EXIT + 3, 2), IO_END);	/* iosize 4: 0xf7 too */
	CHECK_U(end.status, 5);
	CHECK_U(in8(PORT_QEMU_EXIT), 0);	/* isa-debug-exit reads as zero */
	CHECK_U(end.kind, END_NONE);

	CHECK_U(out8(PORT_EXIT, 7), IO_END);
	CHECK_U(end.kind, END_EXIT);
	CHECK_U(end.status, 7);
	CHECK_U(out8(PORT_EXIT, 0), IO_END);
	CHECK_U(end.kind, END_EXIT);
	CHECK_U(end.status, 0);
	CHECK_U(io(KVM_EXIT_IO_OUT, PORT_EXIT, 4, 1, "\xff\x00\x00\x00"), IO_END);
	CHECK_U(end.status, 255);
	CHECK_U(io(KVM_EXIT_IO_OUT, PORT_EXIT, 2, 1, "\x00\x01"), IO_END);
	CHECK_U(end.kind, END_FAULT);
	CHECK_S(end.why, "exit port 0xf8: 2-byte write of 256, but an exit status is 0 to 255");
	CHECK_U(io(KVM_EXIT_IO_OUT, PORT_EXIT, 4, 1, "\xff\xff\xff\xff"), IO_END);
	CHECK_U(end.kind, END_FAULT);
	CHECK_S(end.why, "exit port 0xf8: 4-byte write of 4294967295, but an exit status is 0 to 255");
	CHECK_U(in8(PORT_EXIT), 0);
	CHECK_U(in8(PORT_EXIT + 1), 0xff);	/* 0xf9: no device */

	/* rep outsb to an exit port: the first byte ends the run, the rest are not written. */
	CHECK_U(io(KVM_EXIT_IO_OUT, PORT_EXIT, 1, 3, "\x09\x08\x07"), IO_END);
	CHECK_U(end.kind, END_EXIT);
	CHECK_U(end.status, 9);
}

/* A malformed exit is a fault that names it, and no device sees it. */
static void malformed(const char *file, int line, uint8_t dir, uint16_t port, unsigned size,
		      uint32_t count, uint64_t off, const char *want_why)
{
	uint8_t got[256];
	uint8_t scr = com1.scr;
	uint64_t in = bus.counts ? bus.counts[port][0] : 0, out = bus.counts ? bus.counts[port][1] : 0;

	console_flush(&con);
	drain(out_pipe[0], got, sizeof got);	/* what came before is not this exit's */
	run->io.direction = dir;
	run->io.size = (uint8_t)size;
	run->io.port = port;
	run->io.count = count;
	run->io.data_offset = off;
	memset(data, 'M', 16);
	end = (struct run_end){ .kind = END_NONE };
	check_u(file, line, "io_exit()", io_exit(&bus, run, RUN_SIZE), IO_END);
	check_u(file, line, "end.kind", end.kind, END_FAULT);
	check_s(file, line, "end.why", end.why, want_why);
	check_u(file, line, "com1.scr", com1.scr, scr);
	check_mem(file, line, "data", data, 16, "MMMMMMMMMMMMMMMM", 16);
	check_u(file, line, "output()", output(got, sizeof got), 0);
	if (bus.counts) {
		check_u(file, line, "counts in", bus.counts[port][0], in);
		check_u(file, line, "counts out", bus.counts[port][1], out);
	}
}

#define MALFORMED(dir, port, size, count, off, why) \
	malformed(__FILE__, __LINE__, dir, port, size, count, off, why)

static void test_malformed(void)
{
	const uint8_t IN = KVM_EXIT_IO_IN, OUT = KVM_EXIT_IO_OUT;

	MALFORMED(OUT, 0x3f8, 3, 1, DATA_OFF,
		  "malformed port I/O exit: port 0x3f8, size 3, count 1, data offset 0x1000");
	MALFORMED(OUT, 0x3f8, 0, 1, DATA_OFF,
		  "malformed port I/O exit: port 0x3f8, size 0, count 1, data offset 0x1000");
	MALFORMED(IN, 0x3ff, 8, 1, DATA_OFF,
		  "malformed port I/O exit: port 0x3ff, size 8, count 1, data offset 0x1000");
	MALFORMED(2, 0x3f8, 1, 1, DATA_OFF,
		  "malformed port I/O exit: port 0x3f8, size 1, count 1, data offset 0x1000");
	MALFORMED(0xff, PORT_EXIT, 1, 1, DATA_OFF,
		  "malformed port I/O exit: port 0xf8, size 1, count 1, data offset 0x1000");
	/* size * count beyond the run area, up to the largest count. */
	MALFORMED(OUT, 0x3f8, 1, RUN_SIZE - DATA_OFF + 1, DATA_OFF,
		  "malformed port I/O exit: port 0x3f8, size 1, count 4097, data offset 0x1000");
	MALFORMED(IN, 0x3ff, 4, (RUN_SIZE - DATA_OFF) / 4 + 1, DATA_OFF,
		  "malformed port I/O exit: port 0x3ff, size 4, count 1025, data offset 0x1000");
	MALFORMED(OUT, PORT_EXIT, 4, UINT32_MAX, DATA_OFF,
		  "malformed port I/O exit: port 0xf8, size 4, count 4294967295, data offset 0x1000");
	MALFORMED(IN, 0x3ff, 4, 0x40000000, DATA_OFF,	/* 4 * count = 2^32: wraps a 32-bit product */
		  "malformed port I/O exit: port 0x3ff, size 4, count 1073741824, data offset 0x1000");
	/* The data offset beyond the run area, straddling its end, or wrapping with the length. */
	MALFORMED(OUT, PORT_EXIT, 1, 1, RUN_SIZE,
		  "malformed port I/O exit: port 0xf8, size 1, count 1, data offset 0x2000");
	MALFORMED(OUT, PORT_EXIT, 4, 1, RUN_SIZE - 2,
		  "malformed port I/O exit: port 0xf8, size 4, count 1, data offset 0x1ffe");
	MALFORMED(IN, 0x3ff, 1, 1, UINT64_MAX,
		  "malformed port I/O exit: port 0x3ff, size 1, count 1, data offset 0xffffffffffffffff");
	MALFORMED(IN, 0x3ff, 2, 1, UINT64_MAX - 1,
		  "malformed port I/O exit: port 0x3ff, size 2, count 1, data offset 0xfffffffffffffffe");
	MALFORMED(OUT, PORT_EXIT, 4, 2, UINT64_MAX - 3,
		  "malformed port I/O exit: port 0xf8, size 4, count 2, data offset 0xfffffffffffffffc");

	/* The edges that are well-formed: data ending exactly at the end; count 0. */
	run->io.direction = KVM_EXIT_IO_OUT;
	run->io.size = 4;
	run->io.port = PORT_EXIT;
	run->io.count = 1;
	run->io.data_offset = RUN_SIZE - 4;
	memcpy((uint8_t *)run + RUN_SIZE - 4, "\x2a\x00\x00\x00", 4);
	end = (struct run_end){ .kind = END_NONE };
	CHECK_U(io_exit(&bus, run, RUN_SIZE), IO_END);
	CHECK_U(end.kind, END_EXIT);
	CHECK_U(end.status, 42);
	CHECK_U(io(KVM_EXIT_IO_OUT, PORT_EXIT, 1, 0, NULL), IO_OK);
	CHECK_U(end.kind, END_NONE);
	/* The whole data page, one byte at a time. */
	memset(data, 0, RUN_SIZE - DATA_OFF);
	CHECK_U(io(KVM_EXIT_IO_IN, 0x80, 1, RUN_SIZE - DATA_OFF, NULL), IO_OK);
	CHECK_U(data[0], 0xff);
	CHECK_U(data[RUN_SIZE - DATA_OFF - 1], 0xff);
}

static void test_devices(void)
{
	setup_bus(false, false);
	CHECK(bus.counts == NULL);
	CHECK(bus.reported == NULL);
	CHECK(io_batches(&bus, PORT_COM1));
	CHECK(io_batches(&bus, PORT_COM1 + 7));
	CHECK(!io_batches(&bus, PORT_COM1 + 8));
	CHECK(!io_batches(&bus, PORT_QEMU_EXIT));
	CHECK(!io_batches(&bus, PORT_EXIT));
	CHECK(!io_batches(&bus, 0x80));
	test_string_io();
	test_uart_hold();
	test_uart_input();
	test_uart_registers();
	test_exit_ports();
	test_malformed();
	teardown_bus();
}

/* io_init(count=true): accesses counted per port and direction, by count. */
static void test_counts(void)
{
	setup_bus(true, false);
	CHECK(bus.counts != NULL);
	CHECK_U(io(KVM_EXIT_IO_OUT, PORT_COM1, 1, 5, "hello"), IO_OK);
	CHECK_U(bus.counts[PORT_COM1][1], 5);
	CHECK_U(bus.counts[PORT_COM1][0], 0);
	CHECK_U(io(KVM_EXIT_IO_OUT, PORT_COM1, 1, 2, "!\n"), IO_OK);
	CHECK_U(bus.counts[PORT_COM1][1], 7);
	CHECK_U(in8(0x3fd), 0x60);
	CHECK_U(in8(0x3fd), 0x60);
	CHECK_U(bus.counts[0x3fd][0], 2);
	CHECK_U(bus.counts[0x3fd][1], 0);
	CHECK_U(bus.unclaimed, 0);
	CHECK_U(io(KVM_EXIT_IO_IN, 0x80, 4, 2, NULL), IO_OK);
	CHECK_U(bus.counts[0x80][0], 2);
	CHECK_U(bus.unclaimed, 2);
	CHECK_U(io(KVM_EXIT_IO_OUT, 0x80, 2, 3, "abcdef"), IO_OK);
	CHECK_U(bus.counts[0x80][1], 3);
	CHECK_U(bus.unclaimed, 5);
	CHECK_U(out8(PORT_EXIT, 3), IO_END);
	CHECK_U(bus.counts[PORT_EXIT][1], 1);
	/* Ports next to the ones used were not counted. */
	CHECK_U(bus.counts[PORT_COM1 + 1][1], 0);
	CHECK_U(bus.counts[0x81][0], 0);
	CHECK_U(bus.counts[0x7f][0], 0);
	/* A malformed exit is not an access: not counted. */
	MALFORMED(KVM_EXIT_IO_OUT, PORT_COM1, 1, RUN_SIZE, DATA_OFF,
		  "malformed port I/O exit: port 0x3f8, size 1, count 8192, data offset 0x1000");
	CHECK_U(bus.counts[PORT_COM1][1], 7);
	teardown_bus();
}

/* io_init(verbose=true): each unclaimed port and direction reported once on stderr. */
static void test_verbose(void)
{
	setup_bus(false, true);
	CHECK(bus.reported != NULL);
	capture_stderr();
	io(KVM_EXIT_IO_IN, 0x80, 4, 2, NULL);
	io(KVM_EXIT_IO_IN, 0x80, 1, 1, NULL);
	io(KVM_EXIT_IO_OUT, 0x80, 2, 1, "\x34\x12");
	io(KVM_EXIT_IO_OUT, 0x80, 1, 1, "\x01");
	io(KVM_EXIT_IO_OUT, 0x3f8, 1, 1, "x");	/* claimed: not reported */
	CHECK_S(captured_stderr(),
		"kvmrun: port 0x80: 4-byte read returns all ones (no device; reported once)\n"
		"kvmrun: port 0x80: 2-byte write of 0x1234 ignored (no device; reported once)\n");
	CHECK_U(bus.unclaimed, 5);
	teardown_bus();
}

static enum io_result dummy_in(struct io_bus *b, void *dev, uint16_t port, unsigned size, uint32_t *val)
{
	(void)b, (void)port, (void)size;
	*val = *(uint32_t *)dev;
	return IO_OK;
}

/* io_attach refuses overlaps, wraps, empty ranges and a full table. */
static void test_attach(void)
{
	static uint32_t values[IO_MAX_DEVS];
	struct port_dev d = { .name = "dummy", .base = 0x3fc, .len = 8, .in = dummy_in, .dev = &values[0] };
	unsigned ndevs;

	setup_bus(false, false);
	ndevs = bus.ndevs;
	CHECK_U(ndevs, 3);
	capture_stderr();
	CHECK_U(io_attach(&bus, &d), (uint64_t)(int64_t)-1);
	CHECK_S(captured_stderr(), "kvmrun: internal error: dummy overlaps COM1 at port 0x3fc\n");
	d.base = 0xfffe;
	d.len = 4;
	capture_stderr();
	CHECK_U(io_attach(&bus, &d), (uint64_t)(int64_t)-1);
	CHECK_S(captured_stderr(), "kvmrun: internal error: cannot attach dummy at port 0xfffe\n");
	d.len = 0;
	capture_stderr();
	CHECK_U(io_attach(&bus, &d), (uint64_t)(int64_t)-1);
	CHECK_S(captured_stderr(), "kvmrun: internal error: cannot attach dummy at port 0xfffe\n");
	CHECK_U(bus.ndevs, ndevs);
	CHECK_U(bus.map[0xfffe], 0);
	CHECK_U(bus.map[0x3fc], 1);	/* COM1 still owns its ports */
	/* The last port, exactly. */
	d.base = 0xffff;
	d.len = 1;
	values[0] = 0x12345678;
	CHECK_U(io_attach(&bus, &d), 0);
	CHECK_U(in_n(0xffff, 4), 0x12345678);
	/* Split as the ISA bus splits it: 0xfffe floats, 0xffff is the device's, nothing beyond 0xffff. */
	CHECK_U(in_n(0xfffe, 4), 0xffff78ff);
	/* Fill the table; one more is refused. */
	for (unsigned i = bus.ndevs; i < IO_MAX_DEVS; i++) {
		d.base = (uint16_t)(0x100 + i);
		d.dev = &values[i];
		values[i] = i;
		CHECK_U(io_attach(&bus, &d), 0);
	}
	CHECK_U(bus.ndevs, IO_MAX_DEVS);
	CHECK_U(in8(0x100 + IO_MAX_DEVS - 1), IO_MAX_DEVS - 1);
	d.base = 0x200;
	capture_stderr();
	CHECK_U(io_attach(&bus, &d), (uint64_t)(int64_t)-1);
	CHECK_S(captured_stderr(), "kvmrun: internal error: cannot attach dummy at port 0x200\n");
	CHECK_U(in8(0x200), 0xff);
	teardown_bus();
}

/* ---- devices/: the RTC, the i8042 and pvpanic on the same bus ---- */

static time_t rtc_time;

static time_t fixed_now(time_t *t)
{
	if (t)
		*t = rtc_time;
	return rtc_time;
}

/* CMOS register reg, through the index and data ports. */
static uint8_t cmos(uint8_t reg)
{
	CHECK_U(out8(PORT_RTC, reg), IO_OK);
	return in8(PORT_RTC + 1);
}

static void cmos_set(uint8_t reg, uint8_t v)
{
	CHECK_U(out8(PORT_RTC, reg), IO_OK);
	CHECK_U(out8(PORT_RTC + 1, v), IO_OK);
}

static void test_rtc(void)
{
	static struct rtc rtc;

	setup_bus(false, false);
	rtc = (struct rtc){ .now = NULL };
	CHECK_U(rtc_attach(&rtc, &bus), 0);
	CHECK(rtc.now == time);			/* the default clock */
	io_free(&bus);
	CHECK_U(io_init(&bus, &end, false, false), 0);	/* a bus with the clock alone */
	rtc = (struct rtc){ .now = fixed_now };
	memset(rtc.ram, 0x5a, sizeof rtc.ram);
	CHECK_U(rtc_attach(&rtc, &bus), 0);
	CHECK(rtc.now == fixed_now);		/* a test's clock is kept */
	rtc_time = 1795784709;			/* 2026-11-27 13:05:09 UTC, a Friday */

	/* Defaults: 24-hour BCD, UIP clear, no interrupt flags, battery good. */
	CHECK_U(in8(PORT_RTC), 0xff);		/* the index port reads as 0xff */
	CHECK_U(cmos(0x0a), 0x26);
	CHECK_U(cmos(0x0b), 0x02);
	CHECK_U(cmos(0x0c), 0x00);
	CHECK_U(cmos(0x0d), 0x80);
	CHECK_U(cmos(0x00), 0x09);
	CHECK_U(cmos(0x02), 0x05);
	CHECK_U(cmos(0x04), 0x13);
	CHECK_U(cmos(0x06), 6);			/* 1 = Sunday */
	CHECK_U(cmos(0x07), 0x27);
	CHECK_U(cmos(0x08), 0x11);
	CHECK_U(cmos(0x09), 0x26);
	CHECK_U(cmos(0x32), 0x20);
	/* Bit 7 of the index is the NMI mask, not part of the register number. */
	CHECK_U(cmos(0x80 | 0x04), 0x13);
	CHECK_U(rtc.index, 0x04);
	/* The time is read afresh each time. */
	rtc_time += 50;
	CHECK_U(cmos(0x00), 0x59);
	rtc_time += 1;
	CHECK_U(cmos(0x00), 0x00);
	CHECK_U(cmos(0x02), 0x06);
	rtc_time -= 51;

	/* Writes to the time registers and to C and D are ignored. */
	cmos_set(0x00, 0x30);
	cmos_set(0x04, 0x01);
	cmos_set(0x09, 0x99);
	cmos_set(0x32, 0x19);
	cmos_set(0x0c, 0xff);
	cmos_set(0x0d, 0x00);
	CHECK_U(cmos(0x00), 0x09);
	CHECK_U(cmos(0x04), 0x13);
	CHECK_U(cmos(0x09), 0x26);
	CHECK_U(cmos(0x32), 0x20);
	CHECK_U(cmos(0x0c), 0x00);
	CHECK_U(cmos(0x0d), 0x80);
	/* Register A: UIP never reads set, the other bits are kept. */
	cmos_set(0x0a, 0xff);
	CHECK_U(cmos(0x0a), 0x7f);
	cmos_set(0x0a, 0x26);
	/* Alarms and the rest of CMOS read back what was written; initially 0. */
	CHECK_U(cmos(0x01), 0x00);
	CHECK_U(cmos(0x0e), 0x00);
	CHECK_U(cmos(0x7f), 0x00);
	cmos_set(0x01, 0x30);
	cmos_set(0x03, 0x15);
	cmos_set(0x05, 0x23);
	cmos_set(0x0e, 0xa5);
	cmos_set(0x7f, 0x5a);
	CHECK_U(cmos(0x01), 0x30);
	CHECK_U(cmos(0x03), 0x15);
	CHECK_U(cmos(0x05), 0x23);
	CHECK_U(cmos(0x0e), 0xa5);
	CHECK_U(cmos(0x7f), 0x5a);
	CHECK_U(cmos(0x00), 0x09);		/* the alarm did not touch the time */

	/* Binary (DM), 24-hour. */
	cmos_set(0x0b, 0x06);
	CHECK_U(cmos(0x0b), 0x06);
	CHECK_U(cmos(0x00), 9);
	CHECK_U(cmos(0x02), 5);
	CHECK_U(cmos(0x04), 13);
	CHECK_U(cmos(0x06), 6);
	CHECK_U(cmos(0x07), 27);
	CHECK_U(cmos(0x08), 11);
	CHECK_U(cmos(0x09), 26);
	CHECK_U(cmos(0x32), 20);
	/* 12-hour: 1 to 12, bit 7 for PM; BCD and binary. */
	cmos_set(0x0b, 0x00);
	CHECK_U(cmos(0x04), 0x81);
	cmos_set(0x0b, 0x04);
	CHECK_U(cmos(0x04), 0x81);
	rtc_time = 946600200;			/* 1999-12-31 00:30:00 UTC: 12 AM */
	CHECK_U(cmos(0x04), 12);
	cmos_set(0x0b, 0x00);
	CHECK_U(cmos(0x04), 0x12);
	CHECK_U(cmos(0x09), 0x99);
	CHECK_U(cmos(0x32), 0x19);
	CHECK_U(cmos(0x02), 0x30);
	rtc_time += 12 * 3600;			/* 12:30: 12 PM */
	CHECK_U(cmos(0x04), 0x92);
	rtc_time += 11 * 3600;			/* 23:30: 11 PM */
	CHECK_U(cmos(0x04), 0x91);
	cmos_set(0x0b, 0x02);
	CHECK_U(cmos(0x04), 0x23);
	/* The SET bit may be written and reads back; the clock still reads the host's time. */
	cmos_set(0x0b, 0x82);
	CHECK_U(cmos(0x0b), 0x82);
	CHECK_U(cmos(0x04), 0x23);
	cmos_set(0x0b, 0x02);

	/* Wider accesses act on the low byte; the bytes above read as 0xff. */
	rtc_time = 1795784709;
	CHECK_U(out8(PORT_RTC, 0x00), IO_OK);
	CHECK_U(in_n(PORT_RTC + 1, 2), 0xff09);
	CHECK_U(in_n(PORT_RTC + 1, 4), 0xffffff09);
	CHECK_U(in_n(PORT_RTC, 2), 0xffff);
	CHECK_U(in_n(PORT_RTC, 4), 0xffffffff);
	CHECK_U(io(KVM_EXIT_IO_OUT, PORT_RTC, 2, 1, "\x8e\x12"), IO_OK);
	CHECK_U(rtc.index, 0x0e);
	CHECK_U(io(KVM_EXIT_IO_OUT, PORT_RTC + 1, 4, 1, "\x77\x66\x55\x44"), IO_OK);
	CHECK_U(rtc.ram[0x0e], 0x77);
	CHECK_U(rtc.ram[0x0f], 0x00);
	CHECK_U(end.kind, END_NONE);
	teardown_bus();
}

/* Bytes waiting at 0x60, read until the output buffer is empty (at most len). */
static size_t kbd_drain(uint8_t *got, size_t len)
{
	size_t n = 0;

	while (n < len && (in8(PORT_I8042_CMD) & 0x01))
		got[n++] = in8(PORT_I8042_DATA);
	return n;
}

#define KBD_EXPECT(...) do {							\
		static const uint8_t want_[] = { __VA_ARGS__ };			\
		uint8_t got_[32];						\
		size_t n_ = kbd_drain(got_, sizeof got_);			\
		CHECK_MEM(got_, n_, want_, sizeof want_);			\
	} while (0)
#define KBD_NONE() CHECK_U(in8(PORT_I8042_CMD) & 0x01, 0)

/* A controller command that answers one byte. */
static uint8_t kbd_cmd(uint8_t cmd)
{
	CHECK_U(out8(PORT_I8042_CMD, cmd), IO_OK);
	return in8(PORT_I8042_DATA);
}

static void test_i8042(void)
{
	static struct i8042 kbd;
	int null_fd;

	setup_bus(false, false);
	memset(&kbd, 0xa5, sizeof kbd);
	CHECK_U(i8042_attach(&kbd, &bus), 0);
	CHECK_U(bus.map[0x61], 0);		/* port B is not the controller's */
	CHECK_U(bus.map[0x62], 0);
	CHECK_U(bus.map[0x63], 0);

	/* As a BIOS leaves it: nothing waiting, system flag, keylock open. */
	CHECK_U(in8(PORT_I8042_CMD), 0x14);
	CHECK_U(kbd_cmd(0x20), 0x65);
	CHECK_U(in8(PORT_I8042_CMD), 0x1c);	/* the last write was a command */
	CHECK_U(in_n(PORT_I8042_CMD, 2), 0xff1c);

	/* Linux's probe: flush, self-test, read and write the configuration byte. */
	KBD_NONE();
	CHECK_U(out8(PORT_I8042_CMD, 0xaa), IO_OK);
	CHECK_U(in8(PORT_I8042_CMD), 0x1d);	/* OBF */
	CHECK_U(in8(PORT_I8042_DATA), 0x55);
	CHECK_U(in8(PORT_I8042_CMD), 0x1c);
	CHECK_U(kbd_cmd(0x20), 0x65);
	CHECK_U(out8(PORT_I8042_CMD, 0x60), IO_OK);
	CHECK_U(out8(PORT_I8042_DATA, 0x74), IO_OK);	/* keyboard disabled, its interrupt off */
	CHECK_U(in8(PORT_I8042_CMD), 0x14);	/* the last write was data */
	CHECK_U(kbd_cmd(0x20), 0x74);
	KBD_NONE();
	/* The system flag follows the configuration byte; self-test sets it. */
	CHECK_U(out8(PORT_I8042_CMD, 0x60), IO_OK);
	CHECK_U(out8(PORT_I8042_DATA, 0x70), IO_OK);
	CHECK_U(in8(PORT_I8042_CMD), 0x10);
	CHECK_U(kbd_cmd(0xaa), 0x55);
	CHECK_U(kbd_cmd(0x20), 0x74);

	/* No mouse: the loopback comes back as keyboard data (no aux flag), the aux test fails, aux stays disabled. */
	CHECK_U(out8(PORT_I8042_CMD, 0xd3), IO_OK);
	CHECK_U(out8(PORT_I8042_DATA, 0x5a), IO_OK);
	CHECK_U(in8(PORT_I8042_CMD) & 0x21, 0x01);
	CHECK_U(in8(PORT_I8042_DATA), 0x5a);
	KBD_NONE();
	CHECK_U(kbd_cmd(0xa9), 0x01);
	CHECK_U(out8(PORT_I8042_CMD, 0xa7), IO_OK);
	CHECK_U(kbd_cmd(0x20) & 0x20, 0x20);
	CHECK_U(out8(PORT_I8042_CMD, 0xa8), IO_OK);
	CHECK_U(kbd_cmd(0x20) & 0x20, 0x20);	/* i8042_toggle_aux(true) fails: no aux */
	CHECK_U(out8(PORT_I8042_CMD, 0xd4), IO_OK);
	CHECK_U(out8(PORT_I8042_DATA, 0xf2), IO_OK);	/* to the mouse: nobody answers */
	KBD_NONE();
	CHECK_U(kbd.ctr & 0x10, 0x10);		/* and it did not reach the keyboard */

	/* The keyboard interface and the keyboard. */
	CHECK_U(kbd_cmd(0xab), 0x00);
	CHECK_U(out8(PORT_I8042_CMD, 0xae), IO_OK);
	CHECK_U(kbd_cmd(0x20) & 0x10, 0);
	CHECK_U(out8(PORT_I8042_CMD, 0xad), IO_OK);
	CHECK_U(kbd_cmd(0x20) & 0x10, 0x10);
	CHECK_U(out8(PORT_I8042_DATA, 0xff), IO_OK);
	KBD_EXPECT(0xfa, 0xaa);
	CHECK_U(kbd_cmd(0x20) & 0x10, 0);	/* writing to the keyboard enabled it */
	CHECK_U(out8(PORT_I8042_DATA, 0xf2), IO_OK);
	KBD_EXPECT(0xfa, 0xab, 0x83);
	CHECK_U(out8(PORT_I8042_DATA, 0xee), IO_OK);
	KBD_EXPECT(0xee);
	CHECK_U(out8(PORT_I8042_DATA, 0xed), IO_OK);
	CHECK_U(out8(PORT_I8042_DATA, 0xff), IO_OK);	/* a parameter, not a reset */
	KBD_EXPECT(0xfa, 0xfa);
	CHECK_U(out8(PORT_I8042_DATA, 0xf3), IO_OK);
	CHECK_U(out8(PORT_I8042_DATA, 0xf2), IO_OK);	/* a parameter, not identify */
	KBD_EXPECT(0xfa, 0xfa);
	CHECK_U(out8(PORT_I8042_DATA, 0xf0), IO_OK);
	CHECK_U(out8(PORT_I8042_DATA, 0x00), IO_OK);	/* get the scancode set: 2, translated */
	KBD_EXPECT(0xfa, 0xfa, 0x41);
	CHECK_U(out8(PORT_I8042_DATA, 0xf4), IO_OK);
	CHECK_U(out8(PORT_I8042_DATA, 0xf5), IO_OK);
	KBD_EXPECT(0xfa, 0xfa);
	/* An empty buffer reads the last byte again. */
	CHECK_U(in8(PORT_I8042_DATA), 0xfa);
	CHECK_U(in_n(PORT_I8042_DATA, 2), 0xfffa);
	KBD_NONE();

	/* Writing the keyboard's output buffer; the output port; unknown commands. */
	CHECK_U(out8(PORT_I8042_CMD, 0xd2), IO_OK);
	CHECK_U(out8(PORT_I8042_DATA, 0x1c), IO_OK);
	KBD_EXPECT(0x1c);
	CHECK_U(kbd_cmd(0xd0), 0x03);
	CHECK_U(out8(PORT_I8042_CMD, 0x00), IO_OK);
	CHECK_U(out8(PORT_I8042_CMD, 0xc0), IO_OK);
	CHECK_U(out8(PORT_I8042_CMD, 0xff), IO_OK);	/* a pulse that leaves reset alone */
	KBD_NONE();
	/* A full buffer drops the newest bytes. */
	for (unsigned i = 0; i < 20; i++) {
		CHECK_U(out8(PORT_I8042_CMD, 0xd2), IO_OK);
		CHECK_U(out8(PORT_I8042_DATA, (uint8_t)i), IO_OK);
	}
	KBD_EXPECT(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);

	/* Reset: the pulse command, or an output port with bit 0 clear. */
	CHECK_U(out8(PORT_I8042_CMD, 0xfe), IO_END);
	CHECK_U(end.kind, END_RESET);
	CHECK_S(end.why, "the guest reset the machine through the i8042 (command 0xfe)");
	CHECK_U(out8(PORT_I8042_CMD, 0xf0), IO_END);
	CHECK_U(end.kind, END_RESET);
	CHECK_U(io(KVM_EXIT_IO_OUT, PORT_I8042_CMD, 2, 1, "\xfe\x00"), IO_END);
	CHECK_U(end.kind, END_RESET);
	CHECK_U(out8(PORT_I8042_CMD, 0xd1), IO_OK);
	CHECK_U(out8(PORT_I8042_DATA, 0xfe), IO_END);
	CHECK_U(end.kind, END_RESET);
	CHECK_S(end.why, "the guest reset the machine through the i8042 (output port write 0xfe)");
	CHECK_U(out8(PORT_I8042_CMD, 0xd1), IO_OK);
	CHECK_U(out8(PORT_I8042_DATA, 0x03), IO_OK);
	CHECK_U(end.kind, END_NONE);
	CHECK_U(out8(PORT_I8042_CMD, 0xd1), IO_OK);
	CHECK_U(out8(PORT_I8042_DATA, 0xdf), IO_OK);	/* the classic A20 gate */
	CHECK_U(end.kind, END_NONE);
	KBD_NONE();

	/*
	 * Line 1: with a descriptor KVM_IRQ_LINE fails on, every attempt to raise
	 * it shows, and ends the run as a host failure. None while the keyboard
	 * interrupt is off.
	 */
	null_fd = open("/dev/null", O_RDONLY);
	CHECK(null_fd >= 0);
	bus.irq_fd = null_fd;
	CHECK_U(kbd_cmd(0x20) & 0x01, 0);
	CHECK_U(out8(PORT_I8042_DATA, 0xff), IO_OK);
	KBD_EXPECT(0xfa, 0xaa);
	CHECK_U(out8(PORT_I8042_CMD, 0x60), IO_OK);
	capture_stderr();
	CHECK_U(out8(PORT_I8042_DATA, 0x65), IO_OK);	/* interrupt on, nothing waiting */
	CHECK_U(out8(PORT_I8042_CMD, 0xaa), IO_END);	/* a byte waits: raise */
	CHECK_U(end.kind, END_HOST);
	CHECK_S(captured_stderr(),
		"kvmrun: setting interrupt line 1 to 1 failed (KVM_IRQ_LINE): Inappropriate ioctl for device\n");
	bus.irq_fd = -1;
	close(null_fd);
	KBD_EXPECT(0x55);
	teardown_bus();
}

static void test_pvpanic(void)
{
	setup_bus(false, false);
	CHECK_U(pvpanic_attach(&bus), 0);
	CHECK_U(in8(PORT_PVPANIC), 0x03);
	CHECK_U(in_n(PORT_PVPANIC, 2), 0xff03);
	CHECK_U(in8(PORT_PVPANIC + 1), 0xff);	/* one port only */
	CHECK_U(out8(PORT_PVPANIC, 0x02), IO_OK);	/* crash loaded: the run goes on */
	CHECK_U(end.kind, END_NONE);
	CHECK_U(out8(PORT_PVPANIC, 0x00), IO_OK);
	CHECK_U(out8(PORT_PVPANIC, 0xf0), IO_OK);	/* no known event */
	CHECK_U(io(KVM_EXIT_IO_OUT, PORT_PVPANIC, 2, 1, "\x00\x01"), IO_OK);	/* the low byte counts */
	CHECK_U(end.kind, END_NONE);
	CHECK_U(out8(PORT_PVPANIC, 0x01), IO_END);
	CHECK_U(end.kind, END_PANIC);
	CHECK_S(end.why, "the guest kernel panicked (pvpanic event 0x1 at port 0x505)");
	CHECK_U(out8(PORT_PVPANIC, 0x03), IO_END);
	CHECK_U(end.kind, END_PANIC);
	CHECK_S(end.why, "the guest kernel panicked (pvpanic event 0x3 at port 0x505)");
	teardown_bus();
}

/* ---- console.c ---- */

static uint8_t pattern(size_t i)
{
	return (uint8_t)(i * 7 + i / 251);
}

/*
 * 100000 bytes through console_put, read concurrently by a child: byte-exact,
 * in order. With nonblock, stdout is a non-blocking pipe of one page, so
 * flushes see short writes and EAGAIN.
 */
static void console_big(const char *file, int line, bool nonblock)
{
	enum { N = 100000 };
	int p[2], status;
	pid_t pid;
	bool ok = true;

	make_pipe(p, false);
	if (nonblock) {
		fcntl(p[1], F_SETPIPE_SZ, 4096);
		fcntl(p[1], F_SETFL, fcntl(p[1], F_GETFL) | O_NONBLOCK);
	}
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		perror("unit: fork");
		exit(2);
	}
	if (pid == 0) {
		static uint8_t buf[N + 1];
		size_t got = 0;
		ssize_t n;

		close(p[1]);
		/* Small reads, so the writer keeps finding the pipe full. */
		while ((n = read(p[0], buf + got, nonblock ? 1000 : sizeof buf - got)) > 0)
			if ((got += (size_t)n) > N)
				break;
		if (got != N)
			_exit(10);
		for (size_t i = 0; i < N; i++)
			if (buf[i] != pattern(i))
				_exit(11);
		_exit(0);
	}
	close(p[0]);
	console_init(&con, p[1], -1);
	for (size_t i = 0; i < N; i++) {
		if (console_put(&con, pattern(i)) < 0) {
			ok = false;
			break;
		}
	}
	check_u(file, line, "console_put", ok, 1);
	check_u(file, line, "con.len", con.len, N - CONSOLE_BUF);	/* one full buffer went out on its own */
	check_u(file, line, "console_flush", (uint64_t)console_flush(&con), 0);
	check_u(file, line, "con.len", con.len, 0);
	check_u(file, line, "con.out_errno", (uint64_t)con.out_errno, 0);
	close(p[1]);
	check_u(file, line, "waitpid", (uint64_t)waitpid(pid, &status, 0), (uint64_t)pid);
	check_u(file, line, "WIFEXITED", WIFEXITED(status), 1);
	/* 10: wrong length, 11: wrong bytes */
	check_u(file, line, "child status", (uint64_t)WEXITSTATUS(status), 0);
}

static void test_console_big(void)
{
	console_big(__FILE__, __LINE__, false);
	console_big(__FILE__, __LINE__, true);
}

/*
 * A reader that never reads: a write interrupted by a signal asks give_up;
 * once it says so, the flush stops with EINTR and keeps exactly the bytes
 * not yet written. With nonblock, the wait is in poll instead of write.
 */
static unsigned give_up_calls;

static bool give_up_second_time(void)
{
	return ++give_up_calls >= 2;
}

static void on_alarm(int sig)
{
	(void)sig;
}

static void console_stuck(const char *file, int line, bool nonblock)
{
	static uint8_t got[CONSOLE_BUF];
	struct sigaction sa = { .sa_handler = on_alarm }, old;	/* no SA_RESTART */
	struct itimerval tick = { { 0, 20000 }, { 0, 20000 } }, off = { { 0, 0 }, { 0, 0 } };
	int p[2];
	size_t n;
	bool ok = true;

	make_pipe(p, true);
	fcntl(p[1], F_SETPIPE_SZ, 4096);
	if (nonblock)
		fcntl(p[1], F_SETFL, fcntl(p[1], F_GETFL) | O_NONBLOCK);
	console_init(&con, p[1], -1);
	con.give_up = give_up_second_time;
	give_up_calls = 0;
	for (size_t i = 0; i < CONSOLE_BUF; i++)
		ok &= console_put(&con, pattern(i)) == 0;
	check_u(file, line, "console_put", ok, 1);
	sigaction(SIGALRM, &sa, &old);
	setitimer(ITIMER_REAL, &tick, NULL);
	check_u(file, line, "console_flush", (uint64_t)console_flush(&con), (uint64_t)(int64_t)-1);
	setitimer(ITIMER_REAL, &off, NULL);
	sigaction(SIGALRM, &old, NULL);
	check_u(file, line, "con.out_errno", (uint64_t)con.out_errno, EINTR);
	check_u(file, line, "give_up_calls", give_up_calls, 2);
	n = drain(p[0], got, sizeof got);
	check_u(file, line, "bytes written", n > 0 && n < CONSOLE_BUF, 1);
	check_u(file, line, "written + kept", n + con.len, CONSOLE_BUF);
	for (size_t i = 0; i < n && ok; i++)
		ok = got[i] == pattern(i);
	check_u(file, line, "written bytes in order", ok, 1);
	for (size_t i = 0; i < con.len && ok; i++)
		ok = con.buf[i] == pattern(n + i);
	check_u(file, line, "kept bytes are the unwritten ones", ok, 1);
	check_u(file, line, "console_flush after giving up", (uint64_t)console_flush(&con),
		(uint64_t)(int64_t)-1);
	close(p[0]);
	close(p[1]);
}

static void test_console_stuck(void)
{
	console_stuck(__FILE__, __LINE__, false);
	console_stuck(__FILE__, __LINE__, true);
}

/* A pipe with no reader: EPIPE, reported and kept. */
static void test_console_epipe(void)
{
	int p[2];
	struct sigaction ign = { .sa_handler = SIG_IGN }, old;
	bool ok = true;

	sigaction(SIGPIPE, &ign, &old);
	make_pipe(p, false);
	close(p[0]);
	console_init(&con, p[1], -1);
	CHECK_U(console_put(&con, 'a'), 0);
	CHECK_U(console_flush(&con), (uint64_t)(int64_t)-1);
	CHECK_U(con.out_errno, EPIPE);
	CHECK_U(console_flush(&con), (uint64_t)(int64_t)-1);	/* stays failed */
	CHECK_U(con.out_errno, EPIPE);

	/* Through the UART: THR into a full buffer whose flush fails ends the run with END_OUTPUT. */
	setup_bus(false, false);
	console_init(&con, p[1], in_pipe[0]);
	for (size_t i = 0; i < CONSOLE_BUF; i++)
		ok &= console_put(&con, 'b') == 0;
	CHECK(ok);
	CHECK_U(io(KVM_EXIT_IO_OUT, PORT_COM1, 1, 1, "c"), IO_END);
	CHECK_U(end.kind, END_OUTPUT);
	CHECK_U(end.errno_value, EPIPE);
	teardown_bus();
	close(p[1]);

	/* console_init resets a console that failed. */
	console_init(&con, 1, 0);
	CHECK_U(con.out_errno, 0);
	CHECK_U(con.len, 0);
	CHECK(!con.in_eof);
	sigaction(SIGPIPE, &old, NULL);
}

/* ---- known bugs: the correct behaviour, failing until the core is fixed ---- */

static void known_bugs(void)
{
	/* parse.c: the whole part is bounded by 10^9 s, but not the fraction after it. */
	BAD(parse_seconds, "1000000000.5", "too large (at most 1000000000 seconds)");
	BAD(parse_seconds, "1000000000.000000001", "too large (at most 1000000000 seconds)");
}

/* --disk's value: FILE, ",," for a comma in it, ro, rw, serial=; the serial defaults to the base name. */
static void test_disk_parse(void)
{
	struct disk d;
	char why[160], a[] = "img/a.raw", b[] = "x,,y.img,ro,serial=S1", c[] = "f,serial=123456789012345678901";
	char e[] = "f,bogus", f[] = ",ro", g[] = "a-very-long-file-name-indeed.img,rw";

	CHECK_U(disk_parse(a, &d, why, sizeof why), 0);
	CHECK_S(d.path, "img/a.raw");
	CHECK_S(d.serial, "a.raw");
	CHECK(!d.ro);
	CHECK_U(disk_parse(b, &d, why, sizeof why), 0);
	CHECK_S(d.path, "x,y.img");
	CHECK_S(d.serial, "S1");
	CHECK(d.ro);
	CHECK_U(disk_parse(c, &d, why, sizeof why), (uint64_t)-1);
	CHECK_S(why, "serial '123456789012345678901' is longer than 20 bytes");
	CHECK_U(disk_parse(e, &d, why, sizeof why), (uint64_t)-1);
	CHECK_S(why, "unknown option 'bogus' (known: ro, rw, serial=TEXT)");
	CHECK_U(disk_parse(f, &d, why, sizeof why), (uint64_t)-1);
	CHECK_S(why, "no file name before the options");
	CHECK_U(disk_parse(g, &d, why, sizeof why), 0);
	CHECK_S(d.serial, "a-very-long-file-nam");
}

/* --net's value: one backend, mac=, ",," for a comma; every refusal with its reason. */
static int net_try(const char *spec, struct netdev *n, char *why, size_t len)
{
	static char keep[16][160];	/* the name points into the spec: it must outlive n */
	static unsigned next;
	char *s = keep[next++ % 16];

	snprintf(s, 160, "%s", spec);
	why[0] = '\0';
	return net_parse(s, n, why, len);
}

static void net_bad(const char *file, int line, const char *spec, const char *want)
{
	struct netdev n;
	char why[160];

	check_u(file, line, spec, (uint64_t)net_try(spec, &n, why, sizeof why), (uint64_t)-1);
	check_s(file, line, spec, why, want);
}
#define NET_BAD(spec, why) net_bad(__FILE__, __LINE__, spec, why)

static void test_net_parse(void)
{
	struct netdev n, m;
	char why[160];
	uint8_t mac1[6], mac2[6];

	CHECK_U(net_try("tap=tap0", &n, why, sizeof why), 0);
	CHECK_U(n.kind, NET_TAP);
	CHECK_S(n.name, "tap0");
	CHECK_U(n.fd, (uint64_t)-1);
	CHECK(!n.mac_given);
	CHECK_U(n.mac[0], 0x52);	/* locally administered, unicast */
	memcpy(mac1, n.mac, 6);
	CHECK_U(net_try("tap=tap0", &m, why, sizeof why), 0);
	CHECK_MEM(m.mac, 6, mac1, 6);	/* stable */
	CHECK_U(net_try("tap=tap1", &m, why, sizeof why), 0);
	CHECK(memcmp(m.mac, mac1, 6) != 0);	/* another tap, another MAC */
	CHECK_U(net_try("stream=tap0", &m, why, sizeof why), 0);
	CHECK(memcmp(m.mac, mac1, 6) != 0);	/* the backend's kind counts */
	CHECK_U(m.kind, NET_STREAM);
	CHECK_U(net_try("stream=/run/passt.socket,mac=02:00:00:AB:cd:ef", &n, why, sizeof why), 0);
	CHECK_S(n.name, "/run/passt.socket");
	CHECK(n.mac_given);
	CHECK_MEM(n.mac, 6, "\x02\x00\x00\xab\xcd\xef", 6);
	CHECK_U(net_try("mac=52:54:00:12:34:56,tap=t", &n, why, sizeof why), 0);	/* keys in any order */
	CHECK_S(n.name, "t");
	CHECK_MEM(n.mac, 6, "\x52\x54\x00\x12\x34\x56", 6);
	CHECK_U(net_try("stream=a,,b", &n, why, sizeof why), 0);
	CHECK_S(n.name, "a,b");
	CHECK_U(net_try("tap=123456789012345", &n, why, sizeof why), 0);	/* IFNAMSIZ - 1 */
	memcpy(mac2, n.mac, 6);
	CHECK_U(net_try("tap=123456789012345", &n, why, sizeof why), 0);
	CHECK_MEM(n.mac, 6, mac2, 6);
	CHECK(!(n.mac[0] & 1) && (n.mac[0] & 2));

	NET_BAD("", "'' is not KEY=VALUE (known: tap=NAME, stream=PATH, mac=MAC)");
	NET_BAD("tap", "'tap' is not KEY=VALUE (known: tap=NAME, stream=PATH, mac=MAC)");
	NET_BAD("mac=52:54:00:12:34:56", "no backend (give tap=NAME or stream=PATH)");
	NET_BAD("tap=", "empty tap name");
	NET_BAD("stream=", "empty socket path");
	NET_BAD("tap=1234567890123456", "tap name '1234567890123456' is longer than 15 bytes");
	NET_BAD("tap=a/b", "tap name 'a/b' is not an interface name (no '/', ':', '%' or spaces)");
	NET_BAD("tap=tap%d", "tap name 'tap%d' is not an interface name (no '/', ':', '%' or spaces)");
	NET_BAD("tap=..", "tap name '..' is not an interface name (no '/', ':', '%' or spaces)");
	{
		char longpath[120] = "stream=/";

		memset(longpath + 8, 'a', 107);	/* a path of 108 bytes */
		longpath[115] = '\0';
		NET_BAD(longpath, "socket path is longer than 107 bytes (a UNIX socket's limit)");
		longpath[114] = '\0';	/* 107: fits */
		CHECK_U(net_try(longpath, &n, why, sizeof why), 0);
	}
	NET_BAD("tap=a,bogus=1", "unknown key 'bogus' (known: tap=NAME, stream=PATH, mac=MAC)");
	NET_BAD("tap=a,tap=b", "tap= given twice");
	NET_BAD("stream=a,stream=b", "stream= given twice");
	NET_BAD("tap=a,stream=b", "tap= and stream= together (one backend for each --net)");
	NET_BAD("tap=a,mac=02:00:00:00:00:01,mac=02:00:00:00:00:02", "mac= given twice");
	NET_BAD("tap=a,mac=01:00:5e:00:00:01", "mac '01:00:5e:00:00:01' is a multicast address (bit 0 of its first octet is set)");
	NET_BAD("tap=a,mac=ff:ff:ff:ff:ff:ff", "mac 'ff:ff:ff:ff:ff:ff' is a multicast address (bit 0 of its first octet is set)");
	NET_BAD("tap=a,mac=00:00:00:00:00:00", "mac '00:00:00:00:00:00' is all zeros");
	NET_BAD("tap=a,mac=52:54:00:12:34", "mac '52:54:00:12:34' is not six hex pairs separated by ':' (as 52:54:00:12:34:56)");
	NET_BAD("tap=a,mac=52:54:00:12:34:567", "mac '52:54:00:12:34:567' is not six hex pairs separated by ':' (as 52:54:00:12:34:56)");
	NET_BAD("tap=a,mac=52-54-00-12-34-56", "mac '52-54-00-12-34-56' is not six hex pairs separated by ':' (as 52:54:00:12:34:56)");
	NET_BAD("tap=a,mac=5g:54:00:12:34:56", "mac '5g:54:00:12:34:56' is not six hex pairs separated by ':' (as 52:54:00:12:34:56)");
	NET_BAD("tap=a,mac=", "mac '' is not six hex pairs separated by ':' (as 52:54:00:12:34:56)");
	NET_BAD("tap=a,", "'' is not KEY=VALUE (known: tap=NAME, stream=PATH, mac=MAC)");
}

/* Configuration mechanism #1: the host bridge answers at 00:00.0, an empty slot and other buses float. */
static void test_pci_config(void)
{
	static struct io_bus pbus;
	static struct pci_bus pb;
	static struct mmio_bus mmio;
	struct run_end pend = { .kind = END_NONE };
	uint32_t v;

	CHECK_U(io_init(&pbus, &pend, false, false), 0);
	CHECK_U(pci_attach(&pb, &pbus, &mmio), 0);
	v = 0x80000000u;
	io_access(&pbus, PCI_CONFIG_ADDR, 4, true, &v);
	io_access(&pbus, PCI_CONFIG_ADDR, 4, false, &v);
	CHECK_U(v, 0x80000000u);
	io_access(&pbus, PCI_CONFIG_DATA, 4, false, &v);
	CHECK_U(v, 0x00081b36u);	/* device 0x0008, vendor 0x1b36 */
	io_access(&pbus, PCI_CONFIG_DATA + 2, 2, false, &v);
	CHECK_U(v & 0xffff, 0x0008);
	v = 0x80000000u | 0x08;	/* class code register */
	io_access(&pbus, PCI_CONFIG_ADDR, 4, true, &v);
	io_access(&pbus, PCI_CONFIG_DATA + 3, 1, false, &v);
	CHECK_U(v & 0xff, 0x06);	/* bridge */
	v = 0x80000000u | (1u << 11);	/* 00:01.0: nothing there */
	io_access(&pbus, PCI_CONFIG_ADDR, 4, true, &v);
	io_access(&pbus, PCI_CONFIG_DATA, 4, false, &v);
	CHECK_U(v, 0xffffffffu);
	v = 0x80000000u | (1u << 16);	/* bus 1 */
	io_access(&pbus, PCI_CONFIG_ADDR, 4, true, &v);
	io_access(&pbus, PCI_CONFIG_DATA, 4, false, &v);
	CHECK_U(v, 0xffffffffu);
	v = 0x12;	/* a byte write to CONFIG_ADDRESS reaches no register */
	io_access(&pbus, PCI_CONFIG_ADDR + 3, 1, true, &v);
	io_access(&pbus, PCI_CONFIG_ADDR, 4, false, &v);
	CHECK_U(v, 0x80010000u);
	io_free(&pbus);
}

/* The split virtqueue walker on a RAM of its own: a good chain, then each kind of bad one. */
static void test_virtq(void)
{
	static uint8_t ram[65536];
	struct guest_mem m = { .host = ram, .size = sizeof ram };
	struct vq q = { .size = 8, .desc_gpa = 0x1000, .avail_gpa = 0x2000, .used_gpa = 0x3000 };
	static struct vq_chain c;
	struct vring_desc *d = (struct vring_desc *)(void *)(ram + 0x1000);
	uint16_t *avail = (uint16_t *)(void *)(ram + 0x2000);
	char why[160];

	CHECK_U(vq_enable(&q, &m, why, sizeof why), 0);
	CHECK_U(vq_pop(&q, &m, &c, why, sizeof why), 0);	/* nothing available */
	d[0] = (struct vring_desc){ .addr = 0x4000, .len = 16, .flags = VRING_DESC_F_NEXT, .next = 1 };
	d[1] = (struct vring_desc){ .addr = 0x5000, .len = 513, .flags = VRING_DESC_F_WRITE };
	avail[2] = 0;	/* ring[0] = head 0 */
	avail[1] = 1;	/* idx */
	CHECK_U(vq_pop(&q, &m, &c, why, sizeof why), 1);
	CHECK_U(c.nin, 1);
	CHECK_U(c.nout, 1);
	CHECK_U(c.in_len, 16);
	CHECK_U(c.out_len, 513);
	CHECK(c.out[0].iov_base == ram + 0x5000);
	vq_push(&q, c.head, 7);
	CHECK_U(*(uint16_t *)(void *)(ram + 0x3002), 1);
	CHECK_U(*(uint32_t *)(void *)(ram + 0x3008), 7);
	/* A loop: 0 -> 1 -> 0. */
	d[1].flags = VRING_DESC_F_NEXT;
	d[1].next = 0;
	avail[3] = 0;
	avail[1] = 2;
	CHECK_U(vq_pop(&q, &m, &c, why, sizeof why), (uint64_t)-1);
	CHECK_S(why, "the chain from descriptor 0 loops");
	CHECK_U(q.last_avail, 1);	/* a bad chain is not taken */
	/* Next beyond the queue. */
	d[1].next = 8;
	CHECK_U(vq_pop(&q, &m, &c, why, sizeof why), (uint64_t)-1);
	CHECK_S(why, "descriptor 8 is beyond the table of 8");
	/* A buffer that ends past RAM, and one whose end wraps. */
	d[1] = (struct vring_desc){ .addr = sizeof ram - 4, .len = 8, .flags = VRING_DESC_F_WRITE };
	CHECK_U(vq_pop(&q, &m, &c, why, sizeof why), (uint64_t)-1);
	CHECK_S(why, "descriptor 1: 8 bytes at 0xfffc lie outside RAM");
	d[1] = (struct vring_desc){ .addr = ~0ULL - 1, .len = 4, .flags = VRING_DESC_F_WRITE };
	CHECK_U(vq_pop(&q, &m, &c, why, sizeof why), (uint64_t)-1);
	/* Readable after writable. */
	d[0].flags = VRING_DESC_F_NEXT | VRING_DESC_F_WRITE;
	d[1] = (struct vring_desc){ .addr = 0x5000, .len = 1 };
	CHECK_U(vq_pop(&q, &m, &c, why, sizeof why), (uint64_t)-1);
	CHECK_S(why, "descriptor 1: a device-readable buffer after a writable one");
	/* An indirect table without the feature. */
	d[0] = (struct vring_desc){ .addr = 0x6000, .len = 32, .flags = VRING_DESC_F_INDIRECT };
	CHECK_U(vq_pop(&q, &m, &c, why, sizeof why), (uint64_t)-1);
	CHECK_S(why, "descriptor 0: an indirect table without INDIRECT_DESC negotiated");
	/* More available than the queue holds. */
	avail[1] = 1 + 9;
	CHECK_U(vq_pop(&q, &m, &c, why, sizeof why), (uint64_t)-1);
	CHECK_S(why, "the driver made 9 buffers available in a queue of 8");
	/* Rings outside RAM or misaligned are refused at enable. */
	q.used_gpa = sizeof ram - 8;
	CHECK_U(vq_enable(&q, &m, why, sizeof why), (uint64_t)-1);
	q.used_gpa = 0x3002;
	CHECK_U(vq_enable(&q, &m, why, sizeof why), (uint64_t)-1);
	q.used_gpa = 0x3000;
	q.size = 6;
	CHECK_U(vq_enable(&q, &m, why, sizeof why), (uint64_t)-1);
	CHECK_S(why, "queue size 6 is not a power of two from 1 to 256");
}

/*
 * EVENT_IDX: interrupts only when the used index passes the driver's
 * used_event (vring_need_event), across the 2^16 wrap; an empty pop
 * publishes avail_event and still sees a chain made available meanwhile;
 * vq_unpop gives chains back in order. Without the feature nothing moves.
 */
static void test_virtq_event_idx(void)
{
	static uint8_t ram[65536];
	struct guest_mem m = { .host = ram, .size = sizeof ram };
	struct vq q = { .size = 8, .desc_gpa = 0x1000, .avail_gpa = 0x2000, .used_gpa = 0x3000 };
	static struct vq_chain c;
	struct vring_desc *d = (struct vring_desc *)(void *)(ram + 0x1000);
	uint16_t *avail = (uint16_t *)(void *)(ram + 0x2000);
	uint16_t *used_event = avail + 2 + 8, *avail_event = (uint16_t *)(void *)(ram + 0x3000 + 4 + 8 * 8);
	char why[160];

	CHECK_U(vq_enable(&q, &m, why, sizeof why), 0);
	/* Without EVENT_IDX: the flag alone decides, used_event is ignored. */
	*used_event = 100;
	q.used_idx = 5;
	CHECK(vq_wants_interrupt(&q, 4));
	avail[0] = VRING_AVAIL_F_NO_INTERRUPT;
	CHECK(!vq_wants_interrupt(&q, 4));
	avail[0] = 0;
	*avail_event = 0x5555;
	CHECK_U(vq_pop(&q, &m, &c, why, sizeof why), 0);
	CHECK_U(*avail_event, 0x5555);	/* not written */
	/* With it: an interrupt when used_event lies in [old, new). */
	q.event_idx = true;
	avail[0] = VRING_AVAIL_F_NO_INTERRUPT;	/* ignored now */
	*used_event = 4;
	CHECK(vq_wants_interrupt(&q, 4));	/* 4 -> 5 passes 4 */
	CHECK(!vq_wants_interrupt(&q, 5));	/* nothing moved */
	*used_event = 5;
	CHECK(!vq_wants_interrupt(&q, 4));	/* 4 -> 5 has not passed 5 */
	*used_event = 2;
	CHECK(!vq_wants_interrupt(&q, 4));	/* already passed before: one interrupt was enough */
	CHECK(vq_wants_interrupt(&q, 2));	/* 2 -> 5 passes 2, 3, 4 */
	CHECK(!vq_wants_interrupt(&q, 5));	/* nothing moved */
	/* Across the wrap: 0xfffe -> 0x0002 passes 0xfffe, 0xffff, 0, 1. */
	q.used_idx = 2;
	*used_event = 0xffff;
	CHECK(vq_wants_interrupt(&q, 0xfffe));
	*used_event = 1;
	CHECK(vq_wants_interrupt(&q, 0xfffe));
	*used_event = 2;
	CHECK(!vq_wants_interrupt(&q, 0xfffe));
	*used_event = 0xfffd;
	CHECK(!vq_wants_interrupt(&q, 0xfffe));
	q.used_idx = 0;	/* 0xffff -> 0 passes 0xffff only */
	*used_event = 0xffff;
	CHECK(vq_wants_interrupt(&q, 0xffff));
	*used_event = 0;
	CHECK(!vq_wants_interrupt(&q, 0xffff));
	/* An empty pop says where the device stands, at the wrap too. */
	q.last_avail = avail[1] = 0xffff;
	*avail_event = 0;
	CHECK_U(vq_pop(&q, &m, &c, why, sizeof why), 0);
	CHECK_U(*avail_event, 0xffff);
	/* Two chains across the wrap, taken, one given back and taken again. */
	d[0] = (struct vring_desc){ .addr = 0x4000, .len = 64, .flags = VRING_DESC_F_WRITE };
	d[1] = (struct vring_desc){ .addr = 0x5000, .len = 64, .flags = VRING_DESC_F_WRITE };
	avail[2 + 7] = 0;	/* ring[0xffff % 8] = head 0 */
	avail[2 + 0] = 1;	/* ring[0] = head 1 */
	avail[1] = 1;
	CHECK_U(vq_pop(&q, &m, &c, why, sizeof why), 1);
	CHECK_U(c.head, 0);
	CHECK_U(vq_pop(&q, &m, &c, why, sizeof why), 1);
	CHECK_U(c.head, 1);
	CHECK_U(q.last_avail, 1);
	CHECK_U(vq_pop(&q, &m, &c, why, sizeof why), 0);
	CHECK_U(*avail_event, 1);
	vq_unpop(&q, 2);
	CHECK_U(q.last_avail, 0xffff);
	CHECK_U(vq_pop(&q, &m, &c, why, sizeof why), 1);
	CHECK_U(c.head, 0);
	vq_unpop(&q, 1);
	CHECK_U(vq_pop(&q, &m, &c, why, sizeof why), 1);
	CHECK_U(c.head, 0);
	CHECK_U(vq_pop(&q, &m, &c, why, sizeof why), 1);
	CHECK_U(c.head, 1);
}

/* The snapshot format: a header and records made, then checked; every damage named. */
static void test_snapshot_format(void)
{
	struct snap_buf b = { .data = NULL };
	struct snap_header h, got;
	uint64_t v = 0x1122334455667788ULL;
	uint8_t file[SNAP_HEADER_SIZE];
	const uint8_t *p;
	uint32_t len = 0;
	char why[200];
	uint64_t size;

	CHECK_U(fnv1a(FNV_START, "", 0), FNV_START);
	CHECK_U(fnv1a(FNV_START, "a", 1), 0xaf63dc4c8601ec8cULL);	/* the published FNV-1a 64 of "a" */
	snap_add(&b, REC_REGS, 1, &v, sizeof v);
	snap_add(&b, REC_DEV_UART, 0, "abc", 3);	/* padded to 8 */
	CHECK(!b.failed);
	CHECK_U(b.len, 2 * sizeof(struct snap_rec) + 16);
	snap_header_make(&h, "AuthenticAMD", 2, 1 << 20, b.data, b.len);
	CHECK_U(h.ram_off, 8192);
	size = h.ram_off + h.mem;
	memcpy(file, &h, sizeof h);

	CHECK_U(snap_check_header(file, sizeof file, size, &got, why, sizeof why), 0);
	CHECK_U(snap_check_state(&got, b.data, why, sizeof why), 0);
	p = snap_find(b.data, b.len, REC_REGS, 1, &len);
	CHECK(p != NULL);
	CHECK_U(len, 8);
	CHECK_MEM(p, 8, &v, 8);
	p = snap_find(b.data, b.len, REC_DEV_UART, 0, &len);
	CHECK(p && len == 3 && memcmp(p, "abc", 3) == 0);
	CHECK(snap_find(b.data, b.len, REC_REGS, 0, &len) == NULL);
	{	/* records of one type, one per device: the nth */
		struct snap_buf d = { .data = NULL };

		snap_add(&d, REC_VIRTIO, 0, "one", 3);
		snap_add(&d, REC_PCI_CFG, 0, "x", 1);
		snap_add(&d, REC_VIRTIO, 0, "two", 3);
		p = snap_find_nth(d.data, d.len, REC_VIRTIO, 0, 1, &len);
		CHECK(p && len == 3 && memcmp(p, "two", 3) == 0);
		p = snap_find_nth(d.data, d.len, REC_VIRTIO, 0, 0, &len);
		CHECK(p && len == 3 && memcmp(p, "one", 3) == 0);
		CHECK(snap_find_nth(d.data, d.len, REC_VIRTIO, 0, 2, &len) == NULL);
		free(d.data);
	}

	CHECK_U(snap_check_header(file, 100, 100, &got, why, sizeof why), (uint64_t)(int64_t)-1);
	CHECK_S(why, "truncated: 100 bytes, less than the 128-byte header");
	CHECK_U(snap_check_header(file, sizeof file, size - 1, &got, why, sizeof why), (uint64_t)(int64_t)-1);
	CHECK_S(why, "truncated: 1056767 bytes, the header says 1056768");
	CHECK_U(snap_check_header(file, sizeof file, size + 1, &got, why, sizeof why), (uint64_t)(int64_t)-1);
	CHECK_S(why, "damaged: 1056769 bytes, the header says 1056768");
	file[0] ^= 1;
	CHECK_U(snap_check_header(file, sizeof file, size, &got, why, sizeof why), (uint64_t)(int64_t)-1);
	CHECK_S(why, "not a kvmrun snapshot (no KVMRSNAP magic)");
	file[0] ^= 1;
	file[8] = 7;	/* the version, checked before the checksum: another kvmrun's file is named as such */
	CHECK_U(snap_check_header(file, sizeof file, size, &got, why, sizeof why), (uint64_t)(int64_t)-1);
	CHECK_S(why, "format version 7; this kvmrun (" KVMRUN_VERSION ") reads version 1");
	file[8] = SNAP_VERSION;
	file[40] ^= 0x40;	/* inside mem */
	CHECK_U(snap_check_header(file, sizeof file, size, &got, why, sizeof why), (uint64_t)(int64_t)-1);
	CHECK_S(why, "damaged: the header's checksum does not match");
	file[40] ^= 0x40;

	b.data[sizeof(struct snap_rec)] ^= 1;	/* a byte of the first record's data */
	CHECK_U(snap_check_state(&got, b.data, why, sizeof why), (uint64_t)(int64_t)-1);
	CHECK_S(why, "damaged: the state's checksum does not match");
	b.data[sizeof(struct snap_rec)] ^= 1;
	/* A record whose length runs past the state, checksum made to match: caught by the bounds. */
	{
		struct snap_rec r;

		memcpy(&r, b.data, sizeof r);
		r.len = 1000;
		memcpy(b.data, &r, sizeof r);
		got.state_sum = fnv1a(FNV_START, b.data, b.len);
		CHECK_U(snap_check_state(&got, b.data, why, sizeof why), (uint64_t)(int64_t)-1);
		CHECK_S(why, "damaged: record 4 at byte 0 of the state does not fit");
		r.len = 8;
		r.cpu = 2;	/* the header says 2 CPUs: index 2 is none of them */
		memcpy(b.data, &r, sizeof r);
		got.state_sum = fnv1a(FNV_START, b.data, b.len);
		CHECK_U(snap_check_state(&got, b.data, why, sizeof why), (uint64_t)(int64_t)-1);
		CHECK_S(why, "damaged: record 4 at byte 0 of the state does not fit");
	}
	free(b.data);
}

/* --gdb's value: [HOST:]PORT or unix:PATH; every refusal says why. */
static void test_gdb_parse(void)
{
	struct gdb_addr a;
	const char *why = NULL;

	CHECK_U(gdb_parse("1234", &a, &why), 0);
	CHECK_S(a.host, "127.0.0.1");
	CHECK_U(a.port, 1234);
	CHECK(a.path == NULL);
	CHECK_U(gdb_parse("0.0.0.0:0", &a, &why), 0);
	CHECK_S(a.host, "0.0.0.0");
	CHECK_U(a.port, 0);
	CHECK_U(gdb_parse("unix:/run/vm.gdb", &a, &why), 0);
	CHECK_S(a.path, "/run/vm.gdb");
	CHECK_S(a.arg, "unix:/run/vm.gdb");
	CHECK_U(gdb_parse("unix:rel:with:colons", &a, &why), 0);	/* PATH is all after the prefix */
	CHECK_S(a.path, "rel:with:colons");
	CHECK_U(gdb_parse("unix:", &a, &why), (uint64_t)-1);
	CHECK_S(why, "PATH is empty");
	CHECK_U(gdb_parse("65536", &a, &why), (uint64_t)-1);
	CHECK_S(why, "PORT is above 65535");
	CHECK_U(gdb_parse(":1234", &a, &why), (uint64_t)-1);
	CHECK_S(why, "not [HOST:]PORT or unix:PATH");
	CHECK_U(gdb_parse("unixx:1", &a, &why), (uint64_t)-1);
	CHECK_S(why, "HOST is not an IPv4 address");
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--known-bugs") == 0) {
		known_bugs();
	} else if (argc == 1) {
		test_parse_size();
		test_parse_addr();
		test_parse_seconds();
		test_parse_cpus();
		test_modes();
		test_guest_range();
		test_guest_range_split();
		test_devices();
		test_counts();
		test_verbose();
		test_attach();
		test_rtc();
		test_i8042();
		test_pvpanic();
		test_console_big();
		test_console_stuck();
		test_console_epipe();
		test_disk_parse();
		test_net_parse();
		test_gdb_parse();
		test_pci_config();
		test_virtq();
		test_virtq_event_idx();
		test_snapshot_format();
	} else {
		fprintf(stderr, "usage: tests/unit [--known-bugs]\n");
		return 2;
	}
	printf("unit: %u checks, %u failed\n", checks, failed);
	return failed ? 1 : 0;
}
