/*
 * The control socket (--control PATH): a UNIX stream socket served by a
 * thread of its own, one request line in, one reply out, then the connection
 * closes. The thread only waits in ppoll, with a deadline per client, so a
 * client that says nothing or floods cannot hold it, and it never runs guest
 * code: it asks vcpu.c to pause, resume or end the run, and reads counters.
 *
 * Wire format (README, "The control socket"): a request is words separated by
 * spaces or tabs, ending in a newline (or in the end of the client's writing),
 * at most CTL_LINE_MAX bytes. A reply is "ok", or "ok" and key=value words,
 * on its first line, with more lines for stats and help; or "error MESSAGE".
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <linux/virtio_balloon.h>
#include <linux/virtio_ids.h>

#include "kvm.h"
#include "devices/virtio.h"
#include "snapshot/snapshot.h"

struct client {
	int fd;                  /* its slot: holds the connection while busy, null_fd's file while free */
	bool busy, replying;
	uint64_t deadline;       /* now_ns: to send the line, then to take the reply */
	size_t len;              /* bytes of the request in line */
	char line[CTL_LINE_MAX];
	int passed_fd;           /* a file that came with the request (snapshot FILE), -1 if none */
	char *reply;             /* malloc'd while replying */
	size_t reply_len, reply_pos;
};

struct control {
	struct usock sock;       /* the listening socket, and its file's remover */
	int null_fd;             /* /dev/null: what a free slot holds, so its number stays reserved */
	int snap_fd;             /* the slot a snapshot's file takes while it is written (null_fd's file otherwise) */
	struct vm *vm;
	pthread_t thread;
	bool started;
	int stop;                /* atomic: the thread leaves at its next look */
	pthread_mutex_t up_lock;
	pthread_cond_t up_cond;
	bool up;
	struct client cl[CTL_CLIENTS];
};

static const char help_text[] =
	"status            state (running, paused or stopping), seconds since start, vCPUs, RAM bytes\n"
	"stats             what --stats prints at exit, counted up to now\n"
	"pause             hold every vCPU out of guest code (the guest's clocks go on)\n"
	"resume            let the vCPUs run again\n"
	"balloon [SIZE]    the balloon's state; with SIZE (as --mem; 0: none), the RAM the guest is asked to give back\n"
	"quit [STATUS]     end the run now, with STATUS (0-255, default 0)\n"
	"snapshot FILE [--exit]  save the VM to FILE (kvmrun --restore FILE resumes it); with --exit, then end the run (status 0)\n"
	"help              this list\n";

/* ---- the socket (single-threaded, before the VM) ---- */

struct control *control_open(const char *path, int *status)
{
	struct control *c = calloc(1, sizeof *c);

	if (!c) {
		fprintf(stderr, "kvmrun: out of memory for the control socket\n");
		*status = EXIT_HOST;
		return NULL;
	}
	c->null_fd = -1;
	if (usock_open(&c->sock, "--control", path, path, 16, status) < 0) {
		free(c);
		return NULL;
	}
	return c;
}

/* ---- requests ---- */

/* A reply being built: a memory stream. */
struct reply {
	FILE *f;
	char *buf;
	size_t len;
};

