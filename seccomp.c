/*
 * The run loop's confinement: a seccomp-BPF filter, installed after setup
 * and before the first KVM_RUN, that allows only what the loop needs. The
 * architecture is checked (x86-64 only, no x32); anything else kills the
 * process. Built from <linux/seccomp.h> and <linux/filter.h>, no libseccomp.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/if_tun.h>
#include <linux/seccomp.h>

#include "kvm.h"

#define X32_SYSCALL_BIT 0x40000000u
#define ARG_LO(n) (offsetof(struct seccomp_data, args) + (n) * 8)	/* low 32 bits, little-endian */
#define ARG_HI(n) (ARG_LO(n) + 4)

#define LD(off)          BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (off))
#define JEQ(k, t, f)     BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (k), (t), (f))
#define JGE(k, t, f)     BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, (k), (t), (f))
#define JSET(k, t, f)    BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, (k), (t), (f))
#define RET(v)           BPF_STMT(BPF_RET | BPF_K, (v))
#define ALLOW            RET(SECCOMP_RET_ALLOW)
#define KILL             RET(SECCOMP_RET_KILL_PROCESS)

/* Plain syscalls the loop and its exit paths make, with no argument worth checking. */
static const unsigned plain[] = {
	SYS_poll, SYS_ppoll, SYS_timer_settime, SYS_timer_delete, SYS_rt_sigreturn,
	SYS_rt_sigprocmask, SYS_clock_gettime, SYS_exit_group, SYS_exit, SYS_munmap,
	SYS_madvise, SYS_brk, SYS_close, SYS_restart_syscall, SYS_getpid, SYS_gettid,
	SYS_newfstatat, SYS_fstat,
	SYS_futex, SYS_tgkill,	/* the vCPU threads' lock and kicks */
};

/*
 * A sanitizer build (make check-asan, make check-tsan) checks for leaks or
 * races from helper threads that stop the world with clone, ptrace and /proc
 * reads. Such a
 * build logs what the filter would refuse instead of dying of it; release
 * builds kill.
 */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SANITIZER_BUILD 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define SANITIZER_BUILD 1
#endif
#endif
#ifdef SANITIZER_BUILD
#define OTHERWISE RET(SECCOMP_RET_LOG)
#else
#define OTHERWISE KILL
#endif

/* The VCPU ioctls the loop, the dump, user mode's exception path and halt.c use. */
static const unsigned long vcpu_ioctls[] = {
	KVM_RUN, KVM_GET_REGS, KVM_SET_REGS, KVM_GET_SREGS, KVM_SET_SREGS, KVM_TRANSLATE,
	KVM_GET_MP_STATE, KVM_GET_VCPU_EVENTS, KVM_GET_LAPIC,
};

/* A snapshot's reads of each vCPU's state (snapshot/save.c), from CPU 0's thread. */
static const unsigned long snap_vcpu_ioctls[] = {
	KVM_GET_FPU, KVM_GET_XSAVE, KVM_GET_XSAVE2, KVM_GET_XCRS, KVM_GET_DEBUGREGS, KVM_GET_MSRS,
	KVM_GET_TSC_KHZ,
};

/* And of the VM's: the clock, the PIC and IOAPIC, the PIT. */
static const unsigned long snap_vm_ioctls[] = { KVM_GET_CLOCK, KVM_GET_IRQCHIP, KVM_GET_PIT2 };

/* What writing a snapshot does to its file. */
static const unsigned snap_file_calls[] = { SYS_pwrite64, SYS_ftruncate };

/* The terminal ioctls that read and restore stdin's modes. */
static const unsigned long tty_ioctls[] = { TCGETS, TCSETS, TCSETSW, TCSETSF };

#define MAX_INSNS 512	/* every option at once (PCI devices, --control, --gdb, snapshots) needs about 300 */

struct prog {
	struct sock_filter f[MAX_INSNS];
	unsigned n;
};

