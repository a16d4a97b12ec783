/*
 * The PCI devices in a snapshot: which devices the machine had (so that a
 * restore makes them again, in the same slots), the bus, each slot's
 * configuration space, and each virtio device's transport, queues, MSI-X
 * table and backend. Requests run whole under their device's lock, and no
 * device holds a chain across it unless the file says so (virtio-balloon's
 * statistics buffer is in its record; virtio-net's held receive buffers are
 * given back to the ring in the file), so with every lock held the rings in
 * RAM and the indexes here agree.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/pci_regs.h>
#include <linux/virtio_config.h>
#include <linux/virtio_pci.h>
#include <linux/virtio_ring.h>

#include "snapshot.h"
#include "../devices/virtio.h"

struct snap_pci_bus {
	uint32_t addr;           /* CONFIG_ADDRESS */
	uint32_t nslots;         /* the host bridge included */
	uint32_t ndevs;          /* devices asked for (REC_PCI_DEV records) */
	uint32_t nvirtio;        /* REC_VIRTIO records */
};

struct snap_pci_dev {
	uint32_t kind;           /* enum dev_kind */
	uint32_t ro;             /* a disk: read-only; a NIC: its backend, enum net_kind */
	uint64_t size;           /* a disk: bytes */
	char serial[24];         /* a disk: its serial, NUL-terminated; a NIC: its MAC, 6 bytes */
	/* then a disk's path or a NIC's tap name or socket path, NUL-terminated (as given) */
};

struct snap_vq {
	uint64_t desc, avail, used;
	uint16_t size, msix_vector, last_avail, used_idx;
	uint8_t ready, indirect, pad[6];
};

struct snap_virtio {
	uint64_t driver_features;
	uint32_t dev_feature_sel, drv_feature_sel;
	uint16_t queue_sel, msix_config;
	uint8_t status, config_gen, isr, broken, driver_settled, pad[3];
	uint32_t nqueues, nvec, pending, backend_len;
	struct msix_entry e[MSIX_MAX_VECTORS];
	struct snap_vq vq[VIRTIO_MAX_QUEUES];
	/* then backend_len bytes: what the backend holds */
};

#define BACKEND_MAX 4096   /* the most a backend keeps (the console's input stage) */

void snap_pci_lock(struct vm *vm, bool lock)
{
	struct pci_machine *pm = vm->pci;

	for (unsigned i = 0; pm && i < pm->nvdev; i++) {
		if (lock)
			pthread_mutex_lock(&pm->vdev[i]->lock);
		else
			pthread_mutex_unlock(&pm->vdev[pm->nvdev - 1 - i]->lock);
	}
}

static void save_spec(struct snap_buf *b, const struct dev_spec *sp)
{
	struct snap_pci_dev r = { .kind = sp->kind };
	const char *path = "";
	uint8_t *rec;
	size_t plen;

	if (sp->kind == DEV_DISK) {
		r.ro = sp->disk->ro;
		r.size = sp->disk->size;
		snprintf(r.serial, sizeof r.serial, "%s", sp->disk->serial);
		path = sp->disk->path;
	} else if (sp->kind == DEV_NET) {
		r.ro = sp->net->kind;
		memcpy(r.serial, sp->net->mac, sizeof sp->net->mac);
		path = sp->net->name;
	}
	plen = strlen(path) + 1;
	if (!(rec = malloc(sizeof r + plen))) {
		b->failed = true;
		return;
	}
	memcpy(rec, &r, sizeof r);
	memcpy(rec + sizeof r, path, plen);
	snap_add(b, REC_PCI_DEV, 0, rec, sizeof r + plen);
	free(rec);
}

