/*
 * virtio over PCI, modern (virtio 1.x, 4.1): one memory BAR holding the
 * common configuration, the MSI-X table and pending bits, the ISR, the
 * device configuration and the notification addresses; one thread per
 * device serving its queues, woken by KVM ioeventfds at the notification
 * addresses (a guest write there never leaves the kernel) and interrupting
 * through irqfds. The BAR's registers are under the device's lock.
 */
#include <errno.h>
#include <poll.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <linux/pci_regs.h>
#include <linux/virtio_config.h>
#include <linux/virtio_pci.h>
#include <linux/virtio_ring.h>

#include "virtio.h"

/* BAR 0's layout. */
enum {
	BAR_COMMON = 0x0000, COMMON_LEN = 0x40,
	BAR_MSIX_TABLE = 0x0800, BAR_MSIX_PBA = 0x0c00,
	BAR_ISR = 0x1000, ISR_LEN = 4,
	BAR_DEVICE = 0x2000, DEVICE_LEN = 0x1000,
	BAR_NOTIFY = 0x3000, NOTIFY_MULT = 4,
	BAR_SIZE = 0x4000,
};

#define VIRTIO_PCI_VENDOR 0x1af4	/* Red Hat (Qumranet): every virtio PCI device */
#define VIRTIO_ISR_QUEUE  0x1	/* ISR bit 0: a queue interrupt (the config change bit has a name in the header) */

static const uint64_t transport_features = (1ULL << VIRTIO_F_VERSION_1) | (1ULL << VIRTIO_RING_F_INDIRECT_DESC);

static uint64_t offered(const struct virtio_dev *d)
{
	return d->ops->features | transport_features;
}

bool virtio_negotiated(const struct virtio_dev *d, unsigned bit)
{
	return bit < 64 && (d->driver_features >> bit) & 1;
}

void virtio_kick(struct virtio_dev *d, unsigned q)
{
	uint64_t one = 1;

	if (q < d->ops->nqueues && write(d->kick_fd[q], &one, sizeof one) < 0)
		d->st.errors++;	/* the counter is at its limit: the thread is awake anyway */
}

void virtio_fail(struct virtio_dev *d, const char *why)
{
	d->st.errors++;
	if (d->broken)
		return;
	d->broken = true;
	snprintf(d->broke_why, sizeof d->broke_why, "%s", why);
	if (d->vm->verbose)
		fprintf(stderr, "kvmrun: %s: the driver broke the virtio rules (%s); the device waits for a reset\n",
			d->name, why);
	d->status |= VIRTIO_CONFIG_S_NEEDS_RESET;
	if (d->status & VIRTIO_CONFIG_S_DRIVER_OK) {
		d->isr |= VIRTIO_PCI_ISR_CONFIG;
		msix_notify(&d->msix, d->msix_config);
	}
}

void virtio_config_changed(struct virtio_dev *d)
{
	d->config_gen++;
	if ((d->status & VIRTIO_CONFIG_S_DRIVER_OK) && !d->broken) {
		d->isr |= VIRTIO_PCI_ISR_CONFIG;
		msix_notify(&d->msix, d->msix_config);
	}
}

void virtio_used(struct virtio_dev *d, unsigned q, uint16_t head, uint32_t written)
{
	vq_push(&d->vq[q], head, written);
	d->st.chains++;
}

static void reset(struct virtio_dev *d)
{
	d->dev_feature_sel = d->drv_feature_sel = 0;
	d->driver_features = 0;
	d->status = 0;
	d->queue_sel = 0;
	d->msix_config = VIRTIO_MSI_NO_VECTOR;
	d->isr = 0;
	d->broken = false;
	d->driver_settled = false;
	for (unsigned q = 0; q < VIRTIO_MAX_QUEUES; q++)
		d->vq[q] = (struct vq){ .size = VQ_MAX_SIZE, .msix_vector = VIRTIO_MSI_NO_VECTOR };
	if (d->ops->reset)
		d->ops->reset(d);
}