/* "ok KEY=VALUE ...": the first line of a success. */
static void reply_ok(struct reply *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void reply_ok(struct reply *r, const char *fmt, ...)
{
	va_list ap;

	fputs("ok ", r->f);
	va_start(ap, fmt);
	vfprintf(r->f, fmt, ap);
	va_end(ap);
	fputc('\n', r->f);
}

/* "error MESSAGE": the whole reply of a failure. */
static void reply_error(struct reply *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void reply_error(struct reply *r, const char *fmt, ...)
{
	va_list ap;

	fputs("error ", r->f);
	va_start(ap, fmt);
	vfprintf(r->f, fmt, ap);
	va_end(ap);
	fputc('\n', r->f);
}

static const char *state(struct vm *vm)
{
	return vm_stopping(vm) ? "stopping" : vm_paused(vm) ? "paused" : "running";
}

static void do_balloon(struct vm *vm, struct reply *r, const char *arg)
{
	static const char *const names[] = VIRTIO_BALLOON_S_NAMES;
	struct virtio_dev *d = vm->pci ? pcim_find(vm->pci, VIRTIO_ID_BALLOON) : NULL;
	struct balloon_info bi;
	uint64_t bytes;
	const char *why;
	char reason[160];

	/* The SIZE is checked first: a malformed request is answered as such on any VM. */
	if (arg && parse_size(arg, &bytes, &why) < 0) {
		if (strcmp(why, "zero") != 0) {
			reply_error(r, "balloon '%s': %s", arg, why);
			return;
		}
		bytes = 0;	/* --mem refuses zero; an empty balloon is a fine target */
	}
	if (!d) {
		reply_error(r, "%s", CTL_NO_BALLOON);
	} else if (arg && balloon_set_target(d, bytes, reason, sizeof reason) < 0) {
		reply_error(r, "balloon '%s': %s", arg, reason);
	} else if (arg) {
		reply_ok(r, "target=%llu", (unsigned long long)bytes);
	} else {
		balloon_get(d, &bi);
		fprintf(r->f, "ok target=%llu actual=%llu reported=%llu released=%llu", (unsigned long long)bi.target,
			(unsigned long long)bi.actual, (unsigned long long)bi.reported,
			(unsigned long long)bi.released);
		for (unsigned t = 0; t < sizeof names / sizeof names[0]; t++)
			if (bi.stats_valid & (1u << t))
				fprintf(r->f, " %s=%llu", names[t], (unsigned long long)bi.stats[t]);
		fputc('\n', r->f);
	}
}


/* quit's STATUS: 0 to 255, decimal digits only. */
static bool parse_status(const char *s, int *out)
{
	unsigned v = 0;

	if (!*s || strlen(s) > 3)
		return false;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return false;
		v = v * 10 + (unsigned)(*p - '0');
	}
	if (v > 255)
		return false;
	*out = (int)v;
	return true;
}

/* The commands, and how many arguments each takes at most. */
static const struct { const char *name; unsigned max_args; } commands[] = {
	{ "status", 0 }, { "stats", 0 }, { "pause", 0 }, { "resume", 0 }, { "balloon", 1 }, { "quit", 1 }, { "help", 0 },
	{ "snapshot", 2 },
};

/* snapshot FILE [--exit]: the file came with the request (kvmrun ctl opens it); CPU 0 writes it. */
static void do_snapshot(struct control *c, struct client *k, struct reply *r, char *const *w, unsigned n)
{
	struct stat st;
	char why[256];
	bool exit_after = n == 3 && strcmp(w[2], "--exit") == 0;

	if (n < 2 || (n == 3 && !exit_after)) {
		reply_error(r, "usage: snapshot FILE [--exit]");
	} else if (k->passed_fd < 0) {
		reply_error(r, "snapshot: no file came with the request (send it as kvmrun ctl PATH snapshot FILE does)");
	} else if (fstat(k->passed_fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		reply_error(r, "snapshot '%s': not a regular file", w[1]);
	} else if (snap_refuse_reason(c->vm)) {
		reply_error(r, "snapshot: %s", snap_refuse_reason(c->vm));
	} else if (dup3(k->passed_fd, c->snap_fd, O_CLOEXEC) < 0) {
		reply_error(r, "snapshot: %s", strerror(errno));
	} else {
		if (snap_ctl(c->vm, c->snap_fd, w[1], exit_after, why, sizeof why) < 0)
			reply_error(r, "snapshot '%s': %s", w[1], why);
		else
			reply_ok(r, "snapshot=%s%s", w[1], exit_after ? " state=ended" : "");
		dup3(c->null_fd, c->snap_fd, O_CLOEXEC);	/* the file closes; the slot stays reserved */
	}
}

/* Carry out one request line (NUL-terminated, no newline) into r. */
static void serve(struct control *c, struct client *k, char *line, struct reply *r)
{
	struct vm *vm = c->vm;
	char *w[3], *save = NULL, *cmd, *arg;
	unsigned n = 0, i;

	for (char *p = line; *p; p++)
		if (((unsigned char)*p < 0x20 && *p != '\t') || *p == 0x7f) {
			reply_error(r, "the request holds a control character (0x%02x)", (unsigned char)*p);
			return;
		}
	for (char *t = strtok_r(line, " \t", &save); t && n < 3; t = strtok_r(NULL, " \t", &save))
		w[n++] = t;
	if (n == 0) {
		reply_error(r, "empty request; try help");
		return;
	}
	cmd = w[0];
	arg = n > 1 ? w[1] : NULL;
	for (i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (strcmp(cmd, commands[i].name) == 0)
			break;
	if (i == sizeof commands / sizeof commands[0]) {
		reply_error(r, "unknown command '%s'; try help", cmd);
	} else if (n - 1 > commands[i].max_args) {
		reply_error(r, commands[i].max_args == 2 ? "%s takes at most two arguments" :
			       commands[i].max_args ? "%s takes at most one argument" : "%s takes no argument", cmd);
	} else if (strcmp(cmd, "status") == 0) {
		reply_ok(r, "state=%s uptime=%.3f cpus=%u mem=%llu", state(vm), (now_ns() - vm->stats.start_ns) / 1e9,
			 vm->ncpus, (unsigned long long)vm->mem.size);
	} else if (strcmp(cmd, "stats") == 0) {
		fputs("ok\n", r->f);
		vm_report_stats(vm, r->f);
	} else if (strcmp(cmd, "pause") == 0) {
		if (vm_pause(vm, PAUSE_CONTROL) < 0)
			reply_error(r, "the run is ending");
		else
			reply_ok(r, "state=paused");
	} else if (strcmp(cmd, "resume") == 0) {
		if (vm_stopping(vm)) {
			reply_error(r, "the run is ending");
		} else {
			vm_resume(vm, PAUSE_CONTROL);
			if (vm_held_by(vm, PAUSE_GDB))
				reply_error(r, "gdb holds the guest: continue it from gdb");
			else
				reply_ok(r, "state=running");
		}
	} else if (strcmp(cmd, "balloon") == 0) {
		do_balloon(vm, r, arg);
	} else if (strcmp(cmd, "snapshot") == 0) {
		do_snapshot(c, k, r, w, n);
	} else if (strcmp(cmd, "quit") == 0) {
		struct run_end e = { .kind = END_CONTROL };

		if (arg && !parse_status(arg, &e.status))
			reply_error(r, "quit '%s': a status is 0 to 255", arg);
		else if (!vm_end_now(vm, &e))
			reply_error(r, "the run is ending");
		else
			reply_ok(r, "status=%d", e.status);
	} else {
		fputs("ok\n", r->f);
		fputs(help_text, r->f);
	}
}

/* ---- the thread ---- */

#define LOAD(x)      __atomic_load_n(&(x), __ATOMIC_SEQ_CST)

/* Free a slot: the connection closes as the slot takes /dev/null's file again. */
static void drop(struct control *c, struct client *k)
{
	dup3(c->null_fd, k->fd, O_CLOEXEC);
	if (k->passed_fd >= 0)
		close(k->passed_fd);
	k->passed_fd = -1;
	free(k->reply);
	k->reply = NULL;
	k->busy = k->replying = false;
}

/* Write what the socket takes now; drop the client when all is out or it failed. */
static void push(struct control *c, struct client *k)
{
	while (k->reply_pos < k->reply_len) {
		ssize_t n = write(k->fd, k->reply + k->reply_pos, k->reply_len - k->reply_pos);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;	/* the client reads slowly: ppoll waits for room, up to its deadline */
		if (n <= 0)
			break;
		k->reply_pos += (size_t)n;
	}
	drop(c, k);
}

/* The client's reply is r (or the error fmt): send it from now on. */
static void answer(struct control *c, struct client *k, struct reply *r)
{
	fclose(r->f);
	if (!r->buf) {
		drop(c, k);	/* out of memory: the client sees the connection close */
		return;
	}
	k->reply = r->buf;
	k->reply_len = r->len;
	k->reply_pos = 0;
	k->replying = true;
	k->deadline = now_ns() + CTL_CLIENT_NS;
	push(c, k);
}

static bool reply_open(struct reply *r)
{
	r->buf = NULL;
	r->len = 0;
	r->f = open_memstream(&r->buf, &r->len);
	return r->f != NULL;
}

static void answer_error(struct control *c, struct client *k, const char *msg)
{
	struct reply r;

	if (!reply_open(&r)) {
		drop(c, k);
		return;
	}
	reply_error(&r, "%s", msg);
	answer(c, k, &r);
}

/* Read from the client, taking a descriptor that comes along (the first kept; any other closed). */
static ssize_t recv_line(struct client *k, char *buf, size_t len)
{
	union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int) * 4)]; } u;
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf };
	ssize_t n = recvmsg(k->fd, &m, MSG_CMSG_CLOEXEC);

	for (struct cmsghdr *c = n >= 0 ? CMSG_FIRSTHDR(&m) : NULL; c; c = CMSG_NXTHDR(&m, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i * sizeof fd, sizeof fd);
			if (k->passed_fd < 0)
				k->passed_fd = fd;
			else
				close(fd);
		}
	}
	return n;
}

