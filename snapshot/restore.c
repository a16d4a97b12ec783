/*
 * Opening a snapshot and putting its state back into a fresh VM. RAM is not
 * read here: vm_open maps it from the file (MAP_PRIVATE), page by page as
 * the guest touches it, so restoring 8 GiB costs what 16 MiB does.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "snapshot.h"

int snap_refuse(const struct snap_file *s, int *status, int st, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "kvmrun: snapshot '%s': ", s->path);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	*status = st;
	return -1;
}

static bool read_at(int fd, void *p, size_t n, uint64_t off)
{
	uint8_t *b = p;

	while (n) {
		ssize_t r = pread(fd, b, n, (off_t)off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return false;
		b += r;
		n -= (size_t)r;
		off += (uint64_t)r;
	}
	return true;
}

int snap_open(const char *path, struct snap_file *s, int *status)
{
	uint8_t hdr[SNAP_HEADER_SIZE];
	struct stat st;
	const void *m;
	uint32_t mlen;
	char why[200];
	ssize_t n;

	*s = (struct snap_file){ .path = path, .fd = -1 };
	s->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (s->fd < 0)
		return snap_refuse(s, status, errno == ENOENT || errno == EACCES ? EXIT_BAD_SNAPSHOT : EXIT_HOST,
			      "%s", strerror(errno));
	if (fstat(s->fd, &st) < 0 || !S_ISREG(st.st_mode))
		return snap_refuse(s, status, EXIT_BAD_SNAPSHOT, "not a regular file");
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	do
		n = pread(s->fd, hdr, sizeof hdr, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return snap_refuse(s, status, EXIT_HOST, "%s", strerror(errno));
	if (snap_check_header(hdr, (size_t)n, (uint64_t)st.st_size, &s->h, why, sizeof why) < 0)
		return snap_refuse(s, status, EXIT_BAD_SNAPSHOT, "%s", why);
	if (!(s->state = malloc(s->h.state_len ? s->h.state_len : 1)))
		return snap_refuse(s, status, EXIT_HOST, "out of memory for its state");
	if (!read_at(s->fd, s->state, s->h.state_len, s->h.state_off))
		return snap_refuse(s, status, EXIT_HOST, "reading its state: %s", strerror(errno));
	if (snap_check_state(&s->h, s->state, why, sizeof why) < 0)
		return snap_refuse(s, status, EXIT_BAD_SNAPSHOT, "%s", why);
	m = snap_find(s->state, s->h.state_len, REC_MACHINE, 0, &mlen);
	if (!m || mlen < sizeof s->machine + 1)
		return snap_refuse(s, status, EXIT_BAD_SNAPSHOT, "damaged: no machine record");
	memcpy(&s->machine, m, sizeof s->machine);
	s->cmdline = (const char *)m + sizeof s->machine;
	if (s->machine.cmdline_len != mlen - sizeof s->machine - 1 || s->cmdline[s->machine.cmdline_len] ||
	    s->machine.ncpus != s->h.ncpus || s->machine.mem != s->h.mem || s->machine.mode > MODE_USER ||
	    s->machine.irqchip > 1 || (s->machine.ncpus > 1 && !s->machine.irqchip))
		return snap_refuse(s, status, EXIT_BAD_SNAPSHOT, "damaged: the machine record does not fit its header");
	return 0;
}

void snap_close(struct snap_file *s)
{
	free(s->state);
	s->state = NULL;
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

/* The record of type for cpu, exactly size bytes (0: any), or NULL after the refusal. */
static const void *need(const struct snap_file *s, uint32_t type, uint32_t cpu, size_t size, uint32_t *len,
			int *status)
{
	uint32_t n = 0;
	const void *p = snap_find(s->state, s->h.state_len, type, cpu, &n);

	if (!p || (size && n != size)) {
		snap_refuse(s, status, EXIT_BAD_SNAPSHOT, "damaged: record %u of CPU %u is %s", type, cpu,
		       p ? "of another size" : "missing");
		return NULL;
	}
	if (len)
		*len = n;
	return p;
}