static struct vq *selected_vq(struct virtio_dev *d)
{
	return d->queue_sel < d->ops->nqueues ? &d->vq[d->queue_sel] : NULL;
}

/* The common configuration as the driver reads it (virtio_pci_common_cfg, then two 1.2 fields reading 0). */
static void common_image(struct virtio_dev *d, uint8_t img[COMMON_LEN])
{
	struct virtio_pci_common_cfg c = { 0 };
	struct vq *q = selected_vq(d);
	uint64_t f = offered(d);

	c.device_feature_select = d->dev_feature_sel;
	c.device_feature = d->dev_feature_sel < 2 ? (uint32_t)(f >> (32 * d->dev_feature_sel)) : 0;
	c.guest_feature_select = d->drv_feature_sel;
	c.guest_feature = d->drv_feature_sel < 2 ? (uint32_t)(d->driver_features >> (32 * d->drv_feature_sel)) : 0;
	c.msix_config = d->msix_config;
	c.num_queues = (uint16_t)d->ops->nqueues;
	c.device_status = d->status;
	c.config_generation = d->config_gen;
	c.queue_select = d->queue_sel;
	if (q) {
		c.queue_size = q->size;
		c.queue_msix_vector = q->msix_vector;
		c.queue_enable = q->ready;
		c.queue_notify_off = d->queue_sel;
		c.queue_desc_lo = (uint32_t)q->desc_gpa;
		c.queue_desc_hi = (uint32_t)(q->desc_gpa >> 32);
		c.queue_avail_lo = (uint32_t)q->avail_gpa;
		c.queue_avail_hi = (uint32_t)(q->avail_gpa >> 32);
		c.queue_used_lo = (uint32_t)q->used_gpa;
		c.queue_used_hi = (uint32_t)(q->used_gpa >> 32);
	}
	memset(img, 0, COMMON_LEN);
	memcpy(img, &c, sizeof c);
}

#define FIELD(m) offsetof(struct virtio_pci_common_cfg, m), sizeof ((struct virtio_pci_common_cfg *)0)->m

static bool touched(unsigned off, unsigned len, unsigned foff, unsigned flen)
{
	return off < foff + flen && foff < off + len;
}

static uint64_t field(const uint8_t *img, unsigned foff, unsigned flen)
{
	uint64_t v = 0;

	memcpy(&v, img + foff, flen);
	return v;
}

static uint16_t vector_or_none(const struct virtio_dev *d, uint64_t v)
{
	return v < d->msix.nvec ? (uint16_t)v : VIRTIO_MSI_NO_VECTOR;
}

static void write_status(struct virtio_dev *d, uint8_t v)
{
	uint8_t was = d->status;

	if (v == 0) {
		reset(d);
		return;
	}
	if ((v & VIRTIO_CONFIG_S_FEATURES_OK) && !(was & VIRTIO_CONFIG_S_FEATURES_OK) &&
	    ((d->driver_features & ~offered(d)) || !virtio_negotiated(d, VIRTIO_F_VERSION_1)))
		v &= (uint8_t)~VIRTIO_CONFIG_S_FEATURES_OK;	/* refused: the driver reads it back clear */
	d->status = (uint8_t)(v | was);	/* only a reset clears a bit: a driver may not (2.1.2) */
	if ((v & VIRTIO_CONFIG_S_DRIVER_OK) && !(was & VIRTIO_CONFIG_S_DRIVER_OK))
		for (unsigned q = 0; q < d->ops->nqueues; q++)
			virtio_kick(d, q);	/* buffers made available before DRIVER_OK, input waiting */
}