/* Read what the client sent; at a newline (or its EOF) serve the line. */
static void take(struct control *c, struct client *k)
{
	struct reply r;
	char *nl;
	ssize_t n;

	do
		n = recv_line(k, k->line + k->len, sizeof k->line - k->len);
	while (n < 0 && errno == EINTR);
	if (n < 0 && errno == EAGAIN)
		return;
	if (n < 0 || (n == 0 && k->len == 0)) {
		drop(c, k);	/* gone before saying anything */
		return;
	}
	k->len += (size_t)n;
	nl = memchr(k->line, '\n', k->len);
	if (!nl && n > 0 && k->len < sizeof k->line)
		return;	/* more to come */
	if (!nl && k->len == sizeof k->line) {
		answer_error(c, k, "request longer than 4096 bytes");
		return;
	}
	if (!nl)
		nl = k->line + k->len;	/* EOF ends the line, so printf status | socat works too */
	if (nl > k->line && nl[-1] == '\r')
		nl--;	/* a CRLF client */
	if (memchr(k->line, 0, (size_t)(nl - k->line))) {
		answer_error(c, k, "the request holds a control character (0x00)");
		return;
	}
	*nl = 0;
	if (!reply_open(&r)) {
		drop(c, k);
		return;
	}
	serve(c, k, k->line, &r);
	answer(c, k, &r);
}

