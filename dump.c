/* What a dead guest looked like: enough to understand it without a debugger. */
#include <string.h>
#include <sys/ioctl.h>

#include "kvm.h"

#define CR0_PG (1ULL << 31)
#define EFER_LMA (1ULL << 10)
#define CODE_BEFORE 8
#define CODE_AFTER 16

static void seg_line(FILE *f, const char *name, const struct kvm_segment *s)
{
	fprintf(f, "kvmrun:   %-3s %04x base %016llx limit %08x type %x%s%s%s dpl %u\n",
		name, s->selector, (unsigned long long)s->base, s->limit, s->type,
		s->present ? "" : " not-present", s->l ? " L" : "", s->db ? " D" : "", s->dpl);
}

/* Guest-physical address of a linear address, or -1 if it has none. */
static int64_t linear_to_phys(const struct vcpu *cpu, const struct kvm_sregs *s, uint64_t lin)
{
	struct kvm_translation t = { .linear_address = lin };

	if (!(s->cr0 & CR0_PG))
		return (int64_t)(lin & 0xffffffffULL);
	if (ioctl(cpu->fd, KVM_TRANSLATE, &t) < 0 || !t.valid)
		return -1;
	return (int64_t)t.physical_address;
}

static void code_line(const struct vcpu *cpu, FILE *f, const struct kvm_sregs *s, const struct kvm_regs *r)
{
	bool is64 = (s->efer & EFER_LMA) && s->cs.l;
	uint64_t rip = is64 ? r->rip : (r->rip & (s->cs.db ? 0xffffffffULL : 0xffffULL));
	uint64_t lin = is64 ? rip : s->cs.base + rip;
	int64_t phys = linear_to_phys(cpu, s, lin);
	int64_t before = linear_to_phys(cpu, s, lin - CODE_BEFORE);
	const uint8_t *p;

	if (phys < 0) {
		fprintf(f, "kvmrun:   code: RIP (linear 0x%llx) has no mapping in the guest's page tables\n",
			(unsigned long long)lin);
		return;
	}
	if (!(p = guest_range(&cpu->vm->mem, (uint64_t)phys, 1))) {
		fprintf(f, "kvmrun:   code: RIP (linear 0x%llx, physical 0x%llx) is outside RAM\n",
			(unsigned long long)lin, (unsigned long long)phys);
		return;
	}
	fprintf(f, "kvmrun:   code at linear 0x%llx (physical 0x%llx):", (unsigned long long)lin,
		(unsigned long long)phys);
	/* Bytes before RIP only when they sit just below it in RAM (same page mapping). */
	if (before == phys - CODE_BEFORE && guest_range(&cpu->vm->mem, (uint64_t)before, CODE_BEFORE))
		for (int i = CODE_BEFORE; i > 0; i--)
			fprintf(f, " %02x", p[-i]);
	for (int i = 0; i < CODE_AFTER; i++) {
		if (!guest_range(&cpu->vm->mem, (uint64_t)phys + (uint64_t)i, 1))
			break;
		fprintf(f, i == 0 ? " <%02x>" : " %02x", p[i]);
	}
	fputc('\n', f);
}

static int get_state(const struct vcpu *cpu, struct kvm_regs *r, struct kvm_sregs *s, FILE *f)
{
	if (ioctl(cpu->fd, KVM_GET_REGS, r) < 0 || ioctl(cpu->fd, KVM_GET_SREGS, s) < 0) {
		fprintf(f, "kvmrun:   (registers unavailable: KVM_GET_REGS/KVM_GET_SREGS failed)\n");
		return -1;
	}
	return 0;
}

static void control_line(FILE *f, const struct kvm_sregs *s)
{
	fprintf(f, "kvmrun:   cr0 %016llx cr2 %016llx cr3 %016llx\n",
		(unsigned long long)s->cr0, (unsigned long long)s->cr2, (unsigned long long)s->cr3);
	fprintf(f, "kvmrun:   cr4 %016llx cr8 %016llx efer %016llx\n",
		(unsigned long long)s->cr4, (unsigned long long)s->cr8, (unsigned long long)s->efer);
}

