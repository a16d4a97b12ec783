/*
 * bench/bench: the driver behind `make bench`. Run from the repository root.
 *
 * Each comparison times command A against command B: 2 warm-up runs of
 * each, then N timed runs interleaved A, B, A, B... so both sides share the
 * machine's noise. A run is timed wall-clock with CLOCK_MONOTONIC from just
 * before the spawn to the return of waitpid, stdin and stdout on /dev/null,
 * stderr inherited. Any run that does not exit 0 aborts the benchmark.
 * Before timing, kvmrun and bench/baseline must write byte-identical output
 * for bench/out64k.bin.
 *
 * Environment: BENCH_RUNS timed runs per command (default 20).
 * Exit status: 0 when the table is complete (a MISS is a result, not an
 * error), 1 when a run failed or the outputs differ, 2 on bad BENCH_RUNS.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "child.h"

#define RUNS_DEFAULT   20
#define RUNS_MAX       100000
#define WARMUP         2
#define RUN_TIMEOUT_S  60	/* a run that takes longer is hung: kill it and abort */
#define OUT64K_BYTES   65536
#define CAPTURE_MAX    (1 << 20)
#define MAX_ARGS       6

extern char **environ;

struct comparison {
	const char *name;
	const char *a[MAX_ARGS], *b[MAX_ARGS];	/* NULL-terminated argv */
	double goal;				/* median A / median B must be at most this */
};

static const struct comparison comparisons[] = {
	{ "hello start-to-exit",
	  { "./kvmrun", "guest/hello.bin", NULL },
	  { "./bench/baseline", "guest/hello.bin", NULL }, 1.2 },
	{ "64 KiB output, one OUT per byte",
	  { "./kvmrun", "bench/out64k.bin", NULL },
	  { "./bench/baseline", "bench/out64k.bin", NULL }, 1.1 },
	{ "--mem 4096 vs --mem 16",
	  { "./kvmrun", "--mem", "4096", "guest/hello.bin", NULL },
	  { "./kvmrun", "--mem", "16", "guest/hello.bin", NULL }, 1.1 },
};
#define NCOMP (sizeof comparisons / sizeof comparisons[0])

static const char *const needed_files[] = {
	"./kvmrun", "./bench/baseline", "guest/hello.bin", "bench/out64k.bin",
};

struct summary {
	double median, min, max;	/* milliseconds */
};

static int devnull = -1;

/* The command as a shell would show it, for tables and messages. */
static const char *cmd_str(const char *const *argv)
{
	static char buf[NCOMP * 2][128];
	static unsigned next;
	char *s = buf[next++ % (sizeof buf / sizeof buf[0])];
	size_t len = 0;

	s[0] = '\0';
	for (unsigned i = 0; argv[i] && len < sizeof buf[0]; i++)
		len += (size_t)snprintf(s + len, sizeof buf[0] - len, "%s%s", i ? " " : "", argv[i]);
	return s;
}

/* Start argv with stdin from /dev/null and stdout on out_fd; returns the pid. */
static pid_t spawn(const char *const *argv, int out_fd)
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int e;

	if ((e = posix_spawn_file_actions_init(&fa)) != 0 ||
	    (e = posix_spawn_file_actions_adddup2(&fa, devnull, STDIN_FILENO)) != 0 ||
	    (e = posix_spawn_file_actions_adddup2(&fa, out_fd, STDOUT_FILENO)) != 0) {
		errno = e;
		err(1, "preparing to run %s", cmd_str(argv));
	}
	e = posix_spawn(&pid, argv[0], &fa, NULL, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (e != 0) {
		errno = e;	/* posix_spawn returns the error; err() reads errno */
		err(1, "cannot run %s", cmd_str(argv));
	}
	child_pid = pid;
	alarm(RUN_TIMEOUT_S);
	return pid;
}

