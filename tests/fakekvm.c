/*
 * fakekvm.so: an LD_PRELOAD shim, for tests only, that makes the KVM
 * failures real hardware rarely shows happen on demand. It wraps ioctl(2):
 *
 *   FAKEKVM_API=N      KVM_GET_API_VERSION returns N
 *   FAKEKVM_NO_CAP=N   KVM_CHECK_EXTENSION of capability N returns 0
 *   FAKEKVM_FAIL=NAME  that ioctl fails; NAME is one of CREATE_VM,
 *                      CREATE_VCPU, SET_USER_MEMORY_REGION, SET_SREGS, RUN
 *   FAKEKVM_ERRNO=E    the errno of that failure: a number or a name such
 *                      as ENOMEM (default EIO)
 *   FAKEKVM_FORBIDDEN=1  before each KVM_RUN, make a system call the run
 *                      loop's seccomp filter forbids (socket), as an
 *                      exploited runner would: the filter must kill it
 *   FAKEKVM_DEBUG_TRAPS=1  software breakpoints (KVM_GUESTDBG_USE_SW_BP),
 *                      hardware breakpoints and watchpoints (USE_HW_BP,
 *                      DR0-3 and DR7) reported as hardware KVM reports them,
 *                      by single-stepping the guest and looking at each
 *                      instruction: for CPUs that do not deliver them to
 *                      KVM (QEMU's TCG, the test host's). A watchpoint
 *                      fires when the watched bytes change. The guest's
 *                      own int3, which the runner gives back with
 *                      KVM_SET_VCPU_EVENTS, runs in the guest instead of
 *                      being injected (nested SVM under TCG delivers an
 *                      injected #BP at the int3, so the guest took it twice).
 *
 * Everything else goes to the real ioctl unchanged. An environment value
 * the shim cannot read ends the process with status 99, so a typo in a
 * test fails loudly instead of silently testing nothing.
 */
#include <dlfcn.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/kvm.h>

typedef int ioctl_fn(int fd, unsigned long request, ...);

static const struct {
	const char *name;
	unsigned long request;
} failable[] = {
	{ "CREATE_VM", KVM_CREATE_VM },
	{ "CREATE_VCPU", KVM_CREATE_VCPU },
	{ "SET_USER_MEMORY_REGION", KVM_SET_USER_MEMORY_REGION },
	{ "SET_SREGS", KVM_SET_SREGS },
	{ "RUN", KVM_RUN },
};

static const struct {
	const char *name;
	int value;
} errnos[] = {
	{ "EIO", EIO }, { "ENOMEM", ENOMEM }, { "EINVAL", EINVAL }, { "EPERM", EPERM },
	{ "EACCES", EACCES }, { "EBUSY", EBUSY }, { "EFAULT", EFAULT }, { "ENOSPC", ENOSPC },
	{ "ENXIO", ENXIO }, { "ENODEV", ENODEV }, { "EEXIST", EEXIST }, { "E2BIG", E2BIG },
};

static void die(const char *var, const char *val)
{
	/* write(2), not stdio: this may run inside any process of the test. */
	static const char pre[] = "fakekvm: cannot use ";
	(void)!write(STDERR_FILENO, pre, sizeof pre - 1);
	(void)!write(STDERR_FILENO, var, strlen(var));
	(void)!write(STDERR_FILENO, "=", 1);
	(void)!write(STDERR_FILENO, val, strlen(val));
	(void)!write(STDERR_FILENO, "\n", 1);
	_exit(99);
}

/* An integer from the environment: false when unset; dies when unreadable. */
static bool env_int(const char *var, long *v)
{
	const char *s = getenv(var);
	char *end;

	if (!s || !*s)
		return false;
	errno = 0;
	*v = strtol(s, &end, 0);
	if (errno || *end)
		die(var, s);
	return true;
}