/*
 * True when the registers are the INIT state rather than the guest's: on AMD,
 * KVM reinitialises the VMCB after a SHUTDOWN intercept (svm.c,
 * shutdown_interception: the VMCB is undefined after shutdown), so what reads
 * back is the reset vector (CS 0xf000 based at 0xffff0000, IP 0xfff0), EFER 0
 * and CR0 = ET, with CD and NW set or not (KVM_X86_QUIRK_CD_NW_CLEARED). On
 * Intel the state at the fault is kept. No kvmrun guest runs there: RAM ends
 * far below 0xffff0000.
 */
static bool state_was_reset(const struct kvm_regs *r, const struct kvm_sregs *s)
{
	const uint64_t cd_nw = (1ULL << 30) | (1ULL << 29), et = 1ULL << 4;

	return r->rip == 0xfff0 && s->cs.selector == 0xf000 && s->cs.base == 0xffff0000ULL &&
	       (s->cr0 & ~cd_nw) == et && s->efer == 0;
}

void dump_vcpu(const struct vcpu *cpu, FILE *f)
{
	struct kvm_regs r;
	struct kvm_sregs s;

	if (get_state(cpu, &r, &s, f) < 0)
		return;
	if (cpu->run->exit_reason == KVM_EXIT_SHUTDOWN && state_was_reset(&r, &s)) {
		fprintf(f, "kvmrun:   registers lost: this KVM reset the CPU when it shut down "
			   "(AMD SVM does), so its state at the fault is unknown\n");
		return;
	}
	fprintf(f, "kvmrun:   rip %016llx rsp %016llx rflags %016llx\n",
		(unsigned long long)r.rip, (unsigned long long)r.rsp, (unsigned long long)r.rflags);
	fprintf(f, "kvmrun:   rax %016llx rbx %016llx rcx %016llx rdx %016llx\n",
		(unsigned long long)r.rax, (unsigned long long)r.rbx, (unsigned long long)r.rcx,
		(unsigned long long)r.rdx);
	fprintf(f, "kvmrun:   rsi %016llx rdi %016llx rbp %016llx r8  %016llx\n",
		(unsigned long long)r.rsi, (unsigned long long)r.rdi, (unsigned long long)r.rbp,
		(unsigned long long)r.r8);
	fprintf(f, "kvmrun:   r9  %016llx r10 %016llx r11 %016llx r12 %016llx\n",
		(unsigned long long)r.r9, (unsigned long long)r.r10, (unsigned long long)r.r11,
		(unsigned long long)r.r12);
	fprintf(f, "kvmrun:   r13 %016llx r14 %016llx r15 %016llx\n",
		(unsigned long long)r.r13, (unsigned long long)r.r14, (unsigned long long)r.r15);
	control_line(f, &s);
	seg_line(f, "cs", &s.cs);
	seg_line(f, "ds", &s.ds);
	seg_line(f, "es", &s.es);
	seg_line(f, "fs", &s.fs);
	seg_line(f, "gs", &s.gs);
	seg_line(f, "ss", &s.ss);
	seg_line(f, "tr", &s.tr);
	fprintf(f, "kvmrun:   gdt base %016llx limit %04x  idt base %016llx limit %04x\n",
		(unsigned long long)s.gdt.base, s.gdt.limit, (unsigned long long)s.idt.base, s.idt.limit);
	code_line(cpu, f, &s, &r);
}

void dump_regs_brief(const struct vcpu *cpu, FILE *f)
{
	struct kvm_regs r;
	struct kvm_sregs s;

	if (get_state(cpu, &r, &s, f) < 0)
		return;
	fprintf(f, "kvmrun: entry registers: cs %04x:%llx (base 0x%llx) ss %04x:%llx rflags %llx\n",
		s.cs.selector, (unsigned long long)r.rip, (unsigned long long)s.cs.base, s.ss.selector,
		(unsigned long long)r.rsp, (unsigned long long)r.rflags);
	fprintf(f, "kvmrun: entry registers: ds %04x cr0 %llx cr3 %llx cr4 %llx efer %llx gdt 0x%llx/%u\n",
		s.ds.selector, (unsigned long long)s.cr0, (unsigned long long)s.cr3,
		(unsigned long long)s.cr4, (unsigned long long)s.efer,
		(unsigned long long)s.gdt.base, s.gdt.limit);
}
