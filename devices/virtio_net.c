/*
 * virtio-net (virtio 1.x, 5.1): one receive and one transmit queue over a
 * tap or a UNIX stream socket (net_backend.c). Everything runs on the
 * device's thread under its lock; the backend is non-blocking and is polled
 * only for what can be taken now:
 * - receive: chains are taken from the ring ahead of need and held, in
 *   ring order, across frames. While the held chains can take the largest
 *   frame, a tap's next frame is read straight into them (one readv, header
 *   and frame) and takes only the chains it filled. Otherwise a frame is
 *   read into a stage (the tap's header and frame, or the stream's
 *   reassembled frame), then copied into as many of the guest's buffers as
 *   it needs (one chain, or several with MRG_RXBUF). While a staged frame
 *   waits for buffers the backend is not read: the tap's queue or the
 *   socket holds what follows, nothing is lost. A frame no set of the
 *   guest's buffers can hold is dropped and counted.
 * - transmit: a chain goes to the tap as it is (header and frame, one
 *   writev), or to the socket as a 4-byte big-endian length and the frame.
 *   A tap that says EAGAIN keeps the chain in the queue; a socket that takes
 *   part of a frame keeps the rest in a buffer: both wait for POLLOUT.
 * The offloads the driver accepted go to the tap (TUNSETOFFLOAD) when it
 * first serves the queues after DRIVER_OK. With EVENT_IDX (offered by this
 * device only) the driver kicks only after the device found a ring empty,
 * and is interrupted only when the used index passes its used_event.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <linux/if_tun.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

#include "virtio.h"

#define Q_RX  0
#define Q_TX  1
#define BATCH 64                        /* frames each way per pass: the vCPUs wait on the lock meanwhile */
#define RX_IOV 1024                     /* buffers one received frame may span (IOV_MAX) */
#define PCI_CLASS_NETWORK_ETHERNET_ 0x020000

_Static_assert(sizeof(struct virtio_net_hdr_v1) == NET_HDR_LEN, "the header VERSION_1 uses");

/* A NIC's state, all the device thread's (under the device's lock). */
struct nic {
	struct netdev *n;
	char name[24];                  /* "virtio-net eth0", for -v and --stats */
	bool settled;                   /* the driver's offloads are on the tap (since DRIVER_OK) */
	bool dead;                      /* the backend failed or its peer left: the link is down */
	bool tx_blocked;                /* the backend said EAGAIN: wait for POLLOUT */
	bool more;                      /* a pass ended with work left: poll without waiting */
	short events;                   /* what poll_fd asked for */
	bool said[NET_DROPS];           /* -v: each cause said once */
	/* Receive: the frame waiting for the guest's buffers. */
	bool staged;
	uint8_t hdr[NET_HDR_LEN];
	const uint8_t *frame;
	uint32_t len;
	uint8_t *tap_buf;               /* tap: the header and frame as read, and one byte to see a longer one */
	struct net_stream *rs;          /* stream: the reassembly */
	/* Transmit to a stream: the frame going out, its length first. */
	uint8_t *tx_buf;
	uint32_t tx_len, tx_off;
	struct vq_chain c;              /* the chain vq_pop just took */
	/*
	 * Receive chains taken from the ring ahead of the frames that fill
	 * them, oldest first: chain i is heads[i], the next cnt[i] of iov,
	 * clen[i] writable bytes. A frame takes them from the front; the rest
	 * wait for the next frames. Invariant: they are the last nheld chains
	 * vq_pop took from the receive queue (it is popped nowhere else, and
	 * every chain before them has been pushed), so vq_unpop(nheld) gives
	 * them all back (net_give_back_held).
	 */
	unsigned nheld, niov;
	uint64_t held_bytes;            /* the sum of clen */
	struct iovec iov[RX_IOV];
	unsigned cnt[VQ_MAX_SIZE];
	uint16_t heads[VQ_MAX_SIZE];
	uint32_t clen[VQ_MAX_SIZE];
	uint32_t written[VQ_MAX_SIZE];
	struct iovec rd[RX_IOV];        /* a direct read: the held buffers' first bytes and one byte past */
	uint8_t past;                   /* where a frame longer than NET_MAX_FRAME shows itself */
};

