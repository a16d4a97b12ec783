/* The KVM plumbing: /dev/kvm, the VM, its RAM, its vCPUs and what each CPU reports (CPUID). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "kvm.h"
#include "devices/pci.h"
#include "snapshot/snapshot.h"
#include "devices/devices.h"
#include "devices/virtio.h"

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
#define CPUID1_EDX_HTT          (1u << 28)
#define CPUID1_ECX_HYPERVISOR   (1u << 31)

/* The APIC bits of leaf 1 say what the VM has: a LAPIC only with the irqchip. */
static void cpuid_fix_apic(const struct vm *vm, struct kvm_cpuid_entry2 *e, bool deadline)
{
	e->ecx |= CPUID1_ECX_HYPERVISOR;	/* a kernel looks for KVM's leaves (kvm-clock) only then */
	if (!vm->irqchip) {
		e->edx &= ~CPUID1_EDX_APIC;
		e->ecx &= ~(CPUID1_ECX_X2APIC | CPUID1_ECX_TSC_DEADLINE);
	} else if (deadline) {
		e->ecx |= CPUID1_ECX_TSC_DEADLINE;	/* KVM emulates it but leaves the bit to us */
	}
}

/* Bits of an APIC ID that number n CPUs. */
static unsigned id_bits(unsigned n)
{
	unsigned b = 0;

	while ((1u << b) < n)
		b++;
	return b;
}

/*
 * The topology every CPU reports: one package of ncpus cores, one thread
 * each, APIC ID = index, in every leaf that tells it (Intel's 1, 4, 0xb and
 * 0x1f, AMD's 0x80000008 and 0x8000001e), so CPUID agrees with the MP table
 * and the MADT. Levels the host does not list stay absent.
 */
static void cpuid_topology(struct kvm_cpuid_entry2 *e, unsigned id, unsigned ncpus)
{
	switch (e->function) {
	case 1:
		e->ebx = (e->ebx & 0xffffu) | (ncpus << 16) | (id << 24);
		if (ncpus > 1)
			e->edx |= CPUID1_EDX_HTT;	/* "more than one logical CPU in the package" */
		break;
	case 4:
		if (e->eax & 0x1f)	/* a cache level: cores per package - 1 in 31:26 */
			e->eax = (e->eax & 0x03ffffffu) | ((ncpus - 1 < 63 ? ncpus - 1 : 63) << 26);
		break;
	case 0xb:
	case 0x1f:
		/* Level 0: threads (one per core); level 1: cores; then none. EDX: the x2APIC ID. */
		if (e->index == 0) {
			e->eax = 0, e->ebx = 1, e->ecx = 1u << 8;
		} else if (e->index == 1) {
			e->eax = id_bits(ncpus), e->ebx = ncpus, e->ecx = 1 | 2u << 8;
		} else {
			e->eax = e->ebx = 0, e->ecx = e->index;
		}
		e->edx = id;
		break;
	case 0x80000008:
		e->ecx = (e->ecx & ~0xf0ffu) | (id_bits(ncpus) << 12) | (ncpus - 1);
		break;
	case 0x8000001e:
		e->eax = id, e->ebx = (e->ebx & ~0xffffu) | id, e->ecx &= ~0x700u;	/* one node */
		break;
	}
}

/*
 * This CPU's copy of the host's supported CPUID (read once), with its APIC
 * ID; deadline: KVM emulates the TSC-deadline timer.
 */
static int set_cpuid(struct vm *vm, struct vcpu *cpu, const struct kvm_cpuid2 *host, bool deadline)
{
	size_t bytes = sizeof *host + host->nent * sizeof host->entries[0];
	struct kvm_cpuid2 *c = malloc(bytes);
	int r;

	if (!c) {
		fprintf(stderr, "kvmrun: out of memory for the CPUID table\n");
		return -1;
	}
	memcpy(c, host, bytes);
	for (uint32_t i = 0; i < c->nent; i++) {
		if (c->entries[i].function == 1)
			cpuid_fix_apic(vm, &c->entries[i], deadline);
		cpuid_topology(&c->entries[i], cpu->index, vm->ncpus);
	}
	r = ioctl(cpu->fd, KVM_SET_CPUID2, c);
	cpu->cpuid = c;	/* kept: a snapshot records it, a restore compares it */
	if (r < 0)
		return ioctl_failed("KVM_SET_CPUID2");
	return 0;
}

/* One MSR write on a vCPU; true when KVM took it. */
static bool set_msr(const struct vcpu *cpu, uint32_t index, uint64_t data)
{
	union {
		struct kvm_msrs head;
		uint8_t bytes[sizeof(struct kvm_msrs) + sizeof(struct kvm_msr_entry)];
	} m;

	memset(&m, 0, sizeof m);
	m.head.nmsrs = 1;
	m.head.entries[0].index = index;
	m.head.entries[0].data = data;
	return ioctl(cpu->fd, KVM_SET_MSRS, &m) == 1;
}

