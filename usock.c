/*
 * A listening UNIX stream socket whose file goes when kvmrun goes, however
 * it goes: the control socket (--control PATH) and the gdb stub's (--gdb
 * unix:PATH) share it. The seccomp filter allows no unlink, and SIGKILL
 * allows nothing at all, so a process forked here (the remover) unlinks it.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "kvm.h"

static int open_fail(struct usock *u, int fd, const char *path, int *status, int st)
{
	if (fd >= 0)
		close(fd);
	if (u->listen_fd >= 0) {
		close(u->listen_fd);
		unlink(path);
	}
	u->listen_fd = -1;
	*status = st;
	return -1;
}

/*
 * The remover: a child with nothing of kvmrun's but two pipe ends. It ignores
 * the terminal's and timeout(1)'s signals, waits for EOF on its pipe (kvmrun
 * closed it or died), unlinks the socket if the file there is still the one
 * kvmrun made (a newer kvmrun may have replaced a stale one), and exits, which
 * tells kvmrun it is done. Only async-signal-safe calls: the parent has threads
 * later, and even now a fork should not trust stdio.
 */
static void remover(const char *path, int in_fd, int done_fd, dev_t dev, ino_t ino)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE };
	struct stat st;
	char b;
	int null = open("/dev/null", O_RDWR);

	for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		signal(sigs[i], SIG_IGN);
	if (null >= 0)
		for (int fd = 0; fd < 3; fd++)
			dup2(null, fd);	/* no pipe of a caller's (bats, a shell) stays open through us */
	for (int fd = 3; fd < 1024; fd++)
		if (fd != in_fd && fd != done_fd)
			close(fd);
	closefrom(1024);
	while (read(in_fd, &b, 1) < 0 && errno == EINTR)
		;
	if (lstat(path, &st) == 0 && st.st_dev == dev && st.st_ino == ino)
		unlink(path);
	_exit(0);
}

/* What is at path may be replaced: nothing, or a socket nobody accepts on (what a killed kvmrun leaves). */
static int clear_path(const char *opt, const char *arg, const struct sockaddr_un *a, int *status)
{
	const char *path = a->sun_path;
	struct stat st;
	int fd;

	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		fprintf(stderr, "kvmrun: %s '%s': %s\n", opt, arg, strerror(errno));
		*status = EXIT_USAGE;
		return -1;
	}
	if (!S_ISSOCK(st.st_mode)) {
		fprintf(stderr, "kvmrun: %s '%s': exists and is not a socket; kvmrun replaces only a stale socket\n",
			opt, arg);
		*status = EXIT_USAGE;
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		fprintf(stderr, "kvmrun: %s: cannot make a socket: %s\n", opt, strerror(errno));
		*status = EXIT_HOST;
		return -1;
	}
	if (connect(fd, (const struct sockaddr *)a, sizeof *a) == 0 || errno == EAGAIN) {
		fprintf(stderr, "kvmrun: %s '%s': in use: a program accepts connections there (another kvmrun?)\n",
			opt, arg);
		close(fd);
		*status = EXIT_USAGE;
		return -1;
	}
	if (errno != ECONNREFUSED) {
		fprintf(stderr, "kvmrun: %s '%s': %s\n", opt, arg, strerror(errno));
		close(fd);
		*status = EXIT_USAGE;
		return -1;
	}
	close(fd);
	if (unlink(path) < 0 && errno != ENOENT) {
		fprintf(stderr, "kvmrun: %s '%s': cannot remove the stale socket: %s\n", opt, arg, strerror(errno));
		*status = EXIT_USAGE;
		return -1;
	}
	return 0;
}

/* Fork the remover for the socket file st names. */
static int start_remover(struct usock *u, const char *opt, const char *path, const struct stat *st)
{
	int to_remover[2], from_remover[2];
	pid_t pid;

	if (pipe2(to_remover, O_CLOEXEC) < 0) {
		fprintf(stderr, "kvmrun: %s: cannot make a pipe: %s\n", opt, strerror(errno));
		return -1;
	}
	if (pipe2(from_remover, O_CLOEXEC) < 0) {
		fprintf(stderr, "kvmrun: %s: cannot make a pipe: %s\n", opt, strerror(errno));
		close(to_remover[0]);
		close(to_remover[1]);
		return -1;
	}
	pid = fork();
	if (pid == 0)
		remover(path, to_remover[0], from_remover[1], st->st_dev, st->st_ino);
	close(to_remover[0]);
	close(from_remover[1]);
	if (pid < 0) {
		fprintf(stderr, "kvmrun: %s: cannot start the process that removes the socket: %s\n", opt,
			strerror(errno));
		close(to_remover[1]);
		close(from_remover[0]);
		return -1;
	}
	u->remover_fd = to_remover[1];
	u->removed_fd = from_remover[0];
	return 0;
}

int usock_open(struct usock *u, const char *opt, const char *arg, const char *path, int backlog, int *status)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct stat st;
	mode_t old;
	int fd;

	u->listen_fd = u->remover_fd = u->removed_fd = -1;
	if (strlen(path) >= sizeof a.sun_path) {
		fprintf(stderr, "kvmrun: %s '%s': longer than %zu bytes, the most a UNIX socket's path may be\n",
			opt, arg, sizeof a.sun_path - 1);
		*status = EXIT_USAGE;
		return -1;
	}
	memcpy(a.sun_path, path, strlen(path) + 1);
	if (clear_path(opt, arg, &a, status) < 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		fprintf(stderr, "kvmrun: %s: cannot make a socket: %s\n", opt, strerror(errno));
		return open_fail(u, -1, path, status, EXIT_HOST);
	}
	old = umask(0177);	/* the socket file is born 0600: only its owner may steer the VM */
	if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0) {
		int e = errno;

		umask(old);
		fprintf(stderr, "kvmrun: %s '%s': cannot make the socket there: %s\n", opt, arg, strerror(e));
		return open_fail(u, fd, path, status, EXIT_USAGE);
	}
	umask(old);
	u->listen_fd = fd;
	if (listen(fd, backlog) < 0 || lstat(path, &st) < 0) {
		fprintf(stderr, "kvmrun: %s '%s': cannot listen there: %s\n", opt, arg, strerror(errno));
		return open_fail(u, -1, path, status, EXIT_HOST);
	}
	if (start_remover(u, opt, path, &st) < 0)
		return open_fail(u, -1, path, status, EXIT_HOST);
	return 0;
}

void usock_close(struct usock *u)
{
	struct pollfd p = { .fd = u->removed_fd, .events = POLLIN };

	if (u->listen_fd < 0)
		return;
	close(u->listen_fd);	/* from here a connect is refused */
	close(u->remover_fd);	/* the remover's EOF: it unlinks the socket and exits */
	while (poll(&p, 1, 2000) < 0 && errno == EINTR)
		;
	close(u->removed_fd);
	u->listen_fd = u->remover_fd = u->removed_fd = -1;
}