static void save_virtio(struct snap_buf *b, struct virtio_dev *d)
{
	struct {
		struct snap_virtio v;
		uint8_t backend[BACKEND_MAX];
	} r;
	struct snap_virtio *v = &r.v;

	memset(v, 0, sizeof *v);
	v->driver_features = d->driver_features;
	v->dev_feature_sel = d->dev_feature_sel;
	v->drv_feature_sel = d->drv_feature_sel;
	v->queue_sel = d->queue_sel;
	v->msix_config = d->msix_config;
	v->status = d->status;
	v->config_gen = d->config_gen;
	v->isr = d->isr;
	v->broken = d->broken;
	v->driver_settled = d->driver_settled;
	v->nqueues = d->ops->nqueues;
	v->nvec = d->msix.nvec;
	v->pending = d->msix.pending;
	memcpy(v->e, d->msix.e, sizeof v->e);
	for (unsigned q = 0; q < VIRTIO_MAX_QUEUES; q++) {
		const struct vq *s = &d->vq[q];

		/* Chains the device holds unused go back to the ring in the file: the restored device takes them anew. */
		uint16_t held = d->ops->held && q < d->ops->nqueues ? (uint16_t)d->ops->held(d, q) : 0;

		v->vq[q] = (struct snap_vq){ .desc = s->desc_gpa, .avail = s->avail_gpa, .used = s->used_gpa,
					     .size = s->size, .msix_vector = s->msix_vector,
					     .last_avail = (uint16_t)(s->last_avail - held), .used_idx = s->used_idx,
					     .ready = s->ready, .indirect = s->indirect };
	}
	if (d->ops->save)
		v->backend_len = (uint32_t)d->ops->save(d, r.backend, sizeof r.backend);
	snap_add(b, REC_VIRTIO, 0, &r, sizeof *v + v->backend_len);
}

void snap_save_pci(struct vm *vm, struct snap_buf *b)
{
	struct pci_machine *pm = vm->pci;
	struct snap_pci_bus bus;

	if (!pm)
		return;
	bus = (struct snap_pci_bus){ .addr = pm->bus.addr, .nslots = pm->bus.nslots, .ndevs = pm->nspec,
				     .nvirtio = pm->nvdev };
	snap_add(b, REC_PCI_BUS, 0, &bus, sizeof bus);
	for (unsigned i = 0; i < pm->nspec; i++)
		save_spec(b, &pm->spec[i]);
	/* The configuration space is the VM lock's, but only vCPUs write it and every one is out of KVM_RUN. */
	for (unsigned i = 0; i < pm->bus.nslots; i++)
		snap_add(b, REC_PCI_CFG, 0, pm->bus.slot[i]->cfg, sizeof pm->bus.slot[i]->cfg);
	for (unsigned i = 0; i < pm->nvdev; i++)
		save_virtio(b, pm->vdev[i]);
}

/* ---- restore ---- */

/* The recorded bus, or NULL when the VM had no PCI devices; *ok false when the record is damaged. */
static const struct snap_pci_bus *find_bus(const uint8_t *state, size_t len, struct snap_pci_bus *bus, bool *ok)
{
	uint32_t n = 0;
	const void *p = snap_find(state, len, REC_PCI_BUS, 0, &n);

	*ok = !p || n == sizeof *bus;
	if (!p || !*ok)
		return NULL;
	memcpy(bus, p, sizeof *bus);
	*ok = bus->ndevs >= 1 && bus->ndevs < PCI_MAX_SLOTS && bus->nslots <= bus->ndevs + 1 &&
	      bus->nvirtio <= bus->ndevs;
	return *ok ? bus : NULL;
}

static const char *const backend_word[] = { [NET_TAP] = "a tap", [NET_STREAM] = "a stream socket" };

/* A recorded disk, on its binding or its recorded path, opened: 0, or -1 with *status. */
static int plan_disk(const struct snap_file *s, const struct snap_pci_dev *r, const char *path, unsigned i,
		     struct snap_bindings *b, struct dev_spec *spec, int *status)
{
	struct disk *d;
	char name[8];