static void drop(struct nic *x, enum net_drop why)
{
	x->n->drops[why]++;
}

/* -v: the first drop of each cause, said once. */
static void say_drops(struct virtio_dev *d, struct nic *x)
{
	for (unsigned i = 0; i < NET_DROPS; i++) {
		if (!x->n->drops[i] || x->said[i])
			continue;
		x->said[i] = true;
		if (d->vm->verbose)
			fprintf(stderr, "kvmrun: %s: dropped a frame: %s (said once; --stats counts them)\n", x->name,
				net_drop_names[i]);
	}
}

/*
 * net_give_back_held: the receive chains held but not filled go back to the
 * ring untouched, as if never taken (valid by the invariant in struct nic:
 * they are the last ones popped). After a reset the queue they came from is
 * gone: they are only forgotten. Under the lock, on the device's thread or
 * with it stopped.
 */
static void net_give_back_held(struct virtio_dev *d)
{
	struct nic *x = d->backend;

	if (x->nheld && d->vq[Q_RX].ready)
		vq_unpop(&d->vq[Q_RX], (uint16_t)x->nheld);
	x->nheld = x->niov = 0;
	x->held_bytes = 0;
}

/* The backend is gone (err 0: the peer closed): the link goes down, frames to it are dropped. */
static void backend_gone(struct virtio_dev *d, struct nic *x, int err)
{
	if (x->dead)
		return;
	x->dead = true;
	net_give_back_held(d);	/* no frame will fill them */
	if (err)
		fprintf(stderr, "kvmrun: %s: the %s failed (%s); the link is down\n", x->name,
			x->n->kind == NET_TAP ? "tap" : "socket", strerror(err));
	else
		fprintf(stderr, "kvmrun: %s: the socket's peer closed the connection; the link is down\n", x->name);
	virtio_config_changed(d);
}

/* After DRIVER_OK, once: the tap makes only the frames the driver accepted (the guest's offloads). */
static void settle(struct virtio_dev *d, struct nic *x)
{
	unsigned long off = 0;

	if (x->settled)
		return;
	x->settled = true;
	if (x->n->kind != NET_TAP)
		return;
	if (virtio_negotiated(d, VIRTIO_NET_F_GUEST_CSUM)) {
		off |= TUN_F_CSUM;
		if (virtio_negotiated(d, VIRTIO_NET_F_GUEST_TSO4))
			off |= TUN_F_TSO4;
		if (virtio_negotiated(d, VIRTIO_NET_F_GUEST_TSO6))
			off |= TUN_F_TSO6;
		if (virtio_negotiated(d, VIRTIO_NET_F_GUEST_ECN))
			off |= TUN_F_TSO_ECN;
	}
	if (ioctl(x->n->fd, TUNSETOFFLOAD, off) < 0)
		fprintf(stderr, "kvmrun: %s: the tap refused the guest's offloads 0x%lx (%s); frames that need "
			"them are dropped\n", x->name, off, strerror(errno));
}