/* Wait for pid; abort the benchmark unless it exited 0. */
static void reap(pid_t pid, const char *const *argv)
{
	int status;

	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			err(1, "waiting for %s", cmd_str(argv));
	}
	alarm(0);
	child_pid = 0;
	if (child_timed_out)
		errx(1, "aborted: %s was still running after %d s", cmd_str(argv), RUN_TIMEOUT_S);
	if (WIFSIGNALED(status))
		errx(1, "aborted: %s was killed by signal %d (%s)", cmd_str(argv),
		     WTERMSIG(status), strsignal(WTERMSIG(status)));
	if (WEXITSTATUS(status) != 0)
		errx(1, "aborted: %s exited with status %d, not 0", cmd_str(argv), WEXITSTATUS(status));
}

/* One timed run, stdout to /dev/null: milliseconds from spawn to exit. */
static double time_run(const char *const *argv)
{
	uint64_t t0 = now_ns();
	pid_t pid = spawn(argv, devnull);

	reap(pid, argv);
	return (double)(now_ns() - t0) / 1e6;
}

/*
 * Spawns argv with stdout into a pipe and reads it all into buf (at most cap
 * bytes: more aborts); returns the byte count and the child's pid to reap.
 */
static size_t read_output(const char *const *argv, unsigned char *buf, size_t cap, pid_t *pid)
{
	size_t len = 0;
	int fds[2];

	if (pipe2(fds, O_CLOEXEC) < 0)
		err(1, "pipe");
	*pid = spawn(argv, fds[1]);
	close(fds[1]);
	for (;;) {
		ssize_t n = read(fds[0], buf + len, cap - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			err(1, "reading the output of %s", cmd_str(argv));
		if (n == 0)
			break;
		len += (size_t)n;
		if (len == cap)
			errx(1, "aborted: %s wrote more than %zu bytes", cmd_str(argv), cap);
	}
	close(fds[0]);
	return len;
}

/* One run that must exit 0, with its stdout in buf; returns the byte count. */
static size_t capture(const char *const *argv, unsigned char *buf, size_t cap)
{
	pid_t pid;
	size_t len = read_output(argv, buf, cap, &pid);

	reap(pid, argv);
	return len;
}

static void check_identical_output(void)
{
	static unsigned char a[CAPTURE_MAX], b[CAPTURE_MAX];
	const char *const *ka = comparisons[1].a, *const *kb = comparisons[1].b;
	size_t na = capture(ka, a, sizeof a), nb = capture(kb, b, sizeof b);

	if (na != nb || memcmp(a, b, na) != 0)
		errx(1, "aborted: output identical: no: %s wrote %zu bytes, %s wrote %zu bytes%s",
		     cmd_str(ka), na, cmd_str(kb), nb, na == nb ? ", with different contents" : "");
	if (na != OUT64K_BYTES)
		errx(1, "aborted: both wrote %zu bytes for bench/out64k.bin, not %d", na, OUT64K_BYTES);
	printf("output identical: yes (%s and %s, %zu bytes each)\n\n", cmd_str(ka), cmd_str(kb), na);
}

static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return (a > b) - (a < b);
}

/* Sorts t in place. */
static struct summary summarize(double *t, unsigned n)
{
	qsort(t, n, sizeof t[0], cmp_double);
	return (struct summary){
		.median = n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2,
		.min = t[0], .max = t[n - 1],
	};
}

/*
 * Times n commands, warmup untimed runs each, then runs timed runs of each
 * interleaved (so they share the machine's noise), with the given timer;
 * out[i] summarizes command i.
 */
static void time_interleaved(const char *const *const *cmds, unsigned n,
			     double (*timer)(const char *const *), unsigned warmup, unsigned runs,
			     struct summary *out)
{
	double *t = calloc((size_t)n * runs, sizeof *t);

	if (!t)
		err(1, "memory for %u runs", runs);
	for (unsigned i = 0; i < warmup; i++)
		for (unsigned c = 0; c < n; c++)
			timer(cmds[c]);
	for (unsigned i = 0; i < runs; i++)
		for (unsigned c = 0; c < n; c++)
			t[c * runs + i] = timer(cmds[c]);
	for (unsigned c = 0; c < n; c++)
		out[c] = summarize(t + c * runs, runs);
	free(t);
}

static unsigned runs_from_env(void)
{
	const char *s = getenv("BENCH_RUNS");
	char *end;
	long v;

	if (!s || !*s)
		return RUNS_DEFAULT;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < 1 || v > RUNS_MAX)
		errx(2, "BENCH_RUNS '%s': not a whole number from 1 to %d", s, RUNS_MAX);
	return (unsigned)v;
}