	if (b->disks_seen == PCI_MAX_SLOTS - 1)
		return snap_refuse(s, status, EXIT_BAD_SNAPSHOT, "damaged: too many disks");
	if (!*path || r->serial[sizeof r->serial - 1] || r->size == 0 || r->size % 512)
		return snap_refuse(s, status, EXIT_BAD_SNAPSHOT, "damaged: the record of PCI device %u", i);
	snprintf(name, sizeof name, "vd%c", b->disks_seen < 26 ? 'a' + b->disks_seen : '?');
	d = &b->disks[b->disks_seen];
	if (b->disks_seen >= b->ndisks) {	/* no binding: the recorded path */
		*d = (struct disk){ .path = path, .fd = -1, .ro = r->ro };
	} else if (d->ro != (bool)r->ro) {
		return snap_refuse(s, status, EXIT_BAD_SNAPSHOT, "its disk %s is %s; --disk %s%s", name,
			      r->ro ? "read-only" : "read-write", d->path, r->ro ? " lacks ,ro" : " has ,ro");
	}
	memcpy(d->serial, r->serial, sizeof d->serial - 1);	/* the guest may have read it */
	d->serial[sizeof d->serial - 1] = '\0';
	if (disk_open(d, status) < 0)
		return -1;
	if (d->size != r->size)
		return snap_refuse(s, status, EXIT_BAD_SNAPSHOT, "its disk %s was %llu bytes; %s is %llu", name,
			      (unsigned long long)r->size, d->path, (unsigned long long)d->size);
	spec->disk = d;
	b->disks_seen++;
	return 0;
}

/*
 * A recorded NIC, on its binding (the same kind of backend: the guest took
 * the offloads the first one offered) or its recorded tap or socket, with the
 * recorded MAC (the guest knows it): 0, or -1 with *status.
 */
static int plan_nic(const struct snap_file *s, const struct snap_pci_dev *r, const char *name, unsigned i,
		    struct snap_bindings *b, struct dev_spec *spec, int *status)
{
	struct netdev *n;
	unsigned e = b->nets_seen;
	uint8_t mac[6];

	if (e == PCI_MAX_SLOTS - 1)
		return snap_refuse(s, status, EXIT_BAD_SNAPSHOT, "damaged: too many NICs");
	if (!*name || r->ro > NET_STREAM)
		return snap_refuse(s, status, EXIT_BAD_SNAPSHOT, "damaged: the record of PCI device %u", i);
	memcpy(mac, r->serial, sizeof mac);
	n = &b->nets[e];
	if (e >= b->nnets) {
		*n = (struct netdev){ .kind = (enum net_kind)r->ro, .name = name, .fd = -1 };
	} else if (n->kind != (enum net_kind)r->ro) {
		return snap_refuse(s, status, EXIT_BAD_SNAPSHOT, "its eth%u was on %s; --net %s=%s is %s", e,
			      backend_word[r->ro], n->kind == NET_TAP ? "tap" : "stream", n->name,
			      backend_word[n->kind]);
	} else if (n->mac_given && memcmp(n->mac, mac, sizeof mac) != 0) {
		return snap_refuse(s, status, EXIT_BAD_SNAPSHOT,
			      "its eth%u has MAC %02x:%02x:%02x:%02x:%02x:%02x, which its guest knows; --net %s=%s "
			      "gives another", e, mac[0], mac[1], mac[2], mac[3], mac[4], mac[5],
			      n->kind == NET_TAP ? "tap" : "stream", n->name);
	}
	memcpy(n->mac, mac, sizeof mac);
	n->mac_given = true;
	if (net_open(n, status) < 0)
		return -1;
	spec->net = n;
	b->nets_seen++;
	return 0;
}