static int fail_errno(void)
{
	const char *s = getenv("FAKEKVM_ERRNO");
	long v;

	if (!s || !*s)
		return EIO;
	for (size_t i = 0; i < sizeof errnos / sizeof errnos[0]; i++)
		if (strcmp(s, errnos[i].name) == 0)
			return errnos[i].value;
	if (!env_int("FAKEKVM_ERRNO", &v) || v <= 0 || v > 4095)
		die("FAKEKVM_ERRNO", s);
	return (int)v;
}

/* Should this request fail? FAKEKVM_FAIL names it. */
static bool must_fail(unsigned long request)
{
	const char *s = getenv("FAKEKVM_FAIL");
	bool known = false;

	if (!s || !*s)
		return false;
	for (size_t i = 0; i < sizeof failable / sizeof failable[0]; i++) {
		if (strcmp(s, failable[i].name) == 0) {
			known = true;
			if (request == failable[i].request)
				return true;
		}
	}
	if (!known)
		die("FAKEKVM_FAIL", s);
	return false;
}

/*
 * FAKEKVM_DEBUG_TRAPS. The runner's debug settings are kept here and KVM is
 * given only ENABLE and SINGLESTEP; each KVM_RUN then steps the guest one
 * instruction at a time. Before an instruction: an int3 byte at RIP is a
 * software breakpoint (exception 3, RIP left on it, as VMX and SVM leave it),
 * RIP in an execute DRn is a hardware breakpoint (exception 1, DR6 bit n).
 * After it: a change in the bytes a write or access DRn watches is a
 * watchpoint (exception 1, DR6 bit n, RIP after the write). A step the runner
 * asked for itself, and every other exit, is passed on unchanged.
 */
#define DBG_FDS 1024
#define DBG_SLOTS 32

static struct {
	uint64_t gpa, size;
	uint8_t *hva;
} slots[DBG_SLOTS];

static struct dbgcpu {
	struct kvm_run *run;
	struct kvm_guest_debug want;	/* what the runner asked for */
	uint8_t seen[4][8];		/* the watched bytes before this step */
	bool reinjected;		/* the runner gave the guest back its own #BP */
} cpus[DBG_FDS];

static bool debug_traps(void)
{
	long v;

	return env_int("FAKEKVM_DEBUG_TRAPS", &v) && v;
}

/* Host address of N bytes at linear address LA on the vCPU FD, or NULL. */
static uint8_t *dbg_host(ioctl_fn *real, int fd, uint64_t la, size_t n)
{
	struct kvm_translation t = { .linear_address = la };

	if (real(fd, KVM_TRANSLATE, &t) < 0 || !t.valid)
		return NULL;
	for (unsigned i = 0; i < DBG_SLOTS; i++)
		if (slots[i].hva && t.physical_address >= slots[i].gpa &&
		    t.physical_address - slots[i].gpa + n <= slots[i].size)
			return slots[i].hva + (t.physical_address - slots[i].gpa);
	return NULL;
}

static unsigned dr_len(uint64_t dr7, unsigned k)
{
	static const unsigned len[4] = { 1, 2, 8, 4 };

	return len[(dr7 >> (18 + 4 * k)) & 3];
}

static unsigned dr_type(uint64_t dr7, unsigned k)	/* 0 execute, 1 write, 3 access */
{
	return (dr7 >> (2 * k)) & 3 ? (unsigned)(dr7 >> (16 + 4 * k)) & 3 : 2;	/* 2: not enabled */
}

static int dbg_report(struct kvm_run *run, unsigned exc, uint64_t pc, unsigned k)
{
	run->exit_reason = KVM_EXIT_DEBUG;
	memset(&run->debug.arch, 0, sizeof run->debug.arch);
	run->debug.arch.exception = exc;
	run->debug.arch.pc = pc;
	run->debug.arch.dr6 = exc == 1 ? 0xffff0ff0 | 1u << k : 0xffff0ff0;
	return 0;
}

