/*
 * bench/baseline: the yardstick for `make bench`. The least a correct KVM
 * runner does for a real-mode guest, and nothing else: one VM, 16 MiB of
 * RAM, one VCPU in kvmrun's default real-mode entry state, the guest file
 * at 0x10000, COM1 output collected in memory and written to stdout once
 * at the end. No options, no CPUID table, no timers, no signal handling.
 *
 * usage: bench/baseline GUEST    (exit 0 when the guest halts, 1 otherwise)
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/kvm.h>

#define MEM_SIZE   (16UL << 20)	/* kvmrun's default --mem */
#define ENTRY      0x10000UL	/* kvmrun's default real-mode entry: CS:IP = 1000:0000 */
#define TSS_GPA    0xfffbd000UL	/* as kvmrun: for VMX without unrestricted guest */
#define COM1       0x3f8
#define COM1_LSR   0x3fd
#define LSR_IDLE   0x60		/* THRE | TEMT: ready to send, no input */
#define OUT_BUF    (1UL << 20)	/* 16 times the largest benchmark output */

static unsigned char out[OUT_BUF];
static size_t out_len;

static void flush_out(void)
{
	size_t done = 0;

	while (done < out_len) {
		ssize_t n = write(STDOUT_FILENO, out + done, out_len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			err(1, "writing guest output");
		done += (size_t)n;
	}
	out_len = 0;
}

static void put(unsigned char c)
{
	if (out_len == sizeof out)
		flush_out();	/* never reached by the benchmark guests */
	out[out_len++] = c;
}

/* One KVM_EXIT_IO: count items of size bytes at data_offset in the run page. */
static void on_io(struct kvm_run *run, size_t run_size)
{
	uint64_t size = run->io.size, count = run->io.count, off = run->io.data_offset;
	uint16_t port = run->io.port;
	unsigned char *data = (unsigned char *)run + off;

	if (size == 0 || size > 4 || off > run_size || size * count > run_size - off)
		errx(1, "malformed I/O exit");
	for (uint64_t i = 0; i < count; i++, data += size) {
		if (run->io.direction == KVM_EXIT_IO_OUT) {
			if (port == COM1)
				put(data[0]);	/* a wider write reaches THR with its low byte */
		} else {
			memset(data, 0xff, size);
			if (port == COM1_LSR)
				data[0] = LSR_IDLE;
		}
	}
}

int main(int argc, char **argv)
{
	struct kvm_userspace_memory_region slot;
	struct kvm_sregs s;
	struct kvm_regs r;
	struct kvm_run *run;
	unsigned char *mem;
	int kvm, vm, vcpu, fd, mmap_size;
	size_t loaded = 0;

	if (argc != 2)
		errx(2, "usage: baseline GUEST");
	if ((kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC)) < 0)
		err(1, "/dev/kvm");
	if ((vm = ioctl(kvm, KVM_CREATE_VM, 0)) < 0)
		err(1, "KVM_CREATE_VM");
	if (ioctl(vm, KVM_SET_TSS_ADDR, TSS_GPA) < 0)
		err(1, "KVM_SET_TSS_ADDR");
	mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (mem == MAP_FAILED)
		err(1, "mmap guest RAM");
	slot = (struct kvm_userspace_memory_region){
		.slot = 0, .guest_phys_addr = 0, .memory_size = MEM_SIZE,
		.userspace_addr = (uint64_t)(uintptr_t)mem,
	};
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &slot) < 0)
		err(1, "KVM_SET_USER_MEMORY_REGION");
	if ((vcpu = ioctl(vm, KVM_CREATE_VCPU, 0)) < 0)
		err(1, "KVM_CREATE_VCPU");
	if ((mmap_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0)) < (int)sizeof *run)
		err(1, "KVM_GET_VCPU_MMAP_SIZE");
	run = mmap(NULL, (size_t)mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED)
		err(1, "mmap run page");

	/* The guest file at ENTRY; whatever does not fit below 1 MiB is an error. */
	if ((fd = open(argv[1], O_RDONLY | O_CLOEXEC)) < 0)
		err(1, "%s", argv[1]);
	for (;;) {
		ssize_t n = read(fd, mem + ENTRY + loaded, 0x100000 - ENTRY - loaded + 1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			err(1, "%s", argv[1]);
		if (n == 0)
			break;
		loaded += (size_t)n;
		if (loaded > 0x100000 - ENTRY)
			errx(1, "%s: too large for real mode", argv[1]);
	}
	close(fd);

	/* kvmrun's real-mode entry (cpu.c): CS=DS=ES=FS=GS=0x1000, SS:SP=0:0, IP=0, caches on. */
	if (ioctl(vcpu, KVM_GET_SREGS, &s) < 0)
		err(1, "KVM_GET_SREGS");
	s.cr0 = (s.cr0 & ~((1UL << 30) | (1UL << 29))) | (1UL << 4);	/* CD, NW off; ET on */
	s.cs.selector = s.ds.selector = s.es.selector = s.fs.selector = s.gs.selector = ENTRY >> 4;
	s.cs.base = s.ds.base = s.es.base = s.fs.base = s.gs.base = ENTRY;
	s.cs.limit = s.ds.limit = s.es.limit = s.fs.limit = s.gs.limit = 0xffff;
	s.ss.selector = 0;
	s.ss.base = 0;
	s.ss.limit = 0xffff;
	if (ioctl(vcpu, KVM_SET_SREGS, &s) < 0)
		err(1, "KVM_SET_SREGS");
	memset(&r, 0, sizeof r);
	r.rflags = 2;
	if (ioctl(vcpu, KVM_SET_REGS, &r) < 0)
		err(1, "KVM_SET_REGS");

	for (;;) {
		if (ioctl(vcpu, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			err(1, "KVM_RUN");
		}
		switch (run->exit_reason) {
		case KVM_EXIT_IO:
			on_io(run, (size_t)mmap_size);
			break;
		case KVM_EXIT_HLT:
			flush_out();
			return 0;
		default:
			flush_out();
			errx(1, "guest stopped: KVM exit reason %u", run->exit_reason);
		}
	}
}
