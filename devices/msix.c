/*
 * MSI-X: each vector of each device has a GSI of its own, routed as an MSI
 * (KVM_SET_GSI_ROUTING, which replaces the whole table: the PIC and IOAPIC
 * routes KVM starts with are written again first), and an irqfd bound to
 * that GSI. A device interrupts by writing its vector's eventfd, from any
 * thread, without an ioctl. Masked vectors keep a pending bit and fire when
 * unmasked, as the spec asks.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <linux/pci_regs.h>

#include "pci.h"

#define ISA_GSIS 24	/* KVM's default routes: GSI n to IOAPIC pin n, and to the PIC for n < 16 */

int msix_vm_init(struct msix_vm *mv, int vm_fd)
{
	mv->vm_fd = vm_fd;
	mv->ngsi = 0;
	mv->msi = NULL;
	if (pthread_mutex_init(&mv->lock, NULL) != 0) {
		fprintf(stderr, "kvmrun: cannot create the interrupt routes' lock\n");
		return -1;
	}
	return 0;
}

/* Install the whole routing table: the default ISA routes, then every MSI route. Under mv->lock. */
static int set_routes(struct msix_vm *mv)
{
	unsigned n = ISA_GSIS + 16 + mv->ngsi;
	struct kvm_irq_routing *t = calloc(1, sizeof *t + n * sizeof t->entries[0]);
	unsigned k = 0;
	int rc;

	if (!t)
		return -1;
	for (unsigned gsi = 0; gsi < ISA_GSIS; gsi++) {
		t->entries[k++] = (struct kvm_irq_routing_entry){ .gsi = gsi, .type = KVM_IRQ_ROUTING_IRQCHIP,
			.u.irqchip = { .irqchip = KVM_IRQCHIP_IOAPIC, .pin = gsi } };
		if (gsi < 16)
			t->entries[k++] = (struct kvm_irq_routing_entry){ .gsi = gsi, .type = KVM_IRQ_ROUTING_IRQCHIP,
				.u.irqchip = { .irqchip = gsi < 8 ? KVM_IRQCHIP_PIC_MASTER : KVM_IRQCHIP_PIC_SLAVE,
					       .pin = gsi % 8 } };
	}
	for (unsigned i = 0; i < mv->ngsi; i++)
		t->entries[k++] = mv->msi[i];
	t->nr = k;
	rc = ioctl(mv->vm_fd, KVM_SET_GSI_ROUTING, t);
	free(t);
	return rc;
}