static bool dbg_rip(ioctl_fn *real, int fd, uint64_t *la)
{
	struct kvm_regs r;
	struct kvm_sregs s;

	if (real(fd, KVM_GET_REGS, &r) < 0 || real(fd, KVM_GET_SREGS, &s) < 0)
		return false;
	*la = (s.efer & 0x400) && s.cs.l ? r.rip : s.cs.base + r.rip;
	return true;
}

/* A step of ours ended this KVM_RUN (not the runner's: it asked for none). */
static bool our_step(const struct kvm_run *run)
{
	return run->exit_reason == KVM_EXIT_DEBUG && run->debug.arch.exception == 1 && (run->debug.arch.dr6 & 0x4000);
}

/* After a step: 0 with a watchpoint reported when the bytes a write or access DRn watches changed; else -1. */
static int watch_hit(ioctl_fn *real, int fd, struct dbgcpu *c, uint64_t dr7)
{
	for (unsigned k = 0; k < 4; k++) {
		unsigned t = dr_type(dr7, k);
		uint8_t *p = t == 1 || t == 3 ? dbg_host(real, fd, c->want.arch.debugreg[k], dr_len(dr7, k)) : NULL;
		uint64_t la;

		if (p && memcmp(c->seen[k], p, dr_len(dr7, k)) != 0 && dbg_rip(real, fd, &la))
			return dbg_report(c->run, 1, la, k);
	}
	return -1;
}

static int dbg_run(ioctl_fn *real, int fd, void *arg)
{
	struct dbgcpu *c = &cpus[fd];
	struct kvm_guest_debug d = { .control = KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP };
	uint64_t dr7 = c->want.control & KVM_GUESTDBG_USE_HW_BP ? c->want.arch.debugreg[7] : 0;
	bool first = true;
	int r;

	if (c->want.control & KVM_GUESTDBG_SINGLESTEP)
		return real(fd, KVM_RUN, arg);
	/*
	 * With immediate_exit KVM enters nothing, but first completes an I/O
	 * instruction the runner has just handled (Linux 6.x), and our step of
	 * the last run then ends it as a step the runner never asked for (seen:
	 * gdb's "next" over printf, when the 10 ms flush tick came between an
	 * OUT's exit and the next KVM_RUN). Without the step KVM says EINTR, and
	 * so does this, unless the completed instruction wrote a watched byte.
	 */
	if (c->run->immediate_exit) {
		r = real(fd, KVM_RUN, arg);
		if (r < 0 || !our_step(c->run))
			return r;
		if (watch_hit(real, fd, c, dr7) == 0)
			return 0;
		errno = EINTR;
		return -1;
	}
	if (real(fd, KVM_SET_GUEST_DEBUG, &d) < 0)
		return -1;
	for (;;) {
		uint64_t la;
		uint8_t *p;

		if (!dbg_rip(real, fd, &la))
			return real(fd, KVM_RUN, arg);
		/* The guest's own int3, given back to it, runs before the int3 byte is looked at again. */
		if (!(first && c->reinjected)) {
			p = dbg_host(real, fd, la, 1);
			if ((c->want.control & KVM_GUESTDBG_USE_SW_BP) && p && *p == 0xcc)
				return dbg_report(c->run, 3, la, 0);
			for (unsigned k = 0; k < 4; k++)
				if (dr_type(dr7, k) == 0 && c->want.arch.debugreg[k] == la)
					return dbg_report(c->run, 1, la, k);
		}
		first = false;
		for (unsigned k = 0; k < 4; k++) {
			unsigned t = dr_type(dr7, k);

			p = t == 1 || t == 3 ? dbg_host(real, fd, c->want.arch.debugreg[k], dr_len(dr7, k)) : NULL;
			if (p)
				memcpy(c->seen[k], p, dr_len(dr7, k));
		}
		r = real(fd, KVM_RUN, arg);
		if (r == 0)	/* entered: the given-back int3 ran (an EINTR before entry keeps it owed) */
			c->reinjected = false;
		if (r < 0 || !our_step(c->run))
			return r;
		if (watch_hit(real, fd, c, dr7) == 0)
			return 0;
	}
}

