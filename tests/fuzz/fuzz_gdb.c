/*
 * fuzz_gdb: the gdb stub's packet layer (gdb.c: the framing, every packet,
 * breakpoints, memory and registers) on bytes from the input, as a gdb
 * connection would send them, with no VM: the vCPUs are descriptors this
 * file's ioctl() answers for (registers kept here, KVM_TRANSLATE the
 * identity below 128 KiB, the debug state accepted), guest RAM is 64 KiB of a
 * known pattern, and the pause returns at once (the vCPUs count as held).
 * gdb.c is included, not linked: its packet layer is static. Input:
 *   byte 0      bits 0-1: vCPUs - 1
 *   byte 1      the size of each read the stub is fed, 1 to 256
 *   the rest    what gdb sends
 * Checked: everything the stub writes back is acks and well-framed packets
 * ($DATA#cs, the checksum right, DATA free of '$' and '#', at most PacketSize
 * * 2); with no 'M' byte in the input (so no memory write), RAM after the
 * stub removes its breakpoints (as on detach) is exactly what it was, however
 * breakpoints were set, doubled and removed. FUZZ_GDB_SHOW=1 prints what the
 * stub wrote back.
 */
#include <errno.h>
#include <stdarg.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "fuzz_util.h"
#include "../../gdb.c"

#define FAKE_FD   900             /* vCPU i is descriptor FAKE_FD + i: a number nothing else opens */
#define RAM_SIZE  (64 * 1024)

static struct vm vm;
static struct vcpu cpus[4];
static struct kvm_run runs[4];
static struct kvm_regs regs[4];
static struct kvm_fpu fpus[4];
static uint8_t *ram, *pristine;
static struct gdb *g;
static int out_fd = -1;

/* The vCPUs' ioctls; any other descriptor's go to the kernel. */
int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;
	unsigned i = (unsigned)(fd - FAKE_FD);

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (fd < FAKE_FD || i >= vm.ncpus)
		return (int)syscall(SYS_ioctl, fd, req, arg);
	if (req == KVM_GET_REGS)
		memcpy(arg, &regs[i], sizeof regs[i]);
	else if (req == KVM_SET_REGS)
		memcpy(&regs[i], arg, sizeof regs[i]);
	else if (req == KVM_GET_FPU)
		memcpy(arg, &fpus[i], sizeof fpus[i]);
	else if (req == KVM_SET_FPU)
		memcpy(&fpus[i], arg, sizeof fpus[i]);
	else if (req == KVM_GET_SREGS)
		memset(arg, 0, sizeof(struct kvm_sregs));
	else if (req == KVM_TRANSLATE) {
		struct kvm_translation *t = arg;

		t->physical_address = t->linear_address;	/* beyond RAM up to twice its size: guest_range refuses */
		t->valid = t->linear_address < 2 * RAM_SIZE;
	} else if (req != KVM_SET_GUEST_DEBUG && req != KVM_GET_VCPU_EVENTS && req != KVM_SET_VCPU_EVENTS) {
		errno = ENOTTY;
		return -1;
	}
	return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	out_fd = memfd_create("fuzz_gdb", MFD_CLOEXEC);
	ram = malloc(RAM_SIZE);
	pristine = malloc(RAM_SIZE);
	g = calloc(1, sizeof *g);
	if (out_fd < 0 || !ram || !pristine || !g || pthread_mutex_init(&g->lock, NULL) != 0) {
		perror("fuzz_gdb: setup");
		exit(1);
	}
	for (unsigned k = 0; k < RAM_SIZE; k++)
		pristine[k] = (uint8_t)(k * 131 + 7);	/* no two neighbours alike: a byte put back in the wrong place shows */
	pthread_mutex_init(&vm.shared.lock, NULL);
	pthread_cond_init(&vm.shared.cond, NULL);
	return 0;
}

/* A fresh VM, held by nobody, every vCPU counted as held, and a connected stub. */
static void reset(unsigned ncpus)
{
	pthread_mutex_t lock = g->lock;

	memcpy(ram, pristine, RAM_SIZE);
	vm.cpu = cpus;
	vm.ncpus = ncpus;
	vm.mem = (struct guest_mem){ .host = ram, .size = RAM_SIZE };
	vm.end = (struct run_end){ .kind = END_NONE };
	vm.shared.stopping = vm.shared.paused = false;
	vm.shared.holders = 0;
	vm.shared.cpu0_held = true;
	vm.shared.held = 0;
	vm.shared.exited = ncpus - 1;
	for (unsigned i = 0; i < ncpus; i++) {
		cpus[i] = (struct vcpu){ .vm = &vm, .index = i, .fd = FAKE_FD + (int)i, .run = &runs[i] };
		regs[i] = (struct kvm_regs){ .rip = 0x1000 + i, .rsp = 0x8000, .rflags = 2 };
		memset(&fpus[i], 0, sizeof fpus[i]);
	}
	memset(g, 0, sizeof *g);
	g->lock = lock;
	g->vm = &vm;
	vm.gdb = g;
	g->fd = out_fd;
	g->null_fd = -1;
	g->listen_fd = -1;
	g->sock.listen_fd = -1;
	g->step_cpu = -1;
	g->connected = true;
	ftruncate(out_fd, 0);
	lseek(out_fd, 0, SEEK_SET);
}

/* Everything written back: '+', '-', or $DATA#cs with the right checksum. */
static void check_output(void)
{
	static char out[1 << 22];
	ssize_t n = pread(out_fd, out, sizeof out, 0);

	CHECK(n >= 0 && (size_t)n < sizeof out, "the stub wrote %zd bytes", n);
	if (getenv("FUZZ_GDB_SHOW"))	/* what the stub said, to see what a seed reaches */
		fprintf(stderr, "%.*s\n", (int)n, out);
	for (ssize_t i = 0; i < n;) {
		unsigned sum = 0;
		ssize_t j;

		if (out[i] == '+' || out[i] == '-') {
			i++;
			continue;
		}
		CHECK(out[i] == '$', "byte %zd of the output is 0x%02x, not an ack or a packet", i, (unsigned char)out[i]);
		for (j = i + 1; j < n && out[j] != '#'; j++) {
			CHECK(out[j] != '$', "a '$' inside a reply at byte %zd", j);
			sum += (unsigned char)out[j];
		}
		CHECK(j + 2 < n, "a reply from byte %zd has no #cs", i);
		CHECK(j - i - 1 <= 2 * PKT_MAX, "a reply of %zd bytes", j - i - 1);
		CHECK(parse_hex_digit(out[j + 1]) == (int)((sum >> 4) & 15) && parse_hex_digit(out[j + 2]) == (int)(sum & 15),
		      "the reply at byte %zd has checksum %c%c, not %02x", i, out[j + 1], out[j + 2], sum & 0xff);
		i = j + 3;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t chunk;

	if (size < 2)
		return 0;
	reset((data[0] & 3) + 1);
	chunk = (size_t)data[1] + 1;
	for (size_t at = 2; at < size; at += chunk) {
		size_t n = size - at < chunk ? size - at : chunk;

		if (!feed(g, (const char *)data + at, n))
			break;	/* k, vKill or D: the connection is over */
	}
	check_output();
	remove_all(g);
	if (!memchr(data + 2, 'M', size - 2)) {
		size_t k = 0;

		while (k < RAM_SIZE && ram[k] == pristine[k])
			k++;
		CHECK(k == RAM_SIZE, "RAM at 0x%zx is 0x%02x, was 0x%02x, with every breakpoint removed", k, ram[k],
		      pristine[k]);
	}
	return 0;
}