int snap_pci_plan(const struct snap_file *s, struct snap_bindings *b, struct dev_spec *specs, unsigned *n,
		  int *status)
{
	const uint8_t *state = s->state;
	size_t slen = s->h.state_len;
	struct snap_pci_bus bus;
	bool ok;

	*n = 0;
	b->disks_seen = b->nets_seen = 0;
	if (!find_bus(state, slen, &bus, &ok)) {
		if (!ok)
			return snap_refuse(s, status, EXIT_BAD_SNAPSHOT, "damaged: the PCI bus record");
		if (b->ndisks)
			return snap_refuse(s, status, EXIT_BAD_SNAPSHOT, "the saved VM had no disk, but %u --disk %s given",
				      b->ndisks, b->ndisks == 1 ? "was" : "were");
		if (b->nnets)
			return snap_refuse(s, status, EXIT_BAD_SNAPSHOT, "the saved VM had no NIC, but %u --net %s given",
				      b->nnets, b->nnets == 1 ? "was" : "were");
		return 0;
	}
	for (unsigned i = 0; i < bus.ndevs; i++) {
		uint32_t len = 0;
		const uint8_t *p = snap_find_nth(state, slen, REC_PCI_DEV, 0, i, &len);
		struct snap_pci_dev r;
		const char *path;

		if (!p || len < sizeof r + 1 || p[len - 1])
			return snap_refuse(s, status, EXIT_BAD_SNAPSHOT, "damaged: the record of PCI device %u", i);
		memcpy(&r, p, sizeof r);
		path = (const char *)p + sizeof r;
		if (r.kind > DEV_VIRTIO_BALLOON)
			return snap_refuse(s, status, EXIT_BAD_SNAPSHOT, "damaged: the record of PCI device %u", i);
		specs[i] = (struct dev_spec){ .kind = (enum dev_kind)r.kind };
		if (r.kind == DEV_DISK && plan_disk(s, &r, path, i, b, &specs[i], status) < 0)
			return -1;
		if (r.kind == DEV_NET && plan_nic(s, &r, path, i, b, &specs[i], status) < 0)
			return -1;
	}
	if (b->ndisks && b->ndisks != b->disks_seen)
		return snap_refuse(s, status, EXIT_BAD_SNAPSHOT, "the saved VM had %u disk%s; %u --disk %s given",
			      b->disks_seen, b->disks_seen == 1 ? "" : "s", b->ndisks, b->ndisks == 1 ? "was" : "were");
	if (b->nnets && b->nnets != b->nets_seen)
		return snap_refuse(s, status, EXIT_BAD_SNAPSHOT, "the saved VM had %u NIC%s; %u --net %s given",
			      b->nets_seen, b->nets_seen == 1 ? "" : "s", b->nnets, b->nnets == 1 ? "was" : "were");
	*n = bus.ndevs;
	return 0;
}

static int put_virtio(struct virtio_dev *d, const uint8_t *p, uint32_t len, char *why, size_t wlen)
{
	struct snap_virtio v;
	char reason[160];

	if (len < sizeof v)
		goto damaged;
	memcpy(&v, p, sizeof v);
	if (v.nqueues != d->ops->nqueues || v.nvec != d->msix.nvec || v.backend_len != len - sizeof v ||
	    (v.backend_len && !d->ops->restore))
		goto damaged;
	d->driver_features = v.driver_features;
	d->dev_feature_sel = v.dev_feature_sel;
	d->drv_feature_sel = v.drv_feature_sel;
	d->queue_sel = v.queue_sel;
	d->msix_config = v.msix_config;
	d->status = v.status;
	d->config_gen = v.config_gen;
	d->isr = v.isr;
	d->broken = v.broken;
	d->driver_settled = v.driver_settled;
	for (unsigned q = 0; q < VIRTIO_MAX_QUEUES; q++) {
		const struct snap_vq *s = &v.vq[q];
		struct vq *t = &d->vq[q];

		*t = (struct vq){ .size = s->size, .desc_gpa = s->desc, .avail_gpa = s->avail, .used_gpa = s->used,
				  .msix_vector = s->msix_vector, .indirect = s->indirect,
				  .event_idx = virtio_negotiated(d, VIRTIO_RING_F_EVENT_IDX) };
		if (!s->ready)
			continue;
		if (q >= d->ops->nqueues || vq_enable(t, &d->vm->mem, reason, sizeof reason) < 0) {
			snprintf(why, wlen, "damaged: queue %u of %s: %s", q, d->name,
				 q >= d->ops->nqueues ? "beyond its queues" : reason);
			return -1;
		}
		t->last_avail = s->last_avail;
		t->used_idx = s->used_idx;
	}
	if (msix_restore(&d->msix, v.e, v.pending) < 0) {
		snprintf(why, wlen, "cannot set the MSI routes of %s (KVM_SET_GSI_ROUTING): %s", d->name,
			 strerror(errno));
		return -1;
	}
	if (v.backend_len && d->ops->restore(d, p + sizeof v, v.backend_len) < 0)
		goto damaged;
	return 0;
damaged:
	snprintf(why, wlen, "damaged: the record of %s", d->name);
	return -1;
}

