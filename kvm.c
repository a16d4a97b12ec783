/* The KVM plumbing: /dev/kvm, the VM, its RAM and VCPU, the KVM_RUN loop. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "kvm.h"
#include "devices/devices.h"

/* Where KVM may put the real-mode TSS on CPUs without unrestricted guest. */
#define KVM_TSS_GPA 0xfffbd000ULL

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

uint64_t ram_low(uint64_t mem_bytes)
{
	return mem_bytes < GUEST_HOLE_START ? mem_bytes : GUEST_HOLE_START;
}

uint64_t ram_high(uint64_t mem_bytes)
{
	return mem_bytes - ram_low(mem_bytes);
}

uint64_t ram_top(uint64_t mem_bytes)
{
	return ram_high(mem_bytes) ? GUEST_HIGH_START + ram_high(mem_bytes) : mem_bytes;
}

const char *ram_str(uint64_t mem_bytes, char *buf, size_t len)
{
	if (ram_high(mem_bytes))
		snprintf(buf, len, "0x0-0x%llx and 0x%llx-0x%llx", GUEST_HOLE_START - 1, GUEST_HIGH_START,
			 (unsigned long long)(ram_top(mem_bytes) - 1));
	else
		snprintf(buf, len, "0x0-0x%llx", (unsigned long long)(mem_bytes - 1));
	return buf;
}

void *guest_range(const struct guest_mem *m, uint64_t gpa, uint64_t len)
{
	uint64_t end, low = m->size - m->high;

	if (__builtin_add_overflow(gpa, len, &end))
		return NULL;
	if (end <= low)
		return m->host + gpa;
	if (m->high && gpa >= GUEST_HIGH_START && end - GUEST_HIGH_START <= m->high)
		return m->host + low + (gpa - GUEST_HIGH_START);
	return NULL;
}

static const struct {
	int cap;
	const char *name;
	const char *why;
} needed_caps[] = {
	{ KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY", "guest RAM from host memory" },
	{ KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT", "race-free timeout and signals (Linux 4.11 or later)" },
	{ KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID", "the guest's CPUID table" },
};

static int open_kvm(struct vm *vm, const char *path)
{
	vm->kvm_fd = open(path, O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0) {
		int e = errno;

		if (e == ENOENT || e == ENODEV || e == ENXIO)
			fprintf(stderr, "kvmrun: %s: %s: load the KVM module (modprobe kvm_intel or kvm_amd) "
				"or enable virtualization in the firmware\n", path, strerror(e));
		else if (e == EACCES || e == EPERM)
			fprintf(stderr, "kvmrun: %s: %s: add your user to the kvm group "
				"(usermod -aG kvm USER) and log in again\n", path, strerror(e));
		else
			fprintf(stderr, "kvmrun: cannot open %s: %s\n", path, strerror(e));
		return -1;
	}
	vm->api_version = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
	if (vm->api_version < 0) {
		fprintf(stderr, "kvmrun: %s is not a KVM device (KVM_GET_API_VERSION: %s)\n",
			path, strerror(errno));
		return -1;
	}
	if (vm->api_version != KVM_API_VERSION) {
		fprintf(stderr, "kvmrun: %s speaks KVM API version %d; kvmrun needs version %d\n",
			path, vm->api_version, KVM_API_VERSION);
		return -1;
	}
	for (unsigned i = 0; i < sizeof needed_caps / sizeof needed_caps[0]; i++) {
		if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, needed_caps[i].cap) <= 0) {
			fprintf(stderr, "kvmrun: this KVM lacks %s, needed for %s; use a newer kernel\n",
				needed_caps[i].name, needed_caps[i].why);
			return -1;
		}
	}
	return 0;
}

static int ioctl_failed(const char *what)
{
	fprintf(stderr, "kvmrun: %s failed: %s\n", what, strerror(errno));
	return -1;
}

/* PIC, IOAPIC and LAPIC in the kernel, and the PIT: what a QEMU guest expects. Before the VCPU. */
static int create_irqchip(struct vm *vm)
{
	/* The speaker port 0x61 is the PIT's gate: KVM answers it too, so a kernel's PIT calibration works. */
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };

	if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IRQCHIP) <= 0 ||
	    ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_PIT2) <= 0) {
		fprintf(stderr, "kvmrun: this KVM has no in-kernel interrupt controller or PIT "
			"(KVM_CAP_IRQCHIP, KVM_CAP_PIT2); run with --no-irqchip\n");
		return -1;
	}
	if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0)
		return ioctl_failed("creating the interrupt controllers (KVM_CREATE_IRQCHIP)");
	if (ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit) < 0)
		return ioctl_failed("creating the PIT (KVM_CREATE_PIT2)");
	return 0;
}

