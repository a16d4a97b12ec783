/*
 * virtio-console (virtio 1.x, 5.3), one port: the guest's hvc0. Output goes
 * to the same console as COM1's, in the order each device hands it over;
 * while this device exists stdin feeds it and COM1 gets none. Bytes move
 * through a staging buffer so that the console (under the VM's lock) is never
 * touched with the device's lock held.
 */
#include <string.h>
#include <linux/virtio_console.h>
#include <linux/virtio_ids.h>

#include "virtio.h"

#define Q_RX 0	/* receiveq: device to driver (input) */
#define Q_TX 1	/* transmitq: driver to device (output) */
#define STAGE 65536
#define PCI_CLASS_COMM_OTHER_ 0x078000

struct hvc {
	unsigned char out[STAGE];	/* output taken from the queue, not yet on the console */
	size_t out_len;
	unsigned char in[4096];	/* input read from the console, not yet in the guest's buffers */
	size_t in_pos, in_len;
	bool rx_buffers;	/* the driver has posted receive buffers (poll stdin) */
	bool more;		/* serve() stopped with output left in the queue */
};

static struct hvc hvc_state;

/* Output: as much of the transmit queue as the staging buffer holds. */
static bool tx(struct virtio_dev *d, struct hvc *h)
{
	struct vq_chain c;
	bool used = false;
	char why[160];
	int r;

	h->more = false;
	while (h->out_len < STAGE) {
		struct vq save = d->vq[Q_TX];
		uint64_t n;

		r = vq_pop(&d->vq[Q_TX], &d->vm->mem, &c, why, sizeof why);
		if (r <= 0) {
			if (r < 0)
				virtio_fail(d, why);
			return used;
		}
		if (c.in_len > STAGE - h->out_len) {
			if (h->out_len) {	/* not now: the chain waits until the stage is empty */
				d->vq[Q_TX] = save;
				h->more = true;
				return used;
			}
			c.in_len = STAGE;	/* a chain larger than the stage: its first STAGE bytes */
		}
		n = iov_copy(c.in, c.nin, 0, h->out + h->out_len, c.in_len, false);
		h->out_len += n;
		d->st.bytes_in += n;
		virtio_used(d, Q_TX, c.head, 0);
		used = true;
	}
	h->more = true;
	return used;
}

/*
 * Input: staged bytes into the receive queue's buffers, once the driver has
 * settled: Linux posts the port's buffers before the port is on its list,
 * and frees, unread, whatever arrives in between.
 */
static bool rx(struct virtio_dev *d, struct hvc *h)
{
	struct vq_chain c;
	bool used = false;
	char why[160];
	int r;

	while (d->driver_settled && h->in_pos < h->in_len) {
		uint64_t n;

		r = vq_pop(&d->vq[Q_RX], &d->vm->mem, &c, why, sizeof why);
		if (r < 0)
			virtio_fail(d, why);
		if (r <= 0)
			break;
		n = iov_copy(c.out, c.nout, 0, h->in + h->in_pos, h->in_len - h->in_pos, true);
		h->in_pos += n;
		d->st.bytes_out += n;
		virtio_used(d, Q_RX, c.head, (uint32_t)n);
		used = true;
	}
	/* Are there buffers for more? Peek without taking one. */
	h->rx_buffers = d->driver_settled && vq_has_avail(&d->vq[Q_RX]);
	return used;
}

static bool hvc_notify(struct virtio_dev *d, unsigned q)
{
	struct hvc *h = d->backend;

	return q == Q_TX ? tx(d, h) : rx(d, h);
}

/* Poll stdin while the guest has buffers for it and input may come; every 10 ms for escapes typed meanwhile. */
static int hvc_poll_fd(struct virtio_dev *d, int *timeout_ms)
{
	struct hvc *h = d->backend;
	struct console *con = &d->vm->con;

	if (h->more) {
		*timeout_ms = 0;
		return -1;
	}
	if (!h->rx_buffers || con->in_eof)
		return -1;
	*timeout_ms = 10;
	return con->in_fd;
}

/* Without the device's lock: staged output to the console, console input to the stage. Takes the VM's lock. */
static void hvc_exchange(struct virtio_dev *d)
{
	struct hvc *h = d->backend;
	struct vm *vm = d->vm;
	struct console *con = &vm->con;

	pthread_mutex_lock(&vm->shared.lock);
	for (size_t i = 0; i < h->out_len; i++)
		if (console_put(con, h->out[i]) < 0)
			break;	/* output failed: the run loop ends the run when it sees it */
	h->out_len = 0;
	if (con->len)
		stop_arm_flush();	/* batched as COM1's output is: the 10 ms tick writes it */
	pthread_mutex_lock(&d->lock);
	if (h->in_pos == h->in_len && h->rx_buffers) {
		h->in_pos = h->in_len = 0;
		while (h->in_len < sizeof h->in && console_rx_ready(con))
			h->in[h->in_len++] = console_getc(con);
	}
	pthread_mutex_unlock(&d->lock);
	pthread_mutex_unlock(&vm->shared.lock);
}

static void hvc_config(struct virtio_dev *d, unsigned off, uint8_t *data, unsigned len)
{
	struct virtio_console_config c = { 0 };

	(void)d;
	if (off + len <= sizeof c)
		memcpy(data, (uint8_t *)&c + off, len);
}

static void hvc_reset(struct virtio_dev *d)
{
	struct hvc *h = d->backend;

	h->rx_buffers = false;
	h->more = false;
}

/*
 * A snapshot keeps the input read from the console but not yet in the
 * guest's buffers. Staged output is not kept: the run that saved writes it.
 */
static size_t hvc_save(struct virtio_dev *d, void *buf, size_t room)
{
	struct hvc *h = d->backend;
	size_t n = h->in_len - h->in_pos;

	if (n > room)
		n = room;
	memcpy(buf, h->in + h->in_pos, n);
	return n;
}

static int hvc_restore(struct virtio_dev *d, const void *buf, size_t len)
{
	struct hvc *h = d->backend;

	if (len > sizeof h->in)
		return -1;
	memcpy(h->in, buf, len);
	h->in_pos = 0;
	h->in_len = len;
	h->out_len = 0;
	return 0;
}

static const struct virtio_ops hvc_ops = {
	.type = "virtio-console", .device_id = VIRTIO_ID_CONSOLE, .pci_class = PCI_CLASS_COMM_OTHER_, .nqueues = 2,
	.config_len = sizeof(struct virtio_console_config),
	.config_read = hvc_config, .queue_notify = hvc_notify, .reset = hvc_reset,
	.poll_fd = hvc_poll_fd, .poll_ready = hvc_exchange, .save = hvc_save, .restore = hvc_restore,
};

struct virtio_dev *virtio_console_add(struct vm *vm, struct pci_bus *pb, struct msix_vm *mv)
{
	vm->com1.no_input = true;
	return virtio_add(vm, pb, mv, &hvc_ops, &hvc_state, "virtio-console hvc0");
}
