/*
 * A VM's PCI devices as one: the bus with its host bridge, the MMIO table,
 * the MSI routes, and the devices in the order the user gave them. Also the
 * range of descriptors they use, which the seccomp filter allows.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "virtio.h"

/* The range of descriptors: every one the devices opened lies in it (the filter allows only those). */
static void note_fd(struct pci_machine *pm, int fd)
{
	if (fd < 0)
		return;
	if (pm->fd_lo < 0 || fd < pm->fd_lo)
		pm->fd_lo = fd;
	if (fd > pm->fd_hi)
		pm->fd_hi = fd;
}

static void note_device(struct pci_machine *pm, const struct virtio_dev *d)
{
	note_fd(pm, d->stop_fd);
	for (unsigned q = 0; q < d->ops->nqueues; q++)
		note_fd(pm, d->kick_fd[q]);
	for (unsigned v = 0; v < d->msix.nvec; v++)
		note_fd(pm, d->msix.irqfd[v]);
}

struct pci_machine *pcim_create(struct vm *vm, const struct dev_spec *specs, unsigned n)
{
	struct pci_machine *pm = calloc(1, sizeof *pm);
	unsigned ndisks = 0, nnets = 0;

	if (!pm) {
		fprintf(stderr, "kvmrun: out of memory for the PCI bus\n");
		return NULL;
	}
	pm->fd_lo = pm->fd_hi = -1;
	if (msix_vm_init(&pm->msi, vm->vm_fd) < 0 || pci_attach(&pm->bus, &vm->bus, &pm->mmio) < 0)
		return NULL;
	for (unsigned i = 0; i < n; i++) {
		struct virtio_dev *d = NULL;

		pm->spec[pm->nspec++] = specs[i];

		switch (specs[i].kind) {
		case DEV_DISK:
			d = virtio_blk_add(vm, &pm->bus, &pm->msi, specs[i].disk, ndisks++);
			note_fd(pm, specs[i].disk->fd);
			break;
		case DEV_VIRTIO_CONSOLE:
			d = virtio_console_add(vm, &pm->bus, &pm->msi);
			break;
		case DEV_VIRTIO_RNG:
			d = virtio_rng_add(vm, &pm->bus, &pm->msi);
			break;
		case DEV_NET:
			d = virtio_net_add(vm, &pm->bus, &pm->msi, specs[i].net, nnets++);
			note_fd(pm, specs[i].net->fd);
			break;
		case DEV_VIRTIO_BALLOON:
			d = virtio_balloon_add(vm, &pm->bus, &pm->msi);
			break;
		case DEV_PVPANIC_PCI:
			if (pvpanic_pci_add(&pm->bus) < 0)
				return NULL;
			continue;
		}
		if (!d)
			return NULL;
		pm->vdev[pm->nvdev++] = d;
		note_device(pm, d);
	}
	return pm;
}

int pcim_start(struct pci_machine *pm)
{
	for (unsigned i = 0; i < pm->nvdev; i++)
		if (virtio_start(pm->vdev[i]) < 0)
			return -1;
	return 0;
}

void pcim_stop(struct pci_machine *pm)
{
	for (unsigned i = 0; i < pm->nvdev; i++)
		virtio_stop(pm->vdev[i]);
}

struct virtio_dev *pcim_find(const struct pci_machine *pm, uint16_t device_id)
{
	for (unsigned i = 0; i < pm->nvdev; i++)
		if (pm->vdev[i]->ops->device_id == device_id)
			return pm->vdev[i];
	return NULL;
}

void pcim_verbose(const struct pci_machine *pm, FILE *f)
{
	pci_verbose(&pm->bus, f);
	for (unsigned i = 0; i < pm->nvdev; i++) {
		const struct virtio_dev *d = pm->vdev[i];

		fprintf(f, "kvmrun: pci 00:%02x.0 %s: %u queue%s, MSI-X GSIs %u-%u, notifications %s\n", d->pci.slot,
			d->name, d->ops->nqueues, d->ops->nqueues == 1 ? "" : "s", d->msix.gsi0,
			d->msix.gsi0 + d->msix.nvec - 1, d->ioeventfd_on ? "by ioeventfd" : "by exit");
	}
}

void pcim_stats(const struct pci_machine *pm, FILE *f)
{
	for (unsigned i = 0; i < pm->nvdev; i++) {
		const struct virtio_dev *d = pm->vdev[i];

		fprintf(f, "kvmrun: stats: %s: %llu notifications, %llu interrupts, %llu requests, "
			"%llu bytes in, %llu bytes out, %llu driver errors\n", d->name,
			(unsigned long long)d->st.notifies, (unsigned long long)d->msix.sent,
			(unsigned long long)d->st.chains, (unsigned long long)d->st.bytes_in,
			(unsigned long long)d->st.bytes_out, (unsigned long long)d->st.errors);
		if (d->ops->stats)
			d->ops->stats(d, f);
	}
}
