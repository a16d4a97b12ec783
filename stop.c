/*
 * What ends or interrupts KVM_RUN from outside the guest: SIGINT, SIGTERM,
 * SIGHUP, the --timeout timer and the 10 ms output-flush tick. Handlers only
 * set a flag and run->immediate_exit: KVM_RUN either sees immediate_exit
 * when it starts or is interrupted by the signal, and returns EINTR. These
 * signals reach CPU 0's thread only: the other vCPU threads block them and
 * take only the kick, which one thread sends another to end its KVM_RUN.
 */
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include "kvm.h"

#define FLUSH_TICK_NS 10000000L
#define SIG_TIMEOUT SIGALRM
#define SIG_FLUSH   SIGURG	/* ignored by default if it ever escapes */

/*
 * Flags shared by the handlers (on CPU 0's thread) and every vCPU thread
 * (stop_arm_flush, stop_give_up): lock-free atomics, safe in a handler.
 */
#define LOAD(x)      __atomic_load_n(&(x), __ATOMIC_SEQ_CST)
#define STORE(x, v)  __atomic_store_n(&(x), (v), __ATOMIC_SEQ_CST)

static struct kvm_run *run_page;
/*
 * The other vCPU threads, kicked from the handler while a stop is pending: one
 * of them may sit in a blocking write to stdout (holding the console for a
 * reader that does not read), and only a signal to that thread ends the write.
 * Written by CPU 0's thread, read by its handler: no other thread touches it.
 */
static pthread_t kick_threads[VM_MAX_CPUS + 32];	/* the APs and the device threads (one per PCI slot at most) */
static int nkick;
static int got_signal, got_timeout, got_flush, got_snapshot, flush_armed, flush_periodic;
static timer_t timeout_timer, flush_timer;
static bool have_timeout_timer, have_flush_timer;	/* main thread: made, not yet deleted */

static void on_signal(int sig)
{
	struct kvm_run *run = LOAD(run_page);

	if (sig == SIG_TIMEOUT)
		STORE(got_timeout, 1);
	else if (sig == SIG_FLUSH)
		STORE(got_flush, 1);
	else if (sig == SIGUSR1)
		STORE(got_snapshot, 1);
	else if (!LOAD(got_signal))
		STORE(got_signal, sig);
	if (run)
		STORE(run->immediate_exit, 1);
	if (LOAD(got_signal) || LOAD(got_timeout))
		for (int i = 0; i < LOAD(nkick); i++)
			pthread_kill(kick_threads[i], SIGRTMIN);	/* the kick; async-signal-safe (POSIX.1-2008) */
}

void stop_watch_thread(pthread_t t)
{
	int n = LOAD(nkick);

	if (n < (int)(sizeof kick_threads / sizeof kick_threads[0])) {
		kick_threads[n] = t;
		STORE(nkick, n + 1);
	}
}

void stop_forget_threads(void)
{
	STORE(nkick, 0);
}

static void on_kick(int sig)
{
	(void)sig;	/* the sender set immediate_exit: nothing to do but interrupt */
}

int stop_kick_signal(void)
{
	return SIGRTMIN;	/* glibc keeps the lower real-time signals for itself */
}

void stop_kick(struct kvm_run *run, pthread_t thread)
{
	__atomic_store_n(&run->immediate_exit, 1, __ATOMIC_SEQ_CST);
	pthread_kill(thread, stop_kick_signal());
}

static int make_timer(int sig, timer_t *t)
{
	struct sigevent ev;

	memset(&ev, 0, sizeof ev);
	ev.sigev_notify = SIGEV_SIGNAL;
	ev.sigev_signo = sig;
	if (timer_create(CLOCK_MONOTONIC, &ev, t) < 0) {
		perror("kvmrun: cannot create a timer (timer_create)");
		return -1;
	}
	return 0;
}

