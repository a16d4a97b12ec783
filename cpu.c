/*
 * The CPU state at entry, per mode, set in the order the manual describes:
 * segments, descriptor tables, control registers, EFER, then registers.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "kvm.h"

#define CR0_PE (1ULL << 0)
#define CR0_ET (1ULL << 4)
#define CR0_NW (1ULL << 29)
#define CR0_CD (1ULL << 30)
#define CR0_PG (1ULL << 31)
#define CR4_PAE (1ULL << 5)
#define EFER_LME (1ULL << 8)
#define EFER_LMA (1ULL << 10)
#define EFER_NXE (1ULL << 11)
#define PTE_P  (1ULL << 0)
#define PTE_RW (1ULL << 1)
#define PTE_US (1ULL << 2)
#define PTE_PS (1ULL << 7)
#define RFLAGS_IOPL3 (3ULL << 12)

/* Each segment of the runner's GDT, described once: feeds SREGS and the GDT. */
struct seg_def {
	uint16_t sel;	/* with the RPL, which equals the DPL */
	uint8_t type;	/* 0xb: code, execute/read, accessed; 0x3: data, read/write, accessed */
	uint8_t db, l, dpl;
};

static const struct seg_def seg_code32 = { SEL_CODE32, 0xb, 1, 0, 0 };
static const struct seg_def seg_data = { SEL_DATA, 0x3, 1, 0, 0 };
static const struct seg_def seg_code64 = { SEL_CODE64, 0xb, 0, 1, 0 };
static const struct seg_def seg_udata = { SEL_UDATA, 0x3, 1, 0, 3 };
static const struct seg_def seg_ucode64 = { SEL_UCODE64, 0xb, 0, 1, 3 };
static const struct seg_def *const gdt_segs[] = {
	&seg_code32, &seg_data, &seg_code64, &seg_udata, &seg_ucode64,
};
/* Linux's 64-bit boot protocol names its own selectors: __BOOT_CS 0x10, __BOOT_DS 0x18. */
static const struct seg_def seg_boot_code64 = { 0x10, 0xb, 0, 1, 0 };
static const struct seg_def seg_boot_data = { 0x18, 0x3, 1, 0, 0 };
static const struct seg_def *const boot_gdt_segs[] = { &seg_boot_code64, &seg_boot_data };
#define GDT_KERNEL_ENTRIES 4	/* null, code32, data, code64 */
#define GDT_USER_END (SEL_TSS + 16)

/* The TSS, described once: a busy 64-bit TSS at GUEST_TSS, 104 bytes. */
static const struct kvm_segment seg_tss = {
	.base = GUEST_TSS, .limit = 0x67, .selector = SEL_TSS, .type = 0xb, .present = 1,
};

/* Flat: base 0, limit 4 GiB in pages, present. */
static struct kvm_segment seg_kvm(const struct seg_def *d)
{
	return (struct kvm_segment){
		.base = 0, .limit = 0xffffffff, .selector = d->sel, .type = d->type,
		.present = 1, .dpl = d->dpl, .db = d->db, .s = 1, .l = d->l, .g = 1,
	};
}

static uint64_t seg_gdt_entry(const struct seg_def *d)
{
	return 0xffffULL                  /* limit 15:0 */
		| (uint64_t)d->type << 40 | 1ULL << 44 /* S: code or data */
		| (uint64_t)d->dpl << 45 | 1ULL << 47 /* DPL, present */
		| 0xfULL << 48                  /* limit 19:16 */
		| (uint64_t)d->l << 53 | (uint64_t)d->db << 54 | 1ULL << 55; /* G */
}

/* A 64-bit system descriptor (the TSS) takes two GDT slots. */
static void sys_gdt_entry(uint64_t *slot, const struct kvm_segment *s)
{
	slot[0] = (s->limit & 0xffffULL) | (s->base & 0xffffffULL) << 16 | (uint64_t)s->type << 40 |
		  1ULL << 47 | ((uint64_t)s->limit >> 16 & 0xf) << 48 | (s->base >> 24 & 0xff) << 56;
	slot[1] = s->base >> 32;
}

static uint64_t gib_mapped(uint64_t mem_bytes)
{
	uint64_t top = ram_top(mem_bytes), span = top > GUEST_MAP_MIN ? top : GUEST_MAP_MIN;

	return (span + (1ULL << 30) - 1) >> 30;
}