static int name_w, cmd_w;

static void row(const char *name, const char *cmd, const struct summary *s, unsigned n,
		const char *ratio, const char *goal, const char *result)
{
	printf("| %-*s | %-*s | %9.3f | %9.3f | %9.3f | %4u | %5s | %7s | %-6s |\n",
	       name_w, name, cmd_w, cmd, s->median, s->min, s->max, n, ratio, goal, result);
}

static void qemu_bench(unsigned runs);	/* the QEMU section, at the end of this file */
static void compute_bench(void);	/* the user-mode section, after it */

int main(void)
{
	unsigned runs = runs_from_env(), met = 0;
	struct sigaction sa;

	for (unsigned i = 0; i < sizeof needed_files / sizeof needed_files[0]; i++)
		if (access(needed_files[i], R_OK) < 0)
			errx(1, "%s: %s; run bench/bench from the repository root after make "
			     "(make bench does both)", needed_files[i], strerror(errno));
	if ((devnull = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0)
		err(1, "/dev/null");
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);	/* each row shows as soon as it is measured */

	check_identical_output();

	name_w = (int)strlen("benchmark");
	cmd_w = (int)strlen("command");
	for (unsigned c = 0; c < NCOMP; c++) {
		int n = (int)strlen(comparisons[c].name);
		int la = (int)strlen(cmd_str(comparisons[c].a)), lb = (int)strlen(cmd_str(comparisons[c].b));

		name_w = n > name_w ? n : name_w;
		cmd_w = la > cmd_w ? la : cmd_w;
		cmd_w = lb > cmd_w ? lb : cmd_w;
	}
	printf("Wall-clock time from spawn to exit (CLOCK_MONOTONIC) of each command, N timed runs "
	       "after %d warm-up runs, A and B interleaved; A is the upper row of each pair. "
	       "Ratio = median A / median B.\n\n", WARMUP);
	printf("| %-*s | %-*s | %9s | %9s | %9s | %4s | %5s | %7s | %-6s |\n", name_w, "benchmark",
	       cmd_w, "command", "median ms", "min ms", "max ms", "N", "ratio", "goal", "result");
	printf("|-%.*s-|-%.*s-|----------:|----------:|----------:|-----:|------:|--------:|--------|\n",
	       name_w, "------------------------------------------------------------",
	       cmd_w, "------------------------------------------------------------");

	for (unsigned c = 0; c < NCOMP; c++) {
		const struct comparison *k = &comparisons[c];
		struct summary sum_a, sum_b;
		char ratio[16], goal[16];
		double r;

		const char *const *cmds[] = { k->a, k->b };
		struct summary s[2];

		time_interleaved(cmds, 2, time_run, WARMUP, runs, s);
		sum_a = s[0], sum_b = s[1];
		r = sum_a.median / sum_b.median;
		met += r <= k->goal;
		snprintf(ratio, sizeof ratio, "%.2f", r);
		snprintf(goal, sizeof goal, "<= %.2f", k->goal);
		row(k->name, cmd_str(k->a), &sum_a, runs, ratio, goal, r <= k->goal ? "PASS" : "MISS");
		row("", cmd_str(k->b), &sum_b, runs, "", "", "");
	}
	printf("\n%u of %zu goals met.\n", met, NCOMP);
	qemu_bench(runs);
	compute_bench();
	return 0;
}

/*
 * ======================================================================
 * QEMU section: kvmrun against qemu-system-x86_64, the reference peer.
 *
 * The same Multiboot kernel, tests/guests/mb_hello.S built as ELF32 into
 * a temporary directory (as tests/qemu.bats builds it), start to exit under
 * kvmrun and under QEMU with tests/qemu.bats's command line. All must
 * print the same bytes and exit 43 (0x15 through port 0xf4) before timing;
 * then WARMUP runs of each and N timed runs interleaved, as above. The
 * ratio is median QEMU / median kvmrun: how many times faster kvmrun is.
 * Skipped, with a message, when qemu-system-x86_64 is not in PATH or
 * /dev/kvm cannot be opened.
 * ======================================================================
 */