static void common_write(struct virtio_dev *d, unsigned off, const uint8_t *data, unsigned len)
{
	uint8_t img[COMMON_LEN];
	struct vq *q;
	bool queue_live;
	char why[120];

	common_image(d, img);
	memcpy(img + off, data, len);
	q = selected_vq(d);
	queue_live = !q || q->ready;	/* an enabled queue's settings are fixed until reset */
	if (touched(off, len, FIELD(device_feature_select)))
		d->dev_feature_sel = (uint32_t)field(img, FIELD(device_feature_select));
	if (touched(off, len, FIELD(guest_feature_select)))
		d->drv_feature_sel = (uint32_t)field(img, FIELD(guest_feature_select));
	if (touched(off, len, FIELD(guest_feature)) && d->drv_feature_sel < 2 &&
	    !(d->status & VIRTIO_CONFIG_S_FEATURES_OK)) {
		unsigned shift = 32 * d->drv_feature_sel;

		d->driver_features = (d->driver_features & ~(0xffffffffULL << shift)) |
				     (field(img, FIELD(guest_feature)) << shift);
		for (unsigned i = 0; i < d->ops->nqueues; i++) {
			d->vq[i].indirect = virtio_negotiated(d, VIRTIO_RING_F_INDIRECT_DESC);
			d->vq[i].event_idx = virtio_negotiated(d, VIRTIO_RING_F_EVENT_IDX);
		}
	}
	if (touched(off, len, FIELD(msix_config)))
		d->msix_config = vector_or_none(d, field(img, FIELD(msix_config)));
	if (touched(off, len, FIELD(queue_select)))
		d->queue_sel = (uint16_t)field(img, FIELD(queue_select));
	if (!queue_live) {
		if (touched(off, len, FIELD(queue_size)))
			q->size = (uint16_t)field(img, FIELD(queue_size));
		if (touched(off, len, FIELD(queue_msix_vector)))
			q->msix_vector = vector_or_none(d, field(img, FIELD(queue_msix_vector)));
		if (touched(off, len, offsetof(struct virtio_pci_common_cfg, queue_desc_lo), 8))
			q->desc_gpa = field(img, offsetof(struct virtio_pci_common_cfg, queue_desc_lo), 8);
		if (touched(off, len, offsetof(struct virtio_pci_common_cfg, queue_avail_lo), 8))
			q->avail_gpa = field(img, offsetof(struct virtio_pci_common_cfg, queue_avail_lo), 8);
		if (touched(off, len, offsetof(struct virtio_pci_common_cfg, queue_used_lo), 8))
			q->used_gpa = field(img, offsetof(struct virtio_pci_common_cfg, queue_used_lo), 8);
		if (touched(off, len, FIELD(queue_enable)) && field(img, FIELD(queue_enable)) == 1) {
			q->indirect = virtio_negotiated(d, VIRTIO_RING_F_INDIRECT_DESC);
			q->event_idx = virtio_negotiated(d, VIRTIO_RING_F_EVENT_IDX);
			if (vq_enable(q, &d->vm->mem, why, sizeof why) < 0)
				virtio_fail(d, why);
		}
	} else if (q && touched(off, len, FIELD(queue_msix_vector))) {
		q->msix_vector = vector_or_none(d, field(img, FIELD(queue_msix_vector)));
	}
	if (touched(off, len, FIELD(device_status)))
		write_status(d, (uint8_t)field(img, FIELD(device_status)));
}