static uint64_t gdt_bytes(enum cpu_mode mode)
{
	return mode == MODE_USER ? GDT_USER_END : GDT_KERNEL_ENTRIES * 8;
}

/* User mode's 4 KiB page table follows the page directories. */
static uint64_t user_pt(uint64_t mem_bytes)
{
	return GUEST_PD + gib_mapped(mem_bytes) * GUEST_PAGE;
}

uint64_t cpu_region_end(enum cpu_mode mode, uint64_t mem_bytes)
{
	switch (mode) {
	case MODE_PROTECTED:
		return GUEST_GDT + gdt_bytes(mode);
	case MODE_LONG:
		return GUEST_PD + gib_mapped(mem_bytes) * GUEST_PAGE;
	case MODE_USER:
		return user_pt(mem_bytes) + GUEST_PAGE;
	default:
		return 0;
	}
}

int cpu_check_ram(enum cpu_mode mode, uint64_t mem_bytes, char *why, size_t len)
{
	uint64_t region_end = cpu_region_end(mode, mem_bytes);

	if (mode == MODE_USER && region_end > USER_PT_SPAN) {
		snprintf(why, len, "user mode maps its tables in the first 2 MiB, which %llu GiB of RAM "
			 "outgrows; lower --mem", (unsigned long long)(mem_bytes >> 30));
		return -1;
	}
	if (region_end <= ram_low(mem_bytes))
		return 0;
	snprintf(why, len, "%s mode needs RAM up to 0x%llx for its tables; raise --mem",
		 mode_name(mode), (unsigned long long)region_end);
	return -1;
}

int cpu_check_entry(enum cpu_mode mode, uint64_t mem_bytes, uint64_t entry,
		    uint64_t size, char *why, size_t len, int *status)
{
	uint64_t region_end = cpu_region_end(mode, mem_bytes), image_end;
	char ram[80];

	*status = EXIT_USAGE;
	if (entry >= ram_top(mem_bytes)) {
		snprintf(why, len, "--entry 0x%llx is outside RAM (%s); raise --mem or lower --entry",
			 (unsigned long long)entry, ram_str(mem_bytes, ram, sizeof ram));
		return -1;
	}
	if (mode == MODE_REAL && entry >= GUEST_REAL_TOP) {
		snprintf(why, len, "--entry 0x%llx is beyond real mode's reach (below 0x100000); "
			 "lower --entry or choose --mode protected or long", (unsigned long long)entry);
		return -1;
	}
	if (mode == MODE_USER && entry < GUEST_PAGE) {
		snprintf(why, len, "--entry 0x%llx is in page 0, which user mode leaves unmapped to catch "
			 "NULL pointers; load it higher", (unsigned long long)entry);
		return -1;
	}
	if (mode == MODE_PROTECTED && entry >= GUEST_PROT_TOP) {
		snprintf(why, len, "--entry 0x%llx is beyond protected mode's reach (below 4 GiB); "
			 "lower --entry or choose --mode long", (unsigned long long)entry);
		return -1;
	}
	if (entry >= ram_low(mem_bytes)) {
		snprintf(why, len, "--entry 0x%llx is not in RAM below the 32-bit hole (0x0-0x%llx), where flat "
			 "images load; lower --entry", (unsigned long long)entry,
			 (unsigned long long)(ram_low(mem_bytes) - 1));
		return -1;
	}
	if (cpu_check_ram(mode, mem_bytes, why, len) < 0)
		return -1;
	*status = EXIT_BAD_GUEST;
	if (__builtin_add_overflow(entry, size, &image_end) || image_end > ram_low(mem_bytes)) {
		snprintf(why, len, "%llu bytes do not fit in RAM from 0x%llx to its end at 0x%llx "
			 "(%llu bytes free); raise --mem or lower --entry",
			 (unsigned long long)size, (unsigned long long)entry,
			 (unsigned long long)ram_low(mem_bytes), (unsigned long long)(ram_low(mem_bytes) - entry));
		return -1;
	}
	if (region_end && entry < region_end && image_end > GUEST_GDT) {
		snprintf(why, len, "the image at 0x%llx-0x%llx overlaps the runner's %s-mode tables at "
			 "0x%llx-0x%llx; load it at or above 0x%llx with --entry",
			 (unsigned long long)entry, (unsigned long long)(image_end - 1), mode_name(mode),
			 GUEST_GDT, (unsigned long long)(region_end - 1), (unsigned long long)region_end);
		return -1;
	}
	return 0;
}