/* Is a frame staged? Reads the backend when none is. */
static bool stage(struct virtio_dev *d, struct nic *x)
{
	struct netdev *n = x->n;
	size_t got = 0, room;
	ssize_t r;

	if (x->staged)
		return true;
	for (unsigned tries = 0; !x->dead && tries < BATCH; tries++) {
		if (n->kind == NET_STREAM) {
			uint8_t *at;

			if (net_stream_frame(x->rs, got, &x->frame, &x->len, n->drops)) {
				memset(x->hdr, 0, sizeof x->hdr);
				return x->staged = true;
			}
			at = net_stream_space(x->rs, &room);
			r = read(n->fd, at, room);
		} else {
			r = read(n->fd, x->tap_buf, NET_HDR_LEN + NET_MAX_FRAME + 1);
		}
		got = 0;
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN)
			return false;
		if (r <= 0) {
			backend_gone(d, x, r < 0 ? errno : 0);
			return false;
		}
		if (n->kind == NET_STREAM) {
			got = (size_t)r;
		} else if (r > NET_HDR_LEN + NET_MAX_FRAME) {
			drop(x, NET_RX_TOO_BIG);	/* cannot be with the tap's MTU and offloads: said anyway */
		} else if (r < NET_HDR_LEN + NET_MIN_FRAME) {
			drop(x, NET_RX_RUNT);
		} else {
			memcpy(x->hdr, x->tap_buf, NET_HDR_LEN);
			x->frame = x->tap_buf + NET_HDR_LEN;
			x->len = (uint32_t)r - NET_HDR_LEN;
			return x->staged = true;
		}
	}
	x->more = !x->dead;	/* a run of dropped frames: the rest next pass */
	return false;
}

static void unstage(struct nic *x)
{
	if (x->n->kind == NET_STREAM)
		net_stream_pop(x->rs);
	x->staged = false;
}

enum hold { HELD, HOLD_WAIT, HOLD_NEVER, HOLD_BROKEN };

/* The bytes the first max held chains hold. */
static uint64_t held_in(const struct nic *x, unsigned max)
{
	uint64_t sum = 0;

	if (max >= x->nheld)
		return x->held_bytes;
	for (unsigned i = 0; i < max; i++)
		sum += x->clen[i];
	return sum;
}

/*
 * Take receive chains until the first max held ones hold need bytes (max
 * 1 without MRG_RXBUF: a frame fits one chain). HELD: they do; HOLD_WAIT:
 * the ring has no more for now (with EVENT_IDX the driver now kicks for
 * the next); HOLD_NEVER: they cannot (max chains, or the whole queue,
 * held; or RX_IOV buffers); HOLD_BROKEN: the driver broke a rule.
 */
static enum hold hold(struct virtio_dev *d, struct nic *x, uint64_t need, unsigned max)
{
	struct vq *q = &d->vq[Q_RX];
	char why[160];
	int r;

	for (;;) {
		if (held_in(x, max) >= need)
			return HELD;
		if (x->nheld >= max || x->nheld >= q->size)
			return HOLD_NEVER;
		r = vq_pop(q, &d->vm->mem, &x->c, why, sizeof why);
		if (r < 0) {
			virtio_fail(d, why);
			return HOLD_BROKEN;
		}
		if (r == 0)
			return HOLD_WAIT;
		if (x->c.out_len < NET_HDR_LEN) {
			snprintf(why, sizeof why, "a receive buffer of %llu bytes, less than the %d-byte header",
				 (unsigned long long)x->c.out_len, NET_HDR_LEN);
			virtio_fail(d, why);
			return HOLD_BROKEN;
		}
		if (x->niov + x->c.nout > RX_IOV) {
			vq_unpop(q, 1);	/* the last taken, so the held chains stay the last ones */
			return HOLD_NEVER;
		}
		memcpy(x->iov + x->niov, x->c.out, x->c.nout * sizeof x->c.out[0]);
		x->niov += x->c.nout;
		x->cnt[x->nheld] = x->c.nout;
		x->heads[x->nheld] = x->c.head;
		x->clen[x->nheld++] = (uint32_t)x->c.out_len;	/* <= VQ_MAX_CHAIN */
		x->held_bytes += x->c.out_len;
	}
}

/* How many held chains, from the first, bytes take (all of them when they hold less). */
static unsigned chains_for(const struct nic *x, uint64_t bytes)
{
	uint64_t cap = 0;
	unsigned k = 0;

	while (cap < bytes && k < x->nheld)
		cap += x->clen[k++];
	return k;
}