static void accept_one(struct control *c)
{
	struct client *k = NULL;
	int fd;

	for (unsigned i = 0; i < CTL_CLIENTS && !k; i++)
		if (!c->cl[i].busy)
			k = &c->cl[i];
	if (!k)
		return;
	fd = accept4(c->sock.listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;	/* gone already, or EAGAIN: nothing to do */
	/* Onto the slot the filter knows; dup3 closes the slot's /dev/null. The flags travel with the file. */
	if (dup3(fd, k->fd, O_CLOEXEC) < 0) {
		close(fd);
		return;
	}
	close(fd);
	k->busy = true;
	k->replying = false;
	k->len = 0;
	k->deadline = now_ns() + CTL_CLIENT_NS;
}

static void *control_thread(void *arg)
{
	struct control *c = arg;
	struct vm_shared *sh = &c->vm->shared;
	struct pollfd p[CTL_CLIENTS + 1];
	sigset_t kick;

	pthread_mutex_lock(&c->up_lock);
	c->up = true;	/* past this thread's start-up (glibc's rseq registration): the filter may come */
	pthread_cond_broadcast(&c->up_cond);
	pthread_mutex_unlock(&c->up_lock);
	/* Nothing is served before the CPUs run: then pause finds them all, and stats a finished setup. */
	pthread_mutex_lock(&sh->lock);
	while (!sh->go && !vm_stopping(c->vm) && !LOAD(c->stop))
		pthread_cond_wait(&sh->cond, &sh->lock);
	pthread_mutex_unlock(&sh->lock);

	/* ppoll takes the kick only while it waits: a kick sent at any other time stays pending until then. */
	pthread_sigmask(SIG_BLOCK, NULL, &kick);
	sigdelset(&kick, stop_kick_signal());
	while (!LOAD(c->stop)) {
		uint64_t now = now_ns(), wait = UINT64_MAX;
		unsigned free_slots = 0;
		struct timespec ts;

		for (unsigned i = 0; i < CTL_CLIENTS; i++) {
			struct client *k = &c->cl[i];

			p[i] = (struct pollfd){ .fd = -1 };
			if (!k->busy) {
				free_slots++;
				continue;
			}
			if (now >= k->deadline) {
				if (!k->replying)
					answer_error(c, k, "no request within 5 s");	/* one try, then it goes */
				if (k->busy)
					drop(c, k);
				free_slots++;
				continue;
			}
			p[i] = (struct pollfd){ .fd = k->fd, .events = k->replying ? POLLOUT : POLLIN };
			if (k->deadline - now < wait)
				wait = k->deadline - now;
		}
		p[CTL_CLIENTS] = (struct pollfd){ .fd = free_slots ? c->sock.listen_fd : -1, .events = POLLIN };
		ts = (struct timespec){ .tv_sec = (time_t)(wait / 1000000000ULL), .tv_nsec = (long)(wait % 1000000000ULL) };
		if (ppoll(p, CTL_CLIENTS + 1, wait == UINT64_MAX ? NULL : &ts, &kick) < 0)
			continue;	/* EINTR: the kick, or a spurious wake; the loop looks at stop */
		for (unsigned i = 0; i < CTL_CLIENTS && !LOAD(c->stop); i++) {
			if (!c->cl[i].busy || !p[i].revents)
				continue;
			if (c->cl[i].replying)
				push(c, &c->cl[i]);
			else
				take(c, &c->cl[i]);
		}
		if (p[CTL_CLIENTS].revents & POLLIN)
			accept_one(c);
	}
	return NULL;
}

/*
 * CTL_CLIENTS consecutive descriptors, each a copy of /dev/null: the slots.
 * F_DUPFD gives the lowest free number at or above its argument; when that is
 * not the next one, another descriptor sits there, and the search starts over
 * above it.
 */
static int reserve_slots(struct control *c)
{
	int lo = 0;

	for (;;) {
		unsigned got = 0;

		while (got < CTL_CLIENTS) {
			int fd = fcntl(c->null_fd, F_DUPFD_CLOEXEC, lo + (int)got);

			if (fd < 0) {
				for (unsigned i = 0; i < got; i++)
					close(lo + (int)i);
				return -1;
			}
			if (fd != lo + (int)got) {
				for (unsigned i = 0; i < got; i++)
					close(lo + (int)i);
				close(fd);
				lo = fd;
				got = 0;
				continue;
			}
			got++;
		}
		for (unsigned i = 0; i < CTL_CLIENTS; i++)
			c->cl[i].fd = lo + (int)i;
		return 0;
	}
}

int control_start(struct control *c, struct vm *vm, struct sandbox *sb)
{
	sigset_t all, old;
	int e;

	c->vm = vm;
	c->null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (c->null_fd < 0 || reserve_slots(c) < 0 ||
	    (c->snap_fd = fcntl(c->null_fd, F_DUPFD_CLOEXEC, 0)) < 0) {
		fprintf(stderr, "kvmrun: --control: cannot reserve descriptors for its clients: %s\n", strerror(errno));
		return -1;
	}
	if (pthread_mutex_init(&c->up_lock, NULL) != 0 || pthread_cond_init(&c->up_cond, NULL) != 0) {
		fprintf(stderr, "kvmrun: --control: cannot create its lock\n");
		return -1;
	}
	sigfillset(&all);	/* the process's signals stay CPU 0's; the kick is taken in ppoll only */
	pthread_sigmask(SIG_SETMASK, &all, &old);
	e = pthread_create(&c->thread, NULL, control_thread, c);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e) {
		fprintf(stderr, "kvmrun: --control: cannot start its thread: %s\n", strerror(e));
		return -1;
	}
	c->started = true;
	pthread_mutex_lock(&c->up_lock);
	while (!c->up)
		pthread_cond_wait(&c->up_cond, &c->up_lock);
	pthread_mutex_unlock(&c->up_lock);
	sb->ctl_listen_fd = c->sock.listen_fd;
	sb->ctl_fd_lo = c->cl[0].fd;
	sb->nctl_fds = CTL_CLIENTS;
	sb->ctl_snap_fd = c->snap_fd;
	sb->snap_fd[SNAP_CTL] = c->snap_fd;	/* its file is written there, as the other sources' */
	for (unsigned i = 0; i < CTL_CLIENTS; i++)
		c->cl[i].passed_fd = -1;
	return 0;
}

void control_stop(struct control *c)
{
	if (!c || !c->started)
		return;
	__atomic_store_n(&c->stop, 1, __ATOMIC_SEQ_CST);
	/* It may wait for the run's start (a condition) or in ppoll (the kick). */
	pthread_mutex_lock(&c->vm->shared.lock);
	pthread_cond_broadcast(&c->vm->shared.cond);
	pthread_mutex_unlock(&c->vm->shared.lock);
	pthread_kill(c->thread, stop_kick_signal());
	pthread_join(c->thread, NULL);
	c->started = false;
	for (unsigned i = 0; i < CTL_CLIENTS; i++)
		if (c->cl[i].busy)
			drop(c, &c->cl[i]);
}

void control_close(struct control *c)
{
	if (!c)
		return;
	control_stop(c);
	usock_close(&c->sock);	/* the socket file is gone when this returns */
	/* The slots and /dev/null close with the process: close is allowed, but nothing needs it. */
	free(c);
}