/* After the state is back: wake each queue, and interrupt each once (a driver takes a spurious one calmly). */
static void resume_virtio(struct virtio_dev *d)
{
	if (!(d->status & VIRTIO_CONFIG_S_DRIVER_OK) || d->broken)
		return;
	for (unsigned q = 0; q < d->ops->nqueues; q++) {
		if (!d->vq[q].ready)
			continue;
		virtio_kick(d, q);
		msix_notify(&d->msix, d->vq[q].msix_vector);
	}
}

int snap_restore_pci(struct vm *vm, const uint8_t *state, size_t state_len, char *why, size_t len)
{
	struct pci_machine *pm = vm->pci;
	struct snap_pci_bus bus;
	bool ok;

	if (!find_bus(state, state_len, &bus, &ok))
		return ok ? 0 : (snprintf(why, len, "damaged: the PCI bus record"), -1);
	if (!pm || bus.nslots != pm->bus.nslots || bus.nvirtio != pm->nvdev) {
		snprintf(why, len, "damaged: the PCI devices do not fit the bus record");
		return -1;
	}
	pthread_mutex_lock(&vm->shared.lock);
	pm->bus.addr = bus.addr;
	for (unsigned i = 0; i < bus.nslots; i++) {
		struct pci_dev *d = pm->bus.slot[i];
		uint32_t n = 0;
		const uint8_t *p = snap_find_nth(state, state_len, REC_PCI_CFG, 0, i, &n);

		/* The IDs are the device's: a slot that holds another device is damage. */
		if (!p || n != sizeof d->cfg || memcmp(p, d->cfg, 4) != 0) {
			pthread_mutex_unlock(&vm->shared.lock);
			snprintf(why, len, "damaged: the configuration space of PCI slot %u", i);
			return -1;
		}
		memcpy(d->cfg, p, sizeof d->cfg);
	}
	pci_update_bars(&pm->bus);
	pthread_mutex_unlock(&vm->shared.lock);
	for (unsigned i = 0; i < pm->nvdev; i++) {
		struct virtio_dev *d = pm->vdev[i];
		uint32_t n = 0;
		const uint8_t *p = snap_find_nth(state, state_len, REC_VIRTIO, 0, i, &n);
		uint16_t ctl;
		int r;

		if (!p) {
			snprintf(why, len, "damaged: no record of %s", d->name);
			return -1;
		}
		memcpy(&ctl, d->pci.cfg + d->pci.msix_cap + PCI_MSIX_FLAGS, sizeof ctl);
		pthread_mutex_lock(&d->lock);
		r = put_virtio(d, p, n, why, len);
		if (r == 0) {
			msix_control(&d->msix, ctl);
			resume_virtio(d);
		}
		pthread_mutex_unlock(&d->lock);
		if (r < 0)
			return -1;
	}
	return 0;
}
