/*
 * Reading the VM's state into records and writing the file. Called with
 * every vCPU out of KVM_RUN: from CPU 0's thread, the others parked or paused.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <cpuid.h>

#include "snapshot.h"
#include "../devices/virtio.h"

#define MSR_IA32_TSC          0x10
#define MSR_IA32_TSC_DEADLINE 0x6e0

/*
 * Keep, of idx[0..n), the MSRs this vCPU can read, in order; their count.
 * KVM_GET_MSRS stops at the first one it cannot read and returns how many it
 * read: one call per unreadable MSR, not one per MSR (this runs at every
 * start with --control).
 */
static unsigned msrs_readable(int fd, uint32_t *idx, unsigned n)
{
	struct kvm_msrs *m = calloc(1, sizeof *m + n * sizeof m->entries[0]);
	unsigned kept = 0, i = 0;

	if (!m)
		return 0;
	while (i < n) {
		int r;

		m->nmsrs = n - i;
		for (unsigned k = 0; k < n - i; k++)
			m->entries[k] = (struct kvm_msr_entry){ .index = idx[i + k] };
		r = ioctl(fd, KVM_GET_MSRS, m);
		if (r < 0)
			r = 0;
		memmove(idx + kept, idx + i, (size_t)r * sizeof *idx);
		kept += (unsigned)r;
		i += (unsigned)r + 1;	/* past the one it could not read */
	}
	free(m);
	return kept;
}

int snap_prepare(struct vm *vm)
{
	struct snapper *sn = vm->snap;
	struct kvm_msr_list probe = { .nmsrs = 0 }, *list;
	unsigned a, b, c, d, n = 0;
	bool deadline = false;
	int x;

	/*
	 * Which pages of anonymous RAM were ever touched: the others are zero and
	 * a snapshot skips them unread. Not for RAM mapped from a snapshot: its
	 * untouched pages hold the file's bytes. Without it, every page is read.
	 */
	sn->pagemap_fd = vm->ram_file ? -1 : open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	__cpuid(0, a, b, c, d);
	memcpy(sn->vendor, &b, 4);
	memcpy(sn->vendor + 4, &d, 4);
	memcpy(sn->vendor + 8, &c, 4);
	x = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_XSAVE2);
	sn->xsave_size = x > (int)sizeof(struct kvm_xsave) ? x :
			 ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_XSAVE) > 0 ? 0 : -1;
	if (ioctl(vm->kvm_fd, KVM_GET_MSR_INDEX_LIST, &probe) < 0 && errno != E2BIG) {
		fprintf(stderr, "kvmrun: snapshot: KVM_GET_MSR_INDEX_LIST failed: %s\n", strerror(errno));
		return -1;
	}
	list = calloc(1, sizeof *list + probe.nmsrs * sizeof list->indices[0]);
	sn->msrs = calloc(probe.nmsrs + 1, sizeof *sn->msrs);
	if (!list || !sn->msrs) {
		free(list);
		fprintf(stderr, "kvmrun: out of memory for the MSR list\n");
		return -1;
	}
	list->nmsrs = probe.nmsrs;
	if (ioctl(vm->kvm_fd, KVM_GET_MSR_INDEX_LIST, list) < 0) {
		fprintf(stderr, "kvmrun: snapshot: KVM_GET_MSR_INDEX_LIST failed: %s\n", strerror(errno));
		free(list);
		return -1;
	}
	/* TSC first: others (TSC_ADJUST, the deadline) are read against it. */
	sn->msrs[n++] = MSR_IA32_TSC;
	for (unsigned i = 0, k = msrs_readable(vm->cpu[0].fd, list->indices, list->nmsrs); i < k; i++) {
		uint32_t m = list->indices[i];

		if (m == MSR_IA32_TSC)
			continue;
		if (m == MSR_IA32_TSC_DEADLINE)
			deadline = true;
		else
			sn->msrs[n++] = m;
	}
	if (deadline)
		sn->msrs[n++] = MSR_IA32_TSC_DEADLINE;	/* last: an armed deadline is relative to the TSC set before */
	sn->nmsrs = n;
	free(list);
	return 0;
}

const char *snap_refuse_reason(const struct vm *vm)
{
	if (gdb_sw_breakpoints(vm->gdb))
		return "gdb has software breakpoints in guest RAM, which the file would keep: delete them or use hbreak";
	return NULL;
}

/* One vCPU ioctl into a record; false (with why) on failure. */
static bool get(struct snap_buf *b, const struct vcpu *cpu, int fd, unsigned long req, const char *name,
		uint32_t type, void *data, size_t size, char *why, size_t len)
{
	if (ioctl(fd, req, data) < 0) {
		snprintf(why, len, "%s failed on CPU %u: %s", name, cpu ? cpu->index : 0, strerror(errno));
		return false;
	}
	snap_add(b, type, cpu ? cpu->index : 0, data, size);
	return true;
}