/* One access to BAR 0, by region. Under the device's lock. */
static void bar_access(struct virtio_dev *d, uint64_t off, uint8_t *data, unsigned len, bool write)
{
	uint8_t img[COMMON_LEN];

	if (off + len <= BAR_COMMON + COMMON_LEN) {	/* BAR_COMMON is 0 */
		if (write) {
			common_write(d, (unsigned)off, data, len);
		} else {
			common_image(d, img);
			memcpy(data, img + off, len);
			if ((d->status & VIRTIO_CONFIG_S_DRIVER_OK) &&
			    touched((unsigned)off, len, FIELD(device_status)) && !d->driver_settled) {
				d->driver_settled = true;	/* input may go now */
				for (unsigned q = 0; q < d->ops->nqueues; q++)
					virtio_kick(d, q);
			}
		}
	} else if (off >= BAR_MSIX_TABLE && off < BAR_MSIX_PBA) {
		msix_table_access(&d->msix, false, off - BAR_MSIX_TABLE, data, len, write);
	} else if (off >= BAR_MSIX_PBA && off < BAR_ISR) {
		msix_table_access(&d->msix, true, off - BAR_MSIX_PBA, data, len, write);
	} else if (off >= BAR_ISR && off < BAR_ISR + ISR_LEN) {
		if (!write && off == BAR_ISR) {
			data[0] = d->isr;	/* reading clears it */
			d->isr = 0;
		}
	} else if (off >= BAR_DEVICE && off + len <= BAR_DEVICE + d->ops->config_len) {
		if (!write)
			d->ops->config_read(d, (unsigned)(off - BAR_DEVICE), data, len);
		else if (d->ops->config_write)
			d->ops->config_write(d, (unsigned)(off - BAR_DEVICE), data, len);
	} else if (off >= BAR_NOTIFY && off < BAR_NOTIFY + (uint64_t)NOTIFY_MULT * d->ops->nqueues) {
		if (write)
			virtio_kick(d, (unsigned)((off - BAR_NOTIFY) / NOTIFY_MULT));	/* the ioeventfd missed it (another width) */
	} else if (write && off >= BAR_NOTIFY && off < BAR_SIZE) {
		d->st.errors++;	/* a notification for a queue that does not exist: ignored */
	} else if (!write) {
		memset(data, 0, len);
	}
}

static enum io_result virtio_mmio(void *dev, uint64_t off, uint8_t *data, unsigned len, bool write,
				  struct run_end *end)
{
	struct virtio_dev *d = dev;

	(void)end;
	pthread_mutex_lock(&d->lock);
	bar_access(d, off, data, len, write);
	pthread_mutex_unlock(&d->lock);
	return IO_OK;
}

/* Configuration writes to the MSI-X capability's control word. Under the VM's lock. */
static void config_written(struct pci_dev *p, unsigned off, unsigned len)
{
	struct virtio_dev *d = p->owner;
	unsigned ctl = p->msix_cap + PCI_MSIX_FLAGS;
	uint16_t v;

	if (!(off < ctl + 2 && ctl < off + len))
		return;
	memcpy(&v, p->cfg + ctl, 2);
	pthread_mutex_lock(&d->lock);
	msix_control(&d->msix, v);
	pthread_mutex_unlock(&d->lock);
}

/* The notification addresses move with the BAR: their ioeventfds follow. Under the VM's lock. */
static void set_ioeventfds(struct virtio_dev *d, uint64_t base, bool assign)
{
	for (unsigned q = 0; q < d->ops->nqueues; q++) {
		struct kvm_ioeventfd e = {
			.addr = base + BAR_NOTIFY + (uint64_t)NOTIFY_MULT * q, .len = 2, .fd = d->kick_fd[q],
			.flags = assign ? 0 : KVM_IOEVENTFD_FLAG_DEASSIGN,
		};

		if (ioctl(d->vm->vm_fd, KVM_IOEVENTFD, &e) < 0 && assign) {
			/* The MMIO handler still takes every notification, only slower. Said once. */
			if (!d->ioeventfd_warned)
				fprintf(stderr, "kvmrun: %s: no ioeventfd at 0x%llx (%s); notifications exit to kvmrun\n",
					d->name, (unsigned long long)e.addr, strerror(errno));
			d->ioeventfd_warned = true;
			while (q--) {	/* all or none */
				e.addr -= NOTIFY_MULT;
				e.fd = d->kick_fd[q];
				e.flags = KVM_IOEVENTFD_FLAG_DEASSIGN;
				ioctl(d->vm->vm_fd, KVM_IOEVENTFD, &e);
			}
			d->ioeventfd_on = false;
			return;
		}
	}
	d->ioeventfd_on = assign;
	d->ioeventfd_base = base;
}

static void bar_moved(struct pci_dev *p, uint64_t base, bool enabled)
{
	struct virtio_dev *d = p->owner;

	if (!enabled && d->ioeventfd_on)
		set_ioeventfds(d, d->ioeventfd_base, false);
	else if (enabled && !(d->ioeventfd_on && d->ioeventfd_base == base))
		set_ioeventfds(d, base, true);
}

