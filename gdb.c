/*
 * The GDB remote stub (--gdb [HOST:]PORT or unix:PATH): one connection at a time,
 * served by a thread of its own that never runs guest code. A stop (a
 * breakpoint, a watchpoint, a step, Ctrl-C, gdb attaching) holds every vCPU
 * out of KVM_RUN through vcpu.c's pause; the stub then reads and writes the
 * held vCPUs' registers with their ioctls and guest memory through
 * KVM_TRANSLATE and guest_range(). vCPU i is gdb's thread i + 1.
 *
 * Protocol: gdb's remote serial protocol, all-stop, with the x86-64 target
 * description below (core with x87, sse, segments with fs_base/gs_base, and
 * the control registers and EFER, read-only, as a feature of our own).
 * Registers always use the 64-bit layout, whatever the CPU mode.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kvm.h"

#define PKT_MAX     4096            /* PacketSize we announce (bytes of packet data) */
#define MAX_SWBP    64
#define NREGS       65
#define REGS_BYTES  600
#define LOAD(x)     __atomic_load_n(&(x), __ATOMIC_SEQ_CST)
#define STORE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_SEQ_CST)

struct swbp { uint64_t addr, gpa; uint8_t orig; };
struct hwbp { uint64_t addr; unsigned type, len; bool used; };	/* type: 0 exec, 1 write, 3 access */

struct gdb {
	int listen_fd;           /* TCP's, or sock's */
	struct usock sock;       /* --gdb unix:PATH (listen_fd -1 for TCP) */
	int null_fd;
	int fd;                  /* the connection's fixed slot (null_fd's file while none) */
	bool connected, noack, wait;
	uint16_t port;
	struct vm *vm;
	pthread_t thread;
	bool started;
	int stop;                /* atomic: gdb_close asks the thread to leave */
	pthread_mutex_t lock;    /* the event below, written by a vCPU thread; up */
	pthread_cond_t up_cond;
	bool up;                 /* the thread is past its start-up: the filter may come */
	int ev_pending;          /* atomic: a vCPU stopped for the debugger */
	unsigned ev_cpu, ev_exc;
	uint64_t ev_dr6;
	bool running;            /* stub thread: the guest runs (a stop reply is owed) */
	unsigned cur;            /* selected vCPU (Hg) */
	int step_cpu;            /* -1: none */
	unsigned step_flags;     /* KVM_GUESTDBG_BLOCKIRQ where KVM has it: a step stays out of interrupt handlers */
	struct swbp sw[MAX_SWBP];
	unsigned nsw;            /* stored atomically: gdb_sw_breakpoints reads it from other threads */
	struct hwbp hw[4];
	size_t in_len;
	char in[PKT_MAX + 8];
	size_t pkt_len;                 /* the packet being served: its bytes between $ and # (X holds NULs) */
	char last[2 * PKT_MAX + 8]; /* the last reply, for a '-' */
	size_t last_len;
};