#define QEMU_NAME        "qemu-system-x86_64"
#define QEMU_KERNEL_SRC  "tests/guests/mb_hello.S"
#define QEMU_STATUS      43		/* (0x15 << 1) | 1 */
#define QEMU_OUTPUT      "MB ok eax=2badb002\n"
#define QEMU_GOAL        15.0		/* kvmrun at least this many times faster */
#define QEMU_ARGV_MAX    24

/* The full path of QEMU_NAME in PATH, or NULL. */
static const char *qemu_path(void)
{
	static char path[4096];
	const char *p = getenv("PATH");

	if (!p || !*p)
		p = "/usr/local/bin:/usr/bin:/bin";
	while (*p) {
		size_t len = strcspn(p, ":");

		if (len > 0 && len + sizeof QEMU_NAME + 1 < sizeof path) {
			snprintf(path, sizeof path, "%.*s/%s", (int)len, p, QEMU_NAME);
			if (access(path, X_OK) == 0)
				return path;
		}
		p += len + (p[len] == ':');
	}
	return NULL;
}

/* Wait for pid; abort the benchmark unless it exited with status want. */
static void qemu_reap(pid_t pid, const char *const *argv, int want)
{
	int status;

	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			err(1, "waiting for %s", argv[0]);
	}
	alarm(0);
	child_pid = 0;
	if (child_timed_out)
		errx(1, "aborted: %s was still running after %d s", argv[0], RUN_TIMEOUT_S);
	if (WIFSIGNALED(status))
		errx(1, "aborted: %s was killed by signal %d (%s)", argv[0],
		     WTERMSIG(status), strsignal(WTERMSIG(status)));
	if (WEXITSTATUS(status) != want)
		errx(1, "aborted: %s exited with status %d, not %d", argv[0], WEXITSTATUS(status), want);
}

static double qemu_time_run(const char *const *argv)
{
	uint64_t t0 = now_ns();
	pid_t pid = spawn(argv, devnull);

	qemu_reap(pid, argv, QEMU_STATUS);
	return (double)(now_ns() - t0) / 1e6;
}

/* argv must write QEMU_OUTPUT exactly and exit QEMU_STATUS. */
static void qemu_check_output(const char *const *argv)
{
	unsigned char buf[256];
	pid_t pid;
	size_t len = read_output(argv, buf, sizeof buf, &pid);

	qemu_reap(pid, argv, QEMU_STATUS);
	if (len != strlen(QEMU_OUTPUT) || memcmp(buf, QEMU_OUTPUT, len) != 0)
		errx(1, "aborted: %s wrote %zu bytes, not \"MB ok eax=2badb002\\n\"", argv[0], len);
}

static char qemu_dir[] = "/tmp/kvmrun-bench-qemu.XXXXXX";

/* atexit: remove the kernel's temporary directory, also after an abort. */
static void qemu_cleanup(void)
{
	char cmd[64];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", qemu_dir);
	if (system(cmd) != 0)
		warnx("could not remove %s", qemu_dir);
}