#define CPUID1_ECX_X2APIC       (1u << 21)
#define CPUID1_ECX_TSC_DEADLINE (1u << 24)
#define CPUID1_EDX_APIC         (1u << 9)
#define CPUID1_ECX_HYPERVISOR   (1u << 31)

/* The APIC bits of leaf 1 say what the VM has: a LAPIC only with the irqchip. */
static void cpuid_fix_apic(const struct vm *vm, struct kvm_cpuid2 *c)
{
	bool deadline = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_TSC_DEADLINE_TIMER) > 0;

	for (uint32_t i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];

		if (e->function != 1)
			continue;
		e->ecx |= CPUID1_ECX_HYPERVISOR;	/* a kernel looks for KVM's leaves (kvm-clock) only then */
		if (!vm->irqchip) {
			e->edx &= ~CPUID1_EDX_APIC;
			e->ecx &= ~(CPUID1_ECX_X2APIC | CPUID1_ECX_TSC_DEADLINE);
		} else if (deadline) {
			e->ecx |= CPUID1_ECX_TSC_DEADLINE;	/* KVM emulates it but leaves the bit to us */
		}
	}
}

#define MSR_IA32_APICBASE 0x1b

/*
 * No LAPIC without the irqchip: its base MSR says disabled, which is also
 * what KVM reflects in CPUID.1:EDX.APIC while the guest runs.
 */
static int disable_apic(struct vm *vm)
{
	struct {
		struct kvm_msrs head;
		struct kvm_msr_entry entry;
	} m = { .head.nmsrs = 1, .entry = { .index = MSR_IA32_APICBASE, .data = 0 } };

	if (ioctl(vm->vcpu_fd, KVM_SET_MSRS, &m) != 1)
		return ioctl_failed("disabling the absent LAPIC (KVM_SET_MSRS IA32_APIC_BASE)");
	return 0;
}

#define MSR_MTRR_DEF_TYPE 0x2ff
#define MTRR_ENABLE_WB   ((1u << 11) | 6u)	/* MTRRs on, memory write-back unless a range says */

/*
 * Memory write-back, as firmware leaves a PC. The LAPIC's LINT pins stay as
 * KVM resets them (masked): the MP table and the MADT say LINT0 is ExtINT and
 * LINT1 NMI, and a kernel programs its LAPIC from them. (Unmasking LINT0 here
 * would hand a bare guest's PIC interrupts to a CPU that never asked.)
 */
static int enable_mtrrs(struct vm *vm)
{
	struct {
		struct kvm_msrs head;
		struct kvm_msr_entry entry;
	} m = { .head.nmsrs = 1, .entry = { .index = MSR_MTRR_DEF_TYPE, .data = MTRR_ENABLE_WB } };

	if (ioctl(vm->vcpu_fd, KVM_SET_MSRS, &m) != 1)
		return ioctl_failed("enabling the MTRRs (KVM_SET_MSRS IA32_MTRR_DEF_TYPE)");
	return 0;
}

/* The host's supported CPUID, given to the VCPU; returns guest physical address bits. */
static int set_cpuid(struct vm *vm, unsigned *phys_bits)
{
	struct kvm_cpuid2 *c = NULL;
	int n = 64, r;

	*phys_bits = 36;
	for (;;) {
		struct kvm_cpuid2 *bigger = realloc(c, sizeof *c + (size_t)n * sizeof c->entries[0]);

		if (!bigger) {
			free(c);
			fprintf(stderr, "kvmrun: out of memory for the CPUID table\n");
			return -1;
		}
		c = bigger;
		memset(c, 0, sizeof *c + (size_t)n * sizeof c->entries[0]);
		c->nent = (uint32_t)n;
		r = ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, c);
		if (r == 0)
			break;
		if (errno != E2BIG || n >= 4096) {
			free(c);
			return ioctl_failed("KVM_GET_SUPPORTED_CPUID");
		}
		n *= 2;
	}
	for (uint32_t i = 0; i < c->nent; i++)
		if (c->entries[i].function == 0x80000008)
			*phys_bits = c->entries[i].eax & 0xff;
	cpuid_fix_apic(vm, c);
	r = ioctl(vm->vcpu_fd, KVM_SET_CPUID2, c);
	free(c);
	if (r < 0)
		return ioctl_failed("KVM_SET_CPUID2");
	return vm->irqchip ? enable_mtrrs(vm) : disable_apic(vm);
}