#define GET(b, cpu, fd, req, type, obj, why, len) get(b, cpu, fd, req, #req, type, obj, sizeof *(obj), why, len)

static bool save_cpu(struct vm *vm, struct vcpu *cpu, struct snap_buf *b, char *why, size_t len)
{
	struct snapper *sn = vm->snap;
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_fpu fpu;
	struct kvm_xcrs xcrs;
	struct kvm_debugregs dregs;
	struct kvm_lapic_state lapic;
	struct kvm_mp_state mp;
	struct kvm_vcpu_events ev;
	struct kvm_msrs *msrs;
	uint32_t khz;
	size_t xsize = sn->xsave_size > 0 ? (size_t)sn->xsave_size : sizeof(struct kvm_xsave);
	void *xsave;
	int r;

	snap_add(b, REC_CPUID, cpu->index, cpu->cpuid,
		 sizeof *cpu->cpuid + cpu->cpuid->nent * sizeof cpu->cpuid->entries[0]);
	r = ioctl(cpu->fd, KVM_GET_TSC_KHZ, 0);
	khz = r > 0 ? (uint32_t)r : 0;
	snap_add(b, REC_TSC_KHZ, cpu->index, &khz, sizeof khz);
	if (!GET(b, cpu, cpu->fd, KVM_GET_REGS, REC_REGS, &regs, why, len) ||
	    !GET(b, cpu, cpu->fd, KVM_GET_SREGS, REC_SREGS, &sregs, why, len))
		return false;
	if (sn->xsave_size >= 0) {
		if (!(xsave = calloc(1, xsize))) {
			snprintf(why, len, "out of memory");
			return false;
		}
		r = get(b, cpu, cpu->fd, sn->xsave_size > 0 ? KVM_GET_XSAVE2 : KVM_GET_XSAVE, "KVM_GET_XSAVE",
			REC_XSAVE, xsave, xsize, why, len);
		free(xsave);
		if (!r)
			return false;
		if (!GET(b, cpu, cpu->fd, KVM_GET_XCRS, REC_XCRS, &xcrs, why, len))
			return false;
	} else if (!GET(b, cpu, cpu->fd, KVM_GET_FPU, REC_FPU, &fpu, why, len)) {
		return false;
	}
	if (!GET(b, cpu, cpu->fd, KVM_GET_DEBUGREGS, REC_DEBUGREGS, &dregs, why, len) ||
	    (vm->irqchip && !GET(b, cpu, cpu->fd, KVM_GET_LAPIC, REC_LAPIC, &lapic, why, len)))
		return false;
	msrs = calloc(1, sizeof *msrs + sn->nmsrs * sizeof msrs->entries[0]);
	if (!msrs) {
		snprintf(why, len, "out of memory");
		return false;
	}
	msrs->nmsrs = sn->nmsrs;
	for (unsigned i = 0; i < sn->nmsrs; i++)
		msrs->entries[i].index = sn->msrs[i];
	r = ioctl(cpu->fd, KVM_GET_MSRS, msrs);
	if (r != (int)sn->nmsrs) {
		snprintf(why, len, "KVM_GET_MSRS failed on CPU %u at MSR 0x%x", cpu->index,
			 r >= 0 && (unsigned)r < sn->nmsrs ? sn->msrs[r] : 0);
		free(msrs);
		return false;
	}
	snap_add(b, REC_MSRS, cpu->index, msrs, sizeof *msrs + sn->nmsrs * sizeof msrs->entries[0]);
	free(msrs);
	return GET(b, cpu, cpu->fd, KVM_GET_MP_STATE, REC_MP_STATE, &mp, why, len) &&
	       GET(b, cpu, cpu->fd, KVM_GET_VCPU_EVENTS, REC_EVENTS, &ev, why, len);
}

static bool save_vm(struct vm *vm, struct snap_buf *b, char *why, size_t len)
{
	static const uint32_t chips[] = { REC_PIC_MASTER, REC_PIC_SLAVE, REC_IOAPIC };
	struct kvm_clock_data clock = { .flags = 0 };
	struct kvm_pit_state2 pit;

	if (!GET(b, NULL, vm->vm_fd, KVM_GET_CLOCK, REC_CLOCK, &clock, why, len))
		return false;
	for (unsigned i = 0; vm->irqchip && i < 3; i++) {
		struct kvm_irqchip chip = { .chip_id = i };

		if (!GET(b, NULL, vm->vm_fd, KVM_GET_IRQCHIP, chips[i], &chip, why, len))
			return false;
	}
	return !vm->irqchip || GET(b, NULL, vm->vm_fd, KVM_GET_PIT2, REC_PIT2, &pit, why, len);
}

/* Whether a page holds only zeros. */
static bool zero_page(const uint8_t *p)
{
	const uint64_t *w = (const uint64_t *)(const void *)p;

	for (unsigned i = 0; i < GUEST_PAGE / 8; i++)
		if (w[i])
			return false;
	return true;
}