static int write_gdt(struct vm *vm, struct kvm_sregs *s, enum cpu_mode mode, bool boot_gdt)
{
	uint64_t bytes = gdt_bytes(mode);
	uint64_t *gdt = guest_range(&vm->mem, GUEST_GDT, bytes);
	const struct seg_def *const *segs = boot_gdt ? boot_gdt_segs : gdt_segs;
	unsigned nsegs = boot_gdt ? sizeof boot_gdt_segs / sizeof boot_gdt_segs[0]
				  : sizeof gdt_segs / sizeof gdt_segs[0];

	if (!gdt)
		return -1;
	memset(gdt, 0, bytes);
	for (unsigned i = 0; i < nsegs; i++)
		if (segs[i]->sel / 8 * 8 < bytes)
			gdt[segs[i]->sel / 8] = seg_gdt_entry(segs[i]);
	if (mode == MODE_USER)
		sys_gdt_entry(&gdt[SEL_TSS / 8], &seg_tss);
	s->gdt.base = GUEST_GDT;
	s->gdt.limit = (uint16_t)(bytes - 1);
	s->idt.base = 0;
	s->idt.limit = 0;	/* no IDT: an exception ends as a triple fault, reported */
	return 0;
}

/*
 * Identity map with 2 MiB pages: every GiB of RAM, and at least 4 GiB. In
 * user mode every page is user-accessible except, in a 4 KiB-page table
 * for the first 2 MiB, page 0 (absent: NULL faults) and the runner's pages.
 */
static int write_page_tables(struct vm *vm, enum cpu_mode mode, uint64_t map_bytes)
{
	uint64_t ngib = map_bytes ? (map_bytes + (1ULL << 30) - 1) >> 30 : gib_mapped(vm->mem.size);
	uint64_t us = mode == MODE_USER ? PTE_US : 0;
	uint64_t *pml4 = guest_range(&vm->mem, GUEST_PML4, GUEST_PAGE);
	uint64_t *pdpt = guest_range(&vm->mem, GUEST_PDPT, GUEST_PAGE);
	uint64_t *pd = guest_range(&vm->mem, GUEST_PD, ngib * GUEST_PAGE);
	uint64_t *pt = guest_range(&vm->mem, user_pt(vm->mem.size), GUEST_PAGE);
	uint64_t runner_end = cpu_region_end(mode, vm->mem.size);

	if (!pml4 || !pdpt || !pd || ngib > 512 || (us && !pt))
		return -1;
	memset(pml4, 0, GUEST_PAGE);
	memset(pdpt, 0, GUEST_PAGE);
	pml4[0] = GUEST_PDPT | PTE_P | PTE_RW | us;
	for (uint64_t g = 0; g < ngib; g++) {
		pdpt[g] = (GUEST_PD + g * GUEST_PAGE) | PTE_P | PTE_RW | us;
		for (uint64_t i = 0; i < 512; i++)
			pd[g * 512 + i] = ((g << 30) + (i << 21)) | PTE_P | PTE_RW | PTE_PS | us;
	}
	if (!us)
		return 0;
	pd[0] = user_pt(vm->mem.size) | PTE_P | PTE_RW | PTE_US;
	pt[0] = 0;
	for (uint64_t i = 1; i < 512; i++)
		pt[i] = (i << 12) | PTE_P | PTE_RW | ((i << 12) < runner_end ? 0 : PTE_US);
	return 0;
}

static void set_flat(struct kvm_sregs *s, const struct seg_def *code)
{
	struct kvm_segment data = seg_kvm(&seg_data);

	s->cs = seg_kvm(code);
	s->ds = s->es = s->fs = s->gs = s->ss = data;
}

static void set_user(struct kvm_sregs *s)
{
	struct kvm_segment data = seg_kvm(&seg_udata);

	s->cs = seg_kvm(&seg_ucode64);
	s->ds = s->es = s->fs = s->gs = s->ss = data;
	s->tr = seg_tss;
}

int cpu_user_context(struct vm *vm, uint64_t rip, uint64_t rsp, uint64_t rflags)
{
	struct kvm_sregs s;
	struct kvm_regs r;

	if (ioctl(vm->cpu[0].fd, KVM_GET_SREGS, &s) < 0 || ioctl(vm->cpu[0].fd, KVM_GET_REGS, &r) < 0)
		return -1;
	set_user(&s);
	r.rip = rip;
	r.rsp = rsp;
	r.rflags = rflags;
	if (ioctl(vm->cpu[0].fd, KVM_SET_SREGS, &s) < 0 || ioctl(vm->cpu[0].fd, KVM_SET_REGS, &r) < 0)
		return -1;
	return 0;
}