int vm_open(struct vm *vm, const char *path, uint64_t mem_bytes)
{
	struct kvm_userspace_memory_region slot;
	unsigned phys_bits;
	char sz[32];
	int size;

	vm->vm_fd = vm->vcpu_fd = -1;
	vm->mem.host = MAP_FAILED;
	vm->run = MAP_FAILED;
	if (open_kvm(vm, path) < 0)
		return -1;
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0)
		return ioctl_failed("creating the VM (KVM_CREATE_VM)");
	if (vm->irqchip && create_irqchip(vm) < 0)
		return -1;
	/* In the hole: never RAM. */
	if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SET_TSS_ADDR) > 0 &&
	    ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, (unsigned long)KVM_TSS_GPA) < 0)
		return ioctl_failed("KVM_SET_TSS_ADDR");

	/* Reserved, not committed: --mem 4G starts as fast as --mem 16. Never executable here. */
	vm->mem.host = mmap(NULL, mem_bytes, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (vm->mem.host == MAP_FAILED) {
		fprintf(stderr, "kvmrun: cannot reserve %s of host memory for guest RAM: %s; lower --mem\n",
			size_str(mem_bytes, sz, sizeof sz), strerror(errno));
		return -1;
	}
	vm->mem.size = mem_bytes;
	vm->mem.high = ram_high(mem_bytes);
	/* Slot 0 at 0, slot 1 above the 32-bit hole when RAM reaches it. */
	for (uint32_t i = 0; i < 2; i++) {
		uint64_t bytes = i ? ram_high(mem_bytes) : ram_low(mem_bytes);

		if (!bytes)
			continue;
		slot = (struct kvm_userspace_memory_region){
			.slot = i, .guest_phys_addr = i ? GUEST_HIGH_START : 0, .memory_size = bytes,
			.userspace_addr = (uint64_t)(uintptr_t)(vm->mem.host + (i ? ram_low(mem_bytes) : 0)),
		};
		if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &slot) < 0) {
			fprintf(stderr, "kvmrun: KVM refused %s of guest RAM (KVM_SET_USER_MEMORY_REGION: %s); lower --mem\n",
				size_str(mem_bytes, sz, sizeof sz), strerror(errno));
			return -1;
		}
	}

	vm->vcpu_fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, 0);
	if (vm->vcpu_fd < 0)
		return ioctl_failed("creating the VCPU (KVM_CREATE_VCPU)");
	size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (size < 0)
		return ioctl_failed("KVM_GET_VCPU_MMAP_SIZE");
	if (size < (int)sizeof(struct kvm_run)) {
		fprintf(stderr, "kvmrun: KVM_GET_VCPU_MMAP_SIZE says %d bytes, less than struct kvm_run\n", size);
		return -1;
	}
	vm->run_size = (size_t)size;
	vm->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vm->vcpu_fd, 0);
	if (vm->run == MAP_FAILED)
		return ioctl_failed("mapping the VCPU's run structure");
	if (set_cpuid(vm, &phys_bits) < 0)
		return -1;
	if (phys_bits < 64 && ram_top(mem_bytes) > (1ULL << phys_bits)) {
		fprintf(stderr, "kvmrun: --mem %s is more than the %u-bit guest physical address space; lower --mem\n",
			size_str(mem_bytes, sz, sizeof sz), phys_bits);
		return -1;
	}
	return 0;
}