static void qemu_bench(unsigned runs)
{
	const char *dir = qemu_dir;
	char kernel[64], cmd[512];
	const char *qemu = qemu_path();
	const char *k_argv[] = { "./kvmrun", kernel, NULL };
	const char *n_argv[] = { "./kvmrun", "--no-irqchip", kernel, NULL };
	const char *q_argv[QEMU_ARGV_MAX] = {
		qemu, "-accel", "kvm", "-cpu", "host",
		"-M", "microvm,x-option-roms=off,rtc=off,pit=off,pic=off,pcie=off,acpi=off,ioapic2=off",
		"-nodefaults", "-no-user-config", "-nographic", "-serial", "stdio",
		"-device", "isa-debug-exit,iobase=0xf4,iosize=4", "-kernel", kernel, NULL,
	};
	static const char name[] = "Multiboot hello, start to exit";
	static const char k_cmd[] = "./kvmrun mb_hello.elf";
	static const char n_cmd[] = "./kvmrun --no-irqchip mb_hello.elf";
	static const char q_cmd[] = QEMU_NAME " (options above) -kernel mb_hello.elf";
	int nw = (int)strlen(name), cw = (int)strlen(q_cmd);
	struct summary sk, sn, sq;
	double rk, rn;
	int fd;

	printf("\nkvmrun against QEMU, the same Multiboot kernel (%s as ELF32) start to exit:\n",
	       QEMU_KERNEL_SRC);
	if (!qemu) {
		printf("skipped: %s is not in PATH (apt-get install qemu-system-x86)\n", QEMU_NAME);
		return;
	}
	if ((fd = open("/dev/kvm", O_RDWR | O_CLOEXEC)) < 0) {
		printf("skipped: /dev/kvm: %s\n", strerror(errno));
		return;
	}
	close(fd);
	if (!mkdtemp(qemu_dir))
		err(1, "mkdtemp %s", qemu_dir);
	atexit(qemu_cleanup);
	snprintf(kernel, sizeof kernel, "%s/mb_hello.elf", dir);
	snprintf(cmd, sizeof cmd,
		 "norwx=; ld --help 2>/dev/null | grep -q -- --no-warn-rwx-segments && norwx=--no-warn-rwx-segments; "
		 "as --32 -I guest -o %s/mb_hello.o %s && "
		 "ld -m elf_i386 $norwx -N -Ttext=0x100000 -e _start -o %s %s/mb_hello.o",
		 dir, QEMU_KERNEL_SRC, kernel, dir);
	if (system(cmd) != 0)
		errx(1, "aborted: building %s failed: %s", kernel, cmd);

	qemu_check_output(k_argv);
	qemu_check_output(n_argv);
	qemu_check_output(q_argv);
	printf("output identical: yes (\"MB ok eax=2badb002\\n\" and status %d from all three)\n", QEMU_STATUS);
	printf("QEMU: %s", q_argv[0]);
	for (unsigned i = 1; q_argv[i]; i++)
		printf(" %s", q_argv[i]);
	printf("\nkvmrun's default for Multiboot kernels is the in-kernel irqchip and PIT; the "
	       "--no-irqchip row shows their cost (QEMU's microvm uses a split irqchip, no PIT).\n"
	       "Ratio = median QEMU / median of the row: how many times faster kvmrun is.\n\n");

	{
		const char *const *cmds[] = { k_argv, n_argv, q_argv };
		struct summary s[3];

		time_interleaved(cmds, 3, qemu_time_run, WARMUP, runs, s);
		sk = s[0], sn = s[1], sq = s[2];
	}
	rk = sq.median / sk.median;
	rn = sq.median / sn.median;

	printf("| %-*s | %-*s | median ms |    min ms |    max ms |    N | ratio |    goal | result |\n",
	       nw, "benchmark", cw, "command");
	printf("|-%.*s-|-%.*s-|----------:|----------:|----------:|-----:|------:|--------:|--------|\n",
	       nw, "------------------------------------------------------------",
	       cw, "------------------------------------------------------------");
	printf("| %-*s | %-*s | %9.3f | %9.3f | %9.3f | %4u | %5.1f | >= %4.1f | %-6s |\n",
	       nw, name, cw, k_cmd, sk.median, sk.min, sk.max, runs, rk, QEMU_GOAL,
	       rk >= QEMU_GOAL ? "PASS" : "MISS");
	printf("| %-*s | %-*s | %9.3f | %9.3f | %9.3f | %4u | %5.1f | %7s | %-6s |\n",
	       nw, "", cw, n_cmd, sn.median, sn.min, sn.max, runs, rn, "", "info");
	printf("| %-*s | %-*s | %9.3f | %9.3f | %9.3f | %4u | %5s | %7s | %-6s |\n",
	       nw, "", cw, q_cmd, sq.median, sq.min, sq.max, runs, "", "", "");
	printf("\nQEMU goal (kvmrun at least %.0fx faster): %s.\n", QEMU_GOAL, rk >= QEMU_GOAL ? "met" : "missed");

}

