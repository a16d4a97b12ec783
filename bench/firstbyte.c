/*
 * bench/firstbyte: times one command to its first byte of output, for
 * bench/snapshot.sh.
 *
 * usage: bench/firstbyte OUT COMMAND [ARG...]
 *
 * Runs COMMAND with stdin on /dev/null, stdout into a pipe and stderr
 * inherited, and copies what it writes to the file OUT. Times, with
 * CLOCK_MONOTONIC from just before posix_spawn, the return of the first read
 * that got a byte and the return of waitpid. Prints one line on stdout:
 * "FIRST_MS EXIT_MS STATUS", FIRST_MS "-" when the command wrote nothing,
 * STATUS its exit status, or 128+N when signal N killed it. A command still
 * running after FIRSTBYTE_TIMEOUT seconds (default 300) is killed and
 * counts as hung. Exit status: 0 when the line was printed, 1 when the
 * command could not be run or hung, 2 on a usage error.
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

#define TIMEOUT_DEFAULT_S 300
#define TIMEOUT_MAX_S     86400

extern char **environ;

static unsigned timeout_from_env(void)
{
	const char *s = getenv("FIRSTBYTE_TIMEOUT");
	char *end;
	long v;

	if (!s || !*s)
		return TIMEOUT_DEFAULT_S;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < 1 || v > TIMEOUT_MAX_S)
		errx(2, "FIRSTBYTE_TIMEOUT '%s': not a whole number from 1 to %d", s, TIMEOUT_MAX_S);
	return (unsigned)v;
}

/* All of n bytes to fd. */
static void put_all(int fd, const char *p, size_t n, const char *path)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			err(1, "writing %s", path);
		p += w;
		n -= (size_t)w;
	}
}

int main(int argc, char **argv)
{
	static char buf[1 << 16];
	posix_spawn_file_actions_t fa;
	struct sigaction sa;
	uint64_t t0, first = 0, end;
	unsigned limit = timeout_from_env();
	int fds[2], out, devnull, e, status;
	pid_t pid;

	if (argc < 3)
		errx(2, "usage: bench/firstbyte OUT COMMAND [ARG...]");
	if ((out = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0)
		err(1, "%s", argv[1]);
	if ((devnull = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0)
		err(1, "/dev/null");
	if (pipe2(fds, O_CLOEXEC) < 0)
		err(1, "pipe");
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);	/* no SA_RESTART: a blocked read returns at the timeout */
	if ((e = posix_spawn_file_actions_init(&fa)) != 0 ||
	    (e = posix_spawn_file_actions_adddup2(&fa, devnull, STDIN_FILENO)) != 0 ||
	    (e = posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO)) != 0) {
		errno = e;
		err(1, "preparing to run %s", argv[2]);
	}

	t0 = now_ns();
	e = posix_spawn(&pid, argv[2], &fa, NULL, argv + 2, environ);
	if (e != 0) {
		errno = e;	/* posix_spawn returns the error; err() reads errno */
		err(1, "cannot run %s", argv[2]);
	}
	child_pid = pid;
	alarm(limit);
	close(fds[1]);
	for (;;) {
		ssize_t n = read(fds[0], buf, sizeof buf);

		if (n < 0 && errno == EINTR && !child_timed_out)
			continue;
		if (n < 0 && !child_timed_out)
			err(1, "reading the output of %s", argv[2]);
		if (n <= 0)
			break;
		if (!first)
			first = now_ns();
		put_all(out, buf, (size_t)n, argv[1]);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			err(1, "waiting for %s", argv[2]);
	end = now_ns();
	alarm(0);
	if (child_timed_out)
		errx(1, "%s was still running after %u s (FIRSTBYTE_TIMEOUT): hung, killed", argv[2], limit);
	if (first)
		printf("%.3f", (double)(first - t0) / 1e6);
	else
		printf("-");
	printf(" %.3f %d\n", (double)(end - t0) / 1e6,
	       WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status));
	return 0;
}
