/*
 * User mode's exception path. The guest runs at CPL 3; every exception
 * enters, through a 32-gate IDT and the TSS's RSP0, a runner stub at CPL 0:
 *
 *	push $0		(only for vectors without an error code)
 *	push $vector
 *	out %al, $PORT_FAULT
 *	add $16, %rsp
 *	iretq
 *
 * The report port's handler reads the frame the CPU pushed (vector, error
 * code, RIP, CS, RFLAGS, RSP, SS) from the runner stack, and CR2. A #GP on
 * a port-I/O instruction is emulated and the stub returns to the guest: some
 * hosts (KVM without VMX/SVM, running CPL 3 natively) ignore IOPL 3. A #GP
 * on HLT ends the run with status 0. Anything else ends it with a precise
 * message. The stubs, IDT, TSS and stack live in supervisor-only pages, so
 * the guest can neither overwrite nor forge them.
 */
#include <string.h>
#include <sys/ioctl.h>

#include "kvm.h"

#define STUB_SIZE 16
#define GATE_INTR64 0x8e	/* present, DPL 0, 64-bit interrupt gate */
#define OP_PUSH_IMM8 0x6a
#define OP_OUT_IMM8_AL 0xe6
#define OP_HLT 0xf4
#define VEC_GP 13
#define VEC_PF 14

/* The layout in the GDT's page: GDT, TSS, stubs, IDT, then the stack down from GUEST_KSTACK_TOP. */
_Static_assert(GUEST_GDT + 0x40 <= GUEST_TSS, "GDT runs into the TSS");
_Static_assert(GUEST_TSS + 0x68 <= GUEST_STUBS, "TSS runs into the stubs");
_Static_assert(GUEST_STUBS + USER_VECTORS * STUB_SIZE <= GUEST_IDT, "stubs run into the IDT");
_Static_assert(GUEST_IDT + USER_VECTORS * 16 + 0x100 <= GUEST_KSTACK_TOP, "IDT leaves no stack");

static const struct {
	const char *name, *mnemonic;
	bool error_code;	/* the CPU pushes one */
} vectors[USER_VECTORS] = {
	[0] = { "divide error", "#DE", false },
	[1] = { "debug exception", "#DB", false },
	[2] = { "non-maskable interrupt", "NMI", false },
	[3] = { "breakpoint", "#BP", false },
	[4] = { "overflow", "#OF", false },
	[5] = { "bound range exceeded", "#BR", false },
	[6] = { "invalid opcode", "#UD", false },
	[7] = { "device not available", "#NM", false },
	[8] = { "double fault", "#DF", true },
	[9] = { "coprocessor segment overrun", "#CSO", false },
	[10] = { "invalid TSS", "#TS", true },
	[11] = { "segment not present", "#NP", true },
	[12] = { "stack-segment fault", "#SS", true },
	[13] = { "general protection fault", "#GP", true },
	[14] = { "page fault", "#PF", true },
	[16] = { "x87 floating-point error", "#MF", false },
	[17] = { "alignment check", "#AC", true },
	[18] = { "machine check", "#MC", false },
	[19] = { "SIMD floating-point exception", "#XM", false },
	[20] = { "virtualization exception", "#VE", false },
	[21] = { "control protection exception", "#CP", true },
	[29] = { "VMM communication exception", "#VC", true },
	[30] = { "security exception", "#SX", true },
};

int user_tables(const struct guest_mem *m, struct kvm_sregs *s)
{
	uint8_t *stubs = guest_range(m, GUEST_STUBS, USER_VECTORS * STUB_SIZE);
	uint8_t *idt = guest_range(m, GUEST_IDT, USER_VECTORS * 16);
	uint8_t *tss = guest_range(m, GUEST_TSS, 0x68);
	uint64_t rsp0 = GUEST_KSTACK_TOP;

	if (!stubs || !idt || !tss)
		return -1;
	memset(stubs, OP_HLT, USER_VECTORS * STUB_SIZE);
	memset(idt, 0, USER_VECTORS * 16);
	for (unsigned v = 0; v < USER_VECTORS; v++) {
		uint8_t *p = stubs + v * STUB_SIZE;
		uint64_t at = GUEST_STUBS + v * STUB_SIZE;
		uint8_t *g = idt + v * 16;

		if (!vectors[v].error_code) {
			*p++ = OP_PUSH_IMM8;
			*p++ = 0;
		}
		*p++ = OP_PUSH_IMM8;
		*p++ = (uint8_t)v;
		*p++ = OP_OUT_IMM8_AL;
		*p++ = PORT_FAULT;
		memcpy(p, (const uint8_t[]){ 0x48, 0x83, 0xc4, 0x10, 0x48, 0xcf }, 6);	/* add $16,%rsp; iretq */
		/* Gate: offset 15:0, selector, IST 0, type, offset 31:16, offset 63:32. */
		g[0] = (uint8_t)at, g[1] = (uint8_t)(at >> 8);
		g[2] = SEL_CODE64, g[3] = 0;
		g[5] = GATE_INTR64;
		g[6] = (uint8_t)(at >> 16), g[7] = (uint8_t)(at >> 24);
		memcpy(g + 8, (uint32_t[]){ (uint32_t)(at >> 32) }, 4);
	}
	/* 64-bit TSS: RSP0 at offset 4; the I/O map base past the limit (no bitmap: IOPL 3 rules). */
	memset(tss, 0, 0x68);
	memcpy(tss + 4, &rsp0, 8);
	memcpy(tss + 0x66, (uint16_t[]){ 0x68 }, 2);
	s->idt.base = GUEST_IDT;
	s->idt.limit = USER_VECTORS * 16 - 1;
	return 0;
}