/* A set ioctl from a record of exactly the struct's size. */
static int put(const struct snap_file *s, int fd, unsigned long req, const char *name, uint32_t type,
	       uint32_t cpu, size_t size, int *status)
{
	const void *p = need(s, type, cpu, size, NULL, status);
	void *copy;
	int r;

	if (!p)
		return -1;
	if (!(copy = malloc(size)))
		return snap_refuse(s, status, EXIT_HOST, "out of memory");
	memcpy(copy, p, size);	/* aligned, and the kernel may not write into our state */
	r = ioctl(fd, req, copy);
	free(copy);
	if (r < 0)
		return snap_refuse(s, status, EXIT_HOST, "%s failed on CPU %u: %s", name, cpu, strerror(errno));
	return 0;
}

#define PUT(s, fd, req, type, cpu, T, status) put(s, fd, req, #req, type, cpu, sizeof(T), status)

/* The saved CPUID against the one vm_open gave this vCPU on this host: the first difference named. */
static int check_cpuid(const struct snap_file *s, const struct vcpu *cpu, int *status)
{
	const struct kvm_cpuid2 *here = cpu->cpuid;
	struct kvm_cpuid2 saved;
	const uint8_t *p;
	uint32_t len;
	static const char *const regs[] = { "EAX", "EBX", "ECX", "EDX" };

	if (!(p = need(s, REC_CPUID, cpu->index, 0, &len, status)))
		return -1;
	memcpy(&saved, p, sizeof saved);
	if (len != sizeof saved + (size_t)saved.nent * sizeof saved.entries[0])
		return snap_refuse(s, status, EXIT_BAD_SNAPSHOT, "damaged: the CPUID record of CPU %u", cpu->index);
	for (uint32_t i = 0; i < saved.nent; i++) {
		struct kvm_cpuid_entry2 e;
		const struct kvm_cpuid_entry2 *h = NULL;

		memcpy(&e, p + sizeof saved + i * sizeof e, sizeof e);
		for (uint32_t k = 0; k < here->nent && !h; k++)
			if (here->entries[k].function == e.function && here->entries[k].index == e.index)
				h = &here->entries[k];
		if (!h)
			return snap_refuse(s, status, EXIT_BAD_SNAPSHOT,
				      "this host cannot give the guest the same CPUID: it has no leaf 0x%x subleaf %u",
				      e.function, e.index);
		uint32_t a[4] = { e.eax, e.ebx, e.ecx, e.edx }, b[4] = { h->eax, h->ebx, h->ecx, h->edx };

		for (unsigned r = 0; r < 4; r++)
			if (a[r] != b[r])
				return snap_refuse(s, status, EXIT_BAD_SNAPSHOT,
					      "this host cannot give the guest the same CPUID: leaf 0x%x subleaf %u %s "
					      "is 0x%08x in the snapshot, 0x%08x here", e.function, e.index, regs[r],
					      a[r], b[r]);
	}
	if (here->nent != saved.nent)
		return snap_refuse(s, status, EXIT_BAD_SNAPSHOT, "this host cannot give the guest the same CPUID: "
			      "%u leaves in the snapshot, %u here", saved.nent, here->nent);
	return 0;
}