int stop_init(struct kvm_run *run)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIG_TIMEOUT, SIG_FLUSH };
	struct sigaction sa;
	sigset_t unblock;

	run_page = run;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;	/* no SA_RESTART: KVM_RUN must return EINTR */
	sigfillset(&sa.sa_mask);
	sigemptyset(&unblock);
	for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
		if (sigaction(sigs[i], &sa, NULL) < 0) {
			perror("kvmrun: cannot install a signal handler");
			return -1;
		}
		sigaddset(&unblock, sigs[i]);
	}
	sa.sa_handler = on_kick;
	if (sigaction(stop_kick_signal(), &sa, NULL) < 0) {
		perror("kvmrun: cannot install a signal handler");
		return -1;
	}
	sigaddset(&unblock, stop_kick_signal());
	sigprocmask(SIG_UNBLOCK, &unblock, NULL);
	if (make_timer(SIG_TIMEOUT, &timeout_timer) < 0)
		return -1;
	have_timeout_timer = true;
	if (make_timer(SIG_FLUSH, &flush_timer) < 0)
		return -1;
	have_flush_timer = true;
	return 0;
}

int stop_snapshot_signal(void)
{
	struct sigaction sa;
	sigset_t unblock;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigfillset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL) < 0) {
		perror("kvmrun: cannot install a signal handler");
		return -1;
	}
	sigemptyset(&unblock);
	sigaddset(&unblock, SIGUSR1);
	sigprocmask(SIG_UNBLOCK, &unblock, NULL);
	return 0;
}

int stop_start_timeout(uint64_t timeout_ns)
{
	struct itimerspec its;

	if (!timeout_ns)
		return 0;
	memset(&its, 0, sizeof its);
	its.it_value.tv_sec = (time_t)(timeout_ns / 1000000000ULL);
	its.it_value.tv_nsec = (long)(timeout_ns % 1000000000ULL);
	if (timer_settime(timeout_timer, 0, &its, NULL) < 0) {
		perror("kvmrun: cannot start the timeout timer");
		return -1;
	}
	return 0;
}

void stop_arm_flush(void)
{
	struct itimerspec its;

	/* One CPU arms it; a tick taken meanwhile (stop_take) lets the next caller arm it again. */
	if (__atomic_exchange_n(&flush_armed, 1, __ATOMIC_SEQ_CST))
		return;
	memset(&its, 0, sizeof its);
	its.it_value.tv_nsec = FLUSH_TICK_NS;
	if (timer_settime(flush_timer, 0, &its, NULL) < 0)
		STORE(flush_armed, 0);
}

bool stop_give_up(void)
{
	static uint64_t deadline;
	struct itimerspec its;
	uint64_t t;

	if (!LOAD(got_signal) && !LOAD(got_timeout))
		return false;
	t = now_ns();
	if (!deadline)
		deadline = t + STOP_GRACE_NS;
	if (t >= deadline)
		return true;
	memset(&its, 0, sizeof its);
	its.it_value.tv_nsec = FLUSH_TICK_NS;
	timer_settime(flush_timer, 0, &its, NULL);
	return false;
}

void stop_fini(void)
{
	STORE(run_page, NULL);	/* from here on a late signal touches no unmapped page */
	if (have_timeout_timer)
		timer_delete(timeout_timer);
	if (have_flush_timer)
		timer_delete(flush_timer);
	have_timeout_timer = have_flush_timer = false;
}

int stop_tick_always(void)
{
	struct itimerspec its;

	memset(&its, 0, sizeof its);
	its.it_value.tv_nsec = its.it_interval.tv_nsec = FLUSH_TICK_NS;
	if (timer_settime(flush_timer, 0, &its, NULL) < 0) {
		perror("kvmrun: cannot start the 10 ms tick (timer_settime)");
		return -1;
	}
	STORE(flush_periodic, 1);
	STORE(flush_armed, 1);
	return 0;
}

void stop_take(struct stop_flags *f)
{
	f->signo = LOAD(got_signal);
	f->timed_out = LOAD(got_timeout);
	f->flush_due = __atomic_exchange_n(&got_flush, 0, __ATOMIC_SEQ_CST);
	f->snapshot = __atomic_exchange_n(&got_snapshot, 0, __ATOMIC_SEQ_CST);
	if (f->flush_due)
		STORE(flush_armed, LOAD(flush_periodic));	/* a periodic tick stays armed */
}