/* The first k held chains, filled with written[i] bytes each, go to the driver; the rest stay held. */
static void use_held(struct virtio_dev *d, struct nic *x, unsigned k)
{
	unsigned iovs = 0;

	for (unsigned i = 0; i < k; i++) {
		virtio_used(d, Q_RX, x->heads[i], x->written[i]);
		d->st.bytes_out += x->written[i];
		iovs += x->cnt[i];
		x->held_bytes -= x->clen[i];
	}
	x->nheld -= k;
	x->niov -= iovs;
	memmove(x->iov, x->iov + iovs, x->niov * sizeof x->iov[0]);
	memmove(x->cnt, x->cnt + k, x->nheld * sizeof x->cnt[0]);
	memmove(x->heads, x->heads + k, x->nheld * sizeof x->heads[0]);
	memmove(x->clen, x->clen + k, x->nheld * sizeof x->clen[0]);
}

/*
 * The staged frame into the guest's buffers: 1 when it went (or was
 * dropped), 0 when it waits for more buffers, -1 when the driver broke a rule.
 */
static int deliver(struct virtio_dev *d, struct nic *x)
{
	struct virtio_net_hdr_v1 h;
	bool mrg = virtio_negotiated(d, VIRTIO_NET_F_MRG_RXBUF);
	uint64_t need = (uint64_t)NET_HDR_LEN + x->len;
	unsigned k;

	memcpy(&h, x->hdr, sizeof h);
	if (net_rx_header(&h, d->driver_features) != NET_DROPS) {
		drop(x, NET_RX_BAD_HEADER);
		unstage(x);
		return 1;
	}
	switch (hold(d, x, need, mrg ? VQ_MAX_SIZE : 1)) {
	case HOLD_BROKEN:
		return -1;
	case HOLD_WAIT:
		return 0;	/* the driver may post more */
	case HOLD_NEVER:
		drop(x, NET_RX_NO_ROOM);	/* as many buffers as it can post are too small */
		unstage(x);
		return 1;
	case HELD:
		break;
	}
	k = chains_for(x, need);
	h.num_buffers = (uint16_t)(mrg ? k : 1);	/* x86: little-endian, as virtio 1.x */
	net_rx_fill(x->iov, x->cnt, k, (const uint8_t *)&h, x->frame, x->len, x->written);
	use_held(d, x, k);
	x->n->rx_frames++;
	x->n->rx_bytes += x->len;
	unstage(x);
	return 1;
}

/*
 * A tap with no frame staged: when the held chains can take the largest
 * frame, read the next one straight into them (header and frame in one
 * readv, and one byte past to see a longer one), saving the stage's copy.
 * 1: a frame went or was dropped; 0: nothing to read now (or the tap
 * failed); 2: not enough buffers held, stage it instead; -1: the driver
 * broke a rule. A frame takes the chains it filled; the rest stay held.
 */
static int read_direct(struct virtio_dev *d, struct nic *x)
{
	struct virtio_net_hdr_v1 h = { 0 };
	bool mrg = virtio_negotiated(d, VIRTIO_NET_F_MRG_RXBUF);
	uint64_t left;
	unsigned k;
	ssize_t r;

	switch (hold(d, x, NET_HDR_LEN + NET_MAX_FRAME, mrg ? VQ_MAX_SIZE : 1)) {
	case HOLD_BROKEN:
		return -1;
	case HOLD_WAIT:
	case HOLD_NEVER:
		return 2;
	case HELD:
		break;
	}
	k = iov_slice(x->iov, x->niov, 0, NET_HDR_LEN + NET_MAX_FRAME, x->rd);
	if (k >= RX_IOV)
		return 2;	/* no room for the byte past within IOV_MAX */
	x->rd[k++] = (struct iovec){ .iov_base = &x->past, .iov_len = 1 };
	while ((r = readv(x->n->fd, x->rd, (int)k)) < 0 && errno == EINTR)
		;
	if (r < 0 && errno == EAGAIN)
		return 0;
	if (r <= 0) {
		backend_gone(d, x, r < 0 ? errno : 0);
		return 0;
	}
	/* A dropped frame leaves bytes in held buffers the driver never sees: they stay held. */
	if (r > NET_HDR_LEN + NET_MAX_FRAME) {
		drop(x, NET_RX_TOO_BIG);	/* cannot be with the tap's MTU and offloads: said anyway */
		return 1;
	}
	if (r < NET_HDR_LEN + NET_MIN_FRAME) {
		drop(x, NET_RX_RUNT);
		return 1;
	}
	iov_copy(x->iov, x->niov, 0, &h, sizeof h, false);	/* the tap's header, in the first chain */
	if (net_rx_header(&h, d->driver_features) != NET_DROPS) {
		drop(x, NET_RX_BAD_HEADER);
		return 1;
	}
	k = chains_for(x, (uint64_t)r);
	h.num_buffers = (uint16_t)(mrg ? k : 1);	/* known only now: the chains this frame filled */
	iov_copy(x->iov, x->niov, 0, &h, sizeof h, true);
	left = (uint64_t)r;
	for (unsigned i = 0; i < k; i++) {
		x->written[i] = (uint32_t)(left < x->clen[i] ? left : x->clen[i]);
		left -= x->written[i];
	}
	use_held(d, x, k);
	x->n->rx_frames++;
	x->n->rx_bytes += (uint64_t)r - NET_HDR_LEN;
	return 1;
}