static void emit(struct prog *p, struct sock_filter insn)
{
	if (p->n < MAX_INSNS)
		p->f[p->n++] = insn;
}

/* if (nr == sys) allow: two instructions. */
static void allow_nr(struct prog *p, unsigned sys)
{
	emit(p, (struct sock_filter)JEQ(sys, 0, 1));
	emit(p, (struct sock_filter)ALLOW);
}

/*
 * if (nr == sys && arg0 == fd) allow. Expects the syscall number in A and
 * leaves it there when the rule does not match.
 */
static void allow_fd(struct prog *p, unsigned sys, int fd)
{
	emit(p, (struct sock_filter)JEQ(sys, 0, 4));
	emit(p, (struct sock_filter)LD(ARG_LO(0)));
	emit(p, (struct sock_filter)JEQ((unsigned)fd, 0, 1));
	emit(p, (struct sock_filter)ALLOW);
	emit(p, (struct sock_filter)LD(offsetof(struct seccomp_data, nr)));
}

/* if (nr == ioctl && first <= arg0 < first + nfds && arg1 in reqs) allow. */
static void allow_ioctls(struct prog *p, int first, unsigned nfds, const unsigned long *reqs, unsigned n)
{
	emit(p, (struct sock_filter)JEQ(SYS_ioctl, 0, (uint8_t)(5 + 2 * n)));
	emit(p, (struct sock_filter)LD(ARG_LO(0)));
	emit(p, (struct sock_filter)JGE((unsigned)first, 0, (uint8_t)(2 + 2 * n)));
	emit(p, (struct sock_filter)JGE((unsigned)first + nfds, (uint8_t)(1 + 2 * n), 0));
	emit(p, (struct sock_filter)LD(ARG_LO(1)));
	for (unsigned i = 0; i < n; i++) {
		emit(p, (struct sock_filter)JEQ((unsigned)reqs[i], 0, 1));
		emit(p, (struct sock_filter)ALLOW);
	}
	emit(p, (struct sock_filter)LD(offsetof(struct seccomp_data, nr)));
}

/* if (nr == sys && lo <= arg0 < lo + n) allow; A keeps the syscall number otherwise. */
static void allow_fd_range(struct prog *p, unsigned sys, int lo, unsigned n)
{
	emit(p, (struct sock_filter)JEQ(sys, 0, 5));
	emit(p, (struct sock_filter)LD(ARG_LO(0)));
	emit(p, (struct sock_filter)JGE((unsigned)lo, 0, 2));
	emit(p, (struct sock_filter)JGE((unsigned)lo + n, 1, 0));
	emit(p, (struct sock_filter)ALLOW);
	emit(p, (struct sock_filter)LD(offsetof(struct seccomp_data, nr)));
}

/* if (nr == sys && lo <= arg1 < lo + n) allow; A keeps the syscall number otherwise. */
static void allow_arg1_range(struct prog *p, unsigned sys, int lo, unsigned n)
{
	emit(p, (struct sock_filter)JEQ(sys, 0, 5));
	emit(p, (struct sock_filter)LD(ARG_LO(1)));
	emit(p, (struct sock_filter)JGE((unsigned)lo, 0, 2));
	emit(p, (struct sock_filter)JGE((unsigned)lo + n, 1, 0));
	emit(p, (struct sock_filter)ALLOW);
	emit(p, (struct sock_filter)LD(offsetof(struct seccomp_data, nr)));
}

/*
 * The control thread (--control): accept4 on the listening socket only. An
 * accepted descriptor gets whatever number is free, which a filter cannot
 * know, so the thread moves it at once with dup3 onto one of its client slots,
 * consecutive numbers reserved before the filter, and reads and writes only
 * those. dup3 may only target a slot: no other descriptor can be replaced.
 * (poll, close, futex and tgkill, for the pause and the kick, are plain.)
 */