/* The debug-trap side of one ioctl: true when it was handled, with its result in *r. */
static bool dbg_ioctl(ioctl_fn *real, int fd, unsigned long request, void *arg, int *r)
{
	if (request == KVM_SET_USER_MEMORY_REGION) {
		const struct kvm_userspace_memory_region *m = arg;

		*r = real(fd, request, arg);
		if (*r == 0 && m->slot < DBG_SLOTS) {
			slots[m->slot].gpa = m->guest_phys_addr;
			slots[m->slot].size = m->memory_size;
			slots[m->slot].hva = m->memory_size ? (uint8_t *)(uintptr_t)m->userspace_addr : NULL;
		}
		return true;
	}
	if (request == KVM_CREATE_VCPU) {
		*r = real(fd, request, arg);
		if (*r >= 0 && *r < DBG_FDS) {
			void *run = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, *r, 0);

			cpus[*r].run = run == MAP_FAILED ? NULL : run;
		}
		return true;
	}
	if (fd < 0 || fd >= DBG_FDS || !cpus[fd].run)
		return false;
	/*
	 * The runner gives the guest back its own int3. KVM is not asked to
	 * inject it: a #BP injected on nested SVM under TCG returns to the int3
	 * itself, so the guest would take it twice. The int3 is left to run
	 * in the guest (nothing intercepts it here), which delivers it once,
	 * as hardware KVM's injection does.
	 */
	if (request == KVM_SET_VCPU_EVENTS && (cpus[fd].want.control & KVM_GUESTDBG_USE_SW_BP)) {
		const struct kvm_vcpu_events *e = arg;

		if (e->exception.injected && e->exception.nr == 3) {
			cpus[fd].reinjected = true;
			*r = 0;
			return true;
		}
		return false;
	}
	if (request == KVM_SET_GUEST_DEBUG) {
		struct kvm_guest_debug d = *(const struct kvm_guest_debug *)arg;

		cpus[fd].want = d;
		d.control &= ~(unsigned)(KVM_GUESTDBG_USE_SW_BP | KVM_GUESTDBG_USE_HW_BP);
		memset(d.arch.debugreg, 0, sizeof d.arch.debugreg);
		*r = real(fd, request, &d);
		return true;
	}
	if (request == KVM_RUN && (cpus[fd].want.control & KVM_GUESTDBG_ENABLE) &&
	    (cpus[fd].want.control & (KVM_GUESTDBG_USE_SW_BP | KVM_GUESTDBG_USE_HW_BP))) {
		*r = dbg_run(real, fd, arg);
		return true;
	}
	return false;
}

int ioctl(int fd, unsigned long request, ...)
{
	static ioctl_fn *real;
	va_list ap;
	void *arg;
	long v;

	/* Every ioctl the runner makes has at most one argument, a word. */
	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);

	if (!real) {
		real = (ioctl_fn *)dlsym(RTLD_NEXT, "ioctl");
		if (!real) {
			errno = ENOSYS;
			return -1;
		}
	}
	if (request == KVM_GET_API_VERSION && env_int("FAKEKVM_API", &v)) {
		/* Only a KVM device answers at all: ask it, then lie. */
		int r = real(fd, request, arg);

		return r < 0 ? r : (int)v;
	}
	/* The capability is an int, passed in a word: compare its low 32 bits. */
	if (request == KVM_CHECK_EXTENSION && env_int("FAKEKVM_NO_CAP", &v) &&
	    (int)(long)arg == (int)v)
		return 0;
	if (must_fail(request)) {
		errno = fail_errno();
		return -1;
	}
	if (request == KVM_RUN && env_int("FAKEKVM_FORBIDDEN", &v) && v)
		syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);
	if (debug_traps()) {
		int r;

		if (dbg_ioctl(real, fd, request, arg, &r))
			return r;
	}
	return real(fd, request, arg);
}