static bool rx(struct virtio_dev *d, struct nic *x)
{
	bool used = false;

	for (unsigned i = 0; i < BATCH; i++) {
		if (!x->staged && !x->dead && x->n->kind == NET_TAP) {
			int r = read_direct(d, x);

			if (r <= 0)
				return used;
			if (r == 1) {
				used = true;
				continue;
			}
		}
		if (!stage(d, x) || deliver(d, x) <= 0)
			return used;
		used = true;
	}
	x->more = true;
	return used;
}

/* Stream: the rest of the frame in tx_buf to the socket. false while it waits for POLLOUT. */
static bool flush(struct virtio_dev *d, struct nic *x)
{
	while (x->tx_off < x->tx_len) {
		ssize_t w = write(x->n->fd, x->tx_buf + x->tx_off, x->tx_len - x->tx_off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN) {
			x->tx_blocked = true;
			return false;
		}
		if (w <= 0) {
			backend_gone(d, x, w < 0 ? errno : EPIPE);
			drop(x, NET_TX_BACKEND);
			x->tx_len = x->tx_off = 0;
			return true;
		}
		x->tx_off += (uint32_t)w;
	}
	if (x->tx_len) {
		x->n->tx_frames++;
		x->n->tx_bytes += x->tx_len - 4;
	}
	x->tx_len = x->tx_off = 0;
	return true;
}

/* Why a chain cannot go out (its header read into h), or NET_DROPS. */
static enum net_drop tx_verdict(struct virtio_dev *d, struct nic *x, const struct vq_chain *c,
				struct virtio_net_hdr_v1 *h)
{
	uint64_t len;

	if (c->in_len < NET_HDR_LEN)
		return NET_TX_SHORT;
	len = c->in_len - NET_HDR_LEN;
	if (len < NET_MIN_FRAME)
		return NET_TX_RUNT;
	if (len > NET_MAX_FRAME)
		return NET_TX_TOO_BIG;
	iov_copy(c->in, c->nin, 0, h, sizeof *h, false);
	if (net_tx_check(h, (uint32_t)len, d->driver_features) != NET_DROPS)
		return NET_TX_BAD_HEADER;
	return x->dead ? NET_TX_BACKEND : NET_DROPS;
}

