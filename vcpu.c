/*
 * The vCPUs' run loops. CPU 0 runs on the main thread, which also takes the
 * process's signals, the timeout and the 10 ms tick; every other CPU runs on
 * a thread of its own that takes only the kick. Exits are dispatched through
 * a table; a port exit is carried out under the VM's lock; the first CPU to
 * end the run decides how it ended, and then every CPU is stopped.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>

#include "kvm.h"
#include "devices/virtio.h"
#include "snapshot/snapshot.h"

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

#define NSTAT (sizeof ((struct vcpu_stats *)0)->exits / sizeof ((struct vcpu_stats *)0)->exits[0])

static bool is_stopping(const struct vm *vm)
{
	return __atomic_load_n(&vm->shared.stopping, __ATOMIC_SEQ_CST);
}

/* The port bus and the console are the CPUs' meeting point: one CPU at a time, its end record in use. */
static void bus_enter(struct vcpu *cpu)
{
	pthread_mutex_lock(&cpu->vm->shared.lock);
	cpu->vm->bus.end = &cpu->end;
}

static void bus_leave(struct vcpu *cpu)
{
	pthread_mutex_unlock(&cpu->vm->shared.lock);
}

/* Every CPU leaves KVM_RUN and its loop; parked CPUs wake to leave. Idempotent. */
static void stop_all(struct vm *vm, const struct vcpu *self)
{
	__atomic_store_n(&vm->shared.stopping, true, __ATOMIC_SEQ_CST);
	for (unsigned i = 0; i < vm->ncpus; i++)
		if (&vm->cpu[i] != self && vm->cpu[i].thread_started)
			stop_kick(vm->cpu[i].run, vm->cpu[i].thread);
	pthread_mutex_lock(&vm->shared.lock);
	pthread_cond_broadcast(&vm->shared.cond);
	pthread_mutex_unlock(&vm->shared.lock);
}

/* This CPU ended the run (cpu->end says why): the first such CPU decides vm->end; all stop. */
static void end_run(struct vcpu *cpu)
{
	struct vm *vm = cpu->vm;

	pthread_mutex_lock(&vm->shared.lock);
	if (vm->end.kind == END_NONE) {
		vm->end = cpu->end;
		vm->shared.end_cpu = (int)cpu->index;
	}
	pthread_mutex_unlock(&vm->shared.lock);
	stop_all(vm, cpu);
}