/* MSRs one by one past any KVM refuses (set returns how many it took); the count skipped in *skipped. */
static int put_msrs(const struct snap_file *s, const struct vcpu *cpu, unsigned *skipped, uint32_t *first,
		    int *status)
{
	const uint8_t *p;
	struct kvm_msrs *m;
	uint32_t len, n;
	int r = 0;

	if (!(p = need(s, REC_MSRS, cpu->index, 0, &len, status)))
		return -1;
	memcpy(&n, p, sizeof n);
	if (len != sizeof *m + (size_t)n * sizeof m->entries[0])
		return snap_refuse(s, status, EXIT_BAD_SNAPSHOT, "damaged: the MSR record of CPU %u", cpu->index);
	if (!(m = malloc(len)))
		return snap_refuse(s, status, EXIT_HOST, "out of memory");
	memcpy(m, p, len);
	for (uint32_t left = n; left;) {
		m->nmsrs = left;
		r = ioctl(cpu->fd, KVM_SET_MSRS, m);
		if (r < 0) {
			free(m);
			return snap_refuse(s, status, EXIT_HOST, "KVM_SET_MSRS failed on CPU %u: %s", cpu->index,
				      strerror(errno));
		}
		if ((uint32_t)r >= left)
			break;
		if (!(*skipped)++)	/* entry r was refused: go on after it */
			*first = m->entries[r].index;
		left -= (uint32_t)r + 1;
		memmove(m->entries, m->entries + r + 1, left * sizeof m->entries[0]);
	}
	free(m);
	return 0;
}

static int restore_cpu(struct vm *vm, const struct snap_file *s, struct vcpu *cpu, unsigned *skipped,
		       uint32_t *first, int *status)
{
	const uint32_t *khz;
	const void *x;
	uint32_t xlen;
	int fd = cpu->fd, cur;

	if (!(khz = need(s, REC_TSC_KHZ, cpu->index, 4, NULL, status)))
		return -1;
	cur = ioctl(fd, KVM_GET_TSC_KHZ, 0);
	if (*khz && cur > 0 && (uint32_t)cur != *khz && ioctl(fd, KVM_SET_TSC_KHZ, (unsigned long)*khz) < 0)
		return snap_refuse(s, status, EXIT_BAD_SNAPSHOT, "its TSC ran at %u kHz; this host's runs at %d kHz and "
			      "KVM cannot scale it (%s)", *khz, cur, strerror(errno));
	/* REGS before VCPU_EVENTS, SREGS before LAPIC, MSRs after CPUID (vm_open set it), MP state late. */
	if (PUT(s, fd, KVM_SET_REGS, REC_REGS, cpu->index, struct kvm_regs, status) < 0 ||
	    PUT(s, fd, KVM_SET_SREGS, REC_SREGS, cpu->index, struct kvm_sregs, status) < 0)
		return -1;
	if ((x = snap_find(s->state, s->h.state_len, REC_XSAVE, cpu->index, &xlen))) {
		void *copy;
		int r;

		if (xlen < sizeof(struct kvm_xsave))
			return snap_refuse(s, status, EXIT_BAD_SNAPSHOT, "damaged: the XSAVE record of CPU %u", cpu->index);
		if (vm->snap->xsave_size >= 0 && (size_t)(vm->snap->xsave_size ? vm->snap->xsave_size :
							   (int)sizeof(struct kvm_xsave)) < xlen)
			return snap_refuse(s, status, EXIT_BAD_SNAPSHOT, "its XSAVE area is %u bytes; this host's KVM "
				      "holds %d", xlen, vm->snap->xsave_size);
		if (!(copy = calloc(1, vm->snap->xsave_size > 0 ? (size_t)vm->snap->xsave_size : xlen)))
			return snap_refuse(s, status, EXIT_HOST, "out of memory");
		memcpy(copy, x, xlen);
		r = ioctl(fd, KVM_SET_XSAVE, copy);
		free(copy);
		if (r < 0)
			return snap_refuse(s, status, EXIT_HOST, "KVM_SET_XSAVE failed on CPU %u: %s", cpu->index,
				      strerror(errno));
		if (PUT(s, fd, KVM_SET_XCRS, REC_XCRS, cpu->index, struct kvm_xcrs, status) < 0)
			return -1;
	} else if (PUT(s, fd, KVM_SET_FPU, REC_FPU, cpu->index, struct kvm_fpu, status) < 0) {
		return -1;
	}
	if (PUT(s, fd, KVM_SET_DEBUGREGS, REC_DEBUGREGS, cpu->index, struct kvm_debugregs, status) < 0 ||
	    (vm->irqchip && PUT(s, fd, KVM_SET_LAPIC, REC_LAPIC, cpu->index, struct kvm_lapic_state, status) < 0) ||
	    put_msrs(s, cpu, skipped, first, status) < 0 ||
	    PUT(s, fd, KVM_SET_MP_STATE, REC_MP_STATE, cpu->index, struct kvm_mp_state, status) < 0 ||
	    PUT(s, fd, KVM_SET_VCPU_EVENTS, REC_EVENTS, cpu->index, struct kvm_vcpu_events, status) < 0)
		return -1;
	/* The guest's kvm-clock watchdogs learn the VM was stopped (EINVAL: the guest uses no kvm-clock). */
	if (ioctl(fd, KVM_KVMCLOCK_CTRL, 0) < 0 && errno != EINVAL)
		return snap_refuse(s, status, EXIT_HOST, "KVM_KVMCLOCK_CTRL failed on CPU %u: %s", cpu->index,
			      strerror(errno));
	return 0;
}