int msix_init(struct msix *x, struct msix_vm *mv, unsigned nvec)
{
	struct kvm_irq_routing_entry *grown;
	int rc;

	memset(x, 0, sizeof *x);
	x->vm = mv;
	x->nvec = nvec;
	for (unsigned v = 0; v < MSIX_MAX_VECTORS; v++)
		x->irqfd[v] = -1;
	if (nvec == 0 || nvec > MSIX_MAX_VECTORS)
		return -1;
	pthread_mutex_lock(&mv->lock);
	grown = realloc(mv->msi, (mv->ngsi + nvec) * sizeof *mv->msi);
	if (!grown) {
		pthread_mutex_unlock(&mv->lock);
		fprintf(stderr, "kvmrun: out of memory for interrupt routes\n");
		return -1;
	}
	mv->msi = grown;
	x->gsi0 = MSI_GSI_BASE + mv->ngsi;
	for (unsigned v = 0; v < nvec; v++) {
		x->e[v].ctrl = PCI_MSIX_ENTRY_CTRL_MASKBIT;
		mv->msi[mv->ngsi + v] = (struct kvm_irq_routing_entry){ .gsi = x->gsi0 + v,
			.type = KVM_IRQ_ROUTING_MSI };
	}
	mv->ngsi += nvec;
	rc = set_routes(mv);
	pthread_mutex_unlock(&mv->lock);
	if (rc < 0) {
		fprintf(stderr, "kvmrun: cannot set the MSI routes (KVM_SET_GSI_ROUTING): %s\n", strerror(errno));
		return -1;
	}
	for (unsigned v = 0; v < nvec; v++) {
		struct kvm_irqfd irqfd = { .gsi = x->gsi0 + v };

		x->irqfd[v] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		irqfd.fd = (uint32_t)x->irqfd[v];
		if (x->irqfd[v] < 0 || ioctl(mv->vm_fd, KVM_IRQFD, &irqfd) < 0) {
			fprintf(stderr, "kvmrun: cannot bind an interrupt to an eventfd (KVM_IRQFD): %s\n",
				strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* The route of vector v follows its entry's address and data. */
static void route(struct msix *x, unsigned v)
{
	struct msix_vm *mv = x->vm;
	struct kvm_irq_routing_entry *r;

	pthread_mutex_lock(&mv->lock);
	r = &mv->msi[x->gsi0 - MSI_GSI_BASE + v];
	if (r->u.msi.address_lo != x->e[v].addr_lo || r->u.msi.address_hi != x->e[v].addr_hi ||
	    r->u.msi.data != x->e[v].data) {
		r->u.msi.address_lo = x->e[v].addr_lo;
		r->u.msi.address_hi = x->e[v].addr_hi;
		r->u.msi.data = x->e[v].data;
		if (set_routes(mv) < 0)
			fprintf(stderr, "kvmrun: cannot update an MSI route (KVM_SET_GSI_ROUTING): %s\n",
				strerror(errno));
	}
	pthread_mutex_unlock(&mv->lock);
}

int msix_restore(struct msix *x, const struct msix_entry *e, uint32_t pending)
{
	struct msix_vm *mv = x->vm;
	int rc;

	pthread_mutex_lock(&mv->lock);
	for (unsigned v = 0; v < x->nvec; v++) {
		struct kvm_irq_routing_entry *r = &mv->msi[x->gsi0 - MSI_GSI_BASE + v];

		x->e[v] = e[v];
		x->e[v].ctrl &= PCI_MSIX_ENTRY_CTRL_MASKBIT;
		r->u.msi.address_lo = x->e[v].addr_lo;
		r->u.msi.address_hi = x->e[v].addr_hi;
		r->u.msi.data = x->e[v].data;
	}
	x->pending = pending & ((1u << x->nvec) - 1);
	rc = set_routes(mv);
	pthread_mutex_unlock(&mv->lock);
	return rc;
}

static bool allowed(const struct msix *x, unsigned v)
{
	return x->enabled && !x->fn_masked && !(x->e[v].ctrl & PCI_MSIX_ENTRY_CTRL_MASKBIT);
}

static void fire(struct msix *x, unsigned v)
{
	uint64_t one = 1;

	if (write(x->irqfd[v], &one, sizeof one) == sizeof one)
		x->sent++;
}

/* Pending vectors that may now fire do. */
static void release_pending(struct msix *x)
{
	for (unsigned v = 0; v < x->nvec; v++)
		if ((x->pending & (1u << v)) && allowed(x, v)) {
			x->pending &= ~(1u << v);
			fire(x, v);
		}
}

bool msix_notify(struct msix *x, unsigned v)
{
	if (v >= x->nvec)
		return false;
	if (!allowed(x, v)) {
		x->pending |= 1u << v;
		return false;
	}
	fire(x, v);
	return true;
}

void msix_control(struct msix *x, uint16_t ctrl)
{
	x->enabled = ctrl & PCI_MSIX_FLAGS_ENABLE;
	x->fn_masked = ctrl & PCI_MSIX_FLAGS_MASKALL;
	release_pending(x);
}

void msix_table_access(struct msix *x, bool pba, uint64_t offset, uint8_t *data, unsigned len, bool write)
{
	uint8_t bytes[MSIX_MAX_VECTORS * PCI_MSIX_ENTRY_SIZE];
	uint64_t size = pba ? 8 : (uint64_t)x->nvec * PCI_MSIX_ENTRY_SIZE;

	if (offset >= size || len > size - offset) {
		if (!write)
			memset(data, 0xff, len);	/* beyond the table: nothing answers */
		return;
	}
	if (pba) {
		uint64_t p = x->pending;

		if (!write)
			memcpy(data, (uint8_t *)&p + offset, len);	/* the PBA is read-only */
		return;
	}
	memcpy(bytes, x->e, size);
	if (!write) {
		memcpy(data, bytes + offset, len);
		return;
	}
	memcpy(bytes + offset, data, len);
	for (unsigned v = (unsigned)(offset / PCI_MSIX_ENTRY_SIZE);
	     v <= (offset + len - 1) / PCI_MSIX_ENTRY_SIZE; v++) {
		memcpy(&x->e[v], bytes + v * PCI_MSIX_ENTRY_SIZE, PCI_MSIX_ENTRY_SIZE);
		x->e[v].ctrl &= PCI_MSIX_ENTRY_CTRL_MASKBIT;	/* the other bits are reserved */
		route(x, v);
	}
	release_pending(x);
}