static void allow_control(struct prog *p, const struct sandbox *sb)
{
	if (sb->ctl_listen_fd < 0)
		return;
	allow_fd(p, SYS_accept4, sb->ctl_listen_fd);
	allow_arg1_range(p, SYS_dup3, sb->ctl_fd_lo, sb->nctl_fds);
	allow_fd_range(p, SYS_read, sb->ctl_fd_lo, sb->nctl_fds);
	allow_fd_range(p, SYS_recvmsg, sb->ctl_fd_lo, sb->nctl_fds);
	if (sb->ctl_snap_fd >= 0)
		allow_arg1_range(p, SYS_dup3, sb->ctl_snap_fd, 1);
	allow_fd_range(p, SYS_write, sb->ctl_fd_lo, sb->nctl_fds);
}

/*
 * The gdb stub (--gdb): accept4 on its listening socket, then dup3 of the
 * connection onto its one slot, reserved before the filter, and reads and
 * writes there only; on the vCPUs (held out of KVM_RUN), the debug registers,
 * the FPU state and the re-injection of the guest's own int3.
 */
static const unsigned long gdb_vcpu_ioctls[] = {
	KVM_SET_GUEST_DEBUG, KVM_GET_FPU, KVM_SET_FPU, KVM_SET_VCPU_EVENTS,
};

static void allow_gdb(struct prog *p, const struct sandbox *sb)
{
	if (sb->gdb_listen_fd < 0)
		return;
	allow_fd(p, SYS_accept4, sb->gdb_listen_fd);
	allow_arg1_range(p, SYS_dup3, sb->gdb_fd, 1);
	allow_fd_range(p, SYS_read, sb->gdb_fd, 1);
	allow_fd_range(p, SYS_write, sb->gdb_fd, 1);
	allow_ioctls(p, sb->first_vcpu_fd, sb->ncpus, gdb_vcpu_ioctls,
		     sizeof gdb_vcpu_ioctls / sizeof gdb_vcpu_ioctls[0]);
}

/* What the PCI devices' threads do on their own descriptors: eventfds, disk images, taps and sockets. */
static const unsigned device_calls[] = {
	SYS_read, SYS_write, SYS_pread64, SYS_pwrite64, SYS_preadv, SYS_pwritev, SYS_preadv2, SYS_pwritev2,
	SYS_fdatasync, SYS_fallocate, SYS_writev, SYS_readv,	/* readv: a tap's frame straight into the guest's buffers */
};

/* A NIC hands the tap the offloads its driver accepted when the driver starts it (after the filter is on). */
static const unsigned long device_ioctls[] = { TUNSETOFFLOAD };

/* The VM ioctls of the PCI devices at run time: MSI routes follow the guest, ioeventfds follow a moved BAR. */
static const unsigned long pci_vm_ioctls[] = { KVM_IRQ_LINE, KVM_SET_GSI_ROUTING, KVM_IOEVENTFD };

/* mmap and mprotect, never with PROT_EXEC: nothing becomes executable on the host. */
static void allow_no_exec(struct prog *p, unsigned sys)
{
	emit(p, (struct sock_filter)JEQ(sys, 0, 4));
	emit(p, (struct sock_filter)LD(ARG_LO(2)));
	emit(p, (struct sock_filter)JSET(PROT_EXEC, 0, 1));
	emit(p, (struct sock_filter)KILL);
	emit(p, (struct sock_filter)ALLOW);
}

/* The VM ioctl devices use to drive an interrupt line (io_irq). */
static const unsigned long vm_ioctls[] = { KVM_IRQ_LINE };

