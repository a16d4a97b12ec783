/*
 * Guest output to stdout, batched: one write(2) per flush, never per byte.
 * Guest input from stdin, read without ever blocking the VCPU.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "kvm.h"

void console_init(struct console *c, int out_fd, int in_fd)
{
	c->out_fd = out_fd;
	c->in_fd = in_fd;
	c->len = 0;
	c->in_eof = false;
	c->in_pos = c->in_len = 0;
	c->out_errno = 0;
	c->give_up = NULL;
	c->interactive = c->escape = c->quit = false;
}

static int interrupted(struct console *c)
{
	if (c->give_up && c->give_up()) {
		c->out_errno = EINTR;
		return 1;
	}
	return 0;
}

int console_flush(struct console *c)
{
	size_t done = 0;

	if (c->out_errno)
		return -1;
	while (done < c->len) {
		ssize_t n = write(c->out_fd, c->buf + done, c->len - done);

		if (n > 0) {
			done += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR) {
			if (interrupted(c))
				goto keep;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			/* A non-blocking stdout: wait until the reader catches up. */
			struct pollfd p = { .fd = c->out_fd, .events = POLLOUT };

			if (poll(&p, 1, -1) < 0) {
				if (errno != EINTR)
					c->out_errno = errno;
				else if (!interrupted(c))
					continue;
				goto keep;
			}
			continue;
		}
		c->out_errno = n < 0 ? errno : EIO;
		goto keep;
	}
	c->len = 0;
	return 0;
keep:
	/* What was written is gone from the buffer; the rest is lost with the reader. */
	memmove(c->buf, c->buf + done, c->len - done);
	c->len -= done;
	return -1;
}

int console_put(struct console *c, unsigned char byte)
{
	if (c->len == sizeof c->buf && console_flush(c) < 0)
		return -1;
	c->buf[c->len++] = byte;
	return 0;
}

/*
 * Keep what the guest may read from the bytes just read at inbuf[from..to):
 * on a terminal, Ctrl-A commands are taken out and acted on.
 */
static size_t keep_input(struct console *c, size_t from, size_t to)
{
	size_t out = from;

	for (size_t i = from; i < to; i++) {
		unsigned char b = c->inbuf[i];

		if (!c->interactive) {
			c->inbuf[out++] = b;
		} else if (c->escape) {
			c->escape = false;
			if (b == 'x' || b == 'X')
				c->quit = true;
			else if (b == 'h' || b == 'H' || b == '?')
				fprintf(stderr, "\r\nkvmrun: Ctrl-A x quit (status %d), Ctrl-A h this help, "
					"Ctrl-A Ctrl-A send Ctrl-A to the guest\r\n", EXIT_QUIT);
			else if (b == CONSOLE_ESCAPE)
				c->inbuf[out++] = b;
		} else if (b == CONSOLE_ESCAPE) {
			c->escape = true;
		} else {
			c->inbuf[out++] = b;
		}
	}
	return out;
}

/* Read what stdin has now, appending to inbuf; never blocks. */
static void fill(struct console *c)
{
	struct pollfd p = { .fd = c->in_fd, .events = POLLIN };
	ssize_t n;

	if (c->in_eof || c->quit)
		return;
	if (c->in_pos == c->in_len)
		c->in_pos = c->in_len = 0;
	if (c->in_len == sizeof c->inbuf)
		return;
	if (poll(&p, 1, 0) <= 0)
		return;
	if (p.revents & POLLNVAL) {
		c->in_eof = true;
		return;
	}
	n = read(c->in_fd, c->inbuf + c->in_len, sizeof c->inbuf - c->in_len);
	if (n > 0)
		c->in_len = keep_input(c, c->in_len, c->in_len + (size_t)n);
	else if (n == 0 || (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK))
		c->in_eof = true;
}

bool console_rx_ready(struct console *c)
{
	if (c->in_pos == c->in_len)
		fill(c);
	return c->in_pos < c->in_len;
}

void console_pump(struct console *c)
{
	if (c->interactive)
		fill(c);
}

/* The terminal as it was, restored on every way out (atexit included). */
static struct termios saved;
static bool saved_valid;

void console_restore(void)
{
	if (saved_valid && tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved) == 0)
		saved_valid = false;
}

int console_interactive(struct console *c)
{
	struct termios raw;

	if (!isatty(c->in_fd) || tcgetattr(c->in_fd, &saved) < 0)
		return 0;
	raw = saved;
	cfmakeraw(&raw);
	raw.c_oflag = saved.c_oflag;	/* output as before: the guest's \n still starts a line */
	saved_valid = true;
	atexit(console_restore);
	if (tcsetattr(c->in_fd, TCSAFLUSH, &raw) < 0) {
		saved_valid = false;
		perror("kvmrun: cannot put the terminal in raw mode");
		return -1;
	}
	c->interactive = true;
	return 0;
}

unsigned char console_getc(struct console *c)
{
	if (!console_rx_ready(c))
		return 0;
	return c->inbuf[c->in_pos++];
}
