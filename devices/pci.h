/*
 * The PCI side of the machine: an MMIO bus beside the port bus (mmio.c), a
 * PCI bus behind configuration mechanism #1 (pci.c), MSI-X interrupts routed
 * through KVM's GSI table to irqfds (msix.c), and the devices on the bus:
 * virtio over PCI (virtio.h) and pvpanic-pci. Nothing of this exists unless
 * the user asks for a PCI device: a bare guest's view is unchanged.
 *
 * Locks. The port bus and every device's configuration space are under the
 * VM's lock (vm->shared.lock), as every port access is. A device's BAR (its
 * MMIO registers) is under the device's own lock, taken by its MMIO handler,
 * never together with the VM's lock held by the same thread in the other
 * order: the VM's lock may be held when a device lock is taken (a
 * configuration write that enables MSI-X), never the reverse. So a device
 * thread busy with a slow disk stalls accesses to that device only.
 */
#ifndef KVMRUN_PCI_H
#define KVMRUN_PCI_H

#include <stdbool.h>
#include <stdint.h>
#include <pthread.h>

#include "../kvm.h"

/* ---- mmio.c: MMIO dispatch through a table ---- */

/*
 * One MMIO access. end is the accessing CPU's end record: a handler that
 * ends the run fills it and returns IO_END. For a read the handler fills
 * data[0..len); len is 1, 2, 4 or 8.
 */
typedef enum io_result (*mmio_fn)(void *dev, uint64_t offset, uint8_t *data, unsigned len,
				  bool write, struct run_end *end);

struct mmio_region {
	const char *name;
	uint64_t base, len;
	bool enabled;            /* decoded now (a BAR with memory decoding on) */
	mmio_fn fn;
	void *dev;
};

#define MMIO_MAX_REGIONS 64

struct mmio_bus {
	struct mmio_region r[MMIO_MAX_REGIONS];
	unsigned n;
};

/* mmio_add: a region (disabled until mmio_move); returns its index, or -1 (reported) when full. */
int mmio_add(struct mmio_bus *b, const char *name, uint64_t len, mmio_fn fn, void *dev);

/* mmio_move: region i now decodes at base (enabled) or not at all. Under the VM's lock. */
void mmio_move(struct mmio_bus *b, int i, uint64_t base, bool enabled);

/*
 * mmio_access: the access at gpa, dispatched to the enabled region that holds
 * all of it (offset from its base). Returns IO_OK, IO_END (the handler ended
 * the run), or -1 when no region holds it (the caller reports the fault).
 * The table is read under the VM's lock; the handler runs without it.
 */
int mmio_access(struct mmio_bus *b, pthread_mutex_t *lock, uint64_t gpa, uint8_t *data, unsigned len,
		bool write, struct run_end *end);

/* ---- msix.c: MSI-X vectors delivered through irqfds ---- */

/* The GSIs of KVM's default routing (PIC and IOAPIC pins): MSI routes come after them. */
#define MSI_GSI_BASE 24
#define MSIX_MAX_VECTORS 16

struct msix_entry {
	uint32_t addr_lo, addr_hi, data, ctrl;   /* as the guest wrote them; ctrl bit 0 masks */
};

/* One device's MSI-X table and pending bits; under the device's lock. */
struct msix {
	struct msix_vm *vm;
	unsigned nvec;
	struct msix_entry e[MSIX_MAX_VECTORS];
	uint32_t pending;                  /* PBA: one bit per vector */
	unsigned gsi0;                     /* vector v is GSI gsi0 + v */
	int irqfd[MSIX_MAX_VECTORS];       /* eventfd bound to that GSI */
	bool enabled, fn_masked;           /* message control, mirrored by msix_control */
	uint64_t sent;                     /* interrupts delivered */
};

/* The VM's MSI routes: KVM_SET_GSI_ROUTING replaces the whole table, so it is kept here. */
struct msix_vm {
	int vm_fd;
	pthread_mutex_t lock;
	unsigned ngsi;                     /* MSI GSIs handed out */
	struct kvm_irq_routing_entry *msi; /* one per MSI GSI */
};

/* msix_vm_init: no routes yet. Returns 0 or -1 (reported). */
int msix_vm_init(struct msix_vm *mv, int vm_fd);

/*
 * msix_init: nvec vectors (at most MSIX_MAX_VECTORS), all masked, each with a
 * GSI and an irqfd (KVM_IRQFD) of its own. Returns 0 or -1 (reported).
 */
int msix_init(struct msix *x, struct msix_vm *mv, unsigned nvec);

/*
 * msix_table_access: a guest access to the table (offset in [0, 16 * nvec))
 * or the pending bits (pba true, offset from the PBA's start). Updates the
 * route when an entry's address or data changes; an unmasked entry with a
 * pending bit fires. Under the device's lock.
 */
void msix_table_access(struct msix *x, bool pba, uint64_t offset, uint8_t *data, unsigned len, bool write);

