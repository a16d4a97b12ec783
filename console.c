/*
 * Guest output to stdout, batched: one write(2) per flush, never per byte.
 * Guest input from stdin, read without ever blocking the VCPU.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
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

bool console_rx_ready(struct console *c)
{
	struct pollfd p = { .fd = c->in_fd, .events = POLLIN };
	ssize_t n;

	if (c->in_pos < c->in_len)
		return true;
	if (c->in_eof)
		return false;
	if (poll(&p, 1, 0) <= 0)
		return false;
	if (p.revents & POLLNVAL) {
		c->in_eof = true;
		return false;
	}
	n = read(c->in_fd, c->inbuf, sizeof c->inbuf);
	if (n > 0) {
		c->in_pos = 0;
		c->in_len = (size_t)n;
		return true;
	}
	if (n == 0 || (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK))
		c->in_eof = true;
	return false;
}

unsigned char console_getc(struct console *c)
{
	if (!console_rx_ready(c))
		return 0;
	return c->inbuf[c->in_pos++];
}