/*
 * ======================================================================
 * Compute section: user mode against a host process and long mode.
 *
 * bench/compute.c, one source built as a host program (bench/compute_host)
 * and as a kit guest (bench/compute.elf), runs N rounds of xorshift64 and
 * prints the result; the host process and the user-mode guest must print
 * the same line before timing. Three commands, COMPUTE_RUNS timed runs each
 * (default 5, env BENCH_COMPUTE_RUNS) after one warm-up, interleaved:
 *   host process, 10^8 rounds
 *   kvmrun --mode user, 10^8 rounds
 *   kvmrun --mode long, 10^6 rounds: where guest code at CPL 0 is emulated
 *   (nested KVM without VMX/SVM) 10^8 rounds take minutes, so long mode
 *   runs 1/100 of the work and its time is shown both as measured and
 *   scaled by 100, labelled so.
 * Goal: user mode within 1.2x of the host process, start-up included.
 * ======================================================================
 */
#define COMPUTE_RUNS 5
#define ROUNDS "100000000"
#define LONG_ROUNDS "1000000"
#define LONG_SCALE 100.0

static void compute_bench(void)
{
	static const char *const host[] = { "./bench/compute_host", ROUNDS, NULL };
	static const char *const user[] = { "./kvmrun", "--mode", "user", "--append", ROUNDS,
					    "bench/compute.elf", NULL };
	static const char *const lng[] = { "./kvmrun", "--mode", "long", "--append", LONG_ROUNDS,
					   "bench/compute.elf", NULL };
	static unsigned char out_host[256], out_user[256];
	const char *env = getenv("BENCH_COMPUTE_RUNS");
	unsigned runs = env && atoi(env) >= 5 ? (unsigned)atoi(env) : COMPUTE_RUNS;
	struct summary sh, su, sl;
	size_t nh, nu;
	double ratio;

	printf("\nUser mode: %s rounds of xorshift64, one source as a host process and as a guest; "
	       "%u timed runs each after 1 warm-up, interleaved.\n", ROUNDS, runs);
	if (access("./bench/compute_host", X_OK) < 0 || access("bench/compute.elf", R_OK) < 0) {
		printf("compute: bench/compute_host or bench/compute.elf is missing; run make bench\n");
		return;
	}
	nh = capture(host, out_host, sizeof out_host);
	nu = capture(user, out_user, sizeof out_user);
	if (nh != nu || memcmp(out_host, out_user, nh) != 0)
		errx(1, "compute: the host process and the user-mode guest print different results");
	printf("output identical: yes (%.*s)\n\n", (int)(nh && out_host[nh - 1] == '\n' ? nh - 1 : nh),
	       (const char *)out_host);
	{
		const char *const *cmds[] = { host, user, lng };
		struct summary s[3];

		time_interleaved(cmds, 3, time_run, 1, runs, s);
		sh = s[0], su = s[1], sl = s[2];
	}
	ratio = su.median / sh.median;
	printf("| %-34s | %-60s | %10s | %10s | %10s | %2s | %-22s |\n", "run", "command", "median ms",
	       "min ms", "max ms", "N", "vs host process");
	printf("|------------------------------------|--------------------------------------------------------------|-----------:|-----------:|-----------:|---:|------------------------|\n");
	printf("| %-34s | %-60s | %10.1f | %10.1f | %10.1f | %2u | %-22s |\n", "host process, 10^8 rounds",
	       cmd_str(host), sh.median, sh.min, sh.max, runs, "1.00");
	printf("| %-34s | %-60s | %10.1f | %10.1f | %10.1f | %2u | %-22s |\n", "kvmrun --mode user, 10^8",
	       cmd_str(user), su.median, su.min, su.max, runs, "");
	printf("| %-34s | %-60s | %10.1f | %10.1f | %10.1f | %2u | %-22s |\n", "kvmrun --mode long, 10^6 (measured)",
	       cmd_str(lng), sl.median, sl.min, sl.max, runs, "");
	printf("| %-34s | %-60s | %10.0f | %10.0f | %10.0f | %2u | %-22s |\n", "kvmrun --mode long, x100 (scaled)",
	       "(the row above times 100)", sl.median * LONG_SCALE, sl.min * LONG_SCALE,
	       sl.max * LONG_SCALE, runs, "");
	printf("\nuser mode / host process: %.2f (goal <= 1.20: %s); long mode (scaled) / host process: %.0f\n",
	       ratio, ratio <= 1.2 ? "PASS" : "MISS", sl.median * LONG_SCALE / sh.median);
}