/*
 * msix_restore: the table (nvec entries of e) and the pending bits as a
 * snapshot saved them; every vector's route is installed at once. Sends
 * nothing (msix_control, called after, releases what may fire). Under the
 * device's lock. Returns 0, or -1 when KVM refuses the routes (errno).
 */
int msix_restore(struct msix *x, const struct msix_entry *e, uint32_t pending);

/* msix_control: message control as written (enable, function mask); pending vectors fire if now allowed. */
void msix_control(struct msix *x, uint16_t ctrl);

/*
 * msix_notify: interrupt through vector v: sent when MSI-X is enabled and
 * neither the function nor the vector is masked, else made pending. A vector
 * of 0xffff (VIRTIO_MSI_NO_VECTOR) or beyond the table does nothing.
 * Returns true if the interrupt was sent.
 */
bool msix_notify(struct msix *x, unsigned v);

/* ---- pci.c: bus 0, configuration mechanism #1 ---- */

#define PCI_CONFIG_ADDR 0xcf8
#define PCI_CONFIG_DATA 0xcfc
#define PCI_MAX_SLOTS   32          /* device 0 is the host bridge */
#define PCI_MMIO_START  0xc0000000ULL /* BARs go here, upward, in the 32-bit hole */
#define PCI_MMIO_END    0xfec00000ULL /* the IOAPIC: the window stops below it */
#define PCI_BAR_SPAN    0x4000ULL   /* each device's one BAR lies in a slot of this size */

struct pci_dev;

/* What a device on the bus provides. */
struct pci_dev_ops {
	/* A configuration write landed on [off, off + len): react (MSI-X control). Under the VM's lock. */
	void (*config_written)(struct pci_dev *d, unsigned off, unsigned len);
	/*
	 * The BAR stops decoding at base (enabled false), or decodes there
	 * (enabled true; called for every decoding BAR after any change, so it
	 * must do nothing when already there). Under the VM's lock.
	 */
	void (*bar_moved)(struct pci_dev *d, uint64_t base, bool enabled);
};

struct pci_dev {
	const char *name;            /* what -v and --stats call it: "virtio-blk vda" */
	uint8_t cfg[256];            /* configuration space */
	uint8_t wmask[256];          /* bits the guest may write */
	uint64_t bar_size;           /* BAR 0: a 32-bit memory BAR of this size (power of two, >= 16) */
	int mmio;                    /* its region on the MMIO bus */
	unsigned slot;               /* device number on bus 0 */
	uint64_t bar_base;           /* where kvmrun placed BAR 0 */
	bool bar_on;                 /* it decodes now */
	uint16_t msix_cap;           /* offset of the MSI-X capability, 0: none */
	uint16_t cap_last, cap_end;  /* the last capability and where it ends (0: none yet) */
	const struct pci_dev_ops *ops;
	void *owner;                 /* the device behind it */
};

struct pci_bus {
	uint32_t addr;               /* the CONFIG_ADDRESS register */
	struct pci_dev host;         /* 00:00.0 */
	struct pci_dev *slot[PCI_MAX_SLOTS];
	unsigned nslots;             /* slots in use, the host bridge included */
	struct mmio_bus *mmio;
};

/* pci_attach: the host bridge and the configuration ports on bus. Returns 0 or -1 (reported). */
int pci_attach(struct pci_bus *pb, struct io_bus *bus, struct mmio_bus *mmio);

/*
 * pci_header: fill d's type 0 header: IDs, class (24 bits), revision, BAR 0
 * of bar_size as 32-bit memory, no INTx pin, capability list empty.
 */
void pci_header(struct pci_dev *d, uint16_t vendor, uint16_t device, uint32_t class, uint8_t rev,
		uint16_t subvendor, uint16_t subdevice, uint64_t bar_size);

/*
 * pci_add_cap: append a capability of len bytes (id first, next pointer
 * filled here) to d's list; the caller fills the rest at the returned offset
 * and sets wmask for its writable bytes. Returns the offset, or 0 if full.
 */
unsigned pci_add_cap(struct pci_dev *d, uint8_t id, unsigned len);

/* pci_add_msix: an MSI-X capability for nvec vectors, table and PBA in BAR 0 at the offsets given. */
unsigned pci_add_msix(struct pci_dev *d, unsigned nvec, uint32_t table_off, uint32_t pba_off);

/*
 * pci_plug: put d in the next free slot, place its BAR (memory decoding
 * on, as firmware leaves a device) and its MMIO region (handler fn). Returns
 * 0, or -1 with a line on stderr when the bus is full.
 */
int pci_plug(struct pci_bus *pb, struct pci_dev *d, mmio_fn fn, void *dev);

/*
 * pci_update_bars: every BAR decodes where its configuration space says (a
 * BAR that overlaps an earlier slot's does not decode), its MMIO region and
 * bar_moved hook following: after any write to a command register or a BAR,
 * and after a restore wrote the configuration spaces back. Under the VM's lock.
 */
void pci_update_bars(struct pci_bus *pb);

/* pci_verbose: the -v lines: one per device with its slot, IDs, BAR and interrupts. */
void pci_verbose(const struct pci_bus *pb, FILE *f);

#endif