static const char target_xml[] =
	"<?xml version=\"1.0\"?><!DOCTYPE target SYSTEM \"gdb-target.dtd\">"
	"<target version=\"1.0\"><architecture>i386:x86-64</architecture>"
	"<feature name=\"org.gnu.gdb.i386.core\">"
	"<flags id=\"i386_eflags\" size=\"4\"><field name=\"CF\" start=\"0\" end=\"0\"/>"
	"<field name=\"PF\" start=\"2\" end=\"2\"/><field name=\"AF\" start=\"4\" end=\"4\"/>"
	"<field name=\"ZF\" start=\"6\" end=\"6\"/><field name=\"SF\" start=\"7\" end=\"7\"/>"
	"<field name=\"TF\" start=\"8\" end=\"8\"/><field name=\"IF\" start=\"9\" end=\"9\"/>"
	"<field name=\"DF\" start=\"10\" end=\"10\"/><field name=\"OF\" start=\"11\" end=\"11\"/></flags>"
	"<reg name=\"rax\" bitsize=\"64\" type=\"int64\"/><reg name=\"rbx\" bitsize=\"64\" type=\"int64\"/>"
	"<reg name=\"rcx\" bitsize=\"64\" type=\"int64\"/><reg name=\"rdx\" bitsize=\"64\" type=\"int64\"/>"
	"<reg name=\"rsi\" bitsize=\"64\" type=\"int64\"/><reg name=\"rdi\" bitsize=\"64\" type=\"int64\"/>"
	"<reg name=\"rbp\" bitsize=\"64\" type=\"data_ptr\"/><reg name=\"rsp\" bitsize=\"64\" type=\"data_ptr\"/>"
	"<reg name=\"r8\" bitsize=\"64\" type=\"int64\"/><reg name=\"r9\" bitsize=\"64\" type=\"int64\"/>"
	"<reg name=\"r10\" bitsize=\"64\" type=\"int64\"/><reg name=\"r11\" bitsize=\"64\" type=\"int64\"/>"
	"<reg name=\"r12\" bitsize=\"64\" type=\"int64\"/><reg name=\"r13\" bitsize=\"64\" type=\"int64\"/>"
	"<reg name=\"r14\" bitsize=\"64\" type=\"int64\"/><reg name=\"r15\" bitsize=\"64\" type=\"int64\"/>"
	"<reg name=\"rip\" bitsize=\"64\" type=\"code_ptr\"/>"
	"<reg name=\"eflags\" bitsize=\"32\" type=\"i386_eflags\"/>"
	"<reg name=\"cs\" bitsize=\"32\" type=\"int32\"/><reg name=\"ss\" bitsize=\"32\" type=\"int32\"/>"
	"<reg name=\"ds\" bitsize=\"32\" type=\"int32\"/><reg name=\"es\" bitsize=\"32\" type=\"int32\"/>"
	"<reg name=\"fs\" bitsize=\"32\" type=\"int32\"/><reg name=\"gs\" bitsize=\"32\" type=\"int32\"/>"
	"<reg name=\"st0\" bitsize=\"80\" type=\"i387_ext\"/><reg name=\"st1\" bitsize=\"80\" type=\"i387_ext\"/>"
	"<reg name=\"st2\" bitsize=\"80\" type=\"i387_ext\"/><reg name=\"st3\" bitsize=\"80\" type=\"i387_ext\"/>"
	"<reg name=\"st4\" bitsize=\"80\" type=\"i387_ext\"/><reg name=\"st5\" bitsize=\"80\" type=\"i387_ext\"/>"
	"<reg name=\"st6\" bitsize=\"80\" type=\"i387_ext\"/><reg name=\"st7\" bitsize=\"80\" type=\"i387_ext\"/>"
	"<reg name=\"fctrl\" bitsize=\"32\" type=\"int\" group=\"float\"/>"
	"<reg name=\"fstat\" bitsize=\"32\" type=\"int\" group=\"float\"/>"
	"<reg name=\"ftag\" bitsize=\"32\" type=\"int\" group=\"float\"/>"
	"<reg name=\"fiseg\" bitsize=\"32\" type=\"int\" group=\"float\"/>"
	"<reg name=\"fioff\" bitsize=\"32\" type=\"int\" group=\"float\"/>"
	"<reg name=\"foseg\" bitsize=\"32\" type=\"int\" group=\"float\"/>"
	"<reg name=\"fooff\" bitsize=\"32\" type=\"int\" group=\"float\"/>"
	"<reg name=\"fop\" bitsize=\"32\" type=\"int\" group=\"float\"/></feature>"
	"<feature name=\"org.gnu.gdb.i386.sse\">"
	"<vector id=\"v4f\" type=\"ieee_single\" count=\"4\"/><vector id=\"v2d\" type=\"ieee_double\" count=\"2\"/>"
	"<vector id=\"v16i8\" type=\"int8\" count=\"16\"/><vector id=\"v8i16\" type=\"int16\" count=\"8\"/>"
	"<vector id=\"v4i32\" type=\"int32\" count=\"4\"/><vector id=\"v2i64\" type=\"int64\" count=\"2\"/>"
	"<union id=\"vec128\"><field name=\"v4_float\" type=\"v4f\"/><field name=\"v2_double\" type=\"v2d\"/>"
	"<field name=\"v16_int8\" type=\"v16i8\"/><field name=\"v8_int16\" type=\"v8i16\"/>"
	"<field name=\"v4_int32\" type=\"v4i32\"/><field name=\"v2_int64\" type=\"v2i64\"/>"
	"<field name=\"uint128\" type=\"uint128\"/></union>"
	"<reg name=\"xmm0\" bitsize=\"128\" type=\"vec128\" regnum=\"40\"/><reg name=\"xmm1\" bitsize=\"128\" type=\"vec128\"/>"
	"<reg name=\"xmm2\" bitsize=\"128\" type=\"vec128\"/><reg name=\"xmm3\" bitsize=\"128\" type=\"vec128\"/>"
	"<reg name=\"xmm4\" bitsize=\"128\" type=\"vec128\"/><reg name=\"xmm5\" bitsize=\"128\" type=\"vec128\"/>"
	"<reg name=\"xmm6\" bitsize=\"128\" type=\"vec128\"/><reg name=\"xmm7\" bitsize=\"128\" type=\"vec128\"/>"
	"<reg name=\"xmm8\" bitsize=\"128\" type=\"vec128\"/><reg name=\"xmm9\" bitsize=\"128\" type=\"vec128\"/>"
	"<reg name=\"xmm10\" bitsize=\"128\" type=\"vec128\"/><reg name=\"xmm11\" bitsize=\"128\" type=\"vec128\"/>"
	"<reg name=\"xmm12\" bitsize=\"128\" type=\"vec128\"/><reg name=\"xmm13\" bitsize=\"128\" type=\"vec128\"/>"
	"<reg name=\"xmm14\" bitsize=\"128\" type=\"vec128\"/><reg name=\"xmm15\" bitsize=\"128\" type=\"vec128\"/>"
	"<reg name=\"mxcsr\" bitsize=\"32\" type=\"int\" group=\"vector\"/></feature>"
	"<feature name=\"org.gnu.gdb.i386.segments\">"
	"<reg name=\"fs_base\" bitsize=\"64\" type=\"int\"/><reg name=\"gs_base\" bitsize=\"64\" type=\"int\"/>"
	"</feature><feature name=\"org.kvmrun.x86.control\">"
	"<reg name=\"cr0\" bitsize=\"64\" type=\"int\" group=\"system\"/>"
	"<reg name=\"cr2\" bitsize=\"64\" type=\"int\" group=\"system\"/>"
	"<reg name=\"cr3\" bitsize=\"64\" type=\"int\" group=\"system\"/>"
	"<reg name=\"cr4\" bitsize=\"64\" type=\"int\" group=\"system\"/>"
	"<reg name=\"cr8\" bitsize=\"64\" type=\"int\" group=\"system\"/>"
	"<reg name=\"efer\" bitsize=\"64\" type=\"int\" group=\"system\"/>"
	"</feature></target>";

/* Byte size of register n in the 64-bit layout. */
static unsigned reg_size(unsigned n)
{
	if (n < 17 || n >= 57)
		return 8;
	if (n >= 24 && n < 32)
		return 10;
	if (n >= 40 && n < 56)
		return 16;
	return 4;
}

static unsigned reg_offset(unsigned n)
{
	unsigned off = 0;

	for (unsigned i = 0; i < n; i++)
		off += reg_size(i);
	return off;
}

/* ---- hex ---- */

/* A hex number at *p, up to a non-hex character; false when there is none or it overflows. */
static bool hexnum(const char **p, uint64_t *v)
{
	const char *s = *p;
	uint64_t x = 0;

	if (parse_hex_digit(*s) < 0)
		return false;
	for (; parse_hex_digit(*s) >= 0; s++) {
		if (x >> 60)
			return false;
		x = x << 4 | (uint64_t)parse_hex_digit(*s);
	}
	*v = x;
	*p = s;
	return true;
}