int seccomp_install(const struct sandbox *sb)
{
	int first_vcpu_fd = sb->first_vcpu_fd, vm_fd = sb->vm_fd;
	unsigned ncpus = sb->ncpus;
	struct prog p = { .n = 0 };
	struct sock_fprog fprog;

	/* Only x86-64 system calls, and not their x32 variants. */
	emit(&p, (struct sock_filter)LD(offsetof(struct seccomp_data, arch)));
	emit(&p, (struct sock_filter)JEQ(AUDIT_ARCH_X86_64, 1, 0));
	emit(&p, (struct sock_filter)KILL);
	emit(&p, (struct sock_filter)LD(offsetof(struct seccomp_data, nr)));
	emit(&p, (struct sock_filter)JSET(X32_SYSCALL_BIT, 0, 1));
	emit(&p, (struct sock_filter)KILL);

	allow_ioctls(&p, first_vcpu_fd, ncpus, vcpu_ioctls, sizeof vcpu_ioctls / sizeof vcpu_ioctls[0]);
	if (vm_fd >= 0 && sb->ndev_fds)
		allow_ioctls(&p, vm_fd, 1, pci_vm_ioctls, sizeof pci_vm_ioctls / sizeof pci_vm_ioctls[0]);
	else if (vm_fd >= 0)
		allow_ioctls(&p, vm_fd, 1, vm_ioctls, sizeof vm_ioctls / sizeof vm_ioctls[0]);
	for (unsigned i = 0; sb->ndev_fds && i < sizeof device_calls / sizeof device_calls[0]; i++)
		allow_fd_range(&p, device_calls[i], sb->dev_fd_lo, sb->ndev_fds);
	if (sb->ndev_fds)
		allow_ioctls(&p, sb->dev_fd_lo, sb->ndev_fds, device_ioctls, sizeof device_ioctls / sizeof device_ioctls[0]);
	if (sb->ndev_fds)
		allow_nr(&p, SYS_getrandom);
	allow_control(&p, sb);
	allow_gdb(&p, sb);
	if (sb->snapshot) {
		allow_ioctls(&p, first_vcpu_fd, ncpus, snap_vcpu_ioctls, sizeof snap_vcpu_ioctls / sizeof snap_vcpu_ioctls[0]);
		if (vm_fd >= 0)
			allow_ioctls(&p, vm_fd, 1, snap_vm_ioctls, sizeof snap_vm_ioctls / sizeof snap_vm_ioctls[0]);
		for (unsigned i = 0; i < 3; i++)
			for (unsigned k = 0; sb->snap_fd[i] >= 0 && k < sizeof snap_file_calls / sizeof snap_file_calls[0]; k++)
				allow_fd(&p, snap_file_calls[k], sb->snap_fd[i]);
		if (sb->snap_pagemap_fd >= 0)
			allow_fd(&p, SYS_pread64, sb->snap_pagemap_fd);
	}
	allow_ioctls(&p, STDIN_FILENO, 1, tty_ioctls, sizeof tty_ioctls / sizeof tty_ioctls[0]);
	allow_fd(&p, SYS_read, STDIN_FILENO);
	allow_fd(&p, SYS_write, STDOUT_FILENO);
	allow_fd(&p, SYS_write, STDERR_FILENO);
	allow_no_exec(&p, SYS_mmap);
	emit(&p, (struct sock_filter)LD(offsetof(struct seccomp_data, nr)));
	allow_no_exec(&p, SYS_mprotect);
	emit(&p, (struct sock_filter)LD(offsetof(struct seccomp_data, nr)));
	for (unsigned i = 0; i < sizeof plain / sizeof plain[0]; i++)
		allow_nr(&p, plain[i]);
	emit(&p, (struct sock_filter)OTHERWISE);

	if (p.n >= MAX_INSNS) {
		fprintf(stderr, "kvmrun: internal error: the seccomp filter does not fit in %d instructions\n",
			MAX_INSNS);
		return -1;
	}
	fprog = (struct sock_fprog){ .len = (unsigned short)p.n, .filter = p.f };
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &fprog) != 0) {
		fprintf(stderr, "kvmrun: cannot install the seccomp filter: %s; run with --no-sandbox to go without\n",
			strerror(errno));
		return -1;
	}
	return 0;
}