static const struct pci_dev_ops virtio_pci_ops = { .config_written = config_written, .bar_moved = bar_moved };

/* A virtio_pci_cap (with the notify multiplier when mult) pointing into BAR 0. */
static int add_cap(struct pci_dev *p, uint8_t type, uint32_t off, uint32_t len, bool mult)
{
	unsigned at = pci_add_cap(p, PCI_CAP_ID_VNDR, mult ? sizeof(struct virtio_pci_notify_cap)
								: sizeof(struct virtio_pci_cap));
	struct virtio_pci_cap c = { .cap_vndr = PCI_CAP_ID_VNDR, .cap_len = 0, .cfg_type = type, .bar = 0,
				    .offset = off, .length = len };

	if (!at)
		return -1;
	c.cap_next = p->cfg[at + 1];
	c.cap_len = (uint8_t)(mult ? sizeof(struct virtio_pci_notify_cap) : sizeof(struct virtio_pci_cap));
	memcpy(p->cfg + at, &c, sizeof c);
	if (mult) {
		uint32_t m = NOTIFY_MULT;

		memcpy(p->cfg + at + sizeof c, &m, 4);
	}
	return 0;
}

struct virtio_dev *virtio_add(struct vm *vm, struct pci_bus *pb, struct msix_vm *mv,
			      const struct virtio_ops *ops, void *backend, const char *name)
{
	struct virtio_dev *d = calloc(1, sizeof *d);
	struct pci_dev *p;

	if (!d || ops->nqueues > VIRTIO_MAX_QUEUES || ops->config_len > DEVICE_LEN) {
		fprintf(stderr, "kvmrun: out of memory for %s\n", name);
		free(d);
		return NULL;
	}
	d->ops = ops;
	d->backend = backend;
	d->vm = vm;
	d->stop_fd = -1;
	snprintf(d->name, sizeof d->name, "%s", name);
	for (unsigned q = 0; q < VIRTIO_MAX_QUEUES; q++)
		d->kick_fd[q] = -1;
	if (pthread_mutex_init(&d->lock, NULL) != 0)
		goto fail;
	reset(d);
	p = &d->pci;
	p->name = d->name;
	p->owner = d;
	p->ops = &virtio_pci_ops;
	pci_header(p, VIRTIO_PCI_VENDOR, (uint16_t)(0x1040 + ops->device_id), ops->pci_class, 1,
		   VIRTIO_PCI_VENDOR, ops->device_id, BAR_SIZE);
	if (add_cap(p, VIRTIO_PCI_CAP_COMMON_CFG, BAR_COMMON, COMMON_LEN, false) < 0 ||
	    add_cap(p, VIRTIO_PCI_CAP_ISR_CFG, BAR_ISR, ISR_LEN, false) < 0 ||
	    (ops->config_len && add_cap(p, VIRTIO_PCI_CAP_DEVICE_CFG, BAR_DEVICE, ops->config_len, false) < 0) ||
	    add_cap(p, VIRTIO_PCI_CAP_NOTIFY_CFG, BAR_NOTIFY, NOTIFY_MULT * ops->nqueues, true) < 0 ||
	    !pci_add_msix(p, ops->nqueues + 1, BAR_MSIX_TABLE, BAR_MSIX_PBA))
		goto fail;
	if (msix_init(&d->msix, mv, ops->nqueues + 1) < 0)
		goto fail;
	d->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	for (unsigned q = 0; q < ops->nqueues; q++)
		if ((d->kick_fd[q] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0)
			goto fail;
	if (d->stop_fd < 0 || pci_plug(pb, p, virtio_mmio, d) < 0)
		goto fail;
	set_ioeventfds(d, p->bar_base, true);
	return d;
fail:
	fprintf(stderr, "kvmrun: cannot add %s to the PCI bus: %s\n", name, errno ? strerror(errno) : "no room");
	return NULL;	/* what was made is released with the process */
}

/*
 * Serve every ready queue once; a queue whose used ring moved gets its
 * interrupt. Under the lock. Returns true when a queue used buffers and
 * still has chains waiting: the driver may have added them during the pass
 * without a kick (EVENT_IDX), so the thread looks again at once.
 */
static bool serve(struct virtio_dev *d)
{
	uint16_t before[VIRTIO_MAX_QUEUES];
	bool again = false;

	if (!(d->status & VIRTIO_CONFIG_S_DRIVER_OK) || d->broken)
		return false;
	for (unsigned q = 0; q < d->ops->nqueues; q++)
		before[q] = d->vq[q].used_idx;
	for (unsigned q = 0; q < d->ops->nqueues && !d->broken; q++)
		if (d->vq[q].ready)
			d->ops->queue_notify(d, q);
	for (unsigned q = 0; q < d->ops->nqueues; q++) {
		struct vq *vq = &d->vq[q];

		if (!vq->ready || vq->used_idx == before[q])
			continue;
		again |= !d->broken && vq_has_avail(vq);
		if (!vq_wants_interrupt(vq, before[q]))
			continue;
		d->isr |= VIRTIO_ISR_QUEUE;
		msix_notify(&d->msix, vq->msix_vector);
	}
	return again;
}

static void *device_thread(void *arg)
{
	struct virtio_dev *d = arg;
	struct pollfd p[VIRTIO_MAX_QUEUES + 2];
	unsigned nq = d->ops->nqueues;
	bool stopping = false, again = false;

	sem_post(&d->up);	/* past this thread's start-up (glibc's rseq registration): the filter may come */
	while (!stopping) {
		int timeout = -1, in_fd = -1;
		short events = POLLIN;
		uint64_t v;

		for (unsigned q = 0; q < nq; q++)
			p[q] = (struct pollfd){ .fd = d->kick_fd[q], .events = POLLIN };
		p[nq] = (struct pollfd){ .fd = d->stop_fd, .events = POLLIN };
		if (d->ops->poll_fd) {
			pthread_mutex_lock(&d->lock);
			in_fd = d->ops->poll_fd(d, &timeout);
			if (d->ops->poll_events)
				events = d->ops->poll_events(d);
			pthread_mutex_unlock(&d->lock);
		}
		p[nq + 1] = (struct pollfd){ .fd = in_fd, .events = events };
		if (again)
			timeout = 0;
		if (poll(p, nq + 2, timeout) < 0 && errno != EINTR)
			break;
		if (p[nq].revents & POLLIN)
			stopping = true;	/* serve once more: what the guest handed over before the end is kept */
		for (unsigned q = 0; q < nq; q++)
			if ((p[q].revents & POLLIN) && read(d->kick_fd[q], &v, sizeof v) == sizeof v)
				d->st.notifies++;
		if (d->ops->poll_ready)
			d->ops->poll_ready(d);	/* without the lock: it may take the VM's */
		pthread_mutex_lock(&d->lock);
		again = serve(d);
		pthread_mutex_unlock(&d->lock);
		if (d->ops->poll_ready)
			d->ops->poll_ready(d);	/* output staged by serve() goes out now */
	}
	return NULL;
}

int virtio_start(struct virtio_dev *d)
{
	sigset_t all, old;
	int e;

	sigfillset(&all);
	sigdelset(&all, stop_kick_signal());
	pthread_sigmask(SIG_SETMASK, &all, &old);
	e = sem_init(&d->up, 0, 0) < 0 ? errno : pthread_create(&d->thread, NULL, device_thread, d);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e) {
		fprintf(stderr, "kvmrun: cannot start the thread of %s: %s\n", d->name, strerror(e));
		return -1;
	}
	while (sem_wait(&d->up) < 0 && errno == EINTR)
		;
	d->thread_started = true;
	stop_watch_thread(d->thread);
	return 0;
}

void virtio_stop(struct virtio_dev *d)
{
	uint64_t one = 1;

	if (!d->thread_started)
		return;
	if (write(d->stop_fd, &one, sizeof one) < 0)
		return;	/* cannot happen (a fresh eventfd): better a thread left running than a join that never ends */
	pthread_join(d->thread, NULL);
	d->thread_started = false;
}