void vm_close(struct vm *vm)
{
	io_free(&vm->bus);
	free(vm->pc);
	vm->pc = NULL;
	if (vm->run != MAP_FAILED && vm->run)
		munmap(vm->run, vm->run_size);
	if (vm->vcpu_fd >= 0)
		close(vm->vcpu_fd);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	/* RAM last: unmapped under a live VM, KVM would walk its tables for every page. */
	if (vm->mem.host != MAP_FAILED && vm->mem.host)
		munmap(vm->mem.host, vm->mem.size);
	vm->run = MAP_FAILED;
	vm->mem.host = MAP_FAILED;
	vm->vcpu_fd = vm->vm_fd = vm->kvm_fd = -1;
}

int vm_attach_devices(struct vm *vm, const char *cmdline)
{
	console_init(&vm->con, STDOUT_FILENO, STDIN_FILENO);
	vm->con.give_up = stop_give_up;
	if (io_init(&vm->bus, &vm->end, vm->stats_on, vm->verbose) < 0) {
		fprintf(stderr, "kvmrun: out of memory for the port table\n");
		return -1;
	}
	if (vm->irqchip)
		vm->bus.irq_fd = vm->vm_fd;
	vm->pc = calloc(1, sizeof *vm->pc);
	if (!vm->pc) {
		fprintf(stderr, "kvmrun: out of memory for the devices\n");
		return -1;
	}
	if (uart_attach(&vm->com1, &vm->bus, PORT_COM1, &vm->con) < 0 ||
	    fwcfg_attach(&vm->fwcfg, &vm->bus, vm->mem.size, cmdline) < 0 ||
	    rtc_attach(&vm->pc->rtc, &vm->bus) < 0 || i8042_attach(&vm->pc->i8042, &vm->bus) < 0 ||
	    pvpanic_attach(&vm->bus) < 0 || acpi_pm_attach(&vm->pc->pm, &vm->bus) < 0 ||
	    (vm->mode == MODE_USER && user_attach(vm) < 0))
		return -1;
	return exitport_attach(&vm->bus);
}

/* ---- exits ---- */

static const char *const exit_names[] = {
	[KVM_EXIT_UNKNOWN] = "UNKNOWN", [KVM_EXIT_EXCEPTION] = "EXCEPTION",
	[KVM_EXIT_IO] = "IO", [KVM_EXIT_HYPERCALL] = "HYPERCALL",
	[KVM_EXIT_DEBUG] = "DEBUG", [KVM_EXIT_HLT] = "HLT", [KVM_EXIT_MMIO] = "MMIO",
	[KVM_EXIT_IRQ_WINDOW_OPEN] = "IRQ_WINDOW_OPEN", [KVM_EXIT_SHUTDOWN] = "SHUTDOWN",
	[KVM_EXIT_FAIL_ENTRY] = "FAIL_ENTRY", [KVM_EXIT_INTR] = "INTR",
	[KVM_EXIT_SET_TPR] = "SET_TPR", [KVM_EXIT_TPR_ACCESS] = "TPR_ACCESS",
	[KVM_EXIT_NMI] = "NMI", [KVM_EXIT_INTERNAL_ERROR] = "INTERNAL_ERROR",
	[KVM_EXIT_OSI] = "OSI", [KVM_EXIT_WATCHDOG] = "WATCHDOG",
	[KVM_EXIT_EPR] = "EPR", [KVM_EXIT_SYSTEM_EVENT] = "SYSTEM_EVENT",
	[KVM_EXIT_IOAPIC_EOI] = "IOAPIC_EOI", [KVM_EXIT_HYPERV] = "HYPERV",
	[KVM_EXIT_X86_RDMSR] = "X86_RDMSR", [KVM_EXIT_X86_WRMSR] = "X86_WRMSR",
};

static const char *exit_name(uint32_t reason)
{
	if (reason < sizeof exit_names / sizeof exit_names[0] && exit_names[reason])
		return exit_names[reason];
	return "unnamed";
}

/* A guest fault with its one-line reason; vm->bus.end is vm->end. True: the run ends. */
#define fault(vm, ...) (io_fault(&(vm)->bus, __VA_ARGS__) == IO_END)

static bool on_interrupt(struct vm *vm);

/* A flush failed: the reader left (END_OUTPUT), or a stop gave up on a stuck reader. */
static bool output_failed(struct vm *vm)
{
	if (vm->con.out_errno == EINTR)
		return on_interrupt(vm);
	vm->end.kind = END_OUTPUT;
	vm->end.errno_value = vm->con.out_errno;
	return true;
}