static bool tx(struct virtio_dev *d, struct nic *x)
{
	struct vq *q = &d->vq[Q_TX];
	struct virtio_net_hdr_v1 h;
	bool used = false;
	char why[160];
	int r;

	x->tx_blocked = false;
	for (unsigned i = 0; i < BATCH; i++) {
		enum net_drop v;
		uint32_t len;

		if (!flush(d, x))
			return used;
		r = vq_pop(q, &d->vm->mem, &x->c, why, sizeof why);
		if (r < 0)
			virtio_fail(d, why);
		if (r <= 0)
			return used;
		len = (uint32_t)(x->c.in_len - NET_HDR_LEN);	/* meaningful once the verdict is yes */
		if ((v = tx_verdict(d, x, &x->c, &h)) != NET_DROPS) {
			drop(x, v);
		} else if (x->n->kind == NET_TAP) {
			ssize_t w;

			while ((w = writev(x->n->fd, x->c.in, (int)x->c.nin)) < 0 && errno == EINTR)
				;
			if (w < 0 && errno == EAGAIN) {
				vq_unpop(q, 1);	/* the chain stays in the queue until the tap takes it */
				x->tx_blocked = true;
				return used;
			}
			if (w < 0) {
				drop(x, errno == EINVAL ? NET_TX_BAD_HEADER : NET_TX_BACKEND);
			} else {
				x->n->tx_frames++;
				x->n->tx_bytes += len;
			}
		} else {
			x->tx_buf[0] = (uint8_t)(len >> 24);
			x->tx_buf[1] = (uint8_t)(len >> 16);
			x->tx_buf[2] = (uint8_t)(len >> 8);
			x->tx_buf[3] = (uint8_t)len;
			iov_copy(x->c.in, x->c.nin, NET_HDR_LEN, x->tx_buf + 4, len, false);
			x->tx_len = 4 + len;
			x->tx_off = 0;
		}
		d->st.bytes_in += x->c.in_len;
		virtio_used(d, Q_TX, x->c.head, 0);
		used = true;
	}
	if (!flush(d, x))
		return used;
	x->more = true;
	return used;
}

static bool net_notify(struct virtio_dev *d, unsigned q)
{
	struct nic *x = d->backend;
	bool used;

	settle(d, x);
	used = q == Q_TX ? tx(d, x) : rx(d, x);
	say_drops(d, x);
	return used;
}

/* The backend, for what can be done now: input while no frame waits, output after EAGAIN. */
static int net_poll_fd(struct virtio_dev *d, int *timeout_ms)
{
	struct nic *x = d->backend;

	x->events = 0;
	if (!(d->status & VIRTIO_CONFIG_S_DRIVER_OK) || d->broken || x->dead)
		return -1;
	if (x->more) {
		x->more = false;
		*timeout_ms = 0;
		return -1;
	}
	if (x->tx_blocked && d->vq[Q_TX].ready)
		x->events |= POLLOUT;
	if (!x->staged && d->vq[Q_RX].ready)
		x->events |= POLLIN;
	return x->events ? x->n->fd : -1;
}

static short net_poll_events(struct virtio_dev *d)
{
	return ((struct nic *)d->backend)->events;
}

static void net_config(struct virtio_dev *d, unsigned off, uint8_t *data, unsigned len)
{
	const struct nic *x = d->backend;
	uint8_t c[10];	/* mac, status, max_virtqueue_pairs */

	memcpy(c, x->n->mac, 6);
	put16(c + 6, x->dead ? 0 : VIRTIO_NET_S_LINK_UP);
	put16(c + 8, 1);
	if (off + len <= sizeof c)
		memcpy(data, c + off, len);
}

static void net_reset(struct virtio_dev *d)
{
	struct nic *x = d->backend;

	/* A staged frame stays (checked again against the next driver's features); so does a stream's partial frame. */
	net_give_back_held(d);	/* the queue is gone: forgotten */
	x->settled = false;
	x->tx_blocked = false;
	x->more = false;
}

static void net_stats(const struct virtio_dev *d, FILE *f)
{
	const struct nic *x = d->backend;
	const struct netdev *n = x->n;
	uint64_t total = 0;

	for (unsigned i = 0; i < NET_DROPS; i++)
		total += n->drops[i];
	fprintf(f, "kvmrun: stats: %s: rx %llu frames (%llu bytes), tx %llu frames (%llu bytes), %llu dropped",
		x->name, (unsigned long long)n->rx_frames, (unsigned long long)n->rx_bytes,
		(unsigned long long)n->tx_frames, (unsigned long long)n->tx_bytes, (unsigned long long)total);
	for (unsigned i = 0, first = 1; i < NET_DROPS; i++) {
		if (!n->drops[i])
			continue;
		fprintf(f, "%s%llu %s", first ? ": " : ", ", (unsigned long long)n->drops[i], net_drop_names[i]);
		first = 0;
	}
	fputc('\n', f);
}