static int restore_vm(struct vm *vm, const struct snap_file *s, int *status)
{
	static const uint32_t chips[] = { REC_PIC_MASTER, REC_PIC_SLAVE, REC_IOAPIC };
	const struct kvm_clock_data *saved;
	struct kvm_clock_data clock;

	if (!(saved = need(s, REC_CLOCK, 0, sizeof clock, NULL, status)))
		return -1;
	memcpy(&clock, saved, sizeof clock);
	/* With the wall time it was read at, KVM adds the time the VM spent in the file. */
	clock.flags &= KVM_CLOCK_REALTIME;
	if (ioctl(vm->vm_fd, KVM_SET_CLOCK, &clock) < 0)
		return snap_refuse(s, status, EXIT_HOST, "KVM_SET_CLOCK failed: %s", strerror(errno));
	for (unsigned i = 0; vm->irqchip && i < 3; i++)
		if (PUT(s, vm->vm_fd, KVM_SET_IRQCHIP, chips[i], 0, struct kvm_irqchip, status) < 0)
			return -1;
	return vm->irqchip ? PUT(s, vm->vm_fd, KVM_SET_PIT2, REC_PIT2, 0, struct kvm_pit_state2, status) : 0;
}

int snap_restore(struct vm *vm, struct snap_file *s, int *status)
{
	unsigned skipped = 0;
	uint32_t first = 0;
	char why[200];

	if (memcmp(s->h.vendor, vm->snap->vendor, sizeof s->h.vendor) != 0)
		return snap_refuse(s, status, EXIT_BAD_SNAPSHOT, "taken on a %.12s CPU; this host's is %.12s",
			      s->h.vendor, vm->snap->vendor);
	for (unsigned i = 0; i < vm->ncpus; i++)
		if (check_cpuid(s, &vm->cpu[i], status) < 0)
			return -1;
	if (restore_vm(vm, s, status) < 0)
		return -1;
	for (unsigned i = 0; i < vm->ncpus; i++)
		if (restore_cpu(vm, s, &vm->cpu[i], &skipped, &first, status) < 0)
			return -1;
	if (snap_restore_devices(vm, s->state, s->h.state_len, why, sizeof why) < 0 ||
	    snap_restore_pci(vm, s->state, s->h.state_len, why, sizeof why) < 0)
		return snap_refuse(s, status, EXIT_BAD_SNAPSHOT, "%s", why);
	if (skipped && vm->verbose)
		fprintf(stderr, "kvmrun: snapshot '%s': this KVM refused %u saved MSR value%s (the first: MSR 0x%x); "
			"they keep their reset values\n", s->path, skipped, skipped == 1 ? "" : "s", first);
	vm->snap->restored = true;
	vm->snap->src_dev = s->dev;
	vm->snap->src_ino = s->ino;
	return 0;
}