/* Each handler returns true when the run ends (vm->end says why). */
typedef bool exit_fn(struct vm *vm);

/* Ctrl-A x on the console ends the run. */
static bool quit_typed(struct vm *vm)
{
	if (!vm->con.quit)
		return false;
	vm->end.kind = END_QUIT;
	return true;
}

static bool on_io(struct vm *vm)
{
	uint16_t port = vm->run->io.port;

	if (io_exit(&vm->bus, vm->run, vm->run_size) == IO_END || quit_typed(vm))
		return true;
	if (vm->con.len == 0)
		return false;
	if (io_batches(&vm->bus, port)) {
		stop_arm_flush();	/* a guest that prints and then spins is still seen */
		return false;
	}
	if (console_flush(&vm->con) == 0)
		return false;
	return output_failed(vm);
}

static bool on_hlt(struct vm *vm)
{
	vm->end.kind = END_HALT;
	return true;
}

static bool on_mmio(struct vm *vm)
{
	const struct kvm_run *r = vm->run;
	uint64_t v = 0;
	unsigned len = r->mmio.len <= 8 ? r->mmio.len : 8;
	char ram[80];

	memcpy(&v, r->mmio.data, len);
	ram_str(vm->mem.size, ram, sizeof ram);
	if (r->mmio.is_write)
		return fault(vm, "%u-byte write of 0x%llx to 0x%llx, outside RAM (%s) (KVM_EXIT_MMIO)",
			     r->mmio.len, (unsigned long long)v, (unsigned long long)r->mmio.phys_addr, ram);
	return fault(vm, "%u-byte read from 0x%llx, outside RAM (%s) (KVM_EXIT_MMIO)",
		     r->mmio.len, (unsigned long long)r->mmio.phys_addr, ram);
}

static bool on_shutdown(struct vm *vm)
{
	return fault(vm, "triple fault: the CPU shut down (KVM_EXIT_SHUTDOWN)");
}

static bool on_internal_error(struct vm *vm)
{
	static const char *const sub[] = {
		[KVM_INTERNAL_ERROR_EMULATION] = "instruction emulation failed",
		[KVM_INTERNAL_ERROR_SIMUL_EX] = "exception while delivering an exception",
		[KVM_INTERNAL_ERROR_DELIVERY_EV] = "exception during event delivery",
		[KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON] = "unexpected exit reason",
	};
	uint32_t s = vm->run->internal.suberror;
	const char *name = s < sizeof sub / sizeof sub[0] && sub[s] ? sub[s] : "unknown suberror";

	return fault(vm, "%s (KVM_EXIT_INTERNAL_ERROR, suberror %u)", name, s);
}

static bool on_fail_entry(struct vm *vm)
{
	return fault(vm, "the CPU refused to enter the guest, hardware reason 0x%llx (KVM_EXIT_FAIL_ENTRY)",
		     (unsigned long long)vm->run->fail_entry.hardware_entry_failure_reason);
}

static bool on_system_event(struct vm *vm)
{
	return fault(vm, "system event type %u (KVM_EXIT_SYSTEM_EVENT)", vm->run->system_event.type);
}

static bool on_other(struct vm *vm)
{
	return fault(vm, "unexpected exit %s (%u)", exit_name(vm->run->exit_reason),
		     vm->run->exit_reason);
}

static exit_fn *const exit_handlers[] = {
	[KVM_EXIT_IO] = on_io,
	[KVM_EXIT_HLT] = on_hlt,
	[KVM_EXIT_MMIO] = on_mmio,
	[KVM_EXIT_SHUTDOWN] = on_shutdown,
	[KVM_EXIT_INTERNAL_ERROR] = on_internal_error,
	[KVM_EXIT_FAIL_ENTRY] = on_fail_entry,
	[KVM_EXIT_SYSTEM_EVENT] = on_system_event,
};

#define NSTAT (sizeof ((struct vm_stats *)0)->exits / sizeof ((struct vm_stats *)0)->exits[0])