/*
 * Snapshots: the receive chains held unfilled go back to the ring in the
 * file (the restored NIC takes them again). A staged frame, a stream's
 * partial frame either way: the network's, not the machine's; not saved.
 */
static unsigned net_held(const struct virtio_dev *d, unsigned q)
{
	const struct nic *x = d->backend;

	return q == Q_RX ? x->nheld : 0;
}

static const struct virtio_ops net_ops = {
	.type = "virtio-net", .device_id = VIRTIO_ID_NET, .pci_class = PCI_CLASS_NETWORK_ETHERNET_, .nqueues = 2,
	/* EVENT_IDX here only: fewer kicks and interrupts matter at a NIC's rates, and no other device has it. */
	.features = (1ULL << VIRTIO_NET_F_MAC) | (1ULL << VIRTIO_NET_F_STATUS) | (1ULL << VIRTIO_NET_F_MRG_RXBUF) |
		    (1ULL << VIRTIO_RING_F_EVENT_IDX),
	.config_len = 10,
	.config_read = net_config, .queue_notify = net_notify, .reset = net_reset,
	.poll_fd = net_poll_fd, .poll_events = net_poll_events, .stats = net_stats, .held = net_held,
};

/* What a tap can do both ways (a stream's peer gets whole frames with their checksums). */
static const uint64_t tap_offloads =
	(1ULL << VIRTIO_NET_F_CSUM) | (1ULL << VIRTIO_NET_F_GUEST_CSUM) |
	(1ULL << VIRTIO_NET_F_GUEST_TSO4) | (1ULL << VIRTIO_NET_F_GUEST_TSO6) | (1ULL << VIRTIO_NET_F_GUEST_ECN) |
	(1ULL << VIRTIO_NET_F_HOST_TSO4) | (1ULL << VIRTIO_NET_F_HOST_TSO6) | (1ULL << VIRTIO_NET_F_HOST_ECN);

struct virtio_dev *virtio_net_add(struct vm *vm, struct pci_bus *pb, struct msix_vm *mv, struct netdev *n,
				  unsigned index)
{
	struct virtio_ops *ops = malloc(sizeof *ops);
	struct nic *x = calloc(1, sizeof *x);
	const char *kind = n->kind == NET_TAP ? "tap" : "stream", *shown = n->name;
	char name[48];

	if (ops && x && n->kind == NET_TAP)
		x->tap_buf = malloc(NET_HDR_LEN + NET_MAX_FRAME + 1);
	else if (ops && x)
		x->rs = calloc(1, sizeof *x->rs), x->tx_buf = malloc(4 + NET_MAX_FRAME);
	if (!ops || !x || (n->kind == NET_TAP ? !x->tap_buf : !x->rs || !x->tx_buf)) {
		fprintf(stderr, "kvmrun: out of memory for virtio-net eth%u\n", index);
		return NULL;	/* what was made is released with the process */
	}
	*ops = net_ops;
	if (n->kind == NET_TAP)
		ops->features |= tap_offloads;
	x->n = n;
	snprintf(x->name, sizeof x->name, "virtio-net eth%u", index);
	/* "virtio-net eth0 (tap tap0)"; a socket path too long for that is shown by its last part. */
	if (strlen(x->name) + strlen(kind) + strlen(n->name) + 4 > sizeof name && strrchr(n->name, '/'))
		shown = strrchr(n->name, '/') + 1;
	snprintf(name, sizeof name, "%s (%s %s)", x->name, kind, shown);
	return virtio_add(vm, pb, mv, ops, x, name);
}