/* Real mode: CS:IP = (entry >> 4):(entry & 0xf); DS = ES = FS = GS = CS. */
static void set_real(struct kvm_sregs *s, struct kvm_regs *r, uint64_t entry)
{
	uint16_t cs = (uint16_t)(entry >> 4);
	uint64_t top = entry & ~0xfULL;
	uint16_t ss = top >= 0x10000 ? (uint16_t)((top - 0x10000) >> 4) : 0;
	struct kvm_segment *segs[] = { &s->cs, &s->ds, &s->es, &s->fs, &s->gs };

	for (unsigned i = 0; i < sizeof segs / sizeof segs[0]; i++) {
		segs[i]->selector = cs;
		segs[i]->base = (uint64_t)cs << 4;
		segs[i]->limit = 0xffff;
	}
	/* The stack grows down from the load address: SS:SP = linear entry & ~0xf. */
	s->ss.selector = ss;
	s->ss.base = (uint64_t)ss << 4;
	s->ss.limit = 0xffff;
	r->rip = entry & 0xf;
	r->rsp = (top - ((uint64_t)ss << 4)) & 0xffff;
}

int cpu_setup(struct vm *vm, enum cpu_mode mode, const struct cpu_entry *e)
{
	struct kvm_sregs s;
	struct kvm_regs r;

	if (ioctl(vm->cpu[0].fd, KVM_GET_SREGS, &s) < 0) {
		fprintf(stderr, "kvmrun: KVM_GET_SREGS failed: %s\n", strerror(errno));
		return -1;
	}
	memset(&r, 0, sizeof r);
	r.rflags = 0x2;
	r.rax = e->rax;
	r.rbx = e->rbx;
	r.rsi = e->rsi;
	/* As firmware leaves it: caches on. */
	s.cr0 = (s.cr0 & ~(CR0_CD | CR0_NW)) | CR0_ET;

	switch (mode) {
	case MODE_REAL:
		set_real(&s, &r, e->rip);
		break;
	case MODE_PROTECTED:
		if (write_gdt(vm, &s, mode, false) < 0)
			goto no_room;
		set_flat(&s, &seg_code32);
		s.cr0 |= CR0_PE;
		r.rip = e->rip;
		r.rsp = e->rsp;
		break;
	case MODE_LONG:
	case MODE_USER:
		if (write_gdt(vm, &s, mode, e->boot_gdt) < 0 || write_page_tables(vm, mode, e->map_bytes) < 0)
			goto no_room;
		s.cr3 = GUEST_PML4;
		s.cr4 = CR4_PAE;
		s.cr0 |= CR0_PE | CR0_PG;
		s.efer = EFER_LME | EFER_LMA;
		r.rip = e->rip;
		r.rsp = e->rsp;
		if (mode == MODE_LONG && e->boot_gdt) {
			set_flat(&s, &seg_boot_code64);
			s.ds = s.es = s.fs = s.gs = s.ss = seg_kvm(&seg_boot_data);
			break;
		}
		if (mode == MODE_LONG) {
			set_flat(&s, &seg_code64);
			break;
		}
		/* CPL 3 with IOPL 3: port I/O works as in the other modes. */
		if (user_tables(&vm->mem, &s) < 0)
			goto no_room;
		set_user(&s);
		s.efer |= EFER_NXE;	/* so that a page fault says when it was an instruction fetch */
		r.rflags |= RFLAGS_IOPL3;
		break;
	}
	vm->mode = mode;
	if (ioctl(vm->cpu[0].fd, KVM_SET_SREGS, &s) < 0) {
		fprintf(stderr, "kvmrun: setting %s-mode segments and control registers failed (KVM_SET_SREGS): %s\n",
			mode_name(mode), strerror(errno));
		return -1;
	}
	if (ioctl(vm->cpu[0].fd, KVM_SET_REGS, &r) < 0) {
		fprintf(stderr, "kvmrun: KVM_SET_REGS failed: %s\n", strerror(errno));
		return -1;
	}
	return 0;
no_room:
	fprintf(stderr, "kvmrun: internal error: %s-mode tables do not fit in RAM\n", mode_name(mode));
	return -1;
}