/* An interrupted KVM_RUN: returns true when the run ends. */
static bool on_interrupt(struct vm *vm)
{
	struct stop_flags f;

	vm->run->immediate_exit = 0;	/* clear first: a later signal sets it again */
	stop_take(&f);
	if (f.signo) {
		vm->end.kind = END_SIGNAL;
		vm->end.signo = f.signo;
		return true;
	}
	if (f.timed_out) {
		vm->end.kind = END_TIMEOUT;
		return true;
	}
	if (f.flush_due) {
		console_pump(&vm->con);
		if (quit_typed(vm))
			return true;
		if (console_flush(&vm->con) < 0)
			return output_failed(vm);
		/* Input that arrived meanwhile raises COM1's interrupt. */
		if (uart_poll(&vm->com1) < 0) {
			vm->end.kind = END_HOST;
			return true;
		}
		/* The tick also looks for a CPU that halted for good in the kernel. */
		if (vm->irqchip && vcpu_halted_for_good(vm->vcpu_fd)) {
			vm->end.kind = END_HALT;
			return true;
		}
	}
	return false;
}

void vm_run(struct vm *vm, uint64_t timeout_ns)
{
	bool done = false;

	vm->end = (struct run_end){ .kind = END_NONE };
	if (stop_start_timeout(timeout_ns) < 0) {
		vm->end.kind = END_HOST;
		return;
	}
	vm->stats.setup_ns = now_ns() - vm->stats.start_ns;
	while (!done) {
		uint64_t t0 = vm->stats_on ? now_ns() : 0;
		int r = ioctl(vm->vcpu_fd, KVM_RUN, 0);
		uint32_t reason;

		if (vm->stats_on)
			vm->stats.run_ns += now_ns() - t0;
		if (r < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				done = on_interrupt(vm);
				continue;
			}
			fprintf(stderr, "kvmrun: KVM_RUN failed: %s\n", strerror(errno));
			vm->end.kind = END_HOST;
			break;
		}
		reason = vm->run->exit_reason;
		vm->stats.exits[reason < NSTAT - 1 ? reason : NSTAT - 1]++;
		if (reason < sizeof exit_handlers / sizeof exit_handlers[0] && exit_handlers[reason])
			done = exit_handlers[reason](vm);
		else
			done = on_other(vm);
	}
	if (console_flush(&vm->con) < 0 && (vm->end.kind == END_HALT || vm->end.kind == END_EXIT ||
					    vm->end.kind == END_RESET || vm->end.kind == END_POWEROFF) &&
	    vm->con.out_errno != EINTR) {
		vm->end.kind = END_OUTPUT;
		vm->end.errno_value = vm->con.out_errno;
	}
}

void vm_report_stats(const struct vm *vm, FILE *f)
{
	const struct vm_stats *s = &vm->stats;
	uint64_t total = 0;

	for (unsigned i = 0; i < NSTAT; i++)
		total += s->exits[i];
	fprintf(f, "kvmrun: stats: %llu exits\n", (unsigned long long)total);
	for (unsigned i = 0; i < NSTAT; i++)
		if (s->exits[i])
			fprintf(f, "kvmrun: stats:   %-16s %12llu\n",
				i == NSTAT - 1 ? "other" : exit_name(i), (unsigned long long)s->exits[i]);
	if (vm->bus.counts) {
		for (unsigned p = 0; p < 65536; p++) {
			for (unsigned d = 0; d < 2; d++) {
				const struct port_dev *dev;

				if (!vm->bus.counts[p][d])
					continue;
				dev = vm->bus.map[p] ? &vm->bus.devs[vm->bus.map[p] - 1] : NULL;
				fprintf(f, "kvmrun: stats:   port 0x%04x %-3s %12llu  %s\n", p, d ? "out" : "in",
					(unsigned long long)vm->bus.counts[p][d], dev ? dev->name : "(no device)");
			}
		}
	}
	if (vm->bus.unclaimed)
		fprintf(f, "kvmrun: stats: %llu accesses to ports with no device\n",
			(unsigned long long)vm->bus.unclaimed);
	fprintf(f, "kvmrun: stats: time in KVM_RUN %.6f s of %.6f s total (%.1f%%); setup %.6f s\n",
		s->run_ns / 1e9, s->total_ns / 1e9,
		s->total_ns ? 100.0 * (double)s->run_ns / (double)s->total_ns : 0.0, s->setup_ns / 1e9);
}