/* A guest fault on this CPU with its one-line reason. True: the run ends. */
static bool cpu_fault(struct vcpu *cpu, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool cpu_fault(struct vcpu *cpu, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	end_vfault(&cpu->end, fmt, ap);
	va_end(ap);
	return true;
}

/* A flush failed: the reader left (END_OUTPUT), or a stop gave up on a stuck reader. */
static bool output_failed(struct vcpu *cpu)
{
	struct console *con = &cpu->vm->con;

	if (con->out_errno == EINTR)
		return false;	/* a signal or timeout is pending: CPU 0 ends the run */
	cpu->end.kind = END_OUTPUT;
	cpu->end.errno_value = con->out_errno;
	return true;
}

/* Ctrl-A x on the console ends the run. Under the bus lock. */
static bool quit_typed(struct vcpu *cpu)
{
	if (!cpu->vm->con.quit)
		return false;
	cpu->end.kind = END_QUIT;
	return true;
}

/* Each handler returns true when the run ends (cpu->end says why). */
typedef bool exit_fn(struct vcpu *cpu);

static bool on_io(struct vcpu *cpu)
{
	struct vm *vm = cpu->vm;
	uint16_t port = cpu->run->io.port;
	bool done = false;

	bus_enter(cpu);
	if (io_exit(&vm->bus, cpu->run, vm->run_size) == IO_END || quit_typed(cpu))
		done = true;
	else if (vm->con.len && io_batches(&vm->bus, port))
		stop_arm_flush();	/* a guest that prints and then spins is still seen */
	else if (vm->con.len && console_flush(&vm->con) < 0)
		done = output_failed(cpu);
	bus_leave(cpu);
	return done;
}

static bool on_hlt(struct vcpu *cpu)
{
	cpu->end.kind = END_HALT;
	return true;
}

static bool on_mmio(struct vcpu *cpu)
{
	struct kvm_run *r = cpu->run;
	uint64_t v = 0;
	unsigned len = r->mmio.len <= 8 ? r->mmio.len : 8;
	char ram[80];

	if (cpu->vm->pci) {	/* a device's BAR: handled without the bus lock, under the device's own */
		int done = mmio_access(&cpu->vm->pci->mmio, &cpu->vm->shared.lock, r->mmio.phys_addr, r->mmio.data,
				       len, r->mmio.is_write, &cpu->end);

		if (done >= 0)
			return done == IO_END;
	}
	memcpy(&v, r->mmio.data, len);
	ram_str(cpu->vm->mem.size, ram, sizeof ram);
	if (r->mmio.is_write)
		return cpu_fault(cpu, "%u-byte write of 0x%llx to 0x%llx, outside RAM (%s) (KVM_EXIT_MMIO)",
				 r->mmio.len, (unsigned long long)v, (unsigned long long)r->mmio.phys_addr, ram);
	return cpu_fault(cpu, "%u-byte read from 0x%llx, outside RAM (%s) (KVM_EXIT_MMIO)",
			 r->mmio.len, (unsigned long long)r->mmio.phys_addr, ram);
}

static bool on_shutdown(struct vcpu *cpu)
{
	return cpu_fault(cpu, "triple fault: the CPU shut down (KVM_EXIT_SHUTDOWN)");
}

static bool on_internal_error(struct vcpu *cpu)
{
	static const char *const sub[] = {
		[KVM_INTERNAL_ERROR_EMULATION] = "instruction emulation failed",
		[KVM_INTERNAL_ERROR_SIMUL_EX] = "exception while delivering an exception",
		[KVM_INTERNAL_ERROR_DELIVERY_EV] = "exception during event delivery",
		[KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON] = "unexpected exit reason",
	};
	uint32_t s = cpu->run->internal.suberror;
	const char *name = s < sizeof sub / sizeof sub[0] && sub[s] ? sub[s] : "unknown suberror";

	return cpu_fault(cpu, "%s (KVM_EXIT_INTERNAL_ERROR, suberror %u)", name, s);
}

static bool on_fail_entry(struct vcpu *cpu)
{
	return cpu_fault(cpu, "the CPU refused to enter the guest, hardware reason 0x%llx (KVM_EXIT_FAIL_ENTRY)",
			 (unsigned long long)cpu->run->fail_entry.hardware_entry_failure_reason);
}

static bool on_system_event(struct vcpu *cpu)
{
	return cpu_fault(cpu, "system event type %u (KVM_EXIT_SYSTEM_EVENT)", cpu->run->system_event.type);
}

static bool on_other(struct vcpu *cpu)
{
	return cpu_fault(cpu, "unexpected exit %s (%u)", exit_name(cpu->run->exit_reason),
			 cpu->run->exit_reason);
}

/*
 * A debug exit (--gdb): a breakpoint, watchpoint or step of gdb's holds every
 * CPU, this one included (its next KVM_RUN returns at once into the hold), and
 * wakes the stub, which then finds them all held. The guest's own int3 goes on.
 */
static void hold(struct vm *vm, unsigned who);
static void kick_all(struct vm *vm, const struct vcpu *except);

static bool on_debug(struct vcpu *cpu)
{
	struct vm *vm = cpu->vm;

	if (!gdb_debug_exit(cpu))
		return false;
	pthread_mutex_lock(&vm->shared.lock);
	hold(vm, PAUSE_GDB);
	pthread_mutex_unlock(&vm->shared.lock);
	kick_all(vm, cpu);
	__atomic_store_n(&cpu->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
	gdb_wake(vm->gdb);
	return false;
}

static exit_fn *const exit_handlers[] = {
	[KVM_EXIT_DEBUG] = on_debug,
	[KVM_EXIT_IO] = on_io,
	[KVM_EXIT_HLT] = on_hlt,
	[KVM_EXIT_MMIO] = on_mmio,
	[KVM_EXIT_SHUTDOWN] = on_shutdown,
	[KVM_EXIT_INTERNAL_ERROR] = on_internal_error,
	[KVM_EXIT_FAIL_ENTRY] = on_fail_entry,
	[KVM_EXIT_SYSTEM_EVENT] = on_system_event,
};

/*
 * Park: CPU 0 stops the others outside KVM_RUN to read their state (their
 * fds are free then), and lets them go on. An AP that ended meanwhile counts
 * as parked.
 */
static void park_others(struct vm *vm)
{
	struct vm_shared *sh = &vm->shared;

	pthread_mutex_lock(&sh->lock);
	sh->park_gen++;
	pthread_mutex_unlock(&sh->lock);
	for (unsigned i = 1; i < vm->ncpus; i++)
		stop_kick(vm->cpu[i].run, vm->cpu[i].thread);
	pthread_mutex_lock(&sh->lock);
	while (sh->parked + sh->held + sh->exited < vm->ncpus - 1)	/* a paused AP is out of KVM_RUN too */
		pthread_cond_wait(&sh->cond, &sh->lock);
	pthread_mutex_unlock(&sh->lock);
}

static void unpark_others(struct vm *vm)
{
	pthread_mutex_lock(&vm->shared.lock);
	vm->shared.park_gen++;
	pthread_cond_broadcast(&vm->shared.cond);
	pthread_mutex_unlock(&vm->shared.lock);
}

/*
 * An AP's side of parking (park_gen is odd while CPU 0 looks) and of a pause
 * (vm_pause): wait while either asks, unless the run ends. A resume while CPU
 * 0 still looks turns the hold into a park, so the AP never re-enters KVM_RUN
 * under CPU 0's reads.
 */
static void ap_hold(struct vcpu *cpu)
{
	struct vm_shared *sh = &cpu->vm->shared;

	pthread_mutex_lock(&sh->lock);
	while (!is_stopping(cpu->vm)) {
		if (sh->park_gen & 1) {
			unsigned gen = sh->park_gen;

			sh->parked++;
			pthread_cond_broadcast(&sh->cond);
			while (sh->park_gen == gen && !is_stopping(cpu->vm))
				pthread_cond_wait(&sh->cond, &sh->lock);
			sh->parked--;
		} else if (sh->paused || snap_pending(cpu->vm)) {
			/* A snapshot waits: the CPU that asked (at the port) must not run on before it is written. */
			sh->held++;
			pthread_cond_broadcast(&sh->cond);
			while ((sh->paused || snap_pending(cpu->vm)) && !is_stopping(cpu->vm))
				pthread_cond_wait(&sh->cond, &sh->lock);
			sh->held--;
		} else {
			break;
		}
	}
	pthread_mutex_unlock(&sh->lock);
}

/*
 * Whether the whole machine is asleep for good: CPU 0 halted with nothing to
 * wake it, and every other CPU too, or still waiting for INIT-SIPI (which
 * only a running CPU could send). CPU 0's thread only.
 */
static bool all_halted_for_good(struct vm *vm)
{
	bool all = true;

	if (!vcpu_halted_for_good(vm->cpu[0].fd))
		return false;
	if (vm->ncpus == 1)
		return true;
	park_others(vm);
	for (unsigned i = 1; i < vm->ncpus && all; i++)
		all = vcpu_asleep_for_good(vm->cpu[i].fd);
	unpark_others(vm);
	return all;
}

/*
 * CPU 0's duties when a signal or tick interrupts it, also every 10 ms while
 * paused (then the others are held, not to be parked): returns true when the
 * run ends.
 */
static bool main_duties(struct vcpu *cpu, bool paused)
{
	struct vm *vm = cpu->vm;
	struct stop_flags f;
	bool done = false;

	stop_take(&f);
	if (f.snapshot && vm->snap)
		snap_request(vm, SNAP_SIGNAL);
	if (f.signo) {
		cpu->end.kind = END_SIGNAL;
		cpu->end.signo = f.signo;
		return true;
	}
	if (f.timed_out) {
		cpu->end.kind = END_TIMEOUT;
		return true;
	}
	if (snap_pending(vm)) {	/* paused: the others are held already */
		if (!paused && vm->ncpus > 1)
			park_others(vm);
		done = snap_take_pending(cpu);
		if (done)
			end_run(cpu);	/* stopping before any CPU runs on: nothing past the snapshot reaches stdout */
		if (!paused && vm->ncpus > 1)
			unpark_others(vm);
		if (done)
			return true;
	}
	if (!f.flush_due)
		return false;
	bus_enter(cpu);
	console_pump(&vm->con);
	if (quit_typed(cpu))
		done = true;
	else if (console_flush(&vm->con) < 0)
		done = output_failed(cpu);
	else if (uart_poll(&vm->com1) < 0) {	/* input that arrived meanwhile raises COM1's interrupt */
		cpu->end.kind = END_HOST;
		done = true;
	}
	bus_leave(cpu);
	/* The tick also looks for a machine that halted for good in the kernel. */
	if (!done && vm->irqchip && !paused && all_halted_for_good(vm)) {
		cpu->end.kind = END_HALT;
		done = true;
	}
	return done;
}

/*
 * CPU 0 while the VM is paused: out of KVM_RUN, but still the thread that takes
 * signals, the timeout, the flush tick and Ctrl-A x, looked at every 10 ms (a
 * handler cannot wake a condition wait). Returns true when the run ends.
 */
static bool cpu0_hold(struct vcpu *cpu)
{
	struct vm_shared *sh = &cpu->vm->shared;
	bool done = false;

	pthread_mutex_lock(&sh->lock);
	if (sh->paused && !is_stopping(cpu->vm)) {
		sh->cpu0_held = true;
		pthread_cond_broadcast(&sh->cond);
		while (sh->paused && !is_stopping(cpu->vm) && !done) {
			struct timespec t;

			clock_gettime(CLOCK_MONOTONIC, &t);
			t.tv_nsec += 10000000L;
			if (t.tv_nsec >= 1000000000L) {
				t.tv_sec++;
				t.tv_nsec -= 1000000000L;
			}
			pthread_cond_clockwait(&sh->cond, &sh->lock, CLOCK_MONOTONIC, &t);
			pthread_mutex_unlock(&sh->lock);
			done = main_duties(cpu, true);
			pthread_mutex_lock(&sh->lock);
		}
		sh->cpu0_held = false;
	}
	pthread_mutex_unlock(&sh->lock);
	return done;
}

/*
 * An interrupted KVM_RUN: returns true when this CPU's loop ends. immediate_exit
 * is cleared before anything is looked at, so a later stop or signal sets it again.
 */
static bool on_interrupt(struct vcpu *cpu)
{
	__atomic_store_n(&cpu->run->immediate_exit, 0, __ATOMIC_SEQ_CST);
	if (is_stopping(cpu->vm))
		return true;
	if (cpu->index)
		ap_hold(cpu);
	else if (main_duties(cpu, false) || cpu0_hold(cpu))
		return true;
	return is_stopping(cpu->vm);
}

/* One CPU's loop, until the run ends; then, if this CPU ended it, everyone stops. */
static void cpu_loop(struct vcpu *cpu)
{
	struct vcpu_stats *st = &cpu->stats;
	bool stats = cpu->vm->stats_on, done = false;

	cpu->end = (struct run_end){ .kind = END_NONE };
	while (!done) {
		uint64_t t0 = stats ? now_ns() : 0;
		int r = ioctl(cpu->fd, KVM_RUN, 0);
		uint32_t reason;

		if (stats)
			st->run_ns += now_ns() - t0;
		if (r < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				done = on_interrupt(cpu);
				continue;
			}
			fprintf(stderr, "kvmrun: KVM_RUN failed on CPU %u: %s\n", cpu->index, strerror(errno));
			cpu->end.kind = END_HOST;
			break;
		}
		reason = cpu->run->exit_reason;
		st->exits[reason < NSTAT - 1 ? reason : NSTAT - 1]++;
		if (reason < sizeof exit_handlers / sizeof exit_handlers[0] && exit_handlers[reason])
			done = exit_handlers[reason](cpu);
		else
			done = on_other(cpu);
		if (done && cpu->end.kind == END_OUTPUT && cpu->end.errno_value == EINTR) {
			/* A stop gave up on a stuck reader: the stop itself (CPU 0's signal or timeout) ends the run. */
			cpu->end.kind = END_NONE;
			done = false;
		}
	}
	if (cpu->end.kind != END_NONE)
		end_run(cpu);
}

/* An AP's thread: wait for the start, run, say it has left. */
static void *ap_thread(void *arg)
{
	struct vcpu *cpu = arg;
	struct vm_shared *sh = &cpu->vm->shared;
	sigset_t kick;

	sigemptyset(&kick);
	sigaddset(&kick, stop_kick_signal());
	pthread_sigmask(SIG_UNBLOCK, &kick, NULL);
	pthread_mutex_lock(&sh->lock);
	sh->ready++;
	pthread_cond_broadcast(&sh->cond);
	while (!sh->go && !is_stopping(cpu->vm))
		pthread_cond_wait(&sh->cond, &sh->lock);
	pthread_mutex_unlock(&sh->lock);
	if (!is_stopping(cpu->vm))
		cpu_loop(cpu);
	pthread_mutex_lock(&sh->lock);
	sh->exited++;
	pthread_cond_broadcast(&sh->cond);
	pthread_mutex_unlock(&sh->lock);
	return NULL;
}

void vm_stop_aps(struct vm *vm)
{
	if (vm->shared.joined)
		return;
	stop_forget_threads();
	stop_all(vm, &vm->cpu[0]);
	for (unsigned i = 1; i < vm->ncpus; i++)
		if (vm->cpu[i].thread_started)
			pthread_join(vm->cpu[i].thread, NULL);
	vm->shared.joined = true;
}

int vm_start_aps(struct vm *vm)
{
	sigset_t all, old;
	int e = 0;

	if (pthread_mutex_init(&vm->shared.lock, NULL) != 0 || pthread_cond_init(&vm->shared.cond, NULL) != 0) {
		fprintf(stderr, "kvmrun: cannot create the vCPUs' lock\n");
		return -1;
	}
	vm->shared.end_cpu = -1;
	vm->cpu[0].thread = pthread_self();
	vm->cpu[0].thread_started = true;
	/* The APs inherit a mask with every signal blocked; each then takes the kick only. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (unsigned i = 1; i < vm->ncpus && !e; i++) {
		e = pthread_create(&vm->cpu[i].thread, NULL, ap_thread, &vm->cpu[i]);
		vm->cpu[i].thread_started = e == 0;
		if (!e)
			stop_watch_thread(vm->cpu[i].thread);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e) {
		fprintf(stderr, "kvmrun: cannot start a thread for each of %u vCPUs: %s\n", vm->ncpus, strerror(e));
		vm_stop_aps(vm);
		return -1;
	}
	/* Each thread's own start-up (glibc registers rseq, for one) happens before any filter. */
	pthread_mutex_lock(&vm->shared.lock);
	while (vm->shared.ready < vm->ncpus - 1)
		pthread_cond_wait(&vm->shared.cond, &vm->shared.lock);
	pthread_mutex_unlock(&vm->shared.lock);
	return 0;
}

void vm_run(struct vm *vm, uint64_t timeout_ns)
{
	struct console *con = &vm->con;

	vm->end = (struct run_end){ .kind = END_NONE };
	if (stop_start_timeout(timeout_ns) < 0) {
		vm->end.kind = END_HOST;
		vm_stop_aps(vm);
		return;
	}
	vm->stats.setup_ns = now_ns() - vm->stats.start_ns;
	pthread_mutex_lock(&vm->shared.lock);
	vm->shared.go = true;
	pthread_cond_broadcast(&vm->shared.cond);
	pthread_mutex_unlock(&vm->shared.lock);
	cpu_loop(&vm->cpu[0]);
	vm_resume(vm, PAUSE_ALL);	/* a pause ends with the run: nothing waits on it any more */
	vm_stop_devices(vm);	/* each takes what its guest driver handed over, output included, then leaves */
	vm_stop_aps(vm);
	if (vm->end.kind == END_NONE)	/* cannot happen: a loop leaves only when the run ends */
		vm->end.kind = END_HOST;
	if (console_flush(con) < 0 && (vm->end.kind == END_HALT || vm->end.kind == END_EXIT ||
				       vm->end.kind == END_RESET || vm->end.kind == END_POWEROFF ||
				       vm->end.kind == END_CONTROL) &&
	    con->out_errno != EINTR) {
		vm->end.kind = END_OUTPUT;
		vm->end.errno_value = con->out_errno;
	}
}

bool vm_paused(struct vm *vm)
{
	return __atomic_load_n(&vm->shared.paused, __ATOMIC_SEQ_CST);
}

bool vm_stopping(struct vm *vm)
{
	return is_stopping(vm);
}

/* Under shared.lock (or before the threads start): WHO holds the pause; paused stays holders != 0. */
static void hold(struct vm *vm, unsigned who)
{
	vm->shared.holders |= who;
	__atomic_store_n(&vm->shared.paused, true, __ATOMIC_SEQ_CST);
}

/* Kick every started vCPU but EXCEPT (NULL: none) out of KVM_RUN. */
static void kick_all(struct vm *vm, const struct vcpu *except)
{
	/* immediate_exit first: a CPU between its checks and KVM_RUN leaves at once and sees the pause. */
	for (unsigned i = 0; i < vm->ncpus; i++)
		if (&vm->cpu[i] != except && vm->cpu[i].thread_started)
			stop_kick(vm->cpu[i].run, vm->cpu[i].thread);
}

int vm_pause(struct vm *vm, unsigned who)
{
	struct vm_shared *sh = &vm->shared;
	int r;

	pthread_mutex_lock(&sh->lock);
	if (!sh->paused && !is_stopping(vm)) {
		hold(vm, who);
		pthread_mutex_unlock(&sh->lock);
		kick_all(vm, NULL);
		pthread_mutex_lock(&sh->lock);
	} else if (!is_stopping(vm)) {
		sh->holders |= who;
	}
	while (!is_stopping(vm) && !(sh->cpu0_held && sh->held + sh->exited == vm->ncpus - 1))
		pthread_cond_wait(&sh->cond, &sh->lock);
	r = is_stopping(vm) ? -1 : 0;
	pthread_mutex_unlock(&sh->lock);
	return r;
}

void vm_hold_at_start(struct vm *vm)
{
	hold(vm, PAUSE_GDB);
	for (unsigned i = 0; i < vm->ncpus; i++)
		__atomic_store_n(&vm->cpu[i].run->immediate_exit, 1, __ATOMIC_SEQ_CST);
}

void vm_resume(struct vm *vm, unsigned who)
{
	pthread_mutex_lock(&vm->shared.lock);
	vm->shared.holders &= ~who;
	if (!vm->shared.holders) {
		__atomic_store_n(&vm->shared.paused, false, __ATOMIC_SEQ_CST);
		pthread_cond_broadcast(&vm->shared.cond);
	}
	pthread_mutex_unlock(&vm->shared.lock);
}

bool vm_held_by(struct vm *vm, unsigned who)
{
	bool r;

	pthread_mutex_lock(&vm->shared.lock);
	r = (vm->shared.holders & who) != 0;
	pthread_mutex_unlock(&vm->shared.lock);
	return r;
}

bool vm_end_now(struct vm *vm, const struct run_end *e)
{
	bool first;

	pthread_mutex_lock(&vm->shared.lock);
	first = vm->end.kind == END_NONE && !is_stopping(vm);
	if (first)
		vm->end = *e;
	pthread_mutex_unlock(&vm->shared.lock);
	if (first)
		stop_all(vm, NULL);	/* CPU 0 too: it leaves KVM_RUN and its loop as from an exit port */
	return first;
}

static void report_exits(FILE *f, const char *who, const uint64_t *exits)
{
	uint64_t total = 0;

	for (unsigned i = 0; i < NSTAT; i++)
		total += exits[i];
	fprintf(f, "kvmrun: stats: %s%llu exits\n", who, (unsigned long long)total);
	for (unsigned i = 0; i < NSTAT; i++)
		if (exits[i])
			fprintf(f, "kvmrun: stats:   %-16s %12llu\n",
				i == NSTAT - 1 ? "other" : exit_name(i), (unsigned long long)exits[i]);
}

void vm_report_stats(const struct vm *vm, FILE *f)
{
	const struct io_bus *bus = &vm->bus;
	uint64_t exits[NSTAT] = { 0 }, run_ns = 0;
	/* total_ns is set when the run has ended; the control socket asks before that. */
	uint64_t total_ns = vm->stats.total_ns ? vm->stats.total_ns : now_ns() - vm->stats.start_ns;
	char who[32];

	for (unsigned c = 0; c < vm->ncpus; c++) {
		run_ns += vm->cpu[c].stats.run_ns;
		for (unsigned i = 0; i < NSTAT; i++)
			exits[i] += vm->cpu[c].stats.exits[i];
	}
	report_exits(f, "", exits);
	for (unsigned p = 0; bus->counts && p < 65536; p++) {
		for (unsigned d = 0; d < 2; d++) {
			const struct port_dev *dev;

			if (!bus->counts[p][d])
				continue;
			dev = bus->map[p] ? &bus->devs[bus->map[p] - 1] : NULL;
			fprintf(f, "kvmrun: stats:   port 0x%04x %-3s %12llu  %s\n", p, d ? "out" : "in",
				(unsigned long long)bus->counts[p][d], dev ? dev->name : "(no device)");
		}
	}
	if (bus->unclaimed)
		fprintf(f, "kvmrun: stats: %llu accesses to ports with no device\n",
			(unsigned long long)bus->unclaimed);
	for (unsigned c = 0; vm->ncpus > 1 && c < vm->ncpus; c++) {
		snprintf(who, sizeof who, "CPU %u: ", c);
		report_exits(f, who, vm->cpu[c].stats.exits);
		fprintf(f, "kvmrun: stats:   time in KVM_RUN %.6f s\n", vm->cpu[c].stats.run_ns / 1e9);
	}
	if (vm->pci)
		pcim_stats(vm->pci, f);
	fprintf(f, "kvmrun: stats: time in KVM_RUN %.6f s of %.6f s total (%.1f%%); setup %.6f s\n",
		run_ns / 1e9, total_ns / 1e9,
		total_ns ? 100.0 * (double)run_ns / ((double)total_ns * vm->ncpus) : 0.0,
		vm->stats.setup_ns / 1e9);
}

void vm_verbose_cpus(const struct vm *vm, FILE *f)
{
	if (vm->ncpus == 1)
		return;	/* one CPU, as ever: nothing to say */
	fprintf(f, "kvmrun: %u vCPUs, APIC IDs 0-%u: CPU 0 starts at the entry; CPU%s 1%s%.0u wait%s for INIT and SIPI, "
		"each on its own thread\n", vm->ncpus, vm->ncpus - 1, vm->ncpus > 2 ? "s" : "",
		vm->ncpus > 2 ? "-" : "", vm->ncpus > 2 ? vm->ncpus - 1 : 0, vm->ncpus > 2 ? "" : "s");
}