static bool hexbytes(const char *s, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int hi = parse_hex_digit(s[2 * i]), lo = hi < 0 ? -1 : parse_hex_digit(s[2 * i + 1]);

		if (lo < 0)
			return false;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

static void tohex(char *out, const uint8_t *b, size_t n)
{
	static const char d[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = d[b[i] >> 4];
		out[2 * i + 1] = d[b[i] & 15];
	}
	out[2 * n] = 0;
}

/* ---- the wire ---- */

static void put_all(struct gdb *g, const char *s, size_t n)
{
	while (n) {
		ssize_t w = write(g->fd, s, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;	/* gone: the next read sees the end */
		s += w;
		n -= (size_t)w;
	}
}

static bool trace;
static void reply(struct gdb *g, const char *data)
{
	if (trace)
		fprintf(stderr, "gdb-trace: <- %.200s\n", data);
	size_t n = strlen(data);
	unsigned sum = 0;

	if (n > 2 * PKT_MAX)
		n = 2 * PKT_MAX;
	g->last[0] = '$';
	memcpy(g->last + 1, data, n);
	for (size_t i = 0; i < n; i++)
		sum += (unsigned char)data[i];
	snprintf(g->last + 1 + n, 4, "#%02x", sum & 0xff);
	g->last_len = n + 4;
	put_all(g, g->last, g->last_len);
}

/* ---- vCPU state (every vCPU held) ---- */

static struct vcpu *cpu_of(struct gdb *g, unsigned i)
{
	return &g->vm->cpu[i < g->vm->ncpus ? i : 0];
}

static bool regs_image(struct gdb *g, unsigned i, uint8_t *b)
{
	struct vcpu *c = cpu_of(g, i);
	struct kvm_regs r;
	struct kvm_sregs s;
	struct kvm_fpu f;
	uint64_t gp[16];
	unsigned o = 0;

	if (ioctl(c->fd, KVM_GET_REGS, &r) < 0 || ioctl(c->fd, KVM_GET_SREGS, &s) < 0)
		return false;
	if (ioctl(c->fd, KVM_GET_FPU, &f) < 0)
		memset(&f, 0, sizeof f);
	memset(b, 0, REGS_BYTES);
	uint64_t v[16] = { r.rax, r.rbx, r.rcx, r.rdx, r.rsi, r.rdi, r.rbp, r.rsp,
			   r.r8, r.r9, r.r10, r.r11, r.r12, r.r13, r.r14, r.r15 };
	memcpy(gp, v, sizeof gp);
	for (unsigned k = 0; k < 16; k++, o += 8)
		put64(b + o, gp[k]);
	put64(b + o, r.rip);
	o += 8;
	put32(b + o, (uint32_t)r.rflags);
	o += 4;
	const struct kvm_segment *seg[6] = { &s.cs, &s.ss, &s.ds, &s.es, &s.fs, &s.gs };
	for (unsigned k = 0; k < 6; k++, o += 4)
		put32(b + o, seg[k]->selector);
	for (unsigned k = 0; k < 8; k++, o += 10)
		memcpy(b + o, f.fpr[k], 10);
	uint32_t tag = 0;
	for (unsigned k = 0; k < 8; k++)
		tag |= (f.ftwx >> k & 1 ? 0u : 3u) << (2 * k);
	uint32_t fx[8] = { f.fcw, f.fsw, tag, 0, (uint32_t)f.last_ip, 0, (uint32_t)f.last_dp, f.last_opcode };
	for (unsigned k = 0; k < 8; k++, o += 4)
		put32(b + o, fx[k]);
	for (unsigned k = 0; k < 16; k++, o += 16)
		memcpy(b + o, f.xmm[k], 16);
	put32(b + o, f.mxcsr);
	o += 4;
	uint64_t tail[8] = { s.fs.base, s.gs.base, s.cr0, s.cr2, s.cr3, s.cr4, s.cr8, s.efer };
	for (unsigned k = 0; k < 8; k++, o += 8)
		put64(b + o, tail[k]);
	return true;
}

/* Write registers back from an image: the general registers, rip and eflags, x87 and SSE; segments stay. */
static bool regs_store(struct gdb *g, unsigned i, const uint8_t *b)
{
	struct vcpu *c = cpu_of(g, i);
	struct kvm_regs r;
	struct kvm_fpu f;
	__u64 *gp[16] = { &r.rax, &r.rbx, &r.rcx, &r.rdx, &r.rsi, &r.rdi, &r.rbp, &r.rsp,
			     &r.r8, &r.r9, &r.r10, &r.r11, &r.r12, &r.r13, &r.r14, &r.r15 };
	unsigned o = 0;

	if (ioctl(c->fd, KVM_GET_REGS, &r) < 0 || ioctl(c->fd, KVM_GET_FPU, &f) < 0)
		return false;
	for (unsigned k = 0; k < 16; k++, o += 8)
		*gp[k] = get64(b + o);
	r.rip = get64(b + o);
	o += 8;
	r.rflags = (r.rflags & ~0xffffffffULL) | get32(b + o);
	o = reg_offset(24);
	for (unsigned k = 0; k < 8; k++, o += 10)
		memcpy(f.fpr[k], b + o, 10);
	f.fcw = (uint16_t)get32(b + o);
	f.fsw = (uint16_t)get32(b + o + 4);
	o = reg_offset(40);
	for (unsigned k = 0; k < 16; k++, o += 16)
		memcpy(f.xmm[k], b + o, 16);
	f.mxcsr = get32(b + o);
	return ioctl(c->fd, KVM_SET_REGS, &r) == 0 && ioctl(c->fd, KVM_SET_FPU, &f) == 0;
}

/* A guest-virtual address of vCPU i to a guest-physical one, through its page tables (none: the same). */
static bool translate(struct gdb *g, unsigned i, uint64_t gva, uint64_t *gpa)
{
	struct kvm_translation t = { .linear_address = gva };

	if (ioctl(cpu_of(g, i)->fd, KVM_TRANSLATE, &t) < 0 || !t.valid)
		return false;
	*gpa = t.physical_address;
	return true;
}

/* A host pointer to n bytes at gva (not crossing a page), or NULL. */
static uint8_t *guest_ptr(struct gdb *g, uint64_t gva, size_t n, uint64_t *gpa_out)
{
	uint64_t gpa;
	uint8_t *p;

	if (!translate(g, g->cur, gva, &gpa) || !(p = guest_range(&g->vm->mem, gpa, n)))
		return NULL;
	if (gpa_out)
		*gpa_out = gpa;
	return p;
}

/* Copy len bytes between gdb and guest memory at gva, page by page; false if any byte does not translate. */
static bool mem_rw(struct gdb *g, uint64_t gva, uint8_t *buf, size_t len, bool write)
{
	while (len) {
		size_t n = GUEST_PAGE - (gva & (GUEST_PAGE - 1));
		uint64_t gpa;
		uint8_t *p;

		if (n > len)
			n = len;
		if (!(p = guest_ptr(g, gva, n, &gpa)))
			return false;
		if (write) {
			memcpy(p, buf, n);
			for (unsigned k = 0; k < g->nsw; k++)	/* a write over our int3 changes what it hides */
				if (g->sw[k].gpa >= gpa && g->sw[k].gpa < gpa + n) {
					g->sw[k].orig = p[g->sw[k].gpa - gpa];
					p[g->sw[k].gpa - gpa] = 0xcc;
				}
		} else {
			memcpy(buf, p, n);
			for (unsigned k = 0; k < g->nsw; k++)	/* gdb sees the guest's bytes, not our int3 */
				if (g->sw[k].gpa >= gpa && g->sw[k].gpa < gpa + n)
					buf[g->sw[k].gpa - gpa] = g->sw[k].orig;
		}
		gva += n;
		buf += n;
		len -= n;
	}
	return true;
}

/*
 * KVM_SET_GUEST_DEBUG on every vCPU: breakpoints as they stand, single-step on
 * step_cpu. With none of them the guest runs with debugging off, exactly as
 * without gdb (an idle gdb costs nothing, and the guest's int3 never exits).
 */
static bool set_debug(struct gdb *g, bool on)
{
	struct kvm_guest_debug d;
	bool hw = false;
	bool ok = true;

	memset(&d, 0, sizeof d);
	for (unsigned k = 0; k < 4; k++) {
		static const unsigned lenbits[9] = { 0, 0, 1, 0, 3, 0, 0, 0, 2 };

		if (!g->hw[k].used)
			continue;
		hw = true;
		d.arch.debugreg[k] = g->hw[k].addr;
		d.arch.debugreg[7] |= 1ULL << (2 * k) | (uint64_t)g->hw[k].type << (16 + 4 * k) |
				      (uint64_t)lenbits[g->hw[k].len] << (18 + 4 * k);
	}
	if (hw)
		d.arch.debugreg[7] |= 0x600;	/* GE, and bit 10 which reads as one, as QEMU sets them */
	for (unsigned i = 0; i < g->vm->ncpus; i++) {
		d.control = 0;
		if (on && (g->nsw || hw || g->step_cpu >= 0)) {
			d.control = KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_SW_BP;
			if (hw)
				d.control |= KVM_GUESTDBG_USE_HW_BP;
			if (g->step_cpu == (int)i)
				d.control |= KVM_GUESTDBG_SINGLESTEP | g->step_flags;
		}
		if (ioctl(g->vm->cpu[i].fd, KVM_SET_GUEST_DEBUG, &d) < 0)
			ok = false;
		if (trace)
			fprintf(stderr, "gdb-trace: set_debug cpu %u control %#x dr7 %#llx: %s\n", i, d.control,
				(unsigned long long)d.arch.debugreg[7], ok ? "ok" : strerror(errno));
	}
	return ok;
}

/* Put back the guest's byte under software breakpoint k. */
static void sw_restore(struct gdb *g, unsigned k)
{
	uint8_t *p = guest_range(&g->vm->mem, g->sw[k].gpa, 1);

	if (p)
		*p = g->sw[k].orig;
}

static void remove_all(struct gdb *g)
{
	for (unsigned k = 0; k < g->nsw; k++)
		sw_restore(g, k);
	__atomic_store_n(&g->nsw, 0, __ATOMIC_SEQ_CST);	/* gdb_sw_breakpoints reads it from other threads */
	memset(g->hw, 0, sizeof g->hw);
}

/* ---- stops and resumes ---- */

static void stop_reply(struct gdb *g, unsigned sig)
{
	char buf[96];
	unsigned cpu = g->cur;
	size_t n;

	n = (size_t)snprintf(buf, sizeof buf, "T%02xthread:%02x;", sig, cpu + 1);
	if (LOAD(g->ev_pending)) {
		pthread_mutex_lock(&g->lock);
		cpu = g->ev_cpu;
		g->cur = cpu;
		n = (size_t)snprintf(buf, sizeof buf, "T05thread:%02x;", cpu + 1);
		if (g->ev_exc == 3) {
			snprintf(buf + n, sizeof buf - n, "swbreak:;");
		} else {
			for (unsigned k = 0; k < 4; k++) {
				if (!(g->ev_dr6 & (1u << k)) || !g->hw[k].used)
					continue;
				if (g->hw[k].type == 0)
					snprintf(buf + n, sizeof buf - n, "hwbreak:;");
				else
					snprintf(buf + n, sizeof buf - n, "%s:%llx;", g->hw[k].type == 1 ? "watch" : "awatch",
						 (unsigned long long)g->hw[k].addr);
				break;
			}
		}
		STORE(g->ev_pending, 0);
		pthread_mutex_unlock(&g->lock);
	}
	g->running = false;
	reply(g, buf);
}

/* Hold every vCPU; false when the run ends instead. */
static bool halt_all(struct gdb *g)
{
	return vm_pause(g->vm, PAUSE_GDB) == 0;
}

static void resume(struct gdb *g, int step)
{
	g->step_cpu = step;
	set_debug(g, true);
	STORE(g->ev_pending, 0);
	g->running = true;
	vm_resume(g->vm, PAUSE_GDB);
}

static void detach(struct gdb *g)
{
	/* A vCPU ioctl waits while that vCPU is in KVM_RUN: hold them all first. */
	if (g->running && !halt_all(g))
		return;
	STORE(g->ev_pending, 0);
	remove_all(g);
	g->step_cpu = -1;
	set_debug(g, false);
	if (g->connected)
		dup3(g->null_fd, g->fd, O_CLOEXEC);	/* closes the connection; the slot stays ours */
	g->connected = false;
	g->running = false;
	vm_resume(g->vm, PAUSE_GDB);
}

/* ---- packets ---- */

static bool parse_thread(const char *s, int *cpu, unsigned ncpus)
{
	uint64_t v;

	if (s[0] == '-' && s[1] == '1' && !s[2]) {
		*cpu = -1;
		return true;
	}
	if (!hexnum(&s, &v) || *s || v > ncpus)
		return false;
	*cpu = (int)v - 1;	/* 0 (any) becomes -1 */
	return true;
}

static void cmd_bp(struct gdb *g, const char *p, bool insert)
{
	uint64_t type, addr, kind, gpa;
	uint8_t *m;

	if (!hexnum(&p, &type) || *p++ != ',' || !hexnum(&p, &addr) || *p++ != ',' || !hexnum(&p, &kind)) {
		reply(g, "E01");
		return;
	}
	if (type == 0) {
		unsigned k;

		for (k = 0; k < g->nsw && g->sw[k].addr != addr; k++)
			;
		if (!insert) {
			if (k < g->nsw) {
				sw_restore(g, k);
				g->sw[k] = g->sw[g->nsw - 1];
				__atomic_store_n(&g->nsw, g->nsw - 1, __ATOMIC_SEQ_CST);
			}
			reply(g, "OK");
			return;
		}
		if (k < g->nsw) {
			reply(g, "OK");
			return;
		}
		if (g->nsw == MAX_SWBP || !(m = guest_ptr(g, addr, 1, &gpa))) {
			reply(g, "E14");
			return;
		}
		g->sw[g->nsw] = (struct swbp){ .addr = addr, .gpa = gpa, .orig = *m };
		__atomic_store_n(&g->nsw, g->nsw + 1, __ATOMIC_SEQ_CST);	/* gdb_sw_breakpoints reads it from other threads */
		*m = 0xcc;
		reply(g, "OK");
		return;
	}
	if (type == 3 || type > 4) {
		reply(g, "");	/* read watchpoints: x86 has none */
		return;
	}
	unsigned t = type == 1 ? 0 : type == 2 ? 1 : 3, len = type == 1 ? 1 : (unsigned)kind, k;

	if (type != 1 && ((len != 1 && len != 2 && len != 4 && len != 8) || (addr & (len - 1)))) {
		reply(g, "E22");
		return;
	}
	for (k = 0; k < 4 && !(g->hw[k].used && g->hw[k].addr == addr && g->hw[k].type == t && g->hw[k].len == len); k++)
		;
	if (!insert) {
		if (k < 4)
			g->hw[k].used = false;
		reply(g, "OK");
		return;
	}
	for (k = 0; k < 4 && g->hw[k].used; k++)
		;
	if (k == 4) {
		reply(g, "E28");	/* no debug register left */
		return;
	}
	g->hw[k] = (struct hwbp){ .addr = addr, .type = t, .len = len, .used = true };
	reply(g, "OK");
}

static void cmd_mem(struct gdb *g, const char *p, bool write)
{
	static uint8_t buf[PKT_MAX];
	static char hex[2 * PKT_MAX + 1];
	uint64_t addr, len;

	if (!hexnum(&p, &addr) || *p++ != ',' || !hexnum(&p, &len) || len > PKT_MAX / 2 ||
	    (write && *p++ != ':') || (!write && *p)) {
		reply(g, "E01");
		return;
	}
	if (write && (strlen(p) != 2 * len || !hexbytes(p, buf, len))) {
		reply(g, "E01");
		return;
	}
	if (!mem_rw(g, addr, buf, len, write)) {
		reply(g, "E14");
		return;
	}
	if (write) {
		reply(g, "OK");
		return;
	}
	tohex(hex, buf, len);
	reply(g, hex);
}

/*
 * X addr,len:DATA: a write with binary data (gdb's load and large writes),
 * '}' escaping the next byte (XOR 0x20). p runs to end (the data may hold
 * NULs). "X addr,0:" is gdb's probe for the packet: OK.
 */
static void cmd_xmem(struct gdb *g, const char *p, const char *end)
{
	static uint8_t buf[PKT_MAX];
	uint64_t addr, len, n = 0;

	if (!hexnum(&p, &addr) || *p++ != ',' || !hexnum(&p, &len) || len > PKT_MAX || p >= end || *p++ != ':') {
		reply(g, "E01");
		return;
	}
	while (p < end && n < len) {
		uint8_t c = (uint8_t)*p++;

		if (c == '}') {
			if (p == end)
				break;	/* an escape with nothing after it */
			c = (uint8_t)(*p++ ^ 0x20);
		}
		buf[n++] = c;
	}
	if (n != len || p != end) {
		reply(g, "E01");
		return;
	}
	reply(g, len && !mem_rw(g, addr, buf, len, true) ? "E14" : "OK");
}

static void cmd_qxfer(struct gdb *g, const char *p)
{
	static char out[PKT_MAX + 2];
	const char *name = "qXfer:features:read:target.xml:";
	uint64_t off, len;
	size_t total = sizeof target_xml - 1;

	if (strncmp(p, name, strlen(name)) != 0) {
		reply(g, p[5] == 'f' ? "E00" : "");
		return;
	}
	p += strlen(name);
	if (!hexnum(&p, &off) || *p++ != ',' || !hexnum(&p, &len) || *p) {
		reply(g, "E01");
		return;
	}
	if (len > PKT_MAX - 1)
		len = PKT_MAX - 1;
	if (off >= total) {
		reply(g, "l");
		return;
	}
	if (len > total - off)
		len = total - off;
	out[0] = off + len < total ? 'm' : 'l';
	memcpy(out + 1, target_xml + off, len);	/* none of $ # } * appear in it */
	out[len + 1] = 0;
	reply(g, out);
}

/* vCont;ACTION[:THREAD]... : the first step action picks the vCPU that steps; all run. */
static bool cmd_vcont(struct gdb *g, const char *p)
{
	int step = -1;

	while (*p == ';') {
		char a = *++p;
		int cpu = -1;

		if (a != 'c' && a != 's' && a != 'C' && a != 'S')
			return false;
		p++;
		if (a == 'C' || a == 'S') {
			uint64_t sig;

			if (!hexnum(&p, &sig))
				return false;
		}
		if (*p == ':') {
			char t[24];
			size_t n = strcspn(++p, ";");

			if (n >= sizeof t)
				return false;
			memcpy(t, p, n);
			t[n] = 0;
			if (!parse_thread(t, &cpu, g->vm->ncpus))
				return false;
			p += n;
		}
		if ((a == 's' || a == 'S') && step < 0)
			step = cpu >= 0 ? cpu : (int)g->cur;
	}
	if (*p)
		return false;
	resume(g, step);
	return true;
}

static void cmd_query(struct gdb *g, const char *p)
{
	char buf[8 + 3 * VM_MAX_CPUS];

	if (strncmp(p, "qSupported", 10) == 0) {
		snprintf(buf, sizeof buf, "PacketSize=%x;qXfer:features:read+;vContSupported+;swbreak+;hwbreak+;"
			 "QStartNoAckMode+", PKT_MAX);
		reply(g, buf);
	} else if (strncmp(p, "qXfer:", 6) == 0) {
		cmd_qxfer(g, p);
	} else if (strcmp(p, "qfThreadInfo") == 0) {
		size_t n = 1;

		buf[0] = 'm';
		for (unsigned i = 0; i < g->vm->ncpus; i++)
			n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%x", i ? "," : "", i + 1);
		reply(g, buf);
	} else if (strcmp(p, "qsThreadInfo") == 0) {
		reply(g, "l");
	} else if (strcmp(p, "qC") == 0) {
		snprintf(buf, sizeof buf, "QC%x", g->cur + 1);
		reply(g, buf);
	} else if (strncmp(p, "qAttached", 9) == 0) {
		reply(g, "1");
	} else if (strcmp(p, "QStartNoAckMode") == 0) {
		reply(g, "OK");
		g->noack = true;
	} else {
		reply(g, "");
	}
}

/* One packet while every vCPU is held. Returns false when the connection is over. */
static bool packet(struct gdb *g, const char *p)
{
	static uint8_t regs[REGS_BYTES];
	static char hex[2 * REGS_BYTES + 1];
	uint64_t v;
	int cpu;

	if (trace)
		fprintf(stderr, "gdb-trace: -> %.200s\n", p);
	switch (p[0]) {
	case '?':
		stop_reply(g, 5);
		g->running = false;
		return true;
	case 'g':
		if (p[1] || !regs_image(g, g->cur, regs)) {
			reply(g, "E01");
			return true;
		}
		tohex(hex, regs, REGS_BYTES);
		reply(g, hex);
		return true;
	case 'G':
		if (strlen(p + 1) != 2 * REGS_BYTES || !hexbytes(p + 1, regs, REGS_BYTES) ||
		    !regs_store(g, g->cur, regs))
			reply(g, "E01");
		else
			reply(g, "OK");
		return true;
	case 'p':
	case 'P': {
		const char *s = p + 1;
		unsigned n, sz;

		if (!hexnum(&s, &v) || v >= NREGS || (p[0] == 'p' && *s) || (p[0] == 'P' && *s++ != '=')) {
			reply(g, "E01");
			return true;
		}
		n = (unsigned)v;
		sz = reg_size(n);
		if (!regs_image(g, g->cur, regs)) {
			reply(g, "E01");
			return true;
		}
		if (p[0] == 'p') {
			tohex(hex, regs + reg_offset(n), sz);
			reply(g, hex);
			return true;
		}
		if ((n >= 18 && n < 24) || n >= 57 || (n >= 34 && n < 40) || strlen(s) != 2 * sz ||
		    !hexbytes(s, regs + reg_offset(n), sz) || !regs_store(g, g->cur, regs))
			reply(g, "E01");	/* segments, x87 pointers, bases, control registers: read-only */
		else
			reply(g, "OK");
		return true;
	}
	case 'm':
	case 'M':
		cmd_mem(g, p + 1, p[0] == 'M');
		return true;
	case 'X':
		cmd_xmem(g, p + 1, p + g->pkt_len);
		return true;
	case 'Z':
	case 'z':
		cmd_bp(g, p + 1, p[0] == 'Z');
		return true;
	case 'H':
		if ((p[1] == 'g' || p[1] == 'c') && parse_thread(p + 2, &cpu, g->vm->ncpus)) {
			if (p[1] == 'g' && cpu >= 0)
				g->cur = (unsigned)cpu;
			reply(g, "OK");
		} else {
			reply(g, "E01");
		}
		return true;
	case 'T':
		reply(g, parse_thread(p + 1, &cpu, g->vm->ncpus) && cpu >= 0 ? "OK" : "E01");
		return true;
	case 'c':
	case 's': {
		const char *s = p + 1;

		if (*s && hexnum(&s, &v) && !*s) {
			uint8_t b[8];

			regs_image(g, g->cur, regs);
			put64(b, v);
			memcpy(regs + reg_offset(16), b, 8);
			regs_store(g, g->cur, regs);
		}
		resume(g, p[0] == 's' ? (int)g->cur : -1);
		return true;
	}
	case 'D':
		reply(g, "OK");
		detach(g);
		return false;
	case 'k':
		vm_end_now(g->vm, &(struct run_end){ .kind = END_GDB_KILL });
		return false;
	case 'q':
	case 'Q':
		cmd_query(g, p);
		return true;
	case 'v':
		if (strcmp(p, "vCont?") == 0)
			reply(g, "vCont;c;C;s;S");
		else if (strncmp(p, "vCont;", 6) == 0) {
			if (!cmd_vcont(g, p + 5))
				reply(g, "E01");
		} else if (strncmp(p, "vKill", 5) == 0) {
			reply(g, "OK");
			vm_end_now(g->vm, &(struct run_end){ .kind = END_GDB_KILL });
			return false;
		} else if (strcmp(p, "vMustReplyEmpty") == 0) {
			reply(g, "");
		} else {
			reply(g, "");
		}
		return true;
	default:
		reply(g, "");
		return true;
	}
}

/*
 * Feed received bytes through the framing: acks, Ctrl-C, $data#cs. Packets
 * that arrive while the guest runs are answered after it stops (gdb sends
 * none then, but a raw client may). Returns false when the connection ends.
 */
static bool feed(struct gdb *g, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = b[i];

		if (g->in_len == 0) {
			if (c == '$')
				g->in[g->in_len++] = c;
			else if (c == 0x03 && g->running) {
				if (!halt_all(g))
					return false;
				stop_reply(g, 2);
			} else if (c == '-' && g->last_len)
				put_all(g, g->last, g->last_len);
			continue;	/* '+' and noise */
		}
		if (g->in_len < sizeof g->in)
			g->in[g->in_len] = c;
		g->in_len++;
		/* '#' then two checksum digits end a packet. */
		if (g->in_len >= 3 && g->in_len <= sizeof g->in && g->in[g->in_len - 3] == '#') {
			size_t len = g->in_len - 4;	/* between $ and # */
			unsigned sum = 0;
			int hi = parse_hex_digit(g->in[g->in_len - 2]), lo = parse_hex_digit(g->in[g->in_len - 1]);

			for (size_t k = 1; k <= len; k++)
				sum += (unsigned char)g->in[k];
			g->in_len = 0;
			if (hi < 0 || lo < 0 || (unsigned)(hi << 4 | lo) != (sum & 0xff)) {
				if (!g->noack)
					put_all(g, "-", 1);
				continue;
			}
			if (!g->noack)
				put_all(g, "+", 1);
			g->in[len + 1] = 0;
			g->pkt_len = len;
			if (g->running) {
				if (!halt_all(g))
					return false;
				g->running = false;
			}
			if (!packet(g, g->in + 1))
				return false;
		} else if (g->in_len > sizeof g->in + 2 && c == '#') {
			/* Too long: skip to its end, then refuse it. */
			g->in_len = 0;
			i += 2;
			if (!g->noack)
				put_all(g, "+", 1);
			reply(g, "E01");
		}
	}
	return true;
}

static void serve(struct gdb *g)
{
	sigset_t kick;
	struct vm_shared *sh = &g->vm->shared;

	pthread_mutex_lock(&sh->lock);
	while (!sh->go && !vm_stopping(g->vm) && !LOAD(g->stop))
		pthread_cond_wait(&sh->cond, &sh->lock);
	pthread_mutex_unlock(&sh->lock);
	if (g->wait && !halt_all(g))
		return;
	pthread_sigmask(SIG_BLOCK, NULL, &kick);
	sigdelset(&kick, stop_kick_signal());
	while (!LOAD(g->stop) && !vm_stopping(g->vm)) {
		struct pollfd p = { .fd = g->connected ? g->fd : g->listen_fd, .events = POLLIN };
		char buf[1024];
		ssize_t n;

		if (g->connected && g->running && LOAD(g->ev_pending)) {
			if (!halt_all(g))
				break;
			stop_reply(g, 5);
			continue;
		}
		if (ppoll(&p, 1, NULL, &kick) < 0 || !p.revents)
			continue;
		if (!g->connected) {
			int fd = accept4(g->listen_fd, NULL, NULL, SOCK_CLOEXEC);

			if (fd < 0)
				continue;
			if (dup3(fd, g->fd, O_CLOEXEC) < 0) {
				close(fd);
				continue;
			}
			close(fd);
			g->connected = true;
			g->noack = false;
			g->in_len = g->last_len = 0;
			g->cur = 0;
			g->step_cpu = -1;
			if (!halt_all(g))	/* gdb attaching stops the guest, as with QEMU */
				break;
			g->running = false;
			continue;
		}
		n = read(g->fd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || !feed(g, buf, (size_t)n)) {
			if (g->connected && !vm_stopping(g->vm))
				detach(g);
			g->connected = false;
		}
	}
}

static void *gdb_thread(void *arg)
{
	struct gdb *g = arg;

	pthread_mutex_lock(&g->lock);
	g->up = true;	/* past this thread's start-up (glibc's rseq registration): the filter may come */
	pthread_cond_broadcast(&g->up_cond);
	pthread_mutex_unlock(&g->lock);
	serve(g);
	return NULL;
}

/* ---- setup, from main.c ---- */

int gdb_parse(const char *s, struct gdb_addr *a, const char **why)
{
	const char *colon = strrchr(s, ':');
	const char *ps = colon ? colon + 1 : s;
	struct in_addr in;
	char *end;
	unsigned long v;

	memset(a, 0, sizeof *a);
	a->arg = s;
	if (strncmp(s, "unix:", 5) == 0) {
		a->path = s + 5;
		*why = "PATH is empty";
		return *a->path ? 0 : -1;
	}
	*why = "not [HOST:]PORT or unix:PATH";
	if (colon) {
		if ((size_t)(colon - s) >= sizeof a->host || colon == s)
			return -1;
		memcpy(a->host, s, (size_t)(colon - s));
		a->host[colon - s] = 0;
	} else {
		snprintf(a->host, sizeof a->host, "127.0.0.1");
	}
	if (inet_pton(AF_INET, a->host, &in) != 1) {
		*why = "HOST is not an IPv4 address";
		return -1;
	}
	if (!*ps || *ps < '0' || *ps > '9') {
		*why = "PORT is not a number";
		return -1;
	}
	errno = 0;
	v = strtoul(ps, &end, 10);
	if (*end || errno || v > 65535) {
		*why = *end ? "PORT is not a number" : "PORT is above 65535";
		return -1;
	}
	a->port = (uint16_t)v;
	return 0;
}

/* The TCP listener at a's host:port; its port (the one picked, for port 0) in g->port. */
static int listen_tcp(struct gdb *g, const struct gdb_addr *a)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(a->port) };
	socklen_t sl = sizeof sa;
	int one = 1;

	inet_pton(AF_INET, a->host, &sa.sin_addr);
	g->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (g->listen_fd < 0 || setsockopt(g->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
	    bind(g->listen_fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(g->listen_fd, 1) < 0 ||
	    getsockname(g->listen_fd, (struct sockaddr *)&sa, &sl) < 0) {
		fprintf(stderr, "kvmrun: --gdb %s:%u: cannot listen: %s\n", a->host, a->port, strerror(errno));
		if (g->listen_fd >= 0)
			close(g->listen_fd);
		return -1;
	}
	g->port = ntohs(sa.sin_port);
	return 0;
}

struct gdb *gdb_open(const struct gdb_addr *a, bool wait, bool verbose, int *status)
{
	struct gdb *g = calloc(1, sizeof *g);
	const char *held = wait ? "; the guest waits for gdb at its first instruction" : "";

	*status = EXIT_HOST;
	if (!g) {
		fprintf(stderr, "kvmrun: --gdb: out of memory\n");
		return NULL;
	}
	g->wait = wait;
	trace = getenv("KVMRUN_GDB_TRACE") != NULL;
	g->step_cpu = -1;
	g->null_fd = -1;
	g->sock.listen_fd = -1;
	if ((a->path ? usock_open(&g->sock, "--gdb", a->arg, a->path, 1, status) : listen_tcp(g, a)) < 0) {
		free(g);
		return NULL;
	}
	if (a->path) {
		g->listen_fd = g->sock.listen_fd;
		if (verbose)
			fprintf(stderr, "kvmrun: gdb: listening on unix:%s%s\n", a->path, held);
	} else if (verbose || a->port == 0) {
		fprintf(stderr, "kvmrun: gdb: listening on %s:%u%s\n", a->host, g->port, held);
	}
	return g;
}

int gdb_start(struct gdb *g, struct vm *vm, struct sandbox *sb)
{
	sigset_t all, old;
	int e;

	g->vm = vm;
	vm->gdb = g;
	e = ioctl(vm->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SET_GUEST_DEBUG2);
	g->step_flags = e > 0 ? (unsigned)e & KVM_GUESTDBG_BLOCKIRQ : 0;
	g->null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	g->fd = g->null_fd < 0 ? -1 : fcntl(g->null_fd, F_DUPFD_CLOEXEC, 0);
	if (g->fd < 0 || pthread_mutex_init(&g->lock, NULL) != 0 || pthread_cond_init(&g->up_cond, NULL) != 0) {
		fprintf(stderr, "kvmrun: --gdb: cannot reserve a descriptor: %s\n", strerror(errno));
		return -1;
	}
	if (g->wait)
		vm_hold_at_start(vm);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	e = pthread_create(&g->thread, NULL, gdb_thread, g);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e) {
		fprintf(stderr, "kvmrun: --gdb: cannot start its thread: %s\n", strerror(e));
		return -1;
	}
	g->started = true;
	pthread_mutex_lock(&g->lock);
	while (!g->up)
		pthread_cond_wait(&g->up_cond, &g->lock);
	pthread_mutex_unlock(&g->lock);
	sb->gdb_listen_fd = g->listen_fd;
	sb->gdb_fd = g->fd;
	return 0;
}