#define MSR_IA32_APICBASE 0x1b
#define MSR_MTRR_DEF_TYPE 0x2ff
#define MTRR_ENABLE_WB   ((1u << 11) | 6u)	/* MTRRs on, memory write-back unless a range says */

/*
 * With the irqchip: memory write-back, as firmware leaves a PC. The LAPIC's
 * LINT pins stay as KVM resets them (masked): the MP table and the MADT say
 * LINT0 is ExtINT and LINT1 NMI, and a kernel programs its LAPIC from them.
 * (Unmasking LINT0 here would hand a bare guest's PIC interrupts to a CPU
 * that never asked.) Without it there is no LAPIC: its base MSR says
 * disabled, which is also what KVM reflects in CPUID.1:EDX.APIC.
 */
static int set_msrs(const struct vm *vm, const struct vcpu *cpu)
{
	if (vm->irqchip && !set_msr(cpu, MSR_MTRR_DEF_TYPE, MTRR_ENABLE_WB))
		return ioctl_failed("enabling the MTRRs (KVM_SET_MSRS IA32_MTRR_DEF_TYPE)");
	if (!vm->irqchip && !set_msr(cpu, MSR_IA32_APICBASE, 0))
		return ioctl_failed("disabling the absent LAPIC (KVM_SET_MSRS IA32_APIC_BASE)");
	return 0;
}

/* The host's supported CPUID (free it); sets guest physical address bits. NULL after one line. */
static struct kvm_cpuid2 *supported_cpuid(struct vm *vm, unsigned *phys_bits)
{
	struct kvm_cpuid2 *c = NULL;
	int n = 64;

	*phys_bits = 36;
	for (;;) {
		struct kvm_cpuid2 *bigger = realloc(c, sizeof *c + (size_t)n * sizeof c->entries[0]);

		if (!bigger) {
			free(c);
			fprintf(stderr, "kvmrun: out of memory for the CPUID table\n");
			return NULL;
		}
		c = bigger;
		memset(c, 0, sizeof *c + (size_t)n * sizeof c->entries[0]);
		c->nent = (uint32_t)n;
		if (ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, c) == 0)
			break;
		if (errno != E2BIG || n >= 4096) {
			free(c);
			ioctl_failed("KVM_GET_SUPPORTED_CPUID");
			return NULL;
		}
		n *= 2;
	}
	for (uint32_t i = 0; i < c->nent; i++)
		if (c->entries[i].function == 0x80000008)
			*phys_bits = c->entries[i].eax & 0xff;
	return c;
}

/* How many vCPUs one VM may have here: KVM_CAP_MAX_VCPUS, else the older NR_VCPUS, else 4 (the API's rule). */
static unsigned max_vcpus(const struct vm *vm)
{
	int n = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);

	if (n <= 0)
		n = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
	return n > 0 ? (unsigned)n : 4;
}

/* vCPU i: its fd, run page, CPUID and MSRs. The fds come out consecutive (seccomp counts on it). */
static int create_vcpu(struct vm *vm, unsigned i, const struct kvm_cpuid2 *cpuid, bool deadline)
{
	struct vcpu *cpu = &vm->cpu[i];

	cpu->vm = vm;
	cpu->index = i;
	cpu->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, (unsigned long)i);
	if (cpu->fd < 0) {
		fprintf(stderr, "kvmrun: creating vCPU %u failed (KVM_CREATE_VCPU): %s\n", i, strerror(errno));
		return -1;
	}
	if (i && cpu->fd != vm->cpu[0].fd + (int)i) {
		fprintf(stderr, "kvmrun: internal error: vCPU %u got descriptor %d, not %d\n", i, cpu->fd,
			vm->cpu[0].fd + (int)i);
		return -1;
	}
	cpu->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, cpu->fd, 0);
	if (cpu->run == MAP_FAILED)
		return ioctl_failed("mapping a vCPU's run structure");
	if (set_cpuid(vm, cpu, cpuid, deadline) < 0)
		return -1;
	return set_msrs(vm, cpu);
}

