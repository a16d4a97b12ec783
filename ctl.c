/*
 * kvmrun ctl PATH COMMAND [ARGS...]: the control socket's client, in the same
 * binary. The words become one request line; the reply's first line says ok
 * or error. An ok reply is printed without its "ok" (its key=value words, then
 * any further lines), so scripts read it directly; an error goes to stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "kvm.h"

#define CTL_USAGE "usage: kvmrun ctl PATH COMMAND [ARGS...] (kvmrun ctl PATH help lists the commands)"
#define CTL_REPLY_MAX (1 << 20)

static int ctl_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int ctl_usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "kvmrun: ctl: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "; " CTL_USAGE "\n");
	return EXIT_USAGE;
}

/* Write all of buf; a peer that closed early may still have answered, so failure is not fatal here. */
static void send_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		buf += n;
		len -= (size_t)n;
	}
}

/*
 * talk: send the request to the socket at a (path, for messages), read the
 * reply into reply (CTL_REPLY_MAX + 1 bytes) and print it; the exit status.
 */
static int talk(const struct sockaddr_un *a, const char *path, const char *req, size_t len, char *reply,
		int file_fd)
{
	struct timeval tv = { .tv_sec = CTL_REPLY_S };
	const char *body;
	size_t got = 0;
	int fd;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	/* A kvmrun that never answers (stopped, its backlog full) fails the call after CTL_REPLY_S s. */
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) < 0 ||
	    connect(fd, (const struct sockaddr *)a, sizeof *a) < 0) {
		fprintf(stderr, "kvmrun: ctl: cannot connect to '%s': %s\n", path,
			errno == EAGAIN ? "no answer (is that kvmrun stopped?)" : strerror(errno));
		return EXIT_CTL_CONNECT;
	}
	if (file_fd >= 0) {	/* snapshot FILE: the file travels with the request's first byte */
		union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int))]; } u;
		struct iovec iov = { .iov_base = (void *)req, .iov_len = 1 };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
				    .msg_controllen = sizeof u.buf };
		struct cmsghdr *c;

		memset(&u, 0, sizeof u);
		c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &file_fd, sizeof file_fd);
		if (sendmsg(fd, &m, MSG_NOSIGNAL) == 1) {
			req++;
			len--;
		}
	}
	send_all(fd, req, len);
	for (;;) {
		ssize_t n = read(fd, reply + got, CTL_REPLY_MAX - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			fprintf(stderr, "kvmrun: ctl: '%s': no reply within %d s\n", path, CTL_REPLY_S);
			return EXIT_CTL_CONNECT;
		}
		if (n <= 0)
			break;	/* EOF; or ECONNRESET: a server that refused a long line answered first */
		got += (size_t)n;
		if (got == CTL_REPLY_MAX)
			break;
	}
	close(fd);
	reply[got] = 0;
	if (strncmp(reply, "error ", 6) == 0) {
		fprintf(stderr, "kvmrun: ctl: %s", reply + 6);
		if (got && reply[got - 1] != '\n')
			fputc('\n', stderr);
		return EXIT_CTL_ERROR;
	}
	if (strncmp(reply, "ok\n", 3) == 0) {
		body = reply + 3;
	} else if (strncmp(reply, "ok ", 3) == 0) {
		body = reply + 3;
	} else {
		fprintf(stderr, "kvmrun: ctl: '%s': %s\n", path, got ? "a reply that is neither ok nor error" :
			"no reply: the connection closed");
		return EXIT_CTL_CONNECT;
	}
	fputs(body, stdout);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "kvmrun: ctl: writing the reply to stdout failed: %s\n", strerror(errno));
		return EXIT_HOST;
	}
	return 0;
}

int ctl_main(int argc, char **argv)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	const char *path;
	char *req, *reply;
	size_t len = 0;
	int fd;

	signal(SIGPIPE, SIG_IGN);	/* a server that closed first is reported, not a silent death */
	if (argc > 1 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		printf(CTL_USAGE "\n"
		       "Send COMMAND to the kvmrun that serves the control socket PATH (--control PATH)\n"
		       "and print its reply.\n"
		       "Exit status: 0 ok, 1 the command failed (its message on stderr), 2 usage,\n"
		       "3 no kvmrun answers at PATH.\n");
		return 0;
	}
	if (argc > 1 && argv[1][0] == '-' && argv[1][1])
		return ctl_usage("unknown option '%s'", argv[1]);
	if (argc < 2)
		return ctl_usage("no socket PATH given");
	if (argc < 3)
		return ctl_usage("no COMMAND given after '%s'", argv[1]);
	path = argv[1];
	if (strlen(path) >= sizeof a.sun_path)
		return ctl_usage("'%s': too long for a UNIX socket's path", path);
	memcpy(a.sun_path, path, strlen(path) + 1);

	for (int i = 2; i < argc; i++) {
		if (strchr(argv[i], '\n'))
			return ctl_usage("'%s': a newline would end the request line", argv[i]);
		len += strlen(argv[i]) + 1;
	}
	req = malloc(len + 1);
	reply = malloc(CTL_REPLY_MAX + 1);
	if (!req || !reply) {
		fprintf(stderr, "kvmrun: ctl: out of memory\n");
		free(req);
		free(reply);
		return EXIT_HOST;
	}
	req[0] = 0;
	for (int i = 2; i < argc; i++) {
		strcat(req, argv[i]);
		strcat(req, i + 1 < argc ? " " : "\n");
	}

	/* snapshot FILE: opened here, with the caller's rights and working directory, and handed over. */
	fd = -1;
	if (argc > 3 && strcmp(argv[2], "snapshot") == 0 &&
	    (fd = open(argv[3], O_WRONLY | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600)) < 0) {
		fprintf(stderr, "kvmrun: ctl: snapshot file '%s': %s\n", argv[3], strerror(errno));
		free(req);
		free(reply);
		return EXIT_CTL_ERROR;
	}
	{
		int file_fd = fd;

		fd = talk(&a, path, req, len, reply, file_fd);
		if (file_fd >= 0)
			close(file_fd);
	}
	free(req);
	free(reply);
	return fd;
}