static const char *pf_cause(uint64_t err)
{
	if (!(err & 1))
		return "the page is not present";
	if (err & 8)
		return "a reserved bit is set in a page-table entry";
	if (err & 4)
		return "the page is supervisor-only (the runner's)";
	return "the access is not allowed";
}

/* The frame the CPU pushed, plus the stub's two words: vector, error, RIP, CS, RFLAGS, RSP, SS. */
enum { F_VECTOR, F_ERROR, F_RIP, F_CS, F_RFLAGS, F_RSP, F_SS, F_WORDS };

#define RFLAGS_DF (1ULL << 10)
#define INSN_MAX 15
#define STRING_CHUNK 4096	/* elements per trap: a long rep still lets a timeout in */

/* A port-I/O instruction, decoded. */
struct pio {
	unsigned len, size;
	bool out, string, rep, imm;
	uint8_t port;		/* when imm */
};

/* Decodes in/out/ins/outs (with 66, f3, REX and segment prefixes); false if it is none of them. */
static bool pio_decode(const uint8_t *c, unsigned avail, struct pio *p)
{
	unsigned i = 0, opsize = 4;

	*p = (struct pio){ 0 };
	for (; i < avail && i < INSN_MAX - 1; i++) {
		uint8_t b = c[i];

		if (b == 0x66)
			opsize = 2;
		else if (b == 0xf3)
			p->rep = true;
		else if (b == 0x2e || b == 0x36 || b == 0x3e || b == 0x26 || b == 0x64 || b == 0x65)
			continue;
		else if ((b & 0xf0) == 0x40 && i + 1 < avail && (c[i + 1] & 0xf0) != 0x40)
			continue;	/* REX, just before the opcode */
		else
			break;
	}
	if (i >= avail)
		return false;
	switch (c[i]) {
	case 0xe4: case 0xe5: case 0xe6: case 0xe7:
		if (i + 1 >= avail)
			return false;
		p->imm = true;
		p->port = c[i + 1];
		p->len = i + 2;
		break;
	case 0xec: case 0xed: case 0xee: case 0xef:
		p->len = i + 1;
		break;
	case 0x6c: case 0x6d: case 0x6e: case 0x6f:
		p->string = true;
		p->len = i + 1;
		break;
	default:
		return false;
	}
	p->size = c[i] & 1 ? opsize : 1;
	p->out = c[i] == 0xe6 || c[i] == 0xe7 || c[i] == 0xee || c[i] == 0xef || c[i] == 0x6e || c[i] == 0x6f;
	return true;
}

/* IN's result into AL, AX or EAX (which zero-extends into RAX, as in 64-bit mode). */
static uint64_t merge_in(uint64_t rax, unsigned size, uint32_t v)
{
	if (size == 4)
		return v;
	if (size == 2)
		return (rax & ~0xffffULL) | (v & 0xffff);
	return (rax & ~0xffULL) | (v & 0xff);
}

/*
 * Carry out the guest's port I/O at frame RIP, then let the stub return to
 * the next instruction (or to the same rep instruction, when elements remain).
 */
/* One access on behalf of the guest; its own writes to the report port are ignored, reads float. */
static enum io_result guest_access(struct io_bus *bus, uint16_t port, unsigned size, bool out, uint32_t *v)
{
	if (port == PORT_FAULT) {
		if (!out)
			*v = size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
		return IO_OK;
	}
	return io_access(bus, port, size, out, v);
}

/*
 * Carry out the guest's port I/O at frame RIP, then let the stub return to
 * the next instruction (or to the same rep instruction, when elements remain).
 * When the access ends the run, the VCPU is put back in the guest's context
 * at the I/O instruction, so a dump shows the guest, not the stub.
 */