bool gdb_debug_exit(struct vcpu *cpu)
{
	struct gdb *g = cpu->vm->gdb;
	struct kvm_debug_exit_arch *a = &cpu->run->debug.arch;
	bool ours = false;

	if (!g)
		return false;
	if (trace)
		fprintf(stderr, "gdb-trace: debug exit cpu %u exception %u pc %#llx dr6 %#llx\n", cpu->index,
			a->exception, (unsigned long long)a->pc, (unsigned long long)a->dr6);
	pthread_mutex_lock(&g->lock);
	if (a->exception == 3) {
		uint64_t pc = a->pc;

		for (unsigned k = 0; k < g->nsw; k++)
			ours |= g->sw[k].addr == pc;
	} else {
		ours = true;
	}
	if (ours && !LOAD(g->ev_pending)) {
		g->ev_cpu = cpu->index;
		g->ev_exc = a->exception;
		g->ev_dr6 = a->dr6;
		STORE(g->ev_pending, 1);
	}
	pthread_mutex_unlock(&g->lock);
	if (!ours) {	/* the guest's own int3: deliver it as if no debugger were there */
		struct kvm_vcpu_events ev;

		if (ioctl(cpu->fd, KVM_GET_VCPU_EVENTS, &ev) == 0) {
			ev.exception.injected = 1;
			ev.exception.nr = 3;
			ev.exception.has_error_code = 0;
			ioctl(cpu->fd, KVM_SET_VCPU_EVENTS, &ev);
		}
	}
	return ours;
}

unsigned gdb_sw_breakpoints(const struct gdb *g)
{
	return g ? __atomic_load_n(&g->nsw, __ATOMIC_SEQ_CST) : 0;
}

void gdb_wake(struct gdb *g)
{
	if (g && g->started)
		pthread_kill(g->thread, stop_kick_signal());
}

void gdb_close(struct gdb *g, int status)
{
	char w[8];

	if (!g)
		return;
	if (g->started) {
		STORE(g->stop, 1);
		pthread_mutex_lock(&g->vm->shared.lock);	/* it may wait for the run's start */
		pthread_cond_broadcast(&g->vm->shared.cond);
		pthread_mutex_unlock(&g->vm->shared.lock);
		pthread_kill(g->thread, stop_kick_signal());
		pthread_join(g->thread, NULL);
		g->started = false;
	}
	if (g->connected && status >= 0) {
		snprintf(w, sizeof w, "W%02x", status & 0xff);
		reply(g, w);
	}
	if (g->sock.listen_fd >= 0)
		usock_close(&g->sock);	/* the socket file is gone when this returns */
	else
		close(g->listen_fd);
	free(g);
}