int vm_open(struct vm *vm, const char *path, uint64_t mem_bytes, unsigned ncpus)
{
	struct kvm_userspace_memory_region slot;
	struct kvm_cpuid2 *cpuid;
	unsigned phys_bits, most;
	bool deadline;
	char sz[32];
	int size, r = 0;

	vm->vm_fd = -1;
	vm->mem.host = MAP_FAILED;
	vm->cpu = calloc(ncpus, sizeof *vm->cpu);
	if (!vm->cpu) {
		fprintf(stderr, "kvmrun: out of memory for %u vCPUs\n", ncpus);
		return -1;
	}
	for (unsigned i = 0; i < ncpus; i++) {
		vm->cpu[i].fd = -1;
		vm->cpu[i].run = MAP_FAILED;
	}
	vm->ncpus = ncpus;
	if (open_kvm(vm, path) < 0)
		return -1;
	most = max_vcpus(vm);
	if (ncpus > most) {
		fprintf(stderr, "kvmrun: --cpus %u: this KVM allows at most %u vCPUs in a VM (KVM_CAP_MAX_VCPUS)\n",
			ncpus, most);
		return -1;
	}
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0)
		return ioctl_failed("creating the VM (KVM_CREATE_VM)");
	if (vm->irqchip && create_irqchip(vm) < 0)
		return -1;
	/* In the hole: never RAM. */
	if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SET_TSS_ADDR) > 0 &&
	    ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, (unsigned long)KVM_TSS_GPA) < 0)
		return ioctl_failed("KVM_SET_TSS_ADDR");

	/*
	 * Reserved, not committed: --mem 4G starts as fast as --mem 16. Never executable here. A restore maps
	 * the snapshot's RAM privately: pages load on first touch, and the guest's writes stay in this process.
	 */
	if (vm->ram_file)
		vm->mem.host = mmap(NULL, mem_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_NORESERVE,
				    vm->ram_fd, (off_t)vm->ram_off);
	else
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

	size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (size < 0)
		return ioctl_failed("KVM_GET_VCPU_MMAP_SIZE");
	if (size < (int)sizeof(struct kvm_run)) {
		fprintf(stderr, "kvmrun: KVM_GET_VCPU_MMAP_SIZE says %d bytes, less than struct kvm_run\n", size);
		return -1;
	}
	vm->run_size = (size_t)size;
	if (!(cpuid = supported_cpuid(vm, &phys_bits)))
		return -1;
	deadline = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_TSC_DEADLINE_TIMER) > 0;
	for (unsigned i = 0; i < ncpus && r == 0; i++)
		r = create_vcpu(vm, i, cpuid, deadline);
	free(cpuid);
	if (r < 0)
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
	vm_stop_devices(vm);	/* their memory goes with the process: the threads must be gone first */
	io_free(&vm->bus);
	free(vm->pc);
	vm->pc = NULL;
	for (unsigned i = 0; vm->cpu && i < vm->ncpus; i++) {
		if (vm->cpu[i].run != MAP_FAILED && vm->cpu[i].run)
			munmap(vm->cpu[i].run, vm->run_size);
		if (vm->cpu[i].fd >= 0)
			close(vm->cpu[i].fd);
		free(vm->cpu[i].cpuid);
	}
	free(vm->cpu);
	vm->cpu = NULL;
	vm->ncpus = 0;
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	/* RAM last: unmapped under a live VM, KVM would walk its tables for every page. */
	if (vm->mem.host != MAP_FAILED && vm->mem.host)
		munmap(vm->mem.host, vm->mem.size);
	vm->mem.host = MAP_FAILED;
	vm->vm_fd = vm->kvm_fd = -1;
}

int vm_attach_pci(struct vm *vm, const struct dev_spec *specs, unsigned n)
{
	if (n == 0)
		return 0;
	vm->pci = pcim_create(vm, specs, n);
	return vm->pci ? 0 : -1;
}

int vm_start_devices(struct vm *vm)
{
	return vm->pci ? pcim_start(vm->pci) : 0;
}

void vm_stop_devices(struct vm *vm)
{
	if (vm->pci)
		pcim_stop(vm->pci);
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
	/*
	 * PCI's CONFIG_ADDRESS (whether a bus answers or not) only selects what
	 * the next access reads: its writes wait in KVM's ring, and a Linux
	 * boot's configuration reads (over 16000 on AMD: the aperture search
	 * walks all 256 buses) take one exit each, not two.
	 */
	io_coalesce(&vm->bus, vm->kvm_fd, vm->vm_fd, vm->cpu[0].run, vm->run_size, PCI_CONFIG_ADDR, 4);
	vm->pc = calloc(1, sizeof *vm->pc);
	if (!vm->pc) {
		fprintf(stderr, "kvmrun: out of memory for the devices\n");
		return -1;
	}
	if (uart_attach(&vm->com1, &vm->bus, PORT_COM1, &vm->con) < 0 ||
	    fwcfg_attach(&vm->fwcfg, &vm->bus, vm->mem.size, vm->ncpus, cmdline) < 0 ||
	    rtc_attach(&vm->pc->rtc, &vm->bus) < 0 || i8042_attach(&vm->pc->i8042, &vm->bus) < 0 ||
	    pvpanic_attach(&vm->bus) < 0 || acpi_pm_attach(&vm->pc->pm, &vm->bus) < 0 ||
	    (vm->mode == MODE_USER && user_attach(vm) < 0) || (vm->snap && snap_port_attach(vm) < 0))
		return -1;
	return exitport_attach(&vm->bus);
}