static bool write_all(int fd, const void *p, size_t n, uint64_t off)
{
	const uint8_t *b = p;

	while (n) {
		ssize_t w = pwrite(fd, b, n, (off_t)off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		b += w;
		n -= (size_t)w;
		off += (uint64_t)w;
	}
	return true;
}

#define PM_PRESENT (1ULL << 63)
#define PM_SWAPPED (1ULL << 62)
#define PM_BATCH   512          /* pagemap entries read at once: 2 MiB of RAM */

/*
 * May RAM page p hold something other than zeros? Pages the process never
 * touched (neither present nor swapped, in /proc/self/pagemap) cannot; the
 * others are read. pm caches PM_BATCH entries from *pm_first on.
 */
static bool maybe_nonzero(const struct vm *vm, uint64_t p, uint64_t *pm, uint64_t *pm_first)
{
	int fd = vm->snap->pagemap_fd;

	if (fd >= 0 && (p < *pm_first || p >= *pm_first + PM_BATCH)) {
		uint64_t first = ((uintptr_t)vm->mem.host / GUEST_PAGE) + p;

		if (pread(fd, pm, PM_BATCH * sizeof *pm, (off_t)(first * sizeof *pm)) != (ssize_t)(PM_BATCH * sizeof *pm))
			memset(pm, 0xff, PM_BATCH * sizeof *pm);	/* unknown: read them all */
		*pm_first = p;
	}
	if (fd >= 0 && !(pm[p - *pm_first] & (PM_PRESENT | PM_SWAPPED)))
		return false;
	return !zero_page((const uint8_t *)vm->mem.host + p * GUEST_PAGE);
}

/* RAM's nonzero pages, in runs, at their place after ram_off; holes elsewhere. */
static bool write_ram(const struct vm *vm, int fd, uint64_t ram_off, uint64_t *written)
{
	const uint8_t *ram = vm->mem.host;
	uint64_t pages = vm->mem.size / GUEST_PAGE, run = 0, pm[PM_BATCH], pm_first = UINT64_MAX - PM_BATCH;

	*written = 0;
	for (uint64_t p = 0; p <= pages; p++) {
		if (p < pages && maybe_nonzero(vm, p, pm, &pm_first)) {
			run++;
			continue;
		}
		if (run) {
			uint64_t start = (p - run) * GUEST_PAGE;

			if (!write_all(fd, ram + start, run * GUEST_PAGE, ram_off + start))
				return false;
			*written += run * GUEST_PAGE;
			run = 0;
		}
	}
	return true;
}

int snap_save(struct vm *vm, int fd, uint64_t *ram_bytes, char *why, size_t len)
{
	struct snap_buf b = { .data = NULL };
	struct snap_machine m = { .ncpus = vm->ncpus, .mode = vm->mode, .irqchip = vm->irqchip, .mem = vm->mem.size };
	struct snap_header h;
	const char *cmd = vm->fwcfg.cmdline ? vm->fwcfg.cmdline : "";
	uint8_t *mrec;
	int r = -1;

	io_drain(&vm->bus);	/* PCI's CONFIG_ADDRESS as the guest last wrote it; no CPU runs */
	m.cmdline_len = (uint32_t)strlen(cmd);
	if (!(mrec = malloc(sizeof m + m.cmdline_len + 1))) {
		snprintf(why, len, "out of memory");
		return -1;
	}
	/* From before the vCPUs' state is read until RAM is written: no device thread moves a ring or an interrupt. */
	snap_pci_lock(vm, true);
	memcpy(mrec, &m, sizeof m);
	memcpy(mrec + sizeof m, cmd, m.cmdline_len + 1);
	snap_add(&b, REC_MACHINE, 0, mrec, sizeof m + m.cmdline_len + 1);
	free(mrec);
	for (unsigned i = 0; i < vm->ncpus; i++)
		if (!save_cpu(vm, &vm->cpu[i], &b, why, len))
			goto out;
	if (!save_vm(vm, &b, why, len))
		goto out;
	snap_save_devices(vm, &b);
	snap_save_pci(vm, &b);
	if (b.failed) {
		snprintf(why, len, "out of memory for the state");
		goto out;
	}
	snap_header_make(&h, vm->snap->vendor, vm->ncpus, vm->mem.size, b.data, b.len);
	/* Truncated to 0 first: old pages must become holes, not stay as stale data. */
	if (ftruncate(fd, 0) < 0 || ftruncate(fd, (off_t)(h.ram_off + h.mem)) < 0 ||
	    !write_all(fd, b.data, b.len, h.state_off) || !write_ram(vm, fd, h.ram_off, ram_bytes) ||
	    !write_all(fd, &h, sizeof h, 0)) {
		snprintf(why, len, "writing the file: %s", strerror(errno));
		goto out;
	}
	r = 0;
out:
	snap_pci_lock(vm, false);
	free(b.data);
	return r;
}