static enum io_result pio_emulate(struct vm *vm, struct io_bus *bus, uint64_t *f, struct kvm_regs *r,
				  const struct pio *p)
{
	uint64_t user_low = cpu_region_end(MODE_USER, vm->mem.size), rip = f[F_RIP];
	uint16_t port = p->imm ? p->port : (uint16_t)r->rdx;
	enum io_result res = IO_OK;
	bool done = true;
	const char *bad = NULL;

	if (!p->string) {
		uint32_t v = (uint32_t)r->rax;

		res = guest_access(bus, port, p->size, p->out, &v);
		if (!p->out)
			r->rax = merge_in(r->rax, p->size, v);
	} else {
		uint64_t count = p->rep ? r->rcx : 1, n = count < STRING_CHUNK ? count : STRING_CHUNK;
		int64_t step = f[F_RFLAGS] & RFLAGS_DF ? -(int64_t)p->size : (int64_t)p->size;
		__u64 *addr = p->out ? &r->rsi : &r->rdi;

		for (uint64_t k = 0; k < n && res == IO_OK; k++) {
			uint8_t *mem = *addr >= user_low ? guest_range(&vm->mem, *addr, p->size) : NULL;
			uint32_t v = 0;

			if (!mem) {
				bad = p->out ? "reads" : "writes";
				break;
			}
			if (p->out)
				memcpy(&v, mem, p->size);
			res = guest_access(bus, port, p->size, p->out, &v);
			if (!p->out)
				memcpy(mem, &v, p->size);
			*addr += (uint64_t)step;
			if (p->rep)
				r->rcx--;
		}
		done = !bad && (!p->rep || r->rcx == 0);
	}
	if (ioctl(vm->cpu[0].fd, KVM_SET_REGS, r) < 0)
		return io_fault(bus, "emulating port I/O at RIP 0x%llx: KVM_SET_REGS failed", (unsigned long long)rip);
	if (bad || res != IO_OK) {
		cpu_user_context(vm, rip, f[F_RSP], f[F_RFLAGS]);
		if (bad)
			return io_fault(bus, "string port I/O at RIP 0x%llx %s 0x%llx, which is not the guest's memory",
					(unsigned long long)rip, bad, (unsigned long long)(p->out ? r->rsi : r->rdi));
		return res;
	}
	if (done)
		f[F_RIP] += p->len;
	return IO_OK;
}

static enum io_result fault_out(struct io_bus *bus, void *dev, uint16_t port, unsigned size, uint32_t val)
{
	struct vm *vm = dev;
	struct kvm_regs r;
	struct kvm_sregs s;
	uint64_t *f;
	uint64_t v, err, rip, rsp, avail;
	const uint8_t *code;
	struct pio pio;

	(void)port, (void)size, (void)val;
	if (ioctl(vm->cpu[0].fd, KVM_GET_REGS, &r) < 0 || ioctl(vm->cpu[0].fd, KVM_GET_SREGS, &s) < 0)
		return io_fault(bus, "an exception was reported, but the VCPU's registers cannot be read");
	if (s.cs.selector & 3)
		return IO_OK;	/* the guest itself, not a stub: ignored */
	f = guest_range(&vm->mem, r.rsp, F_WORDS * 8);
	if (!f || r.rsp != GUEST_KSTACK_TOP - F_WORDS * 8)
		return io_fault(bus, "an exception report with the runner stack at 0x%llx instead of 0x%llx",
				(unsigned long long)r.rsp, GUEST_KSTACK_TOP - F_WORDS * 8);
	v = f[F_VECTOR], err = f[F_ERROR], rip = f[F_RIP], rsp = f[F_RSP];
	if (v >= USER_VECTORS)
		return io_fault(bus, "an exception report with vector %llu", (unsigned long long)v);

	for (avail = 0; avail < INSN_MAX && guest_range(&vm->mem, rip, avail + 1); avail++)
		;
	code = avail ? guest_range(&vm->mem, rip, 1) : NULL;
	if (v == VEC_GP && code && pio_decode(code, avail < INSN_MAX ? (unsigned)avail : INSN_MAX, &pio))
		return pio_emulate(vm, bus, f, &r, &pio);
	cpu_user_context(vm, rip, rsp, f[F_RFLAGS]);	/* the dump shows where it happened */
	if (v == VEC_GP && code && *code == OP_HLT) {	/* HLT at CPL 3 ends the run as HLT does */
		bus->end->kind = END_HALT;
		return IO_END;
	}
	if (v == VEC_PF)
		return io_fault(bus, "page fault %s 0x%llx at RIP 0x%llx: %s (error code 0x%llx, RSP 0x%llx)",
				err & 16 ? "fetching an instruction at" : err & 2 ? "writing" : "reading",
				(unsigned long long)s.cr2, (unsigned long long)rip, pf_cause(err),
				(unsigned long long)err, (unsigned long long)rsp);
	if (vectors[v].error_code)
		return io_fault(bus, "%s (%s, vector %llu, error code 0x%llx) at RIP 0x%llx (RSP 0x%llx)",
				vectors[v].name, vectors[v].mnemonic, (unsigned long long)v,
				(unsigned long long)err, (unsigned long long)rip, (unsigned long long)rsp);
	return io_fault(bus, "%s (%s, vector %llu) at RIP 0x%llx (RSP 0x%llx)",
			vectors[v].name ? vectors[v].name : "reserved exception",
			vectors[v].mnemonic ? vectors[v].mnemonic : "?", (unsigned long long)v,
			(unsigned long long)rip, (unsigned long long)rsp);
}

int user_attach(struct vm *vm)
{
	/* Batches output: an emulated UART write must not cost a flush per byte. */
	struct port_dev d = { .name = "fault-report", .base = PORT_FAULT, .len = 1, .out = fault_out,
			      .dev = vm, .batches_output = true };

	return io_attach(&vm->bus, &d);
}
